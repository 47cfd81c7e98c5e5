"""Keep per-run values out of the task definition: move them to RunTask overrides.

ECS registers a new task definition revision whenever its input changes. If the run id or
other per-run values were baked into the task definition, every run would register a new
revision (slow, throttled, and concurrent registrations in one family fail). So values that
change every run travel in the RunTask request instead: environment variables of the flow
container in ``overrides.containerOverrides[]`` (matched by container name, never by
position: a sidecar overlay may have put another container first), tags in ``tags``, and
optionally the command. The task definition left behind is the same for every run of a
profile, so it can be registered once and reused.

Example:
    >>> td = {"family": "flow", "containerDefinitions": [
    ...     {"name": "log-router", "image": "fluent-bit"},
    ...     {"name": "flow", "image": "flow:1", "environment": [
    ...         {"name": "LOG_LEVEL", "value": "INFO"}, {"name": "RUN_ID", "value": "r-1"}]}]}
    >>> split = split_run_overrides(td, per_run_env=["RUN_ID"], run_env={"ATTEMPT": "1"},
    ...                             run_tags={"compose.dev/run-id": "r-1"})
    >>> split.task_definition["containerDefinitions"][1]["environment"]
    [{'name': 'LOG_LEVEL', 'value': 'INFO'}]
    >>> split.overrides
    {'containerOverrides': [{'name': 'flow', 'environment': [{'name': 'RUN_ID', 'value': 'r-1'}, {'name': 'ATTEMPT', 'value': '1'}]}]}
    >>> split.tags
    [{'key': 'compose.dev/run-id', 'value': 'r-1'}]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from compose.constants import DEFAULT_FLOW_CONTAINER
from compose.errors import SpecError

__all__ = ["RunSplit", "split_run_overrides"]


class RunSplit(NamedTuple):
    """The result of :func:`split_run_overrides`.

    Attributes:
        task_definition: the task definition without the per-run values; equal across runs.
        container_override: the RunTask ``ContainerOverride`` for the flow container
            (``{"name": ...}`` plus ``environment`` and ``command`` when there are any).
        tags: RunTask ``tags`` (``[{"key": ..., "value": ...}]``) for this run.
    """

    task_definition: dict[str, Any]
    container_override: dict[str, Any]
    tags: list[dict[str, str]]

    @property
    def overrides(self) -> dict[str, Any]:
        """The RunTask ``overrides`` value; ``{}`` when nothing is overridden."""
        if len(self.container_override) <= 1:
            return {}
        return {"containerOverrides": [self.container_override]}

    def apply_to(self, run_task: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of the RunTask input ``run_task`` with this run's overrides and tags added.

        An existing override for the same container is extended (environment merged by
        name, this run's values winning); overrides of other containers are kept. Tags are
        merged by key, this run's winning. ``run_task`` is not modified.
        """
        out = dict(run_task)
        if len(self.container_override) > 1:
            base = dict(out.get("overrides") or {})
            cos = [dict(co) if isinstance(co, Mapping) else co
                   for co in base.get("containerOverrides") or []]
            name = self.container_override["name"]
            for i, co in enumerate(cos):
                if isinstance(co, dict) and co.get("name") == name:
                    merged = dict(co)
                    for key, value in self.container_override.items():
                        if key == "environment":
                            merged[key] = _merge_named(co.get(key) or [], value, "name")
                        else:
                            merged[key] = value
                    cos[i] = merged
                    break
            else:
                cos.append(dict(self.container_override))
            base["containerOverrides"] = cos
            out["overrides"] = base
        if self.tags:
            out["tags"] = _merge_named(out.get("tags") or [], self.tags, "key")
        return out


def _merge_named(base: Sequence[Any], new: Sequence[Mapping], key: str) -> list[Any]:
    """``base`` with items of ``new`` replacing same-keyed ones in place, others appended."""
    new_by_key = {item[key]: item for item in new}
    out = []
    for item in base:
        k = item.get(key) if isinstance(item, Mapping) else None
        out.append(dict(new_by_key.pop(k)) if k in new_by_key else item)
    out.extend(dict(item) for item in new if item[key] in new_by_key)
    return out


def _strings(values: Mapping[str, Any] | None, what: str) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise SpecError(f"{what} must be a mapping of strings, got {type(values).__name__}",
                        step="ecs-overrides")
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise SpecError(f"{what}: {key!r} must map a string to a string, got "
                            f"{type(value).__name__}", step="ecs-overrides")
    return dict(values)


def split_run_overrides(
    task_definition: Mapping[str, Any],
    *,
    container: str = DEFAULT_FLOW_CONTAINER,
    run_env: Mapping[str, str] | None = None,
    per_run_env: Iterable[str] = (),
    run_tags: Mapping[str, str] | None = None,
    per_run_tags: Iterable[str] = (),
    command: Sequence[str] | None = None,
) -> RunSplit:
    """Split a composed task definition into its stable part and this run's overrides.

    Args:
        task_definition: the composed RegisterTaskDefinition input. Not modified; the
            result shares the parts it does not change with it, so copy before mutating.
        container: name of the flow container that receives the overrides; found by name.
        run_env: environment variables for this run only. They go into the override; a
            variable of the same name in the container's task definition environment is
            removed from it (the run's value wins).
        per_run_env: names of variables in the container's task definition environment
            whose values change every run (e.g. filled from ``${run_id}``); they are moved,
            with their values, from the task definition to the override. Names that the
            container does not have are ignored.
        run_tags: tags for this run only, as RunTask ``tags``; a task definition tag with
            the same key is removed from the task definition.
        per_run_tags: keys of task definition tags that change every run; moved to the
            RunTask tags with their values.
        command: a command for this run only, as the override's ``command``.

    Returns:
        A :class:`RunSplit`. Override variables come in task definition order, then
        ``run_env`` order; a container ``environment`` (or the task ``tags``) left empty is
        removed.

    Raises:
        SpecError: no container is named ``container``, the container list is malformed, or
            a run value is not a string.
    """
    run_env = _strings(run_env, "run_env")
    run_tags = _strings(run_tags, "run_tags")
    moved_env = set(per_run_env) | set(run_env)
    moved_tags = set(per_run_tags) | set(run_tags)

    defs = task_definition.get("containerDefinitions")
    if not isinstance(defs, (list, tuple)):
        raise SpecError("the task definition has no containerDefinitions list",
                        path=("containerDefinitions",), step="ecs-overrides")
    index = next((i for i, c in enumerate(defs)
                  if isinstance(c, Mapping) and c.get("name") == container), None)
    if sum(1 for c in defs if isinstance(c, Mapping) and c.get("name") == container) > 1:
        raise SpecError(f"more than one container is named {container!r}",
                        path=("containerDefinitions",), step="ecs-overrides")
    if index is None:
        names = [c.get("name") for c in defs if isinstance(c, Mapping)]
        raise SpecError(f"no container named {container!r} to receive the run overrides "
                        f"(containers: {', '.join(map(str, names)) or 'none'})",
                        path=("containerDefinitions",), step="ecs-overrides")

    td = dict(task_definition)
    flow = dict(defs[index])
    env_out: list[dict[str, str]] = []
    if moved_env and isinstance(flow.get("environment"), (list, tuple)):
        kept = []
        for item in flow["environment"]:
            name = item.get("name") if isinstance(item, Mapping) else None
            if isinstance(name, str) and name in moved_env:
                if name not in run_env:
                    env_out.append({"name": name, "value": item.get("value", "")})
            else:
                kept.append(item)
        if kept:
            flow["environment"] = kept
        else:
            del flow["environment"]
        env_out = _merge_named(env_out, [{"name": k, "value": v} for k, v in run_env.items()],
                               "name")
    else:
        env_out = [{"name": k, "value": v} for k, v in run_env.items()]
    new_defs = list(defs)
    new_defs[index] = flow
    td["containerDefinitions"] = new_defs

    tags_out: list[dict[str, str]] = []
    if moved_tags and isinstance(td.get("tags"), (list, tuple)):
        kept_tags = []
        for tag in td["tags"]:
            key = tag.get("key") if isinstance(tag, Mapping) else None
            if isinstance(key, str) and key in moved_tags:
                if key not in run_tags:
                    tags_out.append({"key": key, "value": tag.get("value", "")})
            else:
                kept_tags.append(tag)
        if kept_tags:
            td["tags"] = kept_tags
        else:
            del td["tags"]
    tags_out = _merge_named(tags_out, [{"key": k, "value": v} for k, v in run_tags.items()],
                            "key")

    override: dict[str, Any] = {"name": container}
    if env_out:
        override["environment"] = env_out
    if command is not None:
        if isinstance(command, str) or not all(isinstance(a, str) for a in command):
            raise SpecError("command must be a list of strings", step="ecs-overrides")
        override["command"] = list(command)
    return RunSplit(td, override, tags_out)
