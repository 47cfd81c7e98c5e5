"""The `compose` commands for spec repos: build/explain/diff/validate/profiles/init.

Exit codes: 0 success, 1 a ComposeError (spec, parameter, validation), 2 usage. Errors go to
stderr only; stdout stays empty on failure. A few runs go through a real `python -m compose`
subprocess to check that no traceback reaches users.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TYPED = HERE / "fixtures" / "typed"


# --- build ----------------------------------------------------------------------------------------


def test_build_without_root_uses_the_current_directory(cli_run: Any, monkeypatch: pytest.MonkeyPatch,
                                                       default_composer: Any) -> None:
    from compose.yamlio import dump_documents

    monkeypatch.chdir(REPO)
    result = cli_run("build")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == dump_documents(default_composer.build({}).documents())
    job = yaml.safe_load(result.stdout)
    assert job["kind"] == "Job" and job["metadata"]["name"] == "flow-run"


def test_build_accepts_the_compose_yaml_path(cli_run: Any) -> None:
    a = cli_run("build", REPO / "compose.yaml", "--set", "job_profile=gpu")
    b = cli_run("build", REPO, "--set", "job_profile=gpu")
    assert a.exit_code == 0 and a.stdout == b.stdout


@pytest.mark.parametrize("args,code,needle", [
    (["build", "/nonexistent/dir"], 2, "no such file"),
    (["build", str(REPO / "README.md")], 2, "compose.yaml"),
    (["build", str(REPO), "--target", "lambda"], 2, "lambda"),
    (["build", str(REPO), "--set", "job_profile=nope"], 1, "'job_profile'"),
    (["build", str(REPO), "--run-name", "x"], 2, "--run-id"),
    (["explain", str(TYPED / "bases" / "kubernetes")], 2, "compose.yaml"),
    (["diff", str(TYPED / "bases" / "kubernetes")], 2, "compose.yaml"),
    (["validate", str(TYPED / "bases" / "kubernetes")], 2, "compose.yaml"),
    (["profiles", str(TYPED / "bases" / "kubernetes")], 2, "compose.yaml"),
])
def test_errors_go_to_stderr_with_their_exit_code(args: list[str], code: int, needle: str, cli_run: Any) -> None:
    result = cli_run(*args)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_build_ecs_target_of_a_kubernetes_only_repo_is_an_error(cli_run: Any) -> None:
    result = cli_run("build", HERE / "fixtures" / "plain", "-t", "ecs")
    assert result.exit_code == 1 and result.stdout == ""
    assert "ecs" in result.stderr and "kubernetes" in result.stderr


def test_run_context_options(cli_run: Any) -> None:
    result = cli_run("build", REPO, "--run-id", "abc", "--run-name", "crimson", "--flow-name", "etl",
                     "--deployment", "prod")
    job = yaml.safe_load(result.stdout)
    assert job["metadata"]["labels"]["compose.dev/flow-name"] == "etl"
    assert job["metadata"]["labels"]["compose.dev/deployment"] == "prod"
    assert job["metadata"]["name"] == "flow-run-abc"


# --- explain --------------------------------------------------------------------------------------


def test_explain_shows_sources_decisions_and_field_origins(cli_run: Any) -> None:
    result = cli_run("explain", REPO, "--set", "job_profile=gpu", "--set", "memory=32Gi", "--set", "colour=red")
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    assert "profile: gpu" in out
    assert "memory = 32Gi  (from --set)" in out
    assert "gpu_count = 1  (from default)" in out
    assert "+ gpu:" in out and "+ high-memory: when memory >= 16Gi: memory=32Gi >= 16Gi" in out
    assert "- spot:" in out
    assert "ignored metadata (no parameter declares it): colour" in out
    lines = out.splitlines()
    node = next(l for l in lines if "nodeSelector.nvidia.com/gpu.product" in l)
    assert "overlays/gpu/job.yaml:" in node and "${gpu_type}" in node
    mem = next(l for l in lines if "resources.requests.memory" in l)
    assert "bases/kubernetes/job.yaml:" in mem and "from --set" in mem
    tol = [l for l in lines if "tolerations" in l]
    assert any("overlays/gpu/kustomization.yaml" in l for l in tol), tol
    assert any("overlays/high-memory/kustomization.yaml" in l for l in tol), tol


def test_explain_ecs(cli_run: Any) -> None:
    result = cli_run("explain", REPO, "-t", "ecs", "--set", "secrets=true", "--run-id", "r1")
    assert result.exit_code == 0, result.stderr
    secret = next(l for l in result.stdout.splitlines() if ".secrets" in l and "valueFrom" in l)
    assert "overlays/secrets/ecs.yaml:" in secret
    assert any("runTask.overrides" in l and "per-run" in l for l in result.stdout.splitlines())


def test_explain_profile_layer_source(cli_run: Any) -> None:
    result = cli_run("explain", REPO, "--set", "job_profile=high-memory")
    assert "memory = 32Gi  (from profile high-memory)" in result.stdout


# --- diff -----------------------------------------------------------------------------------------


def test_diff_default_vs_gpu_shows_the_gpu_lines(cli_run: Any) -> None:
    result = cli_run("diff", REPO, "-a", "job_profile=default", "-b", "job_profile=gpu")
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    assert out.startswith("--- left: job_profile=default\n+++ right: job_profile=gpu\n")
    added = {l[1:].strip() for l in out.splitlines() if l.startswith("+") and not l.startswith("+++")}
    assert 'nvidia.com/gpu: "1"' in added
    assert "nvidia.com/gpu.product: NVIDIA-A10G" in added
    assert "serviceAccountName: flow-runner" in added
    assert "key: nvidia.com/gpu" in added
    removed = {l[1:].strip() for l in out.splitlines() if l.startswith("-") and not l.startswith("---")}
    assert "tolerations: []" in removed


def test_diff_exit_code(cli_run: Any) -> None:
    differ = cli_run("diff", REPO, "-a", "job_profile=default", "-b", "job_profile=gpu", "--exit-code")
    assert differ.exit_code == 1 and differ.stdout
    same = cli_run("diff", REPO, "-a", "job_profile=default", "-b", "memory=2Gi", "--exit-code")
    assert same.exit_code == 0 and same.stdout == ""


def test_diff_ecs_and_common_sets(cli_run: Any) -> None:
    result = cli_run("diff", REPO, "-t", "ecs", "--set", "secrets=true", "-a", "spot=false", "-b", "spot=true")
    assert result.exit_code == 0
    plus = [l for l in result.stdout.splitlines() if l.startswith("+") and not l.startswith("+++")]
    assert any("capacityProvider: FARGATE_SPOT" in l for l in plus), result.stdout
    assert "secrets" not in "".join(l for l in result.stdout.splitlines() if l[:1] in "+-")


def test_diff_with_metadata_files(cli_run: Any, tmp_path: Path) -> None:
    left, right = tmp_path / "l.yaml", tmp_path / "r.yaml"
    left.write_text("memory: 4Gi\n")
    right.write_text("memory: 32Gi\n")
    result = cli_run("diff", REPO, "--left-metadata", left, "--right-metadata", right)
    assert "+            memory: 32Gi" in result.stdout and "-            memory: 4Gi" in result.stdout


def test_diff_bad_value_on_one_side_is_an_error(cli_run: Any) -> None:
    result = cli_run("diff", REPO, "-a", "job_profile=default", "-b", "gpu_count=lots")
    assert result.exit_code == 1 and result.stdout == ""
    assert "'gpu_count'" in result.stderr


# --- validate -------------------------------------------------------------------------------------


def test_validate_the_embedded_default(cli_run: Any) -> None:
    result = cli_run("validate", REPO)
    assert result.exit_code == 0 and result.stderr == ""
    # every set metadata can select (each profile with each combination of conditional
    # overlays) and each overlay alone, per target
    assert result.stdout.startswith("ok: 124 overlay sets valid (kubernetes: 82, ecs: 42; 6 profiles, 7 overlays)")


def _broken(make_repo: Any) -> Path:
    """fixtures/typed with a problem in each of three overlays (and both targets)."""
    first = (TYPED / "overlays/first/kustomization.yaml").read_text().replace("order: first", "order: first\n          bogusField: 1")
    return make_repo("typed", {
        "overlays/first/kustomization.yaml": first,
        "overlays/second/ecs.yaml": {"taskDefinition": {"containerDefinitions": [
            {"name": "main", "dependsOn": [{"containerName": "ghost", "condition": "START"}]}]}},
        "overlays/sidecar/ecs.yaml": {"taskDefinition": {"networkMode": "bridge"}},
        "overlays/sidecar/sidecar.yaml": (TYPED / "overlays/sidecar/sidecar.yaml").read_text()
        .replace("image: busybox:1.36", "image: busybox:1.36\n        restartPolicy: Sometimes"),
    })


def test_validate_reports_every_problem_at_once(make_repo: Any, cli_run: Any) -> None:
    result = cli_run("validate", _broken(make_repo))
    assert result.exit_code == 1 and result.stdout == ""
    err = result.stderr
    assert err.startswith("compose: 8 of 12 overlay sets fail (6 distinct failures):")
    for needle in ("kubernetes [first] (no metadata selects it", "bogusField", "ecs [second] (no metadata", "ghost",
                   "ecs [sidecar] (job_profile=default debug=true)", "bridge",
                   "kubernetes [sidecar] (job_profile=default debug=true)", "Sometimes",
                   "kubernetes [first, second] (job_profile=reversed)", "ecs [first, second, sidecar] (job_profile=reversed debug=true)"):
        assert needle in err, (needle, err)
    assert "overlays/second/ecs.yaml" in err and "overlays/first/kustomization.yaml" in err
    assert "Traceback" not in err


def test_validate_api_returns_problems_with_sources(make_repo: Any) -> None:
    from compose import Composer

    problems = Composer.load(_broken(make_repo)).validate()
    sources = {p.source.split(" (")[0] for p in problems}
    assert {"kubernetes [first]", "ecs [second]", "ecs [sidecar]", "kubernetes [sidecar]",
            "kubernetes [first, second]"} <= sources
    assert all(p.file for p in problems), [str(p) for p in problems if not p.file]


def test_validate_reports_all_load_problems_at_once(make_repo: Any, cli_run: Any) -> None:
    job = (TYPED / "bases/kubernetes/job.yaml").read_text().replace("${note}", "${nothing_declared}", 1)

    def patch(data: dict[str, Any]) -> None:
        data["overlays"][0]["when"] = {"tier": "gold"}
        data["profiles"]["sidecar"] = ["no-such-overlay"]

    root = make_repo("typed", {"bases/kubernetes/job.yaml": job}, compose_patch=patch)
    result = cli_run("validate", root)
    assert result.exit_code == 1 and result.stdout == ""
    for needle in ("nothing_declared", "gold", "no-such-overlay"):
        assert needle in result.stderr, result.stderr
    assert "compose.yaml:" in result.stderr and "bases/kubernetes/job.yaml:" in result.stderr


# --- profiles -------------------------------------------------------------------------------------


def test_profiles_lists_profiles_overlays_and_parameters(cli_run: Any) -> None:
    result = cli_run("profiles", REPO)
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    assert "  gpu: gpu, service-account" in out
    assert "  high-memory: high-memory  [memory=32Gi, cpu=8]" in out
    assert "  high-memory [kubernetes]: when memory >= 16Gi" in out
    assert "  gpu [kubernetes, ecs]: only through profiles" in out
    assert "  memory: " in out and "120Gi" in out
    order = [l.split()[0] for l in out.split("overlays (applied in this order):")[1].split("parameters:")[0].splitlines() if l.strip() and not l.startswith("      ")]
    assert order == ["high-memory", "spot", "gpu", "secrets", "shared-volume", "service-account", "log-sidecar"]


# --- init -----------------------------------------------------------------------------------------


def test_init_then_build_validate_profiles(tmp_path: Path, cli_run: Any) -> None:
    from compose.scaffold import FILES

    target = tmp_path / "new" / "specs"
    result = cli_run("init", target)
    assert result.exit_code == 0 and result.stderr == ""
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == sorted(FILES)
    for args in (["build", target], ["build", target, "-t", "ecs"], ["build", target, "--set", "memory=16Gi"],
                 ["build", target, "--set", "job_profile=big", "-t", "ecs", "--run-id", "r1"],
                 ["validate", target], ["profiles", target], ["explain", target]):
        r = cli_run(*args)
        assert r.exit_code == 0 and r.stderr == "", (args, r.stderr)
    job = yaml.safe_load(cli_run("build", target, "--set", "memory=16Gi").stdout)
    assert job["spec"]["template"]["spec"]["nodeSelector"] == {"node-pool": "big-memory"}
    assert cli_run("validate", target).stdout.startswith("ok: ")


def test_init_refuses_a_non_empty_dir_and_never_overwrites(tmp_path: Path, cli_run: Any) -> None:
    target = tmp_path / "specs"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = cli_run("init", target)
    assert result.exit_code == 2 and result.stdout == ""
    assert "not empty" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    # --force adds beside what is there...
    assert cli_run("init", target, "--force").exit_code == 0
    assert (target / "notes.txt").read_text() == "mine"
    # ...but never overwrites a file, not even one of its own.
    (target / "compose.yaml").write_text("# edited\n")
    again = cli_run("init", target, "--force")
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert (target / "compose.yaml").read_text() == "# edited\n"


def test_init_on_a_file_is_an_error(tmp_path: Path, cli_run: Any) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    result = cli_run("init", f)
    assert result.exit_code == 2 and result.stdout == ""


def test_init_into_an_existing_empty_dir(tmp_path: Path, cli_run: Any) -> None:
    result = cli_run("init", tmp_path)
    assert result.exit_code == 0
    assert (tmp_path / "compose.yaml").is_file()


# --- real processes -------------------------------------------------------------------------------


def _py(*args: Any, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compose", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=120)


def test_subprocess_build_in_a_fresh_clone_layout(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(REPO / "compose.yaml", clone)
    shutil.copytree(REPO / "bases", clone / "bases")
    shutil.copytree(REPO / "overlays", clone / "overlays")
    done = _py("build", "--set", "job_profile=gpu", cwd=clone)
    assert done.returncode == 0 and done.stderr == ""
    assert yaml.safe_load(done.stdout)["spec"]["template"]["spec"]["serviceAccountName"] == "flow-runner"


@pytest.mark.parametrize("args,code", [
    (["build", "--set", "gpu_count=lots"], 1),
    (["build", "/nonexistent"], 2),
    (["validate", "/nonexistent"], 2),
    (["build", "-t", "ecs", "--set", "memory=121Gi"], 1),
])
def test_subprocess_errors_have_no_traceback_and_empty_stdout(args: list[str], code: int) -> None:
    done = _py(*args)
    assert done.returncode == code, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("compose: error: ") or done.stderr.startswith("Usage:")
    assert "Traceback" not in done.stderr


def test_validate_lists_each_problem_once_and_leaves_later_builds_clean(make_repo: Any) -> None:
    from compose import Composer
    from compose.errors import ValidationError

    composer = Composer.load(_broken(make_repo))
    first = [str(p) for p in composer.validate()]
    second = [str(p) for p in composer.validate()]
    assert first == second
    assert len(first) == len(set(first))
    with pytest.raises(ValidationError) as info:
        composer.build({"job_profile": "sidecar"})
    assert all("profile" not in (p.source or "") and "overlay" not in (p.source or "")
               for p in info.value.problems), info.value.format()


def test_kubernetes_problem_points_at_the_overlay_patch_line(make_repo: Any) -> None:
    from compose import Composer
    from compose.errors import ValidationError

    composer = Composer.load(_broken(make_repo))
    with pytest.raises(ValidationError) as info:
        composer.build({"job_profile": "sidecar"})
    (p,) = info.value.problems
    assert (p.file, p.line) == ("overlays/sidecar/sidecar.yaml", 11)
    with pytest.raises(ValidationError) as info:
        composer.build({"job_profile": "reversed"})
    (p,) = info.value.problems
    assert (p.file, p.line) == ("overlays/first/kustomization.yaml", 14)


def test_explain_attributes_list_items_keyed_by_a_placeholder(default_composer: Any) -> None:
    ex = default_composer.explain({"secrets": True}, target="ecs")
    rows = [o for o in ex.origins[0] if "secrets" in o.path]
    assert rows and all(o.file == "overlays/secrets/ecs.yaml" and o.line for o in rows), [str(o) for o in rows]
