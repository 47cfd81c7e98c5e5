"""The agent: flow runs in, one outcome per run out, bounded concurrency, graceful stop.

:func:`process_run` takes one run through generate, submit and (optionally) wait, and turns
every failure into an :class:`~compose.agent.outcome.Outcome`; it never raises for a run.
:class:`Agent` does that for every run of a source, ``concurrency`` at a time, in threads.

Stopping (SIGTERM or SIGINT when run in the main thread, or :meth:`Agent.stop`):

1. The agent takes no more runs from the source. Runs it has not taken stay in the source
   (an iterator is simply not advanced; the caller may hand it to the next agent).
2. Runs in flight finish: their submission completes and, with ``wait=True``, they are
   waited for until they end or time out, and each gets its outcome.
3. A second signal (or ``stop(abandon_waits=True)``) stops the waiting: runs still being
   waited for are reported ``submitted`` (they keep running on the cluster); a submission
   already under way still completes.

The agent pulls a run from the source only when a worker is free, so at most one run can be
taken and not started: one whose ``next()`` was blocking (say, reading a pipe) when the stop
came. When that ``next()`` returns, the run is reported ``not-started``. If the source never
returns, :meth:`Agent.run` does not wait for it.

Exactly once: the agent relies on the runners (a Job named from the run id; an ECS lookup
plus ``clientToken``). A restarted agent given the same runs creates nothing new and reports
them ``already_submitted``. Two runs with the same id in one agent are submitted one after
the other, so the second finds the first's Job or task.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, TextIO

from compose.errors import ComposeError, UsageError
from compose.model import FlowRun

from .backends import Submitted, backends_for
from .generator import GeneratorLike, as_generator, as_spec
from .outcome import InvalidInput, Outcome

__all__ = ["Agent", "AgentSummary", "process_run"]

log = logging.getLogger(__name__)


def _reason(exc: BaseException) -> str:
    # KubernetesAPIError.reason ("Forbidden"), EcsApiError.code ("ClientException").
    for attr in ("reason", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(exc).__name__


def _message(exc: BaseException) -> str:
    if isinstance(exc, ComposeError):
        return exc.format()
    return f"{type(exc).__name__}: {exc}"


def _failure(status: str, flow_run: FlowRun, exc: BaseException, *, target: str | None = None,
             submitted: Submitted | None = None) -> Outcome:
    if not isinstance(exc, ComposeError):
        log.debug("run %s: %s", flow_run.id, status, exc_info=exc)
    details: dict[str, Any] = {}
    status_code = getattr(exc, "status", None)
    if isinstance(status_code, int) and status_code:
        details["http_status"] = status_code
    if submitted is not None:
        return submitted.outcome(status, reason=_reason(exc), message=_message(exc), details=details)
    return Outcome(status=status, run_id=flow_run.id, target=target,  # type: ignore[arg-type]
                   reason=_reason(exc), message=_message(exc), details=details)


def _what(submitted: Submitted) -> str:
    if submitted.target == "kubernetes":
        return f'Job "{submitted.handle}"'
    return f"task {submitted.handle}" if submitted.handle else "the task"


def _wait(backend: Any, submitted: Submitted, timeout: float, *, log_stream: TextIO | None,
          abandon: threading.Event | None, wait_slice: float) -> Outcome | None:
    """Wait in slices so that ``abandon`` is noticed; None when abandoned."""
    if abandon is None:
        return backend.wait(submitted, timeout, log_stream=log_stream)
    deadline = time.monotonic() + timeout
    while True:
        remaining = max(0.0, deadline - time.monotonic())
        piece = min(remaining, wait_slice)
        outcome = backend.wait(submitted, piece)
        if outcome.status != "timed-out":
            return outcome
        if piece >= remaining or time.monotonic() >= deadline:
            what = _what(submitted)
            return dataclasses.replace(outcome, message=f"{what} did not finish within {timeout:g}s")
        if abandon.is_set():
            return None


def process_run(
    flow_run: FlowRun,
    generator: GeneratorLike,
    backends: Mapping[str, Any],
    *,
    wait: bool = True,
    timeout: float = 3600.0,
    dry_run: str | None = None,
    log_stream: TextIO | None = None,
    abandon: threading.Event | None = None,
    wait_slice: float = 5.0,
    submit_lock: Callable[[str], Any] | None = None,
) -> Outcome:
    """Generate, submit and (optionally) wait for one run; every failure becomes an outcome.

    Args:
        flow_run: the run.
        generator: a generator or callable (see :mod:`compose.agent.generator`).
        backends: backends by target (:func:`compose.agent.backends.backends_for`).
        wait: wait for the run to end (not for dry runs).
        timeout: seconds to wait at most.
        dry_run: ``"client"`` or ``"server"`` (Kubernetes only), or None.
        log_stream: where to follow the flow container's log while waiting (Kubernetes).
        abandon: when set, waiting stops at the next slice and the run is ``submitted``.
        wait_slice: seconds per wait slice when ``abandon`` is given.
        submit_lock: ``submit_lock(run_id)`` gives a context manager held while submitting.

    Returns:
        The run's :class:`Outcome`.
    """
    gen = as_generator(generator)
    try:
        spec = as_spec(gen.generate(flow_run), flow_run)
        if spec.run_id and spec.run_id != flow_run.id:
            raise UsageError(f"the generator built a spec for run {spec.run_id!r}, not for {flow_run.id!r}")
    except Exception as exc:
        return _failure("generate-failed", flow_run, exc)
    backend = backends.get(spec.target)
    if backend is None:
        known = ", ".join(sorted(backends)) or "none"
        return Outcome(status="submit-failed", run_id=flow_run.id, target=spec.target, reason="NoRunner",
                       message=f"no runner for target {spec.target!r} (configured: {known})")
    try:
        if submit_lock is not None:
            with submit_lock(flow_run.id):
                submitted = backend.submit(spec, flow_run, dry_run=dry_run)
        else:
            submitted = backend.submit(spec, flow_run, dry_run=dry_run)
    except Exception as exc:
        return _failure("submit-failed", flow_run, exc, target=spec.target)
    what = _what(submitted)
    if submitted.dry_run is not None:
        return submitted.outcome("dry-run", message=f"{submitted.dry_run} dry run of {what}: accepted")
    prefix = "already submitted: " if submitted.already_submitted else ""
    if not wait:
        return submitted.outcome("submitted", message=f"{prefix}{what} submitted")
    try:
        outcome = _wait(backend, submitted, timeout, log_stream=log_stream, abandon=abandon, wait_slice=wait_slice)
    except Exception as exc:
        return _failure("wait-failed", flow_run, exc, submitted=submitted)
    if outcome is None:
        return submitted.outcome(
            "submitted", message=f"{prefix}{what} submitted; the agent stopped waiting for it (it keeps running)"
        )
    if prefix:
        outcome = dataclasses.replace(outcome, message=prefix + outcome.message)
    return outcome


@dataclass
class AgentSummary:
    """What :meth:`Agent.run` did.

    Attributes:
        counts: outcomes by status.
        taken: runs (and invalid items) taken from the source.
        stopped: True when the agent stopped before the source ran out.
    """

    counts: Counter[str] = field(default_factory=Counter)
    taken: int = 0
    stopped: bool = False

    @property
    def ok(self) -> bool:
        """No outcome was a failure."""
        from .outcome import OK_STATUSES

        return all(status in OK_STATUSES for status, n in self.counts.items() if n)


class _KeyedLocks:
    """One lock per key, alive while someone holds or waits for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, list[Any]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._lock:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        entry[0].acquire()
        try:
            yield
        finally:
            entry[0].release()
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]


class Agent:
    """Takes flow runs from a source; generates, submits and waits, ``concurrency`` at a time.

    Args:
        source: flow runs (:class:`~compose.model.FlowRun`, or mappings for
            ``FlowRun.from_dict``, or :class:`~compose.agent.outcome.InvalidInput` items,
            which are reported as ``invalid-input``). Pulled lazily, one per free worker.
        generator: a :class:`~compose.agent.generator.JobSpecGenerator` or any callable
            ``flow_run -> spec``.
        runners: a ``KubernetesRunner``, an ``EcsRunner``, a backend, or a mapping of target
            to those; a spec is sent to the runner of its target.
        concurrency: runs in flight at most (each in its own thread).
        wait: wait for each run to end; False reports ``submitted`` once submitted.
        timeout: seconds to wait for one run at most.
        on_outcome: called with each outcome, one call at a time (under a lock), from the
            agent's threads. An exception in it is logged and does not stop the agent.
        dry_run: ``"client"`` or ``"server"`` to submit nothing (see ``compose submit``).
        handle_signals: install SIGTERM/SIGINT handlers while :meth:`run` runs (only
            possible, and only done, in the main thread; the previous handlers come back).
        wait_slice: seconds between two looks at a stop-waiting request while waiting.

    Raises:
        UsageError: ``concurrency`` below 1, a bad ``dry_run``, or unusable ``runners``.
    """

    def __init__(
        self,
        source: Iterable[Any],
        generator: GeneratorLike,
        runners: Any,
        *,
        concurrency: int = 4,
        wait: bool = True,
        timeout: float = 3600.0,
        on_outcome: Callable[[Outcome], None] | None = None,
        dry_run: str | None = None,
        handle_signals: bool = True,
        wait_slice: float = 5.0,
    ) -> None:
        if not isinstance(concurrency, int) or concurrency < 1:
            raise UsageError(f"concurrency must be a positive integer, not {concurrency!r}")
        if dry_run not in (None, "client", "server"):
            raise UsageError(f"dry_run must be 'client', 'server' or None, not {dry_run!r}")
        self.source = source
        self.generator = as_generator(generator)
        self.backends = backends_for(runners)
        self.concurrency = concurrency
        self.wait = wait
        self.timeout = timeout
        self.on_outcome = on_outcome
        self.dry_run = dry_run
        self.handle_signals = handle_signals
        self.wait_slice = wait_slice
        self.summary = AgentSummary()
        self._stop = threading.Event()
        self._abandon = threading.Event()
        self._dispatched = threading.Event()
        self._slots = threading.Semaphore(concurrency)
        self._lock = threading.Lock()
        self._report_lock = threading.Lock()
        self._active = 0
        self._pulling = False
        self._started = False
        self._ids = _KeyedLocks()

    # ---- control

    def stop(self, *, abandon_waits: bool = False) -> None:
        """Take no more runs; finish those in flight. Safe from any thread or a signal handler.

        Args:
            abandon_waits: also stop waiting for submitted runs (they are reported
                ``submitted`` and keep running).
        """
        self._stop.set()
        if abandon_waits:
            self._abandon.set()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called (or a signal came)."""
        return self._stop.is_set()

    @property
    def in_flight(self) -> int:
        """Runs being generated, submitted or waited for right now."""
        return self._active

    def _on_signal(self, signum: int, frame: Any) -> None:
        first = not self._stop.is_set()
        self.stop(abandon_waits=not first)
        log.warning(
            "compose agent: %s received; %s", signal.Signals(signum).name,
            "taking no more runs, finishing those in flight (again to stop waiting)" if first
            else "no longer waiting for runs in flight",
        )

    # ---- running

    def run(self) -> AgentSummary:
        """Process the source until it runs out or the agent is stopped.

        Returns when every run taken has its outcome. Can be called once.
        """
        if self._started:
            raise UsageError("an Agent runs once; make a new one")
        self._started = True
        previous: dict[int, Any] = {}
        if self.handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._on_signal)
        try:
            dispatcher = threading.Thread(target=self._dispatch, name="compose-agent-dispatch", daemon=True)
            dispatcher.start()
            while not self._dispatched.wait(0.05):
                if self._stop.is_set():
                    break
            # Wait for what is in flight. A dispatcher still blocked in the source's next()
            # is not waited for: what it returns later is reported not-started.
            while True:
                with self._lock:
                    idle = self._active == 0
                if idle and (self._dispatched.is_set() or self._stop.is_set()):
                    break
                time.sleep(0.02)
            if self._stop.is_set() and not self._dispatched.is_set():
                dispatcher.join(0.2)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self.summary.stopped = self._stop.is_set()
        return self.summary

    def _report(self, outcome: Outcome) -> None:
        with self._report_lock:
            self.summary.counts[outcome.status] += 1
            if self.on_outcome is not None:
                try:
                    self.on_outcome(outcome)
                except Exception:
                    log.exception("on_outcome failed for run %s", outcome.run_id)

    def _acquire_slot(self) -> bool:
        while not self._stop.is_set():
            if self._slots.acquire(timeout=0.05):
                if self._stop.is_set():
                    self._slots.release()
                    return False
                return True
        return False

    def _dispatch(self) -> None:
        try:
            iterator = iter(self.source)
            while self._acquire_slot():
                try:
                    item = next(iterator)
                except StopIteration:
                    self._slots.release()
                    return
                except Exception as exc:
                    # A source that fails is not a run to drop: say so, and end.
                    self._slots.release()
                    log.error("the flow-run source failed: %s", exc)
                    self._report(Outcome(status="invalid-input", run_id=None, reason="SourceFailed",
                                         message=f"the source of flow runs failed: {_message(exc)}"))
                    return
                self.summary.taken += 1
                run = self._as_run(item)
                if not isinstance(run, FlowRun):
                    self._slots.release()
                    self._report(run)
                    continue
                with self._lock:
                    stopping = self._stop.is_set()
                    if not stopping:
                        self._active += 1
                if stopping:
                    self._slots.release()
                    self._report(Outcome(status="not-started", run_id=run.id, reason="AgentStopping",
                                         message="the agent was stopping when the source yielded this run; "
                                                 "nothing was submitted"))
                    return
                worker = threading.Thread(target=self._work, args=(run,), name=f"compose-run-{run.id}")
                worker.start()
        finally:
            self._dispatched.set()

    @staticmethod
    def _as_run(item: Any) -> FlowRun | Outcome:
        if isinstance(item, FlowRun):
            return item
        if isinstance(item, InvalidInput):
            return item.outcome()
        if isinstance(item, Mapping):
            try:
                return FlowRun.from_dict(item)
            except ComposeError as exc:
                run_id = item.get("id") if isinstance(item.get("id"), str) and item.get("id") else None
                return InvalidInput(exc.message, run_id=run_id).outcome()
        return InvalidInput(f"expected a flow run, got {type(item).__name__}").outcome()

    def _work(self, run: FlowRun) -> None:
        outcome: Outcome | None = None
        try:
            outcome = process_run(
                run, self.generator, self.backends, wait=self.wait, timeout=self.timeout,
                dry_run=self.dry_run, abandon=self._abandon, wait_slice=self.wait_slice,
                submit_lock=self._ids.hold,
            )
        except BaseException as exc:  # never lose a run, even to a bug
            outcome = _failure("submit-failed", run, exc)
            raise
        finally:
            if outcome is not None:
                self._report(outcome)
            with self._lock:
                self._active -= 1
            self._slots.release()
