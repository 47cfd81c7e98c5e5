"""register_if_needed against a moto server with the real boto3 client.

moto behaves like ECS for what these tests lean on (register/describe/list/deregister with
tags), except that its "latest revision" of a family may be INACTIVE; the runner must not be
fooled by that (see test_latest_inactive_in_moto_is_skipped).
"""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from compose.constants import SPEC_HASH_TAG
from compose.errors import SubmitError
from compose.runner._canonical import spec_hash
from compose.runner._retry import RetryPolicy
from compose.runner.ecs import EcsRunner


def revisions(ecs: Any, family: str, status: str = "ACTIVE") -> list[str]:
    return ecs.list_task_definitions(familyPrefix=family, status=status)["taskDefinitionArns"]


def tags_of(ecs: Any, arn: str) -> dict[str, str]:
    answer = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
    return {t["key"]: t["value"] for t in answer.get("tags", [])}


def no_sleep(_: float) -> None:
    raise AssertionError("no retry expected")


def test_first_call_registers_with_hash_tag_then_reuses(ecs, td_factory):
    td = td_factory()
    before = copy.deepcopy(td)
    runner = EcsRunner(ecs, sleep=no_sleep)
    arn, registered = runner.register_if_needed(td)
    assert registered is True
    assert arn.endswith("task-definition/flow-fargate:1")
    assert td == before, "the input must not be modified"
    tags = tags_of(ecs, arn)
    assert tags == {"team": "data", SPEC_HASH_TAG: spec_hash(td)}
    # A new runner (no cache) finds the revision by its tag.
    again = EcsRunner(ecs, sleep=no_sleep).register_if_needed(td)
    assert again == (arn, False)
    assert revisions(ecs, "flow-fargate") == [arn]


def test_described_definition_hashes_like_the_input(ecs, td_factory):
    """What moto echoes back (extra fields, defaults) canonicalizes to what was composed."""
    td = td_factory()
    arn, _ = EcsRunner(ecs).register_if_needed(td)
    described = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    assert "revision" in described and "taskDefinitionArn" in described
    assert spec_hash(described) == spec_hash(td)


def test_thousand_submissions_make_one_revision(ecs, td_factory, recorder):
    """1,000 submissions of an unchanged task definition by 10 runners (as 10 agent processes,
    each with a cold cache) register exactly one revision; each runner asks ECS once, then
    trusts its cache for the rest."""
    td = td_factory()
    calls = recorder(ecs)
    arns = set()
    flags = []
    for _ in range(10):
        runner = EcsRunner(ecs, sleep=no_sleep)
        for _ in range(100):
            arn, registered = runner.register_if_needed(td)
            arns.add(arn)
            flags.append(registered)
    assert len(arns) == 1
    assert flags.count(True) == 1 and flags[0] is True
    assert calls.count("RegisterTaskDefinition") == 1
    assert calls.count("DescribeTaskDefinition") == 10
    assert len(revisions(ecs, "flow-fargate")) == 1


def test_uncached_submissions_each_check_the_hash_and_make_one_revision(ecs, td_factory, recorder):
    """With the cache off, every submission asks ECS (one DescribeTaskDefinition each) and
    the content is still registered once. 400 rather than 1,000: against moto each check is
    ~4.6 ms idle and ~7 ms on a busy 2-core machine, and 1,000 cost this module 5-7 s; the
    1,000 count is proven above with fresh runners."""
    td = td_factory()
    runner = EcsRunner(ecs, sleep=no_sleep, cache_ttl=0)
    calls = recorder(ecs)
    started = time.monotonic()
    results = {runner.register_if_needed(td)[0] for _ in range(400)}
    elapsed = time.monotonic() - started
    assert len(results) == 1
    assert calls.count("RegisterTaskDefinition") == 1
    assert calls.count("DescribeTaskDefinition") == 400
    assert calls.count("ListTaskDefinitions") == 0
    assert len(revisions(ecs, "flow-fargate")) == 1
    assert elapsed < 10, f"400 hash checks took {elapsed:.1f}s"


def test_cache_expires_and_sees_a_deregistered_revision(ecs, td_factory):
    now = [0.0]
    runner = EcsRunner(ecs, sleep=no_sleep, clock=lambda: now[0], cache_ttl=30)
    td = td_factory()
    first, _ = runner.register_if_needed(td)
    ecs.deregister_task_definition(taskDefinition=first)
    now[0] = 10.0
    assert runner.register_if_needed(td) == (first, False), "within the TTL the cache answers"
    now[0] = 31.0
    second, registered = runner.register_if_needed(td)
    assert registered is True and second != first
    runner.forget_revisions()
    assert runner.register_if_needed(td) == (second, False)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda td: td["containerDefinitions"][0].update(image="python:3.13-slim"), id="image"),
        pytest.param(lambda td: td["containerDefinitions"][0]["environment"][0].update(value="DEBUG"), id="env-value"),
        pytest.param(lambda td: td["containerDefinitions"][0]["command"].reverse(), id="command-order"),
        pytest.param(lambda td: td.update(cpu="1024", memory="2048"), id="task-size"),
        pytest.param(lambda td: td["containerDefinitions"][1].update(essential=True), id="essential"),
    ],
)
def test_changed_definition_registers_a_new_revision(ecs, td_factory, change):
    runner = EcsRunner(ecs, sleep=no_sleep)
    first, _ = runner.register_if_needed(td_factory())
    td = td_factory()
    change(td)
    second, registered = runner.register_if_needed(td)
    assert registered is True
    assert second.endswith(":2") and first.endswith(":1")
    assert tags_of(ecs, second)[SPEC_HASH_TAG] == spec_hash(td) != spec_hash(td_factory())


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda td: td["tags"].append({"key": "owner", "value": "x"}), id="tags"),
        pytest.param(lambda td: td["containerDefinitions"].reverse(), id="container-order"),
        pytest.param(lambda td: td["containerDefinitions"][0]["environment"].reverse(), id="env-order"),
        pytest.param(lambda td: td["containerDefinitions"][1].update(cpu=0, portMappings=[]), id="explicit-defaults"),
        pytest.param(lambda td: td["containerDefinitions"][0].pop("essential"), id="essential-default"),
    ],
)
def test_equivalent_definition_reuses_the_revision(ecs, td_factory, change):
    runner = EcsRunner(ecs, sleep=no_sleep, cache_ttl=0)
    first, _ = runner.register_if_needed(td_factory())
    td = td_factory()
    change(td)
    assert runner.register_if_needed(td) == (first, False)


def test_latest_inactive_in_moto_is_skipped(ecs, td_factory, recorder):
    """moto's describe_task_definition(family) returns the highest revision even when it is
    INACTIVE (real ECS returns the latest ACTIVE); the runner then lists ACTIVE revisions."""
    runner = EcsRunner(ecs, sleep=no_sleep, cache_ttl=0)
    a = td_factory()
    b = td_factory(image="python:3.13-slim")
    arn_a, _ = runner.register_if_needed(a)
    arn_b, _ = runner.register_if_needed(b)
    ecs.deregister_task_definition(taskDefinition=arn_b)
    latest = ecs.describe_task_definition(taskDefinition="flow-fargate")["taskDefinition"]
    assert latest["status"] == "INACTIVE", "moto's quirk this test is about"
    calls = recorder(ecs)
    assert runner.register_if_needed(a) == (arn_a, False)
    assert calls.count("ListTaskDefinitions") == 1
    # The deregistered content is registered again, as a new revision.
    arn_b2, registered = runner.register_if_needed(b)
    assert registered is True and arn_b2.endswith(":3")


def test_two_profiles_alternating_in_one_family_make_two_revisions(ecs, td_factory):
    runner = EcsRunner(ecs, sleep=no_sleep, cache_ttl=0)
    a, b = td_factory(), td_factory(image="python:3.13-slim")
    seen = [runner.register_if_needed(td) for td in (a, b, a, b, a, b)]
    assert [flag for _, flag in seen] == [True, True, False, False, False, False]
    assert len(revisions(ecs, "flow-fargate")) == 2


def test_search_depth_one_checks_the_latest_only(ecs, td_factory):
    runner = EcsRunner(ecs, sleep=no_sleep, cache_ttl=0, search_depth=1)
    a, b = td_factory(), td_factory(image="python:3.13-slim")
    flags = [runner.register_if_needed(td)[1] for td in (a, b, a, a)]
    assert flags == [True, True, True, False]


def test_family_is_matched_exactly(ecs, td_factory):
    runner = EcsRunner(ecs, sleep=no_sleep, cache_ttl=0)
    long_arn, _ = runner.register_if_needed(td_factory(family="flow-fargate-gpu"))
    arn, registered = runner.register_if_needed(td_factory())
    assert registered is True and arn != long_arn


def _throttle_once_after(action, code: str, message: str):
    """A before-call hook: the first RegisterTaskDefinition runs ``action`` (another process
    registering) and then fails with ``code`` as ECS would; later calls go through."""
    state = {"n": 0}

    def hook(**_: Any):
        state["n"] += 1
        if state["n"] == 1:
            action()
            parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
            return AWSResponse("http://moto", 400, {}, None), parsed
        return None

    return hook, state


@pytest.mark.parametrize(
    "code,message",
    [
        ("ThrottlingException", "Rate exceeded"),
        ("ClientException", "Too many concurrent attempts to create a new revision of the specified family."),
    ],
)
def test_same_hash_registered_by_another_process_during_a_throttle_is_reused(ecs, make_client, td_factory, code, message):
    td = td_factory()
    other = make_client("ecs")
    theirs: list[str] = []

    def other_process_registers() -> None:
        answer = other.register_task_definition(
            **{**td, "tags": [*td["tags"], {"key": SPEC_HASH_TAG, "value": spec_hash(td)}]}
        )
        theirs.append(answer["taskDefinition"]["taskDefinitionArn"])

    hook, state = _throttle_once_after(other_process_registers, code, message)
    ecs.meta.events.register("before-call.ecs.RegisterTaskDefinition", hook)
    slept: list[float] = []
    runner = EcsRunner(ecs, sleep=slept.append, rng=lambda: 0.5)
    arn, registered = runner.register_if_needed(td)
    assert (arn, registered) == (theirs[0], False)
    assert state["n"] == 1, "the retry looked first and found the revision"
    assert slept == [0.25]
    assert revisions(ecs, "flow-fargate") == [arn]


def test_persistent_throttling_gives_up_with_a_clear_error(ecs, td_factory):
    def always(**_: Any):
        parsed = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse("http://moto", 400, {}, None), parsed

    ecs.meta.events.register("before-call.ecs.RegisterTaskDefinition", always)
    slept: list[float] = []
    runner = EcsRunner(ecs, sleep=slept.append, rng=lambda: 1.0, retry=RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0))
    with pytest.raises(SubmitError) as info:
        runner.register_if_needed(td_factory())
    text = str(info.value)
    assert "RegisterTaskDefinition" in text and "ThrottlingException" in text and "4 attempts" in text
    assert info.value.step == "register"
    assert slept == [1.0, 2.0, 3.0]
    assert revisions(ecs, "flow-fargate") == []


@pytest.mark.parametrize(
    "td,words",
    [
        ({"containerDefinitions": []}, "no family"),
        ({"family": "", "containerDefinitions": []}, "no family"),
        ({"family": "f", "tags": [{"key": f"k{i}", "value": "v"} for i in range(50)]}, "50 tags"),
    ],
)
def test_bad_inputs_fail_before_any_call(ecs, td, words, recorder):
    calls = recorder(ecs)
    with pytest.raises(SubmitError, match=words):
        EcsRunner(ecs).register_if_needed(td)
    assert calls.calls == []


def test_invalid_request_is_a_submit_error_naming_the_field(ecs, td_factory):
    td = td_factory(cpu=512)  # botocore wants a string
    with pytest.raises(SubmitError) as info:
        EcsRunner(ecs, sleep=no_sleep).register_if_needed(td)
    assert "RegisterTaskDefinition request is invalid" in str(info.value)
    assert "cpu" in str(info.value)
    assert info.value.__cause__ is not None and type(info.value.__cause__).__name__ == "ParamValidationError"


def test_threads_sharing_a_runner_register_once(ecs, td_factory):
    """An agent's worker threads share one runner: the family lock keeps them from racing."""
    import threading

    runner = EcsRunner(ecs, sleep=no_sleep, cache_ttl=0)
    td = td_factory()
    results: list[tuple[str, bool]] = []
    barrier = threading.Barrier(6)

    def work() -> None:
        barrier.wait()
        for _ in range(5):
            results.append(runner.register_if_needed(td))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 30
    assert [flag for _, flag in results].count(True) == 1
    assert len({arn for arn, _ in results}) == 1
    assert len(revisions(ecs, "flow-fargate")) == 1
