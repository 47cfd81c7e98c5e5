"""Walking a field-spec path through a manifest, as Kustomize's fieldspec filter does.

Mirrors api/filters/fieldspec/fieldspec.go: the path's keys are looked up one by one; a list met
on the way is walked element by element with the rest of the path; a key marked ``[]`` is
expected to hold a list and is never created; with ``create`` a missing key (or one holding
null) becomes an empty map on the way and ``make_leaf()`` at the end. When the path is used up,
``visit(container, key)`` is called with the container holding the value (a map or a list) and
its key or index, so the visitor can read or replace the value.

>>> doc = {"spec": {"containers": [{"image": "a"}, {"image": "b"}]}}
>>> seen = []
>>> walk(doc, "spec/containers[]/image", lambda c, k: seen.append(c[k]))
>>> seen
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import KustomizationError

__all__ = ["split_path", "walk", "locations", "Visitor"]

Visitor = Callable[[Any, Any], None]


def split_path(path: str) -> list[str]:
    """Split ``a/b\\/c/d`` into ``["a", "b/c", "d"]`` (``\\/`` escapes a slash in a key)."""
    parts = path.split("/")
    out = [parts[0]]
    for part in parts[1:]:
        if out[-1].endswith("\\"):
            out[-1] = out[-1][:-1] + "/" + part
        else:
            out.append(part)
    return out


def walk(
    obj: dict[str, Any],
    path: str,
    visit: Visitor,
    *,
    create: bool = False,
    make_leaf: Callable[[], Any] | None = None,
) -> None:
    """Call ``visit(container, key)`` for every value at ``path`` in ``obj``.

    Args:
        obj: the manifest (changed only by ``create`` and by ``visit``).
        path: a field-spec path (see compose.kustomize.transformers.fieldspecs).
        visit: called with the container and key/index of each value found.
        create: create missing maps on the way and the leaf (with ``make_leaf``).
        make_leaf: factory for a missing leaf; creation needs it (kustomize's CreateKind).

    Raises:
        KustomizationError: a scalar stands where the path needs a map or list.
    """
    holder = {"": obj}
    _filter(holder, "", split_path(path), visit, create and make_leaf is not None, make_leaf, path, [])


def locations(
    obj: dict[str, Any],
    path: str,
    *,
    create: bool = False,
    make_leaf: Callable[[], Any] | None = None,
) -> list[tuple[Any, Any, tuple[Any, ...]]]:
    """Like :func:`walk`, but return ``(container, key, concrete path)`` for each value found.

    The concrete path holds the keys and list indexes from ``obj`` to the value.
    """
    found: list[tuple[Any, Any, tuple[Any, ...]]] = []
    trail: list[Any] = []

    def visit(container: Any, key: Any) -> None:
        found.append((container, key, tuple(trail[1:])))

    holder = {"": obj}
    _filter(holder, "", split_path(path), visit, create and make_leaf is not None, make_leaf, path, trail)
    return found


def _filter(
    container: Any,
    key: Any,
    parts: list[str],
    visit: Visitor,
    create: bool,
    make_leaf: Callable[[], Any] | None,
    full: str,
    trail: list[Any],
) -> None:
    trail.append(key)
    try:
        _filter_at(container, key, parts, visit, create, make_leaf, full, trail)
    finally:
        trail.pop()


def _filter_at(
    container: Any,
    key: Any,
    parts: list[str],
    visit: Visitor,
    create: bool,
    make_leaf: Callable[[], Any] | None,
    full: str,
    trail: list[Any],
) -> None:
    if not parts:
        visit(container, key)
        return
    value = container[key]
    if isinstance(value, list):
        for i in range(len(value)):
            _filter(value, i, parts, visit, create, make_leaf, full, trail)
    elif isinstance(value, dict):
        _field(value, parts, visit, create, make_leaf, full, trail)
    elif value is None:
        return
    else:
        raise KustomizationError(
            f"expected a map or a list at {parts[0]!r} on field path {full!r}, found {type(value).__name__}",
            step="transform",
        )


def _field(
    mapping: dict[str, Any],
    parts: list[str],
    visit: Visitor,
    create: bool,
    make_leaf: Callable[[], Any] | None,
    full: str,
    trail: list[Any],
) -> None:
    name = parts[0]
    is_seq = name.endswith("[]")
    if is_seq:
        name = name[:-2]
    may_create = create and not is_seq
    if name not in mapping or mapping[name] is None:
        if name in mapping and is_seq:
            mapping[name] = []
        elif may_create:
            assert make_leaf is not None
            mapping[name] = make_leaf() if len(parts) == 1 else {}
        elif name not in mapping:
            return
    _filter(mapping, name, parts[1:], visit, create, make_leaf, full, trail)
