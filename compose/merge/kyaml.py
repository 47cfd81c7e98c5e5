"""Strategic merge as ``kubectl kustomize`` (Kustomize v5.5, kyaml v0.18.1) applies a patch.

A port of kyaml's ``walk.Walker`` with the ``merge2.Merger`` visitor and
``ListIncreaseDirection: Prepend``, on plain data instead of YAML nodes. Porting the
algorithm, rather than describing its results rule by rule, is what makes its odd corners
come out the same (each verified with ``kubectl kustomize``; the fuzzer in
``tests/merge/fuzz.py`` compares thousands of pairs):

- Every keyed list of the base is walked, also the lists the patch does not touch: items
  with the same merge key collapse into one, the last of them winning (``env`` with two
  ``HOME``: the second stays, at the first's place).
- Keyed lists come out as the patch's keys in patch order, then the base's others in base
  order; a base item replaces (by key) the walked item, so a patch item saying
  ``$patch: replace`` for an existing key leaves the base item unchanged.
- Lists keyed by several fields (container ``ports`` by ``containerPort`` and
  ``protocol``) match items on the fields both set; an item missing its key goes to the
  end and removes the items before it (kyaml's ``ElementSetter`` with no value).
- Empty maps and nulls inside keyed lists are dropped when the list is rebuilt.
- A value whose YAML kind differs from the base's (a map patched with a scalar) is an
  error: "wrong node kind".
- ``$patch`` directives: on a map (``delete`` removes the field, ``replace`` takes the
  patch's map, ``merge`` is dropped), in a keyed list (the first item holding only
  ``$patch`` applies to the list), and in new values, which kyaml merges "with
  themselves".
- A field keeps the style of the value it overwrites (``FieldSetter``): a base value written
  quoted or as a block (``"abc"``, ``'1'``, ``|``) overwritten by a number or boolean gives
  the string of the patch's text (``3`` -> ``"3"``, ``2.50`` -> ``"2.50"``), and keeps that
  style for later patches; a plain base value gives the patch's value as typed, and a null
  one counts as plain; a new field takes the patch's style. The styles come from
  :class:`Styles` (side tables the loader keeps, see compose/yamlio.py); without them (plain
  dicts, generated resources, after a JSON 6902 patch, which kustomize applies to JSON) a
  string is taken as quoted when YAML must quote it (``"1"``, ``"true"``), as kyaml writes
  such a string when it makes the node.
- The object's ``metadata.annotations`` left empty, or a scalar, is removed; its values
  become strings (kustomize's resource layer reads the annotations and writes them back
  when it strips its build annotations); the object keeps its name and kind.

What compose does deliberately differently, where kyaml would put a directive into the
output (no API server accepts it) or silently drop items: ``$retainKeys``,
``$deleteFromPrimitiveList/<f>`` and ``$setElementOrder/<f>`` are applied as the API
server applies them (kyaml copies them through); a directive item in a keyed list the
base lacks is applied (kyaml outputs ``[{$patch: replace}]`` alone, losing the other
items); a patch item without its merge key is an error (kyaml deletes every keyed item of
the list); an unknown ``$patch`` value is an error everywhere (kyaml copies it into a new
map). Lists the quadratic general code must handle are capped at
:data:`GENERAL_LIST_BUDGET` items.

The port keeps kyaml's mutation in place of shared nodes; :func:`merge` works on copies.
"""

from __future__ import annotations

from typing import Any

from ..errors import MergeError
from . import directives
from .walker import (
    DIRECTIVE,
    RETAIN_KEYS,
    SET_ELEMENT_ORDER,
    Field,
    Path,
    Shape,
    copy_tree,
    tkey,
)


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Any = _Sentinel("MISSING")  # Go's nil *RNode: no such field or element
CLEAR: Any = _Sentinel("CLEAR")  # walk.ClearNode: remove the field
DELETE: Any = _Sentinel("DELETE")  # ElementSetter with a nil Element: delete the matches

SMP_MERGE, SMP_REPLACE, SMP_DELETE = "merge", "replace", "delete"
# kyaml's general list merge is quadratic; lists it handles (several keys, items without
# a key, duplicate-free fast path not applicable) are capped. About 1.5 s at the cap.
GENERAL_LIST_BUDGET = 512
_KIND_NAMES = {"map": "MappingNode", "seq": "SequenceNode", "scalar": "ScalarNode"}


def text(value: Any) -> str:
    """A node's ``Value`` as kyaml compares it: a scalar's YAML text, "" for maps and lists."""
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return ""
    return str(value)


def _from_text(value: str) -> Any:
    """A scalar kyaml wrote from text (``NewScalarRNode``): plain style, so YAML types it."""
    if value.lstrip("-").isdigit():
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


class Styles:
    """The style side tables of one kustomize-order merge, by field path (tuples of keys and
    list indexes, as :class:`compose.yamlio.Document` keeps them).

    Attributes:
        base_quoted: paths of the base's fields written quoted or as a block; ``None`` when
            unknown (then :func:`quoted` decides from the string).
        patch_quoted: likewise for the patch.
        patch_texts: path -> source text of the patch's plain numbers and booleans.
        result_quoted: set by :func:`merge`: the merged object's quoted fields (``None``
            when the base's were unknown).
    """

    __slots__ = ("base_quoted", "patch_quoted", "patch_texts", "result_quoted")

    def __init__(self, base_quoted: set | None, patch_quoted: set | None = None,
                 patch_texts: dict | None = None) -> None:
        self.base_quoted = base_quoted
        self.patch_quoted = patch_quoted or set()
        self.patch_texts = patch_texts or {}
        self.result_quoted: set | None = None


def _by_identity(tree: Any, paths: Any, keep: list) -> list[tuple[int, Any]]:
    """``(id(parent map), key)`` of each path in ``paths`` naming a field of a map in ``tree``;
    the maps are added to ``keep``."""
    out = []
    for path in paths:
        node = tree
        for step in path[:-1]:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if isinstance(node, dict) and path and path[-1] in node:
            keep.append(node)
            out.append((id(node), path[-1]))
    return out


def _quoted_paths(tree: Any, marks: set, path: Path = ()) -> set:
    """The paths of ``tree``'s map fields whose ``(id(map), key)`` is in ``marks``."""
    out: set = set()
    stack = [(tree, path)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            ident = id(node)
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    stack.append((value, at + (key,)))
                elif (ident, key) in marks:
                    out.add(at + (key,))
        elif isinstance(node, list):
            stack.extend((value, at + (i,)) for i, value in enumerate(node) if isinstance(value, (dict, list)))
    return out


def quoted(value: str) -> bool:
    """Whether any YAML text of the string ``value`` quotes it (it would read back as
    another type, or cannot be written plain): kyaml then keeps the quotes when a patch
    overwrites it, so ``"1"`` patched with ``2`` gives ``"2"``. Strings a file may quote
    by choice (``"abc"``) are not visible in parsed data; PyYAML writes those plain."""
    import yaml

    out = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True)
    return out[:1] in ("'", '"')


def _kind(value: Any) -> str | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "seq"
    return "scalar"


def _missing_or_null(value: Any) -> bool:
    return value is MISSING or value is None or value is CLEAR


def _empty_map(value: Any) -> bool:
    return _missing_or_null(value) or (isinstance(value, dict) and not value)


# -- directives --------------------------------------------------------------------------
def _smp(value: Any, path: Path) -> str:
    v = text(value)
    if v in (SMP_DELETE, SMP_REPLACE, SMP_MERGE):
        return v
    raise MergeError(f"unknown patch strategy {v!r}", path=path)


def map_directive(patch: Any, path: Path) -> str:
    """``determineMappingNodePatchStrategy``: the map's ``$patch``, removed from it."""
    if not isinstance(patch, dict) or DIRECTIVE not in patch:
        return SMP_MERGE
    ps = _smp(patch[DIRECTIVE], path)
    del patch[DIRECTIVE]
    return ps


def seq_directive(patch: Any, path: Path) -> str:
    """``determineSequenceNodePatchStrategy``: a list item holding only ``$patch``."""
    if not isinstance(patch, list):
        return SMP_MERGE
    item = next((i for i in patch if isinstance(i, dict) and DIRECTIVE in i), None)
    if item is None or len(item) > 1:
        return SMP_MERGE
    ps = _smp(item[DIRECTIVE], path)
    element_setter(patch, DELETE, [DIRECTIVE], [ps], path)
    return ps


# -- kyaml's list primitives -------------------------------------------------------------
def field_matcher(node: Any, name: str, value: str, path: Path) -> Any:
    """``FieldMatcher{Name, StringValue}``: the field's value, or MISSING."""
    if _missing_or_null(node):
        return MISSING
    if name == "":
        if isinstance(node, (dict, list)):
            raise MergeError(f"wrong node kind: expected ScalarNode but got {_KIND_NAMES[_kind(node)]}", path=path)
        return node if text(node) == value else MISSING
    if not isinstance(node, dict):
        raise MergeError(f"wrong node kind: expected MappingNode but got {_KIND_NAMES[_kind(node)]}", path=path)
    if name not in node:
        return MISSING
    if value != "" and text(node[name]) != value:
        return MISSING
    return node[name]


def element_setter(items: list, element: Any, keys: list[str], values: list[str], path: Path) -> None:
    """``ElementSetter``: replace the items matching ``keys``/``values`` with ``element``
    (delete them for :data:`DELETE`), append it when none matched; empty items go."""
    if not keys:
        keys = [""]
    mapping_setter = keys[0] != "" and bool(values) and values[0] != ""
    out = []
    found_any = False
    for item in items:
        if _empty_map(item):
            continue
        if not isinstance(item, dict) and mapping_setter:
            out.append(item)
            continue
        found = True
        val: Any = MISSING
        for j in range(len(keys)):
            if j < len(values):
                val = field_matcher(item, keys[j], values[j], path)
            if val is MISSING:
                found = False
                break
        if not found:
            if values:
                out.append(item)
            continue
        found_any = True
        if element is DELETE:
            continue
        out.append(element)
    items[:] = out
    if element is DELETE or _missing_or_null(element):
        return
    if not found_any:
        items.append(element)


def element_list(items: Any, keys: list[str], values: list[str], path: Path) -> Any:
    """``ElementList`` / ``ElementMatcher``: the first item matching every key's value."""
    if not isinstance(items, list):
        return MISSING
    if not keys or keys[0] == "":
        want = values[0] if values else ""
        return next((i for i in items if text(i) == want), MISSING)
    if len(keys) != len(values):
        raise MergeError("length of keys must equal length of values", path=path)
    for item in items:
        if not isinstance(item, dict):
            continue
        # MatchField: the field must be there and its text equal, "" included.
        if all(k in item and text(item[k]) == v for k, v in zip(keys, values)):
            return item
    return MISSING


def validate_keys(values_list: list[list[str]], values: list[str], keys: list[str]) -> tuple[list[str], list[str]]:
    valid = {keys[i] for vals in values_list for i, v in enumerate(vals) if v != ""}
    if not valid:
        return keys, values
    return [k for k in keys if k in valid], [v for i, v in enumerate(values) if v != "" or keys[i] in valid]


def _match(a: list[str], b: list[str]) -> tuple[bool, list[str]]:
    if len(a) != len(b):
        return False, []
    common = False
    res = []
    for x, y in zip(a, b):
        if x == y:
            common = True
            res.append(x)
        elif x and y:
            return False, []
        else:
            res.append(x or y)
    return common, res


def merge_values(values_list: list[list[str]]) -> None:
    for i in range(len(values_list)):
        first = values_list[i]
        for j in range(len(values_list)):
            matched, vals = _match(first, values_list[j])
            if matched:
                values_list[i] = vals
                values_list[j] = vals


def append_list_node(dst: list, src: list, keys: list[str], path: Path) -> list:
    for elem in list(src):
        if keys[0] == "":
            element_setter(dst, elem, [""], [text(elem)], path)
            continue
        v: list[str] = []
        for key in keys:
            got = field_matcher(elem, key, "", path)
            if got is MISSING:
                dst.append(elem)
                continue
            v.append(text(got))
        if len(keys) > 1:
            element_setter(dst, DELETE, keys, v, path)
        element_setter(dst, elem, keys, v, path)
    return dst


# -- the walker --------------------------------------------------------------------------
class KyamlMerge:
    """One merge: ``walk([dest, origin], schema)`` as kyaml's Walker does."""

    fast = True  # the linear path for simple keyed lists (tests compare it with the general one)

    def __init__(self, marks: set | None = None, texts: dict | None = None) -> None:
        # ``(id(map), key)`` of the fields styled quoted (None: unknown, ask :func:`quoted`),
        # and the patch's source texts of numbers and booleans by the same pairs.
        self.marks = marks
        self.texts = texts or {}

    def walk(self, sources: list, schema: Field | None, path: Path) -> Any:
        kind = next((k for k in map(_kind, sources) if k is not None), None)
        if kind is not None:
            for s in sources:
                other = _kind(s)
                if other is not None and other != kind:
                    raise MergeError(
                        f"wrong node kind: expected {_KIND_NAMES[kind]} but got {_KIND_NAMES[other]}", path=path
                    )
        if kind == "seq":
            if schema is not None and schema.kind == "list" and schema.list.merge:
                return self.walk_associative(sources, schema, path)
            origin = sources[1]
            return origin if origin is not MISSING else sources[0]
        if kind == "scalar":
            origin = sources[1]
            return origin if origin is not MISSING else sources[0]
        return self.walk_map(sources, schema, path)

    # maps
    def visit_map(self, sources: list, path: Path) -> Any:
        dest, origin = sources
        if _missing_or_null(dest):
            if map_directive(origin, path) == SMP_DELETE:
                return CLEAR
            return origin
        if origin is None:
            return CLEAR
        ps = map_directive(origin, path)
        if ps == SMP_DELETE:
            return CLEAR
        if ps == SMP_REPLACE:
            return origin
        return dest

    def walk_map(self, sources: list, schema: Field | None, path: Path) -> Any:
        dest = self.visit_map(sources, path)
        if _missing_or_null(dest):
            return dest
        origin = sources[1]
        orders: list[tuple[str, list, Any, Any]] = []
        if isinstance(origin, dict) and origin is not dest:
            orders = self.server_directives(dest, origin, schema, path)
        sources = [dest, origin]
        shape: Shape | None = schema.shape if schema is not None else None
        names = sorted({k for s in sources if isinstance(s, dict) for k in s}, key=text)
        for key in names:
            fv = [s.get(key, MISSING) if isinstance(s, dict) else MISSING for s in sources]
            sub = shape.field(key) if shape is not None else None
            val = self.walk(fv, sub, path + (key,))
            if _kind(val) == "scalar":
                val = self.styled(dest, origin, key, fv[0], val)
            if _missing_or_null(val):
                dest.pop(key, None)
            else:
                dest[key] = val
        for name, order, original, patch_list in orders:
            self.set_order(dest, name, order, original, patch_list, schema, path)
        return dest

    def styled(self, dest: dict, origin: Any, key: Any, old: Any, val: Any) -> Any:
        """``val`` set as field ``key`` of ``dest`` over ``old``: FieldSetter keeps the style
        of the value it overwrites, so a number or boolean over a quoted value is a string."""
        marks = self.marks
        if marks is None:
            if isinstance(old, str) and not isinstance(val, str) and quoted(old):
                return text(val)
            return val
        if old is MISSING:  # a new field: the patch's style
            if isinstance(origin, dict) and origin is not dest and (id(origin), key) in marks:
                marks.add((id(dest), key))
            return val
        if old is None or old is CLEAR:  # a null's style is plain
            marks.discard((id(dest), key))
            return val
        if not isinstance(val, str) and (id(dest), key) in marks:
            got = self.texts.get((id(origin), key)) if isinstance(origin, dict) else None
            return got if got is not None else text(val)
        return val

    # lists
    def walk_associative(self, sources: list, schema: Field, path: Path) -> Any:
        dest, origin = sources
        if _missing_or_null(dest):
            if isinstance(origin, list) and schema.list.keys:
                self.new_list_directives(origin, path)
            dest = origin
        elif origin is None:
            return CLEAR
        else:
            ps = seq_directive(origin, path)
            if ps == SMP_DELETE:
                return CLEAR
            if ps == SMP_REPLACE:
                dest = origin
        if _missing_or_null(dest):
            return dest
        keys = list(schema.list.keys)
        if keys and isinstance(origin, list) and origin is not dest:
            for n, item in enumerate(origin):
                if isinstance(item, dict) and keys[0] not in item and not (DIRECTIVE in item and len(item) == 1):
                    # Deliberate: kyaml deletes every keyed item of the list here.
                    raise MergeError(f"map: {item!r} does not contain declared merge key: {keys[0]}",
                                     path=path + (n,))
        sources = [dest, origin]
        if self.fast:
            done = self.unique_keys_merge(sources, keys, schema, path)
            if done is not None:
                return done
        size = len(dest) + (len(origin) if isinstance(origin, list) and origin is not dest else 0)
        if size > GENERAL_LIST_BUDGET:
            raise MergeError(
                f"a list of {size} items keyed by several fields, or with items lacking their key, is over "
                f"the budget of {GENERAL_LIST_BUDGET} items of a kustomize-order merge (its cost grows with "
                "the square of the length)", path=path)
        values = self.element_values(sources, keys)
        if values or keys:
            return self.set_elements(sources, values, keys, dest, schema, path)
        return self.set_elements(sources, self.primitive_values(sources), [""], dest, schema, path)

    def unique_keys_merge(self, sources: list, keys: list[str], schema: Field, path: Path) -> list | None:
        """What :meth:`set_elements` gives, in linear time, when it is simple: one key (or
        none, for primitives) that every item holds as a non-empty scalar. ``None`` when
        the list is not that simple (then the general code runs).

        Walking the first items of each key in turn, deleting the emptied ones and putting
        the base's items back by key (``appendListNode``) comes down to: the keys in
        patch-then-base order, each giving the base's last item with that key if one is
        left, else the walked item.
        """
        if len(keys) > 1:
            return None
        key = keys[0] if keys else None
        firsts: list[dict[str, Any]] = []
        last: dict[str, Any] = {}
        for n, src in enumerate(sources):
            first: dict[str, Any] = {}
            for item in src if isinstance(src, list) else ():
                if key is None:
                    if isinstance(item, (dict, list)) or item is None:
                        return None
                    t = text(item)
                else:
                    if not isinstance(item, dict) or _kind(item.get(key)) != "scalar":
                        return None
                    t = text(item[key])
                if t == "":
                    return None
                first.setdefault(t, item)
                if n == 0:
                    last[t] = item
            firsts.append(first)
        dest_first, origin_first = firsts
        order = list(origin_first) + [t for t in dest_first if t not in origin_first]
        elem_schema = Field("object", shape=schema.shape) if schema.shape is not None else None
        out = []
        for t in order:
            val = self.walk([dest_first.get(t, MISSING), origin_first.get(t, MISSING)], elem_schema, path + (t,))
            if _empty_map(val):
                last.pop(t, None)
                continue
            if key is not None and isinstance(val, dict) and key not in val:
                val[key] = _from_text(t)
            # appendListNode puts the base's items back by key: the last one with the key wins
            out.append(last.get(t, val))
        dest = sources[0]
        dest[:] = out
        return dest

    def new_list_directives(self, origin: list, path: Path) -> None:
        """Deliberate difference: in a keyed list the base lacks, a ``{$patch: replace}``
        (or ``merge``) item is dropped and the other items kept, as the API server does."""
        kept = []
        for n, item in enumerate(origin):
            if isinstance(item, dict) and DIRECTIVE in item and len(item) == 1:
                _smp(item[DIRECTIVE], path + (n,))
                continue
            kept.append(item)
        origin[:] = kept

    @staticmethod
    def element_values(sources: list, keys: list[str]) -> list[list[str]]:
        out: list[list[str]] = []
        seen: set[tuple[str, ...]] = set()
        for src in (sources[1], sources[0]):  # Prepend: the patch's items first
            if not isinstance(src, list):
                continue
            for item in src:
                vals = [text(item.get(k)) if isinstance(item, dict) and not _empty_value(item.get(k)) else ""
                        for k in keys]
                if vals and tuple(vals) not in seen:
                    seen.add(tuple(vals))
                    out.append(vals)
        return out

    @staticmethod
    def primitive_values(sources: list) -> list[list[str]]:
        out: list[list[str]] = []
        seen: set[str] = set()
        for src in (sources[1], sources[0]):
            if not isinstance(src, list):
                continue
            for item in src:
                t = text(item)
                if t not in seen:
                    seen.add(t)
                    out.append([t])
        return out

    def set_elements(self, sources: list, values_list: list[list[str]], keys: list[str], dest: list,
                     schema: Field, path: Path) -> Any:
        items: list = []
        elem_schema = Field("object", shape=schema.shape) if schema.shape is not None else None
        if len(keys) > 1:
            merge_values(values_list)
        valid_keys, valid_values = keys, []
        for values in values_list:
            if not values:
                continue
            valid_keys, valid_values = validate_keys(values_list, values, keys)
            vk, vv = validate_keys([valid_values], valid_values, valid_keys)
            elems = [element_list(s, vk, vv, path) if s is not MISSING else MISSING for s in sources]
            where = path + (tuple(valid_values) if len(valid_values) > 1 else (valid_values or [""])[0],)
            val = self.walk(elems, elem_schema, where)
            gone = False
            for i, key in enumerate(valid_keys):
                if _empty_map(val):
                    element_setter(dest, DELETE, valid_keys, valid_values, path)
                    gone = True
                elif isinstance(val, dict) and key and key not in val and valid_values[i] != "":
                    val[key] = _from_text(valid_values[i])
            if gone:
                continue
            element_setter(items, val, valid_keys, valid_values, path)
        if values_list:
            dest = append_list_node(items, dest, valid_keys, path)
        if _missing_or_null(dest):
            return None
        return dest

    # the three directives kyaml copies through, applied as the API server does
    def server_directives(self, dest: dict, origin: dict, schema: Field | None, path: Path) -> list[tuple[str, list, Any, Any]]:
        if RETAIN_KEYS in origin:
            directives.apply_retain_keys(dest, origin, path)
        orders = []
        for key in [k for k in origin if isinstance(k, str) and k.startswith("$")]:
            target = directives.delete_list_target(key, path)
            if target is not None:
                drop = origin.pop(key)
                if not isinstance(drop, list):
                    raise MergeError("invalid patch format of primitive list: not a list", path=path + (key,))
                if isinstance(dest.get(target), list):
                    gone = {tkey(v) for v in drop}
                    dest[target] = [v for v in dest[target] if tkey(v) not in gone]
            elif key.startswith(SET_ELEMENT_ORDER):
                order = origin.pop(key)
                if not isinstance(order, list):
                    raise MergeError("invalid patch format of setElementOrder list: not a list", path=path + (key,))
                name = directives._target(key, SET_ELEMENT_ORDER, "setElementOrder list", path)
                orders.append((name, order, copy_tree(dest.get(name)), copy_tree(origin.get(name))))
        return orders

    def set_order(self, dest: dict, name: str, order: list, original: Any, patch_list: Any,
                  schema: Field | None, path: Path) -> None:
        """``$setElementOrder/<name>`` after the merge, with the API server's ordering."""
        from .server import ServerRules

        fpath = path + (name,)
        sub = schema.shape.field(name) if schema is not None and schema.shape is not None else None
        key = sub.list.keys[0] if sub is not None and sub.list.merge and sub.list.keys else None
        directives._check_order(patch_list if isinstance(patch_list, list) else [], order, key, fpath)
        items = dest.get(name)
        if not isinstance(items, list):
            return
        if not (original or patch_list):
            raise MergeError("no elements in any of the given slices", path=fpath)
        dest[name] = ServerRules().order_list(items, order, original if isinstance(original, list) else [], key,
                                              fpath)


def _empty_value(value: Any) -> bool:
    """``IsNilOrEmpty`` of a field's value: null, ``{}``, ``[]``."""
    return value is None or value == {} or value == []


def merge(base: dict, patch: dict, shape: Shape, styles: Styles | None = None) -> dict:
    """kyaml's merge of ``patch`` into ``base`` (copies of both); ``{}`` when the patch
    deletes the whole object. With ``styles``, the fields' styles come from its tables and
    its ``result_quoted`` is set."""
    dest, origin = copy_tree(base), copy_tree(patch)
    marks: set | None = None
    texts: dict = {}
    if styles is not None and styles.base_quoted is not None:
        keep: list = []  # the marked maps stay alive, so that no new map takes one's id
        marks = set(_by_identity(dest, styles.base_quoted, keep))
        marks.update(_by_identity(origin, styles.patch_quoted, keep))
        for path, raw in styles.patch_texts.items():
            for pair in _by_identity(origin, (path,), keep):
                texts[pair] = raw
    result = KyamlMerge(marks, texts).walk([dest, origin], Field("object", shape=shape), ())
    if _missing_or_null(result):
        if styles is not None:
            styles.result_quoted = set() if marks is not None else None
        return {}
    if styles is not None:
        styles.result_quoted = _quoted_paths(result, marks) if marks else (set() if marks is not None else None)
    # kustomize's resource layer (``Resource.ApplySmPatch`` and the build annotations it
    # strips): the name and kind stay, annotation values are strings, none left is none.
    for key in ("apiVersion", "kind"):
        if key not in result and isinstance(base.get(key), str):
            result[key] = base[key]
    base_meta = base.get("metadata") if isinstance(base.get("metadata"), dict) else {}
    meta = result.get("metadata")
    if not isinstance(meta, dict) and base_meta.get("name") is not None:
        meta = result["metadata"] = {}
    if isinstance(meta, dict):
        for key in ("name", "namespace"):
            if key not in meta and base_meta.get(key) is not None:
                meta[key] = base_meta[key]
        notes = meta.get("annotations")
        if isinstance(notes, list):  # kustomize v5.5 panics reading it
            raise MergeError("metadata.annotations must be a map, not a list", path=("metadata", "annotations"))
        if notes is not None and not isinstance(notes, dict):
            del meta["annotations"]  # read as no annotations, written back as none
        elif isinstance(notes, dict):
            if not notes:
                del meta["annotations"]
            else:
                meta["annotations"] = {k: v if isinstance(v, str) else text(v) for k, v in notes.items()}
    return result
