"""The Kubernetes part under ``merge: {order: kustomize}`` equals `kubectl kustomize`.

fixtures/plain has no placeholders, so its build for a set of overlays must be exactly what
kubectl (Kustomize v5.5) prints for a kustomization with the base in ``resources`` and the
selected overlays, in declared order, in ``components``. Also: `compose build DIR` on a plain
kustomization directory prints what `kubectl kustomize DIR` prints.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
PLAIN = HERE / "fixtures" / "plain"

SELECTIONS: list[tuple[str, list[str]]] = [
    ("default", []),
    ("tier=large", ["tier=large"]),
    ("sidecar", ["sidecar=true"]),
    ("profile-mixed", ["job_profile=mixed"]),
    ("profile-all", ["job_profile=all"]),
    ("sidecar+large", ["sidecar=true", "tier=large"]),
]


def _kubectl_build(kubectl: str, root: Path, components: list[str]) -> str:
    oracle = root / "oracle"
    oracle.mkdir()
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../bases/kubernetes"],
    }
    if components:
        kustomization["components"] = [f"../overlays/{c}" for c in components]
    (oracle / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
    done = subprocess.run([kubectl, "kustomize", str(oracle)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def plain_composer() -> Any:
    from compose import Composer

    return Composer.load(PLAIN)


@pytest.mark.parametrize("label,sets", SELECTIONS, ids=[s[0] for s in SELECTIONS])
def test_kustomize_order_build_equals_kubectl(label: str, sets: list[str], plain_composer: Any,
                                               kubectl: str, tmp_path: Path) -> None:
    from compose.yamlio import dump_documents

    spec = plain_composer.build({}, sets=sets)
    selection = [o.name for o in plain_composer.explain({}, sets=sets).selection.overlays_for("kubernetes")]
    root = tmp_path / "repo"
    shutil.copytree(PLAIN, root)
    expected = _kubectl_build(kubectl, root, selection)
    assert yaml.safe_load_all(expected) is not None
    assert list(yaml.safe_load_all(dump_documents(spec.documents()))) == list(yaml.safe_load_all(expected))
    assert dump_documents(spec.documents()) == expected


def test_kustomize_order_puts_a_new_sidecar_first_and_flow_is_found_by_name(plain_composer: Any) -> None:
    spec = plain_composer.build({}, sets=["sidecar=true"], context=None)
    names = [c["name"] for c in spec.job["spec"]["template"]["spec"]["containers"]]
    assert names == ["sidecar", "flow"]
    run = plain_composer.build({}, sets=["sidecar=true"], context=_run("r-1"))
    assert run.job["metadata"]["name"].startswith("plain-r-1")


def test_selection_under_profile_all_keeps_declared_order(plain_composer: Any) -> None:
    ex = plain_composer.explain({}, sets=["job_profile=mixed"])
    assert [o.name for o in ex.selection.overlays_for("kubernetes")] == ["env", "sidecar", "tolerate"]


def _run(run_id: str) -> Any:
    from compose.model import FlowRun

    return FlowRun(id=run_id)


def test_compose_build_on_a_plain_kustomization_dir_matches_kubectl(kubectl: str, cli_run: Any,
                                                                    tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(PLAIN, root)
    expected = _kubectl_build(kubectl, root, ["env", "sidecar", "labels", "images"])
    result = cli_run("build", root / "oracle")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    assert result.stderr == ""
    direct = subprocess.run([kubectl, "kustomize", str(root / "bases" / "kubernetes")],
                            capture_output=True, text=True, timeout=60)
    result = cli_run("build", root / "bases" / "kubernetes")
    assert result.stdout == direct.stdout


def test_plain_kustomization_refuses_spec_repo_options(cli_run: Any) -> None:
    result = cli_run("build", PLAIN / "bases" / "kubernetes", "--set", "tier=large")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "has no compose.yaml" in result.stderr
