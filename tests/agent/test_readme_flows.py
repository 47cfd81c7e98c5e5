"""The README's "Running the agent against a cluster" commands, with the real Composer on the
repo's embedded default spec repo, through the real CLI and runners: Kubernetes against the
fake API server, ECS against moto. What a new user would type, minus the real cluster."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from compose.cli import cli

REPO = Path(__file__).resolve().parent.parent.parent
NS = "flows"


def run(*args: Any, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def outcomes(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def finish_when_created(api: Any, name: str, exit_code: int = 0) -> threading.Thread:
    """The fake cluster's controller: finish the Job once the runner has created it."""

    def controller() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if (NS, name) in api.jobs:
                api.finish_job(NS, name, exit_code)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=controller, daemon=True)
    thread.start()
    return thread


def test_kubernetes_submit_wait_resubmit_cancel(api: Any, kubeconfig: str) -> None:
    base = ["submit", REPO, "--run-id", "7f9c2b11", "--flow-name", "etl", "-s", "job_profile=gpu",
            "--kubeconfig", kubeconfig, "-n", NS]
    dry = run(*base[:8], "--dry-run=client")  # no cluster configuration needed
    assert dry.exit_code == 0, dry.stderr
    assert outcomes(dry)[0]["status"] == "dry-run" and not api.jobs

    server = run(*base, "--dry-run=server")
    assert server.exit_code == 0, server.stderr
    assert outcomes(server)[0]["status"] == "dry-run" and not api.jobs

    controller = finish_when_created(api, "flow-run-7f9c2b11", exit_code=0)
    done = run(*base, "--wait", "--timeout", "30")
    controller.join()
    assert done.exit_code == 0, done.stderr
    (outcome,) = outcomes(done)
    assert outcome["status"] == "succeeded" and outcome["job_name"] == "flow-run-7f9c2b11"
    assert outcome["exit_code"] == 0
    job = api.jobs[(NS, "flow-run-7f9c2b11")]
    # What was submitted is what `compose build --run-id` previews.
    preview = run("build", REPO, "-s", "job_profile=gpu", "--run-id", "7f9c2b11", "--flow-name", "etl", "-o", "json")
    previewed = json.loads(preview.stdout)
    assert job["spec"]["template"]["spec"]["containers"] == previewed["spec"]["template"]["spec"]["containers"]
    assert job["metadata"]["name"] == previewed["metadata"]["name"]

    again = run(*base)
    assert again.exit_code == 0 and outcomes(again)[0]["already_submitted"] is True
    assert len(api.jobs) == 1

    cancel = run("cancel", "--run-id", "7f9c2b11", "--kubeconfig", kubeconfig, "-n", NS)
    assert cancel.exit_code == 0, cancel.stderr
    assert outcomes(cancel)[0]["status"] == "cancelled" and not api.jobs


def test_kubernetes_agent_over_json_lines(api: Any, kubeconfig: str, tmp_path: Path) -> None:
    runs = tmp_path / "runs.jsonl"
    runs.write_text('{"id": "run-1", "flow": "etl"}\n'
                    '{"id": "run-2", "flow": "train", "metadata": {"job_profile": "gpu", "memory": "32Gi"}}\n')
    dry = run("agent", REPO, "--dry-run", "-i", runs)
    assert dry.exit_code == 0, dry.stderr
    assert [o["status"] for o in outcomes(dry)] == ["dry-run", "dry-run"]

    live = run("agent", REPO, "-i", runs, "--kubeconfig", kubeconfig, "-n", NS, "--concurrency", "8", "--no-wait")
    assert live.exit_code == 0, live.stderr
    assert sorted(o["job_name"] for o in outcomes(live)) == ["flow-run-run-1", "flow-run-run-2"]
    big = api.jobs[(NS, "flow-run-run-2")]["spec"]["template"]["spec"]
    assert big["nodeSelector"]["compose.dev/memory-class"] == "high"  # memory >= 16Gi selected high-memory
    restarted = run("agent", REPO, "-i", runs, "--kubeconfig", kubeconfig, "-n", NS, "--no-wait")
    assert [o["already_submitted"] for o in outcomes(restarted)] == [True, True]
    assert len(api.jobs) == 2


def test_ecs_submit_wait_agent_cancel(ecs: Any, fargate_network: dict[str, Any], moto: str, tmp_path: Path) -> None:
    net = fargate_network["awsvpcConfiguration"]
    cluster = ecs.list_clusters()["clusterArns"][0].rsplit("/", 1)[1]
    aws = ["--region", "us-east-1", "--endpoint-url", moto]
    sets = ["-s", f"subnet={net['subnets'][0]}", "-s", f"security_group={net['securityGroups'][0]}",
            "-s", f"cluster={cluster}"]
    done = run("submit", REPO, "-t", "ecs", "--run-id", "7f9c2b11", *aws, *sets, "--wait", "--poll", "0.05",
               "--timeout", "30")
    assert done.exit_code == 0, done.stderr
    (outcome,) = outcomes(done)
    assert outcome["status"] == "succeeded" and outcome["task_arn"].startswith("arn:aws:ecs:")

    runs = tmp_path / "runs.jsonl"
    runs.write_text('{"id": "run-1", "flow": "etl"}\n{"id": "run-2", "flow": "etl"}\n')
    agent = run("agent", REPO, "-t", "ecs", "-i", runs, *aws, *sets, "--no-wait")
    assert agent.exit_code == 0, agent.stderr
    assert [o["status"] for o in outcomes(agent)] == ["submitted", "submitted"]
    # Every run of one profile used one task definition revision.
    families = ecs.list_task_definitions(familyPrefix="compose-flow-run")["taskDefinitionArns"]
    assert len(families) == 1, families

    cancel = run("cancel", "-t", "ecs", "--run-id", "run-1", *aws, "--cluster", cluster)
    assert cancel.exit_code == 0, cancel.stderr
    assert outcomes(cancel)[0]["status"] == "cancelled"
