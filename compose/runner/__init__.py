"""Submitting composed specs: the Kubernetes runner (and, beside it, ECS).

Importing this package imports neither ``kubernetes`` nor ``boto3``; the names below are
loaded on first use, and the runners import their SDKs only when they talk to a cluster.
"""

from __future__ import annotations


from compose._lazy import lazy_attributes

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


__getattr__ = lazy_attributes(globals(), _LAZY)
