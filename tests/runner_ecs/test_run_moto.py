"""run / wait / cancel against a moto server with the real boto3 client.

moto ignores RunTask's clientToken (two calls, two tasks): exactly-once here rests on the
runner's own lookup (startedBy plus the run-id tag) before RunTask, which is what these tests
prove. The clientToken itself is checked with botocore's Stubber in test_run_stubbed.py.
moto also reports only the first container of a task, always with exit code 0, and never
reports RunTask ``failures``: exit codes and failures are covered with the Stubber too.
"""

from __future__ import annotations

import re

from typing import Any

import pytest

from compose.constants import RUN_ID_LABEL
from compose.errors import SubmitError
from compose.runner._retry import RetryPolicy
from compose.runner.ecs import EcsRunner, client_token, run_id_tag_value, started_by

CLUSTER = "compose-test"
RUN_ID = "6b1e4a52-8a60-4a2f-9a0e-0d9d5f1b3c77"


def no_sleep(_: float) -> None:
    raise AssertionError("no retry expected")


def fargate_request(network: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster": CLUSTER,
        "launchType": "FARGATE",
        "networkConfiguration": network,
        "overrides": {"containerOverrides": [{"name": "flow", "environment": [{"name": "MODE", "value": "batch"}]}]},
        "tags": [{"key": "team", "value": "data"}],
    }


def tasks_of(ecs: Any, cluster: str = CLUSTER) -> list[str]:
    return ecs.list_tasks(cluster=cluster)["taskArns"]


def describe(ecs: Any, arn: str) -> dict[str, Any]:
    return ecs.describe_tasks(cluster=CLUSTER, tasks=[arn], include=["TAGS"])["tasks"][0]


@pytest.fixture
def registered(ecs, td_factory) -> str:
    return EcsRunner(ecs).register_if_needed(td_factory())[0]


def test_fargate_run_starts_one_tagged_task_with_overrides(ecs, fargate_network, registered):
    runner = EcsRunner(ecs, sleep=no_sleep)
    request = fargate_request(fargate_network)
    result = runner.run(
        registered,
        request,
        run_id=RUN_ID,
        tags={"compose.dev/flow-name": "etl"},
        overrides={"containerOverrides": [{"name": "flow", "environment": [{"name": "RUN_ID", "value": RUN_ID}]}]},
    )
    assert result.created is True
    assert result.cluster == CLUSTER and result.run_id == RUN_ID and result.task_definition_arn == registered
    assert result.client_token == client_token(RUN_ID) and result.started_by == started_by(RUN_ID)
    assert tasks_of(ecs) == [result.task_arn]
    task = describe(ecs, result.task_arn)
    assert task["startedBy"] == RUN_ID
    assert task["taskDefinitionArn"] == registered
    tags = {t["key"]: t["value"] for t in task["tags"]}
    assert re.fullmatch(r"[0-9a-f]{24}", tags.pop("compose.dev/submission")), "the submission nonce"
    assert tags == {
        "team": "data",
        "compose.dev/flow-name": "etl",
        RUN_ID_LABEL: RUN_ID,
    }
    env = task["overrides"]["containerOverrides"][0]["environment"]
    assert env == [{"name": "MODE", "value": "batch"}, {"name": "RUN_ID", "value": RUN_ID}]
    assert request == fargate_request(fargate_network), "the request must not be modified"


def test_restarted_runner_finds_the_task_instead_of_starting_another(ecs, make_client, fargate_network, registered):
    first = EcsRunner(ecs, sleep=no_sleep).run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    # A new process: new client, new runner, same run id.
    second = EcsRunner(make_client("ecs"), sleep=no_sleep).run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    assert second.created is False
    assert second.task_arn == first.task_arn
    assert tasks_of(ecs) == [first.task_arn]


def test_restart_after_the_task_stopped_still_finds_it(ecs, fargate_network, registered):
    runner = EcsRunner(ecs, sleep=no_sleep)
    first = runner.run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    runner.cancel(first.task_arn, "test")
    assert runner.wait(first.task_arn, timeout=10, poll=0).stopped
    again = EcsRunner(ecs, sleep=no_sleep).run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    assert (again.task_arn, again.created) == (first.task_arn, False)


def test_other_runs_get_their_own_tasks(ecs, fargate_network, registered):
    runner = EcsRunner(ecs, sleep=no_sleep)
    arns = {runner.run(registered, fargate_request(fargate_network), run_id=f"run-{i}").task_arn for i in range(3)}
    assert len(arns) == 3 and set(tasks_of(ecs)) == arns


def test_a_task_with_the_same_started_by_but_not_our_tag_is_not_ours(ecs, fargate_network, registered):
    foreign = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=registered,
        launchType="FARGATE",
        networkConfiguration=fargate_network,
        startedBy=started_by(RUN_ID),
    )["tasks"][0]["taskArn"]
    result = EcsRunner(ecs, sleep=no_sleep).run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    assert result.created is True and result.task_arn != foreign


def test_long_run_id_is_hashed_consistently(ecs, fargate_network, registered):
    run_id = "deployment/etl-nightly/" + "x" * 80 + " #1"
    runner = EcsRunner(ecs, sleep=no_sleep)
    first = runner.run(registered, fargate_request(fargate_network), run_id=run_id)
    task = describe(ecs, first.task_arn)
    assert len(task["startedBy"]) <= 36 and task["startedBy"] == started_by(run_id)
    tag = {t["key"]: t["value"] for t in task["tags"]}[RUN_ID_LABEL]
    assert tag == run_id_tag_value(run_id) and len(tag) <= 256
    assert len(first.client_token) == 64 and first.client_token.isascii()
    assert runner.run(registered, fargate_request(fargate_network), run_id=run_id).created is False


def test_ec2_run_on_a_registered_container_instance(ecs, container_instance, td_factory):
    td = td_factory(family="flow-ec2", requiresCompatibilities=["EC2"], networkMode="bridge")
    runner = EcsRunner(ecs, sleep=no_sleep)
    arn, _ = runner.register_if_needed(td)
    result = runner.run(arn, {"cluster": CLUSTER, "launchType": "EC2"}, run_id="ec2-run")
    task = describe(ecs, result.task_arn)
    assert task["containerInstanceArn"] == container_instance
    assert task["launchType"] == "EC2"


def test_ec2_run_without_room_is_an_error(ecs, container_instance, td_factory):
    """moto places nothing and reports no failure when memory is short: still an error."""
    td = td_factory(family="flow-huge", requiresCompatibilities=["EC2"], networkMode="bridge")
    td["containerDefinitions"][0]["memory"] = 10**6
    runner = EcsRunner(ecs, sleep=no_sleep)
    arn, _ = runner.register_if_needed(td)
    with pytest.raises(SubmitError, match="started no task") as info:
        runner.run(arn, {"cluster": CLUSTER, "launchType": "EC2"}, run_id="too-big")
    assert info.value.step == "run" and "too-big" in str(info.value)


def test_unknown_cluster_is_a_submit_error(ecs, fargate_network, registered):
    with pytest.raises(SubmitError) as info:
        EcsRunner(ecs, sleep=no_sleep).run(registered, {**fargate_request(fargate_network), "cluster": "nope"}, run_id="r")
    assert "ClusterNotFoundException" in str(info.value)


def test_count_other_than_one_is_refused(ecs, fargate_network, registered, recorder):
    calls = recorder(ecs)
    with pytest.raises(SubmitError, match="count=2"):
        EcsRunner(ecs).run(registered, {**fargate_request(fargate_network), "count": 2}, run_id="r")
    assert calls.calls == []


def test_wait_until_stopped_reports_containers(ecs, fargate_network, registered, recorder):
    runner = EcsRunner(ecs, sleep=no_sleep)
    started = runner.run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    calls = recorder(ecs)
    slept: list[float] = []
    outcome = EcsRunner(ecs, sleep=slept.append).wait(started.task_arn, timeout=60, poll=0.5)
    assert outcome.stopped and not outcome.timed_out
    # moto moves the task one step per describe: RUNNING -> ... -> STOPPED.
    assert calls.count("DescribeTasks") == 4 and slept == [0.5, 0.5, 0.5]
    assert [(c.name, c.essential, c.exit_code) for c in outcome.containers] == [
        ("flow", True, 0),
        ("log-router", False, None),  # moto reports the first container only
    ]
    assert outcome.succeeded
    assert outcome.to_dict()["succeeded"] is True
    assert "succeeded" in outcome.message


def test_wait_times_out_and_says_so(ecs, fargate_network, registered, manual_task_progress):
    started = EcsRunner(ecs).run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    outcome = EcsRunner(ecs, sleep=sleep, clock=lambda: now[0]).wait(started.task_arn, timeout=30, poll=10)
    assert outcome.timed_out and not outcome.succeeded and not outcome.stopped
    assert outcome.last_status == "RUNNING"
    assert now[0] == 30
    assert "timed out" in outcome.message


def test_cancel_stops_the_task_with_the_reason(ecs, fargate_network, registered):
    runner = EcsRunner(ecs, sleep=no_sleep)
    started = runner.run(registered, fargate_request(fargate_network), run_id=RUN_ID)
    answer = runner.cancel(started.task_arn, "flow run cancelled by user")
    assert answer.desired_status == "STOPPED"
    task = describe(ecs, started.task_arn)
    assert task["stoppedReason"] == "flow run cancelled by user"
    outcome = runner.wait(started.task_arn, timeout=10, poll=0)
    assert outcome.stopped and outcome.stopped_reason == "flow run cancelled by user"


def test_wait_and_cancel_of_an_unknown_task_are_submit_errors(ecs):
    slept: list[float] = []
    runner = EcsRunner(ecs, sleep=slept.append, retry=RetryPolicy(max_attempts=2))
    arn = f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/0123456789abcdef"
    with pytest.raises(SubmitError, match="not found") as info:
        runner.wait(arn, timeout=1, poll=0)
    assert info.value.step == "wait"
    assert slept == []
    # moto answers StopTask of an unknown task with an HTML 500 (ECS: InvalidParameterException);
    # a 5xx is retried, then reported without the HTML.
    with pytest.raises(SubmitError) as info:
        runner.cancel(arn, "x")
    text = str(info.value)
    assert info.value.step == "cancel" and "StopTask" in text and "gave up after 2 attempts" in text
    assert "<" not in text and "Internal Server Error" in text
    assert len(slept) == 1


def test_runner_makes_its_own_client(moto, fargate_network, td_factory):
    runner = EcsRunner(region="us-east-1", endpoint_url=moto, cluster=CLUSTER, sleep=no_sleep)
    runner.client.create_cluster(clusterName=CLUSTER)
    arn, registered = runner.register_if_needed(td_factory())
    request = {k: v for k, v in fargate_request(fargate_network).items() if k != "cluster"}
    result = runner.run(arn, request, run_id="own-client")
    assert registered and result.created and result.cluster == CLUSTER
    assert f"task/{CLUSTER}/" in result.task_arn


def test_stopped_tasks_are_listed_and_described_with_their_tags(ecs, fargate_network, registered):
    runner = EcsRunner(ecs, cluster=CLUSTER, sleep=no_sleep)
    kept = runner.run(registered, fargate_request(fargate_network), run_id="run-kept")
    ended = runner.run(registered, fargate_request(fargate_network), run_id="run-ended")
    runner.cancel(ended.task_arn, reason="done here")
    assert runner.stopped_task_arns() == [ended.task_arn]
    tasks = runner.describe_tasks(runner.stopped_task_arns())
    assert [t["taskArn"] for t in tasks] == [ended.task_arn]
    tags = {t["key"]: t["value"] for t in tasks[0]["tags"]}
    assert tags[RUN_ID_LABEL] == run_id_tag_value("run-ended") and tags["team"] == "data"
    outcome = runner.task_outcome(tasks[0])
    assert outcome.stopped and outcome.stopped_reason == "done here"
    assert kept.task_arn not in runner.stopped_task_arns(limit=10)
