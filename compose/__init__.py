"""compose: build Kubernetes Jobs and ECS tasks from bases and metadata-selected overlays.

The public API:

* :class:`Composer` - a spec repo (``compose.yaml``) loaded once, built for many runs.
* :class:`FlowRun`, :class:`KubernetesSpec`, :class:`EcsSpec` - a run, and what was built for it.
* :func:`strategic_merge` - Kubernetes strategic merge patch (API-server or kustomize list order).
* :func:`build_kustomization` - ``kubectl kustomize`` for a directory, as a list of dicts.
* :class:`ComposeError` - the root of every error compose raises.

Runners and the agent live in :mod:`compose.runner` and :mod:`compose.agent`; importing
``compose`` imports neither ``kubernetes`` nor ``boto3``.
"""

from __future__ import annotations

from typing import Any

from compose._lazy import lazy_attributes

from .errors import ComposeError, ValidationError

__all__ = [
    "Composer",
    "ComposeError",
    "EcsSpec",
    "FlowRun",
    "KubernetesSpec",
    "ValidationError",
    "build_kustomization",
    "strategic_merge",
]

__version__ = "0.1.0"


def build_kustomization(path: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """The manifests ``kubectl kustomize PATH`` prints, as dicts (see compose.kustomize.build)."""
    from .kustomize import build_documents

    return build_documents(path, **kwargs)


# Loaded on first use, so that `import compose` (and `compose build`) pays only for what runs.
_LAZY = {
    "Composer": "compose.composer",
    "EcsSpec": "compose.model",
    "FlowRun": "compose.model",
    "KubernetesSpec": "compose.model",
    "strategic_merge": "compose.merge",
}


__getattr__ = lazy_attributes(globals(), _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
