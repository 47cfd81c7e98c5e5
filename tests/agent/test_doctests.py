"""The examples in the agent's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["compose.agent.source", "compose.agent.generator", "compose.agent.outcome", "compose.agent.agent",
           "compose.agent.backends"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
