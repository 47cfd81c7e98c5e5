"""Golden builds of the embedded default spec repo, plus checks that the goldens are right.

The goldens under golden/ are `compose build` output for the cases in golden/cases.yaml
(regenerate with regen.py and review by eye). Beyond byte equality, each golden is checked
for what makes it correct: a Kubernetes Job valid for the declared version (and for the
kubernetes-validate strict schema), the flow container found by name carrying the run id,
named after the run; an ECS task definition and RunTask request that botocore accepts, with
per-run values only in the overrides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml



HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES = yaml.safe_load((HERE / "golden" / "cases.yaml").read_text(encoding="utf-8"))
BY_NAME = {c["name"]: c for c in CASES}


def _golden(case: dict[str, Any]) -> str:
    return (HERE / "golden" / f"{case['name']}.{case.get('format', 'yaml')}").read_text(encoding="utf-8")


def _parsed(case: dict[str, Any]) -> Any:
    text = _golden(case)
    return json.loads(text) if case.get("format") == "json" else list(yaml.safe_load_all(text))


def _flow(containers: list[dict[str, Any]]) -> dict[str, Any]:
    found = [c for c in containers if c.get("name") == "flow"]
    assert len(found) == 1, [c.get("name") for c in containers]
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_build_matches_golden(case: dict[str, Any], regen: Any) -> None:
    code, out, err = regen.run_case(case)
    assert code == 0, err
    assert err == ""
    assert out == _golden(case), f"golden/{case['name']} differs; run tests/composer/regen.py and review"


def test_every_profile_has_a_golden_per_target(default_composer: Any) -> None:
    for target in ("kubernetes", "ecs"):
        covered = {s.split("=", 1)[1] for c in CASES if c["target"] == target
                   for s in c.get("sets") or [] if s.startswith("job_profile=")}
        covered |= {"default"}
        assert covered >= set(default_composer.spec.profiles), target


K8S = [c for c in CASES if c["target"] == "kubernetes"]
ECS = [c for c in CASES if c["target"] == "ecs"]


@pytest.mark.parametrize("case", K8S, ids=[c["name"] for c in K8S])
def test_kubernetes_golden_is_a_valid_job(case: dict[str, Any]) -> None:
    from compose.k8s import validate_object
    from compose.spec import dns1123_label

    docs = _parsed(case)
    assert len(docs) == 1
    job = docs[0]
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert validate_object(job, version="1.32") == []
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    flow = _flow(pod["containers"])
    env = {e["name"]: e.get("value") for e in flow.get("env", [])}
    run_id = case.get("run_id")
    name = job["metadata"]["name"]
    assert len(name) <= 63 and dns1123_label(name) == name
    for labels in (job["metadata"]["labels"], job["spec"]["template"]["metadata"]["labels"]):
        for value in labels.values():
            assert len(value) <= 63
    if run_id:
        assert env["PREFECT__FLOW_RUN_ID"] == run_id
        assert job["metadata"]["annotations"]["compose.dev/run-id"] == run_id
        assert job["spec"]["template"]["metadata"]["annotations"]["compose.dev/run-id"] == run_id
        assert name.startswith("flow-run-") and name != "flow-run"
    else:
        assert name == "flow-run"
        assert "compose.dev/run-id" not in job["metadata"]["labels"]
    # Every overlay's toleration is appended, none lost: one per tolerating overlay applied.
    sets = case.get("sets") or []
    expected_keys = []  # in the declared overlay order: high-memory, spot, gpu
    if "memory=32Gi" in sets or "job_profile=high-memory" in sets:
        expected_keys.append("compose.dev/high-memory")
    if any(s in sets for s in ("spot=true", "job_profile=gpu-spot", "job_profile=batch")):
        expected_keys.append("compose.dev/spot")
    if any(s in sets for s in ("job_profile=gpu", "job_profile=gpu-spot")):
        expected_keys.append("nvidia.com/gpu")
    assert [t["key"] for t in pod.get("tolerations", [])] == expected_keys


def test_kubernetes_goldens_pass_kubernetes_validate_strict() -> None:
    """An independent oracle: kubernetes-validate's strict 1.32 schema."""
    kv = pytest.importorskip("kubernetes_validate")
    for case in K8S:
        for doc in _parsed(case):
            kv.validate(doc, "1.32", strict=True)


_GPU = {"k8s-gpu", "k8s-gpu-spot", "k8s-everything", "k8s-preview"}


@pytest.mark.parametrize("case", [c for c in K8S if c["name"] not in _GPU],
                         ids=[c["name"] for c in K8S if c["name"] not in _GPU])
def test_kubernetes_golden_round_trips_through_v1job(case: dict[str, Any]) -> None:
    from compose.k8s import from_model, to_v1job

    job = _parsed(case)[0]
    assert from_model(to_v1job(job)) == job


@pytest.mark.parametrize("name", sorted(_GPU))
def test_gpu_golden_round_trips_through_v1job(name: str) -> None:
    from compose.k8s import from_model, to_v1job

    job = _parsed(BY_NAME[name])[0]
    assert from_model(to_v1job(job)) == job


@pytest.mark.parametrize("case", [c for c in ECS if c.get("format") != "json"],
                         ids=[c["name"] for c in ECS if c.get("format") != "json"])
def test_ecs_golden_is_valid_for_botocore(case: dict[str, Any]) -> None:
    from botocore.session import get_session
    from botocore.validate import ParamValidator

    from compose.ecs import validate_run_task, validate_task_definition

    (doc,) = _parsed(case)
    td, rt = doc["taskDefinition"], doc["runTask"]
    model = get_session().get_service_model("ecs")
    report = ParamValidator().validate(td, model.operation_model("RegisterTaskDefinition").input_shape)
    assert not report.has_errors(), report.generate_report()
    req = {"taskDefinition": td["family"], **rt}
    report = ParamValidator().validate(req, model.operation_model("RunTask").input_shape)
    assert not report.has_errors(), report.generate_report()
    assert validate_task_definition(td) == []
    assert validate_run_task(req, td) == []
    # The run id is only in the overrides, for the flow container found by name.
    assert "run-0001" not in json.dumps(td)
    (override,) = rt["overrides"]["containerOverrides"]
    assert override["name"] == "flow"
    assert override["environment"] == [{"name": "PREFECT__FLOW_RUN_ID", "value": "run-0001"}]
    assert _flow(td["containerDefinitions"])["essential"] is True


def test_cli_input_json_golden_is_the_task_definition_of_the_yaml_golden() -> None:
    as_json = _parsed(BY_NAME["ecs-cli-input-json-gpu"])
    (doc,) = _parsed(BY_NAME["ecs-gpu"])
    assert as_json == doc["taskDefinition"]


def test_goldens_have_no_leftover_placeholders() -> None:
    for case in CASES:
        assert "${" not in _golden(case), case["name"]


def test_golden_repo_is_the_repository_root() -> None:
    assert (REPO / "compose.yaml").is_file()
