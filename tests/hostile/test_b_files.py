"""The spec repo's load restrictor and used-file walk (issue 7 point 6), at the library level.

The hostile corpus (cases/) runs the same attacks end to end; these check the pieces: what the
walk returns, that it never revisits a directory, and the API's containment errors.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from compose.errors import ComposeError, SpecError
from compose.spec.files import RepoFiles

COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"


def test_the_walk_returns_what_the_kustomization_names_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [job.yaml, sub]\n"
        "patches: [{path: p1.yaml}]\n"
        "patchesJson6902: [{path: p2.yaml, target: {kind: Job, name: j}}]\n"
        "patchesStrategicMerge:\n- p3.yaml\n- |\n  kind: Job\n  metadata: {name: j}\n"
        "configMapGenerator: [{name: c, files: [k=conf.ini], envs: [app.env], literals: [A=1]}]\n"
    )
    for name in ("job.yaml", "p1.yaml", "p2.yaml", "p3.yaml", "conf.ini", "app.env", "unused.yaml"):
        (tmp_path / name).write_text("x: 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (tmp_path / "sub" / "cm.yaml").write_text("x: 1\n")
    (tmp_path / "sub" / "stray.yaml").write_text("x: 1\n")
    files = RepoFiles(tmp_path)
    used = files.kustomization_files(tmp_path)
    assert files.problems == []
    got = [(f.real.relative_to(tmp_path.resolve()).as_posix(), f.kind) for f in used]
    assert got == [
        ("kustomization.yaml", "yaml"),
        ("job.yaml", "yaml"),
        ("sub/kustomization.yaml", "yaml"),
        ("sub/cm.yaml", "yaml"),
        ("p1.yaml", "yaml"),
        ("p2.yaml", "yaml"),
        ("p3.yaml", "yaml"),
        ("conf.ini", "generator"),
        ("app.env", "generator"),
    ]


def test_a_diamond_of_directories_is_walked_once_per_directory(tmp_path: Path) -> None:
    # 40 levels, each naming the next level twice through two directories: 2**40 paths.
    depth = 40
    for level in range(depth):
        for side in ("a", "b"):
            d = tmp_path / f"l{level}{side}"
            d.mkdir()
            nxt = f"[../l{level + 1}a, ../l{level + 1}b]" if level + 1 < depth else "[]"
            (d / "kustomization.yaml").write_text(f"{COMPONENT}components: {nxt}\n")
    start = time.monotonic()
    used = RepoFiles(tmp_path).kustomization_files(tmp_path / "l0a")
    assert time.monotonic() - start < 5
    assert len(used) == 2 * depth - 1


@pytest.mark.parametrize("kind", ["outside", "loop", "missing"])
def test_entries_that_leave_the_repo_loop_or_dangle_are_problems_with_lines(tmp_path: Path, kind: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "secret.yaml").write_text("token: x\n")
    (repo / "kustomization.yaml").write_text(COMPONENT + "patches:\n- path: p.yaml\n")
    if kind == "outside":
        (repo / "p.yaml").symlink_to(tmp_path / "secret.yaml")
    elif kind == "loop":
        (repo / "p.yaml").symlink_to("q.yaml")
        (repo / "q.yaml").symlink_to("p.yaml")
    files = RepoFiles(repo)
    used = files.kustomization_files(repo)
    assert [f.real.name for f in used] == ["kustomization.yaml"]
    assert len(files.problems) == 1
    problem = files.problems[0]
    assert problem.line == 4 and problem.file.endswith("kustomization.yaml")
    expected = {"outside": "leads outside the spec repo", "loop": "symlink loop", "missing": "does not exist"}[kind]
    assert expected in problem.message


def test_resolve_refuses_outside_and_loops(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "in.yaml").write_text("a: 1\n")
    os.symlink(tmp_path, repo / "up")
    os.symlink("l2", repo / "l1")
    os.symlink("l1", repo / "l2")
    files = RepoFiles(repo)
    assert files.resolve(repo / "in.yaml", "in.yaml") == (repo / "in.yaml").resolve()
    with pytest.raises(SpecError, match="leads outside the spec repo"):
        files.resolve(repo / "up", "up")
    with pytest.raises(SpecError, match="symlink loop"):
        files.resolve(repo / "l1", "l1")
    with pytest.raises(SpecError, match="is outside the spec repo"):
        files.lookup("../x")


def test_composer_load_refuses_a_non_path() -> None:
    from compose import Composer

    with pytest.raises(TypeError, match="root must be a path"):
        Composer.load(["."])  # type: ignore[arg-type]
    with pytest.raises(ComposeError):
        Composer.load(None)  # type: ignore[arg-type]
