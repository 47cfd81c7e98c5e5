"""The pool template generated from compose.yaml, checked with Prefect's own validators."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect", reason="the prefect extra is not installed (pip install -e '.[test,prefect]')")

from compose.errors import SpecError


def _valid(values: dict[str, Any], template: dict[str, Any]) -> bool:
    # What the Prefect server runs on a deployment's / flow run's job variables.
    from prefect.utilities.schema_tools.validation import ValidationError, validate

    try:
        validate(values, template["variables"], raise_on_error=True, preprocess=True,
                 ignore_required=True, allow_none_with_default=True)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("target", ["kubernetes", "ecs"])
def test_prefect_accepts_the_template(target: str, helpers) -> None:
    from prefect.server.schemas.actions import WorkPoolCreate, validate_base_job_template
    from prefect.utilities.schema_tools.validation import is_valid_schema

    from compose.prefect.template import base_job_template

    template = base_job_template(helpers.REPO, target)
    assert validate_base_job_template(template) is template
    is_valid_schema(template["variables"], preprocess=False)
    WorkPoolCreate(name="p", type=f"compose-{target}", base_job_template=template)
    assert template["variables"]["properties"]["spec_repo"]["default"] == str(helpers.REPO)


def test_each_parameter_is_a_typed_variable_without_a_copied_default(k8s_template) -> None:
    props = k8s_template["variables"]["properties"]
    assert props["job_profile"]["enum"] == ["default", "gpu", "gpu-spot", "high-memory", "batch", "secure"]
    assert props["gpu_count"]["type"] == "integer"
    assert (props["gpu_count"]["minimum"], props["gpu_count"]["maximum"]) == (1, 8)
    assert props["spot"]["type"] == "boolean"
    assert props["image"]["pattern"].startswith("^(?:") and props["image"]["pattern"].endswith(")$")
    assert "512Mi..120Gi" in props["memory"]["description"]
    assert "compose default: 2Gi" in props["memory"]["description"]
    for name in ("job_profile", "memory", "gpu_count", "spot", "image"):
        assert "default" not in props[name], name


@pytest.mark.parametrize(
    ("values", "ok"),
    [
        ({"job_profile": "gpu"}, True),
        ({"job_profile": "gpux"}, False),
        ({"gpu_count": 8}, True),
        ({"gpu_count": 9}, False),
        ({"gpu_count": "2"}, False),
        ({"memory": "32Gi"}, True),
        ({"memory": 2}, True),
        ({"memory": "lots"}, False),
        ({"spot": True}, True),
        ({"spot": "yes"}, False),
        ({"image": "ghcr.io/acme/flows:1.4"}, True),
        ({"image": "Bad Image"}, False),
        ({"image": "x y:1 ghcr.io/acme/flows:1.4"}, False),   # the pattern is anchored
        ({"metadata": {"spot": True}}, True),
        ({"metadata": [1]}, False),
        ({"env": {"A": "1"}, "labels": {"team": "data"}, "namespace": "flows"}, True),
    ],
)
def test_the_server_side_check_of_job_variables(values: dict[str, Any], ok: bool, k8s_template) -> None:
    assert _valid(values, k8s_template) is ok


def test_pool_defaults_are_checked_and_written(helpers) -> None:
    from compose.prefect.template import base_job_template

    template = base_job_template(helpers.REPO, defaults={"job_profile": "gpu", "namespace": "flows"},
                                 spec_repo="/srv/specs")
    props = template["variables"]["properties"]
    assert props["job_profile"]["default"] == "gpu"
    assert props["namespace"]["default"] == "flows"
    assert props["spec_repo"]["default"] == "/srv/specs"
    with pytest.raises(SpecError, match="gpux is not one of"):
        base_job_template(helpers.REPO, defaults={"job_profile": "gpux"})
    with pytest.raises(SpecError, match="unknown job variable 'nope'"):
        base_job_template(helpers.REPO, defaults={"nope": 1})


def _spec_repo(tmp_path: Path, parameters: str) -> Path:
    from compose.scaffold import scaffold

    root = tmp_path / "specs"
    scaffold(root)
    text = (root / "compose.yaml").read_text()
    (root / "compose.yaml").write_text(text.replace("parameters:\n", "parameters:\n" + parameters, 1))
    return root


def test_a_parameter_named_like_a_worker_variable_is_refused(tmp_path: Path) -> None:
    from compose.prefect.template import base_job_template

    root = _spec_repo(tmp_path, "  namespace: {type: string, default: x}\n")
    with pytest.raises(SpecError, match="parameter 'namespace' has the name of a job variable") as info:
        base_job_template(root)
    assert info.value.file and info.value.line
    # the same name is no worker variable of an ECS pool (the scaffold declares both targets)
    assert base_job_template(root, "ecs")["variables"]["properties"]["namespace"]["type"] == "string"


def _compose(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compose", *args], capture_output=True, text=True)


def test_cli_template_prints_json_prefect_accepts(helpers) -> None:
    from prefect.server.schemas.actions import validate_base_job_template

    out = _compose("prefect", "template", str(helpers.REPO), "-t", "ecs", "--default", "spot=true")
    assert out.returncode == 0, out.stderr
    template = json.loads(out.stdout)
    validate_base_job_template(template)
    assert template["variables"]["properties"]["spot"]["default"] is True
    assert "ecs_region" in template["job_configuration"]


def test_cli_template_errors_are_one_line_on_stderr(helpers) -> None:
    out = _compose("prefect", "template", str(helpers.REPO), "--default", "job_profile=gpux")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith("compose: error:") and "gpux" in out.stderr and "Traceback" not in out.stderr
    out = _compose("prefect", "template", str(helpers.REPO), "--default", "novalue")
    assert out.returncode == 2 and out.stdout == ""


def test_compose_cli_and_build_do_not_import_prefect(helpers) -> None:
    code = (
        "import sys, compose.cli, compose.prefect, compose.prefect.template\n"
        "from compose.prefect.template import base_job_template\n"
        f"base_job_template({str(helpers.REPO)!r})\n"
        "print(','.join(m for m in ('prefect', 'kubernetes', 'boto3') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_prefect_finds_the_worker_types_through_the_entry_point() -> None:
    from importlib.metadata import entry_points

    points = [ep for ep in entry_points(group="prefect.collections") if ep.value == "compose.prefect.worker"]
    assert points, "the prefect.collections entry point is not installed (pip install -e '.[prefect]')"
    code = (
        "from prefect.plugins import load_prefect_collections\n"
        "load_prefect_collections()\n"
        "from prefect.workers.base import BaseWorker\n"
        "print(BaseWorker.get_worker_class_from_type('compose-kubernetes').__name__,"
        " BaseWorker.get_worker_class_from_type('compose-ecs').__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ComposeKubernetesWorker", "ComposeEcsWorker"]


def test_default_template_from_the_environment(monkeypatch, helpers) -> None:
    # `prefect work-pool create --type compose-kubernetes` without --base-job-template
    from compose.prefect.worker import ComposeKubernetesWorker

    bare = ComposeKubernetesWorker.get_default_base_job_template()
    assert "job_profile" not in bare["variables"]["properties"]
    monkeypatch.setenv("COMPOSE_PREFECT_SPEC_REPO", str(helpers.REPO))
    full = ComposeKubernetesWorker.get_default_base_job_template()
    assert full["variables"]["properties"]["job_profile"]["enum"][0] == "default"


def test_the_entry_point_module_imports_cheaply() -> None:
    # Prefect imports every collection in many CLI commands: the worker module must not load
    # the composer, the Kubernetes client or boto3 (they load on the first flow run).
    code = (
        "import sys, compose.prefect.worker\n"
        "print(','.join(m for m in ('compose.composer', 'kubernetes', 'boto3', 'botocore') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
