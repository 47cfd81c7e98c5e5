"""`compose build --load-restrictor`: the click-free fast path and the click command agree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASE = Path(__file__).parent / "cases" / "resources" / "load_restrictor_none" / "overlay"


def _run(args: list[str], *, fast: bool) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("COMPOSE_NO_FAST_PATH", None)
    if not fast:
        env["COMPOSE_NO_FAST_PATH"] = "1"
    return subprocess.run([sys.executable, "-m", "compose", *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize(
    "args",
    [
        ["build", str(CASE), "--load-restrictor", "LoadRestrictionsNone"],
        ["build", "--load-restrictor=LoadRestrictionsNone", "-o", "json", str(CASE)],
    ],
)
def test_none_reads_files_outside_the_root_on_both_paths(args: list[str]) -> None:
    fast, slow = _run(args, fast=True), _run(args, fast=False)
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    assert fast.stdout == slow.stdout
    assert "settings-" in fast.stdout and "backoffLimit" in fast.stdout
    assert fast.stderr == slow.stderr == ""


@pytest.mark.parametrize("extra", [[], ["--load-restrictor", "LoadRestrictionsRootOnly"]])
def test_root_only_refuses_on_both_paths(extra: list[str]) -> None:
    args = ["build", str(CASE), *extra]
    fast, slow = _run(args, fast=True), _run(args, fast=False)
    assert fast.returncode == slow.returncode == 1
    assert fast.stdout == slow.stdout == ""
    assert fast.stderr == slow.stderr
    assert "is outside the kustomization root" in fast.stderr


def test_unknown_value_is_a_usage_error() -> None:
    proc = _run(["build", str(CASE), "--load-restrictor", "none"], fast=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "LoadRestrictionsNone" in proc.stderr


def test_spec_repos_refuse_it() -> None:
    repo = Path(__file__).resolve().parents[2]
    proc = _run(["build", str(repo), "--load-restrictor", "LoadRestrictionsNone"], fast=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "kustomization directories only" in proc.stderr
