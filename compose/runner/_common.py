"""What both runners share: the stop error, ``interrupt()``, and the submission nonce.

A runner tags what it creates (a Job annotation, an ECS task tag, :data:`SUBMISSION_KEY`)
with a nonce drawn once per submission. When an answer is lost and the runner's lookup (ECS)
or its 409 (Kubernetes) finds the run's Job or task, the nonce says whether this very
submission created it (the answer was lost) or it existed before (an earlier agent, another
process).
"""

from __future__ import annotations

import secrets
import threading

from compose.errors import SubmitError

__all__ = ["SUBMISSION_KEY", "Interruptible", "RunnerStopped", "new_nonce"]

#: The annotation (Kubernetes) / tag (ECS) carrying the submission nonce.
SUBMISSION_KEY = "compose.dev/submission"


def new_nonce() -> str:
    """A fresh submission nonce: 24 hex digits, valid as a label, annotation or tag value.

    >>> len(new_nonce()), new_nonce() != new_nonce()
    (24, True)
    """
    return secrets.token_hex(12)


class RunnerStopped(SubmitError):
    """The runner was told to stop (``runner.interrupt()``) before a call could finish.

    Attributes:
        sent: True when a request that creates something (RunTask, a Job create) may have
            reached the backend; resubmitting the same run id is safe either way.
        attempts: calls made before the stop.
    """

    def __init__(self, message: str, *, sent: bool, attempts: int = 0, step: str | None = None) -> None:
        super().__init__(message, step=step)
        self.sent = sent
        self.attempts = attempts


class Interruptible:
    """Mixin: a runner that an agent can tell to stop (``_stop`` is set up by the runner)."""

    _stop: threading.Event

    def interrupt(self) -> None:
        """Stop: no new attempt starts, backoff sleeps end, calls under retry raise
        :class:`RunnerStopped`. For an agent that must exit soon."""
        self._stop.set()

    @property
    def interrupted(self) -> bool:
        """True once :meth:`interrupt` was called."""
        return self._stop.is_set()
