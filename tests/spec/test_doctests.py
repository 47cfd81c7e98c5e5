"""The examples in compose.spec's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "compose.spec",
    "compose.spec.quantity",
    "compose.spec.names",
    "compose.spec.metadata",
    "compose.spec.params",
    "compose.spec.conditions",
    "compose.spec.placeholders",
    "compose.spec.repo",
    "compose.spec.selection",
    "compose.suggest",
    "compose.k8s.apiserver",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def test_the_build_path_imports_neither_kubernetes_nor_boto3() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import compose.spec, compose.spec.repo, compose.spec.selection, compose.spec.placeholders; "
        "bad = [m for m in ('kubernetes', 'boto3', 'botocore', 'click') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
