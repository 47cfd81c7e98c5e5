"""Reading a Job's and its pods' state: terminal conditions, the flow container's status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
