"""process_run and the backends' result mapping, with recording stand-ins for the runners.

The runners themselves are exercised over HTTP in test_agent_k8s.py / test_agent_ecs.py;
here the stand-ins return the runners' real result types (JobOutcome, TaskOutcome,
SubmitResult, RunResult) with the values a real cluster sends and moto cannot (ECS stop codes,
non-zero exit codes of a second container).
"""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest

from compose.agent import EcsBackend, KubernetesBackend, Outcome, Submitted, backends_for, process_run
from compose.errors import SubmitError, UsageError
from compose.model import EcsSpec, FlowRun, KubernetesSpec
from compose.runner.ecs import ContainerOutcome, RunResult, TaskOutcome
from compose.runner.kubernetes import JobOutcome, KubernetesAPIError, SubmitResult

RUN = FlowRun(id="r-1", flow_name="etl")
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "etl"},
       "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "flow", "image": "x"}]}}}}


def k8s_gen(run: FlowRun) -> KubernetesSpec:
    return KubernetesSpec(objects=[JOB], job=JOB, flow_container="flow", run_id=run.id)


class FakeBackend:
    """Records calls; ``waits`` is the list of outcomes successive waits return."""

    target = "kubernetes"

    def __init__(self, *, already: bool = False, submit_error: BaseException | None = None,
                 wait_error: BaseException | None = None, waits: list[str] | None = None) -> None:
        self.already = already
        self.submit_error = submit_error
        self.wait_error = wait_error
        self.waits = list(waits or ["succeeded"])
        self.wait_calls: list[tuple[float, Any]] = []
        self.submits = 0

    def submit(self, spec: Any, run: FlowRun, *, dry_run: str | None = None) -> Submitted:
        self.submits += 1
        if self.submit_error is not None:
            raise self.submit_error
        return Submitted("kubernetes", run.id, "etl-r-1", "flows", "flow", already_submitted=self.already,
                         dry_run=dry_run)

    def wait(self, submitted: Submitted, timeout: float, *, log_stream: Any = None) -> Outcome:
        self.wait_calls.append((timeout, log_stream))
        if self.wait_error is not None:
            raise self.wait_error
        status = self.waits.pop(0) if len(self.waits) > 1 else self.waits[0]
        return submitted.outcome(status, message=f"wait said {status}")


def test_success_with_wait_passes_log_stream_through():
    backend = FakeBackend()
    log = io.StringIO()
    o = process_run(RUN, k8s_gen, {"kubernetes": backend}, timeout=60, log_stream=log)
    assert (o.status, o.job_name, o.namespace, o.run_id) == ("succeeded", "etl-r-1", "flows", "r-1")
    assert backend.wait_calls == [(60, log)], "without abandon, one wait for the whole timeout"


def test_already_submitted_is_said_in_the_message():
    o = process_run(RUN, k8s_gen, {"kubernetes": FakeBackend(already=True)})
    assert o.already_submitted and o.message == "already submitted: wait said succeeded"
    o = process_run(RUN, k8s_gen, {"kubernetes": FakeBackend(already=True)}, wait=False)
    assert o.status == "submitted" and o.message == 'already submitted: Job "etl-r-1" submitted'


def test_generator_building_for_another_run_is_refused():
    def wrong(run: FlowRun) -> KubernetesSpec:
        return KubernetesSpec(objects=[JOB], job=JOB, flow_container="flow", run_id="someone-else")

    backend = FakeBackend()
    o = process_run(RUN, wrong, {"kubernetes": backend})
    assert o.status == "generate-failed" and "'someone-else'" in o.message
    assert backend.submits == 0


@pytest.mark.parametrize(
    "error, reason, http",
    [
        (KubernetesAPIError("RBAC refused", status=403, reason="Forbidden", verb="create"), "Forbidden", 403),
        (SubmitError("no Kubernetes configuration", step="submit"), "SubmitError", None),
        (ConnectionResetError("peer reset"), "ConnectionResetError", None),
    ],
)
def test_submit_errors_become_submit_failed(error, reason, http):
    o = process_run(RUN, k8s_gen, {"kubernetes": FakeBackend(submit_error=error)})
    assert (o.status, o.reason, o.target) == ("submit-failed", reason, "kubernetes")
    assert o.details.get("http_status") == http
    assert str(error) in o.message or error.args[0] in o.message


def test_wait_error_is_wait_failed_and_keeps_the_job_name():
    err = KubernetesAPIError("watching failed 6 times", status=500, verb="watch")
    o = process_run(RUN, k8s_gen, {"kubernetes": FakeBackend(wait_error=err)})
    assert (o.status, o.job_name, o.details["http_status"]) == ("wait-failed", "etl-r-1", 500)
    assert "watching failed" in o.message


def test_waiting_in_slices_until_the_end():
    backend = FakeBackend(waits=["timed-out", "timed-out", "failed"])
    o = process_run(RUN, k8s_gen, {"kubernetes": backend}, timeout=60, abandon=threading.Event(), wait_slice=0.01)
    assert o.status == "failed" and len(backend.wait_calls) == 3
    assert all(t <= 0.01 for t, _ in backend.wait_calls)


def test_abandon_reports_submitted():
    abandon = threading.Event()
    abandon.set()
    backend = FakeBackend(waits=["timed-out"])
    o = process_run(RUN, k8s_gen, {"kubernetes": backend}, timeout=60, abandon=abandon, wait_slice=0.01)
    assert o.status == "submitted" and "stopped waiting" in o.message
    assert len(backend.wait_calls) == 1, "the current slice ends, then the wait is abandoned"


def test_final_slice_timeout_names_the_whole_timeout():
    o = process_run(RUN, k8s_gen, {"kubernetes": FakeBackend(waits=["timed-out"])}, timeout=0.05,
                    abandon=threading.Event(), wait_slice=0.02)
    assert o.status == "timed-out" and o.message == 'Job "etl-r-1" did not finish within 0.05s'


def test_dry_run_is_never_waited_for():
    backend = FakeBackend()
    o = process_run(RUN, k8s_gen, {"kubernetes": backend}, dry_run="server")
    assert o.status == "dry-run" and o.ok and backend.wait_calls == []


# --------------------------------------------------------------------------- backends


class FakeK8sRunner:
    flow_container = "flow"

    def __init__(self, outcome: JobOutcome) -> None:
        self.outcome = outcome

    def submit(self, job: Any, run_id: str, *, dry_run: str | None = None) -> SubmitResult:
        return SubmitResult("etl-" + run_id, "flows", "uid-1", True, dry_run, run_id, {})

    def wait(self, name: str, timeout: float, *, namespace: str | None = None, log_stream: Any = None) -> JobOutcome:
        return self.outcome


@pytest.mark.parametrize(
    "job, status",
    [
        (JobOutcome(True, "Complete", "Succeeded", 0, "Completed"), "succeeded"),
        (JobOutcome(False, "BackoffLimitExceeded", "Failed", 137, "OOMKilled", "Job has reached the limit"), "failed"),
        (JobOutcome(False, "DeadlineExceeded", "Running", None, None, "deadline"), "failed"),
        (JobOutcome(False, "Timeout", "Running", None, None, "did not finish", timed_out=True), "timed-out"),
        (JobOutcome(False, "Deleted", None, None, None, "deleted"), "cancelled"),
    ],
)
def test_kubernetes_job_outcomes_map_to_statuses(job, status):
    o = process_run(RUN, k8s_gen, backends_for(KubernetesBackend(FakeK8sRunner(job))), timeout=1)
    assert o.status == status and o.exit_code == job.exit_code and o.reason == job.reason
    if job.container_reason:
        assert o.details["container_reason"] == job.container_reason


def ecs_gen(run: FlowRun) -> EcsSpec:
    return EcsSpec(task_definition={"family": "f", "containerDefinitions": []}, run_task={"cluster": "c"},
                   overrides={}, flow_container="flow", run_id=run.id)


class FakeEcsRunner:
    cluster = "c"

    def __init__(self, task: TaskOutcome) -> None:
        self.task = task

    def register_if_needed(self, td: Any) -> tuple[str, bool]:
        return "arn:td:1", False

    def run(self, td_arn: str, request: Any, *, run_id: str, tags: Any = None, overrides: Any = None) -> RunResult:
        return RunResult("arn:aws:ecs:us-east-1:1:task/c/abc", "c", run_id, td_arn, run_id, run_id, True)

    def wait(self, arn: str, timeout: float, poll: float, *, cluster: str | None = None) -> TaskOutcome:
        return self.task


def _task(stop_code: str | None, sidecar: int | None, flow: int | None, *, timed_out: bool = False,
          status: str = "STOPPED") -> TaskOutcome:
    # The flow container is second: it is found by name.
    return TaskOutcome("arn:aws:ecs:us-east-1:1:task/c/abc", status, "STOPPED", stop_code, "why", (
        ContainerOutcome("log-router", False, sidecar, None, status),
        ContainerOutcome("flow", True, flow, None, status)), timed_out=timed_out)


@pytest.mark.parametrize(
    "task, status, exit_code",
    [
        (_task("EssentialContainerExited", 1, 0), "succeeded", 0),
        (_task("EssentialContainerExited", 0, 3), "failed", 3),
        (_task("UserInitiated", None, 143), "cancelled", 143),
        (_task("TaskFailedToStart", None, None), "failed", None),
        (_task(None, None, None, timed_out=True, status="RUNNING"), "timed-out", None),
    ],
)
def test_ecs_task_outcomes_map_to_statuses(task, status, exit_code):
    o = process_run(RUN, ecs_gen, backends_for(EcsBackend(FakeEcsRunner(task))), timeout=1)
    assert (o.status, o.exit_code, o.target, o.cluster) == (status, exit_code, "ecs", "c")
    assert o.details["stop_code"] == task.stop_code
    assert [c["name"] for c in o.details["containers"]] == ["log-router", "flow"]


def test_backends_for_accepts_runners_backends_and_mappings(make_runner, ecs_runner):
    got = backends_for(make_runner())
    assert list(got) == ["kubernetes"] and isinstance(got["kubernetes"], KubernetesBackend)
    got = backends_for({"kubernetes": make_runner(), "ecs": ecs_runner})
    assert sorted(got) == ["ecs", "kubernetes"]
    assert backends_for([FakeBackend()])["kubernetes"].__class__ is FakeBackend


@pytest.mark.parametrize(
    "runners, words",
    [
        (lambda k, e: {"ecs": k}, "is a kubernetes runner"),
        (lambda k, e: [k, k], "two runners"),
        (lambda k, e: object(), "not a runner"),
    ],
)
def test_backends_for_refuses_what_does_not_fit(make_runner, ecs_runner, runners, words):
    with pytest.raises(UsageError, match=words):
        backends_for(runners(make_runner(), ecs_runner))


def test_backend_without_runner_only_dry_runs():
    o = process_run(RUN, k8s_gen, {"kubernetes": KubernetesBackend(None)})
    assert o.status == "submit-failed" and "no Kubernetes runner configured" in o.message
    o = process_run(RUN, ecs_gen, {"ecs": EcsBackend(None)})
    assert o.status == "submit-failed" and "no ECS runner configured" in o.message


def test_agent_argument_checks(make_runner):
    from compose.agent import Agent

    with pytest.raises(UsageError):
        Agent([], k8s_gen, make_runner(), concurrency=0)
    with pytest.raises(UsageError):
        Agent([], k8s_gen, make_runner(), dry_run="yes")
    with pytest.raises(TypeError):
        Agent([], 42, make_runner())
