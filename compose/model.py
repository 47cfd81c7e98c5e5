"""The records that pass between the composer, the runners and the agent.

* :class:`FlowRun`: one run an orchestrator wants executed: its id, names and metadata.
* :class:`KubernetesSpec` and :class:`EcsSpec`: what the composer built for one run, ready for
  a runner. They are plain data (dicts), cheap to create and safe to hand between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    from kubernetes.client import V1Job

__all__ = ["FlowRun", "KubernetesSpec", "EcsSpec", "Spec", "Target"]

Target = Literal["kubernetes", "ecs"]


@dataclass(frozen=True)
class FlowRun:
    """One flow run, as an orchestrator describes it to compose.

    Attributes:
        id: the run id, unique per run; it names the Job / keys the ECS clientToken, so a
            run submitted twice is still one Job or task.
        name: a human name of the run (e.g. ``"crimson-dolphin"``).
        flow_name: the flow's name.
        deployment: the deployment's name, if any.
        metadata: what selects overlays and fills parameters (``{"job_profile": "gpu"}``).
        labels: the run's labels (strings), available to specs as ``${run.labels.<key>}``.
    """

    id: str
    name: str = ""
    flow_name: str = ""
    deployment: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Names end up in Job names, labels and hashes: refuse text that is not Unicode (a lone
        # surrogate, as Python decodes bytes that were not UTF-8) here rather than deep inside.
        for key in ("id", "name", "flow_name", "deployment"):
            value = getattr(self, key)
            if isinstance(value, str) and not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as exc:
                    from .errors import UsageError

                    raise UsageError(f"FlowRun.{key} is not Unicode text (character {exc.start + 1} is a lone "
                                     "surrogate: bytes that were not UTF-8?)") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FlowRun":
        """Build from a JSON-like mapping (``id`` required; ``flow_name`` or ``flow``).

        Raises:
            compose.errors.SpecError: a missing id or a field of the wrong type.
        """
        from .errors import SpecError

        if not isinstance(data, Mapping):
            raise SpecError("a flow run must be a JSON object")
        known = {"id", "name", "flow_name", "flow", "deployment", "metadata", "labels"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(f"unknown flow run field(s): {', '.join(map(str, unknown))}")
        run_id = data.get("id")
        if not isinstance(run_id, str) or not run_id:
            raise SpecError("a flow run needs an 'id' (a non-empty string)")
        out: dict[str, Any] = {"id": run_id}
        for key, attr in (("name", "name"), ("flow_name", "flow_name"), ("flow", "flow_name"),
                          ("deployment", "deployment")):
            value = data.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise SpecError(f"flow run field {key!r} must be a string")
            out[attr] = value
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise SpecError("flow run field 'metadata' must be an object")
        labels = data.get("labels") or {}
        if not isinstance(labels, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise SpecError("flow run field 'labels' must be an object of strings")
        return cls(metadata=dict(metadata), labels=dict(labels), **out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "flow_name": self.flow_name,
            "deployment": self.deployment,
            "metadata": dict(self.metadata),
            "labels": dict(self.labels),
        }


@dataclass(frozen=True)
class KubernetesSpec:
    """A built Kubernetes spec.

    Attributes:
        objects: every object the build produced, in output order (the Job and, e.g., a
            generated ConfigMap it mounts).
        job: the Job (or CronJob) among ``objects``: the object the runner submits last.
        flow_container: the name of the container that runs the flow.
        run_id: the run it was built for ("" when built without one).
    """

    objects: list[dict[str, Any]]
    job: dict[str, Any]
    flow_container: str
    run_id: str = ""
    target: Literal["kubernetes"] = "kubernetes"

    def to_v1job(self) -> "V1Job":
        """The Job as a ``kubernetes.client.V1Job`` (imports the kubernetes client)."""
        from .k8s.convert import to_v1job

        return to_v1job(self.job)

    def documents(self) -> list[dict[str, Any]]:
        """What ``compose build`` prints."""
        return list(self.objects)


@dataclass(frozen=True)
class EcsSpec:
    """A built ECS spec.

    Attributes:
        task_definition: the RegisterTaskDefinition input; identical across runs of one
            profile (per-run values are in ``overrides``).
        run_task: the RunTask input without ``taskDefinition``, ``clientToken`` and
            ``startedBy``, which the runner fills.
        overrides: the RunTask ``overrides`` carrying per-run values (run id, per-run env),
            the flow container's entry found by name.
        flow_container: the name of the container that runs the flow.
        run_id: the run it was built for ("" when built without one).
    """

    task_definition: dict[str, Any]
    run_task: dict[str, Any]
    overrides: dict[str, Any]
    flow_container: str
    run_id: str = ""
    target: Literal["ecs"] = "ecs"

    def run_task_request(self) -> dict[str, Any]:
        """The RunTask input with the overrides folded in (no taskDefinition yet)."""
        req = dict(self.run_task)
        if self.overrides:
            req["overrides"] = self.overrides
        return req

    def documents(self) -> list[dict[str, Any]]:
        """What ``compose build --target ecs`` prints: both requests."""
        return [{"taskDefinition": self.task_definition, "runTask": self.run_task_request()}]


Spec = KubernetesSpec | EcsSpec
