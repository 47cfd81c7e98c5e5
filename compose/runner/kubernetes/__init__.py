"""Submit a batch/v1 Job exactly once per run, wait for it, stream its logs, cancel it.

The Job's name is derived from the run id, so submitting the same run again asks the API
server to create a Job that already exists. The server answers ``409 AlreadyExists``; the
runner then reads that Job and checks the run id it carries (annotation
:data:`compose.constants.RUN_ID_ANNOTATION`, label :data:`compose.constants.RUN_ID_LABEL`).
Same run: the earlier submission is returned as "already submitted". Another run: a
:class:`KubernetesAPIError`. This is also what makes retries safe: a create whose response
was lost (reset connection, read timeout, 504) may have been stored, and its retry meets
the 409 and resolves it to the same run, never to a second Job. The Job carries a submission
nonce annotation (:data:`compose.runner._common.SUBMISSION_KEY`), so the runner tells its own
create whose answer was lost (``SubmitResult.created`` and ``recovered``) from a Job that
existed before (``already_submitted``).

Transient failures (429, 5xx, dropped or reset connections, timeouts) are retried with
exponential backoff and full jitter, honouring ``Retry-After`` (:mod:`compose.runner._retry`),
under one outage breaker per runner; :meth:`KubernetesRunner.interrupt` ends calls under retry.
Other failures become :class:`KubernetesAPIError`, a :class:`compose.errors.SubmitError`
whose message says what the server refused: for 403 the verb, resource and namespace RBAC
denied; for 422 each field cause.

The ``kubernetes`` package is imported inside the methods that need it, so importing this
module costs nothing on the build path.

Example::

    runner = KubernetesRunner(context="prod", namespace="flows")
    result = runner.submit(job, run_id="7f9c...")      # SubmitResult
    outcome = runner.wait(result.name, timeout=3600, log_stream=sys.stderr)
    if not outcome.succeeded:
        print(outcome.reason, outcome.exit_code, outcome.container_reason)
"""

from __future__ import annotations

from .config import SERVICE_ACCOUNT_DIR
from .errors import KubernetesAPIError
from .naming import job_name_for_run, mark_for_run, prepare_job, run_id_label_value
from .results import DryRun, JobOutcome, SubmitResult
from .runner import KubernetesRunner

__all__ = [
    "KubernetesRunner",
    "KubernetesAPIError",
    "SubmitResult",
    "JobOutcome",
    "job_name_for_run",
    "run_id_label_value",
    "prepare_job",
    "mark_for_run",
    "SERVICE_ACCOUNT_DIR",
]
