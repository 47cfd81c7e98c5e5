"""The three map-level directives of strategic merge patch, as the API server applies them.

- ``$retainKeys: [a, b]`` in a map: every key of the base map not listed is cleared
  before the patch merges; every non-null key of the patch must be listed (nulls and the
  other two directives excepted), else the patch is invalid.
- ``$deleteFromPrimitiveList/<field>: [x, y]``: removes those values from the primitive
  list ``<field>``; nothing happens if the base lacks the field. On a list that does not
  merge (no ``merge`` strategy) the API server replaces the list with the given values;
  compose does the same.
- ``$setElementOrder/<field>: [...]``: after ``<field>`` merges, the items named (by merge
  key, or by value for primitives) come in the listed order, the others keep their base
  order and interleave as in any merge. The patch's own items must appear in the same
  relative order as in the directive.

kustomize v5.5 copies these three into its output unprocessed; compose applies them in
both list orders (see :mod:`compose.merge`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import MergeError
from .walker import (
    DELETE_FROM_PRIMITIVE_LIST,
    DIRECTIVE,
    RETAIN_KEYS,
    SET_ELEMENT_ORDER,
    Path,
    Shape,
    jtype,
    tkey,
)


def _target(key: str, prefix: str, what: str, path: Path) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise MergeError(f"invalid patch format of {what}: {key!r}", path=path)
    return rest


def delete_list_target(key: str, path: Path) -> str | None:
    """The field named by a ``$deleteFromPrimitiveList/<field>`` key, else None."""
    if not isinstance(key, str) or not key.startswith(DELETE_FROM_PRIMITIVE_LIST):
        return None
    return _target(key, DELETE_FROM_PRIMITIVE_LIST, "primitive list", path)


def apply_retain_keys(original: dict, patch: dict, path: Path) -> None:
    """Apply (and remove from ``patch``) a ``$retainKeys`` directive."""
    if RETAIN_KEYS not in patch:
        return
    keep = patch.pop(RETAIN_KEYS)
    if not isinstance(keep, list):
        raise MergeError("invalid patch format of retainKeys: not a list", path=path + (RETAIN_KEYS,))
    wanted = {tkey(k) for k in keep}
    for key, value in patch.items():
        if value is None or isinstance(key, str) and key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
            continue
        if tkey(key) not in wanted:
            raise MergeError(
                f"invalid patch format of retainKeys: {key!r} is patched but not listed in $retainKeys",
                path=path,
            )
    for key in [k for k in original if tkey(k) not in wanted]:
        del original[key]


def _check_order(patch_list: list, order: list, key: str | None, path: Path) -> None:
    """``validatePatchWithSetOrderList``: patch items must follow the directive's order."""
    if not order or not patch_list:
        return
    if key is not None:
        items = [i for i in patch_list if not (isinstance(i, dict) and i.get(DIRECTIVE) == "delete")]
    else:
        items = list(patch_list)

    def value(item: Any, where: Path) -> Any:
        if key is None:
            return tkey(item)
        if not isinstance(item, dict) or key not in item:
            raise MergeError(f"map: {item!r} does not contain declared merge key: {key}", path=where)
        return tkey(item[key])

    p = o = 0
    while p < len(items) and o < len(order):
        if isinstance(items[p], dict) and DIRECTIVE in items[p]:
            p += 1
            continue
        if value(items[p], path) == value(order[o], path):
            p += 1
        o += 1
    if p < len(items) and o >= len(order):
        raise MergeError("the order in the patch list does not match the $setElementOrder list", path=path)


def apply_set_element_order(
    walker: Any,
    original: dict,
    patch: dict,
    shape: Shape,
    path: Path,
    order_fn: Callable[..., list],
) -> None:
    """Apply (and remove from ``patch``) every ``$setElementOrder/<field>`` directive.

    The field's list is merged here (by ``walker.rules.merge_list``) and removed from the
    patch so the field loop does not merge it again; ``order_fn`` is the API server's
    ordering (:meth:`ServerRules.order_list`).
    """
    for skey in [k for k in patch if isinstance(k, str) and k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(skey)
        where = path + (skey,)
        if not isinstance(order, list):
            raise MergeError("invalid patch format of setElementOrder list: not a list", path=where)
        name = _target(skey, SET_ELEMENT_ORDER, "setElementOrder list", path)
        fpath = path + (name,)
        field = shape.field(name)
        if field is None:
            field = walker.rules.unknown_field(shape, name, fpath)
        if field.kind not in ("list", "any"):
            # The server looks the field up as a slice first (LookupPatchMetadataForSlice).
            raise MergeError("expected slice or array type, but got: struct", path=where)
        found_orig, found_patch = name in original, name in patch
        orig_list = original.get(name)
        patch_list = patch.get(name)
        if found_orig and not isinstance(orig_list, list):
            raise MergeError(f"{name} is not a list in the base", path=fpath)
        if found_patch and not isinstance(patch_list, list):
            raise MergeError(f"{name} is not a list in the patch", path=fpath)
        spec = field.list
        key = spec.keys[0] if spec.merge and spec.keys else None
        if key is None and any(jtype(i) == "map" for i in order):
            key = spec.keys[0] if spec.keys else None
        _check_order(patch_list or [], order, key, fpath)
        if found_orig and not found_patch:
            merged = orig_list
        elif found_patch and not found_orig:
            # A list the base lacks is a new value: its directives go (removeDirectives).
            merged = walker.rules.new_value(patch_list, field, fpath, True)
        elif found_orig and found_patch:
            merged = walker.rules.merge_list(walker, list(orig_list), patch_list, field, fpath, False)
            if spec.merge and key is None and orig_list and patch_list and jtype(orig_list[0]) != "map":
                # the server's dedup writes through into the base's list (see go_append_dedup)
                from .server import go_append_dedup

                orig_list = go_append_dedup(orig_list, patch_list)[1]
        else:
            continue
        if not (orig_list or patch_list):
            raise MergeError("no elements in any of the given slices", path=fpath)
        if key is not None:
            merged = [m for m in merged if not (isinstance(m, dict) and m.get(DIRECTIVE) == "delete")] + [
                m for m in merged if isinstance(m, dict) and m.get(DIRECTIVE) == "delete"
            ]
        original[name] = order_fn(merged, order, orig_list or [], key, fpath)
        patch.pop(name, None)
