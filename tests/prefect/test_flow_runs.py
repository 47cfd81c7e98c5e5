"""Flow runs through the compose job configurations, offline, on Prefect's schema objects."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect", reason="the prefect extra is not installed (pip install -e '.[test,prefect]')")
import yaml

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "flow_runs.yaml").read_text())["cases"]


def _with_pool_defaults(template: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(template)
    for name, value in defaults.items():
        template["variables"]["properties"][name]["default"] = value
    return template


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_flow_run_case(case: dict[str, Any], k8s_template, prepare, helpers) -> None:
    from compose.prefect.worker import ComposeKubernetesJobConfiguration

    template = _with_pool_defaults(k8s_template, case.get("pool") or {})
    objects = helpers.Objects(template)
    deployment = objects.deployment(case.get("deployment"))
    run = objects.flow_run(deployment, case.get("run"))
    config = prepare(ComposeKubernetesJobConfiguration, template, objects, deployment, run)
    expect = case["expect"]
    if "error" in expect:
        assert config.spec is None
        assert expect["error"] in str(config.compose_error)
        return
    assert config.compose_error is None, str(config.compose_error)
    job = config.spec.job
    assert job["metadata"]["name"] == f"flow-run-{run.id}"
    containers = [c["name"] for c in job["spec"]["template"]["spec"]["containers"]]
    if "containers" in expect:
        assert sorted(containers) == sorted(expect["containers"])
    params = config.explain().selection.params
    for name, source in (expect.get("sources") or {}).items():
        assert params.sources[name] == source, name
    for name, value in (expect.get("values") or {}).items():
        assert str(params.values[name]) == str(value), name
    if "tolerations" in expect:
        assert len(job["spec"]["template"]["spec"].get("tolerations") or []) == expect["tolerations"]
    env = helpers.env_of(helpers.flow_container(job))
    for name, value in (expect.get("env") or {}).items():
        if value is None:
            assert name not in env
        else:
            assert env[name] == value, name
    for name, value in (expect.get("labels") or {}).items():
        assert job["metadata"]["labels"][name] == value
        assert job["spec"]["template"]["metadata"]["labels"][name] == value
    if "command" in expect:
        assert helpers.flow_container(job)["command"] == expect["command"]
    # Prefect's own run environment always reaches the flow container.
    assert env["PREFECT__FLOW_RUN_ID"] == str(run.id)
    assert job["metadata"]["labels"]["prefect.io/flow-run-id"] == str(run.id)


def _reading_prefect(tmp_path: Path, helpers) -> Path:
    """A copy of the embedded spec repo whose log-sidecar overlay also applies on work queue gpu."""
    import shutil

    root = tmp_path / "specs"
    for part in ("bases", "overlays"):
        shutil.copytree(helpers.REPO / part, root / part)
    text = (helpers.REPO / "compose.yaml").read_text()
    assert "  when: {ship_logs: true}\n" in text
    (root / "compose.yaml").write_text(text.replace(
        "  when: {ship_logs: true}\n", "  when: {any: [{ship_logs: true}, {prefect.work_queue: gpu}]}\n"))
    return root


def test_layers_are_named_lowest_first_with_the_prefect_context(k8s_template, prepare, helpers, tmp_path) -> None:
    from compose.prefect.template import base_job_template
    from compose.prefect.worker import ComposeKubernetesJobConfiguration

    root = _reading_prefect(tmp_path, helpers)
    template = _with_pool_defaults(base_job_template(root, "kubernetes"), {"job_profile": "gpu", "spec_repo": str(root)})
    objects = helpers.Objects(template)
    deployment = objects.deployment({"memory": "8Gi"}, tags=["etl"])
    run = objects.flow_run(deployment, {"spot": True}, tags=["nightly"], work_queue_name="gpu")
    config = prepare(ComposeKubernetesJobConfiguration, template, objects, deployment, run)
    assert config.compose_error is None, str(config.compose_error)
    names = [name for name, _ in config.layers]
    assert names == ["prefect context", "work pool 'cpool'", "deployment 'nightly'", "flow run 'crimson-dolphin'"]
    prefect = config.layers[0][1]["prefect"]
    assert prefect == {"tags": {"nightly": True, "etl": True}, "work_queue": "gpu", "work_pool": "cpool",
                       "flow": "etl", "deployment": "nightly"}
    explained = "\n".join(config.explain().lines())
    assert "(from work pool 'cpool')" in explained and "(from flow run 'crimson-dolphin')" in explained
    containers = [c["name"] for c in config.spec.job["spec"]["template"]["spec"]["containers"]]
    assert "log-shipper" in containers                  # selected by prefect.work_queue


def test_a_spec_repo_reading_no_prefect_key_gets_no_prefect_context(k8s_template, prepare, helpers, caplog) -> None:
    """The embedded default reads no prefect.* key: the worker adds no layer it would warn about
    on every run (or refuse, under unknownKeys: error)."""
    from compose.prefect.worker import ComposeKubernetesJobConfiguration

    template = _with_pool_defaults(k8s_template, {"job_profile": "gpu"})
    objects = helpers.Objects(template)
    deployment = objects.deployment({"memory": "8Gi"}, tags=["etl"])
    run = objects.flow_run(deployment, {"spot": True}, tags=["nightly"], work_queue_name="gpu")
    with caplog.at_level("WARNING", logger="compose"):
        config = prepare(ComposeKubernetesJobConfiguration, template, objects, deployment, run)
    assert [name for name, _ in config.layers] == ["work pool 'cpool'", "deployment 'nightly'", "flow run 'crimson-dolphin'"]
    assert config.compose_error is None
    assert [r.getMessage() for r in caplog.records if r.name.startswith("compose")] == []


def test_run_context_names_the_job_and_fills_run_placeholders(k8s_template, prepare, helpers) -> None:
    from compose.prefect.worker import ComposeKubernetesJobConfiguration

    objects = helpers.Objects(k8s_template)
    deployment = objects.deployment()
    run = objects.flow_run(deployment, labels={"team": "data"})
    config = prepare(ComposeKubernetesJobConfiguration, k8s_template, objects, deployment, run)
    job = config.spec.job
    assert job["metadata"]["labels"]["compose.dev/run-id"] == str(run.id)
    assert job["metadata"]["labels"]["compose.dev/flow-name"] == "etl"
    assert job["metadata"]["labels"]["compose.dev/deployment"] == "nightly"
    assert config.spec.run_id == str(run.id)


def test_the_same_flow_run_prepared_twice_gives_the_same_job(k8s_template, prepare, helpers) -> None:
    # A second hand-out resolves the run again: the Job (name included) must not change.
    from compose.prefect.worker import ComposeKubernetesJobConfiguration

    objects = helpers.Objects(k8s_template)
    deployment = objects.deployment({"job_profile": "gpu"})
    run = objects.flow_run(deployment, {"memory": "32Gi"})
    first = prepare(ComposeKubernetesJobConfiguration, k8s_template, objects, deployment, run).spec.job
    second = prepare(ComposeKubernetesJobConfiguration, k8s_template, objects, deployment, run).spec.job
    assert first == second
