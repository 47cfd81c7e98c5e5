"""Run metadata in layers, deep-merged in order with the later layer winning.

A run's metadata arrives in layers, merged in this order (later wins)::

    agent defaults  <  deployment  <  the run's own  <  --metadata FILE  <  --set key=value

(A profile's ``parameters`` and each parameter's ``default`` sit below all of them; see
:mod:`compose.spec.params`.) Mappings merge key by key, recursively (nested mappings through the
``deepmerge`` library, configured so); lists and scalars are replaced whole; a value of another
type replaces the old one.
A ``null`` deletes: after merging, every key whose value is ``null`` is removed, so a deployment
can write ``memory: null`` to drop an agent default and fall back to the parameter's default.

Provenance is kept per top-level key: :attr:`MergedMetadata.origins` names the last layer that
set (or merged into) each key, which ``compose explain`` shows and which decides whether a
value is a command-line string to coerce (``--set``) or a typed JSON/YAML value to check.

``--set`` keys are taken literally (``--set a.b=c`` sets the key ``"a.b"``); values are strings.

>>> m = merge_layers([MetadataLayer("agent", {"memory": "4Gi", "labels": {"a": "1"}}),
...                   MetadataLayer("run", {"labels": {"b": "2"}})])
>>> m.data, m.origins["labels"].name
({'memory': '4Gi', 'labels': {'a': '1', 'b': '2'}}, 'run')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepmerge import Merger

from compose.errors import Problem, SpecError, UsageError
from compose.yamlio import load_single

from ._problems import raise_problems, type_name

__all__ = [
    "MetadataLayer",
    "MergedMetadata",
    "merge_layers",
    "parse_set",
    "load_metadata_file",
    "lookup_path",
    "MISSING",
]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


#: Marks an absent value (``None`` is a value: JSON null).
MISSING: Any = _Missing()


@dataclass(frozen=True)
class MetadataLayer:
    """One layer of metadata.

    Attributes:
        name: how the layer is named in provenance and errors: ``"agent"``, ``"deployment"``,
            ``"run"``, ``"--metadata m.yaml"``, ``"--set"``, ``"profile gpu"``.
        data: the mapping (top-level keys are strings). Never mutated.
        strings: True when values are command-line strings to be coerced to the declared
            parameter types (``--set``); False for typed JSON/YAML values, which are checked.
        file: the file the layer was read from, if any (for error locations).
        locations: the yamlio side table of ``file`` (field path -> (line, column)), if any.
    """

    name: str
    data: Mapping[str, Any]
    strings: bool = False
    file: str | None = None
    locations: Mapping[tuple[Any, ...], tuple[int, int]] | None = field(default=None, compare=False, repr=False)

    def line_of(self, key: str) -> int | None:
        """The line where ``key`` is set in this layer's file, if known."""
        if not self.locations:
            return None
        loc = self.locations.get((key,))
        return loc[0] if loc else None


@dataclass(frozen=True)
class MergedMetadata:
    """Layers merged into one mapping, with the origin of each top-level key.

    Attributes:
        data: the merged metadata (a new dict; null-valued keys removed).
        origins: top-level key -> the last layer that set or merged into it.
        layers: the layers, in merge order.
    """

    data: dict[str, Any]
    origins: dict[str, MetadataLayer]
    layers: tuple[MetadataLayer, ...]

    @property
    def sources(self) -> dict[str, str]:
        """Top-level key -> name of the layer it came from."""
        return {k: layer.name for k, layer in self.origins.items()}


_merger = Merger([(dict, ["merge"]), (list, ["override"])], ["override"], ["override"])


def _copy(value: Any) -> Any:
    # deepmerge merges into its first argument and shares the second's sub-dicts: copy plain
    # data first so no layer is ever mutated.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    return False


def _drop_nulls(value: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in value.items():
        if v is None:
            continue
        out[k] = _drop_nulls(v) if isinstance(v, dict) else v
    return out


def _as_layer(layer: MetadataLayer | tuple[str, Mapping[str, Any]]) -> MetadataLayer:
    if isinstance(layer, MetadataLayer):
        return layer
    name, data = layer
    return MetadataLayer(name, data)


def merge_layers(layers: Iterable[MetadataLayer | tuple[str, Mapping[str, Any]]]) -> MergedMetadata:
    """Deep-merge metadata layers in order, the later winning.

    Args:
        layers: :class:`MetadataLayer` objects or ``(name, mapping)`` pairs, lowest first.

    Returns:
        The merged metadata with per-key origins. The layers are not modified.

    Raises:
        SpecError: a layer is not a mapping with string keys.
    """
    merged: dict[str, Any] = {}
    origins: dict[str, MetadataLayer] = {}
    done: list[MetadataLayer] = []
    problems: list[Problem] = []
    nulls = False
    for raw in layers:
        layer = _as_layer(raw)
        done.append(layer)
        if not isinstance(layer.data, Mapping):
            problems.append(Problem(f"metadata must be a mapping, got {type_name(layer.data)}", file=layer.file, source=layer.name))
            continue
        bad = [k for k in layer.data if not isinstance(k, str)]
        if bad:
            problems.append(Problem(f"metadata keys must be strings, got {bad[0]!r}", file=layer.file, source=layer.name))
            continue
        for key, value in layer.data.items():
            old = merged.get(key)
            if isinstance(old, dict) and isinstance(value, dict):
                merged[key] = _merger.merge(old, _copy(value))  # nested mappings: deepmerge's rules
            else:
                merged[key] = _copy(value)  # scalars, lists, type changes: replaced
            nulls = nulls or _has_null(value)
            origins[key] = layer
    raise_problems(problems, "metadata")
    data = _drop_nulls(merged) if nulls else merged
    if nulls:
        origins = {k: v for k, v in origins.items() if k in data}
    return MergedMetadata(data=data, origins=origins, layers=tuple(done))


def parse_set(items: Sequence[str], name: str = "--set") -> MetadataLayer:
    """Turn ``--set key=value`` arguments into a layer of strings.

    The key is everything before the first ``=`` and is taken literally; the value is the rest
    (possibly empty), a string to be coerced to the parameter's declared type. A key given twice
    keeps the last value.

    Raises:
        UsageError: an item without ``=`` or with an empty key.
    """
    data: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"{name} expects key=value, got {item!r}")
        data[key.strip()] = value
    return MetadataLayer(name, data, strings=True)


def load_metadata_file(path: str | Path, name: str | None = None) -> MetadataLayer:
    """Read a YAML or JSON metadata file (one mapping) as a layer with line numbers.

    Raises:
        YAMLSyntaxError: the file cannot be read or parsed.
        SpecError: the file does not hold a mapping.
    """
    display = str(path)
    doc = load_single(_read(path, display), display)
    if not isinstance(doc.data, dict):
        raise SpecError(f"metadata file must hold a mapping, got {type_name(doc.data)}", file=display, line=doc.line_of(()), step="load")
    return MetadataLayer(name or f"--metadata {display}", doc.data, file=display, locations=doc.locations)


def _read(path: str | Path, display: str) -> str:
    from compose.yamlio import read_text

    return read_text(path, display)


def lookup_path(data: Mapping[str, Any], key: str) -> Any:
    """The value at ``key`` in metadata, or :data:`MISSING`.

    A key present as written wins (``"a.b"``); otherwise dots walk into nested mappings
    (``"labels.team"`` reads ``data["labels"]["team"]``).
    """
    if key in data:
        return data[key]
    if "." not in key:
        return MISSING
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return node
