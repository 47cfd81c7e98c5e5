"""ECS outputs: offline validation, CLI JSON and per-run overrides.

Public API:

- :func:`validate_task_definition` / :func:`validate_run_task`: every problem in a
  RegisterTaskDefinition / RunTask input, as :class:`~compose.errors.Problem` objects;
  :func:`check_task_definition` / :func:`check_run_task` raise them as one
  :class:`~compose.errors.ValidationError`.
- :func:`to_cli_input_json`: the task definition as ``aws ecs register-task-definition
  --cli-input-json`` reads it.
- :func:`split_run_overrides`: move per-run values into RunTask overrides so the task
  definition stays identical across runs.

botocore is imported only when a function needs the ECS model, never at import time.
"""

from __future__ import annotations

from compose.ecs.cli_json import model_ordered, to_cli_input_json
from compose.ecs.overrides import RunSplit, split_run_overrides
from compose.ecs.sizes import FARGATE_SIZES, fargate_memory_choices, parse_cpu, parse_memory
from compose.ecs.validate import (
    check_run_task,
    check_task_definition,
    validate_run_task,
    validate_task_definition,
)

__all__ = [
    "validate_task_definition",
    "validate_run_task",
    "check_task_definition",
    "check_run_task",
    "to_cli_input_json",
    "model_ordered",
    "split_run_overrides",
    "RunSplit",
    "FARGATE_SIZES",
    "fargate_memory_choices",
    "parse_cpu",
    "parse_memory",
]
