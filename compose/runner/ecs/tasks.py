"""Starting one task per run: the lookup by ``startedBy`` and run-id tag, then RunTask."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from compose.constants import RUN_ID_LABEL
from compose.errors import SubmitError
from compose.runner._common import SUBMISSION_KEY, new_nonce

from .calls import _Calls
from .errors import EcsApiError
from .naming import _tag_list, _tags_dict, client_token, run_id_tag_value, started_by
from .request import MAX_TAGS, _failures_message, merge_overrides
from .results import RunResult


class _Tasks(_Calls):
    """Mixin: :meth:`run` and :meth:`find_task`."""

    cluster: str | None

    def find_task(self, run_id: str, *, cluster: str | None = None) -> str | None:
        """The ARN of a task already started for ``run_id`` in ``cluster``, if ECS still lists it.

        Looks at tasks with the run's ``startedBy`` whose desired status is RUNNING or STOPPED
        (ECS lists stopped tasks for about an hour) and keeps those whose run-id tag is the
        run's. With several (only possible where clientToken is ignored), the oldest.

        Raises:
            SubmitError: ECS refused or kept failing.
        """
        return self._retrying(lambda: self._find_task(run_id, cluster or self.cluster), "run")

    def _find_task(self, run_id: str, cluster: str | None) -> str | None:
        task = self._find_task_record(run_id, cluster)
        return None if task is None else str(task["taskArn"])

    def _find_task_record(self, run_id: str, cluster: str | None) -> Mapping[str, Any] | None:
        where: dict[str, Any] = {"cluster": cluster} if cluster else {}
        context = f"cluster {cluster or 'default'!r}, run {run_id!r}"
        arns: list[str] = []
        for desired in ("RUNNING", "STOPPED"):
            token: str | None = None
            while True:
                params = {**where, "startedBy": started_by(run_id), "desiredStatus": desired}
                if token:
                    params["nextToken"] = token
                page = self._call("ListTasks", "run", context, **params)
                arns.extend(a for a in page.get("taskArns", []) if a not in arns)
                token = page.get("nextToken")
                if not token:
                    break
        if not arns:
            return None
        want = run_id_tag_value(run_id)
        mine: list[Mapping[str, Any]] = []
        for start in range(0, len(arns), 100):
            answer = self._call(
                "DescribeTasks", "run", context, **where, tasks=arns[start : start + 100], include=["TAGS"]
            )
            mine.extend(t for t in answer.get("tasks", []) if _tags_dict(t.get("tags")).get(RUN_ID_LABEL) == want)
        if not mine:
            return None
        mine.sort(key=lambda t: (str(t.get("createdAt") or ""), t["taskArn"]))
        return mine[0]

    def run(
        self,
        td_arn: str,
        run_request: Mapping[str, Any],
        *,
        run_id: str,
        tags: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Start the task for ``run_id``, unless one was started for it already.

        Args:
            td_arn: the task definition revision (from :meth:`register_if_needed`).
            run_request: the composed ``RunTask`` input (cluster, launchType,
                networkConfiguration, overrides ...); not modified. Its ``taskDefinition``,
                ``clientToken`` and ``startedBy`` are replaced by the runner's, and ``count``
                must be 1 or absent.
            run_id: the run's id; everything idempotent derives from it.
            tags: more tags for the task (flow name, deployment ...), over the request's.
            overrides: per-run RunTask overrides, laid over the request's
                (see :func:`merge_overrides`).

        Returns:
            The task, with ``created`` False when it existed already.

        Raises:
            SubmitError: the request is invalid, ECS refused it or reported ``failures``
                (the message carries each failure's ARN and reason), or ECS kept failing.
        """
        if not isinstance(run_id, str) or not run_id:
            raise SubmitError("a run id is required to submit a task", step="run")
        request = copy.deepcopy(dict(run_request))
        count = request.pop("count", 1)
        if count != 1:
            raise SubmitError(f"a run starts exactly one task; the request asks for count={count!r}", step="run")
        cluster = request.get("cluster") or self.cluster
        if cluster:
            request["cluster"] = cluster
        merged_tags = _tags_dict(request.get("tags"))
        merged_tags.update({str(k): str(v) for k, v in (tags or {}).items()})
        merged_tags[RUN_ID_LABEL] = run_id_tag_value(run_id)
        nonce = new_nonce()
        merged_tags[SUBMISSION_KEY] = nonce
        if len(merged_tags) > MAX_TAGS:
            raise SubmitError(f"the task would carry {len(merged_tags)} tags; ECS allows {MAX_TAGS}", step="run")
        if overrides:
            request["overrides"] = merge_overrides(request.get("overrides"), overrides)
        token = client_token(run_id)
        request.update(
            taskDefinition=td_arn, clientToken=token, startedBy=started_by(run_id), tags=_tag_list(merged_tags)
        )
        context = f"cluster {cluster or 'default'!r}, run {run_id!r}"

        def result(arn: str, created: bool, recovered: bool = False) -> RunResult:
            return RunResult(arn, cluster, run_id, td_arn, token, request["startedBy"], created, recovered)

        sent = [0]

        def attempt() -> RunResult:
            # Every attempt, the first included, starts with the lookup: a task that an
            # earlier agent, or an earlier attempt whose answer was lost, started is found
            # here; its nonce tag says which.
            existing = self._find_task_record(run_id, cluster)
            if existing is not None:
                ours = _tags_dict(existing.get("tags")).get(SUBMISSION_KEY) == nonce
                return result(str(existing["taskArn"]), ours, recovered=ours)
            sent[0] += 1
            try:
                answer = self._call("RunTask", "run", context, **request)
            except EcsApiError as exc:
                if exc.code == "ConflictException" and exc.resource_ids:
                    # ECS remembers the token for 24 h, longer than it lists stopped tasks: the
                    # run's task exists (an earlier submission, whose nonce differs).
                    return result(exc.resource_ids[0], False)
                if exc.code == "ConflictException":
                    raise EcsApiError(
                        f"run {run_id!r} was already submitted to cluster {cluster or 'default'!r} "
                        f"with other parameters (clientToken {token!r}); ECS refuses a second task "
                        f"for it: {exc.message}",
                        operation="RunTask",
                        code=exc.code,
                        step="run",
                    ) from exc
                raise
            started = answer.get("tasks") or []
            if started:
                return result(started[0]["taskArn"], True)
            raise SubmitError(_failures_message(answer.get("failures") or [], td_arn, context), step="run")

        return self._retrying(attempt, "run", sent=lambda: sent[0] > 0)
