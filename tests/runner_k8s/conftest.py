"""Fixtures for the Kubernetes runner tests: a fake API server, a kubeconfig, a sleep recorder."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

_HERE = Path(__file__).parent


def _load_fake() -> Any:
    # Loaded by file path under a private name: with --import-mode=importlib test
    # directories are not packages, and another suite may have a module of the same name.
    name = "compose_tests_k8s_fake_apiserver"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _HERE / "k8s_fake_apiserver.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fake_apiserver = _load_fake()

NS = "flows"


class SleepRecorder:
    """Stands in for time.sleep: records each delay and advances a fake clock."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def _k8s_server():
    server = fake_apiserver.FakeAPIServer().start()
    yield server
    server.stop()


@pytest.fixture
def api(_k8s_server):
    """The fake API server, emptied for this test."""
    _k8s_server.reset_state()
    yield _k8s_server
    _k8s_server.reset_state()


@pytest.fixture
def kubeconfig(api, tmp_path) -> str:
    return api.write_kubeconfig(str(tmp_path / "kubeconfig"), namespace=NS)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_runner(kubeconfig, sleeps):
    """Build a runner against the fake server; keyword arguments override the defaults."""
    from compose.runner.kubernetes import KubernetesRunner

    made = []

    def make(**kw: Any) -> KubernetesRunner:
        options = dict(kubeconfig=kubeconfig, sleep=sleeps, rng=lambda: 0.5,
                       request_timeout=(2.0, 3.0), log_poll_interval=0.05)
        options.update(kw)
        runner = KubernetesRunner(**options)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.close()


@pytest.fixture
def runner(make_runner):
    return make_runner()


JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "etl", "labels": {"team": "data"}},
    "spec": {
        "backoffLimit": 0,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                # The sidecar comes first on purpose: the flow container is found by name.
                "containers": [
                    {"name": "proxy", "image": "envoy:1.30"},
                    {"name": "flow", "image": "python:3.12", "command": ["python", "-m", "flow"]},
                ],
            }
        },
    },
}


@pytest.fixture
def job() -> dict[str, Any]:
    return copy.deepcopy(JOB)
