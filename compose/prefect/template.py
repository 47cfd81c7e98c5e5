"""The base job template of a compose work pool, generated from a spec repo's ``compose.yaml``.

A Prefect work pool holds a *base job template*: ``job_configuration`` (what the worker
receives) and ``variables`` (a JSON schema of the job variables deployments and flow runs may
set; the Prefect server validates them when a deployment or a flow run is created).

For a compose pool every parameter declared in ``compose.yaml`` becomes a typed job variable:

==========  ======================================================================
compose     job variable (JSON schema)
==========  ======================================================================
enum        ``enum`` of the declared values
integer     ``integer`` with ``minimum`` / ``maximum``
number      ``number`` with ``minimum`` / ``maximum``
boolean     ``boolean``
string      ``string``; a ``pattern`` is anchored (compose matches the whole value)
quantity    a Kubernetes quantity: a string of quantity syntax, or a number (bounds
            such as ``512Mi..120Gi`` are in the description; compose checks them)
==========  ======================================================================

Defaults stay compose's: the schema shows them in the description ("compose default: 2Gi")
but does not declare them, so Prefect does not copy them into every run and
``compose explain`` keeps naming the source of each value. A pool admin who wants a pool-wide
default adds ``"default"`` to a variable: that is the "work pool" metadata layer.

Besides the parameters, the worker's own variables (:data:`WORKER_VARIABLES`): ``spec_repo``,
``metadata`` (raw metadata for ``when:`` conditions on undeclared keys, deep-merged),
Prefect's ``env``, ``labels``, ``name``, ``command``, ``wait``, and per target the connection
(``namespace``, ``kubeconfig``, ``kube_context``; ``ecs_region``, ``ecs_endpoint_url``).
A parameter whose name is one of these is an error.

This module imports neither Prefect nor a cloud SDK.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compose.errors import SpecError

__all__ = ["base_job_template", "parameter_variable", "WORKER_VARIABLES", "TARGET_VARIABLES", "QUANTITY_PATTERN"]

#: A Kubernetes quantity, as text (the API server's grammar: sign, number, suffix).
QUANTITY_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$"

#: Job variables of every compose pool (besides the spec repo's parameters).
WORKER_VARIABLES: dict[str, dict[str, Any]] = {
    "spec_repo": {
        "title": "Spec repo",
        "type": "string",
        "description": "Directory on the worker's disk holding compose.yaml. A value set by a deployment "
        "or a flow run must lie under one of the roots in the worker's COMPOSE_PREFECT_SPEC_ROOTS.",
    },
    "metadata": {
        "title": "Metadata",
        "type": "object",
        "description": "More run metadata for compose (keys no parameter declares, read by overlay "
        "conditions); deep-merged: pool < deployment < flow run.",
    },
    "name": {
        "title": "Name",
        "type": "string",
        "description": "Name of the flow run's infrastructure in Prefect (the Job itself is always "
        "named after the flow run id).",
    },
    "env": {
        "title": "Environment Variables",
        "type": "object",
        "additionalProperties": {"type": ["string", "null"]},
        "description": "Environment variables for the flow container (found by name), over the spec repo's.",
    },
    "labels": {
        "title": "Labels",
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "Labels for the Job and its pod (tags on ECS), beside Prefect's prefect.io/* labels.",
    },
    "command": {
        "title": "Command",
        "type": "string",
        "description": "The flow container's command (split as a shell would); the spec repo's when unset.",
    },
    "wait": {
        "title": "Wait for completion",
        "type": "boolean",
        "default": False,
        "description": "Hold a worker slot until the Job or task ends and mark the flow run CRASHED "
        "when it fails outside the flow (image pull, OOM, eviction). Off: return after submission, "
        "as Prefect's own workers do; the worker's observer then marks such runs CRASHED.",
    },
}

#: Connection variables per target.
TARGET_VARIABLES: dict[str, dict[str, dict[str, Any]]] = {
    "kubernetes": {
        "namespace": {
            "title": "Namespace",
            "type": "string",
            "description": "Namespace of the Jobs (default: the Job's own, else the kubeconfig context's).",
        },
        "kubeconfig": {
            "title": "Kubeconfig",
            "type": "string",
            "description": "Path of a kubeconfig on the worker's disk (default: $KUBECONFIG, "
            "~/.kube/config, or the pod's service account).",
        },
        "kube_context": {
            "title": "Kubeconfig context",
            "type": "string",
            "description": "Context in the kubeconfig (default: its current context).",
        },
    },
    "ecs": {
        "ecs_region": {
            "title": "AWS region",
            "type": "string",
            "description": "Region of the ECS API (default: the worker's AWS configuration).",
        },
        "ecs_endpoint_url": {
            "title": "ECS endpoint URL",
            "type": "string",
            "description": "ECS API endpoint (a VPC endpoint; a moto server in tests).",
        },
    },
}


def _shown(value: Any) -> str:
    from compose.spec.params import render_value

    return render_value(value)


def parameter_variable(decl: Any) -> dict[str, Any]:
    """The JSON schema of one declared parameter (a :class:`~compose.spec.params.ParamDecl`)."""
    from compose.spec.metadata import MISSING

    schema: dict[str, Any] = {"title": decl.name}
    notes: list[str] = []
    kind = decl.type
    if kind == "enum":
        schema["enum"] = list(decl.values or ())
    elif kind == "integer" or kind == "number":
        schema["type"] = kind
        if decl.minimum is not None:
            schema["minimum"] = decl.minimum
        if decl.maximum is not None:
            schema["maximum"] = decl.maximum
    elif kind == "boolean":
        schema["type"] = "boolean"
    elif kind == "quantity":
        schema["anyOf"] = [{"type": "string", "pattern": QUANTITY_PATTERN}, {"type": "number"}]
        if decl.minimum is not None or decl.maximum is not None:
            lo = "" if decl.minimum is None else _shown(decl.minimum)
            hi = "" if decl.maximum is None else _shown(decl.maximum)
            notes.append(f"a Kubernetes quantity, {lo}..{hi}")
        else:
            notes.append("a Kubernetes quantity")
    else:
        schema["type"] = "string"
        if decl.pattern is not None:
            schema["pattern"] = f"^(?:{decl.pattern})$"
    if decl.required:
        notes.append("required")
    elif decl.default is not MISSING:
        notes.append(f"compose default: {_shown(decl.default)}")
    text = decl.description or ""
    if notes:
        text = f"{text} ({'; '.join(notes)})" if text else "; ".join(notes).capitalize()
    if text:
        schema["description"] = text
    return schema


def base_job_template(
    spec: Any,
    target: str = "kubernetes",
    *,
    spec_repo: str | os.PathLike[str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The base job template of a ``compose-<target>`` work pool for a spec repo.

    Args:
        spec: a :class:`~compose.Composer`, a :class:`~compose.spec.SpecRepo`, or the spec
            repo's directory.
        target: ``"kubernetes"`` or ``"ecs"``; the spec repo must declare it.
        spec_repo: the ``spec_repo`` default written into the template (the path the
            *worker* will read); default: the spec repo's absolute path here.
        defaults: pool-wide defaults for job variables (``{"namespace": "flows"}``,
            ``{"job_profile": "gpu"}``): the "work pool" metadata layer for parameters.

    Returns:
        ``{"job_configuration": ..., "variables": ...}``, as ``prefect work-pool create
        --base-job-template`` reads it.

    Raises:
        SpecError: the spec repo is invalid, lacks the target, declares a parameter named
            like a worker variable, or a default names no variable.
    """
    if target not in TARGET_VARIABLES:
        raise SpecError(f"unknown target {target!r}: use kubernetes or ecs", step="template")
    repo = _spec_repo(spec)
    if target not in repo.targets:
        raise SpecError(f"{repo.file} declares no {target} target (it declares: {', '.join(repo.targets)})",
                        file=repo.file, step="template")
    worker = {**WORKER_VARIABLES, **TARGET_VARIABLES[target]}
    properties: dict[str, Any] = {}
    for name, decl in repo.parameters.items():
        if name in worker:
            raise SpecError(
                f"parameter {name!r} has the name of a job variable of the compose worker "
                f"({', '.join(sorted(worker))}); rename it to use the spec repo with Prefect",
                file=repo.file, line=decl.line, step="template",
            )
        properties[name] = parameter_variable(decl)
    for name, schema in worker.items():
        properties[name] = dict(schema)
    properties["spec_repo"]["default"] = os.fspath(spec_repo) if spec_repo is not None else str(repo.root)
    for name, value in (defaults or {}).items():
        if name not in properties:
            raise SpecError(f"default for unknown job variable {name!r}", step="template")
        decl = repo.parameters.get(name)
        if decl is not None:
            decl.check(value, "the work pool's default")  # a bad pool default fails now, not per run
        properties[name] = {**properties[name], "default": value}
    job_configuration = {name: "{{ " + name + " }}" for name in worker}
    return {
        "job_configuration": job_configuration,
        "variables": {"type": "object", "properties": properties},
    }


def _spec_repo(spec: Any) -> Any:
    if isinstance(spec, (str, os.PathLike)):
        from compose.spec import load_spec

        return load_spec(Path(spec))
    inner = getattr(spec, "spec", None)  # a Composer
    if inner is not None and hasattr(inner, "parameters"):
        return inner
    if hasattr(spec, "parameters") and hasattr(spec, "targets"):
        return spec
    raise TypeError(f"expected a Composer, a SpecRepo or a directory, not {type(spec).__name__}")
