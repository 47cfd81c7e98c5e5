"""Waiting for a Job: list, then watch from the resourceVersion, resuming and re-listing."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from contextlib import closing
from typing import Any, TextIO

from compose.errors import SubmitError
from compose.runner._retry import Retryable, backoff_delay

from .calls import _Calls
from .errors import KubernetesAPIError, _api_error, _classify, _read_json
from .logs import _LogFollower
from .results import JobOutcome
from .state import _flow_status, _pick_pod, _terminal, _terminated

log = logging.getLogger("compose.runner.kubernetes")


class _Waiting(_Calls):
    """Mixin: :meth:`wait` and the outcome of a finished (or abandoned) Job."""

    flow_container: str
    request_timeout: Any

    def _list_job(self, batch: Any, ns: str, name: str) -> tuple[dict[str, Any] | None, str]:
        listing = _read_json(
            self._call(
                lambda: batch.list_namespaced_job(
                    ns, field_selector=f"metadata.name={name}", _preload_content=False,
                    _request_timeout=self.request_timeout,
                ),
                verb="list", resource="jobs", namespace=ns, name=name,
            )
        )
        items = listing.get("items") or []
        rv = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        return (items[0] if items else None), rv

    def _list_pods(self, ns: str, job_name: str) -> list[dict[str, Any]]:
        core = self._core()
        listing = _read_json(
            self._call(
                lambda: core.list_namespaced_pod(
                    ns, label_selector=f"job-name={job_name}", _preload_content=False,
                    _request_timeout=self.request_timeout,
                ),
                verb="list", resource="pods", namespace=ns,
            )
        )
        return [p for p in listing.get("items") or [] if isinstance(p, dict)]

    def _outcome(self, ns: str, job: Mapping[str, Any] | None, name: str, **base: Any) -> JobOutcome:
        """Fill an outcome with what the Job's pods say about the flow container."""
        try:
            pods = self._list_pods(ns, name)
        except SubmitError as exc:
            log.warning("could not list the pods of Job %s: %s", name, exc)
            pods = []
        uid = ((job or {}).get("metadata") or {}).get("uid")
        if uid:
            owned = [
                p for p in pods
                if any(o.get("uid") == uid for o in (p.get("metadata") or {}).get("ownerReferences") or [])
            ]
            pods = owned or pods
        pod = _pick_pod(pods, self.flow_container)
        if pod is None:
            return JobOutcome(**base)
        status = _flow_status(pod, self.flow_container)
        facts: dict[str, Any] = {
            "pod_phase": (pod.get("status") or {}).get("phase"),
            "pod_name": (pod.get("metadata") or {}).get("name"),
        }
        if status is None:
            present = [s.get("name") for s in (pod.get("status") or {}).get("containerStatuses") or []]
            note = (
                f'pod {facts["pod_name"]} has no status for container "{self.flow_container}"'
                + (f" (containers: {', '.join(map(str, present))})" if present else "")
            )
            base["message"] = f"{base['message']}; {note}" if base.get("message") else note
        else:
            term = _terminated(status)
            if term is not None:
                facts["exit_code"] = term.get("exitCode")
                facts["container_reason"] = term.get("reason")
            else:
                waiting = (status.get("state") or {}).get("waiting") or {}
                facts["container_reason"] = waiting.get("reason")
        return JobOutcome(**base, **facts)

    def job_outcome(self, job: Mapping[str, Any]) -> JobOutcome | None:
        """How a Job as read from the server (:meth:`list_jobs`, :meth:`get`) ended, with what
        its pods say about the flow container; None while it has not finished."""
        cond = _terminal(job)
        if cond is None:
            return None
        meta = job.get("metadata") or {}
        ns = str(meta.get("namespace") or self.namespace)
        succeeded = cond.get("type") == "Complete"
        return self._outcome(ns, job, str(meta.get("name") or ""), succeeded=succeeded,
                             reason=cond.get("reason") or ("Complete" if succeeded else "Failed"),
                             message=cond.get("message") or None)

    def wait(
        self,
        name: str,
        timeout: float,
        *,
        namespace: str | None = None,
        log_stream: TextIO | None = None,
    ) -> JobOutcome:
        """Watch the Job until it is Complete or Failed, or ``timeout`` seconds pass.

        The watch resumes from the last seen ``resourceVersion`` when the stream ends or
        drops, and re-lists when the server says that version is gone (410).

        Args:
            name: the Job's name (``SubmitResult.name``).
            timeout: seconds to wait at most (wall clock).
            namespace: defaults to the runner's.
            log_stream: if given, the flow container's logs are followed into it
                (``.write(str)``) while waiting; a log failure never fails the wait.

        Returns:
            A :class:`JobOutcome`. On timeout ``timed_out`` is True and ``reason`` is
            ``"Timeout"``; a Job deleted meanwhile gives ``reason="Deleted"``.

        Raises:
            KubernetesAPIError: the Job does not exist, or the API failed for good.
        """
        from kubernetes.client.exceptions import ApiException
        import urllib3.exceptions

        ns = namespace or self.namespace
        deadline = time.monotonic() + timeout
        batch = self._batch()
        job, rv = self._list_job(batch, ns, name)
        if job is None:
            raise KubernetesAPIError(
                f'Job "{name}" not found in namespace "{ns}"', status=404, reason="NotFound",
                verb="get", resource="jobs", namespace=ns, name=name,
            )
        follower = _LogFollower(self, ns, name, log_stream) if log_stream is not None else None
        if follower is not None:
            follower.start()
        watch = _JobWatch(job, rv)
        failures = 0
        try:
            while not watch.finished() and time.monotonic() < deadline:
                opened = time.monotonic()
                seen_before = watch.events
                try:
                    self._watch_once(batch, ns, name, watch, deadline)
                    problem: Retryable | None = None
                    if watch.events == seen_before and time.monotonic() - opened < 1.0:
                        # A watch that ends at once with nothing in it is a broken watch, not
                        # a quiet Job: back off instead of spinning.
                        problem = Retryable(why="the watch ended at once")
                    error: BaseException | None = None
                except ApiException as exc:
                    if exc.status == 410:
                        log.info("watch of Job %s expired at resourceVersion %s; re-listing", name, watch.rv)
                        listed, watch.rv = self._list_job(batch, ns, name)
                        watch.job, watch.deleted = (listed or watch.job), listed is None
                        continue
                    problem, error = _classify(exc), exc
                    if problem is None:
                        raise _api_error(exc, verb="watch", resource="jobs", namespace=ns, name=name) from exc
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    problem, error = Retryable(why=str(exc)), exc
                if problem is None or watch.finished() or time.monotonic() >= deadline:
                    failures = 0
                    continue
                # Only failures in a row count: a watch that worked for a while was healthy.
                healthy = watch.events > seen_before or time.monotonic() - opened >= 1.0
                failures = 1 if healthy else failures + 1
                self._watch_backoff(failures, problem, deadline, name, ns, error)
        finally:
            if follower is not None:
                # A finished container's log ends by itself: give it a moment to drain. A
                # timed-out or deleted Job's log would follow on forever: cut it now.
                follower.finish(grace=5.0 if watch.finished() and not watch.deleted else 0.0)

        if watch.deleted:
            return self._outcome(ns, watch.job, name, succeeded=False, reason="Deleted",
                                 message=f'Job "{name}" was deleted before it finished')
        cond = _terminal(watch.job)
        if cond is None:
            return self._outcome(ns, watch.job, name, succeeded=False, reason="Timeout", timed_out=True,
                                 message=f'Job "{name}" did not finish within {timeout:g}s')
        succeeded = cond.get("type") == "Complete"
        return self._outcome(
            ns, watch.job, name,
            succeeded=succeeded,
            reason=cond.get("reason") or ("Complete" if succeeded else "Failed"),
            message=cond.get("message") or None,
        )

    def _watch_once(self, batch: Any, ns: str, name: str, state: "_JobWatch", deadline: float) -> None:
        """One watch request from ``state.rv``, folding its events into ``state``."""
        from kubernetes import watch

        remaining = max(0.0, deadline - time.monotonic())
        connect = self.request_timeout[0] if isinstance(self.request_timeout, tuple) else self.request_timeout
        stream = watch.Watch().stream(
            batch.list_namespaced_job,
            ns,
            field_selector=f"metadata.name={name}",
            resource_version=state.rv,
            allow_watch_bookmarks=True,
            timeout_seconds=max(1, math.ceil(remaining)),
            # The read timeout ends a silent watch at the deadline, not at the next whole
            # second that the server-side timeoutSeconds would allow.
            _request_timeout=(connect, remaining + 0.05),
        )
        with closing(stream):
            for event in stream:
                if not isinstance(event, dict):  # the client yields None for a line it cannot parse
                    continue
                state.apply(event.get("type"), event.get("raw_object") or {})
                if state.finished() or time.monotonic() >= deadline:
                    return

    def _watch_backoff(self, failures: int, verdict: Retryable, deadline: float, name: str,
                       namespace: str, exc: BaseException | None) -> None:
        if failures >= self.retry.max_attempts:
            raise KubernetesAPIError(
                f'watching Job "{name}" failed {failures} times in a row; last error: {verdict.why}',
                status=int(getattr(exc, "status", 0) or 0), verb="watch", resource="jobs",
                namespace=namespace, name=name, attempts=failures,
            ) from exc
        delay = verdict.retry_after if verdict.retry_after is not None else backoff_delay(
            failures - 1, self.retry, self._rng)
        delay = min(delay, max(0.0, deadline - time.monotonic()))
        log.info("watch of Job %s dropped (%s); reconnecting in %.2fs", name, verdict.why, delay)
        self._sleep(delay)


class _JobWatch:
    """What the watch has learnt so far: the Job, the resourceVersion, how many events."""

    def __init__(self, job: dict[str, Any], rv: str) -> None:
        self.job = job
        self.rv = rv
        self.events = 0
        self.deleted = False

    def apply(self, kind: str | None, obj: Mapping[str, Any]) -> None:
        self.events += 1
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            self.rv = str(rv)
        if kind == "DELETED":
            self.deleted = True
        elif kind in ("ADDED", "MODIFIED"):
            self.job = dict(obj)

    def finished(self) -> bool:
        return self.deleted or _terminal(self.job) is not None
