"""Regenerate the golden builds of the embedded default spec repo.

Usage (from the repository root)::

    /tmp/venv/c/bin/python tests/composer/regen.py            # every case in golden/cases.yaml
    /tmp/venv/c/bin/python tests/composer/regen.py k8s-gpu    # just these

Each case runs ``compose build`` in process (click's CliRunner) exactly as
``tests/composer/test_golden.py`` does and writes ``golden/<name>.yaml`` (``.json`` for
``format: json``). Review every changed golden by eye before committing it: the Job must be
correct Kubernetes, the ECS task definition a valid RegisterTaskDefinition input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
REPO = HERE.parent.parent


def load_cases() -> list[dict[str, Any]]:
    """The golden cases, as written in golden/cases.yaml."""
    return yaml.safe_load((GOLDEN / "cases.yaml").read_text(encoding="utf-8"))


def case_args(case: dict[str, Any]) -> list[str]:
    """The `compose` arguments of one case (the spec repo is the repository root)."""
    args = ["build", str(REPO), "--target", case["target"]]
    for item in case.get("sets") or []:
        args += ["--set", item]
    if case.get("run_id"):
        args += ["--run-id", case["run_id"]]
    return args + list(case.get("args") or [])


def golden_path(case: dict[str, Any]) -> Path:
    return GOLDEN / f"{case['name']}.{case.get('format', 'yaml')}"


def run_case(case: dict[str, Any]) -> tuple[int, str, str]:
    """Run `compose build` for ``case``; return (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from compose.cli import cli

    result = CliRunner().invoke(cli, case_args(case), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def main(names: list[str]) -> int:
    cases = load_cases()
    unknown = set(names) - {c["name"] for c in cases}
    if unknown:
        print(f"unknown case(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for case in cases:
        if names and case["name"] not in names:
            continue
        code, out, err = run_case(case)
        if code != 0:
            print(f"{case['name']}: exit {code}: {err}", file=sys.stderr)
            return 1
        path = golden_path(case)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(out, encoding="utf-8")
        print(f"{'unchanged' if old == out else 'wrote'} {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
