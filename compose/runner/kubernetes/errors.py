"""API server failures as :class:`KubernetesAPIError`: transient ones classified for retry,
the others worded so a user can act (RBAC for 403, field causes for 422)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from compose.errors import SubmitError
from compose.runner._retry import Retryable, parse_retry_after

__all__ = ["KubernetesAPIError"]

class KubernetesAPIError(SubmitError):
    """The API server refused a request, or transient failures outlasted the retries.

    Attributes:
        status: the HTTP status (0 when no answer came back).
        reason: the Status ``reason`` (``Forbidden``, ``Invalid``, ...), if any.
        verb: what the runner tried (``create``, ``get``, ``delete``, ``list``, ``watch``).
        resource: the resource (``jobs``, ``pods``, ``pods/log``).
        namespace: the namespace of the request.
        name: the object's name, if the request had one.
        causes: for 422, ``(field, message)`` pairs from ``details.causes``.
        attempts: how many calls were made.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        reason: str | None = None,
        verb: str = "",
        resource: str = "",
        namespace: str = "",
        name: str | None = None,
        causes: list[tuple[str, str]] | None = None,
        attempts: int = 1,
        step: str | None = None,
    ) -> None:
        super().__init__(message, step=step or _STEP_BY_VERB.get(verb, "submit"))
        self.status = status
        self.reason = reason
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.causes = list(causes or [])
        self.attempts = attempts


#: The pipeline step an API verb belongs to, for error messages.
_STEP_BY_VERB = {"create": "submit", "get": "submit", "delete": "cancel", "watch": "wait", "list": "wait"}


def _status_body(exc: Any) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    if not body:
        return {}
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return {"message": body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)}
    return data if isinstance(data, dict) else {}


def _header(exc: Any, name: str) -> str | None:
    headers = getattr(exc, "headers", None)
    if not headers:
        return None
    try:
        return headers.get(name)
    except AttributeError:
        return None


def _classify(exc: BaseException) -> Retryable | None:
    """Transient failures of a Kubernetes API call: 429, 5xx, dropped connections."""
    from kubernetes.client.exceptions import ApiException
    import urllib3.exceptions

    if isinstance(exc, ApiException):
        status = exc.status or 0
        if status == 429 or 500 <= status <= 599:
            body = _status_body(exc)
            after = parse_retry_after(_header(exc, "Retry-After"))
            if after is None:
                seconds = (body.get("details") or {}).get("retryAfterSeconds")
                after = float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else None
            why = f"{status} {body.get('reason') or exc.reason}: {body.get('message') or ''}".rstrip(": ")
            return Retryable(retry_after=after, why=why)
        return None
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
        return Retryable(why=f"connection problem: {exc}")
    if isinstance(exc, OSError):
        return Retryable(why=f"connection problem: {exc}")
    return None


def _where(verb: str, resource: str, namespace: str, name: str | None) -> str:
    target = f'{resource} "{name}"' if name else resource
    return f'{verb} {target} in namespace "{namespace}"'


def _api_error(
    exc: Any, *, verb: str, resource: str, namespace: str, name: str | None, attempts: int = 1
) -> KubernetesAPIError:
    """Turn an ApiException into a message a user can act on."""
    status = int(getattr(exc, "status", 0) or 0)
    body = _status_body(exc)
    reason = body.get("reason") or getattr(exc, "reason", None)
    server_msg = body.get("message") or ""
    details = body.get("details") or {}
    causes: list[tuple[str, str]] = []
    where = _where(verb, resource, namespace, name)
    if status == 401:
        msg = (
            f"the API server did not accept our credentials (401 Unauthorized) to {where}; "
            f"check the kubeconfig user or the service account token"
            + (f": {server_msg}" if server_msg else "")
        )
    elif status == 403:
        kind = details.get("kind") or resource
        group = details.get("group")
        qualified = f"{kind}.{group}" if group else kind
        msg = (
            f'RBAC refused to let us {verb} {qualified} in namespace "{namespace}" (403 Forbidden); '
            f"grant the {verb!r} verb on {qualified} to this identity. Server said: {server_msg}"
        )
    elif status == 422:
        for cause in details.get("causes") or []:
            if isinstance(cause, Mapping):
                causes.append((str(cause.get("field") or ""), str(cause.get("message") or cause.get("reason") or "")))
        lines = "".join(f"\n  - {f or '(object)'}: {m}" for f, m in causes)
        msg = f"the API server rejected the Job as invalid (422) when asked to {where}:" + (
            lines or f" {server_msg}"
        )
    elif status == 404:
        msg = f"not found (404) when asked to {where}" + (f": {server_msg}" if server_msg else "")
    elif status == 0:
        msg = f"could not {where}: {getattr(exc, 'reason', None) or exc}"
    else:
        msg = f"the API server answered {status} {reason or ''} when asked to {where}".rstrip()
        if server_msg:
            msg += f": {server_msg}"
    return KubernetesAPIError(
        msg,
        status=status,
        reason=reason,
        verb=verb,
        resource=resource,
        namespace=namespace,
        name=name,
        causes=causes,
        attempts=attempts,
    )


def _read_json(resp: Any) -> dict[str, Any]:
    """Body of a ``_preload_content=False`` response as a dict."""
    try:
        data = resp.data
    finally:
        try:
            resp.release_conn()
        except Exception:  # releasing is best effort; the body is already read
            pass
    try:
        out = json.loads(data)
    except (TypeError, ValueError) as exc:
        raise SubmitError(f"the API server answered with something that is not JSON: {exc}", step="submit") from exc
    return out if isinstance(out, dict) else {}
