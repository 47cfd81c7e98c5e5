"""The Kubernetes target: an overlay set built, validated and compiled once; rendered per run.

The base kustomization is built with the selected overlays as Kustomize Components
(:func:`compose.kustomize.build`), the result validated against the OpenAPI schema with the
placeholder values left out, and compiled into a substitution plan (:class:`K8sCompiled`).
Each run then substitutes its values and checks only those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Problem, SpecError, ValidationError
from ..model import KubernetesSpec
from ..spec.placeholders import KUBERNETES_NAME_RULES, Template, compile_template
from .provenance import KeyedPath, _first_line, _keyed_leaves, _keyed_lines, _line_for, _nearest_origin, _original_tree

if TYPE_CHECKING:
    from .core import Composer

_WORKLOAD_KINDS = ("Job", "CronJob")


@dataclass
class K8sCompiled:
    template: Template
    job_index: int
    checkers: list[tuple[Any, list[tuple[Any, ...]]]]  # per doc: (checker, doc-relative paths)
    origins: list[dict[KeyedPath, tuple[str, int | None]]] = field(default_factory=list)
    error: Any = None  # a ComposeError when the set failed to build


def compile_k8s(composer: Composer, names: tuple[str, ...], provenance: bool) -> K8sCompiled:
    from ..k8s import compile_value_checkers, validate_object
    from ..kustomize import build

    spec = composer.spec
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
        return compile_k8s(composer, names, provenance=True)
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
    return K8sCompiled(template=template, job_index=job_index, checkers=checkers, origins=origins)



def render_k8s(composer: Composer, compiled: K8sCompiled, values: Mapping[str, Any], run_id: str) -> KubernetesSpec:
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
        from ..runner.kubernetes import mark_for_run

        mark_for_run(job, run_id)
    return KubernetesSpec(objects=docs, job=job, flow_container=composer.spec.flow_container, run_id=run_id)



def _get(tree: Any, path: Sequence[Any]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _what(job: Mapping[str, Any]) -> str:
    name = (job.get("metadata") or {}).get("name")
    return f"{job.get('kind', 'object')} {name!r}" if name else str(job.get("kind", "object"))




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


