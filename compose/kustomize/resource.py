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

__all__ = ["ResId", "Resource", "CLUSTER_SCOPED_KINDS"]

# Kinds without a namespace (core and common APIs), as Kustomize's built-in list.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CustomResourceDefinition",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "FlowSchema",
        "RuntimeClass",
        "SelfSubjectAccessReview",
        "SelfSubjectRulesReview",
        "StorageClass",
        "SubjectAccessReview",
        "TokenReview",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


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
        return self.kind in CLUSTER_SCOPED_KINDS

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
