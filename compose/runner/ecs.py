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
  24 hours of memory; and before calling RunTask the runner looks for a task already started
  for that run (``startedBy`` plus the run-id tag), so a restarted runner finds the task it
  started before even where the token is not honoured (moto ignores it).
* :meth:`EcsRunner.wait` polls until the task is STOPPED and reports the stop code, the
  stopped reason and each container's exit code; the run succeeded when every essential
  container exited 0. :meth:`EcsRunner.cancel` stops the task.

Throttling (``ThrottlingException``), ECS's "Too many concurrent attempts to create a new
revision of the specified family", 5xx answers and dropped connections are retried with
exponential backoff and full jitter, bounded in attempts and time (:mod:`compose.runner._retry`).
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

import copy
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from compose.constants import RUN_ID_LABEL, SPEC_HASH_TAG
from compose.errors import SubmitError
from compose.runner._canonical import spec_hash
from compose.runner._retry import RetriesExhausted, Retryable, RetryPolicy, parse_retry_after, retry_call

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

T = TypeVar("T")

#: Retry bounds used unless a runner is given others: registration in a busy family can need
#: several rounds before ECS lets it through.
DEFAULT_RETRY = RetryPolicy(max_attempts=8, max_elapsed=120.0, base_delay=0.5, max_delay=15.0)

#: ECS quota: tags per resource.
MAX_TAGS = 50

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

#: What a RunTask failure reason means, for the message.
_FAILURE_HINTS = {
    "RESOURCE:CPU": "no container instance has enough CPU left",
    "RESOURCE:MEMORY": "no container instance has enough memory left",
    "RESOURCE:PORTS": "the ports the task needs are taken on every container instance",
    "RESOURCE:GPU": "no container instance has enough GPUs left",
    "RESOURCE:ENI": "no elastic network interface could be attached (awsvpc)",
    "AGENT": "the ECS agent of the container instance is disconnected",
    "ATTRIBUTE": "no container instance has an attribute the task definition requires",
    "MISSING": "the container instance was not found",
    "INACTIVE": "the container instance is not ACTIVE",
}

_STARTED_BY_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
_TOKEN_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
# ECS tag values: letters, digits, spaces and + - = . _ : / @, up to 256 characters.
_TAG_VALUE_OK = re.compile(r"^[\w\s+\-=.:/@]{0,256}$", re.UNICODE)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def client_token(run_id: str) -> str:
    """The RunTask ``clientToken`` for a run: the run id itself when it is 1 to 64 printable
    ASCII characters, otherwise ``sha256-`` and 57 hex digits of its SHA-256.

    >>> client_token("9f1c2b")
    '9f1c2b'
    >>> t = client_token("x" * 65); len(t), t[:7]
    (64, 'sha256-')
    """
    if _TOKEN_RE.match(run_id):
        return run_id
    return "sha256-" + _sha(run_id)[:57]


def started_by(run_id: str) -> str:
    """The RunTask ``startedBy`` for a run (ECS allows 36 of ``[A-Za-z0-9_-]``): the run id
    when it fits, else ``compose-`` and 28 hex digits of its SHA-256.

    >>> started_by("6b1e4a52-8a60-4a2f-9a0e-0d9d5f1b3c77")
    '6b1e4a52-8a60-4a2f-9a0e-0d9d5f1b3c77'
    >>> started_by("flow run #7")
    'compose-0f3008fb262dd243fde52271134d'
    """
    if _STARTED_BY_RE.match(run_id):
        return run_id
    return "compose-" + _sha(run_id)[:28]


def run_id_tag_value(run_id: str) -> str:
    """The value of the run-id tag (:data:`compose.constants.RUN_ID_LABEL`) on a task.

    The run id itself when ECS accepts it as a tag value; otherwise the run id with the
    characters ECS refuses replaced by ``_``, cut to 239 characters, then ``-`` and 16 hex
    digits of the SHA-256 of the original, so different run ids keep different values.

    >>> run_id_tag_value("run-1")
    'run-1'
    >>> run_id_tag_value("a#b")[:4]
    'a_b-'
    """
    if _TAG_VALUE_OK.match(run_id):
        return run_id
    cleaned = re.sub(r"[^\w\s+\-=.:/@]", "_", run_id)[:239]
    return f"{cleaned}-{_sha(run_id)[:16]}"


class EcsApiError(SubmitError):
    """An ECS call failed; a :class:`~compose.errors.SubmitError` with the details kept apart.

    Attributes:
        operation: the ECS operation (``"RunTask"``).
        code: ECS's error code (``"ClientException"``), or the botocore exception's name.
        transient: whether retrying could help (throttling, 5xx, connection trouble).
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
    ) -> None:
        super().__init__(message, step=step)
        self.operation = operation
        self.code = code
        self.transient = transient
        self.retry_after = retry_after


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
        created: True when this call started the task, False when it found one already
            started for the run (a retry, or a restarted runner).
    """

    task_arn: str
    cluster: str | None
    run_id: str
    task_definition_arn: str
    client_token: str
    started_by: str
    created: bool

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


def _cluster_of_task(task_arn: str) -> str | None:
    # New-format task ARNs name their cluster: arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID.
    resource = task_arn.split(":", 5)[-1] if task_arn.startswith("arn:") else ""
    parts = resource.split("/")
    if len(parts) == 3 and parts[0] == "task":
        return parts[1]
    return None


def _revision_of(td_arn: str) -> int:
    try:
        return int(td_arn.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return -1


def _family_of(td_arn: str) -> str:
    return td_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def _tags_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t.get("key")): str(t.get("value", "")) for t in tags or () if isinstance(t, Mapping)}


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _merge_named(base: list[Any], extra: Iterable[Any], merge: Callable[[Any, Any], Any] | None = None) -> list[Any]:
    out = [copy.deepcopy(item) for item in base]
    index = {item.get("name"): i for i, item in enumerate(out) if isinstance(item, Mapping)}
    for item in extra:
        name = item.get("name") if isinstance(item, Mapping) else None
        if name is not None and name in index:
            i = index[name]
            out[i] = merge(out[i], item) if merge else copy.deepcopy(item)
        else:
            index[name] = len(out)
            out.append(copy.deepcopy(item))
    return out


def merge_overrides(base: Mapping[str, Any] | None, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Lay per-run RunTask ``overrides`` over the composed ones.

    ``containerOverrides`` merge by container ``name``, and inside one container
    ``environment`` merges by variable ``name``; every other field of ``extra`` replaces the
    one in ``base``. Neither input is modified.

    >>> merge_overrides({"containerOverrides": [{"name": "flow", "environment": [
    ...     {"name": "A", "value": "1"}]}]}, {"containerOverrides": [{"name": "flow",
    ...     "environment": [{"name": "RUN", "value": "7"}]}], "memory": "2048"})
    {'containerOverrides': [{'name': 'flow', 'environment': [{'name': 'A', 'value': '1'}, {'name': 'RUN', 'value': '7'}]}], 'memory': '2048'}
    """

    def merge_container(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        merged = {**copy.deepcopy(dict(old)), **copy.deepcopy(dict(new))}
        if "environment" in old and "environment" in new:
            merged["environment"] = _merge_named(list(old["environment"]), new["environment"])
        return merged

    out = copy.deepcopy(dict(base or {}))
    for key, value in (extra or {}).items():
        if key == "containerOverrides" and isinstance(out.get(key), list):
            out[key] = _merge_named(out[key], value, merge_container)
        else:
            out[key] = copy.deepcopy(value)
    return out


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
        return EcsApiError(
            message, operation=operation, code=code, transient=transient, retry_after=retry_after, step=step
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


class EcsRunner:
    """Registers task definitions when they change, runs one task per run, waits, cancels.

    Args:
        client: a boto3 ECS client to use (tests pass one with a Stubber or an endpoint).
            When None, one is made from ``region``, ``profile`` and ``endpoint_url``.
        region: AWS region for the client made here.
        profile: AWS profile (shared config) for the client made here.
        endpoint_url: ECS endpoint for the client made here (a moto server, a VPC endpoint).
        cluster: cluster used when a run request or a call names none (None: ECS's
            ``default`` cluster).
        retry: retry bounds for transient failures.
        sleep: called with seconds to wait (backoff and polling); injectable for tests.
        clock: monotonic seconds; injectable for tests.
        rng: uniform draws in ``[0, 1)`` for the backoff jitter.
        cache_ttl: seconds for which this runner trusts a (family, hash) -> revision it
            registered or found, without asking ECS again; 0 asks every time. Another
            process deregistering that revision is noticed at the latest after this long.
        search_depth: how many of the newest ACTIVE revisions may be checked for the hash
            when the latest one carries another (1 checks the latest only). Looking a few
            deep stops two profiles that share a family from registering a revision on
            every alternation.

    Raises:
        SubmitError: the client cannot be made (unknown profile, no region).
    """

    def __init__(
        self,
        client: Any = None,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        cluster: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] | None = None,
        cache_ttl: float = 30.0,
        search_depth: int = 5,
    ) -> None:
        self.client = client if client is not None else _make_client(region, profile, endpoint_url)
        self.cluster = cluster
        self.retry = retry
        self._sleep = sleep
        self._clock = clock
        if rng is None:
            import random

            rng = random.random
        self._rng = rng
        self.cache_ttl = cache_ttl
        self.search_depth = max(1, int(search_depth))
        self._lock = threading.Lock()
        self._family_locks: dict[str, threading.Lock] = {}
        self._revisions: dict[tuple[str, str], tuple[str, float]] = {}
        self._essentials: dict[str, dict[str, bool]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, operation: str, step: str, context: str = "", **params: Any) -> dict[str, Any]:
        """One ECS call; botocore failures come out as :class:`EcsApiError`."""
        method = getattr(self.client, _snake(operation))
        try:
            return method(**params)
        except AssertionError:
            raise  # botocore's Stubber reports unexpected calls this way; tests must see it
        except Exception as exc:
            error = _translate(exc, operation, step, context)
            if error is None:
                raise
            raise error from exc

    def _retrying(self, fn: Callable[[], T], step: str) -> T:
        try:
            return retry_call(
                fn, classify=_classify, policy=self.retry, sleep=self._sleep, clock=self._clock, rng=self._rng
            )
        except RetriesExhausted as exc:
            last = exc.last
            gave_up = f"(gave up after {exc.attempts} attempts in {exc.elapsed:.1f}s)"
            if isinstance(last, EcsApiError):
                raise EcsApiError(
                    f"{last.message} {gave_up}", operation=last.operation, code=last.code, transient=True, step=step
                ) from last
            raise SubmitError(f"{last} {gave_up}", step=step) from last

    # -- task definitions -------------------------------------------------------------------

    def register_if_needed(self, td: Mapping[str, Any]) -> tuple[str, bool]:
        """Reuse the family's revision that has this content, or register one.

        Args:
            td: the composed ``RegisterTaskDefinition`` input; not modified. Its ``tags`` are
                kept on a new revision, with the spec-hash tag added.

        Returns:
            ``(task_definition_arn, registered)``: ``registered`` is True when this call
            created the revision.

        Raises:
            SubmitError: the input has no family, has too many tags, or ECS refused or kept
                failing.
        """
        if not isinstance(td, Mapping):
            raise SubmitError("the task definition must be a mapping", step="register")
        family = td.get("family")
        if not isinstance(family, str) or not family:
            raise SubmitError("the task definition has no family", path=("family",), step="register")
        digest = spec_hash(td)
        tags = {k: v for k, v in _tags_dict(td.get("tags")).items() if k != SPEC_HASH_TAG}
        tags[SPEC_HASH_TAG] = digest
        if len(tags) > MAX_TAGS:
            raise SubmitError(
                f"the task definition has {len(tags) - 1} tags; ECS allows {MAX_TAGS} including "
                f"compose's {SPEC_HASH_TAG}",
                path=("tags",),
                step="register",
            )
        cached = self._cached_revision(family, digest)
        if cached is not None:
            return cached, False
        params = {**copy.deepcopy(dict(td)), "tags": _tag_list(tags)}

        def attempt() -> tuple[str, bool]:
            found = self.find_revision(family, digest)
            if found is not None:
                return found, False
            answer = self._call("RegisterTaskDefinition", "register", f"family {family!r}", **params)
            return answer["taskDefinition"]["taskDefinitionArn"], True

        with self._family_lock(family):
            arn, registered = self._retrying(attempt, "register")
        self._remember(family, digest, arn)
        return arn, registered

    def find_revision(self, family: str, digest: str) -> str | None:
        """The newest ACTIVE revision of ``family`` whose spec-hash tag is ``digest``.

        Looks at the latest ACTIVE revision first (one DescribeTaskDefinition), then, when it
        carries another hash, at up to ``search_depth`` newest ACTIVE revisions. Makes no
        retries of its own.

        Returns:
            The revision's ARN, or None.
        """
        context = f"family {family!r}"
        try:
            latest = self._call(
                "DescribeTaskDefinition", "register", context, taskDefinition=family, include=["TAGS"]
            )
        except EcsApiError as exc:
            if exc.code == "ClientException" and "unable to describe" in exc.message.lower():
                return None  # the family has no ACTIVE revision (or does not exist)
            raise
        checked: set[str] = set()
        definition = latest.get("taskDefinition", {})
        if definition.get("status") == "ACTIVE":
            arn = definition["taskDefinitionArn"]
            if _tags_dict(latest.get("tags")).get(SPEC_HASH_TAG) == digest:
                return arn
            checked.add(arn)
            if self.search_depth <= 1:
                return None
        # Either the search goes deeper, or the backend called an INACTIVE revision "latest"
        # (moto does): list ACTIVE revisions, newest first, and check a few.
        for arn in self._active_revisions(family)[: self.search_depth]:
            if arn in checked:
                continue
            answer = self._call("DescribeTaskDefinition", "register", context, taskDefinition=arn, include=["TAGS"])
            if answer.get("taskDefinition", {}).get("status", "ACTIVE") != "ACTIVE":
                continue
            if _tags_dict(answer.get("tags")).get(SPEC_HASH_TAG) == digest:
                return arn
        return None

    def _active_revisions(self, family: str) -> list[str]:
        found: list[str] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"familyPrefix": family, "status": "ACTIVE", "sort": "DESC"}
            if token:
                params["nextToken"] = token
            page = self._call("ListTaskDefinitions", "register", f"family {family!r}", **params)
            # familyPrefix is the exact family on ECS; filter anyway, a backend may match prefixes.
            found.extend(a for a in page.get("taskDefinitionArns", []) if _family_of(a) == family)
            token = page.get("nextToken")
            # ECS honours sort=DESC, so the first page holds the newest; a backend that does not
            # sort (moto) does not page either. Enough once a page covers the search depth.
            if not token or len(found) >= self.search_depth:
                break
        return sorted(set(found), key=_revision_of, reverse=True)

    def _family_lock(self, family: str) -> threading.Lock:
        # Two threads of one process registering one family would only earn each other
        # "Too many concurrent attempts" and a duplicate revision.
        with self._lock:
            return self._family_locks.setdefault(family, threading.Lock())

    def _cached_revision(self, family: str, digest: str) -> str | None:
        if self.cache_ttl <= 0:
            return None
        with self._lock:
            hit = self._revisions.get((family, digest))
        if hit is None or self._clock() - hit[1] > self.cache_ttl:
            return None
        return hit[0]

    def _remember(self, family: str, digest: str, arn: str) -> None:
        if self.cache_ttl > 0:
            with self._lock:
                self._revisions[(family, digest)] = (arn, self._clock())

    def forget_revisions(self) -> None:
        """Drop the cached (family, hash) -> revision answers; the next call asks ECS."""
        with self._lock:
            self._revisions.clear()

    # -- tasks ------------------------------------------------------------------------------

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
        return mine[0]["taskArn"]

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
        if len(merged_tags) > MAX_TAGS:
            raise SubmitError(f"the task would carry {len(merged_tags)} tags; ECS allows {MAX_TAGS}", step="run")
        if overrides:
            request["overrides"] = merge_overrides(request.get("overrides"), overrides)
        token = client_token(run_id)
        request.update(
            taskDefinition=td_arn, clientToken=token, startedBy=started_by(run_id), tags=_tag_list(merged_tags)
        )
        context = f"cluster {cluster or 'default'!r}, run {run_id!r}"

        def result(arn: str, created: bool) -> RunResult:
            return RunResult(arn, cluster, run_id, td_arn, token, request["startedBy"], created)

        def attempt() -> RunResult:
            existing = self._find_task(run_id, cluster)
            if existing is not None:
                return result(existing, False)
            try:
                answer = self._call("RunTask", "run", context, **request)
            except EcsApiError as exc:
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

        return self._retrying(attempt, "run")

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


def _failures_message(failures: list[Mapping[str, Any]], td_arn: str, context: str) -> str:
    if not failures:
        return f"RunTask started no task and reported no failure ({context}, task definition {td_arn})"
    parts = []
    for f in failures:
        reason = str(f.get("reason") or "unknown reason")
        text = reason
        hint = _FAILURE_HINTS.get(reason)
        if hint:
            text += f" ({hint})"
        if f.get("detail"):
            text += f": {f['detail']}"
        if f.get("arn"):
            text += f" [{f['arn']}]"
        parts.append(text)
    return f"RunTask started no task ({context}, task definition {td_arn}): " + "; ".join(parts)


_SNAKE_RE = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(operation: str) -> str:
    return _SNAKE_RE.sub("_", operation).lower()


def _make_client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    try:
        import boto3  # lazy: ~150 ms, and the build path must not pay it
        from botocore.config import Config

        session = boto3.session.Session(profile_name=profile, region_name=region)
        # botocore retries a little itself; the runner's own loop does the rest, with lookups.
        config = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=10, read_timeout=60)
        return session.client("ecs", endpoint_url=endpoint_url, config=config)
    except Exception as exc:
        error = _translate(exc, "client setup", "setup", f"profile {profile!r}" if profile else "")
        if error is None:
            raise
        raise error from exc
