"""Naming a run's Job and marking it with the run id: pure functions, no API call."""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from compose.constants import DEFAULT_FLOW_CONTAINER, RUN_ID_ANNOTATION, RUN_ID_LABEL
from compose.errors import SubmitError
from compose.formats import is_label_value

__all__ = ["job_name_for_run", "run_id_label_value", "prepare_job", "mark_for_run"]

_NAME_MAX = 63
_HASH_LEN = 8

def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LEN]


def _dns_label_part(text: str) -> str:
    """Lower-case ``text`` and squeeze it into DNS-1123 label characters."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    return cleaned.strip("-")


def job_name_for_run(base: str, run_id: str) -> str:
    """The Job name for ``run_id``: ``<base>-<run id>`` as a DNS-1123 label.

    The result is deterministic, at most 63 characters, and distinct for distinct run ids:
    whenever the run id had to be changed to fit (case, characters, length), a short hash of
    the verbatim base and run id is appended.

    Args:
        base: the Job's own name (or any prefix); may be empty.
        run_id: the run id, any string.

    >>> job_name_for_run("etl", "run-42")
    'etl-run-42'
    >>> job_name_for_run("etl", "Run_42")
    'etl-run-42-68f2c46c'
    >>> len(job_name_for_run("a" * 60, "0d6f6a4e-9a0b-4a8e-b9b3-2a9d4c1f7e11"))
    63
    """
    if not run_id:
        raise SubmitError("a run id is required to name the Job", step="submit")
    prefix = _dns_label_part(base)
    rid = _dns_label_part(run_id)
    candidate = "-".join(p for p in (prefix, rid) if p)
    if rid == run_id and 0 < len(candidate) <= _NAME_MAX:
        return candidate
    digest = _short_hash(f"{base}\0{run_id}")
    head = candidate[: _NAME_MAX - _HASH_LEN - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def run_id_label_value(run_id: str) -> str:
    """``run_id`` as a valid label value (the verbatim id goes in an annotation).

    Unchanged when already valid; otherwise squeezed into label syntax, cut to fit, and
    given a short hash so that different ids stay different.

    >>> run_id_label_value("0d6f6a4e-9a0b")
    '0d6f6a4e-9a0b'
    >>> run_id_label_value("flow run #7")
    'flow-run-7-0f3008fb'
    """
    if len(run_id) <= _NAME_MAX and is_label_value(run_id):
        return run_id
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", run_id)
    cleaned = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", cleaned)
    head = re.sub(r"[^A-Za-z0-9]+$", "", cleaned[: _NAME_MAX - _HASH_LEN - 1])
    digest = _short_hash(run_id)
    return f"{head}-{digest}" if head else digest


def _container_names(body: Mapping[str, Any]) -> list[str]:
    spec = (((body.get("spec") or {}).get("template") or {}).get("spec")) or {}
    containers = spec.get("containers")
    if not isinstance(containers, list):
        return []
    return [c.get("name") for c in containers if isinstance(c, Mapping)]


def prepare_job(
    job: Mapping[str, Any],
    run_id: str,
    *,
    namespace: str,
    flow_container: str = DEFAULT_FLOW_CONTAINER,
) -> dict[str, Any]:
    """The Job to submit for ``run_id``: named after the run, labelled and annotated with it.

    Pure: ``job`` is copied, never changed. ``metadata.generateName`` is dropped (the name is
    deterministic); the run-id label and annotation go on the Job and its pod template.

    Args:
        job: a batch/v1 Job as a dict.
        run_id: the run id, verbatim.
        namespace: the namespace to put in ``metadata.namespace``.
        flow_container: the container that must exist in the pod template.

    Raises:
        SubmitError: ``job`` is not a Job, has no containers, or lacks the flow container.
    """
    if not isinstance(job, Mapping):
        raise SubmitError(f"expected a Job mapping, got {type(job).__name__}", step="submit")
    body = copy.deepcopy(dict(job))
    kind = body.setdefault("kind", "Job")
    api_version = body.setdefault("apiVersion", "batch/v1")
    if kind != "Job" or api_version != "batch/v1":
        raise SubmitError(
            f"the Kubernetes runner submits batch/v1 Jobs, not {api_version} {kind}", step="submit"
        )
    names = _container_names(body)
    if not names:
        raise SubmitError(
            "the Job has no containers", path=("spec", "template", "spec", "containers"), step="submit"
        )
    if flow_container not in names:
        raise SubmitError(
            f"the Job has no container named {flow_container!r} (the flow container; "
            f"containers: {', '.join(map(str, names))}); name it so or configure flow_container",
            path=("spec", "template", "spec", "containers"),
            step="submit",
        )
    mark_for_run(body, run_id)
    body["metadata"]["namespace"] = namespace
    return body


def mark_for_run(body: dict[str, Any], run_id: str) -> None:
    """Name ``body`` (a Job or CronJob) after ``run_id`` and label and annotate it and its pod
    template with the run id, in place. The composer (whose preview is what is submitted) and
    :func:`prepare_job` both use it.

    ``metadata.generateName`` is dropped: the name is deterministic. A body already annotated
    with this run id keeps its name instead of getting the run id twice.
    """
    meta = body.get("metadata")
    meta = dict(meta) if isinstance(meta, Mapping) else {}
    base = meta.get("name") or str(meta.get("generateName") or "").rstrip("-") or "job"
    meta.pop("generateName", None)
    if not ((meta.get("annotations") or {}).get(RUN_ID_ANNOTATION) == run_id and meta.get("name")):
        meta["name"] = job_name_for_run(str(base), run_id)
    label = run_id_label_value(run_id)
    meta["labels"] = {**(meta.get("labels") or {}), RUN_ID_LABEL: label}
    meta["annotations"] = {**(meta.get("annotations") or {}), RUN_ID_ANNOTATION: run_id}
    body["metadata"] = meta
    spec = body.get("spec") or {}
    if body.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template")
    if isinstance(template, dict):
        tmeta = dict(template.get("metadata") or {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), RUN_ID_LABEL: label}
        tmeta["annotations"] = {**(tmeta.get("annotations") or {}), RUN_ID_ANNOTATION: run_id}
        template["metadata"] = tmeta


def _owner_run(job: Mapping[str, Any]) -> tuple[str | None, str | None]:
    meta = job.get("metadata") or {}
    return (meta.get("annotations") or {}).get(RUN_ID_ANNOTATION), (meta.get("labels") or {}).get(
        RUN_ID_LABEL
    )


def _belongs_to(job: Mapping[str, Any], run_id: str) -> bool:
    annotation, label = _owner_run(job)
    if annotation is not None:
        return annotation == run_id
    return label is not None and label == run_id_label_value(run_id)
