"""Merge rules of the Kubernetes API server (``kubectl patch --type strategic``).

This mirrors ``k8s.io/apimachinery/pkg/util/strategicpatch`` as applied by
``kubectl patch --local`` (v1.32): field metadata from the Go struct tags, which the
OpenAPI schema carries as ``x-kubernetes-patch-strategy`` / ``x-kubernetes-patch-merge-key``.

- ``null`` deletes a key; a null for an absent key is dropped.
- A key the base lacks, or holds with another JSON type, takes the patch value with its
  nested nulls dropped and its ``$patch`` directives removed (``removeDirectives``): every
  map that carries ``$patch`` (whatever its value) goes, a field or a list item alike. So
  ``[{$patch: replace}, {name: x}]`` on a list the base lacks gives ``[{name: x}]``, and a
  new map saying ``$patch: replace`` or ``$patch: delete`` is left out entirely. The other
  directives (``$retainKeys``, ``$setElementOrder/<f>``, ``$deleteFromPrimitiveList/<f>``)
  stay in such a value, as the server leaves them.
- A new item appended to a keyed list of the base is copied verbatim: nulls and every
  directive inside it included (``kubectl patch`` keeps ``env: [{$patch: replace}, ...]``
  of a new container as it is). So is the patch's list for a list that does not merge,
  and the patch's map for a map whose strategy is ``replace``.
- Maps merge unless the field's strategy is ``replace``; lists merge only with strategy
  ``merge``, otherwise the patch's list replaces the base's.
- ``$patch: replace`` on a map returns the patch map; ``$patch: delete`` gives ``{}``;
  ``$patch: merge`` (or anything else) is an error.
- Keyed lists: ``$patch: delete`` items drop every base item with that key,
  ``$patch: replace`` makes the other patch items the whole list, ``$patch: merge`` is an
  error ("merging lists cannot yet be specified in the patch"); a patch item without the
  merge key is an error. Items match on the key type-sensitively (``"80"`` is not ``80``).
- Primitive lists with strategy merge (``finalizers``) take the union, deduplicated.
- Order: the patch's items in patch order interleaved with the untouched base items in
  base order; an untouched item goes before the next patch item only when both were in
  the base and it came first there (:func:`interleave`).
- ``$retainKeys``, ``$deleteFromPrimitiveList/<f>`` and ``$setElementOrder/<f>`` as the
  API server applies them (:mod:`compose.merge.directives`).
- A map or list under a field the struct does not know is an error, as it is for the
  server ("unable to find api field in struct ...").
"""

from __future__ import annotations

from typing import Any

from ..errors import MergeError
from . import directives
from .walker import DIRECTIVE, REMOVE, Field, Path, Rules, Shape, Walker, jtype, tkey


def interleave(patch_items: list, server_only: list, server_order: list, key_of: Any) -> list:
    """Merge two ordered lists the way ``mergeSortedSlice`` does.

    ``patch_items`` (already in patch order) and ``server_only`` (in base order) keep their
    own relative orders; at each step the server-only item goes first only if both items
    are in ``server_order`` and it comes earlier there.
    """
    index: dict[Any, int] = {}
    for i, item in enumerate(server_order):
        index.setdefault(key_of(item), i)
    out = []
    i = j = 0
    while i < len(server_only) or j < len(patch_items):
        if i >= len(server_only):
            out.append(patch_items[j])
            j += 1
        elif j >= len(patch_items):
            out.append(server_only[i])
            i += 1
        else:
            li = index.get(key_of(server_only[i]))
            ri = index.get(key_of(patch_items[j]))
            if li is not None and ri is not None and li < ri:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch_items[j])
                j += 1
    return out


def sort_by(items: list, order: list, key_of: Any) -> list:
    """``normalizeSliceOrder``: sort ``items`` by their position in ``order``.

    The API server sorts with Go's ``sort.SliceStable`` and a comparator that says "less"
    whenever either item is missing from ``order``; that is not an ordering, so items
    missing from ``order`` move in the way Go's algorithm moves them (an empty
    ``$setElementOrder`` reverses the new items and puts them after the others). This
    ports the algorithm exactly, so the result is the server's.
    """
    index: dict[Any, int] = {}
    for i, item in enumerate(order):
        index.setdefault(key_of(item), i)
    data = list(items)
    pos = [index.get(key_of(it), -1) for it in data]

    def less(i: int, j: int) -> bool:
        return pos[i] < 0 or pos[j] < 0 or pos[i] < pos[j]

    def swap(i: int, j: int) -> None:
        data[i], data[j] = data[j], data[i]
        pos[i], pos[j] = pos[j], pos[i]

    go_stable_sort(len(data), less, swap)
    return data


def go_stable_sort(n: int, less: Any, swap: Any) -> None:
    """Go's ``sort.Stable`` (insertion sort in blocks of 20, then SymMerge), step for step."""

    def insertion(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and less(j, j - 1):
                swap(j, j - 1)
                j -= 1

    def swap_range(a: int, b: int, k: int) -> None:
        for i in range(k):
            swap(a + i, b + i)

    def rotate(a: int, m: int, b: int) -> None:
        i, j = m - a, b - m
        while i != j:
            if i > j:
                swap_range(m - i, m, j)
                i -= j
            else:
                swap_range(m - i, m + j - i, i)
                j -= i
        swap_range(m - i, m, i)

    def sym_merge(a: int, m: int, b: int) -> None:
        if m - a == 1:
            i, j = m, b
            while i < j:
                h = (i + j) // 2
                if less(h, a):
                    i = h + 1
                else:
                    j = h
            for k in range(a, i - 1):
                swap(k, k + 1)
            return
        if b - m == 1:
            i, j = a, m
            while i < j:
                h = (i + j) // 2
                if not less(m, h):
                    i = h + 1
                else:
                    j = h
            for k in range(m, i, -1):
                swap(k, k - 1)
            return
        mid = (a + b) // 2
        n2 = mid + m
        if m > mid:
            start, r = n2 - b, mid
        else:
            start, r = a, m
        p = n2 - 1
        while start < r:
            c = (start + r) // 2
            if not less(p - c, c):
                start = c + 1
            else:
                r = c
        end = n2 - start
        if start < m < end:
            rotate(start, m, end)
        if a < start < mid:
            sym_merge(a, start, mid)
        if mid < end < b:
            sym_merge(mid, end, b)

    block = 20
    a, b = 0, block
    while b <= n:
        insertion(a, b)
        a, b = b, b + block
    insertion(a, n)
    while block < n:
        a, b = 0, 2 * block
        while b <= n:
            sym_merge(a, a + block, b)
            a, b = b, b + 2 * block
        if a + block < n:
            sym_merge(a, a + block, n)
        block *= 2


def element_type(path: Path, *lists: list) -> str | None:
    """The one JSON type of all items, as ``sliceElementType`` requires."""
    found = None
    for lst in lists:
        for item in lst:
            t = jtype(item)
            if found is None:
                if t == "list":
                    raise MergeError("lists of lists are not supported in a strategic merge", path=path)
                found = t
            elif t != found:
                raise MergeError("list element types are not identical", path=path)
    return found


def no_merge_key(item: dict, key: str, path: Path) -> MergeError:
    return MergeError(f"map: {item!r} does not contain declared merge key: {key}", path=path)


class ServerRules(Rules):
    """Rules of the API server's strategic merge patch."""

    def map_directive(self, original: dict, patch: dict, shape: Shape, path: Path) -> dict | None:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            del patch[DIRECTIVE]
            return patch
        if directive == "delete":
            return {}
        raise MergeError(f"unknown patch type: {directive!r} in map", path=path)

    def before_fields(self, walker: Walker, original: dict, patch: dict, shape: Shape, path: Path) -> None:
        directives.apply_retain_keys(original, patch, path)
        directives.apply_set_element_order(walker, original, patch, shape, path, self.order_list)

    def new_value(self, value: Any, field: Field | None, path: Path, absent: bool) -> Any:
        return remove_directives(strip_nulls(value))

    def replace_value(self, value: dict, field: Field, path: Path) -> Any:
        return value

    def delete_list_prefix(self, key: str, path: Path) -> str | None:
        return directives.delete_list_target(key, path)

    def unknown_field(self, shape: Shape, key: str, path: Path) -> Field:
        raise MergeError(
            f'unable to find api field in struct {shape.struct_name()} for the json field "{key}"', path=path
        )

    # -- lists ---------------------------------------------------------------------
    def merge_list(self, walker: Walker, original: list, patch: list, field: Field, path: Path,
                   delete_list: bool) -> Any:
        spec = field.list
        if delete_list:
            # The server filters even a list whose strategy is not merge; the values
            # must have the list's element type.
            element_type(path, original, patch)
            drop = {tkey(v) for v in patch}
            return [v for v in original if tkey(v) not in drop]
        if not spec.merge:
            return patch
        if not original and not patch:
            return original
        kind = element_type(path, original, patch)
        if kind != "map":
            merged, original = go_append_dedup(original, patch)
            return self.order_list(merged, patch, original, None)
        if not spec.keys:
            raise MergeError("cannot merge lists without merge key", path=path)
        key = spec.keys[0]
        original, patch = self._special_items(original, patch, key, path)
        merged = self._merge_items(walker, original, patch, key, field, path)
        return self.order_list(merged, patch, original, key, path)

    def _special_items(self, original: list, patch: list, key: str, path: Path) -> tuple[list, list]:
        plain = []
        replace = False
        for n, item in enumerate(patch):
            if DIRECTIVE not in item:
                plain.append(item)
                continue
            directive = item[DIRECTIVE]
            if directive == "delete":
                if key not in item:
                    raise no_merge_key(item, key, path + (n,))
                gone = tkey(item[key])
                original = [o for o in original if not (key in o and tkey(o[key]) == gone)]
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                raise MergeError("merging lists cannot yet be specified in the patch", path=path + (n,))
            else:
                raise MergeError(f"unknown patch type: {directive!r} in map", path=path + (n,))
        if replace:
            return plain, []
        return original, plain

    def _merge_items(self, walker: Walker, original: list, patch: list, key: str, field: Field,
                     path: Path) -> list:
        merged = list(original)
        for n, item in enumerate(patch):
            if key not in item:
                raise no_merge_key(item, key, path + (n,))
            want = tkey(item[key])
            for i, cand in enumerate(merged):
                if key in cand and tkey(cand[key]) == want:
                    merged[i] = walker.merge_map(cand, item, field.shape, path + (i,))
                    break
            else:
                merged.append(item)
        return merged

    def order_list(self, merged: list, order: list, original: list, key: str | None, path: Path = ()) -> list:
        """Split ``merged`` into items named in ``order`` and the rest, and interleave them."""
        if key is None:
            key_of = tkey
        else:
            for item in (*merged, *order):
                if key not in item:
                    raise no_merge_key(item, key, path)

            def key_of(item: dict) -> Any:
                return tkey(item.get(key))

        named = {key_of(i) for i in order}
        patch_items = [m for m in merged if key_of(m) in named]
        server_only = [m for m in merged if key_of(m) not in named]
        patch_items = sort_by(patch_items, order, key_of)
        server_only = sort_by(server_only, original, key_of)
        return interleave(patch_items, server_only, original, key_of)


def go_cap(n: int) -> int:
    """The capacity of a Go ``[]interface{}`` grown by appending ``n`` items one by one
    (``encoding/json`` decodes arrays so): 0, 1, 2, 4, 8, ... up to 512, then about 1.25x
    (past 512 Go also rounds to its size classes, which this leaves out)."""
    cap = 0
    while cap < n:  # one growslice per append that finds the array full
        cap = max(cap + 1, 2 * cap) if cap < 256 else cap + (cap + 3 * 256) // 4
        if cap <= 512:  # 16-byte items: Go's size classes are powers of two up to 8 KiB
            cap = 1 << (cap - 1).bit_length()
    return cap


def go_append_dedup(original: list, patch: list) -> tuple[list, list]:
    """``deduplicateScalars(append(original, patch...))`` with Go's slice aliasing.

    The server's dedup moves the last item into each duplicate's place. When ``original``
    had room for the patch's items (its capacity, see :func:`go_cap`), ``append`` wrote
    into its array, and those moves show through ``original``, which the server then uses
    to order the result: a base with duplicate finalizers orders differently depending on
    its length. Returns the merged items and ``original`` as the server sees it afterwards.
    """
    s = list(original) + list(patch)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if tkey(s[i]) == tkey(s[j]):
                s[j] = s[length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    shared = len(original) + len(patch) <= go_cap(len(original))
    return s[: length + 1], (s[: len(original)] if shared else original)


def dedup(items: list) -> list:
    seen = set()
    out = []
    for item in items:
        k = tkey(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def strip_nulls(value: Any) -> Any:
    """Drop null map values at any depth (``discardNullValuesFromPatch``; kyaml does the same)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def remove_directives(value: Any) -> Any:
    """Drop every map that carries ``$patch``, at any depth (the server's ``removeDirectives``).

    Returns :data:`REMOVE` when ``value`` itself is such a map. Lists lose such items; the
    other directive keys are kept.
    """
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return REMOVE
        out = {}
        for k, v in value.items():
            kept = remove_directives(v)
            if kept is not REMOVE:
                out[k] = kept
        return out
    if isinstance(value, list):
        return [kept for kept in map(remove_directives, value) if kept is not REMOVE]
    return value
