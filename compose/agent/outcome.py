"""What the agent reports for each flow run: one :class:`Outcome`, never nothing.

Statuses, by where a run stopped:

* ``succeeded``: the Job completed / every essential ECS container exited 0.
* ``failed``: the Job failed / the task stopped with an essential container not exiting 0.
* ``timed-out``: waiting ran out before the run finished (the run keeps running).
* ``cancelled``: the Job was deleted / the task was stopped by a user while the agent waited.
* ``submitted``: submitted (or found already submitted) and not waited for, or the agent
  stopped waiting because it was told to stop at once.
* ``dry-run``: built and checked locally (``client``) or admitted by the API server
  without being stored (``server``).
* ``generate-failed``: the generator raised, or returned something that is not a spec.
* ``submit-failed``: the runner refused or failed to submit (RBAC, invalid spec, API down).
* ``wait-failed``: submitted, but watching it failed for good: its end is unknown.
* ``not-started``: the agent was stopping when it read the run (or before anything that
  starts a Job or task was sent for it); nothing was started for it.
* ``interrupted``: the agent stopped (its drain deadline ran out) while a request that
  starts the Job or task was under way or retried: it may or may not exist. Submitting the
  same run again is safe (it is found, not duplicated).
* ``invalid-input``: a source item (a JSON line) is not a flow run; ``line`` says which.

``already_submitted`` is True when the run's Job or task existed before this submission (an
earlier agent, another process): nothing new was created. A Job or task that this submission
created but whose answer was lost is found by the runner through its submission nonce and is
not "already submitted"; ``details["submission"]`` says ``created``,
``created-answer-lost`` or ``existed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = ["Outcome", "Status", "STATUSES", "OK_STATUSES", "InvalidInput"]

Status = Literal[
    "succeeded",
    "failed",
    "timed-out",
    "cancelled",
    "submitted",
    "dry-run",
    "generate-failed",
    "submit-failed",
    "wait-failed",
    "not-started",
    "interrupted",
    "invalid-input",
]

#: Every status, in the order of the table above.
STATUSES: tuple[str, ...] = get_args(Status)

#: Statuses that are not a failure (the CLI exits 0 when every outcome has one of them).
OK_STATUSES: frozenset[str] = frozenset({"succeeded", "submitted", "dry-run"})


@dataclass(frozen=True)
class Outcome:
    """How one flow run went, as far as the agent followed it.

    Attributes:
        status: one of :data:`STATUSES`.
        run_id: the run's id (None for an input item without a readable id).
        target: ``"kubernetes"`` or ``"ecs"`` once known.
        job_name: the Kubernetes Job's name.
        namespace: the Kubernetes Job's namespace.
        task_arn: the ECS task's ARN.
        cluster: the ECS cluster named in the request (None: the default cluster).
        exit_code: the flow container's exit code, when it ended and it was reported.
        reason: a short machine-readable word: the Job condition reason
            (``BackoffLimitExceeded``), the ECS stop code, the API's reason (``Forbidden``)
            or error code, or the exception's class name.
        message: one line for people.
        already_submitted: the Job or task existed before this submission.
        line: for input read from JSON lines (a file or stdin), the 1-based line of the run.
        details: target-specific facts (pod phase, container reason, stop code, the
            prepared object of a client dry run ...), plain JSON data.
    """

    status: Status
    run_id: str | None
    target: str | None = None
    job_name: str | None = None
    namespace: str | None = None
    task_arn: str | None = None
    cluster: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    message: str = ""
    already_submitted: bool = False
    line: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True for ``succeeded``, ``submitted`` and ``dry-run``."""
        return self.status in OK_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """Plain data for one JSON line; every key is always present."""
        return {
            "status": self.status,
            "run_id": self.run_id,
            "target": self.target,
            "job_name": self.job_name,
            "namespace": self.namespace,
            "task_arn": self.task_arn,
            "cluster": self.cluster,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "message": self.message,
            "already_submitted": self.already_submitted,
            "line": self.line,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class InvalidInput:
    """A source item that is not a flow run; the agent reports it as ``invalid-input``.

    Attributes:
        message: what is wrong with it.
        line: its 1-based line in the input, if it came from a file.
        run_id: its id, if one could be read.
        source: the input's name (a file name or ``<stdin>``).
    """

    message: str
    line: int | None = None
    run_id: str | None = None
    source: str | None = None

    def outcome(self) -> Outcome:
        """The ``invalid-input`` outcome reporting this item."""
        where = f"{self.source}:{self.line}: " if self.source and self.line else (
            f"line {self.line}: " if self.line else "")
        return Outcome(
            status="invalid-input",
            run_id=self.run_id,
            reason="InvalidInput",
            message=f"{where}{self.message}",
            line=self.line,
        )
