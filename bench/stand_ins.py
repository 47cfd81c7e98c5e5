"""What compose's two hand-written stand-ins buy on `compose build DIR`, measured side by side.

The brief keeps a stand-in for the standard library or a maintained package only while a
benchmark shows it pays. This one runs three variants of the same build, alternately, each a
fresh process as a user runs it, and prints their medians and ratios:

- ``as shipped``: the click-free argv fast path (compose/_entry.py) and compose/_record.py;
- ``click path``: the same package with ``COMPOSE_NO_FAST_PATH=1`` (the build goes through
  click, which imports what click imports);
- ``dataclasses``: a copy of the package whose ``_record`` is ``dataclasses.dataclass``.

Each variant runs from its own copy of the package on ``PYTHONPATH`` (same interpreter, same
launcher), so only the stand-in differs. A ratio above 1.0 is what the stand-in saves.

    python bench/stand_ins.py [DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "compose"
DEFAULT_DIR = HERE / "fixtures" / "job-overlay" / "overlay"
LAUNCH = "import sys; from compose._entry import main; main(sys.argv[1:])"
DATACLASS_RECORD = '''"""Benchmark variant: compose._record as the standard library's dataclasses."""
from dataclasses import dataclass as record, field

__all__ = ["record", "field"]
'''


def _copy(dest: Path, *, dataclasses: bool) -> Path:
    shutil.copytree(PACKAGE, dest / "compose", ignore=shutil.ignore_patterns("__pycache__"))
    if dataclasses:
        (dest / "compose" / "_record.py").write_text(DATACLASS_RECORD)
    # Compiled now: a copy without bytecode compiles every module on every start when
    # PYTHONDONTWRITEBYTECODE is set (as here), ~23 ms of noise that once hid this stand-in's 8 ms.
    compileall.compile_dir(str(dest / "compose"), quiet=1)
    return dest


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, bytes, float]:
    """Wall seconds, output, and CPU seconds (user + system) of one fresh process.

    Run from the variant's own directory: ``python -c`` puts the working directory first on
    sys.path, and run from the repository it imported the repository's package whatever
    PYTHONPATH said (so every variant was the same code until 2026-12-05).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, check=True, env=env, cwd=env["PYTHONPATH"]).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, out, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shipped = _copy(Path(tmp) / "shipped", dataclasses=False)
        stdlib = _copy(Path(tmp) / "stdlib", dataclasses=True)
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COMPOSE_NO_FAST_PATH")}
        cmd = [sys.executable, "-c", LAUNCH, "build", str(args.dir)]
        variants = {
            "as shipped": {**base, "PYTHONPATH": str(shipped)},
            "click path": {**base, "PYTHONPATH": str(shipped), "COMPOSE_NO_FAST_PATH": "1"},
            "dataclasses": {**base, "PYTHONPATH": str(stdlib)},
        }
        where = [sys.executable, "-c", "import compose; print(compose.__file__)"]
        for name, env in variants.items():
            origin = subprocess.run(where, capture_output=True, text=True, check=True, env=env,
                                    cwd=env["PYTHONPATH"]).stdout.strip()
            if not origin.startswith(env["PYTHONPATH"]):
                print(f"variant {name!r} imports {origin}, not its copy", file=sys.stderr)
                return 1
        outputs = {name: _time(cmd, env)[1] for name, env in variants.items()}  # warm caches
        if len(set(outputs.values())) != 1:
            print("the variants print different output", file=sys.stderr)
            return 1
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, env in variants.items():
                wall, _out, cpu = _time(cmd, env)
                times[name].append(wall)
                cpus[name].append(cpu)
    medians = {name: statistics.median(t) for name, t in times.items()}
    cpu_medians = {name: statistics.median(t) for name, t in cpus.items()}
    print(f"fixture: {args.dir}")
    print(f"runs:    {args.runs} each, alternating, fresh processes")
    print("         wall time (the user's wait)          CPU time (steadier on a busy machine)")
    for name in variants:
        print(f"{name:12s} median {medians[name] * 1000:7.1f} ms  ratio {medians[name] / medians['as shipped']:.2f}"
              f"      median {cpu_medians[name] * 1000:7.1f} ms  ratio {cpu_medians[name] / cpu_medians['as shipped']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
