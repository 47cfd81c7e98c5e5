"""What the ECS runner reports: the task started for a run, how a task (and its containers) ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunResult", "ContainerOutcome", "TaskOutcome"]

@dataclass(frozen=True)
class RunResult:
    """The task started (or found) for one run.

    Attributes:
        task_arn: the task's ARN.
        cluster: the cluster named in the request (None: the account's default cluster).
        run_id: the run id given to :meth:`EcsRunner.run`.
        task_definition_arn: the task definition revision the task runs.
        client_token: the RunTask ``clientToken`` sent for this run.
        started_by: the RunTask ``startedBy`` sent for this run.
        created: True when this call started the task, False when the task existed before
            this call (an earlier agent or process started it).
        recovered: True when this call started the task but its RunTask answer was lost, and
            the lookup before the retry found the task by its submission nonce tag.
    """

    task_arn: str
    cluster: str | None
    run_id: str
    task_definition_arn: str
    client_token: str
    started_by: str
    created: bool
    recovered: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a JSON line."""
        return {
            "task_arn": self.task_arn,
            "cluster": self.cluster,
            "run_id": self.run_id,
            "task_definition_arn": self.task_definition_arn,
            "client_token": self.client_token,
            "started_by": self.started_by,
            "created": self.created,
            "recovered": self.recovered,
        }


@dataclass(frozen=True)
class ContainerOutcome:
    """How one container of a task ended (or where it is).

    Attributes:
        name: the container name.
        essential: whether the task definition marks it essential (ECS's default is True).
        exit_code: its exit code, None when ECS reports none (never started, still running,
            or not reported at all).
        reason: ECS's reason for the container, if any (``"OutOfMemoryError: ..."``).
        last_status: the container's last status, None when ECS did not report the container.
    """

    name: str
    essential: bool
    exit_code: int | None
    reason: str | None
    last_status: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a JSON line."""
        return {
            "name": self.name,
            "essential": self.essential,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "last_status": self.last_status,
        }


@dataclass(frozen=True)
class TaskOutcome:
    """What :meth:`EcsRunner.wait` (or :meth:`EcsRunner.cancel`) saw of a task.

    Attributes:
        task_arn: the task's ARN.
        last_status: ECS's ``lastStatus`` (``"STOPPED"`` once it ended).
        desired_status: ECS's ``desiredStatus``.
        stop_code: ECS's ``stopCode`` (``"EssentialContainerExited"``, ``"UserInitiated"``,
            ``"TaskFailedToStart"`` ...), if any.
        stopped_reason: ECS's ``stoppedReason``, if any.
        containers: every container of the task definition, in its order, then any other
            container the task reports.
        timed_out: True when :meth:`EcsRunner.wait` gave up before the task stopped.
    """

    task_arn: str
    last_status: str | None
    desired_status: str | None
    stop_code: str | None
    stopped_reason: str | None
    containers: tuple[ContainerOutcome, ...] = field(default_factory=tuple)
    timed_out: bool = False

    @property
    def stopped(self) -> bool:
        """Whether the task has stopped."""
        return self.last_status == "STOPPED"

    @property
    def succeeded(self) -> bool:
        """Stopped, and every essential container exited 0 (at least one essential)."""
        essential = [c for c in self.containers if c.essential]
        return self.stopped and bool(essential) and all(c.exit_code == 0 for c in essential)

    @property
    def message(self) -> str:
        """One line for people: how the task ended and why."""
        if self.timed_out:
            return f"task {self.task_arn} had not stopped when the wait timed out (last status {self.last_status})"
        if not self.stopped:
            return f"task {self.task_arn} is {self.last_status} (desired {self.desired_status})"
        verdict = "succeeded" if self.succeeded else "failed"
        parts = [f"task {self.task_arn} {verdict}"]
        why = ": ".join(p for p in (self.stop_code, self.stopped_reason) if p)
        if why:
            parts.append(why)
        for c in self.containers:
            if not c.essential and c.exit_code in (0, None) and not c.reason:
                continue
            code = "no exit code" if c.exit_code is None else f"exit {c.exit_code}"
            text = f"{c.name} {code}"
            if c.reason:
                text += f" ({c.reason})"
            parts.append(text)
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a JSON line."""
        return {
            "task_arn": self.task_arn,
            "last_status": self.last_status,
            "desired_status": self.desired_status,
            "stop_code": self.stop_code,
            "stopped_reason": self.stopped_reason,
            "succeeded": self.succeeded,
            "timed_out": self.timed_out,
            "containers": [c.to_dict() for c in self.containers],
            "message": self.message,
        }
