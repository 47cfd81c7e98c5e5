"""Small helpers shared by the transformers (not public)."""

from __future__ import annotations

from collections.abc import Iterable

from ..resource import Resource, split_api_version
from .fieldspecs import FieldSpec

# Kustomize keeps, per resource, the name prefixes and suffixes applied at each level
# (build annotations config.kubernetes.io/prefixes and /suffixes); name references prefer a
# target renamed the same way as the referrer. They are kept beside the Resource's data.
_PREFIXES = "name_prefixes"
_SUFFIXES = "name_suffixes"


def gvk(res: Resource) -> tuple[str, str, str]:
    """(group, version, kind) of a resource."""
    group, version = split_api_version(res.api_version)
    return group, version, res.kind


def selected(spec: FieldSpec, res: Resource) -> bool:
    """Whether ``spec`` applies to ``res``."""
    return spec.selects(*gvk(res))


def affixes(res: Resource, which: str) -> list[str]:
    """The prefixes (``which="prefix"``) or suffixes a resource got, outermost last."""
    attr = _PREFIXES if which == "prefix" else _SUFFIXES
    value = getattr(res, attr, None)
    if value is None:
        value = []
        setattr(res, attr, value)
    return value


def store_previous_id(res: Resource) -> None:
    """Remember the current identity, as Kustomize's StorePreviousId does (even if unchanged)."""
    res.previous.append(res.id)


def live(resources: Iterable[Resource]) -> list[Resource]:
    """Resources with a non-empty manifest (kustomize skips empty ones)."""
    return [r for r in resources if isinstance(r.data, dict) and r.data]


def scalar_text(value: object) -> str:
    """A scalar as the text Kustomize sees in the YAML node (``true``, ``1``, ``x``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
