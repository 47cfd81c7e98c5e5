"""Retrying calls to remote APIs: exponential backoff with full jitter, bounded twice.

A call is retried only when a classifier says the failure is transient. The delay before
retry ``n`` (0-based) is drawn uniformly from ``[0, min(max_delay, base_delay * 2**n)]``
("full jitter"), unless the server said how long to wait (``Retry-After``), in which case
exactly that is waited. Retrying stops at ``max_attempts`` calls or when the next sleep would
end after ``max_elapsed`` seconds from the first call, whichever comes first; the caller then
gets :class:`RetriesExhausted` carrying the last failure.

Nothing here knows Kubernetes or AWS: the runners pass a classifier. Sleep, clock and the
random source are injectable so tests run instantly and assert the delays.

Two things are shared by every call of one backend (one runner):

* an :class:`Outage` breaker. A transient failure starts an outage, any answer from the
  backend ends it. A call that starts (or goes on retrying) when the outage is older than
  its ``max_elapsed`` gives up at once instead of spending a budget of its own, except for
  one probe at a time, which finds out whether the backend is back. So an outage costs the
  agent about one ``max_elapsed``, not one per run.
* a stop :class:`threading.Event`. Once set, no new attempt starts and backoff sleeps end at
  once: the call raises :class:`Interrupted`.

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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "RetryPolicy",
    "Retryable",
    "RetriesExhausted",
    "Interrupted",
    "Outage",
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


class Interrupted(Exception):
    """The runner was told to stop (:meth:`threading.Event.set` on its stop event) while a call
    was being retried.

    Attributes:
        attempts: how many calls were made before the stop (0: none was sent).
        last: the last failure, if there was one.
    """

    def __init__(self, attempts: int, last: BaseException | None = None) -> None:
        super().__init__(f"stopped after {attempts} attempt(s)")
        self.attempts = attempts
        self.last = last


class Outage:
    """A circuit breaker shared by every call to one backend.

    The first transient failure after an answer opens an outage; any answer (even an error
    that is not transient) closes it. While an outage is older than a call's ``max_elapsed``,
    :func:`retry_call` lets one call at a time make a single probe attempt and makes the
    others give up without sending anything.

    >>> o = Outage()
    >>> o.failed(10.0, "connection refused"); o.age(40.0)
    30.0
    >>> o.answered(); o.age(50.0)
    0.0
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None
        self.why = ""
        self._probing = False

    def failed(self, now: float, why: str) -> None:
        """Record a transient failure seen at ``now``."""
        with self._lock:
            if self.since is None:
                self.since = now
            self.why = why

    def answered(self) -> None:
        """Record that the backend answered: the outage, if any, is over."""
        with self._lock:
            self.since = None
            self.why = ""

    def age(self, now: float) -> float:
        """Seconds since the outage began (0 when there is none)."""
        since = self.since
        return 0.0 if since is None else max(0.0, now - since)

    def try_probe(self) -> bool:
        """Take the single probe slot; False when another call holds it."""
        with self._lock:
            if self._probing:
                return False
            self._probing = True
            return True

    def end_probe(self) -> None:
        with self._lock:
            self._probing = False


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
    outage: Outage | None = None,
    stop: threading.Event | None = None,
) -> T:
    """Call ``fn`` until it succeeds, a failure is not transient, or the budget is spent.

    Args:
        fn: the call, without arguments.
        classify: returns :class:`Retryable` for a transient failure, None otherwise.
            Only ``Exception`` subclasses are offered to it; others propagate.
        policy: the bounds.
        sleep: called with each delay, in seconds (with ``stop``, a sleep that ``stop``
            can cut short is used when ``sleep`` is :func:`time.sleep`).
        clock: a monotonic clock in seconds, for ``policy.max_elapsed``.
        rng: uniform draws in ``[0, 1)`` for the jitter.
        on_retry: called as ``on_retry(attempt, error, delay)`` before each sleep.
        outage: the backend's shared breaker (see :class:`Outage`).
        stop: when set, no further attempt starts.

    Returns:
        What ``fn`` returned.

    Raises:
        RetriesExhausted: a transient failure outlasted ``policy``, or the backend's outage
            is older than ``policy.max_elapsed`` (``attempts`` may then be 0 or 1).
        Interrupted: ``stop`` was set.
        Exception: a failure ``classify`` did not call transient, unchanged.
    """
    if stop is not None and sleep is time.sleep:
        sleep = stop.wait  # type: ignore[assignment]
    start = clock()
    attempt = 0
    last: BaseException | None = None
    while True:
        if stop is not None and stop.is_set():
            raise Interrupted(attempt, last)
        probing = False
        if outage is not None and outage.age(clock()) > policy.max_elapsed:
            # The backend has been failing for longer than a whole budget: one probe at a
            # time finds out whether it is back; every other call gives up unsent.
            if attempt > 0 or not outage.try_probe():
                why = f"the backend has been failing for {outage.age(clock()):.0f}s: {outage.why}"
                raise RetriesExhausted(last or ConnectionError(why), attempt, clock() - start, why) from last
            probing = True
        attempt += 1
        began = clock()
        try:
            result = fn()
        except Exception as exc:
            verdict = classify(exc)
            if verdict is None:
                if outage is not None:
                    outage.answered()
                raise
            last = exc
            if outage is not None:
                # The outage began when the failed request was sent (a black hole answers
                # nothing for a whole read timeout).
                outage.failed(began, verdict.why)
            elapsed = clock() - start
            if probing or attempt >= policy.max_attempts:
                raise RetriesExhausted(exc, attempt, elapsed, verdict.why) from exc
            if verdict.retry_after is not None:
                delay = verdict.retry_after
            else:
                delay = backoff_delay(attempt - 1, policy, rng)
            if elapsed + delay > policy.max_elapsed:
                raise RetriesExhausted(exc, attempt, elapsed, verdict.why) from exc
            if stop is not None and stop.is_set():
                raise Interrupted(attempt, exc) from exc
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
        else:
            if outage is not None:
                outage.answered()
            return result
        finally:
            if probing and outage is not None:
                outage.end_probe()
