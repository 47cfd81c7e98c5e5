"""Opt-in: the runner against a real cluster.

Skipped unless ``COMPOSE_E2E_KUBECONFIG`` names a kubeconfig. Optional:
``COMPOSE_E2E_CONTEXT``, ``COMPOSE_E2E_NAMESPACE`` (default: the context's), and
``COMPOSE_E2E_IMAGE`` (default ``busybox:1.36``). The identity needs create/get/list/watch/
delete on jobs.batch and list on pods and get on pods/log in that namespace. Each run uses a
fresh run id, and the Jobs it makes are deleted at the end.

    COMPOSE_E2E_KUBECONFIG=~/.kube/config pytest tests/runner_k8s/test_k8s_e2e_cluster.py
"""

from __future__ import annotations

import io
import os
import uuid

import pytest

KUBECONFIG = os.environ.get("COMPOSE_E2E_KUBECONFIG")

pytestmark = pytest.mark.skipif(not KUBECONFIG, reason="set COMPOSE_E2E_KUBECONFIG to run against a real cluster")

IMAGE = os.environ.get("COMPOSE_E2E_IMAGE", "busybox:1.36")


def make_job(script: str) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "compose-e2e"},
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 600,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        # A sidecar first: the flow container must be found by name.
                        {"name": "sidecar", "image": IMAGE, "command": ["sh", "-c", "sleep 2"]},
                        {"name": "flow", "image": IMAGE, "command": ["sh", "-c", script]},
                    ],
                }
            },
        },
    }


@pytest.fixture
def cluster_runner():
    from compose.runner.kubernetes import KubernetesRunner

    runner = KubernetesRunner(
        kubeconfig=os.path.expanduser(KUBECONFIG or ""),
        context=os.environ.get("COMPOSE_E2E_CONTEXT") or None,
        namespace=os.environ.get("COMPOSE_E2E_NAMESPACE") or None,
    )
    made: list[str] = []
    runner._e2e_made = made  # type: ignore[attr-defined]
    yield runner
    for name in made:
        runner.cancel(name)
    runner.close()


def test_submit_twice_wait_logs_and_exit_code(cluster_runner):
    run_id = f"e2e-{uuid.uuid4()}"
    job = make_job("echo hello from compose; exit 3")
    dry = cluster_runner.submit(job, run_id, dry_run="server")
    assert dry.dry_run == "server" and not dry.created
    first = cluster_runner.submit(job, run_id)
    cluster_runner._e2e_made.append(first.name)
    second = cluster_runner.submit(job, run_id)
    assert first.created and second.already_submitted and second.uid == first.uid
    assert cluster_runner.find(run_id) == [first.name]
    logs = io.StringIO()
    outcome = cluster_runner.wait(first.name, timeout=300, log_stream=logs)
    assert not outcome.succeeded
    assert outcome.exit_code == 3 and outcome.container_reason == "Error"
    assert "hello from compose" in logs.getvalue()


def test_invalid_job_shows_field_causes(cluster_runner):
    from compose.runner.kubernetes import KubernetesAPIError

    job = make_job("true")
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    with pytest.raises(KubernetesAPIError) as info:
        cluster_runner.submit(job, f"e2e-{uuid.uuid4()}", dry_run="server")
    assert info.value.status == 422
    assert any(field.endswith("restartPolicy") for field, _ in info.value.causes)


def test_cancel_running_job(cluster_runner):
    run_id = f"e2e-{uuid.uuid4()}"
    result = cluster_runner.submit(make_job("sleep 300"), run_id)
    assert cluster_runner.cancel(result.name) is True
    outcome = cluster_runner.wait(result.name, timeout=120) if cluster_runner.get(result.name) else None
    assert outcome is None or outcome.reason == "Deleted"
