"""The compose workers' observer, offline: Prefect's own FlowRun and state objects, a stand-in
client and finder (the finders themselves run against the fake API server and moto in
test_e2e.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytest.importorskip("prefect", reason="the prefect extra is not installed (pip install -e '.[test,prefect]')")
import anyio


class Client:
    def __init__(self) -> None:
        self.runs: dict[uuid.UUID, Any] = {}
        self.down = False

    async def read_flow_run(self, run_id: uuid.UUID) -> Any:
        from prefect.exceptions import ObjectNotFound

        if self.down:
            raise OSError("connection refused")
        if run_id not in self.runs:
            raise ObjectNotFound(http_exc=Exception("404"))
        return self.runs[run_id]


class Worker:
    """What the observer uses of a worker: its pool, client and crash proposal."""

    def __init__(self) -> None:
        from prefect.client.schemas.objects import WorkPool

        self._work_pool = WorkPool(name="pool", type="compose-kubernetes", id=uuid.uuid4())
        self.client = Client()
        self.proposed: list[tuple[str, str]] = []

    async def _propose_crashed_state(self, flow_run: Any, message: str) -> None:
        self.proposed.append((str(flow_run.id), message))


def flow_run(worker: Worker, state: Any, pid: str | None) -> Any:
    from prefect.client.schemas.objects import FlowRun

    run = FlowRun(id=uuid.uuid4(), flow_id=uuid.uuid4(), name="r", state=state, infrastructure_pid=pid)
    worker.client.runs[run.id] = run
    return run


def observer(worker: Worker, failures: list[Any], finished: set[str] | None = None) -> Any:
    from compose.prefect.observer import Observer

    calls: list[frozenset[str]] = []

    def finder(runner: Any, where: Any, pool_id: str, seen: frozenset[str]) -> tuple[list[Any], set[str]]:
        assert pool_id == str(worker._work_pool.id)
        calls.append(seen)
        fresh = [f for f in failures if f.key not in seen]
        return fresh, set(finished if finished is not None else {f.key for f in failures})

    obs = Observer(worker, finder, 0.0)
    obs.watch("place", object(), "flows")
    obs.calls = calls
    return obs


def states() -> dict[str, Any]:
    from prefect.states import Cancelling, Completed, Failed, Pending, Running, Scheduled

    return {"PENDING": Pending(), "RUNNING": Running(), "SCHEDULED": Scheduled(), "FAILED": Failed(),
            "COMPLETED": Completed(), "CANCELLING": Cancelling()}


@pytest.mark.parametrize("state,pid,crashed", [
    ("PENDING", "flows:job-1", True),
    ("RUNNING", "flows:job-1", True),
    ("RUNNING", None, True),                 # no pid recorded yet: the only Job there can be
    ("SCHEDULED", "flows:job-1", False),     # rescheduled: a new attempt comes
    ("FAILED", "flows:job-1", False),        # the flow reported its own end
    ("COMPLETED", "flows:job-1", False),
    ("CANCELLING", "flows:job-1", False),    # cancellation is Prefect's to finish
    ("RUNNING", "flows:job-1-2", False),     # the run has moved on to attempt 2
])
def test_crashes_only_a_pending_or_running_run_whose_current_job_failed(state, pid, crashed) -> None:
    from compose.prefect.observer import Failure

    worker = Worker()
    run = flow_run(worker, states()[state], pid)
    obs = observer(worker, [Failure("uid-1", str(run.id), "flows:job-1", "flows:job-1: Job failed (exit code 137)")])
    marked = anyio.run(obs.look)
    assert marked == int(crashed)
    assert worker.proposed == ([(str(run.id), "flows:job-1: Job failed (exit code 137)")] if crashed else [])
    # considered once: the next look does not ask again
    assert anyio.run(obs.look) == 0 and len(worker.proposed) == int(crashed)
    assert obs.calls[-1] == frozenset({"uid-1"})


def test_a_failure_is_tried_again_when_the_prefect_api_was_down() -> None:
    from prefect.states import Running

    from compose.prefect.observer import Failure

    worker = Worker()
    run = flow_run(worker, Running(), "flows:job-1")
    obs = observer(worker, [Failure("uid-1", str(run.id), "flows:job-1", "failed")])
    worker.client.down = True
    assert anyio.run(obs.look) == 0 and obs.calls[-1] == frozenset()
    worker.client.down = False
    assert anyio.run(obs.look) == 1 and worker.proposed == [(str(run.id), "failed")]


def test_seen_keys_are_forgotten_once_the_backend_no_longer_lists_them() -> None:
    from prefect.states import Running

    from compose.prefect.observer import Failure

    worker = Worker()
    run = flow_run(worker, Running(), "flows:job-1")
    failures = [Failure("uid-1", str(run.id), "flows:job-1", "failed")]
    finished = {"uid-1", "uid-ok"}
    obs = observer(worker, failures, finished)
    anyio.run(obs.look)
    anyio.run(obs.look)
    assert obs.calls[-1] == frozenset({"uid-1", "uid-ok"})
    failures.clear()
    finished.clear()                              # deleted (TTL): memory follows the listing
    anyio.run(obs.look)
    anyio.run(obs.look)
    assert obs.calls[-1] == frozenset()


def test_unknown_or_deleted_flow_runs_and_a_failing_place_do_not_stop_the_observer() -> None:
    from compose.prefect.observer import Failure, Observer

    worker = Worker()
    gone = Failure("uid-1", str(uuid.uuid4()), "flows:a", "failed")
    junk = Failure("uid-2", "not-a-uuid", "flows:b", "failed")

    def broken(*_: Any) -> Any:
        raise OSError("the API server is unreachable")

    obs = Observer(worker, lambda *a: ([gone, junk], {"uid-1", "uid-2"}) if a[1] == "good" else broken(), 0.0)
    obs.watch("bad", object(), "bad")
    obs.watch("good", object(), "good")
    assert anyio.run(obs.look) == 0 and worker.proposed == []


def test_no_pool_yet_means_no_look() -> None:
    worker = Worker()
    worker._work_pool = None
    obs = observer(worker, [])
    assert anyio.run(obs.look) == 0 and obs.calls == []


def test_the_loop_looks_by_itself_and_stops_with_the_context() -> None:
    from prefect.states import Pending

    from compose.prefect.observer import Failure, Observer

    worker = Worker()
    run = flow_run(worker, Pending(), "flows:job-1")
    looks: list[int] = []

    def finder(*_: Any) -> Any:
        looks.append(1)
        return [Failure("uid-1", str(run.id), "flows:job-1", "failed")], {"uid-1"}

    async def main() -> int:
        obs = Observer(worker, finder, 0.05)
        obs.watch("place", object(), "flows")
        async with obs:
            with anyio.fail_after(10):
                while not worker.proposed:
                    await anyio.sleep(0.02)
        stopped_at = len(looks)
        await anyio.sleep(0.2)
        return len(looks) - stopped_at

    assert anyio.run(main) == 0
    assert worker.proposed == [(str(run.id), "failed")]


@pytest.mark.parametrize("text,value", [("", 10.0), ("0", 0.0), ("2.5", 2.5)])
def test_observe_interval_setting(monkeypatch, text, value) -> None:
    from compose.prefect.observer import observe_interval

    monkeypatch.setenv("COMPOSE_PREFECT_OBSERVE_SECONDS", text)
    assert observe_interval() == value


@pytest.mark.parametrize("text", ["soon", "-1", "nan", "1e9"])
def test_a_bad_observe_interval_is_refused_by_name(monkeypatch, text) -> None:
    from compose.prefect.observer import observe_interval

    monkeypatch.setenv("COMPOSE_PREFECT_OBSERVE_SECONDS", text)
    with pytest.raises(ValueError, match="COMPOSE_PREFECT_OBSERVE_SECONDS"):
        observe_interval()


# --- wait: true, and what the finders make of a failure (the runners' own outcome objects) ---------


class _Runner:
    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def wait(self, *_: Any, **__: Any) -> Any:
        return self.outcome


def _waited(worker_cls: Any, outcome: Any, pid: str) -> tuple[int, str]:
    worker = worker_cls.__new__(worker_cls)       # only _wait is used: no Prefect client needed
    worker._runner = lambda configuration: _Runner(outcome)
    return worker._wait(None, pid)


def test_kubernetes_wait_turns_the_job_outcome_into_a_status_code_and_message() -> None:
    from compose.prefect.worker import ComposeKubernetesWorker
    from compose.runner.kubernetes import JobOutcome

    code, text = _waited(ComposeKubernetesWorker, JobOutcome(
        succeeded=False, reason="BackoffLimitExceeded", exit_code=137, container_reason="OOMKilled",
        message="Job has reached the specified backoff limit"), "flows:flow-run-1")
    assert code == 137
    assert text == ("Job failed (reason BackoffLimitExceeded, exit code 137, container OOMKilled, "
                    "message Job has reached the specified backoff limit)")
    code, _ = _waited(ComposeKubernetesWorker, JobOutcome(succeeded=False, reason="DeadlineExceeded"), "flows:j")
    assert code == 1                               # no exit code (the pod never ran): still a failure
    assert _waited(ComposeKubernetesWorker, JobOutcome(succeeded=True, reason="Complete", exit_code=0), "flows:j")[0] == 0


def test_ecs_wait_turns_the_task_outcome_into_a_status_code_and_message() -> None:
    from compose.prefect.worker import ComposeEcsWorker
    from compose.runner.ecs import TaskOutcome
    from compose.runner.ecs.results import ContainerOutcome

    arn = "arn:aws:ecs:us-east-1:123456789012:task/flows/abc"
    failed = TaskOutcome(arn, "STOPPED", "STOPPED", "EssentialContainerExited", "Essential container in task exited",
                         (ContainerOutcome("flow", True, 3, None, "STOPPED"),
                          ContainerOutcome("log-router", False, 0, None, "STOPPED")))
    code, text = _waited(ComposeEcsWorker, failed, arn)
    assert code == 3
    assert text == f"task failed: task {arn} failed; EssentialContainerExited: Essential container in task exited; flow exit 3"
    never = TaskOutcome(arn, "STOPPED", "STOPPED", "TaskFailedToStart", "CannotPullContainerError: not found",
                        (ContainerOutcome("flow", True, None, "CannotPullContainerError", "STOPPED"),))
    code, text = _waited(ComposeEcsWorker, never, arn)
    assert code == 1 and "CannotPullContainerError" in text
    ok = TaskOutcome(arn, "STOPPED", "STOPPED", "EssentialContainerExited", None,
                     (ContainerOutcome("flow", True, 0, None, "STOPPED"),))
    assert _waited(ComposeEcsWorker, ok, arn)[0] == 0


def test_stopping_the_worker_does_not_wait_for_a_slow_look() -> None:
    import threading
    import time

    from compose.prefect.observer import Observer

    worker = Worker()
    entered, release = threading.Event(), threading.Event()

    def slow(*_: Any) -> Any:
        entered.set()
        release.wait(30)                           # an API server that does not answer
        return [], set()

    async def main() -> float:
        obs = Observer(worker, slow, 0.01)
        obs.watch("place", object(), "flows")
        async with obs:
            with anyio.fail_after(10):
                while not entered.is_set():
                    await anyio.sleep(0.01)
            started = time.monotonic()
        return time.monotonic() - started

    try:
        assert anyio.run(main) < 1.0
    finally:
        release.set()
