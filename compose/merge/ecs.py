"""Strategic merge for ECS inputs (RegisterTaskDefinition, RunTask), driven by :mod:`.ecs_table`.

Semantics (the user documentation is ``ECS_MERGE.md``, generated from the table):
maps merge key by key, ``null`` deletes, keyed lists merge by key keeping the base order
and appending new items in patch order, sets take the union, every other list is replaced
whole. ``$patch`` directives work as in Kubernetes, except that ``$patch: delete`` on a map
removes the field (rather than leaving ``{}``, which ECS would reject or misread).

No directive ever reaches the output: in a value the base lacks (a new field, a new list
item, the content of a ``$patch: replace``) directives are applied against an empty base
(``$patch: delete`` maps and items go, ``$patch: replace`` markers are dropped, the other
items being the whole list, ``$retainKeys`` is checked and dropped) and in a list replaced
whole a ``{$patch: replace}`` item is dropped; any other directive there is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..errors import MergeError
from .ecs_table import TABLES, Row
from .server import ServerRules, dedup, element_type, strip_nulls
from .walker import (
    ANY,
    ATOMIC_LIST,
    DIRECTIVE,
    REMOVE,
    SCHEMALESS,
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

    def map_directive(self, original: dict, patch: dict, shape: Shape, path: Path) -> dict | None:
        directive = patch.pop(DIRECTIVE)
        if directive == "replace":
            return self._fresh_map(patch, shape, path)
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
        return self._fresh(value, field or ANY, path)

    # -- values with no base: directives applied against nothing -----------------------
    def _fresh(self, value: Any, field: Field, path: Path) -> Any:
        if isinstance(value, dict):
            if DIRECTIVE in value:
                directive = value[DIRECTIVE]
                if directive == "delete":
                    return REMOVE
                if directive != "replace":
                    raise MergeError(f"unknown patch type: {directive!r} in map", path=path)
                value = {k: v for k, v in value.items() if k != DIRECTIVE}
            return self._fresh_map(value, field.shape, path)
        if isinstance(value, list):
            return self._fresh_list(value, field, path)
        return value

    def _fresh_map(self, value: dict, shape: Shape | None, path: Path) -> dict:
        shape = shape or SCHEMALESS
        value = dict(value)
        self.before_fields(_WALKER, {}, value, shape, path)  # checks and drops $retainKeys
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if self.delete_list_prefix(key, path) is not None:
                continue  # nothing to delete from
            kept = self._fresh(item, shape.field(key) or ANY, path + (key,))
            if kept is not REMOVE:
                out[key] = kept
        return out

    def _fresh_list(self, value: list, field: Field, path: Path) -> list:
        return self.merge_list(_WALKER, [], value, field, path, False)

    def merge_list(self, walker: Walker, original: list, patch: list, field: Field, path: Path,
                   delete_list: bool) -> Any:
        spec = field.list
        if delete_list:
            drop = {tkey(v) for v in patch}
            return [v for v in original if tkey(v) not in drop]
        if not spec.merge:
            return _atomic(patch, path)
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
            # The items as written, each on its own (duplicates stay for validation to report).
            return [self._fresh_map(item, field.shape, path + (n,)) for n, item in plain]
        for n, item in plain:
            want = key_of(item, path + (n,))
            for i, cand in enumerate(result):
                if key_fn(cand) == want:
                    result[i] = walker.merge_map(cand, item, field.shape, path + (i,))
                    break
            else:
                result.append(self._fresh_map(item, field.shape, path + (n,)))
        return result


def _atomic(items: list, path: Path) -> list:
    """A list replaced whole: a ``{$patch: replace}`` item says no more than that; drop it."""
    out = []
    for n, item in enumerate(items):
        if isinstance(item, Mapping) and DIRECTIVE in item:
            if item[DIRECTIVE] == "replace" and len(item) == 1:
                continue
            raise MergeError(
                f"$patch: {item[DIRECTIVE]!r} in an item of a list that is replaced whole", path=path + (n,)
            )
        out.append(strip_nulls(item))
    return out


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
