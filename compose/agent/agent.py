"""The agent: flow runs in, one outcome per run out, bounded concurrency, graceful stop.

:func:`process_run` takes one run through generate, submit and (optionally) wait, and turns
every failure into an :class:`~compose.agent.outcome.Outcome`; it never raises for a run.
:class:`Agent` does that for every run of a source, ``concurrency`` at a time, in threads.

Stopping (SIGTERM or SIGINT when run in the main thread, or :meth:`Agent.stop`):

1. The agent takes no more runs from the source. Runs it has not taken stay in the source
   (an iterator is simply not advanced; the caller may hand it to the next agent). A
   :class:`~compose.agent.source.LineReader` is told to stop too, and every line it had read
   but not handed out is reported ``not-started`` (invalid ones ``invalid-input``).
2. Runs in flight finish: their submission completes and, with ``wait=True``, they are
   waited for, within the drain deadline (``drain_timeout``, 20 s by default: Kubernetes
   kills a pod 30 s after SIGTERM by default).
3. Three quarters into the deadline (or at a second signal, or
   ``stop(abandon_waits=True)``) waiting stops: runs being waited for are reported
   ``submitted`` (they keep running); the runners are interrupted, so submissions still
   retrying end: ``not-started`` when nothing that starts a Job or task was sent,
   ``interrupted`` when it was (it may exist; resubmitting is safe).
4. At the deadline, a run whose thread still has not come back (a request hanging on a
   black-holed endpoint) is reported from the main thread (``interrupted``, or ``submitted``
   once submitted) and :meth:`Agent.run` returns; whatever that thread reports later is
   dropped, so every run has exactly one outcome.

The agent pulls a run from the source only when a worker is free, so at most one run can be
taken and not started from a plain iterator: one whose ``next()`` was blocking (say, reading
a pipe) when the stop came. When that ``next()`` returns, the run is reported
``not-started``. If such a source never returns, :meth:`Agent.run` does not wait for it.

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
from compose.runner._common import RunnerStopped

from .backends import Submitted, backends_for
from .generator import GeneratorLike, as_generator, as_spec
from .outcome import InvalidInput, Outcome
from .source import CutLine, LineRun

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
    attempts = getattr(exc, "attempts", None)
    if isinstance(attempts, int):
        details["attempts"] = attempts
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
    on_submitted: Callable[[Submitted], None] | None = None,
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
        on_submitted: called with the submission once the runner returned it.

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
    except RunnerStopped as exc:
        status = "interrupted" if exc.sent else "not-started"
        return Outcome(status=status, run_id=flow_run.id, target=spec.target,  # type: ignore[arg-type]
                       reason="AgentStopping", message=_message(exc), details={"attempts": exc.attempts})
    except Exception as exc:
        return _failure("submit-failed", flow_run, exc, target=spec.target)
    if on_submitted is not None:
        on_submitted(submitted)
    what = _what(submitted)
    if submitted.dry_run is not None:
        return submitted.outcome("dry-run", message=f"{submitted.dry_run} dry run of {what}: accepted")
    prefix = "already submitted: " if submitted.already_submitted else ""
    if not wait:
        return submitted.outcome("submitted", message=f"{prefix}{what} submitted")
    try:
        outcome = _wait(backend, submitted, timeout, log_stream=log_stream, abandon=abandon, wait_slice=wait_slice)
    except RunnerStopped:
        outcome = None
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


class _InFlight:
    """A run a worker thread has taken: what the main thread reports if the thread does not
    come back before the drain deadline."""

    def __init__(self, run: FlowRun, line: int | None) -> None:
        self.run = run
        self.line = line
        self.submitted: Submitted | None = None


class Agent:
    """Takes flow runs from a source; generates, submits and waits, ``concurrency`` at a time.

    Args:
        source: flow runs (:class:`~compose.model.FlowRun`, or mappings for
            ``FlowRun.from_dict``, :class:`~compose.agent.source.LineRun` items, whose line
            goes on the outcome, or :class:`~compose.agent.outcome.InvalidInput` items,
            which are reported as ``invalid-input``). Pulled lazily, one per free worker.
            A source with ``stop()`` and ``unread()`` (a
            :class:`~compose.agent.source.LineReader`) is stopped with the agent, and what it
            read but did not hand out is reported.
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
        drain_timeout: seconds from the first stop request until :meth:`run` returns at the
            latest, every run taken reported (see the module's docstring).

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
        drain_timeout: float = 20.0,
    ) -> None:
        if not isinstance(concurrency, int) or concurrency < 1:
            raise UsageError(f"concurrency must be a positive integer, not {concurrency!r}")
        if dry_run not in (None, "client", "server"):
            raise UsageError(f"dry_run must be 'client', 'server' or None, not {dry_run!r}")
        if not drain_timeout > 0:
            raise UsageError(f"drain_timeout must be positive, not {drain_timeout!r}")
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
        self.drain_timeout = drain_timeout
        self.summary = AgentSummary()
        self._stop = threading.Event()
        self._abandon = threading.Event()
        self._dispatched = threading.Event()
        self._slots = threading.Semaphore(concurrency)
        self._lock = threading.Lock()
        self._report_lock = threading.Lock()
        self._inflight: dict[int, _InFlight] = {}
        self._seq = 0
        self._stop_at: float | None = None
        self._hard_at: float | None = None
        self._started = False
        self._ids = _KeyedLocks()
        self._stoppable = callable(getattr(source, "stop", None)) and callable(getattr(source, "unread", None))

    # ---- control

    def stop(self, *, abandon_waits: bool = False) -> None:
        """Take no more runs; finish those in flight. Safe from any thread or a signal handler.

        Args:
            abandon_waits: also stop waiting for submitted runs (they are reported
                ``submitted`` and keep running) and interrupt submissions still retrying.
        """
        self._stop.set()
        if self._stoppable:
            self.source.stop()  # type: ignore[attr-defined]
        if abandon_waits:
            self._abandon_all()

    def _abandon_all(self) -> None:
        self._abandon.set()
        for backend in self.backends.values():
            interrupt = getattr(getattr(backend, "runner", None), "interrupt", None)
            if callable(interrupt):
                interrupt()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called (or a signal came)."""
        return self._stop.is_set()

    @property
    def in_flight(self) -> int:
        """Runs being generated, submitted or waited for right now."""
        return len(self._inflight)

    def _on_signal(self, signum: int, frame: Any) -> None:
        first = not self._stop.is_set()
        self.stop(abandon_waits=not first)
        log.warning(
            "compose agent: %s received; %s", signal.Signals(signum).name,
            f"taking no more runs, finishing those in flight within {self.drain_timeout:g}s "
            "(again to stop waiting)" if first
            else "no longer waiting for runs in flight",
        )

    # ---- running

    def run(self) -> AgentSummary:
        """Process the source until it runs out or the agent is stopped.

        Returns when every run taken has its outcome, at the latest ``drain_timeout``
        seconds after the stop. Can be called once.
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
            while True:
                with self._lock:
                    idle = not self._inflight
                # A plain iterator blocked in next() is not waited for once stopping (what it
                # returns later is reported not-started); a LineReader ends by itself.
                source_done = self._dispatched.is_set() or (self._stop.is_set() and not self._stoppable)
                if idle and source_done:
                    break
                if self._stop.is_set() and self._draining():
                    break
                time.sleep(0.02)
            if self._stop.is_set() and not self._dispatched.is_set():
                dispatcher.join(0.2)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self.summary.stopped = self._stop.is_set()
        return self.summary

    def _draining(self) -> bool:
        """Drive the drain after a stop; True once the deadline passed (all reported)."""
        now = time.monotonic()
        if self._stop_at is None:
            self._stop_at = now
        elapsed = now - self._stop_at
        if elapsed >= self.drain_timeout * 0.75 and not self._abandon.is_set():
            log.warning("compose agent: drain deadline near; no longer waiting, interrupting submissions")
            self._abandon_all()
        if self._abandon.is_set() and self._hard_at is None:
            # Whoever abandoned (a second signal, the soft deadline): threads get a few
            # seconds to come back before the main thread answers for them.
            self._hard_at = min(self._stop_at + self.drain_timeout, now + max(2.0, self.drain_timeout * 0.25))
        if self._hard_at is None or now < self._hard_at:
            return False
        if self._stoppable and not self._dispatched.wait(1.0):
            log.warning("compose agent: the input reader did not stop in time")
        with self._lock:
            left = list(self._inflight.values())
            self._inflight.clear()
        for entry in left:
            self._report(self._abandoned(entry))
        return True

    def _abandoned(self, entry: _InFlight) -> Outcome:
        if entry.submitted is not None:
            outcome = entry.submitted.outcome(
                "submitted", message=f"{_what(entry.submitted)} submitted; the agent stopped (drain deadline "
                f"{self.drain_timeout:g}s) before it could report more (it keeps running)")
        else:
            outcome = Outcome(
                status="interrupted", run_id=entry.run.id, reason="AgentStopping",
                message=f"the agent stopped (drain deadline {self.drain_timeout:g}s) while this run was being "
                        "generated or submitted; its Job or task may or may not exist; submitting the same run "
                        "id again is safe")
        return dataclasses.replace(outcome, line=entry.line) if entry.line is not None else outcome

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
                taken = self._as_run(item)
                if isinstance(taken, Outcome):
                    self._slots.release()
                    self._report(taken)
                    continue
                run, line = taken
                with self._lock:
                    stopping = self._stop.is_set()
                    if not stopping:
                        self._seq += 1
                        seq = self._seq
                        self._inflight[seq] = _InFlight(run, line)
                if stopping:
                    self._slots.release()
                    self._report(self._not_started(run, line))
                    return
                worker = threading.Thread(target=self._work, args=(seq, run, line), name=f"compose-run-{run.id}",
                                          daemon=True)
                worker.start()
        finally:
            try:
                if self._stoppable and self._stop.is_set():
                    self._report_unread()
            finally:
                self._dispatched.set()

    @staticmethod
    def _not_started(run: FlowRun, line: int | None) -> Outcome:
        return Outcome(status="not-started", run_id=run.id, reason="AgentStopping", line=line,
                       message="the agent was stopping when it read this run; nothing was submitted")

    def _report_unread(self) -> None:
        try:
            items = self.source.unread()  # type: ignore[attr-defined]
        except Exception as exc:  # the reader failing must not lose what it could report
            log.error("reading the rest of the input after the stop failed: %s", exc)
            return
        for item in items:
            self.summary.taken += 1
            if isinstance(item, CutLine):
                self._report(Outcome(
                    status="not-started", run_id=None, reason="AgentStopping", line=item.line,
                    message=f"the agent stopped while reading this line ({item.size} bytes read, the rest was "
                            "not); nothing was submitted"))
                continue
            taken = self._as_run(item)
            if isinstance(taken, Outcome):
                self._report(taken)
            else:
                self._report(self._not_started(*taken))

    @staticmethod
    def _as_run(item: Any) -> tuple[FlowRun, int | None] | Outcome:
        if isinstance(item, LineRun):
            return item.run, item.line
        if isinstance(item, FlowRun):
            return item, None
        if isinstance(item, InvalidInput):
            return item.outcome()
        if isinstance(item, Mapping):
            try:
                return FlowRun.from_dict(item), None
            except ComposeError as exc:
                run_id = item.get("id") if isinstance(item.get("id"), str) and item.get("id") else None
                return InvalidInput(exc.message, run_id=run_id).outcome()
        return InvalidInput(f"expected a flow run, got {type(item).__name__}").outcome()

    def _work(self, seq: int, run: FlowRun, line: int | None) -> None:
        outcome: Outcome | None = None

        def submitted(sub: Submitted) -> None:
            with self._lock:
                entry = self._inflight.get(seq)
                if entry is not None:
                    entry.submitted = sub

        try:
            outcome = process_run(
                run, self.generator, self.backends, wait=self.wait, timeout=self.timeout,
                dry_run=self.dry_run, abandon=self._abandon, wait_slice=self.wait_slice,
                submit_lock=self._ids.hold, on_submitted=submitted,
            )
        except BaseException as exc:  # never lose a run, even to a bug
            outcome = _failure("submit-failed", run, exc)
            raise
        finally:
            with self._lock:
                mine = self._inflight.pop(seq, None) is not None
            if outcome is not None and mine:
                # Not mine: the drain deadline passed and the main thread reported this run.
                if line is not None and outcome.line is None:
                    outcome = dataclasses.replace(outcome, line=line)
                self._report(outcome)
            self._slots.release()
