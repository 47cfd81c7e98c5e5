"""The generic retry helper: full jitter, Retry-After, bounded count and time."""

from __future__ import annotations

import pytest

from compose.runner._retry import (
    RetriesExhausted,
    Retryable,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_call,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


class Transient(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("transient")
        self.retry_after = retry_after


def classify(exc: BaseException) -> Retryable | None:
    if isinstance(exc, Transient):
        return Retryable(retry_after=exc.retry_after, why="503 busy")
    return None


def failing(errors: list[BaseException], result: str = "ok"):
    calls = []

    def fn() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    fn.calls = calls  # type: ignore[attr-defined]
    return fn


def test_full_jitter_draws_up_to_the_doubling_cap():
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    assert [backoff_delay(n, policy, rng=lambda: 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [backoff_delay(n, policy, rng=lambda: 0.0) for n in range(3)] == [0.0, 0.0, 0.0]
    assert backoff_delay(2, policy, rng=lambda: 0.25) == 0.5


def test_huge_retry_numbers_do_not_overflow():
    assert backoff_delay(10_000, RetryPolicy(max_delay=7.0), rng=lambda: 1.0) == 7.0


def test_retries_transient_failures_then_returns():
    clock = Clock()
    fn = failing([Transient(), Transient()])
    out = retry_call(fn, classify=classify, policy=RetryPolicy(base_delay=1.0), sleep=clock.sleep,
                     clock=clock, rng=lambda: 1.0)
    assert out == "ok"
    assert len(fn.calls) == 3
    assert clock.delays == [1.0, 2.0]


def test_retry_after_is_waited_exactly_not_jittered_or_capped():
    clock = Clock()
    fn = failing([Transient(retry_after=25.0)])
    retry_call(fn, classify=classify, policy=RetryPolicy(max_delay=1.0), sleep=clock.sleep, clock=clock,
               rng=lambda: 0.1)
    assert clock.delays == [25.0]


def test_non_transient_failure_propagates_unchanged_without_sleeping():
    clock = Clock()
    fn = failing([KeyError("x")])
    with pytest.raises(KeyError):
        retry_call(fn, classify=classify, sleep=clock.sleep, clock=clock)
    assert clock.delays == []
    assert len(fn.calls) == 1


def test_bounded_by_attempt_count():
    clock = Clock()
    fn = failing([Transient() for _ in range(10)])
    with pytest.raises(RetriesExhausted) as info:
        retry_call(fn, classify=classify, policy=RetryPolicy(max_attempts=4, base_delay=0.1), sleep=clock.sleep,
                   clock=clock, rng=lambda: 1.0)
    assert len(fn.calls) == 4
    assert len(clock.delays) == 3
    assert info.value.attempts == 4
    assert isinstance(info.value.last, Transient)
    assert info.value.__cause__ is info.value.last
    assert "503 busy" in str(info.value)


def test_bounded_by_total_time_before_sleeping_past_it():
    clock = Clock()
    fn = failing([Transient() for _ in range(100)])
    policy = RetryPolicy(max_attempts=100, max_elapsed=10.0, base_delay=1.0, max_delay=4.0)
    with pytest.raises(RetriesExhausted) as info:
        retry_call(fn, classify=classify, policy=policy, sleep=clock.sleep, clock=clock, rng=lambda: 1.0)
    # 1 + 2 + 4 = 7; the next 4 s would end at 11 > 10, so it stops without sleeping it.
    assert clock.delays == [1.0, 2.0, 4.0]
    assert info.value.elapsed == 7.0
    assert info.value.attempts == 4


def test_a_retry_after_beyond_the_budget_gives_up_at_once():
    clock = Clock()
    fn = failing([Transient(retry_after=120.0)])
    with pytest.raises(RetriesExhausted):
        retry_call(fn, classify=classify, policy=RetryPolicy(max_elapsed=60.0), sleep=clock.sleep, clock=clock)
    assert clock.delays == []


def test_on_retry_sees_attempt_error_and_delay():
    clock = Clock()
    seen = []
    fn = failing([Transient(retry_after=3.0)])
    retry_call(fn, classify=classify, sleep=clock.sleep, clock=clock,
               on_retry=lambda n, e, d: seen.append((n, type(e).__name__, d)))
    assert seen == [(1, "Transient", 3.0)]


def test_max_attempts_one_never_retries():
    clock = Clock()
    fn = failing([Transient()])
    with pytest.raises(RetriesExhausted):
        retry_call(fn, classify=classify, policy=RetryPolicy(max_attempts=1), sleep=clock.sleep, clock=clock)
    assert clock.delays == []


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 2 ", 2.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("later", None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 40.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value, expected):
    # 07:27:50 GMT on that day
    assert parse_retry_after(value, now=1445412470.0) == expected


# -- the shared outage breaker and the stop event --------------------------------------------


def test_outage_older_than_the_budget_lets_one_probe_through_and_fails_the_rest_unsent():
    from compose.runner._retry import Outage

    clock = Clock()
    outage = Outage()
    policy = RetryPolicy(max_attempts=50, max_elapsed=10.0, base_delay=1.0, max_delay=1.0)
    down = failing([Transient() for _ in range(100)])
    with pytest.raises(RetriesExhausted) as first:
        retry_call(down, classify=classify, policy=policy, sleep=clock.sleep, clock=clock, rng=lambda: 1.0,
                   outage=outage)
    assert first.value.attempts == 11 and outage.age(clock()) == 10.0
    clock.now += 1.0
    assert outage.try_probe()  # another call is probing right now: this one is not sent at all
    other = failing([])
    with pytest.raises(RetriesExhausted) as unsent:
        retry_call(other, classify=classify, policy=policy, sleep=clock.sleep, clock=clock, outage=outage)
    assert unsent.value.attempts == 0 and other.calls == [] and "failing for 11s" in unsent.value.why
    outage.end_probe()
    with pytest.raises(RetriesExhausted) as probe:
        retry_call(down, classify=classify, policy=policy, sleep=clock.sleep, clock=clock, outage=outage)
    assert probe.value.attempts == 1, "the probe makes one attempt, no retries"
    back = failing([])
    assert retry_call(back, classify=classify, policy=policy, sleep=clock.sleep, clock=clock, outage=outage) == "ok"
    assert outage.age(clock()) == 0.0, "an answer ends the outage"


def test_a_non_transient_answer_also_ends_the_outage():
    from compose.runner._retry import Outage

    outage = Outage()
    outage.failed(0.0, "refused")
    with pytest.raises(ValueError):
        retry_call(failing([ValueError("400")]), classify=classify, outage=outage)
    assert outage.since is None


def test_stop_event_ends_backoff_sleeps_and_starts_no_attempt():
    import threading
    import time

    from compose.runner._retry import Interrupted

    stop = threading.Event()
    fn = failing([Transient() for _ in range(100)])
    threading.Timer(0.2, stop.set).start()
    began = time.monotonic()
    with pytest.raises(Interrupted) as info:
        retry_call(fn, classify=classify, policy=RetryPolicy(max_attempts=100, base_delay=30.0, max_delay=30.0,
                                                             max_elapsed=600.0), rng=lambda: 1.0, stop=stop)
    assert time.monotonic() - began < 2.0 and info.value.attempts == 1
    with pytest.raises(Interrupted) as again:
        retry_call(failing([]), classify=classify, stop=stop)
    assert again.value.attempts == 0
