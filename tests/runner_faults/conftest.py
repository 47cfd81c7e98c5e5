"""Fixtures for the exactly-once scenarios (helpers in harness.py): the backends behind a fault
proxy, the agent process."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from compose_testing import load_module as _load

_HERE = Path(__file__).resolve().parent


harness = _load("compose_tests_runner_faults_harness", _HERE / "harness.py")
_k8s, _ecs, faultproxy = harness._k8s, harness._ecs, harness.faultproxy
Backend, AgentProcess, NS, CLUSTER, REGION = (harness.Backend, harness.AgentProcess, harness.NS, harness.CLUSTER,
                                              harness.REGION)
ecs_kind, k8s_kind, _ecs_counts = harness.ecs_kind, harness.k8s_kind, harness._ecs_counts

_k8s_server = _k8s._k8s_server
api = _k8s.api
aws_env = _ecs.aws_env
moto_server = _ecs.moto_server
moto = _ecs.moto
make_client = _ecs.make_client
ecs = _ecs.ecs
fargate_network = _ecs.fargate_network


@pytest.fixture
def make_backend(request, tmp_path):
    """``make_backend(target, plan_faults=None)``: the backend (reset) behind a new proxy."""
    made: list[Any] = []

    def make(target: str, faults: dict | None = None, seed: int = 8) -> Backend:
        if target == "ecs":
            client = request.getfixturevalue("ecs")
            network = request.getfixturevalue("fargate_network")["awsvpcConfiguration"]
            url = request.getfixturevalue("moto")
            parts = urlsplit(url)
            plan = faultproxy.Plan(ecs_kind, faults or {}, seed=seed)
            proxy = faultproxy.FaultProxy((parts.hostname, parts.port), plan, faultproxy.ecs_error_body).start()
            args = ["-t", "ecs", "--endpoint-url", proxy.url, "--region", REGION, "--cluster", CLUSTER,
                    "-s", f"subnets={network['subnets'][0]}", "-s", f"security_groups={network['securityGroups'][0]}"]
            backend = Backend("ecs", proxy, args, lambda: _ecs_counts(client))
            backend.client = client  # type: ignore[attr-defined]
        else:
            server = request.getfixturevalue("api")
            parts = urlsplit(server.url)
            plan = faultproxy.Plan(k8s_kind, faults or {}, seed=seed)
            proxy = faultproxy.FaultProxy((parts.hostname, parts.port), plan, faultproxy.k8s_error_body).start()
            path = server.write_kubeconfig(str(tmp_path / f"kubeconfig-{len(made)}"), namespace=NS)
            text = Path(path).read_text(encoding="utf-8").replace(server.url, proxy.url)
            Path(path).write_text(text, encoding="utf-8")

            def counts() -> Counter[str]:
                with server.cond:
                    jobs = list(server.jobs.values())
                return Counter(j["metadata"]["annotations"]["compose.dev/run-id"] for j in jobs)

            backend = Backend("kubernetes", proxy, ["--kubeconfig", path], counts)
            backend.api = server  # type: ignore[attr-defined]
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.proxy.stop()


@pytest.fixture
def spec_root(tmp_path) -> Path:
    root = tmp_path / "specs"
    root.mkdir()
    (root / "compose.yaml").write_text("kind: SpecRepo\n", encoding="utf-8")
    return root


@pytest.fixture
def agent_process():
    made: list[AgentProcess] = []

    def start(*args: Any, **kw: Any) -> AgentProcess:
        p = AgentProcess(*args, **kw)
        made.append(p)
        return p

    yield start
    for p in made:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()
