"""Dependency facts the package leans on."""

from __future__ import annotations

import subprocess
import sys


def test_kubernetes_and_boto3_import_together() -> None:
    # FACTS.md: kubernetes 37 and botocore disagree on python-dateutil; the pin keeps both.
    import boto3
    import kubernetes

    assert kubernetes.__version__.split(".")[0] == "36"
    assert boto3.__version__


def test_importing_compose_loads_neither_kubernetes_nor_boto3() -> None:
    code = (
        "import sys, compose, compose.cli, compose.yamlio, compose.errors\n"
        "bad = [m for m in ('kubernetes', 'boto3', 'botocore') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_spec_repo_builds_load_neither_kubernetes_nor_boto() -> None:
    # The embedded default, both targets, validation included (ECS validation reads
    # botocore's model file without importing botocore).
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    code = (
        "import sys\n"
        "from compose import Composer\n"
        f"c = Composer.load({str(repo)!r})\n"
        "c.build({'job_profile': 'gpu'}, target='kubernetes')\n"
        "c.build({'job_profile': 'batch'}, target='ecs')\n"
        "print(','.join(m for m in ('kubernetes', 'boto3', 'botocore') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_command_line_modules_import_one_way() -> None:
    # _entry -> cli -> _cli_run, all three -> _output; no module imports one above it, at
    # module level or inside a function.
    import ast
    from pathlib import Path

    pkg = Path(__file__).resolve().parent.parent / "compose"
    order = ["_entry", "cli", "_cli_run", "_output"]
    for i, name in enumerate(order):
        tree = ast.parse((pkg / f"{name}.py").read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported.add((node.module or "").split(".")[0])
                imported.update(alias.name for alias in node.names if not node.module)
        above = set(order[:i + 1]) - {name}
        assert not imported & above, f"compose/{name}.py imports {sorted(imported & above)}"
