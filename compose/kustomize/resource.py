"""A resource being built, and its identity.

A :class:`Resource` is one manifest (a plain dict) plus what the build knows about it: the file
and document it came from, the line table of that document, the identities it had before
transformers renamed it (Kustomize keeps these to fix name references), and, for generated
ConfigMaps and Secrets, whether a content hash must be appended to its name.

The pipeline owns its resources: transformers change ``resource.data`` in place and record
renames through :meth:`Resource.rename` / :meth:`Resource.set_namespace`.
"""

from __future__ import annotations

from .._record import field
from .._record import record as dataclass
from typing import Any

__all__ = ["ResId", "Resource", "CLUSTER_SCOPED", "CLUSTER_SCOPED_KINDS", "is_cluster_scoped"]

# The types Kustomize v5.5 knows to be cluster-scoped: apiVersion and kind, as its precomputed
# table (kyaml/openapi/openapi.go, precomputedIsNamespaceScoped, the entries set to false).
# Every other type, a `Namespace` outside the core group included, is namespaced for Kustomize.
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
        ("apiregistration.k8s.io/v1", "APIService"),
        ("apiregistration.k8s.io/v1beta1", "APIService"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
        ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("networking.k8s.io/v1beta1", "IngressClass"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("node.k8s.io/v1beta1", "RuntimeClass"),
        ("policy/v1beta1", "PodSecurityPolicy"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("scheduling.k8s.io/v1beta1", "PriorityClass"),
        ("storage.k8s.io/v1", "CSIDriver"),
        ("storage.k8s.io/v1", "CSINode"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("storage.k8s.io/v1", "VolumeAttachment"),
        ("storage.k8s.io/v1beta1", "CSIDriver"),
        ("storage.k8s.io/v1beta1", "CSINode"),
        ("storage.k8s.io/v1beta1", "StorageClass"),
        ("storage.k8s.io/v1beta1", "VolumeAttachment"),
        ("v1", "ComponentStatus"),
        ("v1", "Namespace"),
        ("v1", "Node"),
        ("v1", "NodeProxyOptions"),
        ("v1", "PersistentVolume"),
    }
)

#: Kinds that are cluster-scoped in some API version (for callers that know only a kind).
CLUSTER_SCOPED_KINDS = frozenset(kind for _, kind in CLUSTER_SCOPED)


def is_cluster_scoped(api_version: str, kind: str) -> bool:
    """Whether Kustomize treats resources of this apiVersion and kind as cluster-scoped."""
    return (api_version, kind) in CLUSTER_SCOPED


@dataclass(frozen=True)
class ResId:
    """Group, version, kind, name and namespace of a resource (namespace "" when unset)."""

    group: str
    version: str
    kind: str
    name: str
    namespace: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def is_cluster_scoped(self) -> bool:
        return (self.api_version, self.kind) in CLUSTER_SCOPED

    def gvk(self) -> str:
        """``group_version_kind`` as Kustomize sorts unlisted kinds by it."""
        return f"{self.group}_{self.version}_{self.kind}"

    def __str__(self) -> str:
        ns = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.kind} {self.name!r} ({self.api_version}){ns}"


def split_api_version(api_version: str) -> tuple[str, str]:
    """``"batch/v1"`` -> ``("batch", "v1")``; ``"v1"`` -> ``("", "v1")``."""
    if "/" in api_version:
        group, _, version = api_version.rpartition("/")
        return group, version
    return "", api_version


@dataclass
class Resource:
    """One manifest in a build.

    Attributes:
        data: the manifest.
        file: the file it came from ("" for generated resources).
        doc_index: its document index in ``file``.
        locations: field path -> (line, column) in ``file`` (see compose.yamlio.Document).
        previous: identities it had before renames, oldest first (for name references).
        needs_hash: a generated ConfigMap/Secret whose name gets Kustomize's content hash.
        generator_behavior: "create", "merge" or "replace" for generated resources.
        name_prefixes: namePrefixes applied to it, outermost last (name references use them
            to choose between candidates renamed differently, as Kustomize does).
        name_suffixes: nameSuffixes applied to it, likewise.
        quoted: paths of its fields whose values were written quoted or as a block, as a
            strategic merge patch needs them (kyaml keeps the style of a value it
            overwrites); ``None`` when unknown (generated, or after a JSON 6902 patch).
    """

    data: dict[str, Any]
    file: str = ""
    doc_index: int = 0
    locations: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    previous: list[ResId] = field(default_factory=list)
    needs_hash: bool = False
    generator_behavior: str | None = None
    name_prefixes: list[str] = field(default_factory=list)
    name_suffixes: list[str] = field(default_factory=list)
    quoted: set[tuple[Any, ...]] | None = None

    # --- identity -------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or "")

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion") or "")

    @property
    def metadata(self) -> dict[str, Any]:
        md = self.data.get("metadata")
        if not isinstance(md, dict):
            md = {}
            self.data["metadata"] = md
        return md

    @property
    def name(self) -> str:
        md = self.data.get("metadata")
        return str(md.get("name") or "") if isinstance(md, dict) else ""

    @property
    def namespace(self) -> str:
        md = self.data.get("metadata")
        return str(md.get("namespace") or "") if isinstance(md, dict) else ""

    @property
    def id(self) -> ResId:
        group, version = split_api_version(self.api_version)
        return ResId(group, version, self.kind, self.name, self.namespace)

    def original_id(self) -> ResId:
        """The identity before any rename in this build."""
        return self.previous[0] if self.previous else self.id

    def all_ids(self) -> list[ResId]:
        """Every identity it has had, oldest first, the current one last."""
        return [*self.previous, self.id]

    def is_cluster_scoped(self) -> bool:
        return (self.api_version, self.kind) in CLUSTER_SCOPED

    # --- renames, remembered for name references --------------------------------------------
    def rename(self, new_name: str) -> None:
        """Set ``metadata.name``, remembering the old identity."""
        if new_name != self.name:
            self.previous.append(self.id)
            self.metadata["name"] = new_name

    def set_namespace(self, namespace: str) -> None:
        """Set ``metadata.namespace``, remembering the old identity."""
        if namespace != self.namespace:
            self.previous.append(self.id)
            self.metadata["namespace"] = namespace

    def where(self) -> str:
        """``file`` (and document index when not the first), for error messages."""
        if not self.file:
            return "<generated>"
        return self.file if self.doc_index == 0 else f"{self.file} (document {self.doc_index + 1})"
