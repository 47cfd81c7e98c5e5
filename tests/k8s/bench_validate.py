"""Timings of Kubernetes validation; run ``python tests/k8s/bench_validate.py`` (not a test).

Prints: schema load time in a fresh process, full validation of the typical Job, the
same with placeholder paths skipped, the per-build value checker, to_v1job, and
kubernetes-validate's own strict validation of the same Job for comparison.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_helpers import base  # noqa: E402


def best(fn: Callable[[], Any], number: int, repeat: int = 7) -> float:
    out = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        out = min(out, (time.perf_counter() - start) / number)
    return out


def nodes(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(nodes(v) for v in value)
    return 1


def main() -> None:
    from compose.k8s.schema import supported_versions
    from compose.k8s.validate import compile_value_checkers, validate_object

    for version in supported_versions():
        code = ("import time; from compose.k8s import schema\n"
                f"t = time.perf_counter(); schema.load({version!r}); print(time.perf_counter() - t)")
        runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                     check=True).stdout) for _ in range(5)]
        size = (Path(__file__).resolve().parents[2] / "compose/k8s/schemas" / f"v{version}.json.gz").stat().st_size
        print(f"load {version}: {min(runs) * 1e3:.2f} ms (fresh process, best of 5), {size / 1024:.1f} KiB")

    job = base("job")
    print(f"typical Job: {nodes(job)} nodes")
    assert validate_object(job) == []
    print(f"validate_object(job): {best(lambda: validate_object(job), 2000) * 1e6:.1f} us")
    c = ("spec", "template", "spec", "containers", 0)
    paths = [("metadata", "name"), ("metadata", "labels", "compose.dev/run-id"), ("spec", "backoffLimit"),
             c + ("image",), c + ("args", 1), c + ("env", 0, "value"), c + ("resources", "limits", "memory"),
             c + ("resources", "requests", "cpu"), ("spec", "template", "spec", "restartPolicy"),
             ("spec", "activeDeadlineSeconds")]
    print(f"validate_object(job, skip_values=10 paths): "
          f"{best(lambda: validate_object(job, skip_values=paths), 2000) * 1e6:.1f} us")
    check = compile_value_checkers(job, paths)
    values = dict(zip(paths, ["n-2", "r-2", 3, "img:2", "r-2", "x", "16Gi", "500m", "Never", 600]))
    assert check(values) == []
    t = best(lambda: check(values), 50_000)
    print(f"checker(10 values): {t * 1e6:.2f} us ({t * 1e6 / len(paths):.2f} us per value)")
    seq = list(values.values())
    print(f"checker.check_sequence(10 values): {best(lambda: check.check_sequence(seq), 50_000) * 1e6:.2f} us")
    print(f"compile_value_checkers(10 paths): {best(lambda: compile_value_checkers(job, paths), 2000) * 1e6:.1f} us")
    try:
        from compose.k8s.convert import to_v1job

        to_v1job(job)
        print(f"to_v1job(job): {best(lambda: to_v1job(job), 200) * 1e3:.2f} ms (validation included)")
        print(f"to_v1job(job, version=None): {best(lambda: to_v1job(job, version=None), 200) * 1e3:.2f} ms")
    except ImportError:
        print("to_v1job: kubernetes not installed")
    try:
        import kubernetes_validate

        kubernetes_validate.validate(job, "1.32", strict=True)
        t = best(lambda: kubernetes_validate.validate(job, "1.32", strict=True), 10, 3)
        print(f"kubernetes_validate.validate(job, strict=True): {t * 1e3:.1f} ms")
    except ImportError:
        print("kubernetes-validate not installed")


if __name__ == "__main__":
    main()
