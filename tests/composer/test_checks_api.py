"""The library side of issue 9's checks: warnings hook, strict mode, validate's witnesses."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO / "compose.yaml", root / "compose.yaml")
    shutil.copytree(REPO / "bases", root / "bases")
    shutil.copytree(REPO / "overlays", root / "overlays")
    return root


def test_unknown_keys_reach_the_warning_hook(repo: Path) -> None:
    from compose import Composer

    seen: list[Any] = []
    composer = Composer.load(repo, on_warning=seen.append)
    composer.build({"memroy": "8Gi", "spot": True})
    assert [str(p) for p in seen] == [
        "metadata key 'memroy' (from run) is not a declared parameter and nothing reads it; did you mean 'memory'?"]


def test_strict_composer_refuses_unknown_keys(repo: Path) -> None:
    from compose import Composer
    from compose.errors import SpecError

    composer = Composer.load(repo, strict=True)
    with pytest.raises(SpecError, match="did you mean 'memory'"):
        composer.build({"memroy": "8Gi"})
    assert composer.build({"memory": "8Gi"}).job["kind"] == "Job"


def test_strict_load_refuses_a_condition_on_an_undeclared_key(repo: Path) -> None:
    from compose import Composer
    from compose.errors import SpecError

    text = (repo / "compose.yaml").read_text().replace("when: {spot: true}", "when: {spto: true}")
    (repo / "compose.yaml").write_text(text)
    seen: list[Any] = []
    Composer.load(repo, on_warning=seen.append)
    assert len(seen) == 1 and "did you mean 'spot'" in seen[0].message and seen[0].line
    with pytest.raises(SpecError, match="spto"):
        Composer.load(repo, strict=True)


def test_every_witness_selects_its_set() -> None:
    from compose import Composer
    from compose.spec import select
    from compose.spec.metadata import MetadataLayer

    composer = Composer.load(REPO)
    report = composer.validate_report()
    assert report.ok() and not report.warnings
    witnessed = [s for s in report.sets if s.selected_by is not None]
    assert len(witnessed) >= 100
    for s in witnessed:
        selection = select(composer.spec, [MetadataLayer("check", s.selected_by)])
        assert tuple(o.name for o in selection.overlays_for(s.target)) == s.overlays, s.label
    # the profile's own set is found with the profile alone
    gpu = [s for s in witnessed if s.target == "kubernetes" and s.overlays == ("gpu", "service-account")]
    assert gpu[0].selected_by == {"job_profile": "gpu"}


def test_validate_starts_from_the_given_metadata() -> None:
    from compose import Composer

    report = Composer.load(REPO).validate_report({"job_profile": "batch"}, target="ecs")
    assert {s.target for s in report.sets} == {"ecs"}
    for s in report.sets:
        if s.selected_by is not None:
            assert "job_profile" not in s.selected_by  # fixed by the given metadata
            assert "spot" in s.overlays  # batch lists spot


def test_profile_default_selects_the_profile(repo: Path) -> None:
    from compose import Composer

    text = (repo / "compose.yaml").read_text().replace(
        "    default: default\n    description: Named combination", "    default: gpu\n    description: Named combination")
    (repo / "compose.yaml").write_text(text)
    composer = Composer.load(repo)
    ex = composer.explain({})
    assert ex.selection.profile is not None and ex.selection.profile.name == "gpu"
    assert ex.lines()[1] == "profile: gpu  (from the default of job_profile)"
    assert "gpu" in [o.name for o in ex.selection.overlays]


@pytest.mark.parametrize("path,rule", [
    (("spec", "template", "spec", "nodeSelector", "pool"), "label-value"),
    (("spec", "template", "metadata", "labels", "team"), "label-value"),
    (("spec", "template", "spec", "containers", 0, "envFrom", 0, "configMapRef", "name"), "dns1123-subdomain"),
    (("spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName"), "dns1123-subdomain"),
    (("spec", "template", "spec", "containers", 0, "env", 0, "valueFrom", "secretKeyRef", "key"), "config-map-key"),
    (("spec", "template", "spec", "serviceAccountName"), "dns1123-subdomain"),
    (("spec", "template", "spec", "containers", 0, "image"), None),
    (("data", "labels", "x"), None),
])
def test_format_rules(path: tuple[Any, ...], rule: str | None) -> None:
    from compose.k8s.apiserver import format_rule

    assert format_rule(path) == rule


@pytest.mark.parametrize("rule,value,ok", [
    ("dns1123-subdomain", "flow-secrets", True), ("dns1123-subdomain", "Flow_Secrets", False),
    ("dns1123-subdomain", "a." * 130, False), ("label-value", "", True), ("label-value", "NVIDIA-A10G", True),
    ("label-value", "NVIDIA A10G", False), ("label-value", "x" * 64, False), ("config-map-key", "api.url", True),
    ("config-map-key", "api/url", False), ("env-name", "A=B", False), ("dns1123-label", "flow", True),
])
def test_formats(rule: str, value: str, ok: bool) -> None:
    from compose.k8s.apiserver import check_format

    assert (check_format(rule, value) is None) is ok


def test_plain_kustomization_with_an_imageless_container_matches_kubectl(tmp_path: Path, cli_run: Any) -> None:
    """The API-server checks belong to spec repos: a plain kustomization builds as kubectl does."""
    import subprocess

    import yaml

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on the PATH")
    (tmp_path / "kustomization.yaml").write_text("resources: [job.yaml]\npatches:\n- path: patch.yaml\n")
    (tmp_path / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n"
        "      restartPolicy: Never\n      containers:\n      - {name: flow, image: busybox}\n")
    (tmp_path / "patch.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: flwo\n        env: [{name: A, value: '1'}]\n")
    ours = cli_run("build", tmp_path)
    assert ours.exit_code == 0 and ours.stderr == ""
    theirs = subprocess.run([kubectl, "kustomize", str(tmp_path)], capture_output=True, text=True, check=True)
    assert yaml.safe_load(ours.stdout) == yaml.safe_load(theirs.stdout)
