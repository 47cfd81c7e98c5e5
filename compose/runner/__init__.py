"""Submitting composed specs: the Kubernetes runner (and, beside it, ECS).

Importing this package imports neither ``kubernetes`` nor ``boto3``; the names below are
loaded on first use, and the runners import their SDKs only when they talk to a cluster.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "KubernetesRunner",
    "SubmitResult",
    "JobOutcome",
    "KubernetesAPIError",
    "EcsRunner",
    "RunResult",
    "TaskOutcome",
    "EcsApiError",
    "RetryPolicy",
]

_LAZY = {
    "KubernetesRunner": "compose.runner.kubernetes",
    "SubmitResult": "compose.runner.kubernetes",
    "JobOutcome": "compose.runner.kubernetes",
    "KubernetesAPIError": "compose.runner.kubernetes",
    "EcsRunner": "compose.runner.ecs",
    "RunResult": "compose.runner.ecs",
    "TaskOutcome": "compose.runner.ecs",
    "EcsApiError": "compose.runner.ecs",
    "RetryPolicy": "compose.runner._retry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
