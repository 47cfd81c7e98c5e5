"""RFC 6902 JSON patches, applied the way Kustomize v5.5 applies them.

Kustomize turns the resource into JSON, applies the patch with evanphx/json-patch v5 and reads
the JSON back. compose uses the ``jsonpatch`` library and reproduces what differs:

- ``replace`` of a missing key of an existing object acts as ``add``.
- Negative array indexes count from the end (``-1`` is the last item; for ``add`` it
  appends, ``-2`` inserts before the last item, ...); ``-`` appends.
- A patch written in YAML is read as YAML 1.1, as Kustomize's YAML-to-JSON step does:
  ``yes``/``no``/``on``/``off``/``y``/``n`` are booleans and ``0755`` is octal, while
  timestamps stay strings.
- The JSON round trip turns integral floats into integers (``1.0`` comes back as ``1``).

Every operation is checked before the first is applied; a failure names the patch file and
the 0-based operation index, e.g. ``operation 2 (remove /spec/x): path does not exist``.

>>> apply_patch({"a": {"b": 1}}, [{"op": "replace", "path": "/a/c", "value": 2}], file="p.yaml")
{'a': {'b': 1, 'c': 2}}
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import yaml

from .. import limits as _limits
from ..errors import PatchError, YAMLSyntaxError
from ..yamlio import count_values

__all__ = ["parse_patch", "apply_patch", "go_json_roundtrip", "OPS"]

OPS = ("add", "remove", "replace", "move", "copy", "test")
_NEEDS_VALUE = ("add", "replace", "test")
_NEEDS_FROM = ("move", "copy")


# --- reading: YAML 1.1 as go-yaml v2 resolves it ----------------------------------------------


class _Yaml11Loader(yaml.SafeLoader):
    """PyYAML's YAML 1.1 loader, adjusted to go-yaml v2: y/n are booleans, no timestamps,
    no sexagesimal numbers, floats need no dot (``1e3``)."""


_Yaml11Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:value",
    )]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
    list("yYnNtTfFoO"),
)
_Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def _construct_bool(loader: Any, node: Any) -> bool:
    return loader.construct_scalar(node).lower() in ("y", "yes", "true", "on")


_Yaml11Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def parse_patch(text: str, file: str) -> list[dict[str, Any]]:
    """Read a JSON patch: JSON when it starts with ``[``, else YAML 1.1; check its shape.

    Raises:
        YAMLSyntaxError: the text is not YAML/JSON.
        PatchError: it is not a list of operations, or an operation is malformed.
    """
    if text.startswith("["):
        try:
            ops = json.loads(text)
        except json.JSONDecodeError as exc:
            raise YAMLSyntaxError(f"invalid JSON patch: {exc.msg}", file=file, line=exc.lineno,
                                  column=exc.colno, step="parse") from None
        except RecursionError:
            raise YAMLSyntaxError("invalid JSON patch: nested too deeply", file=file, step="parse") from None
    else:
        try:
            ops = yaml.load(text, Loader=_Yaml11Loader)  # noqa: S506 - a safe loader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise YAMLSyntaxError(f"invalid YAML: {exc.problem}", file=file,
                                  line=mark.line + 1 if mark else None, step="parse") from None
        except yaml.YAMLError as exc:
            raise YAMLSyntaxError(f"invalid YAML: {exc}", file=file, step="parse") from None
        except RecursionError:
            raise YAMLSyntaxError("invalid YAML: nested too deeply", file=file, step="parse") from None
    limit = _limits.current().max_nodes
    if count_values(ops, limit) > limit:
        raise PatchError(f"more than {limit:,} values after expanding YAML aliases "
                         f"(limit {_limits.ENV['max_nodes']})", file=file, step="parse")
    check_ops(ops, file)
    return ops


def check_ops(ops: Any, file: str) -> None:
    """Check the shape of every operation before any is applied."""
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations", file=file, step="patch")
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise PatchError(f"operation {i} is not a mapping", file=file, step="patch")
        kind = op.get("op")
        if kind not in OPS:
            raise PatchError(f"operation {i}: unknown op {kind!r} (one of {', '.join(OPS)})", file=file, step="patch")
        if not isinstance(op.get("path"), str):
            raise PatchError(f"operation {i} ({kind}): 'path' must be a string", file=file, step="patch")
        if kind in _NEEDS_VALUE and "value" not in op:
            raise PatchError(f"operation {i} ({kind} {op['path']}): 'value' is missing", file=file, step="patch")
        if kind in _NEEDS_FROM and not isinstance(op.get("from"), str):
            raise PatchError(f"operation {i} ({kind} {op['path']}): 'from' is missing", file=file, step="patch")
        for key in ("path", "from"):
            p = op.get(key)
            if isinstance(p, str) and p and not p.startswith("/"):
                raise PatchError(f"operation {i} ({kind} {op['path']}): '{key}' must start with '/'",
                                 file=file, step="patch")


# --- applying ---------------------------------------------------------------------------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _list_index(token: str, size: int) -> int | None:
    """``token`` as an index into a list of ``size`` items, or None.

    ASCII digits only (``str.isdigit`` also accepts ``²``, which ``int`` refuses), and no
    more of them than an index can have (``int`` refuses over 4,300 digits).
    """
    if not token or len(token) > 18 or not token.isascii() or not token.isdigit():
        return None
    index = int(token)
    return index if index < size else None


def _normalize_path(doc: Any, path: str, *, for_add: bool) -> tuple[str, bool]:
    """Resolve negative indexes; tell whether the last token is a missing object key."""
    if path == "":
        return path, False
    tokens = path.split("/")[1:]
    node = doc
    out: list[str] = []
    missing_key = False
    for n, raw in enumerate(tokens):
        last = n == len(tokens) - 1
        token = raw
        if isinstance(node, list) and len(raw) <= 19 and re.fullmatch(r"-[0-9]+", raw):
            idx = int(raw)
            size = len(node) + (1 if (last and for_add) else 0)
            if -idx <= size:
                token = str(size + idx)
        if last:
            missing_key = isinstance(node, dict) and _unescape(raw) not in node
        out.append(token)
        if isinstance(node, dict):
            node = node.get(_unescape(raw))
        elif isinstance(node, list) and _list_index(token, len(node)) is not None:
            node = node[int(token)]
        else:
            node = None
    return "/" + "/".join(out), missing_key


def _describe(op: dict[str, Any]) -> str:
    if op["op"] in _NEEDS_FROM:
        return f"{op['op']} {op['from']} -> {op['path']}"
    return f"{op['op']} {op['path']}"


def apply_patch(
    doc: dict[str, Any],
    ops: list[dict[str, Any]],
    *,
    file: str,
    line_of: Callable[[int], int | None] | None = None,
) -> dict[str, Any]:
    """Apply JSON patch ``ops`` to a copy of ``doc``, as Kustomize does; return the copy.

    Args:
        doc: the resource (not changed).
        ops: operations, as :func:`parse_patch` returns them.
        file: the patch file (or kustomization for an inline patch), for messages.
        line_of: maps an operation index to its line, when known.

    Raises:
        PatchError: an operation fails (a ``test`` that does not hold, a missing path);
            the message names the operation index and what it does.
    """
    import jsonpatch  # lazily: only builds with JSON patches pay for it

    check_ops(ops, file)
    result: Any = copy.deepcopy(doc)
    limit = _limits.current().max_nodes
    size = count_values(result, limit)
    for i, op in enumerate(ops):
        op = dict(op)
        if op["op"] in ("add", "replace", "copy"):
            # Each add or copy can double the resource (copy /l -> /l/-): stop at the budget.
            size += count_values(op["value"] if "value" in op else _value_at(result, op["from"]), limit)
            if size > limit:
                raise PatchError(
                    f"operation {i} ({_describe(ops[i])}) makes the resource larger than {limit:,} values "
                    f"(limit {_limits.ENV['max_nodes']})",
                    file=file, line=line_of(i) if line_of else None, step="patch")
        path, missing_key = _normalize_path(result, op["path"], for_add=op["op"] in ("add", "move", "copy"))
        op["path"] = path
        if op["op"] == "replace" and missing_key:
            op["op"] = "add"
        if "from" in op:
            op["from"], _ = _normalize_path(result, op["from"], for_add=False)
        try:
            result = jsonpatch.apply_patch(result, [op], in_place=True)
        except jsonpatch.JsonPatchTestFailed:
            actual = _resolve(result, op["path"])
            raise PatchError(
                f"operation {i} ({_describe(ops[i])}) failed: the value is {actual}, "
                f"not {json.dumps(op['value'], sort_keys=True)}",
                file=file, line=line_of(i) if line_of else None, step="patch",
            ) from None
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError, IndexError, TypeError,
                ValueError) as exc:  # ValueError: jsonpointer's int() of an index over 4,300 digits
            raise PatchError(
                f"operation {i} ({_describe(ops[i])}) cannot be applied: {_reason(exc)}",
                file=file, line=line_of(i) if line_of else None, step="patch",
            ) from None
    if not isinstance(result, dict):
        raise PatchError("the patch did not leave a mapping", file=file, step="patch")
    return go_json_roundtrip(result)


def _value_at(doc: Any, path: str) -> Any:
    """The value at ``path`` (negative indexes as Kustomize reads them), or None."""
    node = doc
    for raw in path.split("/")[1:] if path else []:
        token = _unescape(raw)
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and re.fullmatch(r"-?[0-9]{1,18}", token) and -len(node) <= int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _resolve(doc: Any, path: str) -> str:
    """The JSON text of the value at ``path``, or "missing"."""
    node = doc
    for raw in path.split("/")[1:] if path else []:
        token = _unescape(raw)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and _list_index(token, len(node)) is not None:
            node = node[int(token)]
        else:
            return "missing"
    return json.dumps(node, sort_keys=True, default=str)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ValueError) and "digits" in text:
        return "a list index out of range"
    if "can't remove a non-existent object" in text or "member" in text and "not found" in text:
        return "path does not exist"
    if "can't replace a non-existent object" in text or "can't replace outside of list" in text:
        return "path does not exist"
    return text


def go_json_roundtrip(value: Any) -> Any:
    """What a trip through Go's encoding/json does to a value: integral floats become ints."""
    if isinstance(value, dict):
        return {k: go_json_roundtrip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [go_json_roundtrip(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value
