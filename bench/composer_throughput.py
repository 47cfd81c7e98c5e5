"""Builds per second of a loaded Composer, beside `kubectl kustomize` on the same overlays.

The embedded default spec repo is built with three overlays (profile gpu-spot: gpu, spot,
service-account) and fresh parameter values and a fresh run id on every build, strict
validation included, on one thread (one core). Beside it, `kubectl kustomize` builds the
equivalent kustomization (the base plus the same three overlays as components) as a
process per build, which is what a templating step outside the agent would cost.
The target of issue 3 is at least 2,000 builds/s.

    python bench/composer_throughput.py [--seconds S] [--kubectl-runs N]
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

REPO = Path(__file__).resolve().parent.parent
OVERLAYS = ("gpu", "spot", "service-account")


def bench_composer(seconds: float) -> tuple[float, int]:
    from compose import Composer
    from compose.model import FlowRun

    composer = Composer.load(REPO)
    composer.warm()
    images = [f"prefecthq/prefect:3.{i}-python3.12" for i in range(10)]
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for i in range(200):
            k = n + i
            spec = composer.build(
                {"job_profile": "gpu-spot", "memory": f"{4 + k % 12}Gi", "cpu": f"{1 + k % 4}",
                 "image": images[k % 10], "gpu_count": 1 + k % 4, "log_level": ("INFO", "DEBUG")[k % 2]},
                context=FlowRun(id=f"run-{k:08d}", flow_name="etl"),
            )
        n += 200
        now = time.perf_counter()
        if now >= deadline:
            break
    assert spec.job["spec"]["template"]["spec"]["serviceAccountName"] == "flow-runner"
    return n / (now - start), n


def bench_kubectl(runs: int) -> float | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    with tempfile.TemporaryDirectory(dir=REPO) as tmp:
        rel = os.path.relpath(REPO, tmp)
        Path(tmp, "kustomization.yaml").write_text(
            "resources:\n- " + f"{rel}/bases/kubernetes\n" + "components:\n"
            + "".join(f"- {rel}/overlays/{o}\n" for o in OVERLAYS)
        )
        subprocess.run([kubectl, "kustomize", tmp], check=True, capture_output=True)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([kubectl, "kustomize", tmp], check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    return 1.0 / statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--kubectl-runs", type=int, default=15)
    args = parser.parse_args()
    ours, n = bench_composer(args.seconds)
    theirs = bench_kubectl(args.kubectl_runs)
    print(f"overlays:               {', '.join(OVERLAYS)} (profile gpu-spot), fresh values per build")
    print(f"compose Composer.build: {ours:10.0f} builds/s  ({n} builds, one thread, validation included)")
    if theirs is None:
        print("kubectl kustomize:      (kubectl not found)")
    else:
        print(f"kubectl kustomize:      {theirs:10.1f} builds/s  (median of {args.kubectl_runs} processes)")
        print(f"ratio compose/kubectl:  {ours / theirs:10.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
