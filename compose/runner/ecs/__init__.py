"""Submit a composed ECS task exactly once, wait for it, report how it ended.

:class:`EcsRunner` is a thin layer over boto3's ECS client:

* :meth:`EcsRunner.register_if_needed` registers a task definition only when its content
  changed. It hashes the canonical form (:mod:`compose.runner._canonical`), and reuses the
  latest ACTIVE revision of the family when that revision's spec-hash tag
  (:data:`compose.constants.SPEC_HASH_TAG`) equals the hash; otherwise it registers a new
  revision carrying the tag. Submitting an unchanged profile a thousand times makes one
  revision.
* :meth:`EcsRunner.run` starts one task per run id. The RunTask ``clientToken`` is derived
  from the run id, so ECS itself refuses to start a second task for the same run within its
  24 hours of memory (a ``ConflictException`` naming the task is taken as that task); and
  every RunTask attempt, the first included, starts with a lookup for a task already
  started for that run (``startedBy`` plus the run-id tag), so a lost answer or a restarted
  runner finds the task even where the token is not honoured (moto ignores it). The task
  carries a submission nonce tag (:data:`compose.runner._common.SUBMISSION_KEY`):
  ``RunResult.recovered`` says a found task is this call's own, whose answer was lost.
* :meth:`EcsRunner.wait` polls until the task is STOPPED and reports the stop code, the
  stopped reason and each container's exit code; the run succeeded when every essential
  container exited 0. :meth:`EcsRunner.cancel` stops the task.

Throttling (``ThrottlingException``), ECS's "Too many concurrent attempts to create a new
revision of the specified family", 5xx answers and dropped connections are retried with
exponential backoff and full jitter, bounded in attempts and time (:mod:`compose.runner._retry`).
The runner makes every retry itself: botocore's own are off for every call, also on a client
passed in (:func:`compose.runner.ecs.calls.own_retries`). One outage breaker per runner makes
an outage cost about one retry budget, and :meth:`EcsRunner.interrupt` ends calls under retry.
Every retry of a registration or of a RunTask starts again with the lookup, so a revision or
task that another process (or a request whose answer was lost) created meanwhile is found and
reused rather than duplicated. Every other failure becomes a :class:`compose.errors.SubmitError`
that names the operation, ECS's error code and message; no botocore exception escapes.

boto3 and botocore are imported only when a runner makes its own client.

Example (not run here)::

    runner = EcsRunner(region="eu-west-1")
    td_arn, _ = runner.register_if_needed(spec.task_definition)
    started = runner.run(td_arn, spec.run_task, run_id=flow_run.id)
    outcome = runner.wait(started.task_arn, timeout=3600)
    print(outcome.message)
"""

from __future__ import annotations


from __future__ import annotations

from .calls import DEFAULT_RETRY, _make_client
from .errors import EcsApiError
from .naming import client_token, run_id_tag_value, started_by
from .request import MAX_TAGS, merge_overrides
from .results import ContainerOutcome, RunResult, TaskOutcome
from .runner import EcsRunner

__all__ = [
    "EcsRunner",
    "EcsApiError",
    "RunResult",
    "TaskOutcome",
    "ContainerOutcome",
    "client_token",
    "started_by",
    "run_id_tag_value",
    "merge_overrides",
    "DEFAULT_RETRY",
]
