"""Patch metadata for Kubernetes kinds, read lazily from the committed ``k8s_schema.json``.

The table is derived from the Kubernetes OpenAPI schema by :mod:`compose.merge.gen_schema`;
it is loaded on the first merge that needs it (about 2 ms) and shared afterwards.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from .walker import ATOMIC_LIST, MAP_VALUES, SCALAR, SCHEMALESS, Field, ListSpec, Shape

_TABLE_PATH = Path(__file__).with_name("k8s_schema.json")
_lock = threading.Lock()
_table: dict[str, Any] | None = None


def table() -> dict[str, Any]:
    """The patch-metadata table, loaded on first use."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                with open(_TABLE_PATH, encoding="utf-8") as fh:
                    loaded = json.load(fh)
                loaded["kustomize_atomic"] = frozenset(loaded.get("kustomize_atomic", ()))
                _table = loaded
    return _table


def kind_definition(api_version: Any, kind: Any) -> str | None:
    """The definition name for ``apiVersion``/``kind``, or None for kinds the schema lacks."""
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    return table()["kinds"].get(f"{api_version}/{kind}")


class K8sShape(Shape):
    """The fields of one OpenAPI definition, as the walker sees them.

    ``view`` is ``"server"`` (patch strategy and merge key, as the API server's Go struct
    tags) or ``"kustomize"`` (list-map keys where several, and lists kustomize's older
    schema does not know are atomic).
    """

    __slots__ = ("name", "view", "_fields")

    def __init__(self, name: str, view: str) -> None:
        self.name = name
        self.view = view
        self._fields: dict[str, Any] = table()["defs"].get(name, {})

    def struct_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def field(self, name: str) -> Field | None:
        spec = self._fields.get(name)
        if spec is None:
            return None
        return _field(self.name, name, self.view)


@lru_cache(maxsize=None)
def shape(name: str, view: str) -> K8sShape:
    return K8sShape(name, view)


@lru_cache(maxsize=None)
def _field(defn: str, fname: str, view: str) -> Field:
    spec = table()["defs"][defn][fname]
    if spec == 0:
        return SCALAR
    ref = spec.get("r")
    sub = shape(ref, view) if ref else None
    strategies = [s for s in spec.get("s", "").split(",") if s]
    replace = "replace" in strategies
    if spec["t"] == "o":
        return Field("object", shape=sub, replace=replace)
    if spec["t"] == "m":
        return Field("map", shape=MAP_VALUES(sub) if sub else SCHEMALESS, replace=replace)
    # list
    merge = "merge" in strategies
    if view == "kustomize" and f"{defn}.{fname}" in table()["kustomize_atomic"]:
        merge = False
    if not merge:
        return Field("list", shape=sub, list=ATOMIC_LIST)
    keys: tuple[str, ...] = ()
    if spec.get("k"):
        keys = (spec["k"],)
        if view == "kustomize" and len(spec.get("mk", ())) > 1:
            keys = tuple(spec["mk"])
    return Field("list", shape=sub, list=ListSpec(merge=True, keys=keys))
