"""Submit a batch/v1 Job exactly once per run, wait for it, stream its logs, cancel it.

The Job's name is derived from the run id, so submitting the same run again asks the API
server to create a Job that already exists. The server answers ``409 AlreadyExists``; the
runner then reads that Job and checks the run id it carries (annotation
:data:`compose.constants.RUN_ID_ANNOTATION`, label :data:`compose.constants.RUN_ID_LABEL`).
Same run: the earlier submission is returned as "already submitted". Another run: a
:class:`KubernetesAPIError`. This is also what makes retries safe: a create whose response
was lost (reset connection, read timeout, 504) may have been stored, and its retry meets
the 409 and resolves it to the same run, never to a second Job.

Transient failures (429, 5xx, dropped or reset connections, timeouts) are retried with
exponential backoff and full jitter, honouring ``Retry-After`` (:mod:`compose.runner._retry`).
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

import codecs
import copy
import hashlib
import json
import logging
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from compose.constants import DEFAULT_FLOW_CONTAINER, RUN_ID_ANNOTATION, RUN_ID_LABEL
from compose.errors import SubmitError
from compose.runner._retry import (
    Retryable,
    RetriesExhausted,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_call,
)

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

log = logging.getLogger(__name__)

#: Where Kubernetes mounts a pod's service account token, CA and namespace.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"

_NAME_MAX = 63
_HASH_LEN = 8
_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

DryRun = Literal["server", "client"]


# --------------------------------------------------------------------------- results


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
    """

    name: str
    namespace: str
    uid: str | None
    created: bool
    dry_run: str | None
    run_id: str = ""
    job: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

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


# --------------------------------------------------------------------------- names


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LEN]


def _dns_label_part(text: str) -> str:
    """Lower-case ``text`` and squeeze it into DNS-1123 label characters."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    return cleaned.strip("-")


def job_name_for_run(base: str, run_id: str) -> str:
    """The Job name for ``run_id``: ``<base>-<run id>`` as a DNS-1123 label.

    The result is deterministic, at most 63 characters, and distinct for distinct run ids:
    whenever the run id had to be changed to fit (case, characters, length), a short hash of
    the verbatim base and run id is appended.

    Args:
        base: the Job's own name (or any prefix); may be empty.
        run_id: the run id, any string.

    >>> job_name_for_run("etl", "run-42")
    'etl-run-42'
    >>> job_name_for_run("etl", "Run_42")
    'etl-run-42-68f2c46c'
    >>> len(job_name_for_run("a" * 60, "0d6f6a4e-9a0b-4a8e-b9b3-2a9d4c1f7e11"))
    63
    """
    if not run_id:
        raise SubmitError("a run id is required to name the Job", step="submit")
    prefix = _dns_label_part(base)
    rid = _dns_label_part(run_id)
    candidate = "-".join(p for p in (prefix, rid) if p)
    if rid == run_id and 0 < len(candidate) <= _NAME_MAX:
        return candidate
    digest = _short_hash(f"{base}\0{run_id}")
    head = candidate[: _NAME_MAX - _HASH_LEN - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def run_id_label_value(run_id: str) -> str:
    """``run_id`` as a valid label value (the verbatim id goes in an annotation).

    Unchanged when already valid; otherwise squeezed into label syntax, cut to fit, and
    given a short hash so that different ids stay different.

    >>> run_id_label_value("0d6f6a4e-9a0b")
    '0d6f6a4e-9a0b'
    >>> run_id_label_value("flow run #7")
    'flow-run-7-0f3008fb'
    """
    if len(run_id) <= _NAME_MAX and _LABEL_VALUE_RE.match(run_id):
        return run_id
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", run_id)
    cleaned = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", cleaned)
    head = re.sub(r"[^A-Za-z0-9]+$", "", cleaned[: _NAME_MAX - _HASH_LEN - 1])
    digest = _short_hash(run_id)
    return f"{head}-{digest}" if head else digest


def _container_names(body: Mapping[str, Any]) -> list[str]:
    spec = (((body.get("spec") or {}).get("template") or {}).get("spec")) or {}
    containers = spec.get("containers")
    if not isinstance(containers, list):
        return []
    return [c.get("name") for c in containers if isinstance(c, Mapping)]


def prepare_job(
    job: Mapping[str, Any],
    run_id: str,
    *,
    namespace: str,
    flow_container: str = DEFAULT_FLOW_CONTAINER,
) -> dict[str, Any]:
    """The Job to submit for ``run_id``: named after the run, labelled and annotated with it.

    Pure: ``job`` is copied, never changed. ``metadata.generateName`` is dropped (the name is
    deterministic); the run-id label and annotation go on the Job and its pod template.

    Args:
        job: a batch/v1 Job as a dict.
        run_id: the run id, verbatim.
        namespace: the namespace to put in ``metadata.namespace``.
        flow_container: the container that must exist in the pod template.

    Raises:
        SubmitError: ``job`` is not a Job, has no containers, or lacks the flow container.
    """
    if not isinstance(job, Mapping):
        raise SubmitError(f"expected a Job mapping, got {type(job).__name__}", step="submit")
    body = copy.deepcopy(dict(job))
    kind = body.setdefault("kind", "Job")
    api_version = body.setdefault("apiVersion", "batch/v1")
    if kind != "Job" or api_version != "batch/v1":
        raise SubmitError(
            f"the Kubernetes runner submits batch/v1 Jobs, not {api_version} {kind}", step="submit"
        )
    names = _container_names(body)
    if not names:
        raise SubmitError(
            "the Job has no containers", path=("spec", "template", "spec", "containers"), step="submit"
        )
    if flow_container not in names:
        raise SubmitError(
            f"the Job has no container named {flow_container!r} (the flow container; "
            f"containers: {', '.join(map(str, names))}); name it so or configure flow_container",
            path=("spec", "template", "spec", "containers"),
            step="submit",
        )
    mark_for_run(body, run_id)
    body["metadata"]["namespace"] = namespace
    return body


def mark_for_run(body: dict[str, Any], run_id: str) -> None:
    """Name ``body`` (a Job or CronJob) after ``run_id`` and label and annotate it and its pod
    template with the run id, in place. The composer (whose preview is what is submitted) and
    :func:`prepare_job` both use it.

    ``metadata.generateName`` is dropped: the name is deterministic. A body already annotated
    with this run id keeps its name instead of getting the run id twice.
    """
    meta = body.get("metadata")
    meta = dict(meta) if isinstance(meta, Mapping) else {}
    base = meta.get("name") or str(meta.get("generateName") or "").rstrip("-") or "job"
    meta.pop("generateName", None)
    if not ((meta.get("annotations") or {}).get(RUN_ID_ANNOTATION) == run_id and meta.get("name")):
        meta["name"] = job_name_for_run(str(base), run_id)
    label = run_id_label_value(run_id)
    meta["labels"] = {**(meta.get("labels") or {}), RUN_ID_LABEL: label}
    meta["annotations"] = {**(meta.get("annotations") or {}), RUN_ID_ANNOTATION: run_id}
    body["metadata"] = meta
    spec = body.get("spec") or {}
    if body.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template")
    if isinstance(template, dict):
        tmeta = dict(template.get("metadata") or {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), RUN_ID_LABEL: label}
        tmeta["annotations"] = {**(tmeta.get("annotations") or {}), RUN_ID_ANNOTATION: run_id}
        template["metadata"] = tmeta


def _owner_run(job: Mapping[str, Any]) -> tuple[str | None, str | None]:
    meta = job.get("metadata") or {}
    return (meta.get("annotations") or {}).get(RUN_ID_ANNOTATION), (meta.get("labels") or {}).get(
        RUN_ID_LABEL
    )


def _belongs_to(job: Mapping[str, Any], run_id: str) -> bool:
    annotation, label = _owner_run(job)
    if annotation is not None:
        return annotation == run_id
    return label is not None and label == run_id_label_value(run_id)


# --------------------------------------------------------------------------- errors


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


# --------------------------------------------------------------------------- job state


def _conditions(job: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    conds = ((job.get("status") or {}).get("conditions")) or []
    return [c for c in conds if isinstance(c, Mapping)]


def _terminal(job: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The Job's true ``Complete`` or ``Failed`` condition, if it has one."""
    for cond in _conditions(job):
        if cond.get("type") in ("Complete", "Failed") and str(cond.get("status")) == "True":
            return cond
    return None


def _flow_status(pod: Mapping[str, Any], container: str) -> Mapping[str, Any] | None:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if isinstance(status, Mapping) and status.get("name") == container:
            return status
    return None


def _flow_started(pod: Mapping[str, Any], container: str) -> bool:
    status = _flow_status(pod, container)
    if status is None:
        return False
    state = status.get("state") or {}
    return bool(state.get("running") or state.get("terminated") or status.get("lastState", {}).get("terminated"))


def _terminated(status: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if status is None:
        return None
    return (status.get("state") or {}).get("terminated") or (status.get("lastState") or {}).get("terminated")


def _pick_pod(pods: list[Mapping[str, Any]], container: str) -> Mapping[str, Any] | None:
    """The pod that says most about how the Job went: the newest, preferring finished ones."""
    if not pods:
        return None

    def key(pod: Mapping[str, Any]) -> tuple[bool, str, str]:
        meta = pod.get("metadata") or {}
        done = _terminated(_flow_status(pod, container)) is not None
        return (done, str(meta.get("creationTimestamp") or ""), str(meta.get("name") or ""))

    return max(pods, key=key)


# --------------------------------------------------------------------------- runner


class KubernetesRunner:
    """Submits Jobs to one cluster and namespace, exactly once per run id.

    Args:
        kubeconfig: path to a kubeconfig (``:``-separated list allowed). Defaults to
            ``$KUBECONFIG`` or ``~/.kube/config``.
        context: kubeconfig context; defaults to its current context.
        namespace: overrides the context's (or the service account's) namespace.
        in_cluster: True for the pod's service account, False for a kubeconfig, None to
            choose: a kubeconfig when one is named or exists, else the service account
            when ``KUBERNETES_SERVICE_HOST`` is set.
        flow_container: name of the container whose exit code is the run's.
        retry: retry bounds for API calls.
        request_timeout: seconds, or ``(connect, read)`` seconds, for each API request.
        sleep: used for backoff sleeps (tests pass a recorder).
        clock: monotonic clock for the retry time budget.
        rng: uniform ``[0, 1)`` source for jitter.
        service_account_dir: where the service account token, ``ca.crt`` and
            ``namespace`` are mounted.
        log_poll_interval: seconds between looks for a pod whose logs to follow.
        api_client: a ready ``kubernetes.client.ApiClient`` (then no config is loaded).

    Raises:
        SubmitError: no usable configuration was found.
    """

    def __init__(
        self,
        *,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        namespace: str | None = None,
        in_cluster: bool | None = None,
        flow_container: str = DEFAULT_FLOW_CONTAINER,
        retry: RetryPolicy | None = None,
        request_timeout: float | tuple[float, float] = (10.0, 30.0),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        service_account_dir: str | os.PathLike[str] = SERVICE_ACCOUNT_DIR,
        log_poll_interval: float = 0.5,
        api_client: Any = None,
    ) -> None:
        self.flow_container = flow_container
        self.retry = retry or RetryPolicy()
        self.request_timeout = request_timeout
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._log_poll = log_poll_interval
        self._explicit_namespace = namespace
        if api_client is not None:
            self.api_client = api_client
            self.namespace = namespace or "default"
            self.source = "api_client"
            return
        self.api_client, default_ns, self.source = self._load_config(
            kubeconfig, context, in_cluster, os.fspath(service_account_dir)
        )
        self.namespace = namespace or default_ns

    # ---- configuration

    @staticmethod
    def _load_config(
        kubeconfig: str | os.PathLike[str] | None,
        context: str | None,
        in_cluster: bool | None,
        sa_dir: str,
    ) -> tuple[Any, str, str]:
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        path = os.fspath(kubeconfig) if kubeconfig else None
        default_path = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        if in_cluster is None:
            has_file = any(os.path.exists(p) for p in (path or default_path).split(os.pathsep) if p)
            if path or context or has_file:
                in_cluster = False
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                in_cluster = True
            else:
                raise SubmitError(
                    f"no Kubernetes configuration: no kubeconfig at {default_path} and not "
                    "running in a cluster (KUBERNETES_SERVICE_HOST unset)",
                    step="submit",
                )
        cfg = client.Configuration()
        try:
            if in_cluster:
                from kubernetes.config.incluster_config import InClusterConfigLoader

                InClusterConfigLoader(
                    token_filename=os.path.join(sa_dir, "token"),
                    cert_filename=os.path.join(sa_dir, "ca.crt"),
                ).load_and_set(cfg)
                namespace = "default"
                ns_file = os.path.join(sa_dir, "namespace")
                if os.path.isfile(ns_file):
                    with open(ns_file, encoding="utf-8") as fh:
                        namespace = fh.read().strip() or "default"
                source = "in-cluster service account"
            else:
                path = path or default_path
                config.load_kube_config(
                    config_file=path, context=context, client_configuration=cfg, persist_config=False
                )
                contexts, current = config.list_kube_config_contexts(config_file=path)
                chosen = current
                if context:
                    chosen = next((c for c in contexts if c.get("name") == context), None)
                namespace = ((chosen or {}).get("context") or {}).get("namespace") or "default"
                source = f"kubeconfig {path}" + (f" context {context}" if context else "")
        except ConfigException as exc:
            where = "the in-cluster service account" if in_cluster else f"kubeconfig {path}"
            raise SubmitError(f"cannot load Kubernetes configuration from {where}: {exc}", step="submit") from exc
        except OSError as exc:
            raise SubmitError(f"cannot read Kubernetes configuration: {exc}", step="submit") from exc
        # Our retry layer decides what is safe to repeat; urllib3 must not retry on its own.
        cfg.retries = False
        return client.ApiClient(configuration=cfg), namespace, source

    def close(self) -> None:
        """Release the HTTP connection pool."""
        close = getattr(self.api_client, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> "KubernetesRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self.api_client)

    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    # ---- calls

    def _call(
        self,
        fn: Callable[[], Any],
        *,
        verb: str,
        resource: str,
        namespace: str,
        name: str | None = None,
        passthrough: tuple[int, ...] = (),
    ) -> Any:
        """Run ``fn`` with retries; turn failures into :class:`KubernetesAPIError`.

        ApiExceptions whose status is in ``passthrough`` are re-raised as they are.
        """
        from kubernetes.client.exceptions import ApiException

        attempts = 0

        def counted() -> Any:
            nonlocal attempts
            attempts += 1
            return fn()

        def on_retry(attempt: int, exc: BaseException, delay: float) -> None:
            verdict = _classify(exc)
            log.warning("%s failed (attempt %d), retrying in %.2fs: %s",
                        _where(verb, resource, namespace, name), attempt, delay,
                        verdict.why if verdict else exc)

        try:
            return retry_call(
                counted,
                classify=_classify,
                policy=self.retry,
                sleep=self._sleep,
                clock=self._clock,
                rng=self._rng,
                on_retry=on_retry,
            )
        except RetriesExhausted as exc:
            raise KubernetesAPIError(
                f"gave up trying to {_where(verb, resource, namespace, name)} after "
                f"{exc.attempts} attempt(s) in {exc.elapsed:.1f}s; last error: {exc.why}",
                status=int(getattr(exc.last, "status", 0) or 0),
                verb=verb,
                resource=resource,
                namespace=namespace,
                name=name,
                attempts=exc.attempts,
            ) from exc.last
        except ApiException as exc:
            if exc.status in passthrough:
                raise
            raise _api_error(
                exc, verb=verb, resource=resource, namespace=namespace, name=name, attempts=attempts
            ) from exc

    def _namespace_for(self, body: Mapping[str, Any]) -> str:
        declared = (body.get("metadata") or {}).get("namespace") if isinstance(body, Mapping) else None
        if declared and self._explicit_namespace and declared != self._explicit_namespace:
            raise SubmitError(
                f'the Job says namespace "{declared}" but the runner was told "{self._explicit_namespace}"; '
                "drop one of them",
                path=("metadata", "namespace"),
                step="submit",
            )
        return str(declared or self.namespace)

    def _as_dict(self, job: Any) -> dict[str, Any]:
        if isinstance(job, Mapping):
            return dict(job)
        if hasattr(job, "to_dict") and hasattr(job, "openapi_types"):
            return self.api_client.sanitize_for_serialization(job)
        raise SubmitError(f"expected a Job as a dict or V1Job, got {type(job).__name__}", step="submit")

    # ---- public API

    def prepare(self, job: Mapping[str, Any] | Any, run_id: str) -> dict[str, Any]:
        """The Job exactly as :meth:`submit` would send it (no API call).

        Args:
            job: a batch/v1 Job as a dict or ``kubernetes.client.V1Job``.
            run_id: the run id, verbatim.
        """
        body = self._as_dict(job)
        return prepare_job(body, run_id, namespace=self._namespace_for(body), flow_container=self.flow_container)

    def job_name(self, job: Mapping[str, Any] | Any, run_id: str) -> str:
        """The name :meth:`submit` gives ``job`` for ``run_id`` (no API call)."""
        return self.prepare(job, run_id)["metadata"]["name"]

    def submit(
        self,
        job: Mapping[str, Any] | Any,
        run_id: str,
        *,
        dry_run: DryRun | None = None,
    ) -> SubmitResult:
        """Create the run's Job unless it exists already.

        Args:
            job: a batch/v1 Job as a dict or ``kubernetes.client.V1Job``; not modified.
            run_id: the run id; it names the Job and is stored on it.
            dry_run: ``"server"`` to have the API server validate and admit the Job
                without storing it (``dryRun=All``); ``"client"`` to prepare and check
                it locally without any API call.

        Returns:
            A :class:`SubmitResult`; ``created`` is False when the run's Job was already
            there (including when an earlier attempt of this very call stored it).

        Raises:
            KubernetesAPIError: the server refused, a Job of that name belongs to another
                run, or transient failures outlasted the retries.
            SubmitError: the Job is not submittable.
        """
        if dry_run not in (None, "server", "client"):
            raise SubmitError(f"dry_run must be 'server', 'client' or None, not {dry_run!r}", step="submit")
        body = self.prepare(job, run_id)
        name = body["metadata"]["name"]
        namespace = body["metadata"]["namespace"]
        if dry_run == "client":
            return SubmitResult(name, namespace, None, False, "client", run_id, body)

        from kubernetes.client.exceptions import ApiException

        batch = self._batch()
        extra = {"dry_run": "All"} if dry_run == "server" else {}

        def create() -> Any:
            return batch.create_namespaced_job(
                namespace, body, _preload_content=False, _request_timeout=self.request_timeout, **extra
            )

        def read() -> Any:
            return batch.read_namespaced_job(
                name, namespace, _preload_content=False, _request_timeout=self.request_timeout
            )

        # The Job may be deleted between our 409 and our read; then creating again is right.
        for _ in range(3):
            try:
                created = _read_json(
                    self._call(create, verb="create", resource="jobs", namespace=namespace, name=name,
                               passthrough=(409,))
                )
            except ApiException as exc:
                status = _status_body(exc)
                if status.get("reason") not in (None, "AlreadyExists"):
                    raise _api_error(exc, verb="create", resource="jobs", namespace=namespace, name=name) from exc
                try:
                    existing = _read_json(
                        self._call(read, verb="get", resource="jobs", namespace=namespace, name=name,
                                   passthrough=(404,))
                    )
                except ApiException:
                    continue
                if not _belongs_to(existing, run_id):
                    annotation, label = _owner_run(existing)
                    owner = annotation or label
                    raise KubernetesAPIError(
                        f'Job "{name}" already exists in namespace "{namespace}" and belongs to '
                        + (f"run {owner!r}" if owner else "no compose run (no run-id label)")
                        + f", not to run {run_id!r}; refusing to treat it as this run's Job",
                        status=409,
                        reason="AlreadyExists",
                        verb="create",
                        resource="jobs",
                        namespace=namespace,
                        name=name,
                    ) from exc
                log.info('Job "%s" in "%s" already submitted for run %s', name, namespace, run_id)
                return SubmitResult(
                    name, namespace, (existing.get("metadata") or {}).get("uid"), False, dry_run, run_id, existing
                )
            uid = (created.get("metadata") or {}).get("uid")
            return SubmitResult(name, namespace, uid, dry_run is None, dry_run, run_id, created)
        raise KubernetesAPIError(
            f'Job "{name}" in namespace "{namespace}" kept appearing and disappearing; giving up',
            status=409, verb="create", resource="jobs", namespace=namespace, name=name,
        )

    def get(self, name: str, *, namespace: str | None = None) -> dict[str, Any] | None:
        """The Job as the server has it, or None if there is none."""
        from kubernetes.client.exceptions import ApiException

        ns = namespace or self.namespace
        batch = self._batch()
        try:
            return _read_json(
                self._call(
                    lambda: batch.read_namespaced_job(name, ns, _preload_content=False,
                                                      _request_timeout=self.request_timeout),
                    verb="get", resource="jobs", namespace=ns, name=name, passthrough=(404,),
                )
            )
        except ApiException:
            return None

    def find(self, run_id: str, *, namespace: str | None = None) -> list[str]:
        """Names of the Jobs in the namespace that belong to ``run_id``."""
        ns = namespace or self.namespace
        batch = self._batch()
        selector = f"{RUN_ID_LABEL}={run_id_label_value(run_id)}"
        listing = _read_json(
            self._call(
                lambda: batch.list_namespaced_job(ns, label_selector=selector, _preload_content=False,
                                                  _request_timeout=self.request_timeout),
                verb="list", resource="jobs", namespace=ns,
            )
        )
        return [
            item["metadata"]["name"]
            for item in listing.get("items") or []
            if _belongs_to(item, run_id)
        ]

    def cancel(self, name: str, *, namespace: str | None = None) -> bool:
        """Delete the Job and, before it goes, its pods (``propagationPolicy=Foreground``).

        Returns:
            True when the deletion was accepted, False when there was no such Job.
        """
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        ns = namespace or self.namespace
        batch = self._batch()
        options = client.V1DeleteOptions(propagation_policy="Foreground")
        try:
            _read_json(
                self._call(
                    lambda: batch.delete_namespaced_job(
                        name, ns, body=options, propagation_policy="Foreground",
                        _preload_content=False, _request_timeout=self.request_timeout,
                    ),
                    verb="delete", resource="jobs", namespace=ns, name=name, passthrough=(404,),
                )
            )
        except ApiException:
            return False
        return True

    def _list_job(self, batch: Any, ns: str, name: str) -> tuple[dict[str, Any] | None, str]:
        listing = _read_json(
            self._call(
                lambda: batch.list_namespaced_job(
                    ns, field_selector=f"metadata.name={name}", _preload_content=False,
                    _request_timeout=self.request_timeout,
                ),
                verb="list", resource="jobs", namespace=ns, name=name,
            )
        )
        items = listing.get("items") or []
        rv = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        return (items[0] if items else None), rv

    def _list_pods(self, ns: str, job_name: str) -> list[dict[str, Any]]:
        core = self._core()
        listing = _read_json(
            self._call(
                lambda: core.list_namespaced_pod(
                    ns, label_selector=f"job-name={job_name}", _preload_content=False,
                    _request_timeout=self.request_timeout,
                ),
                verb="list", resource="pods", namespace=ns,
            )
        )
        return [p for p in listing.get("items") or [] if isinstance(p, dict)]

    def _outcome(self, ns: str, job: Mapping[str, Any] | None, name: str, **base: Any) -> JobOutcome:
        """Fill an outcome with what the Job's pods say about the flow container."""
        try:
            pods = self._list_pods(ns, name)
        except SubmitError as exc:
            log.warning("could not list the pods of Job %s: %s", name, exc)
            pods = []
        uid = ((job or {}).get("metadata") or {}).get("uid")
        if uid:
            owned = [
                p for p in pods
                if any(o.get("uid") == uid for o in (p.get("metadata") or {}).get("ownerReferences") or [])
            ]
            pods = owned or pods
        pod = _pick_pod(pods, self.flow_container)
        if pod is None:
            return JobOutcome(**base)
        status = _flow_status(pod, self.flow_container)
        facts: dict[str, Any] = {
            "pod_phase": (pod.get("status") or {}).get("phase"),
            "pod_name": (pod.get("metadata") or {}).get("name"),
        }
        if status is None:
            present = [s.get("name") for s in (pod.get("status") or {}).get("containerStatuses") or []]
            note = (
                f'pod {facts["pod_name"]} has no status for container "{self.flow_container}"'
                + (f" (containers: {', '.join(map(str, present))})" if present else "")
            )
            base["message"] = f"{base['message']}; {note}" if base.get("message") else note
        else:
            term = _terminated(status)
            if term is not None:
                facts["exit_code"] = term.get("exitCode")
                facts["container_reason"] = term.get("reason")
            else:
                waiting = (status.get("state") or {}).get("waiting") or {}
                facts["container_reason"] = waiting.get("reason")
        return JobOutcome(**base, **facts)

    def wait(
        self,
        name: str,
        timeout: float,
        *,
        namespace: str | None = None,
        log_stream: TextIO | None = None,
    ) -> JobOutcome:
        """Watch the Job until it is Complete or Failed, or ``timeout`` seconds pass.

        The watch resumes from the last seen ``resourceVersion`` when the stream ends or
        drops, and re-lists when the server says that version is gone (410).

        Args:
            name: the Job's name (``SubmitResult.name``).
            timeout: seconds to wait at most (wall clock).
            namespace: defaults to the runner's.
            log_stream: if given, the flow container's logs are followed into it
                (``.write(str)``) while waiting; a log failure never fails the wait.

        Returns:
            A :class:`JobOutcome`. On timeout ``timed_out`` is True and ``reason`` is
            ``"Timeout"``; a Job deleted meanwhile gives ``reason="Deleted"``.

        Raises:
            KubernetesAPIError: the Job does not exist, or the API failed for good.
        """
        from kubernetes.client.exceptions import ApiException
        import urllib3.exceptions

        ns = namespace or self.namespace
        deadline = time.monotonic() + timeout
        batch = self._batch()
        job, rv = self._list_job(batch, ns, name)
        if job is None:
            raise KubernetesAPIError(
                f'Job "{name}" not found in namespace "{ns}"', status=404, reason="NotFound",
                verb="get", resource="jobs", namespace=ns, name=name,
            )
        follower = _LogFollower(self, ns, name, log_stream) if log_stream is not None else None
        if follower is not None:
            follower.start()
        watch = _JobWatch(job, rv)
        failures = 0
        try:
            while not watch.finished() and time.monotonic() < deadline:
                opened = time.monotonic()
                seen_before = watch.events
                try:
                    self._watch_once(batch, ns, name, watch, deadline)
                    problem: Retryable | None = None
                    if watch.events == seen_before and time.monotonic() - opened < 1.0:
                        # A watch that ends at once with nothing in it is a broken watch, not
                        # a quiet Job: back off instead of spinning.
                        problem = Retryable(why="the watch ended at once")
                    error: BaseException | None = None
                except ApiException as exc:
                    if exc.status == 410:
                        log.info("watch of Job %s expired at resourceVersion %s; re-listing", name, watch.rv)
                        listed, watch.rv = self._list_job(batch, ns, name)
                        watch.job, watch.deleted = (listed or watch.job), listed is None
                        continue
                    problem, error = _classify(exc), exc
                    if problem is None:
                        raise _api_error(exc, verb="watch", resource="jobs", namespace=ns, name=name) from exc
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    problem, error = Retryable(why=str(exc)), exc
                if problem is None or watch.finished() or time.monotonic() >= deadline:
                    failures = 0
                    continue
                # Only failures in a row count: a watch that worked for a while was healthy.
                healthy = watch.events > seen_before or time.monotonic() - opened >= 1.0
                failures = 1 if healthy else failures + 1
                self._watch_backoff(failures, problem, deadline, name, ns, error)
        finally:
            if follower is not None:
                # A finished container's log ends by itself: give it a moment to drain. A
                # timed-out or deleted Job's log would follow on forever: cut it now.
                follower.finish(grace=5.0 if watch.finished() and not watch.deleted else 0.0)

        if watch.deleted:
            return self._outcome(ns, watch.job, name, succeeded=False, reason="Deleted",
                                 message=f'Job "{name}" was deleted before it finished')
        cond = _terminal(watch.job)
        if cond is None:
            return self._outcome(ns, watch.job, name, succeeded=False, reason="Timeout", timed_out=True,
                                 message=f'Job "{name}" did not finish within {timeout:g}s')
        succeeded = cond.get("type") == "Complete"
        return self._outcome(
            ns, watch.job, name,
            succeeded=succeeded,
            reason=cond.get("reason") or ("Complete" if succeeded else "Failed"),
            message=cond.get("message") or None,
        )

    def _watch_once(self, batch: Any, ns: str, name: str, state: "_JobWatch", deadline: float) -> None:
        """One watch request from ``state.rv``, folding its events into ``state``."""
        from kubernetes import watch

        remaining = max(0.0, deadline - time.monotonic())
        connect = self.request_timeout[0] if isinstance(self.request_timeout, tuple) else self.request_timeout
        stream = watch.Watch().stream(
            batch.list_namespaced_job,
            ns,
            field_selector=f"metadata.name={name}",
            resource_version=state.rv,
            allow_watch_bookmarks=True,
            timeout_seconds=max(1, math.ceil(remaining)),
            # The read timeout ends a silent watch at the deadline, not at the next whole
            # second that the server-side timeoutSeconds would allow.
            _request_timeout=(connect, remaining + 0.05),
        )
        with closing(stream):
            for event in stream:
                if not isinstance(event, dict):  # the client yields None for a line it cannot parse
                    continue
                state.apply(event.get("type"), event.get("raw_object") or {})
                if state.finished() or time.monotonic() >= deadline:
                    return

    def _watch_backoff(self, failures: int, verdict: Retryable, deadline: float, name: str,
                       namespace: str, exc: BaseException | None) -> None:
        if failures >= self.retry.max_attempts:
            raise KubernetesAPIError(
                f'watching Job "{name}" failed {failures} times in a row; last error: {verdict.why}',
                status=int(getattr(exc, "status", 0) or 0), verb="watch", resource="jobs",
                namespace=namespace, name=name, attempts=failures,
            ) from exc
        delay = verdict.retry_after if verdict.retry_after is not None else backoff_delay(
            failures - 1, self.retry, self._rng)
        delay = min(delay, max(0.0, deadline - time.monotonic()))
        log.info("watch of Job %s dropped (%s); reconnecting in %.2fs", name, verdict.why, delay)
        self._sleep(delay)


class _JobWatch:
    """What the watch has learnt so far: the Job, the resourceVersion, how many events."""

    def __init__(self, job: dict[str, Any], rv: str) -> None:
        self.job = job
        self.rv = rv
        self.events = 0
        self.deleted = False

    def apply(self, kind: str | None, obj: Mapping[str, Any]) -> None:
        self.events += 1
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            self.rv = str(rv)
        if kind == "DELETED":
            self.deleted = True
        elif kind in ("ADDED", "MODIFIED"):
            self.job = dict(obj)

    def finished(self) -> bool:
        return self.deleted or _terminal(self.job) is not None


class _LogFollower(threading.Thread):
    """Follows the flow container's log of each of a Job's pods into a text stream."""

    def __init__(self, runner: KubernetesRunner, namespace: str, job_name: str, out: TextIO) -> None:
        super().__init__(name=f"logs-{job_name}", daemon=True)
        self.runner = runner
        self.namespace = namespace
        self.job_name = job_name
        self.out = out
        self.done = threading.Event()
        self.abort = threading.Event()
        self.followed: list[str] = []
        self.error: BaseException | None = None
        self._resp: Any = None

    def run(self) -> None:
        try:
            while not self.abort.is_set():
                finished_before = self.done.is_set()
                self._pass()
                if finished_before or self.abort.is_set():
                    return
                self.done.wait(self.runner._log_poll)
        except Exception as exc:  # logs are a courtesy: never let them break the wait
            self.error = exc
            log.warning("following the logs of Job %s stopped: %s", self.job_name, exc)

    def _pass(self) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            pods = self.runner._list_pods(self.namespace, self.job_name)
        except SubmitError as exc:
            log.info("listing pods of Job %s for logs failed: %s", self.job_name, exc)
            return
        pods.sort(key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp") or ""))
        for pod in pods:
            pod_name = (pod.get("metadata") or {}).get("name")
            if not pod_name or pod_name in self.followed:
                continue
            if not _flow_started(pod, self.runner.flow_container):
                continue
            if self.abort.is_set():
                return
            try:
                self._follow(pod_name)
            except ApiException as exc:
                # 400 "waiting to start" and friends: look again on the next pass.
                log.info("logs of pod %s not available yet: %s", pod_name, exc.status)
                continue
            self.followed.append(pod_name)

    def _follow(self, pod_name: str) -> None:
        core = self.runner._core()
        connect = self.runner.request_timeout
        connect = connect[0] if isinstance(connect, tuple) else connect
        resp = core.read_namespaced_pod_log(
            pod_name, self.namespace, container=self.runner.flow_container, follow=True,
            _preload_content=False, _request_timeout=(connect, None),
        )
        self._resp = resp
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            for chunk in resp.stream(4096, decode_content=True):
                text = decoder.decode(chunk)
                if text:
                    self.out.write(text)
            tail = decoder.decode(b"", final=True)
            if tail:
                self.out.write(tail)
        finally:
            self._resp = None
            resp.release_conn()
            flush = getattr(self.out, "flush", None)
            if flush is not None:
                flush()

    def finish(self, grace: float) -> None:
        """Let the current log run to its end for up to ``grace`` seconds, then cut it."""
        self.done.set()
        self.join(grace)
        if self.is_alive():
            self.abort.set()
            resp = self._resp
            if resp is not None:
                try:
                    resp.shutdown()
                except Exception:  # the socket may already be gone
                    pass
            self.join(1.0)
