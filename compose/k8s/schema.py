"""The compact Kubernetes schemas of ``schemas/v<version>.json.gz``, loaded lazily.

One gzip-compressed JSON file per Kubernetes minor version (written by
:mod:`compose.k8s.gen_schemas`) holds every definition with only what validation needs.
:func:`load` reads a version on first use (about 2 ms) and keeps it; definitions turn into
:class:`SchemaNode` objects the first time validation reaches them.
"""

from __future__ import annotations

import gc
import gzip
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SpecError

__all__ = ["SchemaNode", "Schema", "load", "supported_versions", "normalize_version"]

SCHEMA_DIR = Path(__file__).with_name("schemas")

# Node tags: small ints so the walker dispatches with cheap comparisons.
OBJECT, MAP, ARRAY, STRING, INTEGER, NUMBER, BOOLEAN, QUANTITY, INT_OR_STRING, ANY = range(10)
TYPE_NAMES = (
    "object", "map", "array", "string", "integer", "number", "boolean", "quantity", "int-or-string", "any",
)
_PY = {STRING: str, INTEGER: int, BOOLEAN: bool, NUMBER: float, QUANTITY: str, INT_OR_STRING: str}
_CODES = {
    "s": (STRING, None), "t": (STRING, "date-time"), "y": (STRING, "byte"),
    "i": (INTEGER, None), "i32": (INTEGER, "int32"), "i64": (INTEGER, "int64"),
    "n": (NUMBER, None), "b": (BOOLEAN, None), "q": (QUANTITY, None), "ios": (INT_OR_STRING, None),
    "*": (ANY, None),
}


class SchemaNode:
    """What the schema says about one place in an object.

    Attributes:
        tag: the node type as a small int (see ``TYPE_NAMES``); ``type`` gives its name.
        nullable: whether ``null`` is allowed.
        format: ``"int32"``, ``"int64"``, ``"date-time"``, ``"byte"`` or None.
        enum: allowed values (a frozenset) or None.
        name: the definition name for objects that have one (``"api.core.v1.PodSpec"``).
        fields: field name -> node, for objects (filled on first use: see ``ensure``).
        required: required field names, for objects.
        extra: for objects, whether fields the schema does not list are allowed.
        items: the node of list items, for arrays.
        values: the node of map values, for maps.
        key_rule: a rule on map keys (``"container-resource"``) or None.
    """

    __slots__ = (
        "tag", "nullable", "format", "enum", "name", "fields", "required", "extra",
        "items", "values", "key_rule", "py", "plain", "_raw", "_schema",
    )

    def __init__(self, tag: int, nullable: bool = False, fmt: str | None = None) -> None:
        self.tag = tag
        self.nullable = nullable
        self.format = fmt
        self.enum: frozenset[Any] | None = None
        self.name: str | None = None
        self.fields: dict[str, SchemaNode] | None = None
        self.required: tuple[str, ...] = ()
        self.extra = False
        self.items: SchemaNode | None = None
        self.values: SchemaNode | None = None
        self.key_rule: str | None = None
        # Fast path of the walker: a value of exactly type ``py`` is valid when ``plain``.
        self.py: type | None = _PY.get(tag)
        self.plain = fmt is None and tag in (STRING, INTEGER, BOOLEAN, NUMBER, INT_OR_STRING)
        self._raw: Any = None
        self._schema: Schema | None = None

    @property
    def type(self) -> str:
        """The node type: ``object``, ``map``, ``array``, ``string``, ``integer``, ... ."""
        return TYPE_NAMES[self.tag]

    def ensure(self) -> SchemaNode:
        """Fill in ``fields`` (objects are compiled on first use); return self."""
        if self.tag == OBJECT and self.fields is None:
            assert self._schema is not None
            self._schema._fill(self)
        return self

    def child(self, key: Any) -> SchemaNode | None:
        """The node one step down (field, list index or map key), or None if none."""
        tag = self.tag
        if tag == OBJECT:
            fields = self.ensure().fields
            assert fields is not None
            node = fields.get(key) if isinstance(key, str) else None
            if node is None and self.extra:
                return _ANY
            return node
        if tag == ARRAY:
            return self.items if isinstance(key, int) and not isinstance(key, bool) else None
        if tag == MAP:
            return self.values if isinstance(key, str) else None
        if tag == ANY:
            return _ANY
        return None

    def __repr__(self) -> str:
        extra = f" {self.name}" if self.name else ""
        return f"<SchemaNode {self.type}{'?' if self.nullable else ''}{extra}>"


_ANY = SchemaNode(ANY, True)


class Schema:
    """The definitions of one Kubernetes minor version.

    Attributes:
        version: e.g. ``"1.32"``.
        kinds: apiVersion -> kind -> definition name.
        rules: ``"<apiVersion>/<kind>"`` -> per-kind path rules.
    """

    def __init__(self, table: Mapping[str, Any]) -> None:
        self.version: str = table["version"]
        self.kinds: dict[str, dict[str, str]] = table["kinds"]
        self.rules: dict[str, list[dict[str, Any]]] = table.get("rules", {})
        self._defs: dict[str, Any] = table["defs"]
        self._nodes: dict[str, SchemaNode] = {}
        self._scalars: dict[str, SchemaNode] = {}

    def has_field(self, definition: str, field: str) -> bool:
        """Whether ``definition`` lists ``field`` (cheap; compiles nothing)."""
        return field in self._defs.get(definition, {}).get("p", {})

    def field_names(self, definition: str) -> list[str]:
        """The field names of ``definition`` (empty if unknown)."""
        return list(self._defs.get(definition, {}).get("p", {}))

    def definition(self, name: str) -> SchemaNode:
        """The node of a named definition (fields compiled on first use)."""
        node = self._nodes.get(name)
        if node is None:
            raw = self._defs[name]
            node = SchemaNode(OBJECT, bool(raw.get("?")))
            node.name = name
            node._raw = raw
            node._schema = self
            self._nodes[name] = node
        return node

    def kind(self, api_version: str, kind: str) -> SchemaNode | None:
        """The node of ``apiVersion``/``kind``, or None if this version has no such kind."""
        name = self.kinds.get(api_version, {}).get(kind)
        return self.definition(name) if name else None

    def _fill(self, node: SchemaNode) -> None:
        raw = node._raw
        required = tuple(raw.get("r", ()))
        fields = {k: self._compile(v, k not in required) for k, v in raw["p"].items()}
        node.required = required
        node.extra = bool(raw.get("x"))
        node.fields = fields  # last: another thread seeing it sees a complete node

    def _compile(self, spec: Any, optional: bool = True) -> SchemaNode:
        if isinstance(spec, str):
            if spec[0] == "@":
                return self.definition(spec[1:])
            node = self._scalars.get(spec)
            if node is None:
                node = self._scalar(spec)
                self._scalars[spec] = node
            return node
        nullable = bool(spec.get("?"))
        if "a" in spec:
            node = SchemaNode(ARRAY, nullable)
            node.items = self._compile(spec["a"], False)
        elif "m" in spec:
            node = SchemaNode(MAP, nullable)
            node.values = self._compile(spec["m"], False)
            node.key_rule = spec.get("k")
        elif "e" in spec:
            base = self._scalar(spec["t"])
            node = SchemaNode(base.tag, base.nullable, base.format)
            values = set(spec["e"])
            if optional and node.tag == STRING:
                values.add("")  # an empty string is the same as an absent field
            node.enum = frozenset(values)
            node.plain = False
        else:
            node = SchemaNode(OBJECT, nullable)
            node._raw = spec
            node._schema = self
        return node

    @staticmethod
    def _scalar(code: str) -> SchemaNode:
        nullable = code.endswith("?")
        base = code.rstrip("?")
        if base == "o*":
            node = SchemaNode(OBJECT, nullable)
            node.fields, node.extra = {}, True
            return node
        tag, fmt = _CODES[base]
        return SchemaNode(tag, nullable or tag == ANY, fmt)


_cache: dict[str, Schema] = {}
_lock = threading.Lock()
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")


def supported_versions() -> list[str]:
    """The Kubernetes minor versions whose schemas ship with compose, oldest first."""
    found = []
    for path in SCHEMA_DIR.glob("v*.json.gz"):
        m = _VERSION_RE.match(path.name[: -len(".json.gz")])
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    return [f"{a}.{b}" for a, b in sorted(found)]


def normalize_version(version: str) -> str:
    """``"v1.32.4"`` -> ``"1.32"``.

    Raises:
        SpecError: the text is not a Kubernetes version.
    """
    m = _VERSION_RE.match(str(version).strip())
    if not m:
        raise SpecError(f"invalid Kubernetes version {version!r}: expected MAJOR.MINOR such as 1.32")
    return f"{int(m.group(1))}.{int(m.group(2))}"


def load(version: str) -> Schema:
    """The schema of a Kubernetes version, read once and cached.

    Args:
        version: ``"1.32"`` (``"v1.32"`` and ``"1.32.4"`` mean the same).

    Raises:
        SpecError: compose ships no schema for that version.
    """
    key = normalize_version(version)
    schema = _cache.get(key)
    if schema is not None:
        return schema
    with _lock:
        schema = _cache.get(key)
        if schema is None:
            path = SCHEMA_DIR / f"v{key}.json.gz"
            try:
                data = gzip.decompress(path.read_bytes())
            except FileNotFoundError:
                shipped = ", ".join(supported_versions())
                raise SpecError(
                    f"no schema for Kubernetes {key}: compose ships {shipped} "
                    "(see compose/k8s/gen_schemas.py to add one)"
                ) from None
            # Parsing makes ~30k small containers; with a large heap (the kubernetes client
            # imported, say) that would trigger full collections costing tens of ms.
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                schema = Schema(json.loads(data))
            finally:
                if gc_was_enabled:
                    gc.enable()
            _cache[key] = schema
    return schema
