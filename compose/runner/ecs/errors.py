"""ECS failures as :class:`EcsApiError`: botocore's exceptions translated, transient ones marked."""

from __future__ import annotations

import re

from compose.errors import SubmitError
from compose.runner._retry import Retryable, parse_retry_after

__all__ = ["EcsApiError"]

_THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
    }
)
_SERVER_CODES = frozenset({"ServerException", "ServiceUnavailable", "InternalFailure", "InternalError"})
_CONCURRENT_REVISION = "too many concurrent attempts"


class EcsApiError(SubmitError):
    """An ECS call failed; a :class:`~compose.errors.SubmitError` with the details kept apart.

    Attributes:
        operation: the ECS operation (``"RunTask"``).
        code: ECS's error code (``"ClientException"``), or the botocore exception's name.
        transient: whether retrying could help (throttling, 5xx, connection trouble).
        attempts: how many calls the runner made (botocore makes no retries of its own).
        resource_ids: for ``ConflictException``, the ARNs of the tasks ECS already started
            for the ``clientToken``.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        code: str,
        transient: bool = False,
        retry_after: float | None = None,
        step: str | None = None,
        attempts: int = 1,
        resource_ids: list[str] | None = None,
    ) -> None:
        super().__init__(message, step=step)
        self.operation = operation
        self.code = code
        self.transient = transient
        self.retry_after = retry_after
        self.attempts = attempts
        self.resource_ids = list(resource_ids or [])


def _translate(exc: BaseException, operation: str, step: str, context: str) -> EcsApiError | None:
    """A botocore exception as an :class:`EcsApiError`; None for anything else."""
    from botocore.exceptions import (  # lazy: botocore is loaded once a client exists
        BotoCoreError,
        ClientError,
        ConnectionError as BotoConnectionError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        ParamValidationError,
    )

    where = f" ({context})" if context else ""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {}) or {}
        code = str(error.get("Code") or "Unknown")
        text = _plain(str(error.get("Message") or ""))
        meta = exc.response.get("ResponseMetadata", {}) or {}
        status = int(meta.get("HTTPStatusCode") or 0)
        transient = (
            code in _THROTTLE_CODES
            or code in _SERVER_CODES
            or status >= 500
            or (code == "ClientException" and _CONCURRENT_REVISION in text.lower())
        )
        headers = meta.get("HTTPHeaders", {}) or {}
        retry_after = parse_retry_after(headers.get("retry-after"))
        message = f"ECS {operation} failed{where}: {code}" + (f": {text}" if text else "")
        ids = exc.response.get("resourceIds")
        return EcsApiError(
            message, operation=operation, code=code, transient=transient, retry_after=retry_after, step=step,
            resource_ids=[str(i) for i in ids] if isinstance(ids, list) else None,
        )
    if isinstance(exc, ParamValidationError):
        report = str(exc.kwargs.get("report", exc)).strip()
        return EcsApiError(
            f"ECS {operation} request is invalid{where}: {report}",
            operation=operation,
            code="ParamValidationError",
            step=step,
        )
    if isinstance(exc, NoCredentialsError):
        return EcsApiError(
            f"no AWS credentials found for ECS {operation}{where}: set AWS_PROFILE or the AWS_* environment",
            operation=operation,
            code="NoCredentialsError",
            step=step,
        )
    if isinstance(exc, NoRegionError):
        return EcsApiError(
            f"no AWS region configured for ECS {operation}{where}: pass a region or set AWS_REGION",
            operation=operation,
            code="NoRegionError",
            step=step,
        )
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return EcsApiError(
            f"cannot reach ECS for {operation}{where}: {exc}",
            operation=operation,
            code=type(exc).__name__,
            transient=True,
            step=step,
        )
    if isinstance(exc, BotoCoreError):
        return EcsApiError(
            f"ECS {operation} failed{where}: {exc}", operation=operation, code=type(exc).__name__, step=step
        )
    return None


def _plain(text: str, limit: int = 500) -> str:
    # Some endpoints (proxies, moto's 500s) answer with an HTML page: keep its words only.
    if text.lstrip().startswith("<"):
        text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _classify(exc: BaseException) -> Retryable | None:
    if isinstance(exc, EcsApiError) and exc.transient:
        return Retryable(retry_after=exc.retry_after, why=exc.message)
    return None
