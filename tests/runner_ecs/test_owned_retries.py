"""The runner owns every retry: botocore resends nothing, even on a client that has its
retries on, so a RunTask whose answer was lost is never sent again without the lookup.
Also: the shared outage breaker, the stop event, and one registration per content at a time."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from compose.runner._common import RunnerStopped
from compose.runner._retry import RetryPolicy
from compose.runner.ecs import EcsApiError, EcsRunner
from compose.runner.ecs.calls import DEFAULT_REQUEST_TIMEOUT, client_config

RUN_ID = "owned-1"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self.body


class Sent:
    """Counts what reaches the wire (``before-send``), and can answer 503 in its place."""

    def __init__(self, client: Any, fail: dict[str, int] | None = None) -> None:
        self.ops: list[str] = []
        self.fail = dict(fail or {})
        client.meta.events.register("before-send.ecs", self._send)

    def _send(self, request: Any, **_: Any) -> Any:
        op = request.headers.get("X-Amz-Target", b"").decode().rsplit(".", 1)[-1]
        self.ops.append(op)
        if self.fail.get(op, 0) > 0:
            self.fail[op] -= 1
            return AWSResponse(request.url, 503, {"content-type": "application/x-amz-json-1.1"}, _Raw(
                b'{"__type": "ServiceUnavailableException", "message": "busy"}'))
        return None

    def count(self, op: str) -> int:
        return self.ops.count(op)


def run_request(network: dict[str, Any]) -> dict[str, Any]:
    return {"cluster": "compose-test", "launchType": "FARGATE", "networkConfiguration": network}


def test_the_clients_the_runner_makes_have_botocore_retries_off_and_bounded_timeouts():
    config = client_config()
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert (config.connect_timeout, config.read_timeout) == DEFAULT_REQUEST_TIMEOUT == (5.0, 20.0)
    runner = EcsRunner(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    assert runner.client.meta.config.retries["total_max_attempts"] == 1


def test_twin_botocore_alone_resends_a_runtask(make_client, ecs, td_factory, fargate_network):
    """The twin that shows what the runner prevents: a client with retries on, used bare,
    sends a RunTask three times when the answers fail."""
    client = make_client("ecs")
    sent = Sent(client, fail={"RunTask": 5})
    td = client.register_task_definition(**td_factory())["taskDefinition"]["taskDefinitionArn"]
    with pytest.raises(Exception):
        client.run_task(taskDefinition=td, **run_request(fargate_network))
    assert sent.count("RunTask") == 3


def test_a_client_with_retries_on_sends_runtask_once_per_runner_attempt(make_client, ecs, td_factory, fargate_network):
    client = make_client("ecs")  # botocore: standard mode, 3 attempts
    sent = Sent(client, fail={"RunTask": 2})
    slept: list[float] = []
    runner = EcsRunner(client, cluster="compose-test", sleep=slept.append, rng=lambda: 0.0)
    td, _ = runner.register_if_needed(td_factory())
    result = runner.run(td, run_request(fargate_network), run_id=RUN_ID)
    assert sent.count("RunTask") == 3 and len(slept) == 2, sent.ops
    # Every RunTask, the first included, came after a lookup (ListTasks RUNNING, STOPPED).
    positions = [i for i, op in enumerate(sent.ops) if op == "RunTask"]
    assert all(sent.ops[i - 2:i] == ["ListTasks", "ListTasks"] for i in positions), sent.ops
    assert result.created and not result.recovered


def test_lost_runtask_answer_is_found_by_the_lookup_and_is_ours(make_client, ecs, td_factory, fargate_network):
    """RunTask reaches moto (which ignores clientToken) and its answer is lost: the runner's
    retry starts with the lookup, finds the task by its nonce, and sends no second RunTask."""
    from botocore.exceptions import ConnectionClosedError

    client = make_client("ecs")
    runner = EcsRunner(client, cluster="compose-test", sleep=lambda s: None)
    td, _ = runner.register_if_needed(td_factory())
    sent = Sent(client)
    lost = {"n": 1}

    def drop(**_: Any) -> None:
        if lost["n"]:
            lost["n"] -= 1
            raise ConnectionClosedError(endpoint_url="http://moto")

    client.meta.events.register("after-call.ecs.RunTask", drop)
    result = runner.run(td, run_request(fargate_network), run_id="lost-1")
    assert sent.count("RunTask") == 1
    assert (result.created, result.recovered) == (True, True)
    assert client.list_tasks(cluster="compose-test", startedBy="lost-1")["taskArns"] == [result.task_arn]


def test_outage_breaker_gives_up_unsent_once_the_outage_outlasted_the_budget():
    clock = {"now": 0.0}
    runner = EcsRunner(region="us-east-1", endpoint_url="http://127.0.0.1:9", clock=lambda: clock["now"],
                       sleep=lambda s: clock.__setitem__("now", clock["now"] + s),
                       retry=RetryPolicy(max_attempts=100, max_elapsed=30.0, base_delay=1.0, max_delay=5.0))
    calls = {"n": 0}

    def refused(**_: Any) -> Any:
        calls["n"] += 1
        raise EcsApiError("cannot reach ECS", operation="ListTasks", code="EndpointConnectionError", transient=True)

    runner.client.list_tasks = refused  # type: ignore[method-assign]
    with pytest.raises(EcsApiError, match="gave up after"):
        runner.find_task("r1")
    first = calls["n"]
    assert first > 1 and clock["now"] <= 30.0
    clock["now"] += 5.0
    with pytest.raises(EcsApiError, match="gave up after 1 attempt"):
        runner.find_task("r2")  # the outage is older than the budget: one probe, no retries
    assert calls["n"] == first + 1


def test_interrupt_ends_a_call_under_retry_at_once():
    runner = EcsRunner(region="us-east-1", endpoint_url="http://127.0.0.1:9",
                       retry=RetryPolicy(max_attempts=100, max_elapsed=600.0, base_delay=5.0, max_delay=5.0),
                       rng=lambda: 1.0)

    def refused(**_: Any) -> Any:
        raise EcsApiError("cannot reach ECS", operation="ListTasks", code="EndpointConnectionError", transient=True)

    runner.client.list_tasks = refused  # type: ignore[method-assign]
    threading.Timer(0.3, runner.interrupt).start()
    began = time.monotonic()
    with pytest.raises(RunnerStopped) as info:
        runner.run("arn:aws:ecs:us-east-1:1:task-definition/f:1", {"cluster": "c"}, run_id="r1")
    assert time.monotonic() - began < 2.0
    assert info.value.sent is False and "nothing was started" in info.value.message


def test_one_registration_per_content_at_a_time(make_client, ecs, td_factory):
    client = make_client("ecs")
    gate = threading.Event()

    def slow(**_: Any) -> None:
        gate.wait(5)

    client.meta.events.register("before-call.ecs.RegisterTaskDefinition", slow)
    sent = Sent(client)
    runner = EcsRunner(client)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(runner.register_if_needed(td_factory())))
               for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    gate.set()
    for t in threads:
        t.join(10)
    assert sent.count("RegisterTaskDefinition") == 1
    assert len({arn for arn, _ in results}) == 1 and sum(registered for _, registered in results) == 1
