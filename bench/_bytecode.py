"""Fresh bytecode for the compose package before a benchmark times fresh processes.

An import whose ``.pyc`` is missing or older than its source compiles the module again, and
with ``PYTHONDONTWRITEBYTECODE`` set (as on the development machines) it does so on every
start: about 23 ms of CPU per ``compose build`` after a few edits, which once read as a
regression. ``pip install .`` compiles at install time, so users do not pay it; benchmarks
must not either.
"""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def ensure_bytecode() -> str:
    """Compile every stale module of the installed ``compose`` package; say how many."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return "bytecode: compose not found"
    root = Path(spec.origin).parent
    stale = [p for p in root.rglob("*.py") if _stale(p)]
    if stale and not compileall.compile_dir(str(root), quiet=1):
        return f"bytecode: compiling {root} failed"
    return f"bytecode: {len(stale)} stale module(s) compiled in {root}" if stale else "bytecode: fresh"


def _stale(path: Path) -> bool:
    cached = Path(importlib.util.cache_from_source(str(path)))
    return not cached.exists() or cached.stat().st_mtime < path.stat().st_mtime
