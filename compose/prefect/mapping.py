"""From a Prefect flow run to compose, and Prefect's additions onto the built spec.

Plain functions over Prefect's schema objects (read by attribute: ``FlowRun``,
``DeploymentResponse``, ``Flow``, ``WorkPool`` from ``prefect.client.schemas``) and compose's
specs; nothing here imports Prefect.

**Metadata layers**, lowest first, deep-merged by compose (``compose explain`` names each):

1. ``prefect context``: ``{"prefect": {"tags": {TAG: true}, "work_queue", "work_pool", "flow",
   "deployment"}}``, for conditions such as ``when: {prefect.work_queue: gpu}``. A tag holding
   a ``.`` cannot be addressed by a condition (dots walk into mappings).
2. ``work pool NAME``: defaults the pool's template gives to parameters and ``metadata``.
3. ``deployment NAME``: the deployment's job variables.
4. ``flow run NAME``: the flow run's job variables.

In each layer the ``metadata`` job variable (raw metadata) sits under the declared parameters
given as job variables. Prefect merges deployment and flow run job variables *shallowly*
before the worker sees them (a run's ``metadata: {spot: true}`` would replace the
deployment's ``metadata: {ship_logs: true}``); compose reads each source itself and merges
deeply. Dotted job variable keys (``"metadata.spot": true``) are expanded as Prefect expands
them. The worker's own variables (``env``, ``labels``, ...) are not metadata.

**Prefect's additions** go onto the flow container *found by name* (the spec repo's
``flowContainer``), never ``containers[0]``: the environment (strategic merge by name, over
the spec repo's), ``command`` when set, ``PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR`` as
Prefect's Kubernetes worker sets it (``reschedule`` when the Job's ``backoffLimit`` is 0, else
unset so Kubernetes' retries and Prefect's rescheduling do not both run the flow; on ECS,
which never restarts a task, ``reschedule``); labels (slugified) on the Job and its pod, tags on
the ECS task. The result is validated again.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

from compose.errors import SpecError, ValidationError

__all__ = [
    "SIGTERM_VARIABLE",
    "prefect_context",
    "metadata_layers",
    "flow_run_context",
    "expand_dotted",
    "apply_to_job",
    "apply_to_ecs",
    "label_key",
    "label_value",
    "tag_text",
]

SIGTERM_VARIABLE = "PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR"


def _name(obj: Any) -> str:
    value = getattr(obj, "name", None) if obj is not None else None
    return value if isinstance(value, str) else ""


def prefect_context(flow_run: Any, deployment: Any = None, flow: Any = None, work_pool: Any = None) -> dict[str, Any]:
    """The lowest metadata layer: what Prefect knows about the run, under ``prefect``."""
    tags = list(getattr(flow_run, "tags", None) or []) + [
        t for t in (getattr(deployment, "tags", None) or []) if t not in (getattr(flow_run, "tags", None) or [])
    ]
    context: dict[str, Any] = {"tags": {str(t): True for t in tags}}
    for key, value in (
        ("work_queue", getattr(flow_run, "work_queue_name", None)),
        ("work_pool", _name(work_pool) or getattr(flow_run, "work_pool_name", None)),
        ("flow", _name(flow)),
        ("deployment", _name(deployment)),
    ):
        if isinstance(value, str) and value:
            context[key] = value
    return {"prefect": context}


def expand_dotted(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"metadata.spot": true}`` -> ``{"metadata": {"spot": true}}``; nested keys win."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(key, str) and "." in key:
            node = out
            parts = key.split(".")
            for part in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[parts[-1]] = copy.deepcopy(value)
    for key, value in values.items():
        if isinstance(key, str) and "." in key:
            continue
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _deep(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(merged.get(k), dict):
            merged[k] = _deep(merged[k], v)
        else:
            merged[k] = copy.deepcopy(v)
    return merged


def _layer_data(values: Mapping[str, Any] | None, parameters: Iterable[str], source: str) -> dict[str, Any]:
    if not values:
        return {}
    values = expand_dotted(values)
    data: dict[str, Any] = {}
    raw = values.get("metadata")
    if raw is not None:
        if not isinstance(raw, Mapping):
            raise SpecError(f"job variable 'metadata' from {source} must be an object, not {type(raw).__name__}",
                            step="prefect")
        data.update(copy.deepcopy(dict(raw)))
    for name in parameters:
        if name in values and values[name] is not None:
            data[name] = values[name]
    return data


def pool_defaults(work_pool: Any) -> dict[str, Any]:
    """The ``default`` of every job variable in the pool's base job template."""
    template = getattr(work_pool, "base_job_template", None) or {}
    properties = ((template.get("variables") or {}).get("properties") or {}) if isinstance(template, Mapping) else {}
    return {k: v["default"] for k, v in properties.items() if isinstance(v, Mapping) and "default" in v}


def metadata_layers(
    parameters: Iterable[str],
    flow_run: Any,
    deployment: Any = None,
    flow: Any = None,
    work_pool: Any = None,
    *,
    reads: Collection[str] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The metadata layers of a flow run, lowest first (see the module docstring).

    ``reads``: the metadata keys the spec repo reads (``SpecRepo.known_keys()``). The
    ``prefect context`` layer is there for ``when:`` conditions on ``prefect.*``; a spec repo
    that reads no ``prefect`` key does not get it, so compose does not warn on every run (or,
    with ``unknownKeys: error``, refuse every run) about metadata the worker itself added.
    """
    names = list(parameters)
    layers: list[tuple[str, dict[str, Any]]] = []
    if reads is None or "prefect" in reads:
        layers.append(("prefect context", prefect_context(flow_run, deployment, flow, work_pool)))
    pool = f"work pool {_name(work_pool)!r}" if _name(work_pool) else "work pool"
    dep = f"deployment {_name(deployment)!r}" if _name(deployment) else "deployment"
    run = f"flow run {_name(flow_run)!r}" if _name(flow_run) else "flow run"
    for label, values in (
        (pool, pool_defaults(work_pool) if work_pool is not None else None),
        (dep, getattr(deployment, "job_variables", None) if deployment is not None else None),
        (run, getattr(flow_run, "job_variables", None)),
    ):
        data = _layer_data(values, names, label)
        if data:
            layers.append((label, data))
    return layers


def flow_run_context(flow_run: Any, flow: Any = None, deployment: Any = None) -> Any:
    """compose's :class:`~compose.model.FlowRun` for a Prefect flow run (no metadata)."""
    from compose.model import FlowRun

    labels = {
        str(k): v for k, v in (getattr(flow_run, "labels", None) or {}).items() if isinstance(v, str)
    }
    return FlowRun(
        id=str(flow_run.id),
        name=_name(flow_run),
        flow_name=_name(flow),
        deployment=_name(deployment),
        labels=labels,
    )


# --- labels and tags ------------------------------------------------------------------------------

_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.-]+")
_PREFIX_BAD = re.compile(r"[^a-z0-9.-]+")


def label_value(value: Any) -> str:
    """A valid label value: invalid characters become ``-``, at most 63, alphanumeric ends."""
    text = _LABEL_BAD.sub("-", str(value))[:63]
    return text.strip("-_.")


def label_key(key: str) -> str:
    """A valid label key: an optional DNS prefix (lowercased) and a name as for values."""
    prefix, _, name = key.rpartition("/")
    name = label_value(name) or "label"
    if prefix:
        prefix = _PREFIX_BAD.sub("-", prefix.lower())[:253].strip("-.")
        return f"{prefix}/{name}" if prefix else name
    return name


_TAG_BAD = re.compile(r"[^A-Za-z0-9 _.:/=+@-]+")


def tag_text(text: Any, limit: int) -> str:
    """An ECS tag key or value: characters ECS refuses become ``_``, cut to ``limit``."""
    return _TAG_BAD.sub("_", str(text))[:limit]


# --- Kubernetes -----------------------------------------------------------------------------------


def _pod_spec(job: dict[str, Any], file: str | None) -> dict[str, Any]:
    if job.get("kind") != "Job":
        raise SpecError(f"the compose Prefect worker submits a batch/v1 Job; the spec repo builds a {job.get('kind')}",
                        file=file, step="prefect")
    return job["spec"]["template"]["spec"]


def apply_to_job(
    job: Mapping[str, Any],
    *,
    flow_container: str,
    env: Mapping[str, str],
    labels: Mapping[str, str],
    command: str | None = None,
    version: str | None = None,
    file: str | None = None,
) -> dict[str, Any]:
    """Prefect's additions onto a built Job (a new dict; ``job`` is not changed).

    Raises:
        SpecError: the spec is not a Job or has no container named ``flow_container``.
        ValidationError: the result is not a valid Job (a bad label or env name, ...).
    """
    from compose import strategic_merge

    out = dict(job)  # read only: strategic_merge returns a new object
    pod = _pod_spec(out, file)
    names = [c.get("name") for c in pod.get("containers") or []]
    if flow_container not in names:
        raise SpecError(f"the Job has no container named {flow_container!r} (it has: {', '.join(map(str, names))})",
                        file=file, step="prefect")
    merged_env = {k: v for k, v in env.items() if v is not None and k != SIGTERM_VARIABLE}
    sigterm = "reschedule" if out["spec"].get("backoffLimit", 6) == 0 else None
    container_patch: dict[str, Any] = {"name": flow_container}
    entries = [{"name": k, "value": str(v)} for k, v in merged_env.items()]
    # A variable the spec repo fills from a Secret (valueFrom) and Prefect sets plainly: the
    # strategic merge would keep both fields, which the API server refuses; Prefect's value wins.
    existing = next(c for c in pod["containers"] if c.get("name") == flow_container)
    from_ref = {e.get("name") for e in existing.get("env") or [] if isinstance(e, Mapping) and "valueFrom" in e}
    for entry in entries:
        if entry["name"] in from_ref:
            entry["valueFrom"] = None
    if sigterm:
        entries.append({"name": SIGTERM_VARIABLE, "value": sigterm})
    elif any(isinstance(e, Mapping) and e.get("name") == SIGTERM_VARIABLE for e in existing.get("env") or []):
        entries.append({"name": SIGTERM_VARIABLE, "$patch": "delete"})
    if entries:
        container_patch["env"] = entries
    if command:
        container_patch["command"] = shlex.split(command)
        container_patch["args"] = None
    slugged = {label_key(k): label_value(v) for k, v in labels.items()}
    patch: dict[str, Any] = {
        "metadata": {"labels": slugged},
        "spec": {"template": {"metadata": {"labels": slugged}, "spec": {"containers": [container_patch]}}},
    }
    out = strategic_merge(out, patch)
    from compose.k8s import require_valid

    kwargs = {"version": version} if version else {}
    require_valid(out, file=file, **kwargs)
    return out


# --- ECS ------------------------------------------------------------------------------------------


def apply_to_ecs(
    spec: Any,
    *,
    env: Mapping[str, str],
    command: str | None = None,
    file: str | None = None,
) -> Any:
    """Prefect's additions onto a built :class:`~compose.model.EcsSpec`: the flow
    container's RunTask override (environment merged by name, ``command`` when set). The task
    definition is untouched, so every run of a profile keeps one revision.

    Raises:
        ValidationError: the RunTask request is no longer valid.
    """
    flow = spec.flow_container
    overrides = copy.deepcopy(dict(spec.overrides or {}))
    containers = overrides.setdefault("containerOverrides", [])
    entry = next((c for c in containers if c.get("name") == flow), None)
    if entry is None:
        entry = {"name": flow}
        containers.append(entry)
    merged: dict[str, str] = {e["name"]: e.get("value", "") for e in entry.get("environment") or []}
    for key, value in env.items():
        if value is not None and key != SIGTERM_VARIABLE:
            merged[key] = str(value)
    merged[SIGTERM_VARIABLE] = "reschedule"
    entry["environment"] = [{"name": k, "value": v} for k, v in merged.items()]
    if command:
        entry["command"] = shlex.split(command)
    new = replace(spec, overrides=overrides)
    from compose.ecs import validate_run_task

    request = {"taskDefinition": str(spec.task_definition.get("family") or "family"), **new.run_task_request()}
    problems = validate_run_task(request, spec.task_definition)
    if problems:
        raise ValidationError(problems, what="ECS RunTask request", file=file, step="prefect")
    return new


def ecs_tags(labels: Mapping[str, str]) -> dict[str, str]:
    """Prefect's labels as ECS task tags (keys and values made acceptable to ECS)."""
    return {tag_text(k, 128): tag_text(v, 256) for k, v in labels.items()}
