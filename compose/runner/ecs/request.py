"""Building RunTask requests: per-run overrides laid over the composed ones, failures explained."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["MAX_TAGS", "merge_overrides"]

#: ECS quota: tags per resource.
MAX_TAGS = 50

#: What a RunTask failure reason means, for the message.
_FAILURE_HINTS = {
    "RESOURCE:CPU": "no container instance has enough CPU left",
    "RESOURCE:MEMORY": "no container instance has enough memory left",
    "RESOURCE:PORTS": "the ports the task needs are taken on every container instance",
    "RESOURCE:GPU": "no container instance has enough GPUs left",
    "RESOURCE:ENI": "no elastic network interface could be attached (awsvpc)",
    "AGENT": "the ECS agent of the container instance is disconnected",
    "ATTRIBUTE": "no container instance has an attribute the task definition requires",
    "MISSING": "the container instance was not found",
    "INACTIVE": "the container instance is not ACTIVE",
}


def _merge_named(base: list[Any], extra: Iterable[Any], merge: Callable[[Any, Any], Any] | None = None) -> list[Any]:
    out = [copy.deepcopy(item) for item in base]
    index = {item.get("name"): i for i, item in enumerate(out) if isinstance(item, Mapping)}
    for item in extra:
        name = item.get("name") if isinstance(item, Mapping) else None
        if name is not None and name in index:
            i = index[name]
            out[i] = merge(out[i], item) if merge else copy.deepcopy(item)
        else:
            index[name] = len(out)
            out.append(copy.deepcopy(item))
    return out


def merge_overrides(base: Mapping[str, Any] | None, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Lay per-run RunTask ``overrides`` over the composed ones.

    ``containerOverrides`` merge by container ``name``, and inside one container
    ``environment`` merges by variable ``name``; every other field of ``extra`` replaces the
    one in ``base``. Neither input is modified.

    >>> merge_overrides({"containerOverrides": [{"name": "flow", "environment": [
    ...     {"name": "A", "value": "1"}]}]}, {"containerOverrides": [{"name": "flow",
    ...     "environment": [{"name": "RUN", "value": "7"}]}], "memory": "2048"})
    {'containerOverrides': [{'name': 'flow', 'environment': [{'name': 'A', 'value': '1'}, {'name': 'RUN', 'value': '7'}]}], 'memory': '2048'}
    """

    def merge_container(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        merged = {**copy.deepcopy(dict(old)), **copy.deepcopy(dict(new))}
        if "environment" in old and "environment" in new:
            merged["environment"] = _merge_named(list(old["environment"]), new["environment"])
        return merged

    out = copy.deepcopy(dict(base or {}))
    for key, value in (extra or {}).items():
        if key == "containerOverrides" and isinstance(out.get(key), list):
            out[key] = _merge_named(out[key], value, merge_container)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _failures_message(failures: list[Mapping[str, Any]], td_arn: str, context: str) -> str:
    if not failures:
        return f"RunTask started no task and reported no failure ({context}, task definition {td_arn})"
    parts = []
    for f in failures:
        reason = str(f.get("reason") or "unknown reason")
        text = reason
        hint = _FAILURE_HINTS.get(reason)
        if hint:
            text += f" ({hint})"
        if f.get("detail"):
            text += f": {f['detail']}"
        if f.get("arn"):
            text += f" [{f['arn']}]"
        parts.append(text)
    return f"RunTask started no task ({context}, task definition {td_arn}): " + "; ".join(parts)
