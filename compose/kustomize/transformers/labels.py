"""labels and commonLabels, as Kustomize v5.5's LabelTransformer.

Each ``labels:`` entry writes its pairs to ``metadata.labels`` of every resource; with
``includeSelectors: true`` also to selectors and pod templates (the commonLabels table:
Service ``spec.selector``, Deployment/ReplicaSet/DaemonSet/StatefulSet ``spec.selector.matchLabels``
(created), Job ``spec.selector.matchLabels`` and CronJob ``spec.jobTemplate.spec.selector.matchLabels``
only when present, and the templates below); with ``includeTemplates: true`` (and no selectors)
to pod templates only: ``spec.template.metadata.labels`` of workloads and Jobs, CronJob
``spec.jobTemplate.metadata.labels`` and ``spec.jobTemplate.spec.template.metadata.labels``,
StatefulSet ``volumeClaimTemplates[].metadata.labels``.

The legacy ``commonLabels: {k: v}`` is the entry ``{"pairs": {k: v}, "includeSelectors": True,
"includeTemplates": False}`` (kustomize gives commonLabels exactly the includeSelectors table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import KustomizationError
from ..resource import Resource
from ._common import live, selected
from . import aliases
from .fieldpath import locations
from .config import TransformerConfig, default_config
from .fieldspecs import FieldSpec

__all__ = ["apply", "field_specs", "set_pairs"]

_METADATA_LABELS = FieldSpec("metadata/labels", create=True)


def field_specs(entry: Mapping[str, Any], config: TransformerConfig | None = None) -> list[FieldSpec]:
    """The field specs one normalized ``labels:`` entry writes to.

    An optional ``fieldSpecs`` list (kustomize's ``fields``) of ``{path, kind, group, version,
    create}`` maps comes first, as kustomize merges it with the defaults.

    Raises:
        KustomizationError: the same path is given with conflicting ``create`` flags.
    """
    specs: list[FieldSpec] = []
    for raw in entry.get("fieldSpecs") or ():
        specs.append(
            FieldSpec(
                path=str(raw.get("path", "")),
                kind=str(raw.get("kind") or ""),
                group=str(raw.get("group") or ""),
                version=str(raw.get("version") or ""),
                create=bool(raw.get("create", False)),
            )
        )
    cfg = config or default_config()
    if entry.get("includeSelectors"):
        extra: Sequence[FieldSpec] = cfg.common_labels
    elif entry.get("includeTemplates"):
        extra = (_METADATA_LABELS, *cfg.template_labels)
    else:
        extra = (_METADATA_LABELS,)
    for spec in extra:
        _merge_one(specs, spec)
    return specs


def _merge_one(specs: list[FieldSpec], spec: FieldSpec) -> None:
    for have in specs:
        if (have.path, have.kind, have.group, have.version) == (spec.path, spec.kind, spec.group, spec.version):
            if have.create != spec.create:
                raise KustomizationError(
                    f"conflicting fieldspecs for path {spec.path!r} (create true and false)", step="labels"
                )
            return
    specs.append(spec)


def set_pairs(resources: Sequence[Resource], pairs: Mapping[str, Any], specs: Sequence[FieldSpec]) -> None:
    """Write ``pairs`` into the map at each of ``specs`` in ``resources`` (shared with annotations).

    As in kustomize, a key added at several fields of one resource shares its value there
    (see :mod:`.aliases`), and updating a key that shares its value updates every field.
    """
    if not pairs:
        return
    for res in live(resources):
        chosen = [s for s in specs if selected(s, res)]
        for key, value in pairs.items():
            added: list[aliases.Member] = []
            for spec in chosen:
                for container, field, path in locations(res.data, spec.path, create=spec.create, make_leaf=dict):
                    target = container[field]
                    if target is None and spec.create:
                        target = container[field] = {}
                    if not isinstance(target, dict):
                        continue
                    if key in target:
                        old = target[key]
                        target[key] = value
                        if old != value:
                            aliases.propagate(res, (path, key), old, value)
                    else:
                        target[key] = value
                        added.append((path, key))
            aliases.record(res, added)


def apply(
    resources: Sequence[Resource], entries: Sequence[Mapping[str, Any]], config: TransformerConfig | None = None
) -> None:
    """Apply normalized ``labels:`` entries to ``resources``, in place.

    Args:
        resources: the resources of one kustomization level.
        entries: ``{"pairs": {...}, "includeSelectors": bool, "includeTemplates": bool}`` each,
            in kustomization order (commonLabels last, as kustomize runs it after ``labels:``).
    """
    for entry in entries:
        set_pairs(resources, dict(entry.get("pairs") or {}), field_specs(entry, config))
