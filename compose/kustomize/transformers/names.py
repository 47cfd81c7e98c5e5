"""namePrefix and nameSuffix, as Kustomize v5.5's PrefixTransformer and SuffixTransformer.

Every resource's ``metadata.name`` gets the prefix (then, separately, the suffix), except
CustomResourceDefinitions, APIServices (apiregistration.k8s.io) and Namespaces. Each rename is
recorded on the resource (``Resource.previous``) so that :mod:`.namereference` can later
update references to it, and the prefixes and suffixes applied are remembered per resource
because name references prefer a target renamed the same way as the referrer.

Example::

    namePrefix: dev-      # ConfigMap "cfg" -> "dev-cfg"; Namespace "ns" stays "ns"
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..resource import Resource
from ._common import affixes, live, scalar_text, store_previous_id
from .fieldpath import walk
from .config import TransformerConfig, default_config
from .fieldspecs import NAME_PREFIX_SKIP, FieldSpec

__all__ = ["apply"]


def apply(resources: Sequence[Resource], prefix: str, suffix: str, config: TransformerConfig | None = None) -> None:
    """Add ``prefix`` and ``suffix`` to the names of ``resources``, in place.

    Args:
        resources: the resources of one kustomization level (changed in place).
        prefix: the kustomization's ``namePrefix`` ("" for none).
        suffix: the kustomization's ``nameSuffix`` ("" for none).
        config: the field specs (default: Kustomize's, ``metadata/name``).
    """
    cfg = config or default_config()
    _affix(resources, prefix, "prefix", cfg.name_prefix)
    _affix(resources, suffix, "suffix", cfg.name_suffix)


def _skipped(res: Resource) -> bool:
    org = res.original_id()
    return any(s.selects(org.group, org.version, org.kind) for s in NAME_PREFIX_SKIP)


def _affix(resources: Sequence[Resource], text: str, which: str, specs: Sequence[FieldSpec]) -> None:
    if not text:
        return
    for res in live(resources):
        if _skipped(res):
            continue
        org = res.original_id()
        for spec in specs:
            if not spec.selects(org.group, org.version, org.kind):
                continue
            if spec.path == "metadata/name" and text:
                affixes(res, which).append(text)
                store_previous_id(res)

            def visit(container: Any, key: Any) -> None:
                value = container[key]
                if value is None or isinstance(value, (dict, list)):
                    return
                value = scalar_text(value)
                container[key] = text + value if which == "prefix" else value + text

            walk(res.data, spec.path, visit)
