"""Runs the table-driven cases in tests/ecs/cases/*.yaml.

Each case gives an input (``input``, or ``base`` from bases.yaml plus a ``merge``), the
``rule`` it exercises, and ``expect``: the exact list of problems, each as a rule id, a path
and a substring of the message. A case passes only if the problems found are exactly those,
in any order.
"""

from __future__ import annotations

import copy
from typing import Any

from compose.ecs import validate_run_task, validate_task_definition
from compose.ecs.rules import RUN_TASK_RULES, TASK_DEFINITION_RULES
from compose.errors import Problem

MODEL_RULES = {"type", "required", "unknown", "enum", "length", "range", "union"}


def _run(kind: str, case: dict, ecs: Any) -> tuple[Any, list[Problem]]:
    data = ecs.case_input(case)
    before = copy.deepcopy(data)
    if kind == "task-definition":
        problems = validate_task_definition(data)
    else:
        td = ecs.resolve(case["task_definition"]) if "task_definition" in case else None
        problems = validate_run_task(data, td)
    assert data == before, "validation modified its input"
    return data, problems


def _matches(problem: Problem, want: dict) -> bool:
    return (
        problem.source == f"ecs.{want['rule']}"
        and tuple(problem.path or ()) == tuple(want["path"])
        and want["message"] in problem.message
    )


def test_case(ecs_case: tuple[str, str, dict], ecs: Any) -> None:
    _, kind, case = ecs_case
    _, problems = _run(kind, case, ecs)
    unmatched = list(problems)
    missing = []
    for want in case["expect"]:
        hit = next((p for p in unmatched if _matches(p, want)), None)
        if hit is None:
            missing.append(want)
        else:
            unmatched.remove(hit)
    assert not missing and not unmatched, (
        f"missing: {missing}\nunexpected: {[str(p) for p in unmatched]}"
    )


def test_every_problem_has_a_path_message_and_rule(ecs_case: tuple, ecs: Any) -> None:
    _, kind, case = ecs_case
    _, problems = _run(kind, case, ecs)
    for p in problems:
        assert p.source and p.source.startswith("ecs.")
        assert p.message and "\n" not in p.message
        assert p.path is not None or p.source == "ecs.type"


def _rule_ids() -> set[str]:
    ids = {r.rule_id for r in TASK_DEFINITION_RULES} | {r.rule_id for r in RUN_TASK_RULES}
    return ids | MODEL_RULES


def test_every_rule_has_a_failing_and_a_passing_case(ecs: Any) -> None:
    failing: set[str] = set()
    passing: set[str] = set()
    for _, _, case in ecs.all_cases():
        assert case["rule"] in _rule_ids(), f"case {case['name']!r} names an unknown rule"
        if case["expect"]:
            failing.update(want["rule"] for want in case["expect"])
            assert any(w["rule"] == case["rule"] for w in case["expect"]), case["name"]
        else:
            passing.add(case["rule"])
    # A model rule passes whenever a valid input has values of that kind; the named
    # passing cases are where a value sits right at the bound or in the enum.
    assert _rule_ids() - failing == set()
    assert _rule_ids() - passing == set()


def test_case_names_are_unique(ecs: Any) -> None:
    names = [(stem, case["name"]) for stem, _, case in ecs.all_cases()]
    assert len(names) == len(set(names))
