"""Provenance: which file and line set each field of a built spec (what ``compose explain`` shows).

Fields are identified by *keyed paths*: the field path with list indexes replaced by the
item's identity (``("spec", "containers", "name=flow", "image")``), so an origin recorded
while merging survives the list reordering a strategic merge does. The tables live beside
the data (path -> file:line), never inside the manifests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ComposeError
from ..yamlio import iter_paths

if TYPE_CHECKING:
    from ..model import Spec
    from ..spec.selection import Selection

_ITEM_KEYS = ("name", "containerName", "containerPath", "mountPath", "containerPort", "key", "ip",
              "topologyKey", "type", "sourceContainer", "sourceVolume", "hostname", "namespace",
              "capacityProvider", "devicePath", "hostPath", "deviceName")

KeyedPath = tuple[Any, ...]


def _item_key(item: Any, index: int) -> Any:
    if isinstance(item, dict):
        for key in _ITEM_KEYS:
            value = item.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return f"{key}={value}"
    return index


def _keyed(tree: Any, path: Sequence[Any]) -> KeyedPath | None:
    """``path`` with list indexes replaced by the item's identity (``name=flow``)."""
    out: list[Any] = []
    node = tree
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            if not 0 <= part < len(node):
                return None
            out.append(_item_key(node[part], part))
            node = node[part]
        elif isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        else:
            return None
    return tuple(out)


def _keyed_leaves(tree: Any) -> dict[KeyedPath, tuple[tuple[Any, ...], Any]]:
    out: dict[KeyedPath, tuple[tuple[Any, ...], Any]] = {}
    for path, value in iter_paths(tree):
        keyed = _keyed(tree, path)
        if keyed is not None:
            out[keyed] = (path, value)
    return out


def _keyed_lines(tree: Any, locations: Mapping[tuple[Any, ...], tuple[int, int]]) -> dict[KeyedPath, int]:
    out: dict[KeyedPath, int] = {}
    for path, (line, _col) in locations.items():
        keyed = _keyed(tree, path)
        if keyed is not None:
            out[keyed] = line
    return out


def _line_for(lines: Mapping[KeyedPath, int], keyed: KeyedPath) -> int | None:
    p = keyed
    while True:
        if p in lines:
            return lines[p]
        if not p:
            return None
        p = p[:-1]


@dataclass(frozen=True)
class FieldOrigin:
    """Where one field of a built spec was set last.

    Attributes:
        path: the field path in the output document.
        value: its value in this build.
        file: the file that set it (a base manifest, an overlay's patch, a kustomization).
        line: the line in ``file``, when known.
        parameter: the placeholder's parameter (or run-context name) that filled it, if any.
        source: where that parameter's value came from (default, profile, a metadata layer).
    """

    path: tuple[Any, ...]
    value: Any
    file: str
    line: int | None
    parameter: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        from ..errors import format_path

        where = f"{self.file}:{self.line}" if self.line else self.file
        via = ""
        if self.parameter:
            via = f"  (${{{self.parameter}}}" + (f" from {self.source}" if self.source else "") + ")"
        return f"{format_path(self.path)} = {_short(self.value)}  <- {where}{via}"


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    if isinstance(value, str) and (not value or value != value.strip() or "\n" in value):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Explanation:
    """What ``compose explain`` shows: the selection and the origin of every field.

    Attributes:
        target: the target built.
        selection: profile, parameters with their sources, overlay decisions with reasons.
        spec: the built spec.
        origins: per output document, the origin of every leaf field.
    """

    target: str
    selection: "Selection"
    spec: "Spec"
    origins: list[list[FieldOrigin]]

    def lines(self) -> list[str]:
        out = [f"target: {self.target}"]
        out += self.selection.explain()
        undeclared = sorted(self.selection.params.undeclared)
        out.append("ignored metadata (no parameter declares it): " + (", ".join(undeclared) if undeclared else "(none)"))
        for i, doc_origins in enumerate(self.origins):
            doc = self.spec.documents()[i]
            kind = doc.get("kind") if isinstance(doc, dict) else None
            name = (doc.get("metadata") or {}).get("name") if isinstance(doc, dict) else None
            title = f"{kind} {name}" if kind else ("ECS " + ", ".join(doc) if isinstance(doc, dict) else "document")
            out.append(f"fields of {title}:")
            out += [f"  {o}" for o in doc_origins]
        return out

# --- helpers ------------------------------------------------------------------------------------


def _origin_near(table: Mapping[KeyedPath, tuple[str, int | None]], keyed: KeyedPath) -> tuple[str, int | None] | None:
    """The origin of ``keyed``, else of its fields when a single file set them all."""
    hit = table.get(keyed)
    if hit is not None:
        return hit
    n = len(keyed)
    below = [v for k, v in table.items() if len(k) > n and k[:n] == keyed]
    if below and len({f for f, _ in below}) == 1:
        return min(below, key=lambda v: v[1] or 0)
    return None


def _nearest_origin(table: Mapping[KeyedPath, tuple[str, int | None]], tree: Any, path: Sequence[Any],
                    prefix: tuple[Any, ...] = ()) -> tuple[str, int | None] | None:
    """The origin of the field at ``path`` of ``tree``, else of its closest ancestor."""
    path = tuple(path)
    while True:
        keyed = _keyed(tree, path)
        hit = _origin_near(table, prefix + keyed) if keyed is not None else None
        if hit is not None or not path:
            return hit
        path = path[:-1]

def _first_line(locations: Mapping[tuple[Any, ...], Any]) -> int | None:
    loc = locations.get(()) if locations else None
    return loc[0] if loc else None


def _original_tree(res: Any) -> Any:
    """The resource as its file wrote it (its line table indexes that tree), or None."""
    from ..yamlio import load_file as _load

    if not res.file or not res.locations:
        return None
    try:
        docs = _load(res.file)
    except ComposeError:
        return None
    for doc in docs:
        if doc.index == res.doc_index or len(docs) == 1:
            return doc.data
    return None

