"""Exactly once, nothing lost: the real ``compose agent`` through the fault proxy.

Counts are taken at the backend (moto, the fake API server), never through the proxy. Every
scenario prints its figures (``-s`` shows them); the long ones are marked slow.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

_HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


harness = _load("compose_tests_runner_faults_harness", _HERE / "harness.py")

TARGETS = ["ecs", "kubernetes"]


def by_run(outcomes: list[dict[str, Any]]) -> Counter[str]:
    return Counter(o["run_id"] for o in outcomes if o["run_id"] is not None)


def check_exactly_once(outcomes: list[dict[str, Any]], at_backend: Counter[str], ids: list[str]) -> dict[str, Any]:
    """0 runs without an outcome, 0 with two, 0 duplicates at the backend, and every run the
    agent calls submitted is there exactly once."""
    reported = by_run(outcomes)
    missing = [i for i in ids if reported[i] == 0]
    twice = [i for i, n in reported.items() if n > 1]
    duplicates = {i: n for i, n in at_backend.items() if n > 1}
    statuses = Counter(o["status"] for o in outcomes)
    lost = [o["run_id"] for o in outcomes if o["status"] == "submitted" and at_backend[o["run_id"]] != 1]
    figures = {"runs": len(ids), "outcomes": len(outcomes), "missing": len(missing), "twice": len(twice),
               "at_backend": sum(at_backend.values()), "duplicates": len(duplicates), "statuses": dict(statuses)}
    assert not missing, f"runs without an outcome: {missing[:10]}"
    assert not twice, f"runs with two outcomes: {twice[:10]}"
    assert not duplicates, f"duplicates at the backend: {duplicates}"
    assert not lost, f"reported submitted but not at the backend: {lost[:10]}"
    return figures


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_300_runs_under_mixed_faults(target, make_backend, spec_root, agent_process):
    backend = make_backend(target, harness.MIXED)
    lines = harness.runs_jsonl(300)
    ids = [json.loads(line)["id"] for line in lines]
    agent = agent_process(spec_root, backend, "--no-wait", "-c", "8")
    agent.feed(lines)
    elapsed = agent.finish(600)
    figures = check_exactly_once(agent.outcomes, backend.per_run(), ids)
    figures.update(seconds=round(elapsed, 1), faults=dict(backend.proxy.counts))
    print(f"\n{target} 300 runs, mixed faults: {figures}")
    assert figures["statuses"] == {"submitted": 300}, agent.err[-3000:]
    assert sum(backend.per_run().values()) == 300
    assert backend.proxy.counts["drop"] >= 10, "lost answers were injected"
    details = Counter(o["details"].get("submission") for o in agent.outcomes)
    assert set(details) <= {"created", "created-answer-lost"}, details
    assert all(not o["already_submitted"] for o in agent.outcomes)
    assert all(o["line"] == int(o["run_id"].split("-")[1]) + 1 for o in agent.outcomes)
    if target == "ecs":
        families = backend.client.list_task_definitions(familyPrefix="stub-flow")["taskDefinitionArns"]
        assert len(families) == 1, f"one revision for one content: {families}"
