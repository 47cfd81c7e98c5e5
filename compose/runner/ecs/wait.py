"""Waiting for a task to stop, stopping it, and reading how it ended."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from compose.errors import SubmitError

from .calls import _Calls
from .naming import _cluster_of_task
from .results import ContainerOutcome, TaskOutcome


class _Waiting(_Calls):
    """Mixin: :meth:`wait`, :meth:`cancel` and the outcome of a described task."""

    cluster: str | None
    _lock: threading.Lock
    _essentials: dict[str, dict[str, bool]]

    def wait(
        self,
        task_arn: str,
        timeout: float = 3600.0,
        poll: float = 6.0,
        *,
        cluster: str | None = None,
    ) -> TaskOutcome:
        """Poll the task until it is STOPPED or ``timeout`` seconds passed.

        Args:
            task_arn: the task (``RunResult.task_arn``).
            timeout: seconds to wait at most, by the runner's clock.
            poll: seconds between two DescribeTasks.
            cluster: the task's cluster; by default the one in the task ARN, else the
                runner's.

        Returns:
            The outcome; ``timed_out`` is True (and ``succeeded`` False) when the task had
            not stopped in time.

        Raises:
            SubmitError: the task does not exist, or ECS refused or kept failing.
        """
        cluster = cluster or _cluster_of_task(task_arn) or self.cluster
        deadline = self._clock() + max(0.0, timeout)
        while True:
            task = self._describe_task(task_arn, cluster)
            if task.get("lastStatus") == "STOPPED":
                return self._outcome(task)
            remaining = deadline - self._clock()
            if remaining <= 0:
                return self._outcome(task, timed_out=True)
            self._sleep(min(max(poll, 0.0), remaining))

    def cancel(self, task_arn: str, reason: str = "cancelled by compose", *, cluster: str | None = None) -> TaskOutcome:
        """Stop the task (StopTask); stopping a stopped task changes nothing.

        Args:
            task_arn: the task.
            reason: shown by ECS as the stopped reason (cut to 255 characters).
            cluster: as for :meth:`wait`.

        Returns:
            The task as StopTask returned it (usually not STOPPED yet; :meth:`wait` for that).

        Raises:
            SubmitError: the task does not exist, or ECS refused or kept failing.
        """
        cluster = cluster or _cluster_of_task(task_arn) or self.cluster
        where: dict[str, Any] = {"cluster": cluster} if cluster else {}
        context = f"task {task_arn}"
        answer = self._retrying(
            lambda: self._call("StopTask", "cancel", context, **where, task=task_arn, reason=reason[:255]), "cancel"
        )
        return self._outcome(answer.get("task") or {"taskArn": task_arn})

    def stopped_task_arns(self, *, cluster: str | None = None, limit: int = 5000) -> list[str]:
        """The ARNs of the tasks ECS still lists as stopped in ``cluster``; at most ``limit``.

        Raises:
            SubmitError: ECS refused or kept failing.
        """
        cluster = cluster or self.cluster
        where: dict[str, Any] = {"cluster": cluster} if cluster else {}
        context = f"cluster {cluster or 'default'!r}"

        def listing() -> list[str]:
            arns: list[str] = []
            token: str | None = None
            while len(arns) < limit:
                params = {**where, "desiredStatus": "STOPPED", **({"nextToken": token} if token else {})}
                page = self._call("ListTasks", "wait", context, **params)
                arns.extend(str(a) for a in page.get("taskArns") or [])
                token = page.get("nextToken")
                if not token:
                    break
            return arns[:limit]

        return self._retrying(listing, "wait")

    def describe_tasks(self, arns: Sequence[str], *, cluster: str | None = None) -> list[dict[str, Any]]:
        """The tasks ``arns`` (DescribeTasks, 100 at a time), with their tags; tasks ECS no
        longer knows are left out.

        Raises:
            SubmitError: ECS refused or kept failing.
        """
        cluster = cluster or self.cluster
        where: dict[str, Any] = {"cluster": cluster} if cluster else {}
        context = f"cluster {cluster or 'default'!r}"
        tasks: list[dict[str, Any]] = []
        for start in range(0, len(arns), 100):
            chunk = list(arns[start : start + 100])
            answer = self._retrying(
                lambda: self._call("DescribeTasks", "wait", context, **where, tasks=chunk, include=["TAGS"]), "wait"
            )
            tasks.extend(t for t in answer.get("tasks") or [] if isinstance(t, dict))
        return tasks

    def task_outcome(self, task: Mapping[str, Any]) -> TaskOutcome:
        """How a described task (:meth:`describe_tasks`) stands or ended."""
        return self._outcome(task)

    def _describe_task(self, task_arn: str, cluster: str | None) -> Mapping[str, Any]:
        where: dict[str, Any] = {"cluster": cluster} if cluster else {}
        answer = self._retrying(
            lambda: self._call("DescribeTasks", "wait", f"task {task_arn}", **where, tasks=[task_arn]), "wait"
        )
        for task in answer.get("tasks") or []:
            if task.get("taskArn") == task_arn:
                return task
        reasons = ", ".join(str(f.get("reason")) for f in answer.get("failures") or []) or "not listed"
        raise SubmitError(f"task {task_arn} not found in cluster {cluster or 'default'!r}: {reasons}", step="wait")

    def _essential(self, td_arn: str | None) -> dict[str, bool]:
        if not td_arn:
            return {}
        with self._lock:
            known = self._essentials.get(td_arn)
        if known is not None:
            return known
        answer = self._retrying(
            lambda: self._call("DescribeTaskDefinition", "wait", f"task definition {td_arn}", taskDefinition=td_arn),
            "wait",
        )
        containers = answer.get("taskDefinition", {}).get("containerDefinitions", [])
        known = {str(c.get("name")): bool(c.get("essential", True)) for c in containers}
        with self._lock:
            self._essentials[td_arn] = known
        return known

    def _outcome(self, task: Mapping[str, Any], *, timed_out: bool = False) -> TaskOutcome:
        essential = self._essential(task.get("taskDefinitionArn")) if task.get("lastStatus") == "STOPPED" else {}
        reported = {str(c.get("name")): c for c in task.get("containers") or []}
        names = list(essential) + [n for n in reported if n not in essential]
        containers = []
        for name in names:
            c = reported.get(name, {})
            containers.append(
                ContainerOutcome(
                    name=name,
                    essential=essential.get(name, True),
                    exit_code=c.get("exitCode"),
                    reason=c.get("reason") or None,
                    last_status=c.get("lastStatus"),
                )
            )
        return TaskOutcome(
            task_arn=str(task.get("taskArn")),
            last_status=task.get("lastStatus"),
            desired_status=task.get("desiredStatus"),
            stop_code=task.get("stopCode") or None,
            stopped_reason=task.get("stoppedReason") or None,
            containers=tuple(containers),
            timed_out=timed_out,
        )
