"""read_flow_runs over the YAML table in cases/jsonlines.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from compose.agent import InvalidInput, read_flow_runs
from compose.model import FlowRun

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "jsonlines.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_jsonlines(case: dict[str, Any]) -> None:
    got = list(read_flow_runs(case["lines"], source="runs.jsonl"))
    assert len(got) == len(case["expect"])
    for item, want in zip(got, case["expect"]):
        if "run" in want:
            assert isinstance(item, FlowRun), item
            assert item.to_dict() == want["run"]
        else:
            assert isinstance(item, InvalidInput), item
            assert item.line == want["invalid"] and item.source == "runs.jsonl"
            assert want["message"] in item.message
            assert item.run_id == want.get("run_id")


def test_lines_are_read_only_when_a_run_is_wanted() -> None:
    read: list[str] = []

    def lines():
        for text in ('{"id": "a"}', '{"id": "b"}'):
            read.append(text)
            yield text

    runs = read_flow_runs(lines())
    assert read == []
    assert next(runs).id == "a" and len(read) == 1
