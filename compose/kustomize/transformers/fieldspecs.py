"""Which fields each transformer touches, as data.

Each table mirrors a Kustomize v5.5 field-spec table (the file is named above it). A
:class:`FieldSpec` selects resources by group/version/kind (empty = any) and names a path of
map keys separated by ``/``; a key ending in ``[]`` is a list to walk through (lists met on the
way are walked through anyway), and ``\\/`` escapes a ``/`` inside a key. ``create`` says
whether missing fields on the way are created.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FieldSpec",
    "NAME_PREFIX",
    "NAME_PREFIX_SKIP",
    "NAMESPACE",
    "COMMON_LABELS",
    "TEMPLATE_LABELS",
    "COMMON_ANNOTATIONS",
    "IMAGES",
    "NAME_REFERENCE",
    "NameBackReference",
]


@dataclass(frozen=True)
class FieldSpec:
    """A path in resources of one group/version/kind (empty strings match anything)."""

    path: str
    kind: str = ""
    group: str = ""
    version: str = ""
    create: bool = False

    def selects(self, group: str, version: str, kind: str) -> bool:
        """Whether this spec applies to a resource of the given group/version/kind."""
        return (
            (not self.kind or self.kind == kind)
            and (not self.group or self.group == group)
            and (not self.version or self.version == version)
        )


def _fs(path: str, kind: str = "", group: str = "", version: str = "", create: bool = False) -> FieldSpec:
    return FieldSpec(path=path, kind=kind, group=group, version=version, create=create)


# --- api/konfig/builtinpluginconsts/nameprefix.go (namePrefix and nameSuffix) ----------------
NAME_PREFIX: tuple[FieldSpec, ...] = (_fs("metadata/name"),)

# api/internal/builtins/PrefixTransformer.go and SuffixTransformer.go: kinds never renamed.
NAME_PREFIX_SKIP: tuple[FieldSpec, ...] = (
    _fs("", kind="CustomResourceDefinition"),
    _fs("", kind="APIService", group="apiregistration.k8s.io"),
    _fs("", kind="Namespace"),
)

# --- api/konfig/builtinpluginconsts/namespace.go ---------------------------------------------
# metadata/namespace is handled apart (only for namespaced kinds), and so are RoleBinding and
# ClusterRoleBinding subjects (api/filters/namespace/namespace.go), as in kustomize.
NAMESPACE: tuple[FieldSpec, ...] = (
    _fs("metadata/namespace", create=True),
    _fs("metadata/name", kind="Namespace", create=True),
    _fs("subjects[]/namespace", kind="RoleBinding"),
    _fs("subjects[]/namespace", kind="ClusterRoleBinding"),
    _fs("spec/service/namespace", kind="APIService", group="apiregistration.k8s.io", create=True),
    _fs(
        "spec/conversion/webhook/clientConfig/service/namespace",
        kind="CustomResourceDefinition",
        group="apiextensions.k8s.io",
    ),
)

# --- api/konfig/builtinpluginconsts/metadatalabels.go ----------------------------------------
# Where `labels:` with includeTemplates (and every label transformer) writes besides selectors.
TEMPLATE_LABELS: tuple[FieldSpec, ...] = (
    _fs("metadata/labels", create=True),
    _fs("spec/template/metadata/labels", kind="ReplicationController", version="v1", create=True),
    _fs("spec/template/metadata/labels", kind="Deployment", create=True),
    _fs("spec/template/metadata/labels", kind="ReplicaSet", create=True),
    _fs("spec/template/metadata/labels", kind="DaemonSet", create=True),
    _fs("spec/template/metadata/labels", kind="StatefulSet", group="apps", create=True),
    _fs("spec/volumeClaimTemplates[]/metadata/labels", kind="StatefulSet", group="apps", create=True),
    _fs("spec/template/metadata/labels", kind="Job", group="batch", create=True),
    _fs("spec/jobTemplate/metadata/labels", kind="CronJob", group="batch", create=True),
    _fs("spec/jobTemplate/spec/template/metadata/labels", kind="CronJob", group="batch", create=True),
)

_AFFINITY = (
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
)

# --- api/konfig/builtinpluginconsts/commonlabels.go (selectors + metadatalabels.go) ----------
# Used by commonLabels and by `labels:` entries with includeSelectors: true.
COMMON_LABELS: tuple[FieldSpec, ...] = (
    _fs("spec/selector", kind="Service", version="v1", create=True),
    _fs("spec/selector", kind="ReplicationController", version="v1", create=True),
    _fs("spec/selector/matchLabels", kind="Deployment", create=True),
    *(_fs(p, kind="Deployment", group="apps") for p in _AFFINITY),
    _fs("spec/selector/matchLabels", kind="ReplicaSet", create=True),
    _fs("spec/selector/matchLabels", kind="DaemonSet", create=True),
    _fs("spec/selector/matchLabels", kind="StatefulSet", group="apps", create=True),
    *(_fs(p, kind="StatefulSet", group="apps") for p in _AFFINITY),
    # Job selectors are only updated when present: a Job's selector is normally generated.
    _fs("spec/selector/matchLabels", kind="Job", group="batch"),
    _fs("spec/jobTemplate/spec/selector/matchLabels", kind="CronJob", group="batch"),
    _fs("spec/selector/matchLabels", kind="PodDisruptionBudget", group="policy"),
    _fs("spec/podSelector/matchLabels", kind="NetworkPolicy", group="networking.k8s.io"),
    _fs("spec/ingress/from/podSelector/matchLabels", kind="NetworkPolicy", group="networking.k8s.io"),
    _fs("spec/egress/to/podSelector/matchLabels", kind="NetworkPolicy", group="networking.k8s.io"),
    *TEMPLATE_LABELS,
)

# --- api/konfig/builtinpluginconsts/commonannotations.go -------------------------------------
COMMON_ANNOTATIONS: tuple[FieldSpec, ...] = (
    _fs("metadata/annotations", create=True),
    _fs("spec/template/metadata/annotations", kind="ReplicationController", version="v1", create=True),
    _fs("spec/template/metadata/annotations", kind="Deployment", create=True),
    _fs("spec/template/metadata/annotations", kind="ReplicaSet", create=True),
    _fs("spec/template/metadata/annotations", kind="DaemonSet", create=True),
    _fs("spec/template/metadata/annotations", kind="StatefulSet", create=True),
    _fs("spec/template/metadata/annotations", kind="Job", group="batch", create=True),
    _fs("spec/jobTemplate/metadata/annotations", kind="CronJob", group="batch", create=True),
    _fs("spec/jobTemplate/spec/template/metadata/annotations", kind="CronJob", group="batch", create=True),
)

# --- api/konfig/builtinpluginconsts/images.go ------------------------------------------------
# (v5.5 has no volumes[]/image entries; the image transformer also walks every
# containers/initContainers list anywhere, see images.py.)
IMAGES: tuple[FieldSpec, ...] = (
    _fs("spec/containers[]/image", create=True),
    _fs("spec/initContainers[]/image", create=True),
    _fs("spec/template/spec/containers[]/image", create=True),
    _fs("spec/template/spec/initContainers[]/image", create=True),
)


# --- api/konfig/builtinpluginconsts/namereference.go -----------------------------------------
@dataclass(frozen=True)
class NameBackReference:
    """Resources of kind ``kind`` (group/version) are referred to by name at ``referrers``."""

    kind: str
    group: str
    version: str
    referrers: tuple[FieldSpec, ...]

    def selects(self, group: str, version: str, kind: str) -> bool:
        return (
            (not self.kind or self.kind == kind)
            and (not self.group or self.group == group)
            and (not self.version or self.version == version)
        )


_WORKLOADS = ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job")


def _pod_refs(
    pod_paths: tuple[str, ...], *, pod_version: str = "v1", workloads: tuple[str, ...] = _WORKLOADS, cron: tuple[str, ...] = ()
) -> tuple[FieldSpec, ...]:
    """The same pod-spec paths for a Pod, the template-bearing workloads and CronJob."""
    out = [_fs(f"spec/{p}", kind="Pod", version=pod_version) for p in pod_paths]
    for kind in workloads:
        out += [_fs(f"spec/template/spec/{p}", kind=kind) for p in pod_paths]
    out += [_fs(f"spec/jobTemplate/spec/template/spec/{p}", kind="CronJob") for p in cron]
    return tuple(out)


_CM_POD = (
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
)
_SECRET_POD = (
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
)
_SA_KINDS = ("StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet")

# A faithful subset: every referrer of ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim,
# Role and ClusterRole that kustomize lists, plus Service and the HPA scale targets.
NAME_REFERENCE: tuple[NameBackReference, ...] = (
    NameBackReference(
        "Deployment", "", "", (_fs("spec/scaleTargetRef/name", kind="HorizontalPodAutoscaler"),)
    ),
    NameBackReference(
        "ReplicationController", "", "", (_fs("spec/scaleTargetRef/name", kind="HorizontalPodAutoscaler"),)
    ),
    NameBackReference(
        "ReplicaSet", "", "", (_fs("spec/scaleTargetRef/name", kind="HorizontalPodAutoscaler"),)
    ),
    NameBackReference(
        "StatefulSet", "", "", (_fs("spec/scaleTargetRef/name", kind="HorizontalPodAutoscaler"),)
    ),
    NameBackReference(
        "ConfigMap",
        "",
        "v1",
        _pod_refs(_CM_POD, cron=_CM_POD)
        + (
            _fs("spec/configSource/configMap", kind="Node"),
            _fs("rules/resourceNames", kind="Role"),
            _fs("rules/resourceNames", kind="ClusterRole"),
            _fs("metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap", kind="Ingress"),
        ),
    ),
    NameBackReference(
        "Secret",
        "",
        "v1",
        _pod_refs(_SECRET_POD, cron=_SECRET_POD)
        + (
            _fs("spec/tls/secretName", kind="Ingress"),
            _fs("metadata/annotations/ingress.kubernetes.io\\/auth-secret", kind="Ingress"),
            _fs("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret", kind="Ingress"),
            _fs("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret", kind="Ingress"),
            _fs("imagePullSecrets/name", kind="ServiceAccount"),
            _fs("parameters/secretName", kind="StorageClass"),
            _fs("parameters/adminSecretName", kind="StorageClass"),
            _fs("parameters/userSecretName", kind="StorageClass"),
            _fs("parameters/secretRef", kind="StorageClass"),
            _fs("rules/resourceNames", kind="Role"),
            _fs("rules/resourceNames", kind="ClusterRole"),
            _fs("spec/azureFile/secretName", kind="PersistentVolume"),
        ),
    ),
    NameBackReference(
        "Service",
        "",
        "v1",
        (
            _fs("spec/serviceName", kind="StatefulSet", group="apps"),
            _fs("spec/rules/http/paths/backend/serviceName", kind="Ingress"),
            _fs("spec/backend/serviceName", kind="Ingress"),
            _fs("spec/rules/http/paths/backend/service/name", kind="Ingress"),
            _fs("spec/defaultBackend/service/name", kind="Ingress"),
        ),
    ),
    NameBackReference(
        "Role",
        "rbac.authorization.k8s.io",
        "",
        (_fs("roleRef/name", kind="RoleBinding", group="rbac.authorization.k8s.io"),),
    ),
    NameBackReference(
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "",
        (
            _fs("roleRef/name", kind="RoleBinding", group="rbac.authorization.k8s.io"),
            _fs("roleRef/name", kind="ClusterRoleBinding", group="rbac.authorization.k8s.io"),
        ),
    ),
    NameBackReference(
        "ServiceAccount",
        "",
        "v1",
        (
            _fs("subjects", kind="RoleBinding", group="rbac.authorization.k8s.io"),
            _fs("subjects", kind="ClusterRoleBinding", group="rbac.authorization.k8s.io"),
            _fs("spec/serviceAccountName", kind="Pod"),
            *(_fs("spec/template/spec/serviceAccountName", kind=k) for k in _SA_KINDS),
            _fs("spec/jobTemplate/spec/template/spec/serviceAccountName", kind="CronJob"),
        ),
    ),
    NameBackReference(
        "PersistentVolumeClaim",
        "",
        "v1",
        (
            _fs("spec/volumes/persistentVolumeClaim/claimName", kind="Pod"),
            *(_fs("spec/template/spec/volumes/persistentVolumeClaim/claimName", kind=k) for k in _SA_KINDS),
            _fs("spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName", kind="CronJob"),
        ),
    ),
)
