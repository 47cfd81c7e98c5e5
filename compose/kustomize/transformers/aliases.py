"""Label and annotation values that Kustomize shares between fields, and keeps in step.

Kustomize v5.5's label and annotation transformers create one YAML node per key and
resource, and insert that same node at every field where the key was missing (selector,
pod template, metadata...). Later writes that *update* an existing key copy into the node,
so they reach every field sharing it: an overlay's ``labels:`` without selectors that changes
a key the base added with ``commonLabels`` changes the selectors too, and so does a strategic
merge patch that changes one of those fields. A JSON 6902 patch rebuilds the resource and
ends the sharing.

This module keeps, beside each resource, groups of ``(map path, key)`` that share a value
(path: keys and list indexes from the resource root to the labels/annotations map), and
applies those rules. Sharing is judged by value: a member whose value no longer equals the
group's is no longer in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..resource import Resource

__all__ = ["record", "propagate", "after_patch", "forget"]

Member = tuple[tuple[Any, ...], str]
_ATTR = "shared_values"


def _groups(res: Resource) -> list[list[Member]]:
    groups = getattr(res, _ATTR, None)
    if groups is None:
        groups = []
        setattr(res, _ATTR, groups)
    return groups


def _resolve(data: Any, path: Sequence[Any]) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def record(res: Resource, members: list[Member]) -> None:
    """Remember that ``members`` were just given one shared value."""
    if len(members) > 1:
        _groups(res).append(list(members))


def propagate(res: Resource, member: Member, old: Any, new: Any) -> None:
    """An existing shared value at ``member`` changed from ``old`` to ``new``: update its group."""
    for group in _groups(res):
        if member not in group:
            continue
        for path, key in group:
            target = _resolve(res.data, path)
            if isinstance(target, dict) and key in target and target[key] == old:
                target[key] = new


def after_patch(res: Resource, before: dict[str, Any], *, strategic: bool) -> None:
    """Keep shared values in step after a patch changed ``res.data`` (``before``: the old data).

    Args:
        res: the patched resource.
        before: its data before the patch.
        strategic: True for a strategic merge patch (a changed member updates its group),
            False for a JSON 6902 patch (all sharing ends).
    """
    if not strategic:
        forget(res)
        return
    for group in _groups(res):
        new_value: Any = None
        changed = False
        for path, key in group:
            old_map, new_map = _resolve(before, path), _resolve(res.data, path)
            if not (isinstance(old_map, dict) and isinstance(new_map, dict)):
                continue
            if key in old_map and key in new_map and new_map[key] != old_map[key]:
                new_value, changed = new_map[key], True
        if not changed:
            continue
        for path, key in group:
            old_map, new_map = _resolve(before, path), _resolve(res.data, path)
            if isinstance(old_map, dict) and isinstance(new_map, dict) and key in new_map:
                if key in old_map and new_map[key] == old_map[key]:
                    new_map[key] = new_value


def forget(res: Resource) -> None:
    """End all sharing for ``res``."""
    if getattr(res, _ATTR, None):
        setattr(res, _ATTR, [])
