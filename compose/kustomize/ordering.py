"""Output order, as ``kubectl kustomize`` v5.5 sorts resources.

The default (``sortOptions.order: legacy``) puts a fixed list of kinds first, in that order,
two webhook kinds last, and everything else in between. Within one rank, resources are
ordered by ``group_version_kind`` (an empty group sorts as ``~G``, so after every named
group), then by ``namespace|name`` (no namespace sorts as ``~X``). Two ``Namespace`` kinds
where one has no group compare the other way round, as Kustomize does. ``Job`` is not in the
list: it ranks with the unlisted kinds, ``CronJob`` is.

``sortOptions.order: fifo`` keeps the build order; ``legacySortOptions`` replaces the two
lists.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from .resource import Resource, ResId

__all__ = ["DEFAULT_ORDER_FIRST", "DEFAULT_ORDER_LAST", "sort_resources"]

DEFAULT_ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
DEFAULT_ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def _gvk_string(rid: ResId) -> str:
    return "_".join((rid.group or "~G", rid.version or "~V", rid.kind or "~K"))


def _id_string(rid: ResId) -> str:
    return f"{rid.namespace or '~X'}|{rid.name or '~N'}"


def sort_resources(resources: Sequence[Resource], sort_options: Mapping[str, Any] | None = None) -> list[Resource]:
    """The resources in output order (a new list).

    Raises:
        ValueError: a missing or unknown ``sortOptions.order``, or ``legacySortOptions`` with
            ``fifo``.
    """
    # Absent (or null) sortOptions mean the legacy order; present ones must name an order.
    options = sort_options if sort_options is not None else {"order": "legacy"}
    order = options.get("order")
    legacy = options.get("legacySortOptions")
    if order not in ("legacy", "fifo"):
        raise ValueError("the field 'sortOptions.order' must be one of [fifo, legacy]")
    if order == "fifo":
        if legacy is not None:
            raise ValueError("the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'")
        return list(resources)
    first: Sequence[str] = DEFAULT_ORDER_FIRST
    last: Sequence[str] = DEFAULT_ORDER_LAST
    if legacy is not None:
        first = legacy.get("orderFirst") or ()
        last = legacy.get("orderLast") or ()
    rank: dict[str, int] = {}
    for i, kind in enumerate(first):
        rank[kind] = -len(first) + i
    for i, kind in enumerate(last):
        rank[kind] = 1 + i

    keyed = [(r.id, r) for r in resources]

    def compare(a: tuple[ResId, Resource], b: tuple[ResId, Resource]) -> int:
        x, y = a[0], b[0]
        rx, ry = rank.get(x.kind, 0), rank.get(y.kind, 0)
        if rx != ry:
            return -1 if rx < ry else 1
        if (x.group, x.version, x.kind) != (y.group, y.version, y.kind):
            gx, gy = _gvk_string(x), _gvk_string(y)
            if x.kind == "Namespace" and y.kind == "Namespace" and (not x.group or not y.group):
                gx, gy = gy, gx
            return -1 if gx < gy else (1 if gx > gy else 0)
        ix, iy = _id_string(x), _id_string(y)
        return -1 if ix < iy else (1 if ix > iy else 0)

    keyed.sort(key=functools.cmp_to_key(compare))
    return [r for _, r in keyed]
