""":class:`KubernetesRunner`: the runner's state and configuration; its jobs live in the mixins."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

from compose.constants import DEFAULT_FLOW_CONTAINER
import threading

from compose.runner._retry import Outage, RetryPolicy

from .config import SERVICE_ACCOUNT_DIR, load_config
from .submit import _Submission
from .watch import _Waiting

__all__ = ["KubernetesRunner"]


class KubernetesRunner(_Submission, _Waiting):
    """Submits Jobs to one cluster and namespace, exactly once per run id.

    Args:
        kubeconfig: path to a kubeconfig (``:``-separated list allowed). Defaults to
            ``$KUBECONFIG`` or ``~/.kube/config``.
        context: kubeconfig context; defaults to its current context.
        namespace: overrides the context's (or the service account's) namespace.
        in_cluster: True for the pod's service account, False for a kubeconfig, None to
            choose: a kubeconfig when one is named or exists, else the service account
            when ``KUBERNETES_SERVICE_HOST`` is set.
        flow_container: name of the container whose exit code is the run's.
        retry: retry bounds for API calls.
        request_timeout: seconds, or ``(connect, read)`` seconds, for each API request.
        sleep: used for backoff sleeps (tests pass a recorder).
        clock: monotonic clock for the retry time budget.
        rng: uniform ``[0, 1)`` source for jitter.
        service_account_dir: where the service account token, ``ca.crt`` and
            ``namespace`` are mounted.
        log_poll_interval: seconds between looks for a pod whose logs to follow.
        api_client: a ready ``kubernetes.client.ApiClient`` (then no config is loaded).

    Raises:
        SubmitError: no usable configuration was found.
    """

    def __init__(
        self,
        *,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        namespace: str | None = None,
        in_cluster: bool | None = None,
        flow_container: str = DEFAULT_FLOW_CONTAINER,
        retry: RetryPolicy | None = None,
        request_timeout: float | tuple[float, float] = (10.0, 30.0),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        service_account_dir: str | os.PathLike[str] = SERVICE_ACCOUNT_DIR,
        log_poll_interval: float = 0.5,
        api_client: Any = None,
    ) -> None:
        self.flow_container = flow_container
        self.retry = retry or RetryPolicy()
        self.request_timeout = request_timeout
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._log_poll = log_poll_interval
        self._explicit_namespace = namespace
        self._outage = Outage()
        self._stop = threading.Event()
        if api_client is not None:
            self.api_client = api_client
            self.namespace = namespace or "default"
            self.source = "api_client"
            return
        self.api_client, default_ns, self.source = self._load_config(
            kubeconfig, context, in_cluster, os.fspath(service_account_dir)
        )
        self.namespace = namespace or default_ns


    # ---- configuration

    _load_config = staticmethod(load_config)
