"""Retrying calls to remote APIs: exponential backoff with full jitter, bounded twice.

A call is retried only when a classifier says the failure is transient. The delay before
retry ``n`` (0-based) is drawn uniformly from ``[0, min(max_delay, base_delay * 2**n)]``
("full jitter"), unless the server said how long to wait (``Retry-After``), in which case
exactly that is waited. Retrying stops at ``max_attempts`` calls or when the next sleep would
end after ``max_elapsed`` seconds from the first call, whichever comes first; the caller then
gets :class:`RetriesExhausted` carrying the last failure.

Nothing here knows Kubernetes or AWS: the runners pass a classifier. Sleep, clock and the
random source are injectable so tests run instantly and assert the delays.

>>> calls = []
>>> def flaky():
...     calls.append(1)
...     if len(calls) < 3:
...         raise OSError("reset")
...     return "ok"
>>> slept = []
>>> retry_call(flaky, classify=lambda e: Retryable() if isinstance(e, OSError) else None,
...            policy=RetryPolicy(base_delay=1.0), sleep=slept.append, rng=lambda: 1.0)
'ok'
>>> slept
[1.0, 2.0]
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "RetryPolicy",
    "Retryable",
    "RetriesExhausted",
    "retry_call",
    "backoff_delay",
    "parse_retry_after",
]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    Attributes:
        max_attempts: calls in total, the first included (1 means never retry).
        max_elapsed: seconds from the first call after which no further sleep starts.
        base_delay: the cap of the first backoff draw, doubled per retry.
        max_delay: the largest cap of a backoff draw (a server's Retry-After is not capped,
            but it still counts against ``max_elapsed``).
    """

    max_attempts: int = 6
    max_elapsed: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 10.0


@dataclass(frozen=True)
class Retryable:
    """A classifier's verdict that a failure is transient.

    Attributes:
        retry_after: seconds the server asked us to wait, if it said so.
        why: a short description of the failure, kept for messages.
    """

    retry_after: float | None = None
    why: str = ""


class RetriesExhausted(Exception):
    """A transient failure persisted past the retry budget.

    Attributes:
        last: the last failure.
        attempts: how many calls were made.
        elapsed: seconds spent, by the clock given to :func:`retry_call`.
        why: the classifier's description of the last failure.
    """

    def __init__(self, last: BaseException, attempts: int, elapsed: float, why: str = "") -> None:
        super().__init__(f"gave up after {attempts} attempt(s) in {elapsed:.1f}s: {why or last}")
        self.last = last
        self.attempts = attempts
        self.elapsed = elapsed
        self.why = why or str(last)


def backoff_delay(retry: int, policy: RetryPolicy, rng: Callable[[], float] = random.random) -> float:
    """The full-jitter delay before retry number ``retry`` (0-based).

    >>> backoff_delay(3, RetryPolicy(base_delay=0.5, max_delay=10.0), rng=lambda: 1.0)
    4.0
    >>> backoff_delay(10, RetryPolicy(base_delay=0.5, max_delay=10.0), rng=lambda: 0.5)
    5.0
    """
    cap = min(policy.max_delay, policy.base_delay * (2 ** min(retry, 62)))
    return rng() * cap


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value (delta-seconds or HTTP-date).

    Returns None when the value is missing or unreadable; never a negative number.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0)
    10.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_call(
    fn: Callable[[], T],
    *,
    classify: Callable[[BaseException], Retryable | None],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, a failure is not transient, or the budget is spent.

    Args:
        fn: the call, without arguments.
        classify: returns :class:`Retryable` for a transient failure, None otherwise.
            Only ``Exception`` subclasses are offered to it; others propagate.
        policy: the bounds.
        sleep: called with each delay, in seconds.
        clock: a monotonic clock in seconds, for ``policy.max_elapsed``.
        rng: uniform draws in ``[0, 1)`` for the jitter.
        on_retry: called as ``on_retry(attempt, error, delay)`` before each sleep.

    Returns:
        What ``fn`` returned.

    Raises:
        RetriesExhausted: a transient failure outlasted ``policy`` (from the last failure).
        Exception: a failure ``classify`` did not call transient, unchanged.
    """
    start = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            verdict = classify(exc)
            if verdict is None:
                raise
            elapsed = clock() - start
            if attempt >= policy.max_attempts:
                raise RetriesExhausted(exc, attempt, elapsed, verdict.why) from exc
            if verdict.retry_after is not None:
                delay = verdict.retry_after
            else:
                delay = backoff_delay(attempt - 1, policy, rng)
            if elapsed + delay > policy.max_elapsed:
                raise RetriesExhausted(exc, attempt, elapsed, verdict.why) from exc
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
