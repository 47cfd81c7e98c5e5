"""The ECS client and the two ways the runner calls it: once (:meth:`_Calls._call`) and with
retries (:meth:`_Calls._retrying`)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from compose.runner._common import Interruptible, RunnerStopped
from compose.runner._retry import Interrupted, Outage, RetriesExhausted, RetryPolicy, retry_call

from .errors import EcsApiError, _classify, _translate

T = TypeVar("T")

#: Retry bounds used unless a runner is given others: registration in a busy family can need
#: several rounds before ECS lets it through.
DEFAULT_RETRY = RetryPolicy(max_attempts=8, max_elapsed=120.0, base_delay=0.5, max_delay=15.0)

_SNAKE_RE = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(operation: str) -> str:
    return _SNAKE_RE.sub("_", operation).lower()


#: Seconds to connect and to read one answer, per ECS request (the runner's default).
DEFAULT_REQUEST_TIMEOUT = (5.0, 20.0)


def client_config(request_timeout: tuple[float, float] = DEFAULT_REQUEST_TIMEOUT) -> Any:
    """The botocore ``Config`` of a client the runner makes: botocore's own retries off (one
    attempt per call; the runner retries, looking up first), bounded connect and read times."""
    from botocore.config import Config

    connect, read = request_timeout
    return Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=connect,
                  read_timeout=read)


def _no_botocore_retry(**_: Any) -> bool:
    # needs-retry handlers: the first non-None answer wins and False means "do not retry".
    return False


def own_retries(client: Any) -> Any:
    """Make sure botocore never resends a request of ``client`` by itself.

    botocore's retries (3 attempts in its standard mode) happen below the runner: a RunTask
    whose answer was lost would be sent again without the lookup that finds the task it
    started. A client given to the runner may have them on; a handler registered first on
    ``needs-retry.ecs`` answers "no retry" for every operation. Returns ``client``.
    """
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is not None and hasattr(events, "register_first"):
        events.register_first("needs-retry.ecs", _no_botocore_retry, unique_id="compose-runner-owns-retries")
    return client


def _make_client(region: str | None, profile: str | None, endpoint_url: str | None,
                 request_timeout: tuple[float, float] = DEFAULT_REQUEST_TIMEOUT) -> Any:
    try:
        import boto3  # lazy: ~150 ms, and the build path must not pay it

        session = boto3.session.Session(profile_name=profile, region_name=region)
        return session.client("ecs", endpoint_url=endpoint_url, config=client_config(request_timeout))
    except Exception as exc:
        error = _translate(exc, "client setup", "setup", f"profile {profile!r}" if profile else "")
        if error is None:
            raise
        raise error from exc


class _Calls(Interruptible):
    """Mixin: how an :class:`~compose.runner.ecs.EcsRunner` talks to its client."""

    client: Any
    retry: RetryPolicy
    _sleep: Callable[[float], None]
    _clock: Callable[[], float]
    _rng: Callable[[], float]
    _outage: Outage
    _stop: threading.Event

    def _call(self, operation: str, step: str, context: str = "", **params: Any) -> dict[str, Any]:
        """One ECS call; botocore failures come out as :class:`EcsApiError`."""
        method = getattr(self.client, _snake(operation))
        try:
            return method(**params)
        except AssertionError:
            raise  # botocore's Stubber reports unexpected calls this way; tests must see it
        except Exception as exc:
            error = _translate(exc, operation, step, context)
            if error is None:
                raise
            raise error from exc

    def _retrying(self, fn: Callable[[], T], step: str, sent: Callable[[], bool] | None = None) -> T:
        """``fn`` with the runner's retries, its shared outage breaker and its stop event.

        ``sent`` says, when the runner is stopped meanwhile, whether ``fn`` may have created
        something already (for the message).
        """
        try:
            return retry_call(
                fn, classify=_classify, policy=self.retry, sleep=self._sleep, clock=self._clock, rng=self._rng,
                outage=self._outage, stop=self._stop,
            )
        except Interrupted as exc:
            may = bool(sent and sent())
            raise RunnerStopped(
                f"the runner was stopped after {exc.attempts} attempt(s) of {step}"
                + ("; a request that starts the task was sent, so it may exist (resubmitting the same run id "
                   "is safe)" if may else "; nothing was started"),
                sent=may, attempts=exc.attempts, step=step,
            ) from exc.last
        except RetriesExhausted as exc:
            last = exc.last
            if exc.attempts == 0:
                gave_up = f"(not sent: {exc.why}; gave up at once)"
            else:
                noun = "attempt" if exc.attempts == 1 else "attempts"
                gave_up = f"(gave up after {exc.attempts} {noun} in {exc.elapsed:.1f}s)"
            if isinstance(last, EcsApiError):
                raise EcsApiError(
                    f"{last.message} {gave_up}", operation=last.operation, code=last.code, transient=True, step=step,
                    attempts=exc.attempts,
                ) from last
            raise EcsApiError(f"ECS unreachable: {exc.why} {gave_up}", operation=step, code="Unreachable",
                              transient=True, step=step, attempts=exc.attempts) from last
