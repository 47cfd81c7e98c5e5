"""Wall time of `compose build` against `kubectl kustomize` on the same kustomization.

Runs both commands alternately (so machine noise hits both alike), each as a fresh process
as a user would run it, and prints both medians and the ratio compose/kubectl. The target of
issue 2 is a ratio of at most 0.5 on the base + 3-patch Job overlay in bench/fixtures.

    python bench/build_vs_kubectl.py [DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _bytecode import ensure_bytecode  # bench/ is sys.path[0]

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE / "fixtures" / "job-overlay" / "overlay"


def _time(cmd: list[str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    print(ensure_bytecode())
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl not found on PATH", file=sys.stderr)
        return 1
    # The console script a user runs (beside this interpreter), else `python -m compose`.
    script = Path(sys.executable).parent / "compose"
    ours = [str(script), "build", str(args.dir)] if script.exists() else [sys.executable, "-m", "compose", "build", str(args.dir)]
    theirs = [kubectl, "kustomize", str(args.dir)]
    _time(ours), _time(theirs)  # warm the page cache for both
    t_ours: list[float] = []
    t_theirs: list[float] = []
    for _ in range(args.runs):
        t, _out = _time(ours)
        t_ours.append(t)
        t, _out = _time(theirs)
        t_theirs.append(t)
    m_ours, m_theirs = statistics.median(t_ours), statistics.median(t_theirs)
    print(f"fixture:            {args.dir}")
    print(f"compose command:    {' '.join(ours[:2])}")
    print(f"runs:               {args.runs} each, alternating")
    print(f"compose build:      median {m_ours * 1000:7.1f} ms")
    print(f"kubectl kustomize:  median {m_theirs * 1000:7.1f} ms")
    print(f"ratio compose/kubectl: {m_ours / m_theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
