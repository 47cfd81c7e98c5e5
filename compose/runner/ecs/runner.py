""":class:`EcsRunner`: the runner's state and configuration; its jobs live in the mixins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from compose.runner._retry import Outage, RetryPolicy

from .calls import DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY, _make_client, own_retries
from .registry import _TaskDefinitions
from .tasks import _Tasks
from .wait import _Waiting

__all__ = ["EcsRunner"]


class EcsRunner(_TaskDefinitions, _Tasks, _Waiting):
    """Registers task definitions when they change, runs one task per run, waits, cancels.

    Args:
        client: a boto3 ECS client to use (tests pass one with a Stubber or an endpoint).
            When None, one is made from ``region``, ``profile`` and ``endpoint_url``.
        region: AWS region for the client made here.
        profile: AWS profile (shared config) for the client made here.
        endpoint_url: ECS endpoint for the client made here (a moto server, a VPC endpoint).
        cluster: cluster used when a run request or a call names none (None: ECS's
            ``default`` cluster).
        retry: retry bounds for transient failures.
        sleep: called with seconds to wait (backoff and polling); injectable for tests.
        clock: monotonic seconds; injectable for tests.
        rng: uniform draws in ``[0, 1)`` for the backoff jitter.
        cache_ttl: seconds for which this runner trusts a (family, hash) -> revision it
            registered or found, without asking ECS again; 0 asks every time. Another
            process deregistering that revision is noticed at the latest after this long.
        search_depth: how many of the newest ACTIVE revisions may be checked for the hash
            when the latest one carries another (1 checks the latest only). Looking a few
            deep stops two profiles that share a family from registering a revision on
            every alternation.
        request_timeout: ``(connect, read)`` seconds per request of the client made here.
            With ``retry.max_elapsed`` it bounds a call: at most ``max_elapsed`` plus one
            request.

    botocore's own retries are off for every call (also on a client passed in): the runner
    makes every retry itself, and a retry of RunTask or RegisterTaskDefinition starts with
    the lookup. All calls of one runner share an outage breaker
    (:class:`compose.runner._retry.Outage`): once ECS has failed for ``retry.max_elapsed``
    seconds, calls give up unsent, but for one probe at a time.

    Raises:
        SubmitError: the client cannot be made (unknown profile, no region).
    """

    def __init__(
        self,
        client: Any = None,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        cluster: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] | None = None,
        cache_ttl: float = 30.0,
        search_depth: int = 5,
        request_timeout: tuple[float, float] = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.client = own_retries(
            client if client is not None else _make_client(region, profile, endpoint_url, request_timeout)
        )
        self._outage = Outage()
        self._stop = threading.Event()
        self._inflight: dict[tuple[str, str], Any] = {}
        self.cluster = cluster
        self.retry = retry
        self._sleep = sleep
        self._clock = clock
        if rng is None:
            import random

            rng = random.random
        self._rng = rng
        self.cache_ttl = cache_ttl
        self.search_depth = max(1, int(search_depth))
        self._lock = threading.Lock()
        self._family_locks: dict[str, threading.Lock] = {}
        self._revisions: dict[tuple[str, str], tuple[str, float]] = {}
        self._essentials: dict[str, dict[str, bool]] = {}
