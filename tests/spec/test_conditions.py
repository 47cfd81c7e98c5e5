"""The when: language (cases in cases/conditions.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from compose.errors import SpecError, ValidationError
from compose.spec.conditions import ALWAYS, OPERATORS, compile_condition, parse_condition
from compose.spec.params import parse_parameters, resolve
from compose.yamlio import load_single

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "conditions.yaml").read_text())
DECLS, _problems = parse_parameters(CASES["declarations"])
assert not _problems


def _evaluate(when: Any, metadata: dict[str, Any]) -> tuple[bool, str, bool, str]:
    cond = compile_condition(when, DECLS)
    resolved = resolve(DECLS, [("run", metadata)])
    matched, reason = cond.evaluate(resolved.values, resolved.metadata.data)
    fast = cond.matches(resolved.values, resolved.metadata.data)
    return matched, reason, fast, cond.describe()


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: f"{c['when']}|{c['metadata']}")
def test_condition(case: dict[str, Any]) -> None:
    matched, reason, fast, describe = _evaluate(case["when"], case["metadata"])
    assert (matched, reason) == (case["matched"], case["reason"])
    assert fast == matched  # the fast path agrees with the explained one
    if "describe" in case:
        assert describe == case["describe"]


@pytest.mark.parametrize("when,fragment", CASES["errors"], ids=lambda v: str(v)[:50])
def test_condition_refused_at_load(when: Any, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        compile_condition(when, DECLS)
    assert fragment in str(info.value)
    cond, problems = parse_condition(when, DECLS)
    assert cond is None and problems


def test_every_operator_is_covered_by_a_case() -> None:
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                used.add(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for case in CASES["cases"]:
        walk(case["when"])
    assert set(OPERATORS) <= used
    assert {"all", "any", "not"} <= used


def test_errors_carry_file_and_line_and_all_are_reported() -> None:
    text = (
        "overlays:\n"
        "  - name: a\n"
        "    when:\n"
        "      memory: {'>=': lots}\n"
        "      gpus: {'>': '2'}\n"
        "      job_profile: gpux\n"
    )
    doc = load_single(text, "compose.yaml")
    with pytest.raises(ValidationError) as info:
        compile_condition(doc.data["overlays"][0]["when"], DECLS, file="compose.yaml", locations=doc.locations, path=("overlays", 0, "when"))
    problems = info.value.problems
    assert [(p.file, p.line) for p in problems] == [("compose.yaml", 4), ("compose.yaml", 5), ("compose.yaml", 6)]
    assert isinstance(info.value, SpecError)


def test_condition_keys_and_repr() -> None:
    cond = compile_condition({"any": [{"job_profile": "gpu"}, {"labels.team": "x"}], "memory": {">": "1Gi"}}, DECLS)
    assert cond.keys == frozenset({"job_profile", "labels.team", "memory"})
    assert repr(cond) == "Condition('(job_profile == gpu or labels.team == x) and memory > 1Gi')"
    assert ALWAYS.matches({}, {}) and ALWAYS.evaluate({}, {}) == (True, "no condition (always)")


def test_without_declarations_every_key_is_raw_metadata() -> None:
    cond = compile_condition({"memory": {">=": "16Gi"}, "job_profile": "gpu"})
    assert cond.evaluate({}, {"memory": "32Gi", "job_profile": "gpu"}) == (True, "memory=32Gi >= 16Gi and job_profile=gpu == gpu")
    assert cond.evaluate({}, {"memory": 8, "job_profile": "gpu"}) == (False, "memory=8 < 16Gi")
    # declared parameters are read from the resolved values, not from raw metadata
    declared = compile_condition({"memory": {">=": "16Gi"}}, DECLS)
    assert declared.matches({}, {"memory": "32Gi"}) is False


def test_quoting_in_reasons() -> None:
    cond = compile_condition({"tier": "free"}, DECLS)
    assert cond.evaluate({"tier": "a: b"}, {})[1] == "tier='a: b' != free"
    assert cond.evaluate({"tier": ""}, {})[1] == "tier='' != free"
    assert cond.evaluate({"tier": "yes"}, {})[1] == "tier='yes' != free"  # would read as a boolean in YAML 1.1
