"""Fixtures of the Kubernetes validation tests (helpers live in k8s_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_helpers import base  # noqa: E402


@pytest.fixture
def job() -> dict[str, Any]:
    """A fresh copy of the typical flow-run Job (bases/job.yaml)."""
    return base("job")


@pytest.fixture
def cronjob() -> dict[str, Any]:
    return base("cronjob")
