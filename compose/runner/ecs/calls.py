"""The ECS client and the two ways the runner calls it: once (:meth:`_Calls._call`) and with
retries (:meth:`_Calls._retrying`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from compose.errors import SubmitError
from compose.runner._retry import RetriesExhausted, RetryPolicy, retry_call

from .errors import EcsApiError, _classify, _translate

T = TypeVar("T")

#: Retry bounds used unless a runner is given others: registration in a busy family can need
#: several rounds before ECS lets it through.
DEFAULT_RETRY = RetryPolicy(max_attempts=8, max_elapsed=120.0, base_delay=0.5, max_delay=15.0)

_SNAKE_RE = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(operation: str) -> str:
    return _SNAKE_RE.sub("_", operation).lower()


def _make_client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    try:
        import boto3  # lazy: ~150 ms, and the build path must not pay it
        from botocore.config import Config

        session = boto3.session.Session(profile_name=profile, region_name=region)
        # botocore retries a little itself; the runner's own loop does the rest, with lookups.
        config = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=10, read_timeout=60)
        return session.client("ecs", endpoint_url=endpoint_url, config=config)
    except Exception as exc:
        error = _translate(exc, "client setup", "setup", f"profile {profile!r}" if profile else "")
        if error is None:
            raise
        raise error from exc


class _Calls:
    """Mixin: how an :class:`~compose.runner.ecs.EcsRunner` talks to its client."""

    client: Any
    retry: RetryPolicy
    _sleep: Callable[[float], None]
    _clock: Callable[[], float]
    _rng: Callable[[], float]

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

    def _retrying(self, fn: Callable[[], T], step: str) -> T:
        try:
            return retry_call(
                fn, classify=_classify, policy=self.retry, sleep=self._sleep, clock=self._clock, rng=self._rng
            )
        except RetriesExhausted as exc:
            last = exc.last
            gave_up = f"(gave up after {exc.attempts} attempts in {exc.elapsed:.1f}s)"
            if isinstance(last, EcsApiError):
                raise EcsApiError(
                    f"{last.message} {gave_up}", operation=last.operation, code=last.code, transient=True, step=step
                ) from last
            raise SubmitError(f"{last} {gave_up}", step=step) from last
