"""Strategic merge for ECS inputs (RegisterTaskDefinition, RunTask), driven by :mod:`.ecs_table`.

Semantics (the user documentation is ``ECS_MERGE.md``, generated from the table):
maps merge key by key, ``null`` deletes, keyed lists merge by key keeping the base order
and appending new items in patch order, sets take the union, every other list is replaced
whole. ``$patch`` directives work as in Kubernetes, except that ``$patch: delete`` on a map
removes the field (rather than leaving ``{}``, which ECS would reject or misread).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..errors import MergeError
from .ecs_table import TABLES, Row
from .server import ServerRules, dedup, element_type, strip_nulls
from .walker import (
    ATOMIC_LIST,
    DIRECTIVE,
    REMOVE,
    SET_ELEMENT_ORDER,
    Field,
    ListSpec,
    Path,
    Shape,
    Walker,
    tkey,
)


def _port_key(item: Mapping[str, Any]) -> Any:
    if "containerPort" in item and item["containerPort"] is not None:
        port = ("port", tkey(item["containerPort"]))
    elif item.get("containerPortRange") is not None:
        port = ("range", tkey(item["containerPortRange"]))
    else:
        return None
    protocol = item.get("protocol")
    return port, tkey("tcp" if protocol is None else protocol)


def _spec(row: Row) -> ListSpec:
    if row.how == "set":
        return ListSpec(merge=True)
    if row.how == "ordered":
        return ATOMIC_LIST
    if "|" in row.key:
        return ListSpec(merge=True, keys=("containerPort",), key_fn=_port_key)
    key = row.key

    def key_fn(item: Mapping[str, Any], key: str = key) -> Any:
        return tkey(item[key]) if key in item else None

    return ListSpec(merge=True, keys=(key,), key_fn=key_fn)


class EcsShape(Shape):
    """The fields under one path of an ECS request; lists get their spec from the table."""

    __slots__ = ("table", "prefix")

    def __init__(self, table: str, prefix: str) -> None:
        self.table = table
        self.prefix = prefix

    def field(self, name: str) -> Field | None:
        return _ecs_field(self.table, self.prefix + name)


@lru_cache(maxsize=None)
def _rows(table: str) -> dict[str, Row]:
    return {row.path: row for row in TABLES[table]}


@lru_cache(maxsize=None)
def _ecs_field(table: str, path: str) -> Field:
    row = _rows(table).get(path)
    if row is None:
        return Field("any", shape=EcsShape(table, path + "."))
    return Field("list", shape=EcsShape(table, path + "[]."), list=_spec(row))


class EcsRules(ServerRules):
    """Merge rules for ECS requests."""

    def map_directive(self, original: dict, patch: dict, path: Path) -> dict | None:
        directive = patch.pop(DIRECTIVE)
        if directive == "replace":
            return strip_nulls(patch)
        if directive == "delete":
            return REMOVE
        raise MergeError(f"unknown patch type: {directive!r} in map", path=path)

    def before_fields(self, walker: Walker, original: dict, patch: dict, shape: Shape, path: Path) -> None:
        for key in patch:
            if key.startswith(SET_ELEMENT_ORDER):
                raise MergeError("$setElementOrder is not supported in ECS merges", path=path + (key,))
        from .directives import apply_retain_keys

        apply_retain_keys(original, patch, path)

    def new_value(self, value: Any, field: Field | None, path: Path, absent: bool) -> Any:
        return strip_nulls(value)

    def merge_list(self, walker: Walker, original: list, patch: list, field: Field, path: Path,
                   delete_list: bool) -> Any:
        spec = field.list
        if delete_list:
            drop = {tkey(v) for v in patch}
            return [v for v in original if tkey(v) not in drop]
        if not spec.merge:
            return strip_nulls(patch)
        kind = element_type(path, original, patch)
        if kind is None:
            return original
        if spec.key_fn is None:
            if kind == "map":
                raise MergeError("a set must hold strings, not maps", path=path)
            return dedup(original + patch)
        if kind != "map":
            raise MergeError(f"items of a keyed list must be maps keyed by {spec.keys[0]}", path=path)
        return self._merge_keyed(walker, original, patch, field, path)

    def _merge_keyed(self, walker: Walker, original: list, patch: list, field: Field, path: Path) -> list:
        key_fn = field.list.key_fn
        assert key_fn is not None

        def key_of(item: dict, where: Path) -> Any:
            k = key_fn(item)
            if k is None:
                raise MergeError(f"list item has no {field.list.keys[0]}", path=where)
            return k

        result = list(original)
        plain = []
        replace = False
        for n, item in enumerate(patch):
            directive = item.get(DIRECTIVE)
            if directive is None:
                plain.append((n, item))
            elif directive == "delete":
                gone = key_of(item, path + (n,))
                result = [o for o in result if key_fn(o) != gone]
            elif directive == "replace":
                replace = True
            else:
                raise MergeError(f"unknown patch type: {directive!r} in list item", path=path + (n,))
        if replace:
            return [strip_nulls(item) for _, item in plain]
        for n, item in plain:
            want = key_of(item, path + (n,))
            for i, cand in enumerate(result):
                if key_fn(cand) == want:
                    result[i] = walker.merge_map(cand, item, field.shape, path + (i,))
                    break
            else:
                result.append(strip_nulls(item))
        return result


_WALKER = Walker(EcsRules())


def ecs_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict:
    """Merge an ECS overlay into a ``RegisterTaskDefinition`` input; return a new dict.

    Args:
        base: the task definition input (``family``, ``containerDefinitions``, ...).
        patch: the overlay, same shape, with optional ``$patch`` directives and nulls.

    Returns:
        A new dict; neither input is modified.

    Raises:
        MergeError: a keyed-list item lacks its key, a directive is unknown, ...

    >>> base = {"family": "f", "containerDefinitions": [
    ...     {"name": "flow", "image": "a", "environment": [{"name": "A", "value": "1"}]}]}
    >>> patch = {"containerDefinitions": [{"name": "flow", "environment": [{"name": "B", "value": "2"}]}]}
    >>> [e["name"] for e in ecs_merge(base, patch)["containerDefinitions"][0]["environment"]]
    ['A', 'B']
    """
    return _WALKER.merge(base, patch, EcsShape("RegisterTaskDefinition", ""))


def run_task_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict:
    """Merge an overlay into a ``RunTask`` input (``overrides``, ``capacityProviderStrategy``, ...).

    Same rules as :func:`ecs_merge`, with the RunTask rows of the table.
    """
    return _WALKER.merge(base, patch, EcsShape("RunTask", ""))
