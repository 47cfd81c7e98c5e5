"""The examples in the docstrings of the modules that hold the budgets run."""

from __future__ import annotations

import doctest
import importlib

import pytest

from compose import limits


@pytest.mark.parametrize("name", ["compose.limits", "compose.errors", "compose.yamlio"])
def test_docstring_examples(name: str) -> None:
    try:
        result = doctest.testmod(importlib.import_module(name))
    finally:
        limits._configured.clear()
    assert result.failed == 0 and result.attempted > 0
