"""The tree walker shared by every strategic merge: it dispatches, the rules decide.

A merge walks the patch over a copy of the base. At each map key the walker classifies
the pair of values (absent, null, map, list, scalar, or mismatched types) and asks the
:class:`Rules` object what to do; lists go to the rules whole, with the field's
:class:`ListSpec` (atomic, keyed by one or more fields, or a set of primitives). The walker
knows nothing about Kubernetes or ECS: shapes describe fields, rules hold the semantics
(``server``, ``kustomize``, ``ecs`` modules).

Both inputs are copied once on entry; the rules then work in place on the copies, which
keeps the code close to the reference algorithms without ever touching the caller's data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ..errors import MergeError

Path = tuple[Any, ...]

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"


class ListSpec(NamedTuple):
    """How a list field merges.

    Attributes:
        merge: False for atomic lists (the patch's list replaces the base's).
        keys: the fields identifying an item; empty for a merged list of primitives.
        key_fn: optional function item -> key (compound or defaulted keys); returns
            ``None`` when the item lacks its key.
    """

    merge: bool
    keys: tuple[str, ...] = ()
    key_fn: Callable[[Mapping[str, Any]], Any] | None = None


ATOMIC_LIST = ListSpec(merge=False)


class Field(NamedTuple):
    """What the schema says about one field: its kind, sub-shape and list spec."""

    kind: str  # "object" | "map" | "list" | "scalar" | "any"
    shape: "Shape | None" = None
    list: ListSpec = ATOMIC_LIST
    replace: bool = False  # patch strategy "replace" on a map field


class Shape:
    """The fields of one map in the tree; ``field`` returns None for unknown fields."""

    __slots__ = ()

    def field(self, name: str) -> Field | None:  # pragma: no cover - interface
        raise NotImplementedError

    def struct_name(self) -> str:
        return "object"


class _Schemaless(Shape):
    """Any key, any value: maps merge, lists are atomic."""

    __slots__ = ()

    def field(self, name: str) -> Field | None:
        return ANY


class MAP_VALUES(Shape):  # noqa: N801 - reads as a constructor of a shape
    """A map with free keys whose values all have ``shape`` (e.g. map[string]Volume)."""

    __slots__ = ("value_shape",)

    def __init__(self, value_shape: Shape | None) -> None:
        self.value_shape = value_shape

    def field(self, name: str) -> Field | None:
        return Field("object", shape=self.value_shape)


SCHEMALESS: Shape = _Schemaless()


class _Remove:
    """Returned by a rule when the field itself must go (kustomize's ``$patch: delete``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Any = _Remove()
SCALAR = Field("scalar")
ANY = Field("any", shape=SCHEMALESS)


def jtype(value: Any) -> str:
    """The JSON type of a value as Go's decoder sees it (int and float are one type)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def tkey(value: Any) -> Any:
    """A hashable, type-sensitive key for a scalar: ``"8089"`` is not ``8089``, ``True`` not ``1``."""
    t = jtype(value)
    if t == "number":
        return ("number", float(value))
    if t in ("map", "list"):
        return (t, repr(value))
    return (t, value)


def copy_tree(value: Any) -> Any:
    """Deep-copy plain data (dicts, lists, scalars) into fresh dicts and lists."""
    if isinstance(value, Mapping):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [copy_tree(v) for v in value]
    return value


class Rules:
    """The merge semantics; subclasses fill in the hooks the walker calls.

    Hooks receive the working copies and may change them in place.
    """

    def map_directive(self, original: dict, patch: dict, shape: Shape, path: Path) -> dict | None:
        """Handle ``$patch`` on a map of ``shape``; return the result, or None to merge normally."""
        raise NotImplementedError

    def before_fields(self, walker: "Walker", original: dict, patch: dict, shape: Shape, path: Path) -> None:
        """Map-level directives processed before the fields ($retainKeys, $setElementOrder)."""

    def new_value(self, value: Any, field: Field | None, path: Path, absent: bool) -> Any:
        """The value stored for a key the base lacks (``absent``) or holds with another type.

        Directives inside it are the rules' business; return :data:`REMOVE` to leave the
        key out (a new map that says ``$patch: delete``).
        """
        return value

    def replace_value(self, value: dict, field: Field, path: Path) -> Any:
        """The value stored for a map field whose patch strategy is ``replace``."""
        return self.new_value(value, field, path, False)

    def unknown_field(self, shape: Shape, key: str, path: Path) -> Field:
        """Field metadata for a key the shape does not know (both sides maps or lists)."""
        return ANY

    def merge_list(self, walker: "Walker", original: list, patch: list, field: Field, path: Path,
                   delete_list: bool) -> Any:
        raise NotImplementedError

    def finish_map(self, result: dict, path: Path) -> dict:
        return result

    def delete_list_prefix(self, key: str, path: Path) -> str | None:
        """The field a ``$deleteFromPrimitiveList/<field>`` key names, or None if not one."""
        return None


class Walker:
    """Walks a patch over a base, delegating every decision to ``rules``."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def merge(self, base: Mapping[str, Any], patch: Mapping[str, Any], shape: Shape) -> dict:
        if not isinstance(base, Mapping):
            raise MergeError(f"the base must be a mapping, not {jtype(base)}")
        if not isinstance(patch, Mapping):
            raise MergeError(f"the patch must be a mapping, not {jtype(patch)}")
        result = self.merge_map(copy_tree(base), copy_tree(patch), shape, ())
        return result

    def merge_map(self, original: dict, patch: dict, shape: Shape | None, path: Path) -> dict:
        shape = shape or SCHEMALESS
        rules = self.rules
        if DIRECTIVE in patch:
            done = rules.map_directive(original, patch, shape, path)
            if done is not None:
                return done
        rules.before_fields(self, original, patch, shape, path)
        # ``$deleteFromPrimitiveList/<f>`` before ``<f>``: the API server walks the patch in
        # Go map order, which is random; deleting first is its majority answer (its keys
        # sort first, and Go's iteration mostly starts at the first slot).
        items = sorted(patch.items(), key=lambda kv: not str(kv[0]).startswith(DELETE_FROM_PRIMITIVE_LIST))
        for key, pval in items:
            delete_list = False
            target = rules.delete_list_prefix(key, path) if isinstance(key, str) and key.startswith("$") else None
            if target is not None:
                key, delete_list = target, True
            if pval is None:
                original.pop(key, None)
                continue
            if key not in original or jtype(original[key]) != jtype(pval):
                # A $deleteFromPrimitiveList with nothing (or no list) to delete from does nothing.
                if not delete_list:
                    new = rules.new_value(pval, shape.field(key), path + (key,), key not in original)
                    if new is REMOVE:
                        original.pop(key, None)
                    else:
                        original[key] = new
                continue
            oval = original[key]
            otype = jtype(oval)
            if otype not in ("map", "list"):
                original[key] = pval
                continue
            field = shape.field(key)
            if field is None:
                field = rules.unknown_field(shape, key, path + (key,))
            if otype == "map":
                if field.replace:
                    original[key] = rules.replace_value(pval, field, path + (key,))
                else:
                    merged = self.merge_map(oval, pval, field.shape, path + (key,))
                    if merged is REMOVE:
                        del original[key]
                    else:
                        original[key] = merged
            else:
                original[key] = rules.merge_list(self, oval, pval, field, path + (key,), delete_list)
        return rules.finish_map(original, path)
