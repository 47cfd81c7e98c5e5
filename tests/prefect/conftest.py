"""Fixtures for the Prefect worker tests: Prefect's own schema objects, no server.

Every test module here is skipped when Prefect is not installed (the ``prefect`` extra; .ci/run
installs it). Nothing here talks to a Prefect API: the client handed to
``from_template_and_values`` points at a closed port and is only used for block or variable
placeholders, which the compose templates do not have.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

#: Each test module skips itself without Prefect (a skip raised here would be an error).
NO_PREFECT = "the prefect extra is not installed (pip install -e '.[test,prefect]')"

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def _fresh_worker_state(monkeypatch: pytest.MonkeyPatch):
    """No settings env or composer cached from another test; no allowlist from the caller."""
    from compose.prefect import settings

    for name in ("COMPOSE_PREFECT_ENV_ALLOWLIST", "COMPOSE_PREFECT_SPEC_ROOTS", "COMPOSE_PREFECT_SPEC_REPO"):
        monkeypatch.delenv(name, raising=False)
    settings.forget()
    yield
    settings.forget()


@pytest.fixture
def offline_api():
    """Prefect settings with an API URL nothing listens on (no ephemeral server starts)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        yield "http://127.0.0.1:9/api"


class Objects:
    """Builds Prefect's schema objects for one flow run of a deployment in a pool."""

    def __init__(self, template: dict[str, Any], pool_type: str = "compose-kubernetes") -> None:
        from prefect.client.schemas.objects import Flow, WorkPool

        self.flow = Flow(id=uuid.uuid4(), name="etl")
        self.pool = WorkPool(id=uuid.uuid4(), name="cpool", type=pool_type, base_job_template=template)

    def deployment(self, job_variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        from prefect.client.schemas.responses import DeploymentResponse

        return DeploymentResponse(id=uuid.uuid4(), name=kw.pop("name", "nightly"), flow_id=self.flow.id,
                                  job_variables=job_variables or {}, **kw)

    def flow_run(self, deployment: Any = None, job_variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        from prefect.client.schemas.objects import FlowRun

        return FlowRun(id=kw.pop("id", uuid.uuid4()), name=kw.pop("name", "crimson-dolphin"), flow_id=self.flow.id,
                       deployment_id=deployment.id if deployment is not None else None,
                       job_variables=job_variables or {}, **kw)


@pytest.fixture
def k8s_template() -> dict[str, Any]:
    from compose.prefect.template import base_job_template

    return base_job_template(REPO, "kubernetes")


@pytest.fixture
def ecs_template() -> dict[str, Any]:
    from compose.prefect.template import base_job_template

    return base_job_template(REPO, "ecs")


class _FlowReader:
    """Stands in for PrefectClient in ``resolve_for_flow_run``: it reads the flow (the
    deployment is passed in); any other call fails the test."""

    def __init__(self, flow: Any) -> None:
        self._flow = flow

    async def read_flow(self, flow_id: Any) -> Any:
        assert flow_id == self._flow.id
        return self._flow


@pytest.fixture
def prepare(offline_api):
    """``prepare(config_class, template, objects, deployment, flow_run)``: Prefect's own
    ``resolve_for_flow_run`` (its job-variable merge, template fill, prepare_for_flow_run)."""
    import anyio

    def run(cls: Any, template: dict[str, Any], objects: Objects, deployment: Any, flow_run: Any) -> Any:
        pool = objects.pool.model_copy(update={"base_job_template": template})

        async def go() -> Any:
            return await cls.resolve_for_flow_run(
                flow_run, client=_FlowReader(objects.flow), work_pool=pool, worker_name="worker-1",
                deployment=deployment,
            )

        return anyio.run(go)

    return run


def flow_container(job: dict[str, Any], name: str = "flow") -> dict[str, Any]:
    return next(c for c in job["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in container.get("env") or []}


@pytest.fixture
def helpers():
    class H:
        Objects = Objects
        flow_container = staticmethod(flow_container)
        env_of = staticmethod(env_of)
        REPO = REPO

    return H


@pytest.fixture(scope="module")
def kube(tmp_path_factory):
    """The fake Kubernetes API server (tests/runner_k8s) on 127.0.0.1 for one module, and a
    kubeconfig for it with namespace ``flows``: ``(server, kubeconfig path)``."""
    import importlib.util
    import sys

    name = "compose_tests_prefect_e2e_support"
    support = sys.modules.get(name)
    if support is None:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "e2e_support.py")
        support = importlib.util.module_from_spec(spec)
        sys.modules[name] = support
        spec.loader.exec_module(support)
    server = support.fake_apiserver_module().FakeAPIServer().start()
    kubeconfig = server.write_kubeconfig(str(tmp_path_factory.mktemp("kube") / "kubeconfig"), namespace="flows")
    yield server, kubeconfig
    server.stop()
