"""commonAnnotations, as Kustomize v5.5's AnnotationsTransformer.

Writes the annotations to ``metadata.annotations`` of every resource and to the pod templates
of workloads (``spec.template.metadata.annotations`` of Deployment, ReplicaSet, DaemonSet,
StatefulSet, ReplicationController and Job; CronJob ``spec.jobTemplate.metadata.annotations``
and ``spec.jobTemplate.spec.template.metadata.annotations``), creating the maps.

Example::

    commonAnnotations: {owner: team-a}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..resource import Resource
from .config import default_config
from .fieldspecs import FieldSpec
from .labels import set_pairs

__all__ = ["apply"]


def apply(
    resources: Sequence[Resource], annotations: Mapping[str, Any], specs: Sequence[FieldSpec] | None = None
) -> None:
    """Add ``annotations`` to ``resources``, in place (nothing when empty)."""
    set_pairs(resources, dict(annotations or {}), default_config().common_annotations if specs is None else specs)
