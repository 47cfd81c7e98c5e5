"""The examples in the docstrings of compose.k8s run and hold."""

from __future__ import annotations

import doctest

import pytest

import compose.k8s.convert
import compose.k8s.validate


@pytest.mark.parametrize("module", [compose.k8s.validate, compose.k8s.convert])
def test_doctests(module: object) -> None:
    if module is compose.k8s.convert:
        pytest.importorskip("kubernetes")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
