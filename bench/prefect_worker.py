"""Per-run preparation cost of the compose Prefect worker beside Prefect's own Kubernetes worker.

What a worker does for each flow run before it talks to the cluster, on one thread, offline
(Prefect's schema objects, no server; the client points at a closed port and is never used):

* ``prefect-kubernetes``: ``KubernetesWorkerJobConfiguration.from_template_and_values`` on
  the pool's default template plus ``prepare_for_flow_run`` (Prefect's per-run rendering);
* ``compose worker``: ``ComposeKubernetesJobConfiguration.from_template_and_values`` on the
  template generated from the embedded default spec repo plus ``prepare_for_flow_run``: the
  compose build (profile gpu-spot: three overlays, strict validation), Prefect's env and
  labels merged onto the flow container, the Job validated again;
* ``compose worker, settings env per run``: the same with Prefect's own per-run settings
  serialisation (what the compose worker caches per process);
* ``Composer.build``: compose's build alone.

Every case gets fresh values (image, cpu, memory, GPU count) and a fresh flow run on every
call; the cases are interleaved in rounds, and the median rate per wall second and per CPU
second is printed with the ratio to Prefect's worker.

    python bench/prefect_worker.py [--seconds S] [--rounds N]

Needs the prefect extra; prefect-kubernetes for Prefect's side (skipped without it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
IMAGES = [f"prefecthq/prefect:3.{i}-python3.12" for i in range(10)]


def _objects(template: dict[str, Any], pool_type: str) -> tuple[Any, Any, Any]:
    from prefect.client.schemas.objects import Flow, WorkPool
    from prefect.client.schemas.responses import DeploymentResponse

    flow = Flow(id=uuid.uuid4(), name="etl")
    pool = WorkPool(id=uuid.uuid4(), name="pool", type=pool_type, base_job_template=template)
    deployment = DeploymentResponse(id=uuid.uuid4(), name="nightly", flow_id=flow.id, job_variables={})
    return flow, pool, deployment


def _flow_run(flow: Any, deployment: Any, job_variables: dict[str, Any]) -> Any:
    from prefect.client.schemas.objects import FlowRun

    return FlowRun(id=uuid.uuid4(), name="crimson-dolphin", flow_id=flow.id, deployment_id=deployment.id,
                   job_variables=job_variables)


def make_cases(client: Any) -> dict[str, Callable[[int], Any]]:
    from compose import Composer
    from compose.model import FlowRun
    from compose.prefect.template import base_job_template
    from compose.prefect.worker import ComposeKubernetesJobConfiguration
    from prefect.workers.base import BaseJobConfiguration

    cases: dict[str, Callable[[int], Any]] = {}
    try:
        from prefect_kubernetes.worker import KubernetesWorker, KubernetesWorkerJobConfiguration
    except ImportError:
        print("prefect-kubernetes is not installed: Prefect's side is skipped (pip install prefect-kubernetes)")
    else:
        p_template = KubernetesWorker.get_default_base_job_template()
        p_flow, p_pool, p_dep = _objects(p_template, "kubernetes")

        async def prefect_k8s(k: int) -> Any:
            values = {"image": IMAGES[k % 10], "env": {"GPU_COUNT": str(1 + k % 4), "MEMORY": f"{4 + k % 12}Gi"}}
            run = _flow_run(p_flow, p_dep, values)
            config = await KubernetesWorkerJobConfiguration.from_template_and_values(p_template, values, client=client)
            config.prepare_for_flow_run(run, p_dep, p_flow, p_pool, "worker-1")
            return config.job_manifest

        cases["prefect-kubernetes worker"] = prefect_k8s

    c_template = base_job_template(REPO, "kubernetes")
    c_flow, c_pool, c_dep = _objects(c_template, "compose-kubernetes")

    def values(k: int) -> dict[str, Any]:
        return {"job_profile": "gpu-spot", "memory": f"{4 + k % 12}Gi", "cpu": f"{1 + k % 4}",
                "image": IMAGES[k % 10], "gpu_count": 1 + k % 4}

    async def compose_worker(k: int) -> Any:
        v = values(k)
        run = _flow_run(c_flow, c_dep, v)
        config = await ComposeKubernetesJobConfiguration.from_template_and_values(c_template, v, client=client)
        config.prepare_for_flow_run(run, c_dep, c_flow, c_pool, "worker-1")
        assert config.compose_error is None, config.compose_error
        return config.spec.job

    class PerRunSettings(ComposeKubernetesJobConfiguration):
        @classmethod
        def _base_environment(cls) -> dict[str, str]:
            return BaseJobConfiguration._base_environment.__func__(cls)  # Prefect's: every run

    async def compose_worker_uncached(k: int) -> Any:
        v = values(k)
        run = _flow_run(c_flow, c_dep, v)
        config = await PerRunSettings.from_template_and_values(c_template, v, client=client)
        config.prepare_for_flow_run(run, c_dep, c_flow, c_pool, "worker-1")
        return config.spec.job

    composer = Composer.load(REPO)
    composer.warm()

    async def compose_build(k: int) -> Any:
        return composer.build(values(k), context=FlowRun(id=str(uuid.uuid4()), flow_name="etl")).job

    cases["compose worker"] = compose_worker
    cases["compose worker, settings env per run"] = compose_worker_uncached
    cases["Composer.build"] = compose_build
    return cases


async def measure(fn: Callable[[int], Any], seconds: float) -> tuple[float, float]:
    n = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    deadline = wall0 + seconds
    while True:
        for _ in range(5):
            await fn(n)
            n += 1
        if time.perf_counter() >= deadline:
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return n / wall, n / max(cpu, 1e-9)


async def main_async(seconds: float, rounds: int) -> int:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        cases = make_cases(client)
        for fn in cases.values():  # warm every path once (imports, caches)
            for k in range(3):
                await fn(k)
        rates: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, fn in cases.items():
                rates[name].append(await measure(fn, seconds))
    base = "prefect-kubernetes worker"
    ref = statistics.median(r[1] for r in rates[base]) if base in rates else None
    print(f"per-run preparation, one thread, median of {rounds} rounds of {seconds:g} s")
    print(f"{'path':40} {'runs/s wall':>12} {'runs/s CPU':>11} {'ms/run CPU':>11} {'x Prefect (CPU)':>16}")
    for name, samples in rates.items():
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        ratio = f"{cpu / ref:.1f}" if ref else "-"
        print(f"{name:40} {wall:12,.0f} {cpu:11,.0f} {1000 / cpu:11.3f} {ratio:>16}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case")
    args = parser.parse_args()
    import anyio
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        return anyio.run(main_async, args.seconds, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
