"""namespace, as Kustomize v5.5's NamespaceTransformer (api/filters/namespace).

Sets ``metadata.namespace`` on every namespaced resource (existing namespaces are overridden;
cluster-scoped kinds such as ClusterRole, Namespace, CRDs are left without one), renames
Namespace objects to the namespace, sets ``namespace`` on RoleBinding/ClusterRoleBinding
subjects named ``default``, and the service namespaces of APIServices and CRD conversion
webhooks. Other subjects (ServiceAccounts of this build) are fixed later by
:mod:`.namereference`, as in kustomize. Every resource's identity before the change is recorded.

Example::

    namespace: team-a     # Job "j" (namespace "x") -> namespace "team-a"
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import KustomizationError
from ..resource import Resource
from ._common import live, selected, store_previous_id
from .fieldpath import walk
from .config import default_config
from .fieldspecs import FieldSpec

__all__ = ["apply"]

_ROLE_BINDINGS = ("RoleBinding", "ClusterRoleBinding")


def apply(resources: Sequence[Resource], namespace: str, specs: Sequence[FieldSpec] | None = None) -> None:
    """Put ``resources`` in ``namespace``, in place (nothing when ``namespace`` is "").

    Raises:
        KustomizationError: two resources end up with the same identity.
    """
    if not namespace:
        return
    items = live(resources)
    table = default_config().namespace if specs is None else specs
    for res in items:
        store_previous_id(res)
        _apply_one(res, namespace, table)
        current = res.id
        same = [r for r in items if _same_id(r, current)]
        if len(same) != 1:
            raise KustomizationError(
                f"namespace transformation produces ID conflict: {current} appears {len(same)} times",
                file=res.file or None,
                step="namespace",
            )


def _same_id(res: Resource, other: Any) -> bool:
    cur = res.id
    return (
        cur.group == other.group
        and cur.version == other.version
        and cur.kind == other.kind
        and cur.name == other.name
        and (cur.namespace or "default") == (other.namespace or "default")
    )


def _apply_one(res: Resource, namespace: str, table: Sequence[FieldSpec]) -> None:
    def set_value(container: Any, key: Any) -> None:
        container[key] = namespace

    if not res.is_cluster_scoped():
        walk(res.data, "metadata/namespace", set_value, create=True, make_leaf=str)
    is_binding = res.kind in _ROLE_BINDINGS
    if is_binding:
        subjects = res.data.get("subjects")
        if isinstance(subjects, list):
            for subject in subjects:
                if isinstance(subject, dict) and subject.get("name") == "default":
                    subject["namespace"] = namespace
    for spec in table:
        if spec.path == "metadata/namespace":
            continue
        if spec.path == "metadata/name" and res.api_version != "v1":
            continue  # only the core Namespace is renamed (removeUnneededMetaFieldSpecs)
        if is_binding and spec.kind in _ROLE_BINDINGS and spec.path.startswith("subjects"):
            continue
        if selected(spec, res):
            walk(res.data, spec.path, set_value, create=spec.create, make_leaf=str)
