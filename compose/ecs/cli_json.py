"""The task definition as ``aws ecs register-task-definition --cli-input-json`` reads it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from compose.ecs import _model

__all__ = ["to_cli_input_json", "model_ordered"]


def model_ordered(value: Any, operation: str = "RegisterTaskDefinition") -> Any:
    """A copy of ``value`` whose object keys follow the ECS model's member order.

    Members the model knows come in its order (``family`` first, a container's ``name`` and
    ``image`` first, ...); keys it does not know follow, sorted; map values (``dockerLabels``,
    ``logConfiguration.options``) are sorted by key. The order thus depends only on the keys,
    never on the order they were merged in.
    """
    return _order(value, _model.input_node(operation))


def _order(value: Any, node: Any) -> Any:
    kind = node[0] if node is not None else None
    if isinstance(value, Mapping):
        if kind == "structure":
            members = node[1]
            known = [k for k in members if k in value]
            extra = sorted((k for k in value if k not in members), key=str)
            return {k: _order(value[k], members.get(k)) for k in known + extra}
        child = node[2] if kind == "map" else None
        return {k: _order(value[k], child) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        child = node[1] if kind == "list" else None
        return [_order(item, child) for item in value]
    return value


def to_cli_input_json(td: Mapping[str, Any]) -> str:
    """Render a RegisterTaskDefinition input for ``aws ecs register-task-definition``.

    The result is JSON with 2-space indentation, keys in the ECS model's order (see
    :func:`model_ordered`), non-ASCII characters kept as they are, and a final newline, so
    equal task definitions give byte-equal text. Use it as
    ``aws ecs register-task-definition --cli-input-json file://td.json``.

    Args:
        td: the task definition. Not modified and not validated (see
            :func:`compose.ecs.validate_task_definition`).

    Returns:
        The JSON text.

    Example:
        >>> print(to_cli_input_json({"containerDefinitions": [{"image": "busybox",
        ...     "name": "flow"}], "family": "demo"}), end="")
        {
          "family": "demo",
          "containerDefinitions": [
            {
              "name": "flow",
              "image": "busybox"
            }
          ]
        }
    """
    return json.dumps(model_ordered(td), indent=2, ensure_ascii=False) + "\n"
