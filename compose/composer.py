"""The composer: a spec repo loaded once, built for many runs.

:class:`Composer` ties the layers together. ``Composer.load(root)`` reads and checks
``compose.yaml`` and every base and overlay file. ``composer.build(metadata, target=...,
context=...)`` then, for one run:

1. merges the metadata layers, picks the profile, resolves the typed parameters and decides
   which overlays apply (:func:`compose.spec.select`);
2. takes the merged tree for that set of overlays: built once per set and cached (the
   Kubernetes part through the Kustomize-compatible build with the overlays as Components,
   the ECS part through the ECS strategic merge), validated once with the placeholder values
   left out, and compiled into a substitution plan;
3. substitutes the parameter and run-context values into the parsed tree (never into YAML
   text) and checks just those values against the schema;
4. for Kubernetes, names the Job after the run and labels it with the run id, exactly as the
   runner submits it; for ECS, moves the values that change every run into the RunTask
   overrides, so one profile keeps one task definition.

Work that does not depend on the parameter values (file reading, merging, the structural
validation) is done once per overlay set: :meth:`Composer.warm` does it for every profile and
overlay up front, after which builds read no files. A Composer is safe to share between
threads.

>>> from compose import Composer                                # doctest: +SKIP
>>> composer = Composer.load("path/to/spec-repo")               # doctest: +SKIP
>>> spec = composer.build({"job_profile": "gpu"}, target="kubernetes")  # doctest: +SKIP
>>> spec.job["spec"]["template"]["spec"]["containers"][0]["name"]       # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .constants import RUN_ID_ANNOTATION, RUN_ID_LABEL
from .errors import ComposeError, Problem, SpecError, UsageError, ValidationError
from .model import EcsSpec, FlowRun, KubernetesSpec, Spec
from .spec import (
    MetadataLayer,
    RunContext,
    SpecRepo,
    load_spec,
    select,
    substitution_values,
)
from .spec.placeholders import CONTEXT_NAMES, ECS_NAME_RULES, KUBERNETES_NAME_RULES, Template, compile_template
from .spec.selection import Selection
from .yamlio import Document, iter_paths, load_file

__all__ = ["Composer", "Explanation", "FieldOrigin", "TASK_DEFINITION_FILE", "RUN_TASK_FILE"]

#: File names of the ECS base (in the base directory, or among the listed files).
TASK_DEFINITION_FILE = "task-definition.yaml"
RUN_TASK_FILE = "run-task.yaml"
_ECS_PART_KEYS = ("taskDefinition", "runTask")
_WORKLOAD_KINDS = ("Job", "CronJob")
#: How many distinct overlay sets a Composer keeps built (each is a few hundred nodes).
_CACHE_LIMIT = 512


def _is_context_name(name: str) -> bool:
    return name in CONTEXT_NAMES or name.startswith("run.labels.")


# --- provenance ----------------------------------------------------------------------------------

_ITEM_KEYS = ("name", "containerName", "containerPath", "mountPath", "containerPort", "key", "ip",
              "topologyKey", "type", "sourceContainer", "sourceVolume", "hostname", "namespace",
              "capacityProvider", "devicePath", "hostPath", "deviceName")

KeyedPath = tuple[Any, ...]


def _item_key(item: Any, index: int) -> Any:
    if isinstance(item, dict):
        for key in _ITEM_KEYS:
            value = item.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return f"{key}={value}"
    return index


def _keyed(tree: Any, path: Sequence[Any]) -> KeyedPath | None:
    """``path`` with list indexes replaced by the item's identity (``name=flow``)."""
    out: list[Any] = []
    node = tree
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            if not 0 <= part < len(node):
                return None
            out.append(_item_key(node[part], part))
            node = node[part]
        elif isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        else:
            return None
    return tuple(out)


def _keyed_leaves(tree: Any) -> dict[KeyedPath, tuple[tuple[Any, ...], Any]]:
    out: dict[KeyedPath, tuple[tuple[Any, ...], Any]] = {}
    for path, value in iter_paths(tree):
        keyed = _keyed(tree, path)
        if keyed is not None:
            out[keyed] = (path, value)
    return out


def _keyed_lines(tree: Any, locations: Mapping[tuple[Any, ...], tuple[int, int]]) -> dict[KeyedPath, int]:
    out: dict[KeyedPath, int] = {}
    for path, (line, _col) in locations.items():
        keyed = _keyed(tree, path)
        if keyed is not None:
            out[keyed] = line
    return out


def _line_for(lines: Mapping[KeyedPath, int], keyed: KeyedPath) -> int | None:
    p = keyed
    while True:
        if p in lines:
            return lines[p]
        if not p:
            return None
        p = p[:-1]


@dataclass(frozen=True)
class FieldOrigin:
    """Where one field of a built spec was set last.

    Attributes:
        path: the field path in the output document.
        value: its value in this build.
        file: the file that set it (a base manifest, an overlay's patch, a kustomization).
        line: the line in ``file``, when known.
        parameter: the placeholder's parameter (or run-context name) that filled it, if any.
        source: where that parameter's value came from (default, profile, a metadata layer).
    """

    path: tuple[Any, ...]
    value: Any
    file: str
    line: int | None
    parameter: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        from .errors import format_path

        where = f"{self.file}:{self.line}" if self.line else self.file
        via = ""
        if self.parameter:
            via = f"  (${{{self.parameter}}}" + (f" from {self.source}" if self.source else "") + ")"
        return f"{format_path(self.path)} = {_short(self.value)}  <- {where}{via}"


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    if isinstance(value, str) and (not value or value != value.strip() or "\n" in value):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Explanation:
    """What ``compose explain`` shows: the selection and the origin of every field.

    Attributes:
        target: the target built.
        selection: profile, parameters with their sources, overlay decisions with reasons.
        spec: the built spec.
        origins: per output document, the origin of every leaf field.
    """

    target: str
    selection: Selection
    spec: Spec
    origins: list[list[FieldOrigin]]

    def lines(self) -> list[str]:
        out = [f"target: {self.target}"]
        out += self.selection.explain()
        undeclared = sorted(self.selection.params.undeclared)
        out.append("ignored metadata (no parameter declares it): " + (", ".join(undeclared) if undeclared else "(none)"))
        for i, doc_origins in enumerate(self.origins):
            doc = self.spec.documents()[i]
            kind = doc.get("kind") if isinstance(doc, dict) else None
            name = (doc.get("metadata") or {}).get("name") if isinstance(doc, dict) else None
            title = f"{kind} {name}" if kind else ("ECS " + ", ".join(doc) if isinstance(doc, dict) else "document")
            out.append(f"fields of {title}:")
            out += [f"  {o}" for o in doc_origins]
        return out


# --- compiled overlay sets ----------------------------------------------------------------------


@dataclass
class _K8sCompiled:
    template: Template
    job_index: int
    checkers: list[tuple[Any, list[tuple[Any, ...]]]]  # per doc: (checker, doc-relative paths)
    origins: list[dict[KeyedPath, tuple[str, int | None]]] = field(default_factory=list)
    error: ComposeError | None = None


@dataclass
class _EcsCompiled:
    td: Template
    rt: Template
    per_run_env: Template | None
    origins: list[dict[KeyedPath, tuple[str, int | None]]] = field(default_factory=list)
    error: ComposeError | None = None


class Composer:
    """A loaded spec repo that builds specs for runs.

    Use :meth:`load`; then :meth:`build` for each run. Safe to share between threads.

    Attributes:
        spec: the loaded :class:`~compose.spec.SpecRepo`.
    """

    def __init__(self, spec: SpecRepo) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, tuple[str, ...]], _K8sCompiled | _EcsCompiled] = {}
        self._ecs_docs: dict[str, Document] | None = None
        self._ecs_parts: dict[str, Document] = {}
        if "ecs" in spec.targets:
            self._ecs_docs = self._load_ecs_base()
            for overlay in spec.overlays:
                if overlay.ecs is not None:
                    self._ecs_parts[overlay.name] = self._load_ecs_part(overlay.ecs)
        k8s = spec.targets.get("kubernetes")
        if k8s is not None and not k8s.base_is_dir:
            raise SpecError(
                "the kubernetes base must be one kustomization directory",
                file=spec.file, line=k8s.line, step="load",
            )

    @classmethod
    def load(cls, root: str | Path = ".") -> "Composer":
        """Load the spec repo at ``root`` (the directory holding ``compose.yaml``).

        Raises:
            SpecError: compose.yaml or a base/overlay file is invalid (every problem at once).
        """
        return cls(load_spec(root))

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
        selection = select(self.spec, layers)
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
        selection = select(self.spec, layers, explain=True)
        spec = self._build_selected(target, selection, context)
        names = self._names(target, selection)
        compiled = self._compiled(target, names, provenance=True)
        origins = self._origins(compiled, spec, selection)
        return Explanation(target=target, selection=selection, spec=spec, origins=origins)

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
            from .runner import kubernetes as _naming  # noqa: F401
        if "ecs" in self.spec.targets:
            from .ecs import validate_run_task, validate_task_definition

            validate_task_definition({})
            validate_run_task({}, {})
        return count

    def validate(self) -> list[Problem]:
        """Build every profile and every overlay alone, for every target it provides.

        Parameters take their defaults (and a profile's values). Returns every problem found;
        an empty list means every build is valid.
        """
        problems: list[Problem] = []
        for target in self.targets:
            cases: list[tuple[str, Selection]] = []
            for name in self.spec.profiles or {"(no profile)": None}:
                layer = [("validate", {self.spec.profile_key: name})] if self.spec.profiles else []
                try:
                    cases.append((f"profile {name}", select(self.spec, layer)))
                except ComposeError as exc:
                    problems.append(_problem_of(exc, f"{target}: profile {name}"))
            for overlay in self.spec.overlays:
                if target not in overlay.targets():
                    continue
                try:
                    base = select(self.spec, [])
                except ComposeError as exc:
                    problems.append(_problem_of(exc, f"{target}: overlay {overlay.name}"))
                    continue
                cases.append((f"overlay {overlay.name}", _only(base, overlay.name)))
            # Cases that select the same overlays are one build: report its problems once,
            # naming every case, on copies (the cached error must not collect our labels).
            by_set: dict[tuple[tuple[str, ...], tuple[tuple[str, Any], ...]], list[tuple[str, Selection]]] = {}
            for label, selection in cases:
                key = (self._names(target, selection), tuple(sorted(selection.params.values.items(), key=str)))
                by_set.setdefault(key, []).append((label, selection))
            for group in by_set.values():
                labels = "; ".join(f"{target}: {label}" for label, _ in group)
                try:
                    self._build_selected(target, group[0][1], None)
                except ValidationError as exc:
                    for p in exc.problems:
                        problems.append(Problem(p.message, file=p.file, line=p.line, path=p.path,
                                                source=labels + (f"; {p.source}" if p.source else "")))
                except ComposeError as exc:
                    problems.append(_problem_of(exc, labels))
        return problems

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
        layers: list[MetadataLayer | tuple[str, Mapping[str, Any]]] = []
        if metadata is None:
            if isinstance(context, FlowRun) and context.metadata:
                layers.append(("run", context.metadata))
        elif isinstance(metadata, Mapping):
            layers.append(("run", metadata))
        else:
            layers.extend(metadata)
        if sets:
            from .spec import parse_set

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
        run = self._context(context)
        values = substitution_values(selection.params, run)
        run_id = run.run_id if context is not None else ""
        try:
            if isinstance(compiled, _K8sCompiled):
                return self._render_k8s(compiled, values, run_id or "")
            return self._render_ecs(compiled, values, run_id or "")
        except ValidationError as exc:
            self._locate(target, names, exc)
            raise

    def _render_k8s(self, compiled: _K8sCompiled, values: Mapping[str, Any], run_id: str) -> KubernetesSpec:
        docs = compiled.template.render(values, fresh=True)
        problems: list[Problem] = []
        for doc, (checker, paths) in zip(docs, compiled.checkers):
            if not paths:
                continue
            found = checker.check_sequence([_get(doc, p) for p in paths])
            problems.extend(found)
        if problems:
            job = docs[compiled.job_index]
            exc = ValidationError(problems, what=_what(job), step="validate")
            exc.trees = [(docs[compiled.job_index], compiled.job_index, (), problems)]  # type: ignore[attr-defined]
            raise exc
        job = docs[compiled.job_index]
        if run_id:
            from .runner.kubernetes import mark_for_run

            mark_for_run(job, run_id)
        return KubernetesSpec(objects=docs, job=job, flow_container=self.spec.flow_container, run_id=run_id)

    def _render_ecs(self, compiled: _EcsCompiled, values: Mapping[str, Any], run_id: str) -> EcsSpec:
        from .ecs import validate_run_task, validate_task_definition

        td = compiled.td.render(values, fresh=True)
        rt = compiled.rt.render(values, fresh=True)
        td_problems = validate_task_definition(td)
        overrides: dict[str, Any] = {}
        if compiled.per_run_env is not None:
            env = compiled.per_run_env.render(values, fresh=True)
            overrides = {"containerOverrides": [{"name": self.spec.flow_container, "environment": env}]}
            if isinstance(rt.get("overrides"), dict):
                # The spec repo's own overrides (run-task.yaml, overlays) stay; per-run env joins them.
                from .merge import run_task_merge

                overrides = run_task_merge({"overrides": rt["overrides"]}, {"overrides": overrides})["overrides"]
        req = dict(rt)
        if overrides:
            req["overrides"] = overrides
        # The runner fills taskDefinition (the registered revision); check the rest now.
        rt_problems = validate_run_task({"taskDefinition": str(td.get("family") or "family"), **req}, td)
        if td_problems or rt_problems:
            exc = ValidationError(td_problems + rt_problems, what="ECS task", step="validate")
            exc.trees = [(td, 0, ("taskDefinition",), td_problems),  # type: ignore[attr-defined]
                         (req, 0, ("runTask",), rt_problems)]
            raise exc
        return EcsSpec(task_definition=td, run_task=rt, overrides=overrides,
                       flow_container=self.spec.flow_container, run_id=run_id)

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

    def _compiled(self, target: str, names: tuple[str, ...], *, provenance: bool = False) -> _K8sCompiled | _EcsCompiled:
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
                compiled: _K8sCompiled | _EcsCompiled = (
                    self._compile_k8s(names, provenance) if target == "kubernetes" else self._compile_ecs(names, provenance)
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
        from .kustomize.loader import find_kustomization_file

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

    # Kubernetes ----------------------------------------------------------------------------------
    def _compile_k8s(self, names: tuple[str, ...], provenance: bool) -> _K8sCompiled:
        from .k8s import compile_value_checkers, validate_object
        from .kustomize import build

        spec = self.spec
        target = spec.targets["kubernetes"]
        overlays = [spec.overlay(n) for n in names]
        prov: dict[int, dict[KeyedPath, tuple[str, int | None]]] = {}

        def on_patch(resource: Any, patch_file: str, patch_locations: Mapping[Any, Any], before: Mapping[str, Any]) -> None:
            table = prov.setdefault(id(resource), {})
            before_leaves = _keyed_leaves(before)
            patch_tree = getattr(patch_locations, "tree", None)
            lines = _keyed_lines(patch_tree, patch_locations) if patch_tree is not None else {}
            for keyed, (_path, value) in _keyed_leaves(resource.data).items():
                old = before_leaves.get(keyed)
                if old is None or old[1] != value or type(old[1]) is not type(value):
                    table[keyed] = (patch_file, _line_for(lines, keyed) if lines else _first_line(patch_locations))

        resources = build(
            target.base[0],
            merge_order=spec.merge_order,  # type: ignore[arg-type]
            extra_components=[o.kubernetes for o in overlays if o.kubernetes is not None],
            on_patch=on_patch if provenance else None,
        )
        docs = [r.data for r in resources]
        jobs = [i for i, d in enumerate(docs) if d.get("kind") in _WORKLOAD_KINDS]
        where = f"{target.base[0].relative_to(spec.root) if target.base[0].is_relative_to(spec.root) else target.base[0]}"
        if not jobs:
            raise SpecError(f"the kubernetes base {where} builds no Job or CronJob", file=spec.file, line=target.line, step="build")
        if len(jobs) > 1:
            names_ = ", ".join(f"{docs[i]['kind']} {docs[i].get('metadata', {}).get('name')}" for i in jobs)
            raise SpecError(f"the kubernetes build holds several jobs ({names_}); compose runs one per build",
                            file=spec.file, line=target.line, step="build")
        job_index = jobs[0]
        _check_flow_container(docs[job_index], spec.flow_container, resources[job_index].file)
        template = compile_template(docs, declarations=spec.parameters, name_rules=KUBERNETES_NAME_RULES,
                                    documents=True, file=resources[job_index].file)
        by_doc: dict[int, list[tuple[Any, ...]]] = {}
        for path in template.paths:
            by_doc.setdefault(path[0], []).append(tuple(path[1:]))
        problems: list[Problem] = []
        checkers: list[tuple[Any, list[tuple[Any, ...]]]] = []
        version = target.version or "1.32"
        per_doc: list[tuple[int, Any, Any, list[Problem]]] = []
        for i, (doc, res) in enumerate(zip(docs, resources)):
            paths = by_doc.get(i, [])
            found = validate_object(doc, version=version, skip_values=paths)
            if found:
                per_doc.append((i, doc, res, found))
                problems.extend(found)
            checkers.append((compile_value_checkers(doc, paths, version=version), paths))
        if problems and not provenance:
            # Rare path: build again recording which file (base or overlay patch) set each
            # field, so every problem points at the file and line to fix.
            return self._compile_k8s(names, provenance=True)
        origins: list[dict[KeyedPath, tuple[str, int | None]]] = []
        if provenance:
            for res in resources:
                table: dict[KeyedPath, tuple[str, int | None]] = {}
                base_tree = _original_tree(res)
                if base_tree is not None:
                    for keyed, line in _keyed_lines(base_tree, res.locations).items():
                        table[keyed] = (res.file, line)
                table.update(prov.get(id(res), {}))
                origins.append(table)
        if problems:
            for i, doc, res, found in per_doc:
                for p in found:
                    if p.file is None and p.path is not None and i < len(origins):
                        hit = _nearest_origin(origins[i], doc, p.path)
                        if hit is not None:
                            p.file, p.line = hit
                    p.file = p.file or res.file or None
            raise ValidationError(problems, what=_what(docs[job_index]), step="validate")
        return _K8sCompiled(template=template, job_index=job_index, checkers=checkers, origins=origins)

    # ECS -----------------------------------------------------------------------------------------
    def _load_ecs_base(self) -> dict[str, Document]:
        target = self.spec.targets["ecs"]
        files: list[Path] = []
        for base in target.base:
            files.extend(sorted(base.glob("*.y*ml")) if base.is_dir() else [base])
        found: dict[str, Document] = {}
        for f in files:
            if f.name not in (TASK_DEFINITION_FILE, RUN_TASK_FILE):
                continue
            docs = load_file(f, display=_shown(self.spec.root, f))
            if len(docs) != 1 or not isinstance(docs[0].data, dict):
                raise SpecError("must hold one YAML mapping", file=_shown(self.spec.root, f), step="load")
            found[f.name] = docs[0]
        if TASK_DEFINITION_FILE not in found:
            raise SpecError(f"the ecs base has no {TASK_DEFINITION_FILE}", file=self.spec.file, line=target.line, step="load")
        return found

    def _load_ecs_part(self, path: Path) -> Document:
        shown = _shown(self.spec.root, path)
        docs = load_file(path, display=shown)
        doc = docs[0] if docs else Document(data={}, file=shown)
        if len(docs) > 1 or not isinstance(doc.data, dict):
            raise SpecError("an overlay's ecs.yaml holds one mapping", file=shown, step="load")
        unknown = [k for k in doc.data if k not in _ECS_PART_KEYS]
        if unknown:
            raise SpecError(
                f"unknown field {unknown[0]!r} in an overlay's ECS part (fields: taskDefinition, runTask)",
                file=shown, line=doc.line_of((unknown[0],)), step="load",
            )
        for k in _ECS_PART_KEYS:
            if k in doc.data and not isinstance(doc.data[k], dict):
                raise SpecError(f"{k} must be a mapping", file=shown, line=doc.line_of((k,)), step="load")
        return doc

    def _compile_ecs(self, names: tuple[str, ...], provenance: bool) -> _EcsCompiled:
        from .merge import ecs_merge, run_task_merge

        assert self._ecs_docs is not None
        td_doc = self._ecs_docs[TASK_DEFINITION_FILE]
        rt_doc = self._ecs_docs.get(RUN_TASK_FILE)
        td: dict[str, Any] = td_doc.data
        rt: dict[str, Any] = rt_doc.data if rt_doc is not None else {}
        td_origin: dict[KeyedPath, tuple[str, int | None]] = {}
        rt_origin: dict[KeyedPath, tuple[str, int | None]] = {}
        if provenance:
            td_origin = {k: (td_doc.file, v) for k, v in _keyed_lines(td, td_doc.locations).items()}
            if rt_doc is not None:
                rt_origin = {k: (rt_doc.file, v) for k, v in _keyed_lines(rt, rt_doc.locations).items()}
        for name in names:
            part = self._ecs_parts.get(name)
            if part is None:
                continue
            for key, merge, origin in (("taskDefinition", ecs_merge, td_origin), ("runTask", run_task_merge, rt_origin)):
                patch = part.data.get(key)
                if patch is None:
                    continue
                before = td if key == "taskDefinition" else rt
                try:
                    after = merge(before, patch)
                except ComposeError as exc:
                    raise exc.with_context(file=part.file, line=part.line_of((key,) + tuple(exc.path or ())), step="merge")
                if provenance:
                    sub_locs = {p[1:]: loc for p, loc in part.locations.items() if p[:1] == (key,)}
                    lines = _keyed_lines(patch, sub_locs)
                    old = _keyed_leaves(before)
                    for keyed, (_p, value) in _keyed_leaves(after).items():
                        prev = old.get(keyed)
                        if prev is None or prev[1] != value:
                            origin[keyed] = (part.file, _line_for(lines, keyed))
                if key == "taskDefinition":
                    td = after
                else:
                    rt = after
        flow = self.spec.flow_container
        ecs_names = [c.get("name") for c in td.get("containerDefinitions") or [] if isinstance(c, dict)]
        if flow not in ecs_names:
            raise SpecError(
                f"the ECS task definition has no container named {flow!r} (the flow container; containers: "
                f"{', '.join(map(str, ecs_names)) or 'none'}); name it so or set flowContainer in compose.yaml",
                file=td_doc.file, line=td_doc.line_of(("containerDefinitions",)), step="build",
            )
        td, per_run = _split_per_run_env(td, flow, td_doc.file)
        decls = self.spec.parameters
        td_t = compile_template(td, declarations=decls, name_rules=ECS_NAME_RULES, documents=False, file=td_doc.file)
        bad = sorted({n for n in td_t.names if _is_context_name(n)})
        if bad:
            file, line, path = self._ecs_use_site(td, td_doc, names, bad[0])
            raise SpecError(
                f"the ECS task definition uses ${{{bad[0]}}}, a value that changes every run, outside the flow "
                "container's environment; that would register a new revision per run. Put per-run values in "
                "the flow container's environment (they travel in the RunTask overrides) or in run-task.yaml",
                file=file, line=line, path=path, step="build",
            )
        rt_t = compile_template(rt, declarations=decls, name_rules=None, documents=False,
                                file=rt_doc.file if rt_doc is not None else None)
        env_t = compile_template(per_run, declarations=decls, name_rules=None, documents=False) if per_run else None
        origins = [{**{("taskDefinition",) + k: v for k, v in td_origin.items()},
                    **{("runTask",) + k: v for k, v in rt_origin.items()}}] if provenance else []
        return _EcsCompiled(td=td_t, rt=rt_t, per_run_env=env_t, origins=origins)

    def _ecs_use_site(self, td: Mapping[str, Any], td_doc: Document, names: Sequence[str],
                      name: str) -> tuple[str, int | None, tuple[Any, ...] | None]:
        """File, line and merged-tree path of a use of ``${name}`` in the task definition.

        The file is the last applied overlay whose ECS part uses it, else the base.
        """
        from .spec.placeholders import find_placeholders

        uses = [u.path for u in find_placeholders(td)[0] if u.name == name]
        path = uses[0] if uses else None
        for overlay in reversed(names):
            part = self._ecs_parts.get(overlay)
            patch = part.data.get("taskDefinition") if part is not None else None
            if patch is None:
                continue
            found = [u.path for u in find_placeholders(patch)[0] if u.name == name]
            if found:
                return part.file, part.line_of(("taskDefinition",) + found[0]), path
        found = [u.path for u in find_placeholders(td_doc.data)[0] if u.name == name]
        return td_doc.file, td_doc.line_of(found[0]) if found else None, path

    # explain -------------------------------------------------------------------------------------
    def _origins(self, compiled: _K8sCompiled | _EcsCompiled, spec: Spec, selection: Selection) -> list[list[FieldOrigin]]:
        sources = selection.params.sources
        out: list[list[FieldOrigin]] = []
        docs = spec.documents()
        templates: list[tuple[Template, tuple[Any, ...]]] = []
        if isinstance(compiled, _K8sCompiled):
            templates = [(compiled.template, ())]
        else:
            templates = [(compiled.td, ("taskDefinition",)), (compiled.rt, ("runTask",))]
        filled: dict[tuple[Any, ...], str] = {}
        for template, prefix in templates:
            for use_path, names in template.uses:
                filled[prefix + use_path] = names[0]
        # List items keyed by a placeholder (`name: ${secret_env_name}`) are keyed by the
        # placeholder in the origin tables: look fields up in the unrendered tree too.
        if isinstance(compiled, _K8sCompiled):
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
                if path and path[-1] in (RUN_ID_LABEL, RUN_ID_ANNOTATION) and spec.run_id:
                    origin = ("compose: the run id", None)
                elif path == ("metadata", "name") and spec.run_id and isinstance(compiled, _K8sCompiled) \
                        and i == compiled.job_index:
                    base = origin
                    origin = ("compose: named after the run id"
                              + (f" (base name at {self._display(base[0])}:{base[1]})" if base else ""), None)
                elif origin is None and path[:2] == ("runTask", "overrides"):
                    origin = ("compose: per-run values moved out of the task definition", None)
                elif origin is None:
                    # added by a kustomization transformer (labels, namePrefix, namespace, ...)
                    origin = (self._base_kustomization(), None) if isinstance(compiled, _K8sCompiled) else ("(compose)", None)
                file, line = origin
                file = self._display(file)
                full = ((i,) + path) if isinstance(compiled, _K8sCompiled) else path
                param = filled.get(full)
                rows.append(FieldOrigin(path=path, value=value, file=file, line=line, parameter=param,
                                        source=sources.get(param) if param else None))
            out.append(rows)
        return out


# --- helpers ------------------------------------------------------------------------------------


def _origin_near(table: Mapping[KeyedPath, tuple[str, int | None]], keyed: KeyedPath) -> tuple[str, int | None] | None:
    """The origin of ``keyed``, else of its fields when a single file set them all."""
    hit = table.get(keyed)
    if hit is not None:
        return hit
    n = len(keyed)
    below = [v for k, v in table.items() if len(k) > n and k[:n] == keyed]
    if below and len({f for f, _ in below}) == 1:
        return min(below, key=lambda v: v[1] or 0)
    return None


def _nearest_origin(table: Mapping[KeyedPath, tuple[str, int | None]], tree: Any, path: Sequence[Any],
                    prefix: tuple[Any, ...] = ()) -> tuple[str, int | None] | None:
    """The origin of the field at ``path`` of ``tree``, else of its closest ancestor."""
    path = tuple(path)
    while True:
        keyed = _keyed(tree, path)
        hit = _origin_near(table, prefix + keyed) if keyed is not None else None
        if hit is not None or not path:
            return hit
        path = path[:-1]


def _failed(target: str, exc: ComposeError) -> Any:
    dummy = compile_template({}, name_rules=None, documents=False)
    if target == "kubernetes":
        return _K8sCompiled(template=dummy, job_index=0, checkers=[], error=exc)
    return _EcsCompiled(td=dummy, rt=dummy, per_run_env=None, error=exc)


def _problem_of(exc: ComposeError, source: str) -> Problem:
    return Problem(exc.message, file=exc.file, line=exc.line, path=exc.path, source=source)


def _only(base: Selection, name: str) -> Selection:
    from .spec.selection import OverlayDecision

    decisions = tuple(OverlayDecision(d.overlay, d.overlay.name == name, "validate" if d.overlay.name == name else None)
                      for d in base.decisions)
    return Selection(profile=base.profile, params=base.params, decisions=decisions)


def _get(tree: Any, path: Sequence[Any]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _what(job: Mapping[str, Any]) -> str:
    name = (job.get("metadata") or {}).get("name")
    return f"{job.get('kind', 'object')} {name!r}" if name else str(job.get("kind", "object"))


def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _check_flow_container(job: Mapping[str, Any], flow: str, file: str) -> None:
    spec = job.get("spec") or {}
    if job.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    containers = (((spec.get("template") or {}).get("spec")) or {}).get("containers") or []
    names = [c.get("name") for c in containers if isinstance(c, dict)]
    if flow not in names:
        raise SpecError(
            f"the {job.get('kind')} has no container named {flow!r} (the flow container; containers: "
            f"{', '.join(map(str, names)) or 'none'}); name it so or set flowContainer in compose.yaml",
            file=file or None, step="build",
        )


def _split_per_run_env(td: dict[str, Any], flow: str, file: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Take the flow container's env vars that use run-context placeholders out of ``td``."""
    from .spec.placeholders import find_placeholders

    containers = td.get("containerDefinitions")
    if not isinstance(containers, list):
        return td, []
    for ci, c in enumerate(containers):
        if not isinstance(c, dict) or c.get("name") != flow:
            continue
        env = c.get("environment")
        if not isinstance(env, list):
            return td, []
        keep: list[Any] = []
        moved: list[dict[str, Any]] = []
        for item in env:
            uses, _ = find_placeholders(item)
            if any(_is_context_name(u.name) for u in uses):
                moved.append(item)
            else:
                keep.append(item)
        if not moved:
            return td, []
        new_c = dict(c)
        if keep:
            new_c["environment"] = keep
        else:
            new_c.pop("environment")
        new_containers = list(containers)
        new_containers[ci] = new_c
        out = dict(td)
        out["containerDefinitions"] = new_containers
        return out, moved
    return td, []


def _first_line(locations: Mapping[tuple[Any, ...], Any]) -> int | None:
    loc = locations.get(()) if locations else None
    return loc[0] if loc else None


def _original_tree(res: Any) -> Any:
    """The resource as its file wrote it (its line table indexes that tree), or None."""
    from .yamlio import load_file as _load

    if not res.file or not res.locations:
        return None
    try:
        docs = _load(res.file)
    except ComposeError:
        return None
    for doc in docs:
        if doc.index == res.doc_index or len(docs) == 1:
            return doc.data
    return None
