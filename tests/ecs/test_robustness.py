"""Validation never raises on malformed input: it reports problems instead."""

from __future__ import annotations

import copy
import random
from typing import Any

from compose.ecs import validate_run_task, validate_task_definition
from compose.errors import Problem

JUNK: list[Any] = [None, True, 0, -1, 2**40, 1.5, "", "x", [], [None], {}, {"a": []}, {1: "x"}, [[1]], ("t",)]


def _mutate(doc: Any, rng: random.Random, depth: int = 0) -> Any:
    """Replace a random node of ``doc`` (a copy) with junk, several levels down."""
    if depth > 8 or not isinstance(doc, (dict, list)) or not doc or rng.random() < 0.15:
        return copy.deepcopy(rng.choice(JUNK))
    doc = copy.copy(doc)
    if isinstance(doc, dict):
        key = rng.choice(list(doc))
        if rng.random() < 0.1:
            del doc[key]
        else:
            doc[key] = _mutate(doc[key], rng, depth + 1)
    else:
        i = rng.randrange(len(doc))
        doc[i] = _mutate(doc[i], rng, depth + 1)
    return doc


def _check(problems: Any) -> None:
    assert isinstance(problems, list)
    assert all(isinstance(p, Problem) and p.message for p in problems)
    for p in problems:
        str(p)  # renders


def test_task_definition_fuzz(ecs: Any) -> None:
    rng = random.Random(20261125)
    seen_problem_kinds: set[str] = set()
    for base in ("fargate", "ec2"):
        doc = ecs.resolve(base)
        for _ in range(600):
            mutated = _mutate(doc, rng)
            for _ in range(rng.randrange(3)):
                mutated = _mutate(mutated, rng)
            problems = validate_task_definition(mutated)
            _check(problems)
            seen_problem_kinds.update(p.source for p in problems)
    assert {"ecs.type", "ecs.required"} <= seen_problem_kinds


def test_run_task_fuzz(ecs: Any) -> None:
    rng = random.Random(7)
    req, td = ecs.resolve("run-fargate"), ecs.resolve("fargate")
    for _ in range(600):
        problems = validate_run_task(_mutate(req, rng), _mutate(td, rng))
        _check(problems)


def test_non_mapping_task_definition_for_run_task(ecs: Any) -> None:
    req = ecs.resolve("run-fargate")
    assert validate_run_task(req, ["not", "a", "td"]) == []  # type: ignore[arg-type]
