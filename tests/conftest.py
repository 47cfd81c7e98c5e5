"""Shared fixtures. Area-specific fixtures live in each test folder's own conftest.py."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# compose_testing (helpers shared by test folders) is importable from every test; appended, so
# no folder here can shadow an installed package.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (holds the embedded default spec repo)."""
    return REPO


@pytest.fixture(scope="session")
def kubectl() -> str:
    """Path of kubectl, the oracle of the differential tests; skips when absent."""
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not on PATH")
    return path
