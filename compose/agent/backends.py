"""The agent's view of a runner: submit a spec for a run, wait for it, cancel it.

:class:`KubernetesBackend` drives :class:`compose.runner.kubernetes.KubernetesRunner`,
:class:`EcsBackend` drives :class:`compose.runner.ecs.EcsRunner`. Both leave exactly-once to
the runner (a Job named from the run id and a 409 resolved by the run-id label; an ECS lookup
by ``startedBy`` and the run-id tag before RunTask, with a ``clientToken`` from the run id) and
translate its results into :class:`~compose.agent.outcome.Outcome` fields.

A backend of your own needs ``target``, ``submit``, ``wait`` and ``cancel`` as in
:class:`Backend`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from compose.constants import DEPLOYMENT_LABEL, FLOW_NAME_LABEL
from compose.errors import SubmitError, UsageError
from compose.model import EcsSpec, FlowRun, KubernetesSpec, Spec

from .outcome import Outcome

__all__ = ["Backend", "Submitted", "KubernetesBackend", "EcsBackend", "backends_for"]


@dataclass(frozen=True)
class Submitted:
    """What a backend submitted (or found submitted) for one run.

    Attributes:
        target: ``"kubernetes"`` or ``"ecs"``.
        run_id: the run's id.
        handle: the Job's name or the task's ARN.
        where: the Job's namespace or the task's cluster (None: the default cluster).
        flow_container: the container whose exit code is the run's.
        already_submitted: it existed before this submission.
        dry_run: ``"client"``, ``"server"`` or None.
        details: extra facts for the outcome (uid, task definition ARN, the prepared object
            of a client dry run).
    """

    target: str
    run_id: str
    handle: str
    where: str | None
    flow_container: str
    already_submitted: bool = False
    dry_run: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def outcome(self, status: str, **kw: Any) -> Outcome:
        """An outcome naming this submission."""
        names: dict[str, Any] = (
            {"job_name": self.handle or None, "namespace": self.where}
            if self.target == "kubernetes"
            else {"task_arn": self.handle or None, "cluster": self.where}
        )
        details = {**self.details, **kw.pop("details", {})}
        return Outcome(
            status=status,  # type: ignore[arg-type]
            run_id=self.run_id,
            target=self.target,
            already_submitted=self.already_submitted,
            details=details,
            **names,
            **kw,
        )


class Backend(Protocol):
    """What the agent needs of a target's runner."""

    target: str

    def submit(self, spec: Spec, flow_run: FlowRun, *, dry_run: str | None = None) -> Submitted:
        """Submit ``spec`` for ``flow_run`` exactly once; raise a ComposeError on failure."""
        ...

    def wait(self, submitted: Submitted, timeout: float, *, log_stream: TextIO | None = None) -> Outcome:
        """Wait up to ``timeout`` seconds; the outcome's status says how it ended."""
        ...

    def cancel(self, run_id: str) -> list[str]:
        """Cancel everything submitted for ``run_id``; the names/ARNs cancelled."""
        ...


def _submission(created: bool, recovered: bool) -> str:
    """What a submission did, for ``details["submission"]``: ``created`` (this submission
    made the Job / task), ``created-answer-lost`` (it made it, its answer was lost and the
    runner found it by the submission nonce), ``existed`` (it was there before: an earlier
    agent or another process made it; ``already_submitted`` is True)."""
    if not created:
        return "existed"
    return "created-answer-lost" if recovered else "created"


# --------------------------------------------------------------------------- Kubernetes


class KubernetesBackend:
    """Submits a :class:`KubernetesSpec`'s Job with a :class:`KubernetesRunner`.

    Args:
        runner: the runner; may be None only for client dry runs (nothing is sent).
        namespace: the namespace for client dry runs without a runner.
        extra_objects: what to do when the spec has objects besides the Job (a generated
            ConfigMap, say), which the runner does not create: ``"error"`` (default: the run
            is ``submit-failed``, since the Job would wait for what is missing) or
            ``"ignore"`` (you create them some other way).
    """

    target = "kubernetes"

    def __init__(self, runner: Any = None, *, namespace: str | None = None, extra_objects: str = "error") -> None:
        if extra_objects not in ("error", "ignore"):
            raise UsageError(f"extra_objects must be 'error' or 'ignore', not {extra_objects!r}")
        self.runner = runner
        self.namespace = namespace
        self.extra_objects = extra_objects
        self._lock = threading.Lock()
        self._by_container: dict[str, Any] = {}

    def _runner_for(self, flow_container: str) -> Any:
        """The runner, or a shallow copy of it that knows another flow container.

        The copy shares the runner's API client and settings; only the name of the
        container it checks and reports on differs.
        """
        if self.runner is None:
            raise SubmitError("no Kubernetes runner configured (only client dry runs work without one)", step="submit")
        if getattr(self.runner, "flow_container", flow_container) == flow_container:
            return self.runner
        with self._lock:
            clone = self._by_container.get(flow_container)
            if clone is None:
                clone = copy.copy(self.runner)
                clone.flow_container = flow_container
                self._by_container[flow_container] = clone
            return clone

    def submit(self, spec: Spec, flow_run: FlowRun, *, dry_run: str | None = None) -> Submitted:
        if not isinstance(spec, KubernetesSpec):
            raise SubmitError(f"the Kubernetes backend cannot submit a {spec.target} spec", step="submit")
        others = [o for o in spec.objects if o is not spec.job and o != spec.job]
        if others and self.extra_objects == "error":
            names = ", ".join(f"{o.get('kind')}/{(o.get('metadata') or {}).get('name')}" for o in others)
            raise SubmitError(
                f"the spec has objects besides the Job ({names}); the runner creates only the Job. "
                "Create them beforehand and use extra_objects='ignore', or drop them from the spec",
                step="submit",
            )
        if dry_run == "client" and self.runner is None:
            from compose.runner.kubernetes import prepare_job

            declared = (spec.job.get("metadata") or {}).get("namespace")
            body = prepare_job(
                spec.job, flow_run.id, namespace=self.namespace or declared or "default",
                flow_container=spec.flow_container,
            )
            meta = body["metadata"]
            return Submitted("kubernetes", flow_run.id, meta["name"], meta["namespace"], spec.flow_container,
                             dry_run="client", details={"object": body})
        runner = self._runner_for(spec.flow_container)
        result = runner.submit(spec.job, flow_run.id, dry_run=dry_run)
        details: dict[str, Any] = {"uid": result.uid}
        if dry_run is None:
            details["submission"] = _submission(result.created, getattr(result, "recovered", False))
        if dry_run is not None:
            details["object"] = result.job
        return Submitted(
            "kubernetes", flow_run.id, result.name, result.namespace, spec.flow_container,
            already_submitted=result.already_submitted, dry_run=result.dry_run, details=details,
        )

    def wait(self, submitted: Submitted, timeout: float, *, log_stream: TextIO | None = None) -> Outcome:
        runner = self._runner_for(submitted.flow_container)
        job = runner.wait(submitted.handle, timeout, namespace=submitted.where, log_stream=log_stream)
        if job.succeeded:
            status = "succeeded"
        elif job.timed_out:
            status = "timed-out"
        elif job.reason == "Deleted":
            status = "cancelled"
        else:
            status = "failed"
        details = {k: v for k, v in (("pod_name", job.pod_name), ("pod_phase", job.pod_phase),
                                     ("container_reason", job.container_reason)) if v is not None}
        message = job.message or f'Job "{submitted.handle}" ' + ("completed" if job.succeeded else "failed")
        return submitted.outcome(status, exit_code=job.exit_code, reason=job.reason, message=message, details=details)

    def cancel(self, run_id: str) -> list[str]:
        runner = self._runner_for(getattr(self.runner, "flow_container", ""))
        cancelled = []
        for name in runner.find(run_id):
            if runner.cancel(name):
                cancelled.append(name)
        return cancelled


# --------------------------------------------------------------------------- ECS


def _tag_value(text: str) -> str:
    from compose.runner.ecs import run_id_tag_value

    return run_id_tag_value(text)


class EcsBackend:
    """Registers (when changed) and runs an :class:`EcsSpec` with an :class:`EcsRunner`.

    Args:
        runner: the runner; may be None only for client dry runs.
        poll: seconds between two DescribeTasks while waiting.
    """

    target = "ecs"

    def __init__(self, runner: Any = None, *, poll: float = 6.0) -> None:
        self.runner = runner
        self.poll = poll

    def _need_runner(self) -> Any:
        if self.runner is None:
            raise SubmitError("no ECS runner configured (only client dry runs work without one)", step="run")
        return self.runner

    @staticmethod
    def _tags(spec: EcsSpec, flow_run: FlowRun) -> dict[str, str]:
        present = {t.get("key") for t in spec.run_task.get("tags") or [] if isinstance(t, Mapping)}
        tags = {}
        for key, value in ((FLOW_NAME_LABEL, flow_run.flow_name), (DEPLOYMENT_LABEL, flow_run.deployment)):
            if value and key not in present:
                tags[key] = _tag_value(value)
        return tags

    def submit(self, spec: Spec, flow_run: FlowRun, *, dry_run: str | None = None) -> Submitted:
        if not isinstance(spec, EcsSpec):
            raise SubmitError(f"the ECS backend cannot submit a {spec.target} spec", step="run")
        if dry_run == "server":
            raise UsageError("ECS has no server-side dry run; use --dry-run=client")
        if dry_run == "client":
            from compose.runner.ecs import client_token, merge_overrides, started_by

            request = dict(spec.run_task)
            if spec.overrides:
                request["overrides"] = merge_overrides(request.get("overrides"), spec.overrides)
            request.update(clientToken=client_token(flow_run.id), startedBy=started_by(flow_run.id))
            return Submitted(
                "ecs", flow_run.id, "", request.get("cluster") or getattr(self.runner, "cluster", None),
                spec.flow_container, dry_run="client",
                details={"task_definition": spec.task_definition, "run_task": request,
                         "tags": self._tags(spec, flow_run)},
            )
        runner = self._need_runner()
        td_arn, registered = runner.register_if_needed(spec.task_definition)
        result = runner.run(td_arn, spec.run_task, run_id=flow_run.id, tags=self._tags(spec, flow_run),
                            overrides=spec.overrides or None)
        return Submitted(
            "ecs", flow_run.id, result.task_arn, result.cluster, spec.flow_container,
            already_submitted=not result.created,
            details={"task_definition_arn": td_arn, "registered": registered,
                     "submission": _submission(result.created, getattr(result, "recovered", False))},
        )

    def wait(self, submitted: Submitted, timeout: float, *, log_stream: TextIO | None = None) -> Outcome:
        runner = self._need_runner()
        task = runner.wait(submitted.handle, timeout, self.poll, cluster=submitted.where)
        if task.succeeded:
            status = "succeeded"
        elif task.timed_out:
            status = "timed-out"
        elif task.stop_code == "UserInitiated":
            status = "cancelled"
        else:
            status = "failed"
        flow = next((c for c in task.containers if c.name == submitted.flow_container), None)
        details = {"stop_code": task.stop_code, "stopped_reason": task.stopped_reason,
                   "last_status": task.last_status, "containers": [c.to_dict() for c in task.containers]}
        return submitted.outcome(
            status,
            exit_code=flow.exit_code if flow is not None else None,
            reason=task.stop_code or ("Timeout" if task.timed_out else None),
            message=task.message,
            details=details,
        )

    def cancel(self, run_id: str) -> list[str]:
        runner = self._need_runner()
        arn = runner.find_task(run_id)
        if arn is None:
            return []
        runner.cancel(arn, f"cancelled by compose (run {run_id})")
        return [arn]


def backends_for(runners: Any) -> dict[str, Any]:
    """Backends by target from what a user passed as ``runners``.

    Args:
        runners: a :class:`KubernetesRunner`, an :class:`EcsRunner`, a backend, or a mapping
            of target to any of those (or a sequence of them).

    Raises:
        UsageError: something that is none of those, or two for one target.
    """
    items: list[Any]
    if isinstance(runners, Mapping):
        items = list(runners.values())
    elif isinstance(runners, (list, tuple)):
        items = list(runners)
    else:
        items = [runners]
    out: dict[str, Any] = {}
    for item in items:
        backend = _backend_of(item)
        if backend.target in out:
            raise UsageError(f"two runners given for target {backend.target!r}")
        out[backend.target] = backend
    if isinstance(runners, Mapping):
        for key, backend in zip(runners, out.values()):
            if key != backend.target:
                raise UsageError(f"runner for {key!r} is a {backend.target} runner")
    return out


def _backend_of(item: Any) -> Any:
    from compose.runner.ecs import EcsRunner
    from compose.runner.kubernetes import KubernetesRunner

    if isinstance(item, KubernetesRunner):
        return KubernetesBackend(item)
    if isinstance(item, EcsRunner):
        return EcsBackend(item)
    if all(hasattr(item, a) for a in ("target", "submit", "wait")):
        return item
    raise UsageError(f"not a runner or backend: {type(item).__name__}")
