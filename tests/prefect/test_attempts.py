"""Attempts of a flow run on Kubernetes, through the real KubernetesRunner and the fake API
server (fast: no Prefect server): a hand-out after the Job finished makes attempt 2; later
hand-outs adopt it; names stay DNS-1123 labels however long the Job's own name."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("prefect", reason="the prefect extra is not installed (pip install -e '.[test,prefect]')")

NS = "flows"
RUN = "0d6f6a4e-9a0b-4a8e-b9b3-2a9d4c1f7e11"


def _job(name: str) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "flow", "image": "python:3.12", "command": ["python", "-m", "prefect.engine"]}]}}}}


def _worker_and_config(kubeconfig: str, name: str) -> tuple[Any, Any]:
    from compose.prefect.worker import ComposeKubernetesWorker

    worker = ComposeKubernetesWorker.__new__(ComposeKubernetesWorker)   # _submit needs no Prefect client
    worker._runners, worker._runners_lock, worker._observer = {}, threading.Lock(), None
    config = SimpleNamespace(spec=SimpleNamespace(job=_job(name), flow_container="flow"),
                             kubeconfig=kubeconfig, kube_context=None, namespace=NS)
    return worker, config


@pytest.mark.parametrize("name", ["flow-run", "x" * 60])
def test_a_hand_out_after_the_job_finished_makes_the_next_attempt_once(kube, name) -> None:
    api, kubeconfig = kube
    worker, config = _worker_and_config(kubeconfig, name)
    first, created = worker._submit(config, RUN)
    assert created
    assert worker._submit(config, RUN) == (first, False)           # still running: adopted
    api.finish_job(NS, first.split(":", 1)[1], 137, reason="OOMKilled")
    second, created = worker._submit(config, RUN)
    assert created and second != first
    job_name = second.split(":", 1)[1]
    assert job_name.endswith("-2") and len(job_name) <= 63
    assert worker._submit(config, RUN) == (second, False)          # attempt 2 adopted
    job = api.jobs[(NS, job_name)]
    assert job["metadata"]["annotations"]["compose.dev/run-id"] == RUN
    assert sum(1 for (ns, n) in api.jobs if ns == NS and n.startswith(first.split(":", 1)[1][:40])) == 2
