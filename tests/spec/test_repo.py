"""Loading compose.yaml: the good fixture repo, and every kind of load error (cases/repo_errors.yaml)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from compose.errors import ComposeError, SpecError, ValidationError, YAMLSyntaxError
from compose.spec.quantity import parse_quantity
from compose.spec.repo import SpecRepo, load_spec

FIXTURE = Path(__file__).parent / "fixtures" / "repo"
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "repo_errors.yaml").read_text())
STANDARD_PARAMETERS = """
parameters:
  memory: {type: quantity, default: 2Gi}
  cpu: {type: quantity, default: "1"}
  gpus: {type: integer, default: 0}
  image: {type: string, default: x}
  debug: {type: boolean, default: false}
"""


def test_the_fixture_repo_loads() -> None:
    spec = load_spec(FIXTURE)
    assert isinstance(spec, SpecRepo)
    assert spec.file == str(FIXTURE / "compose.yaml")
    assert spec.description == "Test repo for compose.spec"
    assert spec.flow_container == "flow" and spec.profile_key == "job_profile" and spec.merge_order == "server"
    k8s, ecs = spec.targets["kubernetes"], spec.targets["ecs"]
    assert k8s.base == ((FIXTURE / "bases/kubernetes").resolve(),) and k8s.base_is_dir and k8s.version == "1.32"
    assert ecs.version is None and ecs.line == 13
    assert list(spec.parameters) == ["job_profile", "memory", "cpu", "gpus", "image", "debug"]
    assert spec.parameters["memory"].default == parse_quantity("2Gi")
    assert spec.parameters["memory"].line == 20
    assert [o.name for o in spec.overlays] == ["gpu", "highmem", "spot", "logging"]
    assert [o.index for o in spec.overlays] == [0, 1, 2, 3]
    gpu = spec.overlay("gpu")
    assert gpu.targets() == ("kubernetes", "ecs")
    assert gpu.path == (FIXTURE / "overlays/gpu").resolve()
    assert gpu.ecs == gpu.path / "ecs.yaml" and gpu.kubernetes == gpu.path
    assert gpu.description == "One NVIDIA GPU" and gpu.when is not None and gpu.when.describe() == "gpus > 0"
    assert spec.overlay("spot").when is None
    assert spec.overlay("highmem").targets() == ("kubernetes",)
    assert spec.profiles["gpu"].overlays == ("gpu", "spot")
    assert spec.profiles["gpu"].parameters == {"gpus": 1, "memory": parse_quantity("16Gi")}
    assert spec.profiles["batch"].overlays == ("spot",) and spec.profiles["default"].overlays == ()
    assert spec.line_of(("profiles", "gpu")) == 55
    with pytest.raises(SpecError, match="no overlay named 'nope'"):
        spec.overlay("nope")


def test_placeholders_are_collected_with_their_files() -> None:
    spec = load_spec(FIXTURE)
    by_file: dict[str, set[str]] = {}
    for file, use in spec.placeholders:
        by_file.setdefault(Path(file).relative_to(FIXTURE).as_posix(), set()).add(use.name)
    assert by_file == {
        "bases/kubernetes/job.yaml": {"run.id", "flow.name", "image", "cpu", "memory", "debug"},
        "bases/ecs/task-definition.yaml": {"cpu", "memory", "image"},
        "overlays/gpu/gpu.yaml": {"gpus"},
        "overlays/gpu/ecs.yaml": {"gpus"},
    }


def test_check_files_can_be_skipped(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    (repo / "overlays/gpu/gpu.yaml").write_text("a: ${nothing}\n")
    with pytest.raises(SpecError, match="nothing"):
        load_spec(repo)
    assert load_spec(repo, check_files=False).placeholders == ()


def test_missing_compose_yaml(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no compose.yaml in") as info:
        load_spec(tmp_path)
    assert info.value.file == str(tmp_path / "compose.yaml")


def test_malformed_compose_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("apiVersion: x\nkind: [\n")
    with pytest.raises(YAMLSyntaxError) as info:
        load_spec(tmp_path)
    assert info.value.file == str(tmp_path / "compose.yaml") and info.value.line == 3
    (tmp_path / "compose.yaml").write_text("a: 1\n---\nb: 2\n")
    with pytest.raises(SpecError, match="exactly one YAML document"):
        load_spec(tmp_path)


def _write_case(tmp_path: Path, case: dict[str, Any]) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    text = case["compose"]
    if "parameters:" not in text and isinstance(yaml.safe_load(text), dict):
        text += STANDARD_PARAMETERS
    (repo / "compose.yaml").write_text(text)
    for rel, content in (case.get("files") or {}).items():
        target = repo / rel
        if content is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
    return repo


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_load_errors(tmp_path: Path, case: dict[str, Any]) -> None:
    repo = _write_case(tmp_path, case)
    with pytest.raises(ComposeError) as info:
        load_spec(repo)
    err = info.value
    assert isinstance(err, SpecError)
    problems = err.problems if isinstance(err, ValidationError) else None
    if problems is None:  # one problem: a plain SpecError with its location
        got = [(err.file, err.line, err.message)]
    else:
        got = [(p.file, p.line, p.message) for p in problems]
    expected = case["problems"]
    assert len(got) == len(expected), "\n".join(str(g) for g in got)
    for (file, line, message), (efile, eline, fragment) in zip(got, expected):
        assert file == str(repo / efile), (file, efile)
        assert line == eline, (message, line, eline)
        assert fragment in message, (message, fragment)
    text = str(err)
    assert "compose.yaml" in text or all(e[0] != "compose.yaml" for e in expected)
