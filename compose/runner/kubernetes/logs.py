"""Following the flow container's log of a Job's pods while the runner waits."""

from __future__ import annotations

import codecs
import logging
import threading
from typing import Any, TextIO

from compose.errors import SubmitError

from .state import _flow_started

log = logging.getLogger("compose.runner.kubernetes")


class _LogFollower(threading.Thread):
    """Follows the flow container's log of each of a Job's pods into a text stream."""

    def __init__(self, runner: Any, namespace: str, job_name: str, out: TextIO) -> None:
        super().__init__(name=f"logs-{job_name}", daemon=True)
        self.runner = runner
        self.namespace = namespace
        self.job_name = job_name
        self.out = out
        self.done = threading.Event()
        self.abort = threading.Event()
        self.followed: list[str] = []
        self.error: BaseException | None = None
        self._resp: Any = None

    def run(self) -> None:
        try:
            while not self.abort.is_set():
                finished_before = self.done.is_set()
                self._pass()
                if finished_before or self.abort.is_set():
                    return
                self.done.wait(self.runner._log_poll)
        except Exception as exc:  # logs are a courtesy: never let them break the wait
            self.error = exc
            log.warning("following the logs of Job %s stopped: %s", self.job_name, exc)

    def _pass(self) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            pods = self.runner._list_pods(self.namespace, self.job_name)
        except SubmitError as exc:
            log.info("listing pods of Job %s for logs failed: %s", self.job_name, exc)
            return
        pods.sort(key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp") or ""))
        for pod in pods:
            pod_name = (pod.get("metadata") or {}).get("name")
            if not pod_name or pod_name in self.followed:
                continue
            if not _flow_started(pod, self.runner.flow_container):
                continue
            if self.abort.is_set():
                return
            try:
                self._follow(pod_name)
            except ApiException as exc:
                # 400 "waiting to start" and friends: look again on the next pass.
                log.info("logs of pod %s not available yet: %s", pod_name, exc.status)
                continue
            self.followed.append(pod_name)

    def _follow(self, pod_name: str) -> None:
        core = self.runner._core()
        connect = self.runner.request_timeout
        connect = connect[0] if isinstance(connect, tuple) else connect
        resp = core.read_namespaced_pod_log(
            pod_name, self.namespace, container=self.runner.flow_container, follow=True,
            _preload_content=False, _request_timeout=(connect, None),
        )
        self._resp = resp
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            for chunk in resp.stream(4096, decode_content=True):
                text = decoder.decode(chunk)
                if text:
                    self.out.write(text)
            tail = decoder.decode(b"", final=True)
            if tail:
                self.out.write(tail)
        finally:
            self._resp = None
            resp.release_conn()
            flush = getattr(self.out, "flush", None)
            if flush is not None:
                flush()

    def finish(self, grace: float) -> None:
        """Let the current log run to its end for up to ``grace`` seconds, then cut it."""
        self.done.set()
        self.join(grace)
        if self.is_alive():
            self.abort.set()
            resp = self._resp
            if resp is not None:
                try:
                    resp.shutdown()
                except Exception:  # the socket may already be gone
                    pass
            self.join(1.0)
