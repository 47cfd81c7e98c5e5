"""The compose workers' observer: a flow run whose Job or ECS task failed is marked CRASHED.

Prefect's own Kubernetes and ECS workers return as soon as the infrastructure exists and leave
failures to separate observers (a kopf operator for Kubernetes). The compose workers return the
same way, and start this observer with the worker instead. Every
``COMPOSE_PREFECT_OBSERVE_SECONDS`` (default 10; ``0`` turns it off) it looks at

* Kubernetes: the Jobs labelled with the worker's pool (``prefect.io/work-pool-id``), one LIST
  per namespace: the pool's default namespace and every namespace the worker submitted to;
* ECS: the tasks ECS lists as stopped (about an hour's worth) in every cluster the worker
  submitted to, keeping those tagged with the pool;

and proposes CRASHED, with compose's account of the failure (Job condition, the flow
container's exit code and reason; the task's stop code and containers), for a flow run whose
Job failed or whose task stopped without every essential container exiting 0, when

* the run is still PENDING or RUNNING (a run that reached a final state by itself, was
  rescheduled or is being cancelled is left alone), and
* the failed Job or task is the run's current one (its ``infrastructure_pid``): an earlier
  attempt's failure never crashes a later attempt.

Each failure is considered once per worker process; a restarted worker looks again, which is
harmless: a crashed run is final.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread

__all__ = ["Failure", "Observer", "OBSERVE_VARIABLE", "observe_interval"]

log = logging.getLogger("compose.prefect.observer")

OBSERVE_VARIABLE = "COMPOSE_PREFECT_OBSERVE_SECONDS"
_DEFAULT_SECONDS = 10.0


def observe_interval() -> float:
    """Seconds between two looks (``COMPOSE_PREFECT_OBSERVE_SECONDS``); 0 means never.

    Raises:
        ValueError: the variable is not a number of seconds.
    """
    text = os.environ.get(OBSERVE_VARIABLE, "").strip()
    if not text:
        return _DEFAULT_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{OBSERVE_VARIABLE}={text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400 or value != value:
        raise ValueError(f"{OBSERVE_VARIABLE}={text!r}: expected 0 (off) to 86400 seconds")
    return value


@dataclass(frozen=True)
class Failure:
    """A failed Job or task of the pool, as the observer saw it.

    Attributes:
        key: the Job's uid or the task's ARN (each failure is considered once).
        flow_run_id: the ``prefect.io/flow-run-id`` label or tag.
        pid: the infrastructure pid the worker gave the run for it.
        message: how it failed, for people.
    """

    key: str
    flow_run_id: str
    pid: str
    message: str


#: Finds the pool's failures at one place: ``(runner, where, pool_id, seen) -> (failures,
#: finished)``. ``seen`` holds the keys already considered there, which need no second look;
#: ``finished`` the keys of every finished Job or task of the pool listed now (the next ``seen``
#: is cut down to them, so memory stays bounded by what the backend still lists).
Finder = Callable[[Any, Any, str, frozenset[str]], tuple[list[Failure], set[str]]]


class Observer:
    """Looks for the pool's failed Jobs or tasks while the worker runs (an async context).

    Args:
        worker: the compose worker (its client, pool and flow run logger are used).
        finder: the target's :data:`Finder`, run in a thread.
        interval: seconds between looks; 0 means the observer does nothing.
    """

    def __init__(self, worker: Any, finder: Finder, interval: float) -> None:
        self._worker = worker
        self._finder = finder
        self.interval = interval
        self._places: dict[Hashable, tuple[Any, Any]] = {}
        self._seen: dict[Hashable, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._group: Any = None
        #: The last 1,000 flow run ids this observer marked CRASHED, oldest first.
        self.crashed: deque[str] = deque(maxlen=1000)

    def watch(self, key: Hashable, runner: Any, where: Any) -> None:
        """Look at ``where`` (a namespace, a cluster) through ``runner`` from now on."""
        with self._lock:
            self._places.setdefault(key, (runner, where))

    async def __aenter__(self) -> "Observer":
        if self.interval > 0:
            self._group = anyio.create_task_group()
            await self._group.__aenter__()
            self._group.start_soon(self._loop)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        group, self._group = self._group, None
        if group is not None:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)

    async def _loop(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            try:
                await self.look()
            except Exception as exc:  # noqa: BLE001 - the observer must outlive a bad look
                log.warning("compose observer: looking for failed runs failed: %s", exc)

    async def look(self) -> int:
        """Look once at every place; returns how many flow runs were marked CRASHED."""
        pool = getattr(self._worker, "_work_pool", None)
        if pool is None:
            return 0
        pool_id = str(pool.id)
        with self._lock:
            places = list(self._places.items())
        marked = 0
        for key, (runner, where) in places:
            seen = self._seen.get(key, frozenset())
            try:
                # abandon_on_cancel: a worker shutting down does not wait for a slow LIST.
                failures, finished = await anyio.to_thread.run_sync(
                    self._finder, runner, where, pool_id, seen, abandon_on_cancel=True)
            except Exception as exc:  # noqa: BLE001 - one unreachable place must not stop the rest
                log.warning("compose observer: could not look at %s: %s", where, exc)
                continue
            done: set[str] = set()
            for failure in failures:
                try:
                    if await self._consider(failure):
                        marked += 1
                    done.add(failure.key)
                except Exception as exc:  # noqa: BLE001 - the Prefect API may be down: try again next time
                    log.warning("compose observer: could not handle flow run %s: %s", failure.flow_run_id, exc)
            failed = {f.key for f in failures}
            # Seen from now on: every finished one listed now, but for failures not handled yet.
            self._seen[key] = frozenset(k for k in finished if k in seen or k in done or k not in failed)
        return marked

    async def _consider(self, failure: Failure) -> bool:
        from uuid import UUID

        from prefect.client.schemas.objects import StateType
        from prefect.exceptions import ObjectNotFound

        try:
            run_id = UUID(failure.flow_run_id)
        except ValueError:
            return False
        client = self._worker.client
        try:
            flow_run = await client.read_flow_run(run_id)
        except ObjectNotFound:
            return False
        state = flow_run.state
        if state is None or state.type not in (StateType.PENDING, StateType.RUNNING):
            return False
        if flow_run.infrastructure_pid not in (None, "", failure.pid):
            return False  # an earlier attempt's Job or task: the run has moved on
        await self._worker._propose_crashed_state(flow_run, failure.message)
        self.crashed.append(failure.flow_run_id)
        return True
