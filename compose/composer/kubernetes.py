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

from ..errors import ComposeError, Problem, SpecError, ValidationError
from ..model import KubernetesSpec
from ..spec.placeholders import KUBERNETES_NAME_RULES, Template, compile_template
from .provenance import KeyedPath, replaced_lists, _first_line, _keyed_leaves, _keyed_lines, _line_for, _nearest_origin, _original_tree

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
    #: API-server warnings of the set (duplicate env vars, ports), located; for validate/explain.
    warnings: list[Problem] = field(default_factory=list)
    #: Substituted values whose field has an API-server format: (doc, path, rule, parameters).
    formats: list[tuple[int, tuple[Any, ...], str, tuple[str, ...]]] = field(default_factory=list)


def compile_k8s(composer: Composer, names: tuple[str, ...], provenance: bool) -> K8sCompiled:
    from ..k8s import compile_value_checkers, validate_object
    from ..k8s.apiserver import check_pod_template, format_rule
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
    warned: list[tuple[int, Any, Any, list[Problem]]] = []
    for i, (doc, res) in enumerate(zip(docs, resources)):
        paths = by_doc.get(i, [])
        found = validate_object(doc, version=version, skip_values=paths)
        if not found and i == job_index:
            # The API server's own checks, once the schema holds (they read the fields it types).
            found, warnings = check_pod_template(doc, skip=paths)
            _suggest_container_names(doc, found)
            if warnings:
                warned.append((i, doc, res, warnings))
        if found:
            per_doc.append((i, doc, res, found))
            problems.extend(found)
        checkers.append((compile_value_checkers(doc, paths, version=version), paths))
    formats = []
    for path, params in template.uses:
        rule = format_rule(tuple(path[1:]))
        if rule is not None:
            formats.append((path[0], tuple(path[1:]), rule, params))
    if (problems or warned) and not provenance:
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
    for i, doc, res, found in per_doc + warned:
        for p in found:
            if p.file is None and p.path is not None and i < len(origins):
                hit = _nearest_origin(origins[i], doc, p.path)
                if hit is not None:
                    p.file, p.line = hit
            p.file = p.file or res.file or None
    if problems:
        raise ValidationError(problems, what=_what(docs[job_index]), step="validate")
    return K8sCompiled(template=template, job_index=job_index, checkers=checkers, origins=origins,
                       warnings=[p for *_, ws in warned for p in ws], formats=formats)


def _suggest_container_names(job: Mapping[str, Any], problems: list[Problem]) -> None:
    """A container without an image whose name is close to another's: a patch's typo added it."""
    from ..suggest import closest

    pod: Any = job
    for part in ("spec", "template", "spec") if job.get("kind") != "CronJob" else \
            ("spec", "jobTemplate", "spec", "template", "spec"):
        pod = pod.get(part) if isinstance(pod, dict) else None
    if not isinstance(pod, dict):
        return
    named = [c.get("name") for group in ("containers", "initContainers") for c in pod.get(group) or []
             if isinstance(c, dict) and c.get("image") and isinstance(c.get("name"), str)]
    for p in problems:
        if p.path and p.path[-1] == "image" and "has no image" in p.message:
            container = _get(job, p.path[:-1])
            name = container.get("name") if isinstance(container, dict) else None
            hit = closest(name, named) if isinstance(name, str) and len(name) <= 253 else None
            if hit:
                p.message += (f"; did you mean {hit!r}? A strategic merge patch naming a container the base "
                              f"lacks adds a new container")



def render_k8s(composer: Composer, compiled: K8sCompiled, values: Mapping[str, Any], run_id: str) -> KubernetesSpec:
    docs = compiled.template.render(values, fresh=True)
    problems: list[Problem] = []
    for doc, (checker, paths) in zip(docs, compiled.checkers):
        if not paths:
            continue
        found = checker.check_sequence([_get(doc, p) for p in paths])
        problems.extend(found)
    if compiled.formats and not problems:
        from ..errors import format_path
        from ..k8s.apiserver import check_format

        for i, path, rule, params in compiled.formats:
            value = _get(docs[i], path)
            why = check_format(rule, value)
            if why:
                via = ", ".join(f"${{{n}}}" for n in params)
                problems.append(Problem(f"{format_path(path)} = {value!r} (set by {via}) {why}", path=path))
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




def quiet_k8s(composer: Composer, names: tuple[str, ...]) -> list[Problem]:
    """Quiet overlays of one Kubernetes set: patches whose target selects nothing, and atomic
    lists (tolerations, args, command, ...) that a later overlay replaced after an earlier one
    set them. Builds the set once more with a patch hook; for ``validate`` and ``explain``."""
    import os

    from ..kustomize import build
    from ..kustomize.loader import find_kustomization_file
    from ..yamlio import load_file

    spec = composer.spec
    overlays = [spec.overlay(n) for n in names]
    dirs = [(str(o.kubernetes) + os.sep, o.name) for o in overlays if o.kubernetes is not None]

    def owner(file: str) -> str | None:
        for prefix, name in dirs:
            if file.startswith(prefix):
                return name
        return None

    calls: list[tuple[str, int | None]] = []
    tables: dict[int, dict[KeyedPath, tuple[str, int | None]]] = {}
    out: list[Problem] = []
    reported: set[tuple[Any, ...]] = set()

    def on_patch(resource: Any, patch_file: str, patch_locations: Mapping[Any, Any], before: Mapping[str, Any]) -> None:
        first = min((v[0] for v in patch_locations.values()), default=None) if patch_locations else None
        calls.append((patch_file, first))
        table = tables.setdefault(id(resource), {})
        before_leaves = _keyed_leaves(before)
        after_leaves = _keyed_leaves(resource.data)
        me = owner(patch_file)
        patch_tree = getattr(patch_locations, "tree", None)
        lines = _keyed_lines(patch_tree, patch_locations) if patch_tree is not None else {}
        for keyed_list, list_path in replaced_lists(before, resource.data):
            origins = [v for k, v in table.items() if k[: len(keyed_list)] == keyed_list and owner(v[0]) not in (None, me)]
            if not origins or me is None:
                continue
            origin = origins[0]
            other = owner(origin[0])
            if patch_tree is not None and _explicit_replace(patch_tree, list_path[-1]):
                continue
            key = (me, other, list_path)
            if key in reported:
                continue
            reported.add(key)
            from ..errors import format_path

            out.append(Problem(
                f"overlay {me!r} replaces {format_path(list_path)}, which overlay {other!r} set "
                f"({composer._display(origin[0])}:{origin[1]}): a strategic merge replaces this list whole, "  # noqa: SLF001
                f"so {other!r}'s items are lost when both apply; append with a JSON patch (`/-`) instead",
                file=composer._display(patch_file), line=_line_for(lines, keyed_list) if lines else first,  # noqa: SLF001
                path=list_path))
        for keyed, (_path, value) in after_leaves.items():
            old = before_leaves.get(keyed)
            if old is None or old[1] != value:
                table[keyed] = (patch_file, _line_for(lines, keyed) if lines else first)

    try:
        build(spec.targets["kubernetes"].base[0], merge_order=spec.merge_order,  # type: ignore[arg-type]
              extra_components=[o.kubernetes for o in overlays if o.kubernetes is not None], on_patch=on_patch)
    except Exception:  # noqa: BLE001 - the set's own build reports its errors
        return out
    for o in overlays:
        if o.kubernetes is None:
            continue
        try:
            kfile = find_kustomization_file(o.kubernetes)
            doc = load_file(kfile)[0]
        except (ComposeError, IndexError):
            continue
        entries = doc.data.get("patches") if isinstance(doc.data, dict) else None
        if not isinstance(entries, list):
            continue
        kreal = str(kfile)
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("target"), dict):
                continue
            if isinstance(entry.get("path"), str):
                want = os.path.normpath(os.path.join(str(o.kubernetes), entry["path"]))
                applied = any(f == want for f, _ in calls)
            else:
                start = doc.line_of(("patches", i)) or 0
                end = (doc.line_of(("patches", i + 1)) or 10**9) if i + 1 < len(entries) else 10**9
                applied = any(f == kreal and ln is not None and start <= ln < end for f, ln in calls)
            if not applied:
                target = ", ".join(f"{k}: {v}" for k, v in entry["target"].items())
                out.append(Problem(
                    f"overlay {o.name!r}: the patch's target ({target}) selects no resource of this build, so the "
                    "patch changes nothing (Kustomize does not complain)",
                    file=composer._display(kreal), line=doc.line_of(("patches", i, "target")),  # noqa: SLF001
                    path=("patches", i, "target")))
    return out


def _explicit_replace(patch: Any, field_name: Any) -> bool:
    """Whether ``patch`` replaces a list called ``field_name`` on purpose (``$patch: replace``)."""
    stack = [patch]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            value = node.get(field_name)
            if isinstance(value, list) and any(isinstance(i, dict) and i.get("$patch") == "replace" for i in value):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
