"""How long `compose validate` takes on the embedded default, beside one `kubectl kustomize`.

`compose validate` builds every overlay set that metadata can select, for both targets (124
sets for the embedded default: each profile with each combination of the conditional
overlays, and each overlay alone), looks for the metadata that selects each, and analyses
the quiet overlays. This script times that whole enumeration in fresh processes (load
included, as the command runs it), as CPU time and wall time, and prints the median beside
the median of `kubectl kustomize` building just one overlay set (the base plus the gpu,
spot and service-account overlays), a process per build. Issue 9 asks for the full
enumeration to stay well under a second.

    python bench/validate_default.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _bytecode import ensure_bytecode  # bench/ is sys.path[0]

REPO = Path(__file__).resolve().parent.parent
OVERLAYS = ("gpu", "spot", "service-account")

_CHILD = """
import json, resource, time
t0, c0 = time.perf_counter(), time.process_time()
from compose import Composer
report = Composer.load({root!r}).validate_report()
print(json.dumps({{"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "sets": len(report.sets), "problems": len(report.problems),
                  "warnings": len(report.warnings)}}))
"""


def bench_validate(runs: int) -> list[dict[str, float]]:
    out = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(REPO))], capture_output=True,
                              text=True, check=True)
        out.append(json.loads(done.stdout))
    return out


def bench_kubectl(runs: int) -> float | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    with tempfile.TemporaryDirectory(dir=REPO) as tmp:
        rel = os.path.relpath(REPO, tmp)
        Path(tmp, "kustomization.yaml").write_text(
            f"resources: [{rel}/bases/kubernetes]\ncomponents: [" + ", ".join(f"{rel}/overlays/{o}" for o in OVERLAYS) + "]\n")
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([kubectl, "kustomize", tmp], capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(ensure_bytecode())
    results = bench_validate(args.runs)
    sets = results[0]["sets"]
    assert all(r["problems"] == 0 for r in results), results
    cpu = statistics.median(r["cpu"] for r in results)
    wall = statistics.median(r["wall"] for r in results)
    print(f"compose validate (embedded default, {sets} overlay sets, load included): "
          f"median {cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms wall over {args.runs} fresh processes "
          f"(CPU range {min(r['cpu'] for r in results) * 1000:.0f}-{max(r['cpu'] for r in results) * 1000:.0f} ms)")
    kubectl = bench_kubectl(args.runs)
    if kubectl is not None:
        print(f"kubectl kustomize, one overlay set: median {kubectl * 1000:.0f} ms wall; "
              f"ratio validate-all / one kubectl build: {wall / kubectl:.2f}")


if __name__ == "__main__":
    main()
