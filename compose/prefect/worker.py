"""Prefect worker types ``compose-kubernetes`` and ``compose-ecs`` (Prefect >= 3.9).

Prefect imports this module through the ``prefect.collections`` entry point; defining the
worker classes registers their types. The composer, the Kubernetes client and boto3 load on
the first flow run, not here.

Per flow run (``BaseWorker`` calls these):

1. ``resolve_for_flow_run`` fills the job configuration from the pool's template and the job
   variables; :meth:`ComposeJobConfiguration.prepare_for_flow_run` adds Prefect's environment
   (the settings part computed once per process, allowlisted: :mod:`compose.prefect.settings`)
   and labels, then builds the run's spec with compose (:mod:`compose.prefect.mapping`). A
   compose error is kept, not raised, so the run can be marked CRASHED with compose's message.
2. :meth:`run` submits the spec through compose's runner in a thread: the Job is named after
   the flow run id and a second hand-out of the same run finds it ("already submitted") instead
   of creating another; on ECS a task definition is registered only when it changed and
   RunTask carries a ``clientToken`` from the run id. ``infrastructure_pid`` is
   ``namespace:job-name`` (Kubernetes) or the task ARN (ECS). With the ``wait`` job variable
   the worker also waits for the end and reports a failed Job or task as CRASHED.
   A run handed out again after its Job or task *finished* (rescheduled after an eviction,
   retried from the UI) gets a new attempt: ``flow-run-<id>-2`` and so on, found the same way
   (one Job per attempt, however many hand-outs); on ECS the run id ``<id>#2``.
3. :meth:`kill_infrastructure` (cancellation) deletes the Job (pods first) or stops the task.

Without ``wait``, the worker's observer (:mod:`compose.prefect.observer`, started with the
worker) marks a run CRASHED when its current Job fails or its task stops with an essential
container not exiting 0 while the run is still PENDING or RUNNING.
"""

from __future__ import annotations

import abc
import os
import threading
from typing import Any, ClassVar, Optional

import anyio
import anyio.to_thread
import prefect
from pydantic import Field, PrivateAttr

from prefect.exceptions import InfrastructureNotFound
from prefect.workers.base import BaseJobConfiguration, BaseWorker, BaseWorkerResult

from compose.errors import ComposeError, SpecError

from . import mapping
from .observer import Failure, Observer, observe_interval
from .settings import check_spec_repo, composer_for, settings_environment

__all__ = [
    "ComposeJobConfiguration",
    "ComposeKubernetesJobConfiguration",
    "ComposeEcsJobConfiguration",
    "ComposeWorkerResult",
    "ComposeKubernetesWorker",
    "ComposeEcsWorker",
    "SPEC_REPO_VARIABLE",
]

#: The spec repo ``prefect work-pool create --type compose-...`` uses for its default template.
SPEC_REPO_VARIABLE = "COMPOSE_PREFECT_SPEC_REPO"

#: Attempts of one flow run (a new one each time the run is handed out after the last finished).
MAX_ATTEMPTS = 100

_POOL_ID_LABEL = "prefect.io/work-pool-id"
_FLOW_RUN_LABEL = "prefect.io/flow-run-id"


def _check_version() -> None:
    parts = prefect.__version__.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (ValueError, IndexError):  # a development build: let it try
        return
    if (major, minor) < (3, 9):
        raise ImportError(
            f"compose's Prefect workers need prefect>=3.9, found {prefect.__version__}: "
            "pip install 'compose-jobs[prefect]'"
        )


_check_version()


class ComposeJobConfiguration(BaseJobConfiguration):
    """What the worker knows about one flow run: the pool's worker variables and the spec.

    The spec repo's parameters are not fields here: they are read per source (pool,
    deployment, flow run) so compose can merge them deeply (:func:`mapping.metadata_layers`).
    """

    target: ClassVar[str] = "kubernetes"

    spec_repo: Optional[str] = Field(default=None, description="Directory holding compose.yaml, on the worker's disk.")
    # Any, not dict: a wrong type is reported by compose (naming the layer), not by pydantic.
    metadata: Any = Field(default=None, description="More run metadata for compose (read per layer).")
    wait: bool = Field(default=False, description="Wait for the end; report a failed Job or task as CRASHED.")

    _spec: Any = PrivateAttr(default=None)
    _error: Optional[ComposeError] = PrivateAttr(default=None)
    _layers: list[tuple[str, dict[str, Any]]] = PrivateAttr(default_factory=list)
    _context: Any = PrivateAttr(default=None)
    _composer: Any = PrivateAttr(default=None)

    @classmethod
    def _base_environment(cls) -> dict[str, str]:
        # Prefect's version serialises every setting on every run (~20 ms); this one is
        # computed once per process and allowlisted.
        return settings_environment()

    @property
    def spec(self) -> Any:
        """The built spec (a KubernetesSpec / EcsSpec with Prefect's additions), or None."""
        return self._spec

    @property
    def compose_error(self) -> Optional[ComposeError]:
        """Why compose could not build the run's spec, or None."""
        return self._error

    @property
    def layers(self) -> list[tuple[str, dict[str, Any]]]:
        """The metadata layers the spec was built from, lowest first."""
        return list(self._layers)

    def prepare_for_flow_run(
        self,
        flow_run: Any,
        deployment: Any = None,
        flow: Any = None,
        work_pool: Any = None,
        worker_name: Optional[str] = None,
        worker_id: Any = None,
    ) -> None:
        command = self.command  # compose keeps the spec repo's command unless one is set
        super().prepare_for_flow_run(flow_run, deployment, flow, work_pool, worker_name, worker_id)
        self.command = command
        self._spec = None
        self._error = None
        try:
            trusted = mapping.pool_defaults(work_pool).get("spec_repo") if work_pool is not None else None
            root = check_spec_repo(self.spec_repo or "", trusted=trusted)
            composer = composer_for(root)
            self._composer = composer
            self._layers = mapping.metadata_layers(composer.spec.parameters, flow_run, deployment, flow, work_pool,
                                                   reads=composer.spec.known_keys())
            self._context = mapping.flow_run_context(flow_run, flow, deployment)
            built = composer.build(self._layers, target=self.target, context=self._context)
            self._spec = self._finish(built, composer)
        except ComposeError as exc:
            self._error = exc

    def explain(self) -> Any:
        """compose's :class:`~compose.composer.Explanation` of this run's build (each
        parameter's source is a named layer: ``deployment 'nightly'``, ``flow run 'x'``)."""
        if self._composer is None:
            raise SpecError("the configuration was not prepared for a flow run", step="prefect")
        return self._composer.explain(self._layers, target=self.target, context=self._context)

    def _finish(self, spec: Any, composer: Any) -> Any:  # pragma: no cover - per target
        raise NotImplementedError


class ComposeKubernetesJobConfiguration(ComposeJobConfiguration):
    """Job configuration of the ``compose-kubernetes`` worker."""

    target: ClassVar[str] = "kubernetes"

    namespace: Optional[str] = Field(default=None, description="Namespace of the Jobs.")
    kubeconfig: Optional[str] = Field(default=None, description="Path of a kubeconfig on the worker's disk.")
    kube_context: Optional[str] = Field(default=None, description="Context in the kubeconfig.")

    def _finish(self, spec: Any, composer: Any) -> Any:
        from dataclasses import replace

        others = [o for o in spec.objects if o is not spec.job]
        if others:
            names = ", ".join(f"{o.get('kind')} {(o.get('metadata') or {}).get('name')}" for o in others)
            raise SpecError(f"the spec has objects besides the Job ({names}); the worker creates only the Job",
                            file=composer.spec.file, step="prefect")
        job = mapping.apply_to_job(
            spec.job,
            flow_container=spec.flow_container,
            env=self.env,
            labels=self.labels,
            command=self.command,
            version=composer.spec.targets["kubernetes"].version,
            file=composer.spec.file,
        )
        return replace(spec, job=job, objects=[job])


class ComposeEcsJobConfiguration(ComposeJobConfiguration):
    """Job configuration of the ``compose-ecs`` worker."""

    target: ClassVar[str] = "ecs"

    ecs_region: Optional[str] = Field(default=None, description="Region of the ECS API.")
    ecs_endpoint_url: Optional[str] = Field(default=None, description="ECS API endpoint.")

    def _finish(self, spec: Any, composer: Any) -> Any:
        return mapping.apply_to_ecs(spec, env=self.env, command=self.command, file=composer.spec.file)


class ComposeWorkerResult(BaseWorkerResult):
    """``identifier`` is the infrastructure pid; ``status_code`` 0 unless a waited-for run failed."""


def _default_template(target: str) -> dict[str, Any]:
    from .template import TARGET_VARIABLES, WORKER_VARIABLES, base_job_template

    root = os.environ.get(SPEC_REPO_VARIABLE)
    if root:
        return base_job_template(root, target)
    worker = {**WORKER_VARIABLES, **TARGET_VARIABLES[target]}
    return {
        "job_configuration": {name: "{{ " + name + " }}" for name in worker},
        "variables": {"type": "object", "properties": {k: dict(v) for k, v in worker.items()}},
    }


class _ComposeWorker(BaseWorker[Any, Any, ComposeWorkerResult], abc.ABC):
    # abc.ABC among the bases: Prefect's registry skips this shared base (it has no type).
    target: ClassVar[str] = "kubernetes"
    _documentation_url = "https://github.com/compose-jobs/compose#use-with-prefect"
    _logo_url = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._runners: dict[tuple[Any, ...], Any] = {}
        # Runs are submitted from several threads; one runner per connection, made once (an
        # EcsRunner's revision cache and family locks only work when shared).
        self._runners_lock = threading.Lock()
        self._observer: Optional[Observer] = None

    @property
    def observer(self) -> Optional[Observer]:
        """The observer marking runs with failed Jobs or tasks CRASHED (None before setup)."""
        return self._observer

    async def setup(self) -> None:
        interval = observe_interval()  # a bad setting stops the worker before it takes runs
        await super().setup()
        self._observer = await self._exit_stack.enter_async_context(Observer(self, self._failures, interval))
        if interval > 0 and self._work_pool is not None:
            try:
                await anyio.to_thread.run_sync(self._watch_pool_default, mapping.pool_defaults(self._work_pool))
            except Exception as exc:  # noqa: BLE001 - no default connection: runs add theirs
                self._logger.debug("compose observer: the pool's default place is not watched: %s", exc)

    def _watch(self, key: tuple[Any, ...], runner: Any, where: Any) -> None:
        if self._observer is not None:
            self._observer.watch(key, runner, where)

    def _shared_runner(self, key: tuple[Any, ...], make: Any) -> Any:
        runner = self._runners.get(key)
        if runner is None:
            with self._runners_lock:
                runner = self._runners.get(key)
                if runner is None:
                    runner = self._runners[key] = make()
        return runner

    @classmethod
    def get_default_base_job_template(cls) -> dict[str, Any]:
        """Generated from the spec repo named by ``COMPOSE_PREFECT_SPEC_REPO``, if set;
        else only the worker's own variables (use ``compose prefect template`` instead)."""
        return _default_template(cls.target)

    async def _crash(self, flow_run: Any, message: str, task_status: Any) -> ComposeWorkerResult:
        logger = self.get_flow_run_logger(flow_run)
        logger.error(message)
        await self._propose_crashed_state(flow_run, message)
        if task_status is not None:
            task_status.started(SpecError(message))
        return ComposeWorkerResult(identifier="", status_code=0)

    async def run(self, flow_run: Any, configuration: Any, task_status: Any = None) -> ComposeWorkerResult:
        if configuration.compose_error is not None:
            return await self._crash(
                flow_run, f"compose could not build the flow run's spec: {configuration.compose_error}", task_status
            )
        try:
            pid, created = await anyio.to_thread.run_sync(self._submit, configuration, str(flow_run.id))
        except ComposeError as exc:
            return await self._crash(flow_run, f"compose could not submit the flow run: {exc}", task_status)
        logger = self.get_flow_run_logger(flow_run)
        logger.info("%s %s", pid, "created" if created else "already existed (the run was handed out before): nothing new created")
        if task_status is not None:
            task_status.started(pid)
        status = 0
        if configuration.wait:
            status, message = await anyio.to_thread.run_sync(self._wait, configuration, pid)
            (logger.info if status == 0 else logger.error)("%s: %s", pid, message)
        return ComposeWorkerResult(identifier=pid, status_code=status)

    async def kill_infrastructure(self, infrastructure_pid: str, configuration: Any, grace_seconds: int = 30) -> None:
        try:
            found = await anyio.to_thread.run_sync(self._cancel, configuration, infrastructure_pid)
        except ComposeError as exc:
            raise InfrastructureNotFound(str(exc)) from exc
        if not found:
            raise InfrastructureNotFound(f"{infrastructure_pid} not found")

    # target-specific, run in a thread
    def _submit(self, configuration: Any, run_id: str) -> tuple[str, bool]:  # pragma: no cover
        raise NotImplementedError

    def _watch_pool_default(self, defaults: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError

    def _failures(self, runner: Any, where: Any, pool_id: str,
                  seen: frozenset[str]) -> tuple[list[Failure], set[str]]:  # pragma: no cover
        raise NotImplementedError

    def _wait(self, configuration: Any, pid: str) -> tuple[int, str]:  # pragma: no cover
        raise NotImplementedError

    def _cancel(self, configuration: Any, pid: str) -> bool:  # pragma: no cover
        raise NotImplementedError


class ComposeKubernetesWorker(_ComposeWorker):
    """Runs each flow run as the Kubernetes Job compose builds for it."""

    type: str = "compose-kubernetes"
    target: ClassVar[str] = "kubernetes"
    job_configuration = ComposeKubernetesJobConfiguration
    job_configuration_variables = None
    _display_name = "compose (Kubernetes)"
    _description = ("Run each flow run as a Kubernetes Job built by compose from a spec repo (base + "
                    "overlays selected by the run's metadata); one Job per flow run id.")

    def _runner(self, configuration: Any) -> Any:
        spec = configuration.spec
        flow = spec.flow_container if spec is not None else "flow"
        return self._connect(configuration.kubeconfig, configuration.kube_context, configuration.namespace, flow)

    def _connect(self, kubeconfig: Any, context: Any, namespace: Any, flow: str) -> Any:
        def make() -> Any:
            from compose.runner import KubernetesRunner

            return KubernetesRunner(kubeconfig=kubeconfig, context=context, namespace=namespace, flow_container=flow)

        return self._shared_runner((kubeconfig, context, namespace, flow), make)

    def _submit(self, configuration: Any, run_id: str) -> tuple[str, bool]:
        from compose.constants import RUN_ID_ANNOTATION
        from compose.runner.kubernetes.state import _terminal

        runner = self._runner(configuration)
        job = configuration.spec.job
        base = ""  # attempt 1's name, as the runner gave it
        for attempt in range(1, MAX_ATTEMPTS + 1):
            body = job
            if attempt > 1:
                # Named for the attempt, and still the run's (the run-id annotation keeps the name).
                meta = dict(job.get("metadata") or {})
                suffix = f"-{attempt}"
                meta["name"] = base[: 63 - len(suffix)].rstrip("-") + suffix  # a DNS-1123 label
                meta["annotations"] = {**(meta.get("annotations") or {}), RUN_ID_ANNOTATION: run_id}
                body = {**job, "metadata": meta}
            result = runner.submit(body, run_id)
            base = base or result.name
            self._watch(("kubernetes", id(runner), result.namespace), runner, result.namespace)
            if result.created or _terminal(result.job) is None:
                return f"{result.namespace}:{result.name}", result.created
            # That attempt's Job has finished and the run was handed out again: a new attempt.
        raise SpecError(f"flow run {run_id} already has {MAX_ATTEMPTS} finished Jobs; not creating another",
                        step="prefect")

    def _watch_pool_default(self, defaults: dict[str, Any]) -> None:
        runner = self._connect(defaults.get("kubeconfig"), defaults.get("kube_context"), defaults.get("namespace"), "flow")
        self._watch(("kubernetes", id(runner), runner.namespace), runner, runner.namespace)

    def _failures(self, runner: Any, where: Any, pool_id: str, seen: frozenset[str]) -> tuple[list[Failure], set[str]]:
        from compose.runner.kubernetes.state import _terminal

        failures: list[Failure] = []
        finished: set[str] = set()
        for job in runner.list_jobs(f"{_POOL_ID_LABEL}={pool_id}", namespace=where):
            meta = job.get("metadata") or {}
            uid, cond = str(meta.get("uid") or ""), _terminal(job)
            if not uid or cond is None:
                continue
            finished.add(uid)
            flow_run_id = (meta.get("labels") or {}).get(_FLOW_RUN_LABEL)
            if uid in seen or cond.get("type") != "Failed" or not flow_run_id:
                continue
            pid = f"{meta.get('namespace') or where}:{meta.get('name')}"
            outcome = runner.job_outcome(job)
            failures.append(Failure(uid, flow_run_id, pid, f"{pid}: Job failed ({_job_facts(outcome)})"))
        return failures, finished

    def _wait(self, configuration: Any, pid: str) -> tuple[int, str]:
        namespace, _, name = pid.partition(":")
        outcome = self._runner(configuration).wait(name, timeout=float(24 * 3600), namespace=namespace)
        text = _job_facts(outcome)
        if outcome.succeeded:
            return 0, f"Job complete ({text})"
        return (outcome.exit_code or 1), f"Job failed ({text})"

    def _cancel(self, configuration: Any, pid: str) -> bool:
        namespace, _, name = pid.partition(":")
        return bool(self._runner(configuration).cancel(name, namespace=namespace or None))


def _job_facts(outcome: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in (
        ("reason", outcome.reason), ("exit code", outcome.exit_code),
        ("container", outcome.container_reason), ("message", outcome.message)) if v is not None)


class ComposeEcsWorker(_ComposeWorker):
    """Runs each flow run as the ECS task compose builds for it."""

    type: str = "compose-ecs"
    target: ClassVar[str] = "ecs"
    job_configuration = ComposeEcsJobConfiguration
    job_configuration_variables = None
    _display_name = "compose (ECS)"
    _description = ("Run each flow run as an ECS task built by compose from a spec repo; one task definition "
                    "revision per profile, one task per flow run id (RunTask clientToken).")

    def _runner(self, configuration: Any) -> Any:
        key = (configuration.ecs_region, configuration.ecs_endpoint_url)

        def make() -> Any:
            from compose.runner import EcsRunner

            return EcsRunner(region=configuration.ecs_region, endpoint_url=configuration.ecs_endpoint_url)

        return self._shared_runner(key, make)

    def _submit(self, configuration: Any, run_id: str) -> tuple[str, bool]:
        spec = configuration.spec
        runner = self._runner(configuration)
        td_arn, _registered = runner.register_if_needed(spec.task_definition)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            result = runner.run(td_arn, spec.run_task, run_id=run_id if attempt == 1 else f"{run_id}#{attempt}",
                                tags=mapping.ecs_tags(configuration.labels), overrides=spec.overrides or None)
            self._watch(("ecs", id(runner), result.cluster), runner, result.cluster)
            stopped = any(t.get("lastStatus") == "STOPPED"
                          for t in runner.describe_tasks([result.task_arn], cluster=result.cluster))
            if result.created or not stopped:
                return result.task_arn, result.created
            # That attempt's task has stopped and the run was handed out again: a new attempt.
        raise SpecError(f"flow run {run_id} already has {MAX_ATTEMPTS} stopped tasks; not starting another",
                        step="prefect")

    def _watch_pool_default(self, defaults: dict[str, Any]) -> None:
        return None  # the cluster is the spec's: watched from the first run on

    def _failures(self, runner: Any, where: Any, pool_id: str, seen: frozenset[str]) -> tuple[list[Failure], set[str]]:
        failures: list[Failure] = []
        listed = runner.stopped_task_arns(cluster=where)
        # Described once: a task already looked at (the pool's or another's) is not asked again.
        finished: set[str] = {arn for arn in listed if arn in seen}
        for task in runner.describe_tasks([arn for arn in listed if arn not in seen], cluster=where):
            tags = {t.get("key"): t.get("value") for t in task.get("tags") or [] if isinstance(t, dict)}
            arn = str(task.get("taskArn") or "")
            if not arn or task.get("lastStatus") != "STOPPED":
                continue  # still stopping: looked at again next time
            finished.add(arn)
            if tags.get(_POOL_ID_LABEL) != pool_id:
                continue
            flow_run_id = tags.get(_FLOW_RUN_LABEL)
            if not flow_run_id:
                continue
            outcome = runner.task_outcome(task)
            if not outcome.succeeded:
                failures.append(Failure(arn, flow_run_id, arn, outcome.message))
        return failures, finished

    def _wait(self, configuration: Any, pid: str) -> tuple[int, str]:
        outcome = self._runner(configuration).wait(pid, timeout=float(24 * 3600))
        if outcome.succeeded:
            return 0, f"task stopped: {outcome.message}"
        codes = [c.exit_code for c in getattr(outcome, "containers", ()) or () if getattr(c, "exit_code", None)]
        return (codes[0] if codes else 1), f"task failed: {outcome.message}"

    def _cancel(self, configuration: Any, pid: str) -> bool:
        self._runner(configuration).cancel(pid, reason="cancelled in Prefect")
        return True
