"""ECS through the composer: per-run values in the overrides, a stable task definition,
cli-input-json, and every validation rule reported with the file that set the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RULES = yaml.safe_load((HERE / "cases" / "ecs_rules.yaml").read_text(encoding="utf-8"))


def _run(run_id: str, **kw: Any) -> Any:
    from compose.model import FlowRun

    return FlowRun(id=run_id, **kw)


# --- per-run values -----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["default", "gpu", "gpu-spot", "high-memory", "batch", "secure"])
def test_task_definition_is_byte_identical_across_runs(profile: str, default_composer: Any) -> None:
    from compose.ecs import to_cli_input_json

    a = default_composer.build({"job_profile": profile}, target="ecs", context=_run("run-a", flow_name="f1"))
    b = default_composer.build({"job_profile": profile}, target="ecs", context=_run("run-b", flow_name="f2"))
    assert to_cli_input_json(a.task_definition) == to_cli_input_json(b.task_definition)
    assert json.dumps(a.task_definition, sort_keys=True) == json.dumps(b.task_definition, sort_keys=True)
    assert a.run_task == b.run_task
    env_a = a.overrides["containerOverrides"][0]["environment"]
    assert {"name": "PREFECT__FLOW_RUN_ID", "value": "run-a"} in env_a
    assert "run-a" not in json.dumps(a.task_definition)


def test_cli_input_json_is_identical_across_two_runs(cli_run: Any) -> None:
    outs = [cli_run("build", REPO, "-t", "ecs", "--set", "job_profile=batch", "--run-id", rid, "-o", "cli-input-json")
            for rid in ("11111111", "22222222")]
    assert all(o.exit_code == 0 for o in outs), outs[0].stderr
    assert outs[0].stdout == outs[1].stdout
    assert "11111111" not in outs[0].stdout


def test_cli_input_json_is_valid_for_botocore_for_every_profile(default_composer: Any, cli_run: Any) -> None:
    from botocore.session import get_session
    from botocore.validate import ParamValidator

    shape = get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape
    for profile in default_composer.spec.profiles:
        result = cli_run("build", REPO, "-t", "ecs", "--set", f"job_profile={profile}", "-o", "cli-input-json")
        assert result.exit_code == 0 and result.stderr == "", result.stderr
        params = json.loads(result.stdout)
        report = ParamValidator().validate(params, shape)
        assert not report.has_errors(), (profile, report.generate_report())
        assert params == default_composer.build({"job_profile": profile}, target="ecs").task_definition


def test_cli_input_json_needs_the_ecs_target(cli_run: Any) -> None:
    result = cli_run("build", REPO, "-o", "cli-input-json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--target ecs" in result.stderr


def test_json_output_of_ecs_is_both_requests(cli_run: Any) -> None:
    result = cli_run("build", REPO, "-t", "ecs", "--run-id", "r1", "-o", "json")
    doc = json.loads(result.stdout)
    assert set(doc) == {"taskDefinition", "runTask"}
    assert doc["runTask"]["overrides"]["containerOverrides"][0]["name"] == "flow"


@pytest.mark.parametrize("where,name", [
    ("overlay-sidecar-env", "run.id"),
    ("overlay-family", "run.name"),
    ("base-tag", "flow.name"),
    ("base-other-container", "deployment.name"),
])
def test_run_context_outside_the_flow_env_is_an_error_naming_it(where: str, name: str, make_repo: Any) -> None:
    from compose import Composer
    from compose.errors import SpecError

    files: dict[str, Any] = {}
    base = yaml.safe_load((HERE / "fixtures/typed/bases/ecs/task-definition.yaml").read_text())
    if where == "overlay-sidecar-env":
        files["overlays/sidecar/ecs.yaml"] = {"taskDefinition": {"containerDefinitions": [
            {"name": "sidecar", "image": "busybox", "essential": False,
             "environment": [{"name": "X", "value": "run ${run.id}"}]}]}}
        want_file = "overlays/sidecar/ecs.yaml"
    elif where == "overlay-family":
        files["overlays/sidecar/ecs.yaml"] = {"taskDefinition": {"family": "typed-${run.name}"}}
        want_file = "overlays/sidecar/ecs.yaml"
    elif where == "base-tag":
        base["tags"] = [{"key": "flow", "value": "${flow.name}"}]
        files["bases/ecs/task-definition.yaml"] = base
        want_file = "bases/ecs/task-definition.yaml"
    else:
        base["containerDefinitions"].append({"name": "x", "image": "busybox", "essential": False,
                                             "environment": [{"name": "D", "value": "${deployment.name}"}]})
        files["bases/ecs/task-definition.yaml"] = base
        want_file = "bases/ecs/task-definition.yaml"
    composer = Composer.load(make_repo("typed", files))
    sets = ["debug=true"] if where.startswith("overlay") else []
    with pytest.raises(SpecError) as info:
        composer.build({}, sets=sets, target="ecs", context=_run("r1"))
    exc = info.value
    assert f"${{{name}}}" in exc.message
    assert exc.file == want_file and exc.line is not None, str(exc)
    assert exc.path is not None and exc.path[0] in ("containerDefinitions", "family", "tags")
    # Kubernetes has no such restriction: the same repo still builds the Job.
    composer.build({}, sets=sets, context=_run("r1"))


def test_spec_repo_overrides_survive_beside_per_run_env(make_repo: Any) -> None:
    """run-task.yaml's own overrides are kept: per-run env joins them, nothing is dropped."""
    from compose import Composer

    rt = yaml.safe_load((HERE / "fixtures/typed/bases/ecs/run-task.yaml").read_text())
    rt["overrides"] = {"taskRoleArn": "arn:aws:iam::123456789012:role/x",
                       "containerOverrides": [{"name": "main", "environment": [{"name": "EXTRA", "value": "1"}]}]}
    composer = Composer.load(make_repo("typed", {"bases/ecs/run-task.yaml": rt}))
    spec = composer.build({}, target="ecs", context=_run("r9"))
    req = spec.run_task_request()
    assert req["overrides"]["taskRoleArn"] == "arn:aws:iam::123456789012:role/x"
    env = req["overrides"]["containerOverrides"][0]["environment"]
    assert [e["name"] for e in env] == ["EXTRA", "RUN_ID", "RUN_NAME"]
    assert spec.documents()[0]["runTask"]["overrides"] == req["overrides"]


# --- every validation rule ----------------------------------------------------------------------

ROWS = [(group, c) for group in ("task_definition", "run_task") for c in RULES[group]]


def _repo_with(case: dict[str, Any], make_repo: Any) -> Path:
    part = json.loads(json.dumps(case["part"]))
    if case.get("tags"):
        part.setdefault("taskDefinition", {})["tags"] = [{"key": f"k{i}", "value": "v"} for i in range(case["tags"])]
    files: dict[str, Any] = {"overlays/bad/ecs.yaml": part}
    if case.get("base_run_task"):
        rt = yaml.safe_load((HERE / "fixtures/typed/bases/ecs/run-task.yaml").read_text())
        rt.update(case["base_run_task"])
        files["bases/ecs/run-task.yaml"] = {k: v for k, v in rt.items() if v is not None}

    def add(data: dict[str, Any]) -> None:
        data["overlays"].append({"name": "bad", "when": {"rule": "on"}})

    return make_repo("typed", files, compose_patch=add)


@pytest.mark.parametrize("group,case", ROWS, ids=[f"{g}-{c['name']}" for g, c in ROWS])
def test_rule_fires_through_the_composer(group: str, case: dict[str, Any], make_repo: Any) -> None:
    from compose import Composer
    from compose.errors import ValidationError

    composer = Composer.load(_repo_with(case, make_repo))
    composer.build({}, target="ecs")  # without the overlay: valid
    with pytest.raises(ValidationError) as info:
        composer.build({"rule": "on"}, target="ecs", sets=case.get("sets"))
    sources = {p.source for p in info.value.problems}
    for rule_id in case["expect"]:
        assert f"ecs.{rule_id}" in sources, info.value.format()
    for p in info.value.problems:
        assert p.file in ("overlays/bad/ecs.yaml", "bases/ecs/task-definition.yaml", "bases/ecs/run-task.yaml"), str(p)
        assert p.line is not None, str(p)
    text = info.value.format()
    assert text.count("\n  - ") == len(info.value.problems)


def test_every_rule_of_the_ecs_validator_is_covered() -> None:
    from compose.ecs.rules import RUN_TASK_RULES, TASK_DEFINITION_RULES

    covered = {r for c in RULES["task_definition"] + RULES["run_task"] for r in c["expect"]}
    ids = {getattr(fn, "rule_id") for fn in list(TASK_DEFINITION_RULES) + list(RUN_TASK_RULES)}
    assert ids <= covered, ids - covered
    assert {"unknown", "type", "enum", "required", "length"} <= covered


@pytest.mark.parametrize("name,file,line", [
    ("container-ref", "overlays/bad/ecs.yaml", 5),
    ("fargate-network-mode", "overlays/bad/ecs.yaml", 2),
    ("model-length-51-tags", "overlays/bad/ecs.yaml", 3),
    ("fargate-size", "bases/ecs/task-definition.yaml", 5),
])
def test_problem_names_the_file_and_line_that_set_the_field(name: str, file: str, line: int,
                                                            make_repo: Any, cli_run: Any) -> None:
    case = next(c for c in RULES["task_definition"] if c["name"] == name)
    root = _repo_with(case, make_repo)
    args: list[Any] = ["build", root, "-t", "ecs", "--set", "rule=on"]
    for s in case.get("sets") or []:
        args += ["--set", s]
    result = cli_run(*args)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"  - {file}:{line}: [ecs." in result.stderr, result.stderr


def test_validation_error_of_a_kubernetes_value_names_the_file(make_repo: Any) -> None:
    """A per-build value problem (a string where the schema wants an integer) has a location too."""
    from compose import Composer
    from compose.errors import ValidationError

    job = (HERE / "fixtures/typed/bases/kubernetes/job.yaml").read_text()
    job = job.replace("backoffLimit: ${count}", "backoffLimit: ${note}")
    composer = Composer.load(make_repo("typed", {"bases/kubernetes/job.yaml": job}))
    with pytest.raises(ValidationError) as info:
        composer.build({"note": "many"})
    (p,) = info.value.problems
    assert p.path == ("spec", "backoffLimit")
    assert p.file == "bases/kubernetes/job.yaml" and p.line == 12, str(p)
