"""Prefect's env, labels and command onto the flow container found by name; the settings env
computed once per process with an allowlist; spec repos inside the allowed roots; ECS."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect", reason="the prefect extra is not installed (pip install -e '.[test,prefect]')")

from compose.errors import SpecError, ValidationError
from compose.prefect import mapping

JOB: dict[str, Any] = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "flow-run", "labels": {"team": "data"}},
    "spec": {
        "backoffLimit": 0,
        "template": {
            "metadata": {"labels": {"app": "flow"}},
            "spec": {
                "restartPolicy": "Never",
                # a sidecar first, as the API server's merge order can leave it
                "containers": [
                    {"name": "log-shipper", "image": "fluent/fluent-bit:3.1",
                     "env": [{"name": "PREFECT_API_URL", "value": "sidecar-keeps-this"}]},
                    {"name": "flow", "image": "python:3.12", "command": ["python", "-m", "prefect.engine"],
                     "env": [{"name": "LOG_LEVEL", "value": "INFO"},
                             {"name": "PREFECT_API_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                             {"name": "PREFECT_API_URL", "value": "http://spec-repo/api"}]},
                ],
            },
        },
    },
}


def _containers(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in job["spec"]["template"]["spec"]["containers"]}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container.get("env") or []}


def test_env_and_labels_go_to_the_flow_container_by_name_not_containers_0() -> None:
    before = copy.deepcopy(JOB)
    out = mapping.apply_to_job(
        JOB, flow_container="flow",
        env={"PREFECT_API_URL": "http://127.0.0.1:4200/api", "PREFECT__FLOW_RUN_ID": "abc", "PREFECT_API_KEY": "pnu_x"},
        labels={"prefect.io/flow-run-name": "crimson dolphin", "Prefect.IO/odd key": "x" * 80},
    )
    assert JOB == before  # not modified
    flow, sidecar = _containers(out)["flow"], _containers(out)["log-shipper"]
    env = _env(flow)
    assert env["PREFECT_API_URL"]["value"] == "http://127.0.0.1:4200/api"   # Prefect's wins
    assert env["PREFECT__FLOW_RUN_ID"]["value"] == "abc"
    assert env["LOG_LEVEL"]["value"] == "INFO"                               # the spec repo's stays
    assert env["PREFECT_API_KEY"] == {"name": "PREFECT_API_KEY", "value": "pnu_x"}  # no value + valueFrom
    assert env["PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR"]["value"] == "reschedule"
    assert _env(sidecar) == {"PREFECT_API_URL": {"name": "PREFECT_API_URL", "value": "sidecar-keeps-this"}}
    labels = out["metadata"]["labels"]
    assert labels["team"] == "data" and labels["prefect.io/flow-run-name"] == "crimson-dolphin"
    assert labels["prefect.io/odd-key"] == "x" * 63
    assert out["spec"]["template"]["metadata"]["labels"]["prefect.io/flow-run-name"] == "crimson-dolphin"
    assert out["spec"]["template"]["metadata"]["labels"]["app"] == "flow"


def test_sigterm_behaviour_follows_backoff_limit_as_prefect_sets_it() -> None:
    job = copy.deepcopy(JOB)
    job["spec"]["backoffLimit"] = 2
    _containers(job)["flow"]["env"].append({"name": "PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR", "value": "reschedule"})
    out = mapping.apply_to_job(job, flow_container="flow",
                               env={"PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR": "reschedule"}, labels={})
    # Kubernetes retries the pod: Prefect must not reschedule too (two executions of one run).
    assert "PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR" not in _env(_containers(out)["flow"])
    job["spec"].pop("backoffLimit")   # Kubernetes' default is 6
    out = mapping.apply_to_job(job, flow_container="flow", env={}, labels={})
    assert "PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR" not in _env(_containers(out)["flow"])


def test_command_replaces_the_flow_containers_command_only() -> None:
    out = mapping.apply_to_job(JOB, flow_container="flow", env={}, labels={}, command="prefect flow-run execute")
    assert _containers(out)["flow"]["command"] == ["prefect", "flow-run", "execute"]
    assert "command" not in _containers(out)["log-shipper"]


def test_no_flow_container_and_not_a_job_are_errors() -> None:
    with pytest.raises(SpecError, match="no container named 'main'.*log-shipper, flow"):
        mapping.apply_to_job(JOB, flow_container="main", env={}, labels={})
    cron = {**copy.deepcopy(JOB), "kind": "CronJob"}
    with pytest.raises(SpecError, match="submits a batch/v1 Job"):
        mapping.apply_to_job(cron, flow_container="flow", env={}, labels={})


def test_the_result_is_validated_again() -> None:
    bad = copy.deepcopy(JOB)
    bad["spec"]["backoffLimit"] = "zero"
    with pytest.raises(ValidationError, match="backoffLimit"):
        mapping.apply_to_job(bad, flow_container="flow", env={}, labels={})


def test_label_and_tag_cleaning() -> None:
    assert mapping.label_value("2026-12-05T00:12:00+00:00") == "2026-12-05T00-12-00-00-00"
    assert mapping.label_value("-_.x.-") == "x"
    assert mapping.label_key("Example.COM/a b") == "example.com/a-b"
    assert mapping.tag_text("a\u00e9b{c}", 128) == "a_b_c_"
    assert mapping.expand_dotted({"metadata.spot": True, "metadata": {"ship_logs": True}}) == {
        "metadata": {"spot": True, "ship_logs": True}}


# --- settings env --------------------------------------------------------------------------------


def test_settings_env_is_computed_once_per_process_and_allowlisted(monkeypatch, offline_api) -> None:
    from prefect.settings import Settings

    from compose.prefect import settings

    calls = []
    real = Settings.to_environment_variables

    def counting(self: Any, *a: Any, **kw: Any) -> dict[str, str]:
        calls.append(1)
        return real(self, *a, **kw)

    monkeypatch.setattr(Settings, "to_environment_variables", counting)
    first = settings.settings_environment()
    for _ in range(50):
        assert settings.settings_environment() == first
    assert len(calls) == 1
    assert first["PREFECT_API_URL"] == offline_api
    assert not any(k.startswith(("PREFECT_HOME", "PREFECT_SERVER_")) for k in first)


def test_allowlist_variable(monkeypatch, offline_api) -> None:
    from prefect.settings import PREFECT_HOME, temporary_settings

    from compose.prefect import settings

    with temporary_settings({PREFECT_HOME: "/tmp/worker-home"}):
        assert "PREFECT_HOME" not in settings.settings_environment()
        monkeypatch.setenv("COMPOSE_PREFECT_ENV_ALLOWLIST", "*")
        assert settings.settings_environment()["PREFECT_HOME"] == "/tmp/worker-home"   # Prefect's behaviour
        monkeypatch.setenv("COMPOSE_PREFECT_ENV_ALLOWLIST", "PREFECT_API_*")
        assert set(settings.settings_environment()) == {"PREFECT_API_URL"}


# --- spec repos ----------------------------------------------------------------------------------


def test_spec_repo_allowlist(monkeypatch, tmp_path: Path, helpers) -> None:
    from compose.prefect.settings import check_spec_repo

    pool_repo = str(helpers.REPO)
    assert check_spec_repo(pool_repo, trusted=pool_repo) == helpers.REPO
    with pytest.raises(SpecError, match="outside the worker's allowed roots.*unset"):
        check_spec_repo(str(tmp_path / "specs"), trusted=pool_repo)
    monkeypatch.setenv("COMPOSE_PREFECT_SPEC_ROOTS", str(tmp_path))
    assert check_spec_repo(str(tmp_path / "specs"), trusted=pool_repo) == (tmp_path / "specs").resolve()
    with pytest.raises(SpecError, match="outside"):
        check_spec_repo(str(tmp_path / "specs" / ".." / ".."), trusted=pool_repo)
    with pytest.raises(SpecError, match="not set"):
        check_spec_repo("", trusted=None)


def test_a_deployment_pointing_outside_the_roots_gets_compose_s_message(k8s_template, prepare, helpers, tmp_path) -> None:
    from compose.prefect.worker import ComposeKubernetesJobConfiguration

    objects = helpers.Objects(k8s_template)
    deployment = objects.deployment({"spec_repo": str(tmp_path)})
    config = prepare(ComposeKubernetesJobConfiguration, k8s_template, objects, deployment, objects.flow_run(deployment))
    assert config.spec is None and "outside the worker's allowed roots" in str(config.compose_error)


def test_the_spec_repo_is_loaded_and_warmed_once_per_process(monkeypatch, k8s_template, prepare, helpers) -> None:
    from compose import Composer
    from compose.prefect.worker import ComposeKubernetesJobConfiguration

    loads = []
    real = Composer.load.__func__

    def counting(cls: Any, root: Any = ".") -> Any:
        loads.append(root)
        return real(cls, root)

    monkeypatch.setattr(Composer, "load", classmethod(counting))
    objects = helpers.Objects(k8s_template)
    deployment = objects.deployment()
    for _ in range(3):
        prepare(ComposeKubernetesJobConfiguration, k8s_template, objects, deployment, objects.flow_run(deployment))
    assert len(loads) == 1


# --- ECS -----------------------------------------------------------------------------------------


def test_ecs_env_goes_into_the_flow_containers_override_and_the_task_definition_stays(ecs_template, prepare, helpers) -> None:
    from compose.prefect.worker import ComposeEcsJobConfiguration

    objects = helpers.Objects(ecs_template, "compose-ecs")
    deployment = objects.deployment({"job_profile": "batch", "env": {"TEAM": "data"}})
    specs = [prepare(ComposeEcsJobConfiguration, ecs_template, objects, deployment,
                     objects.flow_run(deployment, {"command": "prefect flow-run execute"})).spec for _ in range(2)]
    assert specs[0].task_definition == specs[1].task_definition   # one revision per profile
    assert specs[0].overrides != specs[1].overrides                # per run: the run id
    flow = [c for c in specs[0].overrides["containerOverrides"] if c["name"] == specs[0].flow_container]
    assert len(flow) == 1
    env = {e["name"]: e["value"] for e in flow[0]["environment"]}
    assert env["TEAM"] == "data" and env["PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR"] == "reschedule"
    assert env["PREFECT__FLOW_RUN_ID"] and flow[0]["command"] == ["prefect", "flow-run", "execute"]
    assert all(e["name"] != "PREFECT__FLOW_RUN_ID" for c in specs[0].task_definition["containerDefinitions"]
               for e in c.get("environment") or [])
    tags = mapping.ecs_tags({"prefect.io/flow-run-name": "crimson dolphin", "k{}": "v"})
    assert tags == {"prefect.io/flow-run-name": "crimson dolphin", "k_": "v"}
