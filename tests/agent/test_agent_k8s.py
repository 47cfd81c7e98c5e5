"""The Agent with the real Kubernetes runner and client, against the fake API server.

Every Job is created over HTTP by the real ``kubernetes`` client; the fake server's
"controller" (the Finisher fixture) finishes Jobs the way the Job controller would.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

from compose.agent import Agent, KubernetesBackend, Outcome
from compose.model import FlowRun, KubernetesSpec

NS = "flows"
CREATE = r"/apis/batch/v1/namespaces/flows/jobs"


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


def job_run_ids(api: Any) -> list[str]:
    with api.cond:
        return sorted(j["metadata"]["annotations"]["compose.dev/run-id"] for j in api.jobs.values())


def test_every_run_is_submitted_waited_and_reported(api, k8s_runner, finisher, tracker, standin, make_runs):
    finisher()
    runs = make_runs(3) + [FlowRun(id="bad-exit", flow_name="etl", metadata={"exit_code": 3})]
    summary = Agent(runs, standin(tracker=tracker), k8s_runner, concurrency=2, timeout=10,
                    on_outcome=tracker.leave).run()
    out = tracker.by_run()
    assert sorted(out) == sorted(r.id for r in runs)
    for i in range(3):
        o = out[f"run-{i}"]
        assert (o.status, o.exit_code, o.target, o.namespace) == ("succeeded", 0, "kubernetes", NS)
        assert o.job_name == k8s_runner.job_name(standin().generate(runs[i]).job, runs[i].id)
        assert o.already_submitted is False
    bad = out["bad-exit"]
    assert (bad.status, bad.exit_code, bad.reason) == ("failed", 3, "BackoffLimitExceeded")
    assert bad.details["container_reason"] == "Error"
    assert summary.counts == {"succeeded": 3, "failed": 1} and summary.taken == 4 and not summary.stopped
    assert not summary.ok
    assert job_run_ids(api) == sorted(r.id for r in runs)


def test_concurrency_is_bounded_and_used(api, k8s_runner, finisher, tracker, standin, make_runs):
    finisher(delay=0.15)
    Agent(make_runs(9), standin(tracker=tracker), k8s_runner, concurrency=3, timeout=10,
          on_outcome=tracker.leave).run()
    assert len(tracker.outcomes) == 9
    assert all(o.status == "succeeded" for o in tracker.outcomes)
    assert tracker.max <= 3
    assert tracker.max == 3, "with slow Jobs every slot should have been busy at some point"


def test_concurrency_one_is_sequential(api, k8s_runner, finisher, tracker, standin, make_runs):
    finisher()
    Agent(make_runs(3), standin(tracker=tracker), k8s_runner, concurrency=1, timeout=10,
          on_outcome=tracker.leave).run()
    assert tracker.max == 1 and tracker.entered == ["run-0", "run-1", "run-2"]
    assert [o.run_id for o in tracker.outcomes] == ["run-0", "run-1", "run-2"]


def test_generate_failure_is_reported_and_the_others_go_on(api, k8s_runner, tracker, standin, make_runs):
    runs = make_runs(2) + [FlowRun(id="broken", metadata={"fail_generate": "'lots' is not a quantity"})]
    summary = Agent(runs, standin(tracker=tracker), k8s_runner, wait=False, on_outcome=tracker.leave).run()
    out = tracker.by_run()
    broken = out["broken"]
    assert broken.status == "generate-failed" and broken.reason == "SpecError"
    assert "build: parameter 'memory' is invalid: 'lots' is not a quantity" in broken.message
    assert broken.job_name is None
    assert {out["run-0"].status, out["run-1"].status} == {"submitted"}
    assert job_run_ids(api) == ["run-0", "run-1"]
    assert summary.counts == {"submitted": 2, "generate-failed": 1}


def test_a_callable_that_raises_anything_is_a_generate_failure(api, k8s_runner, tracker):
    def gen(run: FlowRun) -> Any:
        raise KeyError("image")

    Agent([FlowRun(id="r")], gen, k8s_runner, on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert (o.status, o.reason, o.message) == ("generate-failed", "KeyError", "KeyError: 'image'")


def test_rbac_refusal_is_a_submit_failure_with_the_reason(api, k8s_runner, tracker, standin, make_runs):
    api.deny("create", "jobs")
    Agent(make_runs(2), standin(), k8s_runner, on_outcome=tracker.leave).run()
    assert len(tracker.outcomes) == 2
    for o in tracker.outcomes:
        assert o.status == "submit-failed" and o.reason == "Forbidden"
        assert o.details["http_status"] == 403
        assert "create" in o.message and "jobs.batch" in o.message and '"flows"' in o.message
    assert api.jobs == {}
    assert len(api.seen("POST", CREATE)) == 2, "a 403 is not retried"


def test_invalid_job_is_a_submit_failure_with_field_causes(api, k8s_runner, tracker, standin):
    template = standin().template
    bad = {**template, "spec": {**template["spec"], "template": {"spec": {
        "restartPolicy": "Always", "containers": [{"name": "flow", "image": "python:3.12"}]}}}}
    Agent([FlowRun(id="r")], standin(template=bad), k8s_runner, on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert o.status == "submit-failed" and o.reason == "Invalid"
    assert "spec.template.spec.restartPolicy" in o.message


def test_restarted_agent_creates_no_duplicates_and_says_already_submitted(
        api, make_runner, finisher, tracker, standin, make_runs):
    runs = make_runs(4)
    first: list[Outcome] = []
    Agent(runs, standin(), make_runner(), wait=False, on_outcome=first.append).run()
    assert {o.status for o in first} == {"submitted"} and not any(o.already_submitted for o in first)
    assert len(api.committed_creates) == 4

    finisher()
    # A new agent process: a new runner (new API client), the same runs, this time waiting.
    Agent(runs, standin(), make_runner(), concurrency=4, timeout=10, on_outcome=tracker.leave).run()
    assert len(api.committed_creates) == 4 and len(api.jobs) == 4
    assert len(tracker.outcomes) == 4
    for o in tracker.outcomes:
        assert o.already_submitted is True and o.status == "succeeded"
        assert o.message.startswith("already submitted: ")
    assert {o.job_name for o in tracker.outcomes} == {o.job_name for o in first}


def test_same_run_twice_in_one_source_is_one_job(api, k8s_runner, tracker, standin):
    run = FlowRun(id="twice", flow_name="etl")
    Agent([run, run, run], standin(), k8s_runner, wait=False, concurrency=3, on_outcome=tracker.leave).run()
    assert len(api.committed_creates) == 1
    assert sorted(o.already_submitted for o in tracker.outcomes) == [False, True, True]


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param([("drop_response", {})], id="create-stored-answer-lost"),
        pytest.param([("status", {"status": 500})], id="500"),
        pytest.param([("reset", {})], id="reset-before-answer"),
        pytest.param([("commit_then_status", {"status": 504})], id="504-after-commit"),
        pytest.param([("status", {"status": 429, "retry_after": "1"}), ("drop_response", {})], id="429-then-lost"),
    ],
)
def test_faults_on_create_lose_no_run_and_duplicate_no_job(api, k8s_runner, sleeps, finisher, tracker, standin,
                                                            make_runs, faults):
    for action, kw in faults:
        api.inject("POST", CREATE, action, times=3, **kw)
    finisher()
    runs = make_runs(5)
    summary = Agent(runs, standin(), k8s_runner, concurrency=3, timeout=10, on_outcome=tracker.leave).run()
    assert summary.counts == {"succeeded": 5}, [o.message for o in tracker.outcomes]
    assert sorted(api.committed_creates) == sorted((NS, o.job_name) for o in tracker.outcomes)
    assert job_run_ids(api) == sorted(r.id for r in runs)
    assert sum(f.used for f in api.faults) == 3 * len(faults)
    assert sleeps.delays, "the runner backed off before retrying"


def test_wait_false_reports_submitted(api, k8s_runner, tracker, standin, make_runs):
    Agent(make_runs(2), standin(), k8s_runner, wait=False, on_outcome=tracker.leave).run()
    assert [o.status for o in tracker.outcomes] == ["submitted", "submitted"]
    assert all(o.message.endswith("submitted") and o.exit_code is None for o in tracker.outcomes)


def test_timeout_is_reported_timed_out(api, k8s_runner, tracker, standin):
    Agent([FlowRun(id="slow", metadata={"hold": True})], standin(), k8s_runner, timeout=0.4, wait_slice=0.15,
          on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert o.status == "timed-out" and o.reason == "Timeout"
    assert o.message.endswith("did not finish within 0.4s")


def test_a_job_deleted_while_waiting_is_cancelled(api, k8s_runner, tracker, standin):
    run = FlowRun(id="doomed", metadata={"hold": True})
    backend = KubernetesBackend(k8s_runner)
    api.when(lambda: len(api.jobs) == 1, lambda: backend.cancel("doomed"))
    Agent([run], standin(), backend, timeout=5, on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert o.status == "cancelled" and o.reason == "Deleted"
    assert api.jobs == {}
    delete = api.seen("DELETE")[0]
    assert delete.query.get("propagationPolicy") == "Foreground" or delete.body.get("propagationPolicy") == "Foreground"


def test_server_dry_run_stores_nothing(api, k8s_runner, tracker, standin, make_runs):
    summary = Agent(make_runs(2), standin(), k8s_runner, dry_run="server", on_outcome=tracker.leave).run()
    assert summary.counts == {"dry-run": 2} and summary.ok
    assert api.jobs == {}
    assert all(r.query.get("dryRun") == "All" for r in api.seen("POST", CREATE))
    assert all(o.details["object"]["metadata"]["name"] == o.job_name for o in tracker.outcomes)


def test_client_dry_run_needs_no_runner(tracker, standin):
    backend = KubernetesBackend(None, namespace="batch")
    Agent([FlowRun(id="r-1")], standin(), backend, dry_run="client", on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert (o.status, o.namespace, o.job_name) == ("dry-run", "batch", "etl-r-1")
    assert o.details["object"]["metadata"]["annotations"]["compose.dev/run-id"] == "r-1"


def test_a_spec_with_another_flow_container_is_followed_by_name(api, k8s_runner, finisher, tracker, standin):
    template = standin().template
    job = {**template, "spec": {**template["spec"], "template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "main", "image": "python:3.12"}]}}}}
    finisher()
    gen = standin(template=job, flow_container="main")
    Agent([FlowRun(id="r", metadata={"exit_code": 2})], gen, k8s_runner, timeout=10, on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert o.status == "failed" and o.exit_code == 2
    assert k8s_runner.flow_container == "flow", "the shared runner is not changed"


def test_extra_objects_are_refused_unless_told_to_ignore(api, k8s_runner, tracker):
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "etl"},
           "spec": {"template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "flow", "image": "python:3.12"}]}}}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings-7h2k"}}

    def gen(run: FlowRun) -> KubernetesSpec:
        return KubernetesSpec(objects=[cm, job], job=job, flow_container="flow", run_id=run.id)

    Agent([FlowRun(id="a")], gen, k8s_runner, wait=False, on_outcome=tracker.leave).run()
    assert tracker.outcomes[0].status == "submit-failed"
    assert "ConfigMap/settings-7h2k" in tracker.outcomes[0].message
    Agent([FlowRun(id="b")], gen, KubernetesBackend(k8s_runner, extra_objects="ignore"), wait=False,
          on_outcome=tracker.leave).run()
    assert tracker.outcomes[1].status == "submitted"
    assert job_run_ids(api) == ["b"]


def test_a_generator_returning_a_job_dict_or_v1job_is_accepted(api, k8s_runner, tracker):
    from kubernetes import client

    def as_dict(run: FlowRun) -> dict[str, Any]:
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "plain"},
                "spec": {"template": {"spec": {"restartPolicy": "Never",
                                               "containers": [{"name": "flow", "image": "busybox"}]}}}}

    def as_v1(run: FlowRun) -> Any:
        return client.V1Job(
            api_version="batch/v1", kind="Job", metadata=client.V1ObjectMeta(name="typed"),
            spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
                restart_policy="Never", containers=[client.V1Container(name="flow", image="busybox")]))))

    Agent([FlowRun(id="d")], as_dict, k8s_runner, wait=False, on_outcome=tracker.leave).run()
    Agent([FlowRun(id="v")], as_v1, k8s_runner, wait=False, on_outcome=tracker.leave).run()
    assert [o.status for o in tracker.outcomes] == ["submitted", "submitted"]
    assert [o.job_name for o in tracker.outcomes] == ["plain-d", "typed-v"]


def test_source_items_that_are_not_runs_are_reported(api, k8s_runner, tracker, standin):
    from compose.agent import InvalidInput

    source = [{"id": "from-dict", "flow": "etl"}, {"flow": "no-id"}, 42,
              InvalidInput("not JSON", line=7, source="runs.jsonl")]
    Agent(source, standin(), k8s_runner, wait=False, on_outcome=tracker.leave).run()
    statuses = [(o.status, o.run_id) for o in tracker.outcomes]
    assert ("submitted", "from-dict") in statuses
    bad = [o for o in tracker.outcomes if o.status == "invalid-input"]
    assert len(bad) == 3
    assert any(o.line == 7 and o.message == "runs.jsonl:7: not JSON" for o in bad)
    assert any("needs an 'id'" in o.message for o in bad)
    assert any("got int" in o.message for o in bad)


def test_a_failing_source_is_reported_not_raised(api, k8s_runner, tracker, standin):
    def source():
        yield FlowRun(id="first")
        raise OSError("input stream broke")

    summary = Agent(source(), standin(), k8s_runner, wait=False, on_outcome=tracker.leave).run()
    assert summary.counts == {"submitted": 1, "invalid-input": 1}
    assert "input stream broke" in [o for o in tracker.outcomes if o.status == "invalid-input"][0].message


def test_on_outcome_errors_do_not_stop_the_agent(api, k8s_runner, standin, make_runs, caplog):
    seen: list[str] = []

    def flaky(o: Outcome) -> None:
        seen.append(o.run_id)
        if len(seen) == 1:
            raise RuntimeError("sink down")

    summary = Agent(make_runs(3), standin(), k8s_runner, wait=False, on_outcome=flaky).run()
    assert len(seen) == 3 and summary.counts == {"submitted": 3}
    assert "on_outcome failed" in caplog.text


# --------------------------------------------------------------------------- stopping


def test_sigterm_stops_taking_runs_and_finishes_those_in_flight(api, k8s_runner, finisher, tracker, standin,
                                                                make_runs):
    finisher(delay=0.4)
    source = iter(make_runs(10))
    before = signal.getsignal(signal.SIGTERM)
    agent = Agent(source, standin(tracker=tracker), k8s_runner, concurrency=2, timeout=10,
                  on_outcome=tracker.leave)

    def kill_when_busy() -> None:
        wait_for(lambda: tracker.now == 2 and len(api.jobs) == 2)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=kill_when_busy, daemon=True).start()
    summary = agent.run()
    assert signal.getsignal(signal.SIGTERM) is before, "the previous handler is back"
    assert summary.stopped and summary.taken == 2
    assert tracker.entered == ["run-0", "run-1"], "no run was taken after the signal"
    assert [(o.run_id, o.status) for o in sorted(tracker.outcomes, key=lambda o: o.run_id)] == [
        ("run-0", "succeeded"), ("run-1", "succeeded")], "the runs in flight were finished"
    assert [r.id for r in source] == [f"run-{i}" for i in range(2, 10)], "untaken runs stay in the source"
    assert job_run_ids(api) == ["run-0", "run-1"]


def test_second_sigint_stops_waiting_and_reports_submitted(api, k8s_runner, tracker, standin, make_runs):
    agent = Agent(make_runs(2, hold=True), standin(tracker=tracker), k8s_runner, concurrency=2, timeout=30,
                  wait_slice=0.1, on_outcome=tracker.leave)

    def interrupt_twice() -> None:
        wait_for(lambda: len(api.jobs) == 2)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)
        assert tracker.outcomes == [], "after one signal the agent still waits"
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_twice, daemon=True).start()
    started = time.monotonic()
    summary = agent.run()
    assert time.monotonic() - started < 5
    assert summary.counts == {"submitted": 2}
    assert all("stopped waiting" in o.message for o in tracker.outcomes)
    assert len(api.jobs) == 2, "abandoned Jobs keep running; nothing is cancelled"


def test_stop_from_the_embedding_program(api, k8s_runner, tracker, standin, make_runs):
    source = iter(make_runs(6))
    agent: Agent

    def stop_after_first(o: Outcome) -> None:
        tracker.leave(o)
        agent.stop()

    agent = Agent(source, standin(tracker=tracker), k8s_runner, concurrency=1, wait=False,
                  on_outcome=stop_after_first, handle_signals=False)
    summary = agent.run()
    assert summary.stopped and [o.run_id for o in tracker.outcomes] == ["run-0"]
    assert next(source).id == "run-1"


def test_agent_in_a_thread_installs_no_handlers(api, k8s_runner, standin, make_runs):
    before = signal.getsignal(signal.SIGTERM)
    seen: list[Any] = []

    def run() -> None:
        agent = Agent(make_runs(1), standin(), k8s_runner, wait=False, on_outcome=lambda o: seen.append(
            signal.getsignal(signal.SIGTERM)))
        agent.run()

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert seen == [before]


def test_run_yielded_after_stop_is_reported_not_started(api, k8s_runner, tracker, standin):
    gate = threading.Event()
    agent: Agent

    def source():
        yield FlowRun(id="first")
        gate.wait(5)  # like a blocked read of a pipe
        yield FlowRun(id="late")
        yield FlowRun(id="never")

    def on_outcome(o: Outcome) -> None:
        tracker.leave(o)
        if o.run_id == "first":
            agent.stop()
            gate.set()

    agent = Agent(source(), standin(), k8s_runner, concurrency=2, wait=False, on_outcome=on_outcome,
                  handle_signals=False)
    agent.run()
    # run() need not wait for a plain iterator blocked in next() (the module docstring of
    # compose.agent.agent); the dispatcher reports "late" when next() returns and then ends.
    # Wait for that end, not for a wall-clock window: 2 s once ran out on a loaded machine.
    assert agent._dispatched.wait(30)
    assert len(tracker.outcomes) == 2, [(o.run_id, o.status) for o in tracker.outcomes]
    late = tracker.by_run()["late"]
    assert late.status == "not-started" and late.reason == "AgentStopping"
    assert job_run_ids(api) == ["first"]
    assert "never" not in tracker.by_run()


def test_an_agent_runs_once(k8s_runner, standin):
    from compose.errors import UsageError

    agent = Agent([], standin(), k8s_runner)
    assert agent.run().taken == 0
    with pytest.raises(UsageError):
        agent.run()
