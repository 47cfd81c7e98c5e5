"""`compose build` against `kubectl kustomize` on one large ConfigMap, side by side.

Writes a kustomization (a ConfigMap of N keys, with namePrefix and commonLabels) into a
temporary directory for each size, runs both commands alternately as fresh processes (as a
user runs them, so noise from other work hits both alike) and prints, per size, the medians
of wall time and of CPU time (user + system, steadier on a busy machine), the ratios
compose/kubectl, and each command's peak memory (max RSS). It checks that both print the
same bytes. The target of issue 11 is a ratio of at most 0.05 at 20,000 keys, with compose's
memory growing linearly.

    python bench/scale_configmap.py [--sizes 5000,10000,20000] [--runs N]
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

from _bytecode import ensure_bytecode  # bench/ is sys.path[0]


def write_case(directory: Path, keys: int) -> None:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: big", "data:"]
    lines += [f"  key-{i:06d}: value number {i} with some text" for i in range(keys)]
    (directory / "cm.yaml").write_text("\n".join(lines) + "\n")
    (directory / "kustomization.yaml").write_text("resources: [cm.yaml]\nnamePrefix: p-\ncommonLabels: {app: big}\n")


def run(cmd: list[str]) -> tuple[float, float, int, bytes]:
    """Wall seconds, CPU seconds, max RSS in KiB and stdout of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[0]} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(ensure_bytecode())
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl not found on PATH", file=sys.stderr)
        return 1
    script = Path(sys.executable).parent / "compose"
    compose = [str(script)] if script.exists() else [sys.executable, "-m", "compose"]
    print(f"{'keys':>7} {'compose wall':>13} {'kubectl wall':>13} {'ratio':>6} {'compose cpu':>12} "
          f"{'kubectl cpu':>12} {'ratio':>6} {'compose MiB':>12} {'kubectl MiB':>12}")
    for keys in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            write_case(directory, keys)
            ours = [*compose, "build", str(directory)]
            theirs = [kubectl, "kustomize", str(directory)]
            if run(ours)[3] != run(theirs)[3]:
                print(f"{keys}: the outputs differ", file=sys.stderr)
                return 1
            samples: dict[str, list[tuple[float, float, int]]] = {"ours": [], "theirs": []}
            for _ in range(args.runs):
                samples["ours"].append(run(ours)[:3])
                samples["theirs"].append(run(theirs)[:3])

            def med(who: str, i: int) -> float:
                return statistics.median(s[i] for s in samples[who])

            print(f"{keys:>7} {med('ours', 0):>12.3f}s {med('theirs', 0):>12.3f}s {med('ours', 0) / med('theirs', 0):>6.3f} "
                  f"{med('ours', 1):>11.3f}s {med('theirs', 1):>11.3f}s {med('ours', 1) / med('theirs', 1):>6.3f} "
                  f"{med('ours', 2) / 1024:>12.1f} {med('theirs', 2) / 1024:>12.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
