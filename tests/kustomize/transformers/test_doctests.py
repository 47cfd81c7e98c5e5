"""The examples in the transformers' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["fieldpath", "generators", "hashing", "images", "replacements"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"compose.kustomize.transformers.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
