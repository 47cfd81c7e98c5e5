"""Merge rules of kustomize v5.5 (kyaml ``merge2``), as ``kubectl kustomize`` applies a patch.

What differs from the API server (:mod:`compose.merge.server`), each seen with
``kubectl kustomize`` (v5.5.0):

- Keyed lists: the patch's items come first, in patch order (merged with their base
  items), then the untouched base items in base order.
- Lists keyed by several fields (``x-kubernetes-list-map-keys``: container ``ports`` by
  ``containerPort`` and ``protocol``, ``topologySpreadConstraints`` by ``topologyKey`` and
  ``whenUnsatisfiable``): a patch item whose key fields equal a base item's (a missing
  field counts as empty) merges into it in place; a patch item that agrees with some base
  item on every field both set, but is not equal to it (``81`` vs ``81/TCP``), is dropped;
  the others are new and go first, in patch order. Base items keep their order.
- Lists that kustomize's embedded (older) schema does not know as keyed
  (``schedulingGates``, ``resourceClaims``) are replaced whole.
- Kinds absent from the schema (custom resources) and unknown fields merge maps key by
  key and replace every list, ``metadata.finalizers`` included.
- Nulls inside new values are dropped, new list items included (the API server copies
  a new list item verbatim and drops nulls only in a new field's value).
- ``$patch`` directives inside new values are applied, not copied: a new field, a new
  keyed-list item, a map replaced by ``$patch: replace`` and the items of a list replaced
  by ``$patch: replace`` are merged "with themselves" by kyaml, so in them a map saying
  ``$patch: delete`` goes, ``$patch: replace`` / ``merge`` are dropped and the rest kept,
  a keyed-list item saying ``$patch: delete`` goes. Lists that do not merge (``args``,
  ``tolerations``, ...) are copied as they are, directives and all, as kyaml copies them.
  (The API server differs here: it copies a new list item verbatim, directives included.)
- Two deliberate differences, where ``kubectl kustomize`` would put a ``$patch`` into its
  output: a ``{$patch: replace}`` item in a keyed list the base lacks makes the other
  items the list (kustomize outputs ``[{$patch: replace}]`` alone, losing the items), and
  so it does in a list keyed by several fields (kustomize copies such a new list
  verbatim); an unknown ``$patch`` value in a new map is an error (kustomize copies it).
- A patch item without its merge key is an error, as for the API server (kustomize
  empties the whole list instead; compose refuses rather than copy that).
- ``$patch: delete`` on a map removes the field (the API server leaves ``{}``);
  ``$patch: merge`` is accepted and ignored.
- A ``null`` that empties the object's own ``metadata.annotations`` removes it; other
  maps emptied that way stay as ``{}``.
- Primitive lists that merge (``finalizers``): the patch's values, then the base's others.

``$retainKeys``, ``$deleteFromPrimitiveList/<f>`` and ``$setElementOrder/<f>`` are applied
as the API server does (kustomize copies them unprocessed; compose deliberately does not).
"""

from __future__ import annotations

from typing import Any

from ..errors import MergeError
from .server import ServerRules, dedup, element_type, no_merge_key, strip_nulls
from .walker import ANY, DIRECTIVE, REMOVE, SCHEMALESS, Field, Path, Shape, Walker


def _text(value: Any) -> str:
    """A scalar as kyaml compares it: by its YAML text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class KustomizeRules(ServerRules):
    """Rules of kyaml merge2 with kustomize's list order."""

    def map_directive(self, original: dict, patch: dict, shape: Shape, path: Path) -> dict | None:
        directive = patch.pop(DIRECTIVE)
        if directive == "replace":
            return self._fresh_map(patch, shape, path)
        if directive == "delete":
            return REMOVE
        if directive == "merge":
            return None
        raise MergeError(f"unknown patch type: {directive!r} in map", path=path)

    def new_value(self, value: Any, field: Field | None, path: Path, absent: bool) -> Any:
        return self._fresh(value, field or ANY, path)

    # -- new values: applied as kyaml applies a subtree merged "with itself" ----------
    def _fresh(self, value: Any, field: Field, path: Path) -> Any:
        if isinstance(value, dict):
            if DIRECTIVE in value:
                directive = value[DIRECTIVE]
                if directive == "delete":
                    return REMOVE
                if directive not in ("replace", "merge"):
                    raise MergeError(f"unknown patch type: {directive!r} in map", path=path)
                value = {k: v for k, v in value.items() if k != DIRECTIVE}
            return self._fresh_map(value, field.shape, path)
        if isinstance(value, list):
            return self._fresh_list(value, field, path)
        return value

    def _fresh_map(self, value: dict, shape: Shape | None, path: Path) -> dict:
        shape = shape or SCHEMALESS
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if key.startswith("$"):
                # $retainKeys, $setElementOrder/..., $deleteFromPrimitiveList/...: with no
                # base to act on they stay, as the API server leaves them (see module doc).
                out[key] = strip_nulls(item)
                continue
            kept = self._fresh(item, shape.field(key) or ANY, path + (key,))
            if kept is not REMOVE:
                out[key] = kept
        return out

    def _fresh_list(self, value: list, field: Field, path: Path) -> list:
        spec = field.list
        if not spec.merge or not spec.keys or not all(isinstance(i, dict) for i in value):
            return strip_nulls(value)
        _, plain, _ = self._directive_items([], value, spec.keys, path)
        out = []
        for n, item in enumerate(plain):
            kept = self._fresh_map(item, field.shape, path + (n,))
            out.append(kept)
        return out

    def unknown_field(self, shape: Shape, key: str, path: Path) -> Field:
        return ANY

    def finish_map(self, result: dict, path: Path) -> dict:
        if path == ("metadata", "annotations") and not result:
            return REMOVE
        return result

    def merge_list(self, walker: Walker, original: list, patch: list, field: Field, path: Path,
                   delete_list: bool) -> Any:
        spec = field.list
        if delete_list:
            return super().merge_list(walker, original, patch, field, path, delete_list)
        if not spec.merge:
            return strip_nulls(patch)
        kind = element_type(path, original, patch)
        if kind is None:
            return original
        if kind != "map":
            merged = dedup(patch + original)
            return merged
        if not spec.keys:
            raise MergeError("cannot merge lists without merge key", path=path)
        if len(spec.keys) > 1:
            return self._merge_multi_key(walker, original, patch, field, path)
        return self._merge_keyed(walker, original, patch, field, path)

    def _directive_items(self, original: list, patch: list, keys: tuple[str, ...], path: Path,
                         ) -> tuple[list, list, bool]:
        plain = []
        replace = False
        for n, item in enumerate(patch):
            directive = item.get(DIRECTIVE)
            if directive is None:
                plain.append(item)
            elif directive == "delete":
                if keys[0] not in item:
                    raise no_merge_key(item, keys[0], path + (n,))
                gone = tuple(_text(item.get(k)) for k in keys)
                original = [o for o in original if tuple(_text(o.get(k)) for k in keys) != gone]
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                item = dict(item)
                del item[DIRECTIVE]
                plain.append(item)
            else:
                raise MergeError(f"unknown patch type: {directive!r} in map", path=path + (n,))
        return original, plain, replace

    def _merge_keyed(self, walker: Walker, original: list, patch: list, field: Field, path: Path) -> list:
        key = field.list.keys[0]
        original, plain, replace = self._directive_items(original, patch, (key,), path)
        if replace:
            return self._fresh_list(plain, field, path)
        front: list = []
        used: set[int] = set()
        for n, item in enumerate(plain):
            if key not in item:
                raise no_merge_key(item, key, path + (n,))
            want = _text(item[key])
            for i, cand in enumerate(original):
                if i not in used and _text(cand.get(key)) == want:
                    used.add(i)
                    front.append(walker.merge_map(cand, item, field.shape, path + (i,)))
                    break
            else:
                front.append(self._fresh_map(item, field.shape, path + (n,)))
        return front + [o for i, o in enumerate(original) if i not in used]

    def _merge_multi_key(self, walker: Walker, original: list, patch: list, field: Field, path: Path) -> list:
        keys = field.list.keys
        original, plain, replace = self._directive_items(original, patch, keys, path)
        if replace:
            return self._fresh_list(plain, field, path)

        def fields(item: dict) -> tuple[str, ...]:
            return tuple(_text(item.get(k)) for k in keys)

        new: list = []
        merged = list(original)
        for n, item in enumerate(plain):
            if keys[0] not in item:
                raise no_merge_key(item, keys[0], path + (n,))
            mine = fields(item)
            exact = next((i for i, o in enumerate(merged) if fields(o) == mine), None)
            if exact is not None:
                merged[exact] = walker.merge_map(merged[exact], item, field.shape, path + (exact,))
                continue
            clash = any(
                all(a == b or not a or not b for a, b in zip(fields(o), mine)) for o in merged
            )
            if not clash:
                new.append(self._fresh_map(item, field.shape, path + (n,)))
        return new + merged

