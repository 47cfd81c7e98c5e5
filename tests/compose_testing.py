"""Helpers shared by test folders (importable from any test: tests/conftest.py puts this
folder at the end of ``sys.path``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any


def load_module(name: str, path: Path) -> Any:
    """The module at ``path``, loaded once under ``name``: how one test folder uses another's
    helpers (a conftest, a fake server) under ``--import-mode=importlib``, where test folders
    are not packages."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
