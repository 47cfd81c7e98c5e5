"""The Agent with the real ECS runner and boto3, against a moto server.

moto ignores RunTask's clientToken (two calls, two tasks), so "no duplicate task" here rests
on the runner's lookup before RunTask (startedBy plus the run-id tag); the clientToken the
runner sends is checked with botocore's Stubber in tests/runner_ecs/test_stubbed.py, and here
only as the value the agent's dry run reports. moto moves a task one step per DescribeTasks and
always reports exit code 0 for the first container.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from compose.agent import Agent, EcsBackend, Outcome
from compose.model import FlowRun
from compose.runner.ecs import client_token, started_by


@pytest.fixture
def backend(ecs_runner):
    return EcsBackend(ecs_runner, poll=0.01)


def test_runs_start_one_task_each_and_share_one_revision(ecs, backend, fargate_network, tracker, standin,
                                                         make_runs, ecs_tasks):
    runs = make_runs(4)
    summary = Agent(runs, standin("ecs", tracker=tracker, network=fargate_network), backend, concurrency=2,
                    timeout=10, on_outcome=tracker.leave).run()
    assert summary.counts == {"succeeded": 4}, [o.message for o in tracker.outcomes]
    assert tracker.max <= 2
    arns = {o.task_arn for o in tracker.outcomes}
    assert len(arns) == 4 and sorted(arns) == ecs_tasks()
    for o in tracker.outcomes:
        assert o.target == "ecs" and o.cluster == "compose-test" and o.exit_code == 0
        assert o.details["last_status"] == "STOPPED"
    revisions = ecs.list_task_definitions(familyPrefix="flow-fargate")["taskDefinitionArns"]
    assert len(revisions) == 1, "an unchanged task definition is registered once"
    assert sum(o.details["registered"] for o in tracker.outcomes if "registered" in o.details) <= 1
    task = ecs.describe_tasks(cluster="compose-test", tasks=[tracker.by_run()["run-0"].task_arn],
                              include=["TAGS"])["tasks"][0]
    tags = {t["key"]: t["value"] for t in task["tags"]}
    assert tags["compose.dev/run-id"] == "run-0" and tags["compose.dev/flow-name"] == "etl"
    env = task["overrides"]["containerOverrides"][0]["environment"]
    assert {"name": "RUN_ID", "value": "run-0"} in env


def test_restarted_agent_starts_no_second_task(ecs, make_client, fargate_network, tracker, standin, make_runs,
                                               ecs_tasks):
    from compose.runner.ecs import EcsRunner

    runs = make_runs(3)
    first: list[Outcome] = []
    Agent(runs, standin("ecs", network=fargate_network), EcsRunner(ecs, cluster="compose-test"), wait=False,
          on_outcome=first.append).run()
    before = ecs_tasks()
    assert len(before) == 3 and not any(o.already_submitted for o in first)
    # A new process: a new client and runner, the same runs.
    again = EcsBackend(EcsRunner(make_client("ecs"), cluster="compose-test"), poll=0.01)
    Agent(runs, standin("ecs", network=fargate_network), again, timeout=10, on_outcome=tracker.leave).run()
    assert ecs_tasks() == before
    assert all(o.already_submitted and o.status == "succeeded" for o in tracker.outcomes)
    assert {o.task_arn for o in tracker.outcomes} == {o.task_arn for o in first}
    assert all(o.message.startswith("already submitted: ") for o in tracker.outcomes)


def test_same_run_twice_in_one_source_is_one_task(ecs, backend, fargate_network, tracker, standin, ecs_tasks):
    run = FlowRun(id="twice")
    Agent([run, run], standin("ecs", network=fargate_network), backend, wait=False, concurrency=2,
          on_outcome=tracker.leave).run()
    assert len(ecs_tasks()) == 1
    assert sorted(o.already_submitted for o in tracker.outcomes) == [False, True]


def test_generate_failure_and_ecs_refusal_are_reported(ecs, backend, fargate_network, tracker, standin):
    runs = [FlowRun(id="broken", metadata={"fail_generate": "no"}), FlowRun(id="no-network")]
    gen = standin("ecs", network=None)  # FARGATE without a network configuration: ECS refuses
    Agent(runs, gen, backend, wait=False, on_outcome=tracker.leave).run()
    out = tracker.by_run()
    assert out["broken"].status == "generate-failed"
    refused = out["no-network"]
    assert refused.status == "submit-failed" and refused.target == "ecs"
    assert refused.reason and "RunTask" in refused.message


def test_cancel_stops_the_runs_task_while_the_agent_waits(ecs, backend, fargate_network, tracker, standin,
                                                          manual_task_progress):
    # moto's StopTask sets no stopCode (ECS says "UserInitiated"), so the outcome here is not
    # "cancelled"; that mapping is covered in test_backends.py with the ECS fields as ECS sends them.
    stopper_done = threading.Event()

    def stopper() -> None:
        end = time.monotonic() + 5
        while time.monotonic() < end:
            if backend.runner.find_task("stop-me"):
                assert backend.cancel("stop-me")
                stopper_done.set()
                return
            time.sleep(0.02)

    threading.Thread(target=stopper, daemon=True).start()
    Agent([FlowRun(id="stop-me")], standin("ecs", network=fargate_network), backend, timeout=10, wait_slice=0.2,
          on_outcome=tracker.leave, handle_signals=False).run()
    assert stopper_done.is_set()
    (o,) = tracker.outcomes
    assert o.details["last_status"] == "STOPPED"
    assert o.details["stopped_reason"] == "cancelled by compose (run stop-me)"
    assert backend.cancel("no-such-run") == []


def test_ecs_wait_timeout(ecs, backend, fargate_network, tracker, standin, manual_task_progress):
    Agent([FlowRun(id="long")], standin("ecs", network=fargate_network), backend, timeout=0.3, wait_slice=0.1,
          on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert o.status == "timed-out" and o.message.endswith("did not finish within 0.3s")


def test_client_dry_run_shows_the_requests_and_sends_nothing(ecs, fargate_network, tracker, standin, ecs_tasks):
    Agent([FlowRun(id="r-1", flow_name="etl")], standin("ecs", network=fargate_network), EcsBackend(None),
          dry_run="client", on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert o.status == "dry-run" and o.task_arn is None and o.cluster == "compose-test"
    request = o.details["run_task"]
    assert request["clientToken"] == client_token("r-1") and request["startedBy"] == started_by("r-1")
    assert request["overrides"]["containerOverrides"][0]["environment"] == [{"name": "RUN_ID", "value": "r-1"}]
    assert o.details["task_definition"]["family"] == "flow-fargate"
    assert o.details["tags"] == {"compose.dev/flow-name": "etl"}
    assert ecs_tasks() == []


def test_server_dry_run_is_refused_for_ecs(tracker, standin, fargate_network):
    Agent([FlowRun(id="r")], standin("ecs", network=fargate_network), EcsBackend(None), dry_run="server",
          on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert o.status == "submit-failed" and "no server-side dry run" in o.message


def test_one_agent_two_targets(ecs, backend, k8s_runner, api, fargate_network, tracker, standin, ecs_tasks):
    k8s, aws = standin("kubernetes"), standin("ecs", network=fargate_network)

    def pick(run: FlowRun) -> Any:
        return (aws if run.metadata.get("target") == "ecs" else k8s).generate(run)

    runs = [FlowRun(id="k-1"), FlowRun(id="e-1", metadata={"target": "ecs"})]
    Agent(runs, pick, {"kubernetes": k8s_runner, "ecs": backend}, wait=False, on_outcome=tracker.leave).run()
    out = tracker.by_run()
    assert (out["k-1"].target, out["k-1"].job_name) == ("kubernetes", "etl-k-1")
    assert out["e-1"].target == "ecs" and out["e-1"].task_arn in ecs_tasks()


def test_a_spec_for_a_target_without_runner_is_reported(backend, fargate_network, tracker, standin):
    Agent([FlowRun(id="k")], standin("kubernetes"), backend, on_outcome=tracker.leave).run()
    (o,) = tracker.outcomes
    assert (o.status, o.reason) == ("submit-failed", "NoRunner")
    assert "configured: ecs" in o.message
