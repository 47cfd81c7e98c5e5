"""What moto cannot show, checked with botocore's Stubber on a real boto3 ECS client.

moto ignores RunTask's ``clientToken``, never answers with ``failures``, throttling or
"Too many concurrent attempts", and reports exit code 0 for one container only. So the
exact clientToken sent (the same across retries and across runner instances, i.e. agent
restarts), RunTask failures, throttling with backoff, and exit-code verdicts are tested
here: the Stubber checks every request's parameters exactly and answers what ECS would.
No network is used.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber

from compose.constants import RUN_ID_LABEL, SPEC_HASH_TAG
from compose.errors import SubmitError
from compose.runner import ecs as ecs_module
from compose.runner._canonical import spec_hash
from compose.runner._retry import RetryPolicy
from compose.runner._common import SUBMISSION_KEY
from compose.runner.ecs import EcsApiError, EcsRunner, client_token, run_id_tag_value, started_by

ACCOUNT = "arn:aws:ecs:us-east-1:123456789012"
CLUSTER = "flows"
TD_ARN = f"{ACCOUNT}:task-definition/flow:3"
TASK_ARN = f"{ACCOUNT}:task/{CLUSTER}/0a1b2c3d4e5f"
RUN_ID = "6b1e4a52-8a60-4a2f-9a0e-0d9d5f1b3c77"
WAIT_CASES = yaml.safe_load((Path(__file__).parent / "cases" / "wait.yaml").read_text())


def make_client() -> Any:
    return boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def stubbed(**kw: Any) -> tuple[EcsRunner, Stubber, Sleeps]:
    client = make_client()
    stub = Stubber(client)
    stub.activate()
    sleeps = Sleeps()
    kw.setdefault("rng", lambda: 1.0)
    return EcsRunner(client, sleep=sleeps, **kw), stub, sleeps


def request() -> dict[str, Any]:
    return {
        "cluster": CLUSTER,
        "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}},
    }


def expected_run(run_id: str = RUN_ID) -> dict[str, Any]:
    return {
        **request(),
        "taskDefinition": TD_ARN,
        "clientToken": client_token(run_id),
        "startedBy": started_by(run_id),
        "tags": [{"key": RUN_ID_LABEL, "value": run_id_tag_value(run_id)}, {"key": SUBMISSION_KEY, "value": ANY}],
    }


def expect_no_task(stub: Stubber, run_id: str = RUN_ID) -> None:
    for desired in ("RUNNING", "STOPPED"):
        stub.add_response(
            "list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "startedBy": started_by(run_id), "desiredStatus": desired}
        )


def td_answer(family: str, revision: int, digest: str | None, status: str = "ACTIVE") -> dict[str, Any]:
    answer: dict[str, Any] = {
        "taskDefinition": {
            "taskDefinitionArn": f"{ACCOUNT}:task-definition/{family}:{revision}",
            "family": family,
            "revision": revision,
            "status": status,
            "containerDefinitions": [{"name": "flow", "image": "i"}],
        }
    }
    if digest is not None:
        answer["tags"] = [{"key": SPEC_HASH_TAG, "value": digest}]
    return answer


TD = {"family": "flow", "containerDefinitions": [{"name": "flow", "image": "i"}]}


# -- clientToken -----------------------------------------------------------------------------


def test_client_token_is_the_same_across_retries_and_runner_instances():
    """moto ignores clientToken, so the Stubber checks the exact token sent: the same on the
    retry after a throttled RunTask, and again from a second runner (a restarted agent) that
    no longer sees the task."""
    runner, stub, sleeps = stubbed()
    expect_no_task(stub)
    stub.add_client_error("run_task", "ThrottlingException", "Rate exceeded", 400, expected_params=expected_run())
    expect_no_task(stub)
    stub.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, expected_run())
    result = runner.run(TD_ARN, request(), run_id=RUN_ID)
    stub.assert_no_pending_responses()
    assert (result.task_arn, result.created, result.client_token) == (TASK_ARN, True, RUN_ID)
    assert sleeps == [0.5]

    restarted, stub2, _ = stubbed()
    expect_no_task(stub2)
    stub2.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, expected_run())
    again = restarted.run(TD_ARN, request(), run_id=RUN_ID)
    stub2.assert_no_pending_responses()
    assert again.client_token == result.client_token


@pytest.mark.parametrize(
    "run_id",
    ["r" * 65, "flöw-run-1", "run with spaces\n"],
    ids=["too-long", "non-ascii", "whitespace"],
)
def test_client_token_of_unusable_run_ids_is_a_hash(run_id):
    token = client_token(run_id)
    assert token == "sha256-" + hashlib.sha256(run_id.encode()).hexdigest()[:57]
    assert len(token) == 64 and token.isascii()
    runner, stub, _ = stubbed()
    expect_no_task(stub, run_id)
    stub.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, expected_run(run_id))
    assert runner.run(TD_ARN, request(), run_id=run_id).client_token == token
    stub.assert_no_pending_responses()


def test_started_by_and_tag_value_limits():
    assert started_by("a" * 36) == "a" * 36
    assert len(started_by("a" * 37)) == 36 and started_by("a" * 37) != started_by("a" * 38)
    assert started_by("run/1") != "run/1"
    assert run_id_tag_value("run 1: a/b@c") == "run 1: a/b@c"
    long = run_id_tag_value("x" * 300)
    assert len(long) == 256 and long != run_id_tag_value("x" * 301)
    assert run_id_tag_value("a#b") != run_id_tag_value("a$b")


# -- RunTask answers -------------------------------------------------------------------------


def test_failures_are_an_error_that_says_why():
    runner, stub, sleeps = stubbed()
    expect_no_task(stub)
    instance = f"{ACCOUNT}:container-instance/{CLUSTER}/9f8e7d"
    stub.add_response(
        "run_task",
        {"tasks": [], "failures": [{"arn": instance, "reason": "RESOURCE:MEMORY"}]},
        expected_run(),
    )
    with pytest.raises(SubmitError) as info:
        runner.run(TD_ARN, request(), run_id=RUN_ID)
    text = str(info.value)
    assert "RESOURCE:MEMORY" in text and "enough memory" in text and instance in text and TD_ARN in text
    assert info.value.step == "run"
    assert sleeps == [], "a placement failure is not retried blindly"


def test_conflicting_client_token_says_the_run_was_submitted_already():
    runner, stub, _ = stubbed()
    expect_no_task(stub)
    stub.add_client_error(
        "run_task",
        "ConflictException",
        "The specified client token has already been used in a RunTask request with different parameters.",
        400,
        expected_params=expected_run(),
    )
    with pytest.raises(EcsApiError) as info:
        runner.run(TD_ARN, request(), run_id=RUN_ID)
    assert "already submitted" in str(info.value) and RUN_ID in str(info.value)
    assert info.value.code == "ConflictException" and not info.value.transient


def test_conflict_naming_the_task_of_an_earlier_submission_is_that_task():
    """ECS remembers a clientToken for 24 h but lists a stopped task for about an hour: a later
    submission of the run (another nonce, so other parameters) meets ConflictException, whose
    resourceIds name the run's task."""
    runner, stub, _ = stubbed()
    expect_no_task(stub)
    stub.add_client_error(
        "run_task", "ConflictException", "The specified client token has already been used.", 400,
        expected_params=expected_run(), modeled_fields={"resourceIds": [TASK_ARN]},
    )
    result = runner.run(TD_ARN, request(), run_id=RUN_ID)
    assert (result.task_arn, result.created) == (TASK_ARN, False)


def test_existing_task_is_found_by_tag_not_just_started_by():
    runner, stub, _ = stubbed()
    ours, foreign = TASK_ARN, f"{ACCOUNT}:task/{CLUSTER}/ffff"
    stub.add_response(
        "list_tasks",
        {"taskArns": [foreign], "nextToken": "page2"},
        {"cluster": CLUSTER, "startedBy": RUN_ID, "desiredStatus": "RUNNING"},
    )
    stub.add_response(
        "list_tasks",
        {"taskArns": [ours]},
        {"cluster": CLUSTER, "startedBy": RUN_ID, "desiredStatus": "RUNNING", "nextToken": "page2"},
    )
    stub.add_response("list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "startedBy": RUN_ID, "desiredStatus": "STOPPED"})
    stub.add_response(
        "describe_tasks",
        {
            "tasks": [
                {"taskArn": foreign, "tags": [{"key": RUN_ID_LABEL, "value": "someone-else"}]},
                {"taskArn": ours, "tags": [{"key": RUN_ID_LABEL, "value": RUN_ID}]},
            ],
            "failures": [],
        },
        {"cluster": CLUSTER, "tasks": [foreign, ours], "include": ["TAGS"]},
    )
    result = runner.run(TD_ARN, request(), run_id=RUN_ID)
    stub.assert_no_pending_responses()  # and no RunTask was sent
    assert (result.task_arn, result.created) == (ours, False)


def test_lost_answer_then_retry_finds_the_task():
    """RunTask's answer is lost (a 503): the retry looks first and finds the task."""
    runner, stub, sleeps = stubbed()
    expect_no_task(stub)
    stub.add_client_error("run_task", "ServerException", "Service unavailable", 503, expected_params=expected_run())
    stub.add_response("list_tasks", {"taskArns": [TASK_ARN]}, {"cluster": CLUSTER, "startedBy": RUN_ID, "desiredStatus": "RUNNING"})
    stub.add_response("list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "startedBy": RUN_ID, "desiredStatus": "STOPPED"})
    stub.add_response(
        "describe_tasks",
        {"tasks": [{"taskArn": TASK_ARN, "tags": [{"key": RUN_ID_LABEL, "value": RUN_ID}]}], "failures": []},
        {"cluster": CLUSTER, "tasks": [TASK_ARN], "include": ["TAGS"]},
    )
    result = runner.run(TD_ARN, request(), run_id=RUN_ID)
    stub.assert_no_pending_responses()
    assert (result.task_arn, result.created) == (TASK_ARN, False)
    assert sleeps == [0.5]


def test_lost_answer_found_by_its_nonce_is_ours():
    """The lookup finds a task carrying this submission's nonce: this call started it (its
    answer was lost), so it is ``created`` and ``recovered``, not "already submitted"."""
    runner, stub, sleeps = stubbed()
    sent: list[dict[str, Any]] = []
    runner.client.meta.events.register("provide-client-params.ecs.RunTask", lambda params, **_: sent.append(params))
    expect_no_task(stub)
    stub.add_client_error("run_task", "ServerException", "Service unavailable", 503, expected_params=expected_run())
    stub.add_response("list_tasks", {"taskArns": [TASK_ARN]}, {"cluster": CLUSTER, "startedBy": RUN_ID, "desiredStatus": "RUNNING"})
    stub.add_response("list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "startedBy": RUN_ID, "desiredStatus": "STOPPED"})
    answer: dict[str, Any] = {"tasks": [], "failures": []}
    stub.add_response("describe_tasks", answer, {"cluster": CLUSTER, "tasks": [TASK_ARN], "include": ["TAGS"]})

    def fill(**_: Any) -> None:  # the task as ECS stored it: with the tags RunTask sent
        answer["tasks"] = [{"taskArn": TASK_ARN, "tags": sent[0]["tags"]}]

    runner.client.meta.events.register("before-parameter-build.ecs.DescribeTasks", fill)
    result = runner.run(TD_ARN, request(), run_id=RUN_ID)
    stub.assert_no_pending_responses()
    assert (result.task_arn, result.created, result.recovered) == (TASK_ARN, True, True)


# -- registration under throttling -----------------------------------------------------------


def test_throttled_lookup_and_concurrent_revision_are_retried_with_backoff():
    runner, stub, sleeps = stubbed()
    digest = spec_hash(TD)
    lookup = {"taskDefinition": "flow", "include": ["TAGS"]}
    stub.add_client_error("describe_task_definition", "ThrottlingException", "Rate exceeded", 400, expected_params=lookup)
    stub.add_response("describe_task_definition", td_answer("flow", 1, "0" * 16), lookup)
    stub.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [f"{ACCOUNT}:task-definition/flow:1"]},
        {"familyPrefix": "flow", "status": "ACTIVE", "sort": "DESC"},
    )
    stub.add_client_error(
        "register_task_definition",
        "ClientException",
        "Too many concurrent attempts to create a new revision of the specified family.",
        400,
        expected_params={**TD, "tags": [{"key": SPEC_HASH_TAG, "value": digest}]},
    )
    # Meanwhile another agent registered the same content as revision 2.
    stub.add_response("describe_task_definition", td_answer("flow", 2, digest), lookup)
    arn, registered = runner.register_if_needed(TD)
    stub.assert_no_pending_responses()
    assert (arn, registered) == (f"{ACCOUNT}:task-definition/flow:2", False)
    assert sleeps == [0.5, 1.0]  # full jitter with rng=1.0: base 0.5, doubled


def test_backoff_is_jittered_and_capped():
    runner, stub, sleeps = stubbed(rng=iter([0.9, 0.1, 0.5, 0.99]).__next__, retry=RetryPolicy(max_attempts=5, base_delay=2.0, max_delay=5.0))
    lookup = {"taskDefinition": "flow", "include": ["TAGS"]}
    for _ in range(4):
        stub.add_client_error("describe_task_definition", "ThrottlingException", "Rate exceeded", 400, expected_params=lookup)
    stub.add_response("describe_task_definition", td_answer("flow", 4, spec_hash(TD)), lookup)
    assert runner.register_if_needed(TD) == (f"{ACCOUNT}:task-definition/flow:4", False)
    assert sleeps == pytest.approx([0.9 * 2.0, 0.1 * 4.0, 0.5 * 5.0, 0.99 * 5.0])


def test_unknown_family_registers():
    runner, stub, _ = stubbed()
    digest = spec_hash(TD)
    stub.add_client_error(
        "describe_task_definition",
        "ClientException",
        "Unable to describe task definition.",
        400,
        expected_params={"taskDefinition": "flow", "include": ["TAGS"]},
    )
    stub.add_response(
        "register_task_definition",
        {"taskDefinition": {"taskDefinitionArn": f"{ACCOUNT}:task-definition/flow:1"}},
        {**TD, "tags": [{"key": SPEC_HASH_TAG, "value": digest}]},
    )
    assert runner.register_if_needed(TD) == (f"{ACCOUNT}:task-definition/flow:1", True)


@pytest.mark.parametrize(
    "code,status,transient",
    [
        ("AccessDeniedException", 400, False),
        ("InvalidParameterException", 400, False),
        ("ClientException", 400, False),
        ("ServerException", 500, True),
        ("ThrottlingException", 400, True),
    ],
)
def test_error_codes_become_submit_errors(code, status, transient):
    runner, stub, sleeps = stubbed(retry=RetryPolicy(max_attempts=2))
    for _ in range(2 if transient else 1):
        stub.add_client_error(
            "stop_task", code, "explained by ECS", status, expected_params={"cluster": CLUSTER, "task": TASK_ARN, "reason": "stop"}
        )
    with pytest.raises(EcsApiError) as info:
        runner.cancel(TASK_ARN, "stop")
    assert isinstance(info.value, SubmitError)
    assert f"ECS StopTask failed (task {TASK_ARN}): {code}: explained by ECS" in str(info.value)
    assert info.value.step == "cancel"
    assert len(sleeps) == (1 if transient else 0)
    stub.assert_no_pending_responses()


# -- wait ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", WAIT_CASES, ids=[c["id"] for c in WAIT_CASES])
def test_wait_verdicts(case):
    runner, stub, sleeps = stubbed()
    where = {"cluster": CLUSTER, "tasks": [TASK_ARN]}
    running = {"taskArn": TASK_ARN, "taskDefinitionArn": TD_ARN, "lastStatus": "RUNNING", "desiredStatus": "RUNNING"}
    stub.add_response("describe_tasks", {"tasks": [running], "failures": []}, where)
    stub.add_client_error("describe_tasks", "ThrottlingException", "Rate exceeded", 400, expected_params=where)
    stopped = {**running, "lastStatus": "STOPPED", "desiredStatus": "STOPPED", **copy.deepcopy(case["task"])}
    stub.add_response("describe_tasks", {"tasks": [stopped], "failures": []}, where)
    definition = [{"image": "i", **c} for c in case["definition"]]
    stub.add_response(
        "describe_task_definition",
        {"taskDefinition": {"taskDefinitionArn": TD_ARN, "containerDefinitions": definition}},
        {"taskDefinition": TD_ARN},
    )
    outcome = runner.wait(TASK_ARN, timeout=600, poll=5)
    stub.assert_no_pending_responses()
    assert sleeps == [5, 0.5], "one poll interval, one backoff"
    expect = case["expect"]
    assert outcome.succeeded is expect["succeeded"]
    assert {c.name: c.exit_code for c in outcome.containers} == expect["exit_codes"]
    assert outcome.stop_code == case["task"].get("stopCode")
    for words in expect["message_has"]:
        assert words in outcome.message
    assert outcome.to_dict()["succeeded"] is expect["succeeded"]


# -- client setup and transport failures -----------------------------------------------------


def test_unreachable_endpoint_is_retried_then_reported():
    from botocore.config import Config

    client = boto3.client(
        "ecs",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    sleeps = Sleeps()
    runner = EcsRunner(client, sleep=sleeps, rng=lambda: 0.0, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(SubmitError) as info:
        runner.register_if_needed(TD)
    assert "cannot reach ECS for DescribeTaskDefinition" in str(info.value)
    assert "gave up after 3 attempts" in str(info.value)
    assert len(sleeps) == 2


def test_no_region_is_a_submit_error(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(SubmitError, match="no AWS region"):
        EcsRunner()


def test_unknown_profile_is_a_submit_error():
    with pytest.raises(SubmitError, match="does-not-exist"):
        EcsRunner(profile="does-not-exist")


def test_missing_credentials_is_a_submit_error(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    runner = EcsRunner(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(SubmitError, match="no AWS credentials"):
        runner.cancel(TASK_ARN, "x")


def test_merge_overrides_does_not_modify_inputs():
    base = {"containerOverrides": [{"name": "flow", "environment": [{"name": "A", "value": "1"}], "cpu": 1}]}
    extra = {"containerOverrides": [{"name": "flow", "environment": [{"name": "A", "value": "2"}]}, {"name": "side"}]}
    before = (copy.deepcopy(base), copy.deepcopy(extra))
    merged = ecs_module.merge_overrides(base, extra)
    assert merged == {
        "containerOverrides": [
            {"name": "flow", "environment": [{"name": "A", "value": "2"}], "cpu": 1},
            {"name": "side"},
        ]
    }
    assert (base, extra) == before


def test_doctests():
    import doctest

    import importlib
    import pkgutil

    attempted = 0
    for info in pkgutil.iter_modules(ecs_module.__path__):
        result = doctest.testmod(importlib.import_module(f"{ecs_module.__name__}.{info.name}"))
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted > 0
