"""Micro-benchmark of compose.spec's per-build work (not collected by pytest).

Per build, with fresh parameter values each time: ``select()`` (merge three metadata layers,
pick the profile, resolve and check every parameter, decide every overlay),
``substitution_values()`` and ``Template.render()`` of the fixture's Job and ECS task
definition. Results are dropped as a real caller would; the median of 5 rounds is printed.

    /tmp/venv/c/bin/python tests/spec/bench_spec.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from compose.spec import RunContext, compile_template, load_spec, select, substitution_values
from compose.yamlio import load_file

ROOT = Path(__file__).parent / "fixtures" / "repo"


def main(n: int = 10000, rounds: int = 5) -> None:
    spec = load_spec(ROOT)
    job = load_file(ROOT / "bases/kubernetes/job.yaml")[0].data
    task = load_file(ROOT / "bases/ecs/task-definition.yaml")[0].data
    t_job = compile_template(job, declarations=spec.parameters)
    t_task = compile_template(task, declarations=spec.parameters, name_rules=None)
    agent = ("agent", {"image": "prefecthq/prefect:2-latest", "team": "data"})
    deployment = ("deployment", {"job_profile": "gpu"})
    runs = [("run", {"memory": f"{16 + i % 32}Gi", "gpus": i % 4, "debug": bool(i % 2)}) for i in range(n)]
    contexts = [RunContext(run_id=f"run-{i:08d}", run_name=f"crimson-fox-{i}", flow_name="etl") for i in range(n)]
    sel0 = select(spec, [agent, deployment, runs[0]])
    v0 = substitution_values(sel0.params, contexts[0])

    def per_build(fn) -> float:
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) / n * 1e6)
        return statistics.median(samples)

    def whole() -> None:
        for r, c in zip(runs, contexts):
            sel = select(spec, [agent, deployment, r])
            values = substitution_values(sel.params, c)
            t_job.render(values)
            t_task.render(values)

    us_select = per_build(lambda: [select(spec, [agent, deployment, r]) for r in runs])
    us_values = per_build(lambda: [substitution_values(sel0.params, c) for c in contexts])
    us_job = per_build(lambda: [t_job.render(v0) for _ in runs])
    us_task = per_build(lambda: [t_task.render(v0) for _ in runs])
    us_whole = per_build(whole)
    print(f"placeholders: Job {len(t_job.paths)} paths, ECS task definition {len(t_task.paths)} paths")
    print(f"select (3 layers, profile, 6 params, 4 overlays): {us_select:6.1f} us")
    print(f"substitution_values:                              {us_values:6.1f} us")
    print(f"render Job:                                       {us_job:6.1f} us")
    print(f"render ECS task definition (mib, cpu_units):      {us_task:6.1f} us")
    print(f"whole per-build work, fresh values each build:    {us_whole:6.1f} us  ({1e6 / us_whole:,.0f} builds/s)")


if __name__ == "__main__":
    main()
