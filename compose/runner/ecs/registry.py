"""Task definitions registered only when their content changed (the spec-hash tag)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from compose.constants import SPEC_HASH_TAG
from compose.errors import SubmitError
from compose.runner._canonical import spec_hash
from compose.runner._common import RunnerStopped

from .calls import _Calls
from .errors import EcsApiError
from .naming import _family_of, _revision_of, _tag_list, _tags_dict
from .request import MAX_TAGS


class _Flight:
    """One registration in progress, which other threads wanting the same revision wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.arn: str | None = None
        self.error: BaseException | None = None


class _TaskDefinitions(_Calls):
    """Mixin: :meth:`register_if_needed` and the revision lookups behind it."""

    cache_ttl: float
    search_depth: int
    _lock: threading.Lock
    _family_locks: dict[str, threading.Lock]
    _revisions: dict[tuple[str, str], tuple[str, float]]
    _inflight: dict[tuple[str, str], _Flight]

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

        # One registration per (family, content) at a time in this runner: threads that want
        # the same revision wait for the first one's answer (or its failure) instead of each
        # spending a retry budget of their own, one after the other, on the family lock.
        key = (family, digest)
        with self._lock:
            flight = self._inflight.get(key)
            leader = flight is None
            if leader:
                flight = self._inflight[key] = _Flight()
        assert flight is not None
        if not leader:
            return self._follow(flight, family), False
        try:
            with self._family_lock(family):
                arn, registered = self._retrying(attempt, "register")
            flight.arn = arn
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            flight.done.set()
        self._remember(family, digest, arn)
        return arn, registered

    def _follow(self, flight: "_Flight", family: str) -> str:
        while not flight.done.wait(0.1):
            if self._stop.is_set():
                raise RunnerStopped(f"the runner was stopped while family {family!r} was being registered; "
                                    "nothing was started", sent=False, step="register")
        error = flight.error
        if error is None:
            assert flight.arn is not None
            return flight.arn
        if isinstance(error, EcsApiError):
            raise EcsApiError(error.message, operation=error.operation, code=error.code, transient=error.transient,
                              step="register", attempts=error.attempts) from error
        if isinstance(error, RunnerStopped):
            raise RunnerStopped(error.message, sent=False, attempts=0, step="register") from error
        if isinstance(error, SubmitError):
            raise SubmitError(error.message, step="register") from error
        raise SubmitError(f"registering family {family!r} failed: {error}", step="register") from error

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
