"""Helpers of the Kubernetes validation tests: base objects, path edits, kubernetes-validate verdicts.

Imported by the test modules as ``k8s_helpers`` (the folder is put on ``sys.path``).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from compose.yamlio import load_file

HERE = Path(__file__).resolve().parent
BASES = HERE / "bases"
_TOKEN = re.compile(r'\["([^"]+)"\]|\[(\d+)\]|\.?([^.\[\]]+)')


def parse_path(text: str | list[Any]) -> tuple[Any, ...]:
    """``'spec.containers[0].env'`` -> ``('spec', 'containers', 0, 'env')``; ``["a.b"]`` quotes a key."""
    if isinstance(text, list):
        return tuple(text)
    out: list[Any] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"bad path {text!r} at {pos}")
        quoted, index, plain = m.groups()
        out.append(int(index) if index is not None else (quoted if quoted is not None else plain))
        pos = m.end()
    return tuple(out)


def base(name: str) -> dict[str, Any]:
    """A fresh copy of ``bases/<name>.yaml``."""
    return copy.deepcopy(_bases(name))


_cache: dict[str, Any] = {}


def _bases(name: str) -> Any:
    if name not in _cache:
        _cache[name] = load_file(BASES / f"{name}.yaml")[0].data
    return _cache[name]


def set_path(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set ``path`` in ``obj``, creating maps on the way; index == len appends."""
    cur = obj
    for part in path[:-1]:
        if isinstance(cur, list):
            cur = cur[part]
        else:
            cur = cur.setdefault(part, {})
    last = path[-1]
    if isinstance(cur, list) and last == len(cur):
        cur.append(value)
    else:
        cur[last] = value


def delete_path(obj: Any, path: tuple[Any, ...]) -> None:
    cur = obj
    for part in path[:-1]:
        cur = cur[part]
    del cur[path[-1]]


def build_case(case: dict[str, Any]) -> Any:
    """The object a case describes: ``object`` as is, or ``base`` with ``set`` and ``delete``."""
    if "object" in case:
        obj = copy.deepcopy(case["object"])
    else:
        obj = base(case["base"])
    for path in case.get("delete", []):
        delete_path(obj, parse_path(path))
    for path, value in (case.get("set") or {}).items():
        set_path(obj, parse_path(path), copy.deepcopy(value))
    return obj


def kv_verdict(obj: Any, version: str) -> str:
    """``"valid"`` or ``"invalid"`` by ``kubernetes_validate.validate(..., strict=True)``."""
    kv = pytest.importorskip("kubernetes_validate")
    try:
        kv.validate(obj, version, strict=True)
    except (kv.ValidationError, kv.SchemaNotFoundError):
        return "invalid"
    return "valid"


_validators: dict[tuple[str, str, str], Any] = {}


def kv_errors(obj: Any, version: str) -> list[Any]:
    """kubernetes-validate's strict schema errors for ``obj``, with a cached validator.

    Does what ``kubernetes_validate.validate(obj, version, strict=True)`` does, but keeps
    the jsonschema validator per kind so hundreds of objects validate in seconds.
    """
    pytest.importorskip("kubernetes_validate")
    import jsonschema
    from kubernetes_validate.utils import schema_contents
    from referencing import Registry, Resource

    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", obj["apiVersion"])
    key = (version, obj["kind"].lower(), api)
    validator = _validators.get(key)
    if validator is None:
        folder = f"kubernetes-json-schema/v{version}.0-local-strict"
        schema = schema_contents(f"{folder}/{key[1]}-{api}.json", version)
        defs = schema_contents(f"{folder}/_definitions.json", version)
        registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        _validators[key] = validator
    return list(validator.iter_errors(obj))
