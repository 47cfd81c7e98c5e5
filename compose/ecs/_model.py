"""botocore's ECS service model, compiled once into plain tuples for a fast checker.

botocore's own :class:`botocore.validate.ParamValidator` checks types, required members,
unknown members, minimums and tagged unions, but not enums and maximums. This module walks the
same model (the installed botocore's ``data/ecs/<newest version>/service-2.json``, so it tracks
the installed version) and compiles each operation's input shape into nested lists, tuples
and dicts, then checks a request against that in one pass: everything ParamValidator checks,
plus ``enum`` and ``max``. The model file is read directly (~10 ms) instead of through
botocore's loader, whose import alone is ~90 ms on the build path; when models may come from
elsewhere (``AWS_DATA_PATH``, ``~/.aws/models``) the loader is used, as botocore would.
Compiling takes under 1 ms, and a check afterwards is a plain tree walk (~20 us for a
two-container task definition).

Type checks are ParamValidator's with one difference: ``bool`` is not accepted where the model
wants an integer or a number (Python's ``True`` is an ``int``; ECS would reject ``true``).

Nothing here imports botocore at module import time.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

from compose.errors import ComposeError, Problem, describe_value

#: The operations whose inputs compose builds.
OPERATIONS = ("RegisterTaskDefinition", "RunTask")

# Compiled node layouts (containers are lists so that recursive shapes can refer to
# themselves; scalars are tuples):
#   ["structure", members: dict[str, node], required: tuple[str, ...], union: bool]
#   ["list", member: node, min, max]
#   ["map", key: node, value: node, min, max]
#   ("string", min, max, enum: frozenset | None, enum in model order: tuple | None)
#   ("integer" | "long" | "double" | "float", min, max)
#   ("boolean",) ; ("timestamp",) ; ("blob",)

_lock = threading.Lock()
_compiled: dict[str, Any] = {}
_shapes_cache: dict[str, Any] = {}


def _installed_model() -> dict[str, Any] | None:
    """The installed botocore's ECS ``service-2.json``, read without importing botocore; None
    when botocore's loader could find another one (``AWS_DATA_PATH``, ``~/.aws/models``)."""
    if os.environ.get("AWS_DATA_PATH") or os.path.isdir(os.path.expanduser("~/.aws/models/ecs")):
        return None
    spec = importlib.util.find_spec("botocore")  # finds the package; does not import it
    if spec is None or not spec.origin:
        return None
    service = os.path.join(os.path.dirname(spec.origin), "data", "ecs")
    try:
        # API versions are dates: the loader takes the newest, as here.
        version = max(v for v in os.listdir(service) if os.path.isdir(os.path.join(service, v)))
    except (OSError, ValueError):
        return None
    for name, opener in (("service-2.json.gz", gzip.open), ("service-2.json", open)):
        path = os.path.join(service, version, name)
        if os.path.isfile(path):
            with opener(path, "rb") as fh:
                return json.loads(fh.read())
    return None


def _load_shapes() -> dict[str, Any]:
    """The raw ECS model (``service-2.json``) as botocore's loader returns it."""
    if "shapes" not in _shapes_cache:
        model = _installed_model()
        if model is None:
            import botocore.loaders  # lazy: ~100 ms

            model = botocore.loaders.create_loader().load_service_model("ecs", "service-2")
        _shapes_cache["model"] = model
        _shapes_cache["shapes"] = model["shapes"]
    return _shapes_cache["shapes"]


def _compile_shape(name: str, shapes: Mapping[str, Any], memo: dict[str, Any]) -> Any:
    if name in memo:
        return memo[name]
    raw = shapes[name]
    kind = raw["type"]
    if kind == "structure":
        members: dict[str, Any] = {}
        node: Any = ["structure", members, tuple(raw.get("required", ())), bool(raw.get("union"))]
        memo[name] = node
        for member_name, ref in raw.get("members", {}).items():
            members[member_name] = _compile_shape(ref["shape"], shapes, memo)
        return node
    if kind == "list":
        memo[name] = node = ["list", None, raw.get("min"), raw.get("max")]
        node[1] = _compile_shape(raw["member"]["shape"], shapes, memo)
    elif kind == "map":
        memo[name] = node = ["map", None, None, raw.get("min"), raw.get("max")]
        node[1] = _compile_shape(raw["key"]["shape"], shapes, memo)
        node[2] = _compile_shape(raw["value"]["shape"], shapes, memo)
    elif kind == "string":
        enum = raw.get("enum")
        node = (
            "string",
            raw.get("min"),
            raw.get("max"),
            frozenset(enum) if enum else None,
            tuple(enum) if enum else None,
        )
    elif kind in ("integer", "long", "double", "float"):
        node = (kind, raw.get("min"), raw.get("max"))
    else:
        node = (kind,)
    memo[name] = node
    return node


def input_node(operation: str) -> Any:
    """The compiled input shape of ``operation`` (compiled on first use, then cached)."""
    node = _compiled.get(operation)
    if node is not None:
        return node
    with _lock:
        if operation not in _compiled:
            try:
                shapes = _load_shapes()
                root = _shapes_cache["model"]["operations"][operation]["input"]["shape"]
            except Exception as exc:  # ImportError, botocore's DataNotFoundError, KeyError
                raise ComposeError(
                    f"cannot load botocore's ECS model for {operation}: {exc}", step="validate"
                ) from exc
            _compiled[operation] = _compile_shape(root, shapes, {})
        return _compiled[operation]


# --- the check -------------------------------------------------------------------------

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list, tuple),
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "double": (float, int),
    "float": (float, int),
    "boolean": (bool,),
}

_NUMBERS = ("double", "float")


def _is_decimal(value: Any) -> bool:
    # botocore accepts decimal.Decimal for numbers; a Decimal exists only if decimal was
    # imported, so there is no need to import it (~3 ms) ourselves.
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(value, decimal.Decimal)


_TYPE_WORDS = {
    "structure": "an object",
    "map": "an object",
    "list": "a list",
    "string": "a string",
    "integer": "an integer",
    "long": "an integer",
    "double": "a number",
    "float": "a number",
    "boolean": "a boolean",
}


_describe = describe_value

_PLAIN_STRING = ("string", None, None, None, None)


def _problem(rule: str, message: str, path: tuple) -> Problem:
    return Problem(message, path=path, source=f"ecs.{rule}")


def check(value: Any, node: Any, path: tuple, out: list[Problem]) -> None:
    """Append to ``out`` every way ``value`` breaks the compiled ``node``."""
    kind = node[0]
    if kind == "string":
        if type(value) is not str and not isinstance(value, str):
            out.append(_problem("type", f"expected a string, got {_describe(value)}", path))
            return
        lo, hi, enum = node[1], node[2], node[3]
        if enum is not None and value not in enum:
            out.append(_problem("enum", f"{value!r} is not one of: {', '.join(node[4])}", path))
        if lo is not None and len(value) < lo:
            out.append(
                _problem("length", f"must be at least {lo} characters long, got {len(value)}", path)
            )
        if hi is not None and len(value) > hi:
            out.append(
                _problem("length", f"must be at most {hi} characters long, got {len(value)}", path)
            )
        return
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(_problem("type", f"expected an object, got {_describe(value)}", path))
            return
        members = node[1]
        for req in node[2]:
            if req not in value:
                out.append(_problem("required", f"missing required field {req!r}", path + (req,)))
        if node[3] and len(value) != 1:
            out.append(
                _problem(
                    "union",
                    f"set exactly one of: {', '.join(members)} (got {len(value)})",
                    path,
                )
            )
        for key, item in value.items():
            child = members.get(key)
            if child is None:
                out.append(_problem("unknown", _unknown_message(key, members), path + (key,)))
            else:
                check(item, child, path + (key,), out)
        return
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            out.append(_problem("type", f"expected a list, got {_describe(value)}", path))
            return
        _count(len(value), node[2], node[3], path, out)
        member = node[1]
        if member == _PLAIN_STRING:
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    out.append(
                        _problem("type", f"expected a string, got {_describe(item)}", path + (i,))
                    )
            return
        for i, item in enumerate(value):
            check(item, member, path + (i,), out)
        return
    if kind == "map":
        if not isinstance(value, dict):
            out.append(_problem("type", f"expected an object, got {_describe(value)}", path))
            return
        _count(len(value), node[3], node[4], path, out)
        key_node, value_node = node[1], node[2]
        for key, item in value.items():
            if not isinstance(key, str):
                out.append(_problem("type", f"keys must be strings, got {_describe(key)}", path))
            elif key_node != _PLAIN_STRING:
                check(key, key_node, path + (key,), out)
            check(item, value_node, path + (key,), out)
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            out.append(_problem("type", f"expected a boolean, got {_describe(value)}", path))
        return
    if kind in ("integer", "long", "double", "float"):
        if isinstance(value, bool) or not (
            isinstance(value, _PY_TYPES[kind]) or (kind in _NUMBERS and _is_decimal(value))
        ):
            word = _TYPE_WORDS[kind]
            out.append(_problem("type", f"expected {word}, got {_describe(value)}", path))
            return
        lo, hi = node[1], node[2]
        if lo is not None and value < lo:
            out.append(_problem("range", f"must be at least {lo}, got {value}", path))
        if hi is not None and value > hi:
            out.append(_problem("range", f"must be at most {hi}, got {value}", path))
        return
    # timestamp / blob never occur in the inputs we check; accept anything.


def _count(n: int, lo: int | None, hi: int | None, path: tuple, out: list[Problem]) -> None:
    if lo is not None and n < lo:
        out.append(_problem("length", f"must have at least {lo} items, got {n}", path))
    if hi is not None and n > hi:
        out.append(_problem("length", f"must have at most {hi} items, got {n}", path))


#: Fields DescribeTaskDefinition adds that RegisterTaskDefinition does not take (FACTS.md).
DESCRIBED_ONLY = frozenset({
    "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
    "registeredAt", "deregisteredAt", "deleteRequestedAt", "registeredBy",
})


def _unknown_message(key: Any, members: Mapping[str, Any]) -> str:
    from ..suggest import closest

    if key in DESCRIBED_ONLY and "containerDefinitions" in members:
        return (f"unknown field {key!r}: DescribeTaskDefinition returns it, "
                "RegisterTaskDefinition does not take it")
    close = closest(str(key), members, cutoff=0.75)
    if close:
        return f"unknown field {key!r} (did you mean {close!r}?)"
    return f"unknown field {key!r}; expected one of: {', '.join(members)}"


def model_problems(operation: str, params: Any) -> list[Problem]:
    """Check ``params`` against the compiled input shape of ``operation``."""
    out: list[Problem] = []
    check(params, input_node(operation), (), out)
    return out


# --- botocore's own validator, translated -------------------------------------------------

_BOTOCORE_RULES = {
    "missing required field": "required",
    "unknown field": "unknown",
    "invalid type": "type",
    "invalid range": "range",
    "invalid length": "length",
    "more than one input": "union",
    "empty input": "union",
    "invalid type for document": "type",
    "unable to encode to json": "type",
}


def parse_botocore_name(name: str) -> tuple:
    """Turn a ParamValidator error name such as ``.a[0].b (key: k)`` into a path tuple.

    >>> parse_botocore_name('.containerDefinitions[1].dependsOn[0].containerName')
    ('containerDefinitions', 1, 'dependsOn', 0, 'containerName')
    """
    path: list[Any] = []
    i, n = 0, len(name)
    while i < n:
        ch = name[i]
        if ch == ".":
            j = i + 1
            while j < n and name[j] not in ".[" and not name.startswith(" (key: ", j):
                j += 1
            path.append(name[i + 1 : j])
            i = j
        elif ch == "[":
            j = name.index("]", i)
            path.append(int(name[i + 1 : j]))
            i = j + 1
        elif name.startswith(" (key: ", i):
            j = name.rindex(")")
            path.append(name[i + 7 : j])
            i = j + 1
        else:  # a bare leading name (botocore uses none for the root)
            j = i
            while j < n and name[j] not in ".[":
                j += 1
            path.append(name[i:j])
            i = j
    return tuple(path)


def botocore_problems(operation: str, params: Any) -> list[Problem]:
    """Run botocore's own ``ParamValidator`` and translate its report into Problems.

    Slower than :func:`model_problems` (it builds botocore's shape objects) and blind to
    enums and maximums; kept so tests can show both agree on what botocore checks.
    """
    import botocore.session  # lazy
    import botocore.validate

    shape = _botocore_shape(operation)
    report = botocore.validate.ParamValidator().validate(params, shape)
    out = []
    # ValidationErrors keeps structured tuples; its text report is only a rendering of them.
    for reason, name, extra in report._errors:  # noqa: SLF001 - no public accessor exists
        rule = _BOTOCORE_RULES.get(reason, reason)
        path = parse_botocore_name(name)
        if reason == "missing required field":
            path += (extra["required_name"],)
            message = f"missing required field {extra['required_name']!r}"
        elif reason == "unknown field":
            path += (extra["unknown_param"],)
            message = f"unknown field {extra['unknown_param']!r}"
        elif reason == "invalid type":
            message = f"invalid type {type(extra['param']).__name__}"
        elif reason in ("invalid range", "invalid length"):
            message = f"below the minimum {extra['min_allowed']}"
        else:
            message = reason
        out.append(Problem(message, path=path, source=f"ecs.{rule}"))
    return out


def _botocore_shape(operation: str) -> Any:
    key = "botocore:" + operation
    if key not in _shapes_cache:
        import botocore.session

        model = botocore.session.get_session().get_service_model("ecs")
        _shapes_cache[key] = model.operation_model(operation).input_shape
    return _shapes_cache[key]
