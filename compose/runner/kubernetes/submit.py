"""Submitting a run's Job exactly once (409 resolved by the run id), finding and cancelling it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from compose.constants import RUN_ID_LABEL
from compose.errors import SubmitError
from compose.runner._common import SUBMISSION_KEY, new_nonce

from .calls import _Calls
from .errors import KubernetesAPIError, _api_error, _read_json, _status_body
from .naming import _belongs_to, _owner_run, prepare_job, run_id_label_value
from .results import DryRun, SubmitResult

log = logging.getLogger("compose.runner.kubernetes")


class _Submission(_Calls):
    """Mixin: :meth:`prepare`, :meth:`submit`, :meth:`get`, :meth:`find`, :meth:`cancel`."""

    flow_container: str
    request_timeout: Any

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
        nonce = new_nonce()
        if dry_run is None:
            meta = body["metadata"]
            meta["annotations"] = {**(meta.get("annotations") or {}), SUBMISSION_KEY: nonce}

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
                uid = (existing.get("metadata") or {}).get("uid")
                if dry_run is None and ((existing.get("metadata") or {}).get("annotations") or {}).get(
                        SUBMISSION_KEY) == nonce:
                    # Our own create was stored; its answer was lost and the retry met 409.
                    log.info('Job "%s" in "%s" created for run %s (the answer was lost)', name, namespace, run_id)
                    return SubmitResult(name, namespace, uid, True, None, run_id, existing, recovered=True)
                log.info('Job "%s" in "%s" already submitted for run %s', name, namespace, run_id)
                return SubmitResult(name, namespace, uid, False, dry_run, run_id, existing)
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

    def list_jobs(self, label_selector: str, *, namespace: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        """The Jobs in the namespace that match ``label_selector``, read in pages of 500.

        Args:
            label_selector: a Kubernetes label selector (``prefect.io/work-pool-id=...``).
            namespace: defaults to the runner's.
            limit: at most this many Jobs are returned (the newest pages are not read past it).
        """
        ns = namespace or self.namespace
        batch = self._batch()
        jobs: list[dict[str, Any]] = []
        token: str | None = None
        while len(jobs) < limit:
            page_token = token
            listing = _read_json(
                self._call(
                    lambda: batch.list_namespaced_job(
                        ns, label_selector=label_selector, limit=500, _preload_content=False,
                        _request_timeout=self.request_timeout, **({"_continue": page_token} if page_token else {}),
                    ),
                    verb="list", resource="jobs", namespace=ns,
                )
            )
            jobs.extend(item for item in listing.get("items") or [] if isinstance(item, dict))
            token = (listing.get("metadata") or {}).get("continue") or None
            if not token:
                break
        return jobs[:limit]

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
