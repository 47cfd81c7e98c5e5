"""The examples in compose.ecs docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["_model", "cli_json", "overrides", "rules", "sizes", "validate"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"compose.ecs.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "_model":
        assert result.attempted > 0
