"""The runner's API plumbing: clients, and one call with retries and translated errors."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from compose.errors import SubmitError
from compose.runner._common import Interruptible, RunnerStopped
from compose.runner._retry import Interrupted, Outage, RetriesExhausted, RetryPolicy, retry_call

from .errors import KubernetesAPIError, _api_error, _classify, _where

log = logging.getLogger("compose.runner.kubernetes")


class _Calls(Interruptible):
    """Mixin: how a :class:`~compose.runner.kubernetes.KubernetesRunner` calls the API server."""

    api_client: Any
    namespace: str
    retry: RetryPolicy
    _explicit_namespace: str | None
    _sleep: Callable[[float], None]
    _clock: Callable[[], float]
    _rng: Callable[[], float]
    _outage: Outage
    _stop: threading.Event

    def close(self) -> None:
        """Release the HTTP connection pool."""
        close = getattr(self.api_client, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self.api_client)

    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    # ---- calls

    def _call(
        self,
        fn: Callable[[], Any],
        *,
        verb: str,
        resource: str,
        namespace: str,
        name: str | None = None,
        passthrough: tuple[int, ...] = (),
    ) -> Any:
        """Run ``fn`` with retries; turn failures into :class:`KubernetesAPIError`.

        ApiExceptions whose status is in ``passthrough`` are re-raised as they are.
        """
        from kubernetes.client.exceptions import ApiException

        attempts = 0

        def counted() -> Any:
            nonlocal attempts
            attempts += 1
            return fn()

        def on_retry(attempt: int, exc: BaseException, delay: float) -> None:
            verdict = _classify(exc)
            log.warning("%s failed (attempt %d), retrying in %.2fs: %s",
                        _where(verb, resource, namespace, name), attempt, delay,
                        verdict.why if verdict else exc)

        try:
            return retry_call(
                counted,
                classify=_classify,
                policy=self.retry,
                sleep=self._sleep,
                clock=self._clock,
                rng=self._rng,
                on_retry=on_retry,
                outage=self._outage,
                stop=self._stop,
            )
        except Interrupted as exc:
            sent = verb == "create" and exc.attempts > 0
            raise RunnerStopped(
                f"the runner was stopped after {exc.attempts} attempt(s) to {_where(verb, resource, namespace, name)}"
                + ("; the create was sent, so the Job may exist (resubmitting the same run id is safe)" if sent
                   else "; nothing was created" if verb == "create" else ""),
                sent=sent, attempts=exc.attempts, step="submit" if verb in ("create", "get") else "wait",
            ) from exc.last
        except RetriesExhausted as exc:
            if exc.attempts == 0:
                text = (f"did not try to {_where(verb, resource, namespace, name)}: {exc.why} "
                        "(the outage outlasted the retry budget)")
            else:
                text = (f"gave up trying to {_where(verb, resource, namespace, name)} after "
                        f"{exc.attempts} attempt(s) in {exc.elapsed:.1f}s; last error: {exc.why}")
            raise KubernetesAPIError(
                text,
                status=int(getattr(exc.last, "status", 0) or 0),
                verb=verb,
                resource=resource,
                namespace=namespace,
                name=name,
                attempts=exc.attempts,
            ) from exc.last
        except ApiException as exc:
            if exc.status in passthrough:
                raise
            raise _api_error(
                exc, verb=verb, resource=resource, namespace=namespace, name=name, attempts=attempts
            ) from exc

    def _namespace_for(self, body: Mapping[str, Any]) -> str:
        declared = (body.get("metadata") or {}).get("namespace") if isinstance(body, Mapping) else None
        if declared and self._explicit_namespace and declared != self._explicit_namespace:
            raise SubmitError(
                f'the Job says namespace "{declared}" but the runner was told "{self._explicit_namespace}"; '
                "drop one of them",
                path=("metadata", "namespace"),
                step="submit",
            )
        return str(declared or self.namespace)

    def _as_dict(self, job: Any) -> dict[str, Any]:
        if isinstance(job, Mapping):
            return dict(job)
        if hasattr(job, "to_dict") and hasattr(job, "openapi_types"):
            return self.api_client.sanitize_for_serialization(job)
        raise SubmitError(f"expected a Job as a dict or V1Job, got {type(job).__name__}", step="submit")
