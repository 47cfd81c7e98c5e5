"""The examples in issue-7b's modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["compose.safe_regex", "compose.spec.files", "compose.spec.arguments", "compose.spec._caps"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
