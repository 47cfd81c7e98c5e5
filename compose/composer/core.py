"""The Composer class: load a spec repo once, select and build per run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ComposeError, Problem, SpecError, UsageError, ValidationError
from ..model import FlowRun, Spec
from ..spec._problems import raise_problems
from ..spec import MetadataLayer, RunContext, SpecRepo, load_spec, select, substitution_values
from ..spec.arguments import check_build_arguments
from ..spec.placeholders import Template, compile_template
from ..spec.selection import Selection
from ..yamlio import Document, iter_paths
from .. import constants as _constants
from .ecs import EcsCompiled, compile_ecs, load_ecs_base, load_ecs_part, render_ecs
from .kubernetes import K8sCompiled, compile_k8s, render_k8s
from .validation import ValidationReport, validate_all
from .provenance import Explanation, FieldOrigin, _keyed, _nearest_origin

__all__ = ["Composer"]

_log = logging.getLogger("compose")


def _log_warning(problem: Problem) -> None:
    _log.warning("%s", problem)

#: How many distinct overlay sets a Composer keeps built (each is a few hundred nodes).
_CACHE_LIMIT = 512


class Composer:
    """A loaded spec repo that builds specs for runs.

    Use :meth:`load`; then :meth:`build` for each run. Safe to share between threads.

    Attributes:
        spec: the loaded :class:`~compose.spec.SpecRepo`.
        strict: warnings (unknown metadata keys, conditions on undeclared keys) are errors.
        on_warning: called with each warning :class:`~compose.errors.Problem` (default: the
            ``compose`` logger's ``warning``); the CLI writes them to stderr.
    """

    def __init__(self, spec: SpecRepo, *, strict: bool = False,
                 on_warning: Callable[[Problem], None] | None = None) -> None:
        self.spec = spec
        self.strict = strict
        self.on_warning: Callable[[Problem], None] = on_warning or _log_warning
        if spec.warnings:
            if strict:
                raise_problems(list(spec.warnings), "compose.yaml", step="load")
            for w in spec.warnings:
                self.on_warning(w)
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, tuple[str, ...]], K8sCompiled | EcsCompiled] = {}
        self._ecs_docs: dict[str, Document] | None = None
        self._ecs_parts: dict[str, Document] = {}
        if "ecs" in spec.targets:
            self._ecs_docs = load_ecs_base(self)
            for overlay in spec.overlays:
                if overlay.ecs is not None:
                    self._ecs_parts[overlay.name] = load_ecs_part(self, overlay.ecs)
        k8s = spec.targets.get("kubernetes")
        if k8s is not None and not k8s.base_is_dir:
            raise SpecError(
                "the kubernetes base must be one kustomization directory",
                file=spec.file, line=k8s.line, step="load",
            )

    @classmethod
    def load(cls, root: str | Path = ".", *, strict: bool = False,
             on_warning: Callable[[Problem], None] | None = None) -> "Composer":
        """Load the spec repo at ``root`` (the directory holding ``compose.yaml``).

        Args:
            root: the spec repo directory.
            strict: make warnings errors (``--strict``): see :attr:`strict`.
            on_warning: where warnings go: see :attr:`on_warning`.

        Raises:
            SpecError: compose.yaml or a base/overlay file is invalid (every problem at once).
        """
        return cls(load_spec(root), strict=strict, on_warning=on_warning)

    # --- public API -----------------------------------------------------------------------------
    @property
    def targets(self) -> tuple[str, ...]:
        """The targets the spec repo declares, in declared order."""
        return tuple(self.spec.targets)

    def default_target(self) -> str:
        return "kubernetes" if "kubernetes" in self.spec.targets else next(iter(self.spec.targets))

    def build(
        self,
        metadata: Mapping[str, Any] | Sequence[MetadataLayer | tuple[str, Mapping[str, Any]]] | None = None,
        *,
        target: str | None = None,
        context: FlowRun | RunContext | None = None,
        sets: Mapping[str, str] | Sequence[str] | None = None,
    ) -> Spec:
        """Build the spec of one run.

        Args:
            metadata: the run's metadata (a mapping), or metadata layers lowest first
                (``[("agent", {...}), ("deployment", {...}), ("run", {...})]``).
            target: ``"kubernetes"`` or ``"ecs"`` (default: kubernetes when declared).
            context: the run (a :class:`~compose.model.FlowRun`) for ``${run.id}`` and
                friends and for naming; without one, preview values stand in.
            sets: ``--set`` style strings (``{"memory": "8Gi"}`` or ``["memory=8Gi"]``),
                coerced to the declared types, applied last.

        Returns:
            A :class:`~compose.model.KubernetesSpec` or :class:`~compose.model.EcsSpec`.

        Raises:
            SpecError: a metadata value fails its parameter declaration, or names no profile.
            ValidationError: the built spec is invalid (every problem listed).
        """
        target = self._target(target)
        layers = self._layers(metadata, context, sets)
        selection = select(self.spec, layers, strict=self.strict)
        for w in selection.warnings:
            self.on_warning(w)
        return self._build_selected(target, selection, context)

    def explain(
        self,
        metadata: Mapping[str, Any] | Sequence[MetadataLayer | tuple[str, Mapping[str, Any]]] | None = None,
        *,
        target: str | None = None,
        context: FlowRun | RunContext | None = None,
        sets: Mapping[str, str] | Sequence[str] | None = None,
    ) -> Explanation:
        """Build as :meth:`build` does and say why: see :class:`Explanation`."""
        target = self._target(target)
        layers = self._layers(metadata, context, sets)
        selection = select(self.spec, layers, explain=True, strict=self.strict)
        spec = self._build_selected(target, selection, context)
        names = self._names(target, selection)
        compiled = self._compiled(target, names, provenance=True)
        origins = self._origins(compiled, spec, selection)
        from .validation import explain_notes, quiet_warnings

        warnings = list(getattr(compiled, "warnings", [])) + quiet_warnings(self, target, names)
        if self.strict and warnings:
            raise ValidationError(warnings, what=f"the {target} build (--strict: warnings are errors)", step="explain")
        notes = explain_notes(self, target, compiled, selection, context)
        return Explanation(target=target, selection=selection, spec=spec, origins=origins,
                           warnings=warnings, notes=notes)

    def warm(self) -> int:
        """Build now every overlay set that some metadata can select, for every target.

        That is each profile's overlays together with every combination of the overlays that
        have a condition (``when``), and each overlay alone (what ``validate`` builds). After
        this, no build reads a file. When those sets would fill more than half the cache
        (512 sets), only each profile's set, the base alone and each overlay alone are built.
        Returns how many sets were built.
        """
        count = 0
        for target in self.targets:
            reachable = self._reachable_sets(target)
            if reachable is None or len(reachable) > _CACHE_LIMIT // (2 * max(1, len(self.targets))):
                reachable = []
            # each overlay alone too: what `compose validate` builds
            sets = dict.fromkeys([*self._interesting_sets(target), *reachable])
            for names in sets:
                self._compiled(target, names)
                count += 1
        # What a build loads lazily on first use would otherwise be read in the first build:
        # the run naming (an import) and botocore's ECS model (a data file).
        if "kubernetes" in self.spec.targets:
            from ..runner import kubernetes as _naming  # noqa: F401
        if "ecs" in self.spec.targets:
            from ..ecs import validate_run_task, validate_task_definition

            validate_task_definition({})
            validate_run_task({}, {})
        return count

    def validate(
        self,
        metadata: Mapping[str, Any] | Sequence[MetadataLayer | tuple[str, Mapping[str, Any]]] | None = None,
        *,
        sets: Mapping[str, str] | Sequence[str] | None = None,
    ) -> list[Problem]:
        """Build every overlay set some metadata can select, for every target; every problem.

        See :meth:`validate_report` (this returns its ``problems``: each one's ``source``
        names the target, the overlays and the metadata that selects them). An empty list
        means every set builds.
        """
        return self.validate_report(metadata, sets=sets).problems

    def validate_report(
        self,
        metadata: Mapping[str, Any] | Sequence[MetadataLayer | tuple[str, Mapping[str, Any]]] | None = None,
        *,
        sets: Mapping[str, str] | Sequence[str] | None = None,
        target: str | None = None,
        context: FlowRun | RunContext | None = None,
    ) -> ValidationReport:
        """What ``compose validate`` reports: see :mod:`compose.composer.validation`.

        Args:
            metadata: metadata every build starts from (as for :meth:`build`); the keys it
                sets stay fixed while compose looks for metadata selecting each set.
            sets: ``--set`` style strings, applied last.
            target: validate this target only (default: every declared target).
            context: the run, as for :meth:`build` (names and labels).
        """
        targets = [self._target(target)] if target is not None else None
        return validate_all(self, self._layers(metadata, context, sets), targets=targets, context=context)

    # --- internals ------------------------------------------------------------------------------
    def _target(self, target: str | None) -> str:
        if target is None:
            return self.default_target()
        if target not in ("kubernetes", "ecs"):
            raise UsageError(f"unknown target {target!r}: use kubernetes or ecs")
        if target not in self.spec.targets:
            raise SpecError(
                f"{self.spec.file} declares no {target} target (it declares: {', '.join(self.spec.targets)})",
                file=self.spec.file, step="build",
            )
        return target

    @staticmethod
    def _layers(
        metadata: Any, context: FlowRun | RunContext | None, sets: Mapping[str, str] | Sequence[str] | None
    ) -> list[MetadataLayer | tuple[str, Mapping[str, Any]]]:
        check_build_arguments(metadata, sets, context, (FlowRun, RunContext))
        layers: list[MetadataLayer | tuple[str, Mapping[str, Any]]] = []
        if metadata is None:
            if isinstance(context, FlowRun) and context.metadata:
                layers.append(("run", context.metadata))
        elif isinstance(metadata, Mapping):
            layers.append(("run", metadata))
        else:
            layers.extend(metadata)
        if sets:
            from ..spec import parse_set

            items = [f"{k}={v}" for k, v in sets.items()] if isinstance(sets, Mapping) else list(sets)
            layers.append(parse_set(items))
        return layers

    @staticmethod
    def _context(context: FlowRun | RunContext | None) -> RunContext:
        if context is None:
            return RunContext.preview()
        if isinstance(context, RunContext):
            return context
        # A real run says what it has: a run without a deployment must not be labelled
        # with the preview's stand-in "deployment" (nor a nameless flow as "flow").
        return RunContext(
            run_id=context.id,
            run_name=context.name,
            flow_name=context.flow_name,
            deployment_name=context.deployment,
            labels=dict(context.labels),
        )

    def _names(self, target: str, selection: Selection) -> tuple[str, ...]:
        return tuple(o.name for o in selection.overlays_for(target))

    def _build_selected(self, target: str, selection: Selection, context: FlowRun | RunContext | None) -> Spec:
        names = self._names(target, selection)
        compiled = self._compiled(target, names)
        if compiled.error is not None:
            raise compiled.error
        if self.strict and getattr(compiled, "warnings", None):
            raise ValidationError(list(compiled.warnings), what=f"the {target} build (--strict: warnings are errors)",
                                  step="validate")
        run = self._context(context)
        values = substitution_values(selection.params, run)
        run_id = run.run_id if context is not None else ""
        try:
            if isinstance(compiled, K8sCompiled):
                return render_k8s(self, compiled, values, run_id or "")
            return render_ecs(self, compiled, values, run_id or "")
        except ValidationError as exc:
            self._locate(target, names, exc)
            raise

    def _locate(self, target: str, names: tuple[str, ...], exc: ValidationError) -> None:
        """Give per-build problems the file and line that set the field (failures only)."""
        trees = getattr(exc, "trees", None)
        if not trees:
            return
        try:
            prov = self._compiled(target, names, provenance=True)
        except ComposeError:  # pragma: no cover - the same set just compiled
            return
        for tree, doc_index, prefix, problems in trees:
            table = prov.origins[doc_index] if doc_index < len(prov.origins) else {}
            for p in problems:
                if p.file or p.path is None:
                    continue
                hit = _nearest_origin(table, tree, p.path, prefix)
                if hit is not None:
                    p.file, p.line = self._display(hit[0]), hit[1]

    def _reachable_sets(self, target: str) -> list[tuple[str, ...]] | None:
        """Every overlay set a build for ``target`` can select, or None when too many."""
        order = [o.name for o in self.spec.overlays if target in o.targets()]
        conditional = [o.name for o in self.spec.overlays if target in o.targets() and o.when is not None]
        if len(conditional) > 12:
            return None
        profiles = [set(p.overlays) for p in self.spec.profiles.values()] or [set()]
        seen: dict[tuple[str, ...], None] = {}
        for listed in profiles:
            free = [n for n in conditional if n not in listed]
            for mask in range(1 << len(free)):
                chosen = listed | {n for i, n in enumerate(free) if mask >> i & 1}
                seen.setdefault(tuple(n for n in order if n in chosen), None)
        return list(seen)

    def _interesting_sets(self, target: str) -> list[tuple[str, ...]]:
        order = [o.name for o in self.spec.overlays if target in o.targets()]
        sets: list[tuple[str, ...]] = [()]
        for profile in self.spec.profiles.values():
            names = tuple(n for n in order if n in profile.overlays)
            sets.append(names)
        sets += [(n,) for n in order]
        seen: dict[tuple[str, ...], None] = {}
        for s in sets:
            seen.setdefault(s, None)
        return list(seen)

    def _compiled(self, target: str, names: tuple[str, ...], *, provenance: bool = False) -> K8sCompiled | EcsCompiled:
        key = (target, names)
        if not provenance:
            hit = self._cache.get(key)
            if hit is not None:
                return hit
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and (not provenance or hit.origins):
                return hit
            try:
                compiled: K8sCompiled | EcsCompiled = (
                    compile_k8s(self, names, provenance) if target == "kubernetes" else compile_ecs(self, names, provenance)
                )
            except ComposeError as exc:
                compiled = _failed(target, self._relative(exc))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = compiled
            return compiled

    def _display(self, file: str) -> str:
        root = str(self.spec.root.resolve()) + "/"
        return file[len(root):] if file.startswith(root) else file

    def _base_kustomization(self) -> str:
        from ..kustomize.loader import find_kustomization_file

        base = self.spec.targets["kubernetes"].base[0]
        try:
            return self._display(str(find_kustomization_file(base).resolve())) + " (transformers)"
        except ComposeError:
            return self._display(str(base))

    def _relative(self, exc: ComposeError) -> ComposeError:
        """Show files under the spec repo relative to its root, as users wrote them."""
        if exc.file:
            exc.file = self._display(exc.file)
        for p in getattr(exc, "problems", ()):
            if p.file:
                p.file = self._display(p.file)
        return exc

    # explain -------------------------------------------------------------------------------------
    def _origins(self, compiled: K8sCompiled | EcsCompiled, spec: Spec, selection: Selection) -> list[list[FieldOrigin]]:
        sources = selection.params.sources
        out: list[list[FieldOrigin]] = []
        docs = spec.documents()
        templates: list[tuple[Template, tuple[Any, ...]]] = []
        if isinstance(compiled, K8sCompiled):
            templates = [(compiled.template, ())]
        else:
            templates = [(compiled.td, ("taskDefinition",)), (compiled.rt, ("runTask",))]
        filled: dict[tuple[Any, ...], str] = {}
        for template, prefix in templates:
            for use_path, names in template.uses:
                filled[prefix + use_path] = names[0]
        # List items keyed by a placeholder (`name: ${secret_env_name}`) are keyed by the
        # placeholder in the origin tables: look fields up in the unrendered tree too.
        if isinstance(compiled, K8sCompiled):
            raw_docs = list(compiled.template._tree)  # noqa: SLF001 - read-only
        else:
            raw_docs = [{"taskDefinition": compiled.td._tree, "runTask": compiled.rt._tree}]  # noqa: SLF001
        for i, doc in enumerate(docs):
            table = compiled.origins[i] if i < len(compiled.origins) else {}
            rows: list[FieldOrigin] = []
            for path, value in iter_paths(doc):
                keyed = _keyed(doc, path)
                origin = table.get(keyed) if keyed is not None else None
                if origin is None and i < len(raw_docs):
                    raw_keyed = _keyed(raw_docs[i], path)
                    origin = table.get(raw_keyed) if raw_keyed is not None else None
                if path and path[-1] in (_constants.RUN_ID_LABEL, _constants.RUN_ID_ANNOTATION) and spec.run_id:
                    origin = ("compose: the run id", None)
                elif path == ("metadata", "name") and spec.run_id and isinstance(compiled, K8sCompiled) \
                        and i == compiled.job_index:
                    base = origin
                    origin = ("compose: named after the run id"
                              + (f" (base name at {self._display(base[0])}:{base[1]})" if base else ""), None)
                elif origin is None and path[:2] == ("runTask", "overrides"):
                    origin = ("compose: per-run values moved out of the task definition", None)
                elif origin is None:
                    # added by a kustomization transformer (labels, namePrefix, namespace, ...)
                    origin = (self._base_kustomization(), None) if isinstance(compiled, K8sCompiled) else ("(compose)", None)
                file, line = origin
                file = self._display(file)
                full = ((i,) + path) if isinstance(compiled, K8sCompiled) else path
                param = filled.get(full)
                rows.append(FieldOrigin(path=path, value=value, file=file, line=line, parameter=param,
                                        source=sources.get(param) if param else None))
            out.append(rows)
        return out



# --- helpers ------------------------------------------------------------------------------------


def _failed(target: str, exc: ComposeError) -> Any:
    dummy = compile_template({}, name_rules=None, documents=False)
    if target == "kubernetes":
        return K8sCompiled(template=dummy, job_index=0, checkers=[], error=exc)
    return EcsCompiled(td=dummy, rt=dummy, per_run_env=None, error=exc)
