"""Which fields each transformer touches, as data.

The tables are Kustomize v5.5.0's own default configuration (``defaultconfig.yaml``, read by
:mod:`.config`); the constants below are its parts, by transformer. A
:class:`FieldSpec` selects resources by group/version/kind (empty = any) and names a path of
map keys separated by ``/``; a key ending in ``[]`` is a list to walk through (lists met on the
way are walked through anyway), and ``\\/`` escapes a ``/`` inside a key. ``create`` says
whether missing fields on the way are created.
"""

from __future__ import annotations

from ..._record import record

__all__ = [
    "FieldSpec",
    "NAME_PREFIX",
    "NAME_SUFFIX",
    "REPLICAS",
    "VAR_REFERENCE",
    "NAME_PREFIX_SKIP",
    "NAMESPACE",
    "COMMON_LABELS",
    "TEMPLATE_LABELS",
    "COMMON_ANNOTATIONS",
    "IMAGES",
    "NAME_REFERENCE",
    "NameBackReference",
]


@record(frozen=True)
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


# api/internal/builtins/PrefixTransformer.go and SuffixTransformer.go: kinds never renamed.
NAME_PREFIX_SKIP: tuple[FieldSpec, ...] = (
    _fs("", kind="CustomResourceDefinition"),
    _fs("", kind="APIService", group="apiregistration.k8s.io"),
    _fs("", kind="Namespace"),
)


@record(frozen=True)
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



_CONSTANTS = {
    "NAME_PREFIX": "name_prefix",
    "NAME_SUFFIX": "name_suffix",
    "NAMESPACE": "namespace",
    "COMMON_LABELS": "common_labels",
    "TEMPLATE_LABELS": "template_labels",
    "COMMON_ANNOTATIONS": "common_annotations",
    "IMAGES": "images",
    "REPLICAS": "replicas",
    "VAR_REFERENCE": "var_reference",
    "NAME_REFERENCE": "name_reference",
}


def __getattr__(name: str) -> object:
    """The default tables by their constant names (read on first use)."""
    attr = _CONSTANTS.get(name)
    if attr is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .config import default_config

    return getattr(default_config(), attr)
