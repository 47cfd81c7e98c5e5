"""buildMetadata, as Kustomize v5.5 (api/resource/origin.go, api/krusty/kustomizer.go).

``buildMetadata`` of the kustomization being built (the top one; it applies to every level
below it) turns on:

- ``originAnnotations``: ``config.kubernetes.io/origin`` on each resource, the file it was read
  from (``path:``, relative to the top kustomization) or, for a generated one, the
  kustomization and generator that made it (``configuredIn``, ``configuredBy``);
- ``transformerAnnotations``: ``alpha.config.kubernetes.io/transformations``, the list of
  built-in transformers run over each resource, in order, each named by the kustomization
  that configured it. Every transformer a kustomization configures is listed on every resource
  it runs over, whether it changed the resource or not (one entry per ``patches``,
  ``patchesJson6902``, ``labels``, ``images`` and ``replicas`` entry);
- ``managedByLabel``: the label ``app.kubernetes.io/managed-by: kustomize-(devel)``, the value
  ``kubectl kustomize`` v5.5 writes.

Both annotations are YAML text, written as Kustomize writes them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ...errors import KustomizationError
from ...suggest import closest
from ..resource import Resource
from ._common import live

__all__ = ["OPTIONS", "check", "file_origin", "generator_origin", "record", "finish"]

OPTIONS = ("originAnnotations", "transformerAnnotations", "managedByLabel")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "kustomize-(devel)"

_ORIGIN = "build_origin"
_TRANSFORMATIONS = "build_transformations"


def check(options: Sequence[str]) -> None:
    """Refuse options Kustomize does not know (it ignores them; a typo would go unnoticed).

    Raises:
        KustomizationError: an unknown option, with the closest known one.
    """
    for opt in options:
        if opt not in OPTIONS:
            close = closest(opt, OPTIONS)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise KustomizationError(
                f"unknown buildMetadata option {opt!r}{hint}; known: {', '.join(OPTIONS)}", step="buildMetadata"
            )


def relative(path: str, top_dir: str) -> str:
    """``path`` as Kustomize names it in build metadata: relative to the top kustomization."""
    return os.path.relpath(path, top_dir).replace(os.sep, "/")


def file_origin(res: Resource, path: str) -> None:
    """Remember that ``res`` was read from ``path`` (relative to the top kustomization)."""
    setattr(res, _ORIGIN, {"path": path})


def generator_origin(res: Resource, configured_in: str, kind: str) -> None:
    """Remember that ``res`` was made by the generator ``kind`` of ``configured_in``."""
    setattr(res, _ORIGIN, {"configuredIn": configured_in, "configuredBy": {"apiVersion": "builtin", "kind": kind}})


def record(resources: Sequence[Resource], configured_in: str, kind: str, times: int = 1) -> None:
    """Note that the transformer ``kind`` of ``configured_in`` ran ``times`` over ``resources``."""
    entry = {"configuredIn": configured_in, "configuredBy": {"apiVersion": "builtin", "kind": kind}}
    for res in live(resources):
        seen = getattr(res, _TRANSFORMATIONS, None)
        if seen is None:
            seen = []
            setattr(res, _TRANSFORMATIONS, seen)
        seen.extend([entry] * times)


def _scalar(value: str) -> str:
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, allow_unicode=True)
    return text.removesuffix("\n...\n").removesuffix("\n")


def _origin_text(origin: dict[str, Any], indent: str = "") -> str:
    lines = []
    for key in ("path", "configuredIn"):
        if key in origin:
            lines.append(f"{indent}{key}: {_scalar(origin[key])}")
    by = origin.get("configuredBy")
    if by:
        lines.append(f"{indent}configuredBy:")
        lines.append(f"{indent}  apiVersion: {_scalar(by['apiVersion'])}")
        lines.append(f"{indent}  kind: {_scalar(by['kind'])}")
    return "\n".join(lines) + "\n"


def _annotations(md: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(md.get("annotations"), dict):
        md["annotations"] = {}
    return md["annotations"]


def finish(resources: Sequence[Resource], options: Sequence[str]) -> None:
    """Write the annotations and label ``options`` ask for, in place (at the end of a build)."""
    for res in live(resources):
        md = res.metadata
        if "originAnnotations" in options:
            origin = getattr(res, _ORIGIN, None)
            if origin:
                _annotations(md)[ORIGIN_ANNOTATION] = _origin_text(origin)
        if "transformerAnnotations" in options:
            done = getattr(res, _TRANSFORMATIONS, None)
            if done:
                text = "".join("- " + _origin_text(t, "  ")[2:] for t in done)
                _annotations(md)[TRANSFORMATIONS_ANNOTATION] = text
        if "managedByLabel" in options:
            if not isinstance(md.get("labels"), dict):
                md["labels"] = {}
            md["labels"][MANAGED_BY_LABEL] = MANAGED_BY_VALUE
