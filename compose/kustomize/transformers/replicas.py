"""replicas, as Kustomize v5.5's ReplicaCountTransformer (api/filters/replicacount).

Each entry ``{name, count}`` sets the replica count of every resource that has, or had, that
name (a base's name works in an overlay that renamed it) and whose kind has a replicas field
spec (Kustomize's defaults: ``spec/replicas`` of Deployment, ReplicationController,
ReplicaSet and StatefulSet, created when missing; ``configurations:`` can add more). An entry
that matches nothing is an error.

Example::

    replicas:
    - name: web
      count: 3
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import KustomizationError
from ..resource import Resource
from ._common import live
from .fieldpath import walk
from .fieldspecs import FieldSpec

__all__ = ["apply"]


def apply(resources: Sequence[Resource], entries: Sequence[Mapping[str, Any]], specs: Sequence[FieldSpec]) -> None:
    """Set replica counts, in place.

    Raises:
        KustomizationError: an entry names no resource of a kind with a replicas field.
    """
    items = live(resources)
    for entry in entries:
        name = str(entry.get("name") or "")
        count = entry.get("count") or 0
        found = False
        for spec in specs:
            for res in items:
                if not any(rid.name == name and spec.selects(rid.group, rid.version, rid.kind) for rid in res.all_ids()):
                    continue
                found = True

                def set_count(container: Any, key: Any, value: int = count) -> None:
                    container[key] = value

                walk(res.data, spec.path, set_count, create=spec.create, make_leaf=lambda: None)
        if not found:
            kinds = " ".join(_gvk_text(s) for s in specs)
            raise KustomizationError(
                f"resource with name {name} does not match a config with the following GVK [{kinds}]",
                step="replicas",
            )


def _gvk_text(spec: FieldSpec) -> str:
    return f"{spec.kind or '[noKind]'}.{spec.version or '[noVer]'}.{spec.group or '[noGrp]'}"
