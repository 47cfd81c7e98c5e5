"""Fixtures for the ECS runner tests: a moto server on 127.0.0.1 and real boto3 clients.

The server is started once per session (``python -m moto.server`` on a free port) and reset
(``POST /moto-api/reset``) before every test that uses it. Credentials and region are dummies
set in the environment for the whole session, so nothing here can reach AWS.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

REGION = "us-east-1"
CLUSTER = "compose-test"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict[str, Any] | None = None) -> None:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


@pytest.fixture(scope="module", autouse=True)
def aws_env() -> Iterator[None]:
    """Dummy credentials and region; no shared config files, so no real profile is read.

    Module-scoped so that the environment is restored before tests in other directories run.
    """
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_REGION", REGION)
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The base URL of a moto server running for this session."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"moto server exited with {proc.returncode}: {log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1) as resp:
                    resp.read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail("moto server did not answer within 30 s")
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            # moto lingers on open keep-alive connections; it holds nothing worth a clean exit.
            proc.wait(timeout=0.3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def moto(moto_server: str) -> str:
    """The moto server, reset to empty for this test."""
    _post(f"{moto_server}/moto-api/reset")
    return moto_server


@pytest.fixture
def make_client(moto: str) -> Callable[..., Any]:
    """Make a real boto3 client for the moto server (each call: a new client, like a new process)."""
    import boto3
    from botocore.config import Config

    def make(service: str = "ecs") -> Any:
        # botocore's retries ON, as any boto3 client has them (standard mode, 3 attempts): the
        # runner must turn them off itself for the clients it is given (runner.ecs.own_retries).
        config = Config(retries={"mode": "standard", "total_max_attempts": 3})
        return boto3.client(service, region_name=REGION, endpoint_url=moto, config=config)

    return make


@pytest.fixture
def ecs(make_client: Callable[..., Any]) -> Any:
    """A boto3 ECS client for the (reset) moto server, with a cluster created."""
    client = make_client("ecs")
    client.create_cluster(clusterName=CLUSTER)
    return client


@pytest.fixture
def fargate_network(make_client: Callable[..., Any]) -> dict[str, Any]:
    """What moto needs for a FARGATE RunTask: a VPC with DNS hostnames, a subnet, a group."""
    ec2 = make_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="flow", Description="flow tasks", VpcId=vpc)["GroupId"]
    return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}


@pytest.fixture
def container_instance(ecs: Any, make_client: Callable[..., Any]) -> str:
    """An EC2 container instance registered in the test cluster (moto needs one for EC2 RunTask)."""
    ec2 = make_client("ec2")
    # moto takes any image id; listing its images would cost a second.
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    document = json.dumps({"instanceId": instance["InstanceId"], "region": REGION})
    answer = ecs.register_container_instance(cluster=CLUSTER, instanceIdentityDocument=document)
    return answer["containerInstance"]["containerInstanceArn"]


@pytest.fixture
def manual_task_progress(moto: str) -> Iterator[None]:
    """Tasks stay where they are under describe_tasks (moto advances them one step per call by default)."""
    _post(
        f"{moto}/moto-api/state-manager/set-transition",
        {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1000}},
    )
    yield
    _post(f"{moto}/moto-api/state-manager/unset-transition", {"model_name": "ecs::task"})


def fargate_td(family: str = "flow-fargate", image: str = "python:3.12-slim", **extra: Any) -> dict[str, Any]:
    """A composed FARGATE task definition: the flow container first, a non-essential sidecar."""
    td: dict[str, Any] = {
        "family": family,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "512",
        "memory": "1024",
        "containerDefinitions": [
            {
                "name": "flow",
                "image": image,
                "memory": 768,
                "essential": True,
                "command": ["python", "-m", "flow"],
                "environment": [{"name": "LOG_LEVEL", "value": "INFO"}, {"name": "MODE", "value": "batch"}],
            },
            {"name": "log-router", "image": "fluent-bit:3", "memory": 128, "essential": False},
        ],
        "tags": [{"key": "team", "value": "data"}],
    }
    td.update(extra)
    return td


@pytest.fixture
def td_factory() -> Callable[..., dict[str, Any]]:
    """:func:`fargate_td` as a fixture (test modules are imported by path, not as a package)."""
    return fargate_td


class Recorder:
    """Counts the ECS operations a client sends (a botocore ``before-call`` hook)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-call.ecs", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def count(self, operation: str) -> int:
        return self.calls.count(operation)


@pytest.fixture
def recorder() -> type[Recorder]:
    """:class:`Recorder`, to attach to a client."""
    return Recorder
