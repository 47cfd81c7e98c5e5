"""What compose's hand-written argv fast path buys on `compose build DIR`, measured side by side.

A stand-in for a maintained package stays only while a benchmark shows it pays. This runs two
variants of the same build, alternately, each a fresh process as a user runs it, and prints
their medians and ratios:

- ``as shipped``: the click-free argv fast path (compose/_entry.py);
- ``click path``: the same package with ``COMPOSE_NO_FAST_PATH=1`` (the build goes through
  click, which imports what click imports).

Both run from one copy of the package on ``PYTHONPATH`` (same interpreter, same launcher), so
only the path differs. A ratio above 1.0 is what the fast path saves. (It measured a
dataclasses stand-in, ``compose/_record.py``, the same way: 1.00 over 31 and 61 runs, so the
stand-in was removed.)

    python bench/stand_ins.py [DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import os
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


def _copy(dest: Path) -> Path:
    shutil.copytree(PACKAGE, dest / "compose", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, check=True, env=env).stdout
    return time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shipped = _copy(Path(tmp) / "shipped")
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COMPOSE_NO_FAST_PATH")}
        cmd = [sys.executable, "-c", LAUNCH, "build", str(args.dir)]
        variants = {
            "as shipped": {**base, "PYTHONPATH": str(shipped)},
            "click path": {**base, "PYTHONPATH": str(shipped), "COMPOSE_NO_FAST_PATH": "1"},
        }
        outputs = {name: _time(cmd, env)[1] for name, env in variants.items()}  # warm caches
        if len(set(outputs.values())) != 1:
            print("the variants print different output", file=sys.stderr)
            return 1
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, env in variants.items():
                times[name].append(_time(cmd, env)[0])
    medians = {name: statistics.median(t) for name, t in times.items()}
    shipped_ms = medians["as shipped"]
    print(f"fixture: {args.dir}")
    print(f"runs:    {args.runs} each, alternating, fresh processes")
    for name, median in medians.items():
        print(f"{name:12s} median {median * 1000:7.1f} ms   ratio to shipped {median / shipped_ms:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
