"""The console script: `compose build DIR` runs without click and says exactly what the
click command says, for output and for errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "bench" / "fixtures" / "job-overlay" / "overlay"


def _run(args: list[str], *, fast: bool, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("COMPOSE_NO_FAST_PATH", None)
    if not fast:
        env["COMPOSE_NO_FAST_PATH"] = "1"
    return subprocess.run([sys.executable, "-m", "compose", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


@pytest.mark.parametrize("args", [["build", str(FIXTURE)], ["build", "-o", "json", str(FIXTURE)],
                                  ["build", str(FIXTURE), "--output=json"]])
def test_fast_path_prints_what_the_click_command_prints(args: list[str]) -> None:
    fast, slow = _run(args, fast=True), _run(args, fast=False)
    assert fast.returncode == slow.returncode == 0
    assert fast.stdout == slow.stdout and fast.stdout.startswith(("apiVersion", "{"))
    assert fast.stderr == slow.stderr == ""


def test_fast_path_errors_match(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    fast, slow = _run(["build", str(tmp_path)], fast=True), _run(["build", str(tmp_path)], fast=False)
    assert fast.returncode == slow.returncode == 1
    assert fast.stdout == slow.stdout == ""
    assert fast.stderr == slow.stderr
    assert "kustomization.yaml:2" in fast.stderr and "Traceback" not in fast.stderr


def test_fast_path_does_not_import_click() -> None:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('LOADED:' + ','.join(m for m in ('click', 'kubernetes', "
        "'boto3', 'botocore') if m in sys.modules)))\n"
        "from compose._entry import main\n"
        f"main(['build', {str(FIXTURE)!r}])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("apiVersion: batch/v1")
    assert out.stderr.endswith("LOADED:")


@pytest.mark.parametrize("args", [["build", "--help"], ["build", str(REPO)], ["build", str(FIXTURE), "-t", "ecs"]])
def test_other_command_lines_go_to_click(args: list[str]) -> None:
    from compose._entry import _fast_build

    assert _fast_build(args) is None


def test_build_path_does_not_import_dataclasses_or_inspect() -> None:
    # compose._record stands in for dataclasses on the build path: inspect alone is ~7 ms of a
    # ~60 ms `compose build`.
    code = (
        "import sys\n"
        "from compose._entry import kustomize_output\n"
        f"kustomize_output(__import__('pathlib').Path({str(FIXTURE)!r}), 'yaml')\n"
        "print(','.join(m for m in ('dataclasses', 'inspect', 'click') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
