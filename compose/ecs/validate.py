"""Offline validation of ECS RegisterTaskDefinition and RunTask inputs.

Two layers, both run on every call so that one call reports every problem:

1. botocore's ECS service model: types, required and unknown members, tagged unions and
   minimums (what ``botocore.validate.ParamValidator`` checks), plus the enums and maximums it
   skips. The model is loaded lazily on first use and compiled once (:mod:`._model`).
2. Semantic rules the model cannot express (:mod:`.rules`).

Example:
    >>> from compose.ecs import validate_task_definition
    >>> td = {"family": "flow", "containerDefinitions": [
    ...     {"name": "flow", "image": "python:3.12", "memory": 512,
    ...      "dependsOn": [{"containerName": "proxy", "condition": "START"}]}]}
    >>> [str(p) for p in validate_task_definition(td)]  # doctest: +NORMALIZE_WHITESPACE
    ["[ecs.container-ref] dependsOn names container 'proxy', which does not exist
      (containers: flow) (at containerDefinitions[0].dependsOn[0].containerName)"]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from compose.errors import Problem, ValidationError
from compose.ecs import _model
from compose.ecs.rules import RUN_TASK_RULES, TASK_DEFINITION_RULES

__all__ = [
    "validate_task_definition",
    "validate_run_task",
    "check_task_definition",
    "check_run_task",
]


def _root(value: Any, what: str) -> tuple[dict | None, list[Problem]]:
    if isinstance(value, dict):
        return value, []
    if isinstance(value, Mapping):
        return dict(value), []
    return None, [Problem(f"{what} must be an object, got {type(value).__name__}",
                          source="ecs.type")]


def validate_task_definition(td: Mapping[str, Any]) -> list[Problem]:
    """Every problem in a RegisterTaskDefinition input, in a stable order.

    Args:
        td: the task definition as RegisterTaskDefinition takes it (camelCase keys, as in
            ``aws ecs register-task-definition --cli-input-json``). Not modified.

    Returns:
        The problems found, model problems first, then the semantic rules' in rule order;
        empty when the task definition is valid. Each has a field ``path`` and a ``source``
        of ``"ecs.<rule id>"`` (see :mod:`compose.ecs.rules`).
    """
    data, problems = _root(td, "a task definition")
    if data is None:
        return problems
    _model.check(data, _model.input_node("RegisterTaskDefinition"), (), problems)
    for rule in TASK_DEFINITION_RULES:
        problems.extend(rule(data))
    return problems


def validate_run_task(
    req: Mapping[str, Any], task_definition: Mapping[str, Any] | None = None
) -> list[Problem]:
    """Every problem in a RunTask input.

    Args:
        req: the RunTask input (camelCase keys). Not modified.
        task_definition: the task definition it runs, if known; enables the checks that
            need it (container override names, network configuration for ``awsvpc``,
            family). It is not itself validated here.

    Returns:
        The problems found, as for :func:`validate_task_definition`.
    """
    data, problems = _root(req, "a RunTask request")
    if data is None:
        return problems
    td = task_definition if isinstance(task_definition, dict) else (
        dict(task_definition) if isinstance(task_definition, Mapping) else None)
    _model.check(data, _model.input_node("RunTask"), (), problems)
    for rule in RUN_TASK_RULES:
        problems.extend(rule(data, td))
    return problems


def _raise(problems: Iterable[Problem], what: str, **kw: Any) -> None:
    problems = list(problems)
    if problems:
        raise ValidationError(problems, what=what, **kw)


def check_task_definition(td: Mapping[str, Any], *, file: str | None = None) -> None:
    """Raise :class:`~compose.errors.ValidationError` listing every problem, if any."""
    _raise(validate_task_definition(td), "ECS task definition", file=file, step="validate")


def check_run_task(
    req: Mapping[str, Any],
    task_definition: Mapping[str, Any] | None = None,
    *,
    file: str | None = None,
) -> None:
    """Raise :class:`~compose.errors.ValidationError` listing every problem, if any."""
    _raise(validate_run_task(req, task_definition), "ECS RunTask request", file=file,
           step="validate")
