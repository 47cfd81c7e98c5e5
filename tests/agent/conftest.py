"""Fixtures for the agent tests.

The agent is tested against the real runners over real HTTP: the Kubernetes runner through the
``kubernetes`` client against the fake API server of ``tests/runner_k8s``, the ECS runner
through boto3 against the moto server of ``tests/runner_ecs``. Their fixtures are imported
from those suites' conftest files (loaded by path under private names: with
``--import-mode=importlib`` test folders are not packages), not copied.

Specs come from :class:`StandIn`, a small generator that fills a dict template per run, so
these tests do not depend on the composer (one integration test uses the real one).
"""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from compose.errors import SpecError
from compose.model import EcsSpec, FlowRun, KubernetesSpec
from compose_testing import load_module as _load

_TESTS = Path(__file__).resolve().parent.parent


_k8s = _load("compose_tests_runner_k8s_conftest", _TESTS / "runner_k8s" / "conftest.py")
_ecs = _load("compose_tests_runner_ecs_conftest", _TESTS / "runner_ecs" / "conftest.py")

# Re-exported fixtures (pytest finds them by name in this module).
_k8s_server = _k8s._k8s_server
api = _k8s.api
kubeconfig = _k8s.kubeconfig
sleeps = _k8s.sleeps
make_runner = _k8s.make_runner
aws_env = _ecs.aws_env
moto_server = _ecs.moto_server
moto = _ecs.moto
make_client = _ecs.make_client
ecs = _ecs.ecs
fargate_network = _ecs.fargate_network
manual_task_progress = _ecs.manual_task_progress

NS = _k8s.NS
CLUSTER = _ecs.CLUSTER

#: Annotations the stand-in generator puts on a Job to steer the fake cluster's "controller".
EXIT_ANNOTATION = "test.compose.dev/exit-code"
HOLD_ANNOTATION = "test.compose.dev/hold"
FLOW_ANNOTATION = "test.compose.dev/flow-container"

JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "etl", "labels": {"team": "data"}},
    "spec": {
        "backoffLimit": 0,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {"name": "proxy", "image": "envoy:1.30"},
                    {"name": "flow", "image": "python:3.12", "command": ["python", "-m", "flow"]},
                ],
            }
        },
    },
}


class Tracker:
    """Counts runs in flight: entered in the generator, left in on_outcome."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.max = 0
        self.entered: list[str] = []
        self.outcomes: list[Any] = []
        self.first_outcome_at: float | None = None

    def enter(self, run_id: str) -> None:
        with self.lock:
            self.now += 1
            self.max = max(self.max, self.now)
            self.entered.append(run_id)

    def leave(self, outcome: Any) -> None:
        with self.lock:
            if outcome.status not in ("invalid-input", "not-started"):
                self.now -= 1
            self.outcomes.append(outcome)

    def by_run(self) -> dict[str, Any]:
        return {o.run_id: o for o in self.outcomes}


class StandIn:
    """FlowRun -> spec from a dict template.

    Run metadata steers it: ``fail_generate`` (raise a SpecError), ``exit_code`` (the flow
    container's exit code in the fake cluster), ``hold`` (the fake cluster never finishes the
    Job), ``gate`` (name of a threading.Event in ``self.gates`` to wait for while generating).
    """

    def __init__(self, target: str = "kubernetes", *, tracker: Tracker | None = None,
                 network: dict[str, Any] | None = None, template: dict[str, Any] | None = None,
                 flow_container: str = "flow") -> None:
        self.target = target
        self.tracker = tracker
        self.network = network
        self.template = template or JOB
        self.flow_container = flow_container
        self.gates: dict[str, threading.Event] = {}
        self.calls = 0

    def generate(self, run: FlowRun) -> Any:
        self.calls += 1
        if self.tracker is not None:
            self.tracker.enter(run.id)
        md = run.metadata
        if md.get("gate"):
            self.gates.setdefault(md["gate"], threading.Event()).wait(10)
        if md.get("fail_generate"):
            raise SpecError(f"parameter 'memory' is invalid: {md['fail_generate']}", step="build")
        if self.target == "ecs":
            return EcsSpec(
                task_definition=_ecs.fargate_td(),
                run_task={"cluster": CLUSTER, "launchType": "FARGATE", "networkConfiguration": self.network},
                overrides={"containerOverrides": [{"name": "flow", "environment": [{"name": "RUN_ID", "value": run.id}]}]},
                flow_container=self.flow_container,
                run_id=run.id,
            )
        job = copy.deepcopy(self.template)
        notes = job["metadata"].setdefault("annotations", {})
        notes[EXIT_ANNOTATION] = str(md.get("exit_code", 0))
        notes[FLOW_ANNOTATION] = self.flow_container
        if md.get("hold"):
            notes[HOLD_ANNOTATION] = "true"
        job["metadata"]["labels"]["compose.dev/flow-name"] = run.flow_name or "none"
        return KubernetesSpec(objects=[job], job=job, flow_container=self.flow_container, run_id=run.id)


class Finisher:
    """The fake cluster's Job controller: finishes every new Job after ``delay`` seconds.

    The flow container exits with the Job's exit-code annotation; Jobs marked "hold" are
    left running.
    """

    def __init__(self, server: Any, delay: float = 0.05) -> None:
        self.server = server
        self.delay = delay
        self.seen: set[tuple[str, str]] = set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.done.is_set():
            with self.server.cond:
                jobs = [(k, copy.deepcopy(j)) for k, j in self.server.jobs.items() if k not in self.seen]
            for key, job in jobs:
                self.seen.add(key)
                notes = job["metadata"].get("annotations") or {}
                if notes.get(HOLD_ANNOTATION):
                    continue
                code = int(notes.get(EXIT_ANNOTATION, "0"))
                flow = notes.get(FLOW_ANNOTATION, "flow")
                threading.Timer(self.delay, self._finish, (key, code, flow)).start()
            time.sleep(0.01)

    def _finish(self, key: tuple[str, str], code: int, flow: str) -> None:
        if self.done.is_set():
            return
        try:
            self.server.finish_job(key[0], key[1], code, flow_container=flow)
        except KeyError:  # deleted meanwhile
            pass

    def stop(self) -> None:
        self.done.set()
        self.thread.join(2)


@pytest.fixture
def tracker() -> Tracker:
    return Tracker()


@pytest.fixture
def standin():
    """The StandIn class (test modules are imported by path, not as a package)."""
    return StandIn


@pytest.fixture
def finisher(api):
    """Start the fake Job controller; ``finisher(delay)`` to choose the delay."""
    made: list[Finisher] = []

    def start(delay: float = 0.05) -> Finisher:
        f = Finisher(api, delay)
        made.append(f)
        return f

    yield start
    for f in made:
        f.stop()


@pytest.fixture
def k8s_runner(make_runner):
    """A real KubernetesRunner against the fake API server (fake backoff sleeps)."""
    return make_runner()


@pytest.fixture
def ecs_runner(ecs):
    """A real EcsRunner on a boto3 client for the (reset) moto server."""
    from compose.runner.ecs import EcsRunner

    return EcsRunner(ecs, cluster=CLUSTER, sleep=lambda s: time.sleep(min(s, 0.01)))


def runs(n: int, prefix: str = "run", **metadata: Any) -> list[FlowRun]:
    return [FlowRun(id=f"{prefix}-{i}", flow_name="etl", metadata=dict(metadata)) for i in range(n)]


@pytest.fixture
def make_runs():
    """``make_runs(n, prefix="run", **metadata)``: n flow runs with ids prefix-0..n-1."""
    return runs


def all_tasks(client: Any) -> list[str]:
    out: list[str] = []
    for status in ("RUNNING", "STOPPED"):
        out += client.list_tasks(cluster=CLUSTER, desiredStatus=status)["taskArns"]
    return sorted(set(out))


@pytest.fixture
def ecs_tasks(ecs):
    """``ecs_tasks()``: every task ARN in the test cluster, running or stopped."""
    return lambda: all_tasks(ecs)
