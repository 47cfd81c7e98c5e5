"""The one agent test with the real Composer: the repo's embedded default spec repo, through
the Agent and the real Kubernetes runner, into the fake API server."""

from __future__ import annotations

import importlib.util

import pytest

from compose.model import FlowRun


@pytest.mark.skipif(importlib.util.find_spec("compose.composer") is None,
                    reason="compose.composer (issue 3) is not importable yet")
def test_embedded_default_through_the_agent(repo_root, api, k8s_runner, tracker):
    from kubernetes.client import V1Job

    from compose.agent import Agent, ComposerGenerator, generate_job_spec

    generator = ComposerGenerator.from_path(repo_root, "kubernetes",
                                            metadata_defaults={"image": "ghcr.io/acme/flows:1.4"})
    runs = [
        FlowRun(id="0d6f6a4e-9a0b", flow_name="etl", deployment="nightly"),
        FlowRun(id="7f9c2b11-77aa", flow_name="train", metadata={"job_profile": "gpu"}),
        FlowRun(id="bad-profile", metadata={"job_profile": "quantum"}),
    ]
    summary = Agent(runs, generator, k8s_runner, wait=False, concurrency=2, on_outcome=tracker.leave).run()
    assert summary.counts == {"submitted": 2, "generate-failed": 1}, [o.message for o in tracker.outcomes]
    out = tracker.by_run()
    assert "quantum" in out["bad-profile"].message

    stored = {j["metadata"]["annotations"]["compose.dev/run-id"]: j for j in api.jobs.values()}
    assert sorted(stored) == ["0d6f6a4e-9a0b", "7f9c2b11-77aa"]
    for run in runs[:2]:
        job = stored[run.id]
        assert out[run.id].job_name == job["metadata"]["name"]
        assert job["metadata"]["name"] == k8s_runner.job_name(generator.generate(run).job, run.id)
        containers = {c["name"]: c for c in job["spec"]["template"]["spec"]["containers"]}
        assert containers["flow"]["image"] == "ghcr.io/acme/flows:1.4", "the agent default reached the spec"
        env = {e["name"]: e.get("value") for e in containers["flow"].get("env", [])}
        assert env.get("PREFECT__FLOW_RUN_ID") == run.id
    gpu = {c["name"]: c for c in stored["7f9c2b11-77aa"]["spec"]["template"]["spec"]["containers"]}["flow"]
    assert "nvidia.com/gpu" in gpu["resources"]["limits"]

    v1 = generate_job_spec(runs[1], root=repo_root)
    assert isinstance(v1, V1Job) and v1.metadata.annotations["compose.dev/run-id"] == "7f9c2b11-77aa"
