"""Job-spec generators: what turns a flow run into the spec the agent submits.

A generator is anything with ``generate(flow_run) -> spec``, or any plain callable
``flow_run -> spec`` (:class:`JobSpecGenerator`). Three ways to customise, as the proposal
behind compose asks:

* **The default**: :class:`ComposerGenerator`, a loaded :class:`compose.composer.Composer`.
  The agent's defaults are the lowest metadata layer, the run's metadata goes on top, and the
  spec repo's ``compose.yaml`` picks overlays and fills parameters::

      gen = ComposerGenerator.from_path("my-specs/", "kubernetes",
                                        metadata_defaults={"image": "ghcr.io/acme/flows:1.4"})

* **Another spec repo** is just another path (``from_path``), or a Composer you loaded.
* **Wrap it**: :func:`wrap` runs a function on the run before, and/or on the spec after,
  the inner generator::

      def with_team(run, spec):
          job = copy.deepcopy(spec.job)
          job["metadata"].setdefault("labels", {})["team"] = run.labels.get("team", "none")
          return dataclasses.replace(spec, job=job, objects=[job])

      gen = wrap(ComposerGenerator.from_path("my-specs/"), with_team)

* **Replace it**: any ``Callable[[FlowRun], spec]``. It may return a
  :class:`~compose.model.KubernetesSpec` or :class:`~compose.model.EcsSpec`, or, for
  Kubernetes, a Job as a dict or a ``kubernetes.client.V1Job`` (the flow container is then
  the one named ``flow``).

:func:`generate_job_spec` is the proposal's ``generate_job_spec(flow_run) -> V1Job``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from compose.constants import DEFAULT_FLOW_CONTAINER
from compose.errors import SpecError
from compose.model import EcsSpec, FlowRun, KubernetesSpec, Spec

if TYPE_CHECKING:  # pragma: no cover
    from kubernetes.client import V1Job

__all__ = [
    "JobSpecGenerator",
    "GeneratorLike",
    "ComposerGenerator",
    "as_generator",
    "as_spec",
    "wrap",
    "generate_job_spec",
    "TARGETS",
]

#: The targets a spec can be built for.
TARGETS = ("kubernetes", "ecs")


@runtime_checkable
class JobSpecGenerator(Protocol):
    """Turns one flow run into the spec to submit for it.

    Implementations must be safe to call from several threads at once (the agent generates
    in its worker threads) and must build the spec for *that* run: a spec whose ``run_id``
    is another run's is refused.
    """

    def generate(self, flow_run: FlowRun) -> Spec:
        """The spec for ``flow_run``."""
        ...


#: What the agent accepts as a generator.
GeneratorLike = JobSpecGenerator | Callable[[FlowRun], Any]


def as_spec(value: Any, flow_run: FlowRun | None = None) -> Spec:
    """Accept what a generator returned as a spec.

    Args:
        value: a :class:`KubernetesSpec` or :class:`EcsSpec` (returned as is), a batch/v1 Job
            as a dict, or a ``kubernetes.client.V1Job``.
        flow_run: the run it was generated for; its id goes into a spec made here.

    Raises:
        SpecError: ``value`` is none of those.
    """
    if isinstance(value, (KubernetesSpec, EcsSpec)):
        return value
    run_id = flow_run.id if flow_run is not None else ""
    if hasattr(value, "openapi_types") and hasattr(value, "to_dict"):
        from kubernetes.client import ApiClient  # only reached when handed a client model

        value = ApiClient().sanitize_for_serialization(value)
    if isinstance(value, Mapping):
        if value.get("kind", "Job") != "Job":
            raise SpecError(
                f"the generator returned a {value.get('kind')!r} object; the agent submits Jobs",
                step="generate",
            )
        job = dict(value)
        return KubernetesSpec(objects=[job], job=job, flow_container=DEFAULT_FLOW_CONTAINER, run_id=run_id)
    raise SpecError(
        f"the generator returned {type(value).__name__}; expected a KubernetesSpec, an EcsSpec, "
        "a Job dict or a V1Job",
        step="generate",
    )


class _CallableGenerator:
    """A plain callable seen as a :class:`JobSpecGenerator`."""

    def __init__(self, fn: Callable[[FlowRun], Any]) -> None:
        self.fn = fn

    def generate(self, flow_run: FlowRun) -> Spec:
        return as_spec(self.fn(flow_run), flow_run)

    def __repr__(self) -> str:
        return f"as_generator({getattr(self.fn, '__qualname__', self.fn)!r})"


def as_generator(obj: GeneratorLike) -> JobSpecGenerator:
    """``obj`` as a generator: objects with ``generate`` as they are, callables wrapped.

    Raises:
        TypeError: ``obj`` has no ``generate`` and is not callable.
    """
    if isinstance(obj, JobSpecGenerator):
        return obj
    if callable(obj):
        return _CallableGenerator(obj)
    raise TypeError(f"a generator needs a generate(flow_run) method or must be callable, not {type(obj).__name__}")


class ComposerGenerator:
    """The default generator: a loaded Composer building one target.

    Args:
        composer: a loaded :class:`compose.composer.Composer` (or anything with its ``build``:
            ``build(layers, *, target, context, sets)``, layers lowest first).
        target: ``"kubernetes"`` or ``"ecs"``.
        sets: ``--set``-style strings (coerced to the parameters' declared types), applied
            above every metadata layer, for every run.
        metadata_defaults: the agent's metadata defaults: the lowest layer, under the run's
            own metadata (mappings deep-merge, the run wins, a ``null`` in the run deletes).

    The composer is thread-safe and does no file I/O per build, so one generator serves all
    of an agent's threads.
    """

    def __init__(
        self,
        composer: Any,
        target: str = "kubernetes",
        *,
        sets: Mapping[str, str] | None = None,
        metadata_defaults: Mapping[str, Any] | None = None,
    ) -> None:
        if target not in TARGETS:
            raise SpecError(f"unknown target {target!r}; expected one of: {', '.join(TARGETS)}")
        self.composer = composer
        self.target = target
        self.sets = {str(k): str(v) for k, v in (sets or {}).items()}
        self.metadata_defaults = dict(metadata_defaults or {})

    @classmethod
    def from_path(
        cls,
        root: str | os.PathLike[str],
        target: str = "kubernetes",
        **kwargs: Any,
    ) -> "ComposerGenerator":
        """Load the spec repo at ``root`` (its ``compose.yaml``) and generate from it.

        Args:
            root: the spec repo's directory.
            target: ``"kubernetes"`` or ``"ecs"``.
            **kwargs: ``sets`` and ``metadata_defaults`` as for the constructor.

        Raises:
            compose.errors.ComposeError: the spec repo does not load (every problem listed).
        """
        from compose.composer import Composer

        return cls(Composer.load(Path(root)), target, **kwargs)

    def metadata_for(self, flow_run: FlowRun) -> dict[str, Any]:
        """The run's metadata over the agent's defaults, deep-merged as the composer merges them."""
        from compose.spec.metadata import merge_layers

        return merge_layers(self._layers(flow_run)).data

    def _layers(self, flow_run: FlowRun) -> list[tuple[str, Mapping[str, Any]]]:
        return [("agent defaults", self.metadata_defaults), (f"run {flow_run.id}", flow_run.metadata)]

    def generate(self, flow_run: FlowRun) -> Spec:
        """Build the spec of ``flow_run``.

        Raises:
            compose.errors.ComposeError: the metadata selects or sets something invalid.
        """
        spec = self.composer.build(self._layers(flow_run), target=self.target, context=flow_run, sets=self.sets or None)
        return as_spec(spec, flow_run)

    __call__ = generate

    def generate_job_spec(self, flow_run: FlowRun) -> "V1Job":
        """The run's Job as a ``kubernetes.client.V1Job`` (Kubernetes target only)."""
        return _v1job(self.generate(flow_run))

    def __repr__(self) -> str:
        return f"ComposerGenerator(target={self.target!r})"


class _Wrapped:
    def __init__(
        self,
        inner: JobSpecGenerator,
        before: Callable[[FlowRun], FlowRun] | None,
        after: Callable[[FlowRun, Spec], Any] | None,
    ) -> None:
        self.inner = inner
        self.before = before
        self.after = after

    def generate(self, flow_run: FlowRun) -> Spec:
        run = flow_run
        if self.before is not None:
            run = self.before(flow_run)
            if not isinstance(run, FlowRun):
                raise SpecError(f"a 'before' hook must return a FlowRun, not {type(run).__name__}", step="generate")
            if run.id != flow_run.id:
                raise SpecError(
                    f"a 'before' hook changed the run id from {flow_run.id!r} to {run.id!r}", step="generate"
                )
        spec = as_spec(self.inner.generate(run), run)
        if self.after is not None:
            spec = as_spec(self.after(run, spec), run)
        return spec

    def __repr__(self) -> str:
        return f"wrap({self.inner!r})"


def wrap(
    generator: GeneratorLike,
    after: Callable[[FlowRun, Spec], Any] | None = None,
    *,
    before: Callable[[FlowRun], FlowRun] | None = None,
) -> Any:
    """A generator that runs hooks around ``generator``.

    Args:
        generator: the inner generator (or callable).
        after: ``after(flow_run, spec) -> spec``: change or replace the built spec. Treat
            the spec it receives as read-only (a composer may share parts of it between
            builds): return a new one (``dataclasses.replace`` over deep copies).
        before: ``before(flow_run) -> flow_run``: change the run first, e.g. add metadata
            from an external service (``dataclasses.replace(run, metadata={...})``); the
            run id must stay the same.

    Returns:
        The wrapped generator; with neither hook, a decorator taking ``after``::

            @wrap(base)
            def gen(run, spec): ...
    """
    if after is None and before is None:
        return lambda fn: wrap(generator, fn)
    return _Wrapped(as_generator(generator), before, after)


def _v1job(spec: Spec) -> "V1Job":
    if not isinstance(spec, KubernetesSpec):
        raise SpecError(f"generate_job_spec needs a Kubernetes spec; the generator built one for {spec.target}")
    return spec.to_v1job()


@functools.lru_cache(maxsize=8)
def _default_generator(root: str) -> ComposerGenerator:
    return ComposerGenerator.from_path(root, "kubernetes")


def generate_job_spec(
    flow_run: FlowRun,
    *,
    generator: GeneratorLike | None = None,
    root: str | os.PathLike[str] = ".",
) -> "V1Job":
    """The proposal's callback: the Job for ``flow_run`` as a ``kubernetes.client.V1Job``.

    Args:
        flow_run: the run.
        generator: the generator to use; by default a :class:`ComposerGenerator` over the
            spec repo at ``root``, loaded once per process and root.
        root: the spec repo for the default generator.

    Raises:
        compose.errors.ComposeError: the spec cannot be built, or is not a Kubernetes spec.
    """
    gen = as_generator(generator) if generator is not None else _default_generator(os.path.abspath(root))
    return _v1job(as_spec(gen.generate(flow_run), flow_run))
