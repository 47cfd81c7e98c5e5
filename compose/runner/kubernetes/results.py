"""What the Kubernetes runner reports: a submission, and how a Job ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["SubmitResult", "JobOutcome", "DryRun"]

DryRun = Literal["server", "client"]

@dataclass(frozen=True)
class SubmitResult:
    """What :meth:`KubernetesRunner.submit` did.

    Attributes:
        name: the Job's name (derived from the run id).
        namespace: the Job's namespace.
        uid: the Job's uid as the server reported it; None for a client dry run.
        created: True only when this call created the Job. False when the same run's Job
            already existed ("already submitted") and for dry runs.
        dry_run: ``"server"``, ``"client"`` or None.
        run_id: the run id, verbatim.
        job: the Job as the server returned it (or, for a client dry run, as prepared).
        recovered: True when this call created the Job but the create's answer was lost:
            the retry met 409 and the Job carries this submission's nonce annotation.
    """

    name: str
    namespace: str
    uid: str | None
    created: bool
    dry_run: str | None
    run_id: str = ""
    job: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    recovered: bool = False

    @property
    def already_submitted(self) -> bool:
        """True when the run's Job existed before this call."""
        return not self.created and self.dry_run is None


@dataclass(frozen=True)
class JobOutcome:
    """How a Job ended, or where it stood when waiting stopped.

    Attributes:
        succeeded: True when the Job has the ``Complete`` condition.
        reason: the Job's ``Failed`` condition reason (``BackoffLimitExceeded``,
            ``DeadlineExceeded``, ...), ``"Complete"``, ``"Timeout"`` when waiting ran out,
            or ``"Deleted"`` when the Job disappeared.
        pod_phase: the phase of the Job's latest pod, if any pod was found.
        exit_code: the flow container's exit code, if it terminated.
        container_reason: the flow container's terminated reason (``Completed``, ``Error``,
            ``OOMKilled``) or, if it never ran, its waiting reason (``ImagePullBackOff``).
        message: the Job condition's message, or what the runner noticed.
        pod_name: the pod the container facts come from.
        timed_out: True when ``wait`` returned because its timeout ran out.
    """

    succeeded: bool
    reason: str | None = None
    pod_phase: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    message: str | None = None
    pod_name: str | None = None
    timed_out: bool = False
