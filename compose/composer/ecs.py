"""The ECS target: task definition and RunTask request merged from the base and overlay parts.

The base (``task-definition.yaml`` + optional ``run-task.yaml``) and each overlay's
``ecs.yaml`` (``taskDefinition:``/``runTask:`` patches) merge with the ECS strategic merge
(:mod:`compose.merge.ecs`). The flow container's environment variables that use the run
context move into the RunTask overrides, so one profile keeps one task definition revision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ComposeError, Problem, SpecError, ValidationError
from ..model import EcsSpec
from ..spec.placeholders import CONTEXT_NAMES, ECS_NAME_RULES, Template, compile_template
from ..yamlio import Document, load_file
from .provenance import KeyedPath, replaced_lists, _keyed_leaves, _keyed_lines, _line_for

if TYPE_CHECKING:
    from .core import Composer

__all__ = ["TASK_DEFINITION_FILE", "RUN_TASK_FILE"]

#: File names of the ECS base (in the base directory, or among the listed files).
TASK_DEFINITION_FILE = "task-definition.yaml"
RUN_TASK_FILE = "run-task.yaml"
_ECS_PART_KEYS = ("taskDefinition", "runTask")


def _is_context_name(name: str) -> bool:
    return name in CONTEXT_NAMES or name.startswith("run.labels.")


@dataclass
class EcsCompiled:
    td: Template
    rt: Template
    per_run_env: Template | None
    origins: list[dict[KeyedPath, tuple[str, int | None]]] = field(default_factory=list)
    error: ComposeError | None = None


def load_ecs_base(composer: Composer) -> dict[str, Document]:
    target = composer.spec.targets["ecs"]
    files: list[Path] = []
    for base in target.base:
        files.extend(sorted(base.glob("*.y*ml")) if base.is_dir() else [base])
    found: dict[str, Document] = {}
    for f in files:
        if f.name not in (TASK_DEFINITION_FILE, RUN_TASK_FILE):
            continue
        docs = load_file(f, display=_shown(composer.spec.root, f))
        if len(docs) != 1 or not isinstance(docs[0].data, dict):
            raise SpecError("must hold one YAML mapping", file=_shown(composer.spec.root, f), step="load")
        found[f.name] = docs[0]
    if TASK_DEFINITION_FILE not in found:
        raise SpecError(f"the ecs base has no {TASK_DEFINITION_FILE}", file=composer.spec.file, line=target.line, step="load")
    return found



def load_ecs_part(composer: Composer, path: Path) -> Document:
    shown = _shown(composer.spec.root, path)
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



def compile_ecs(composer: Composer, names: tuple[str, ...], provenance: bool) -> EcsCompiled:
    from ..merge import ecs_merge, run_task_merge

    assert composer._ecs_docs is not None
    td_doc = composer._ecs_docs[TASK_DEFINITION_FILE]
    rt_doc = composer._ecs_docs.get(RUN_TASK_FILE)
    td: dict[str, Any] = td_doc.data
    rt: dict[str, Any] = rt_doc.data if rt_doc is not None else {}
    td_origin: dict[KeyedPath, tuple[str, int | None]] = {}
    rt_origin: dict[KeyedPath, tuple[str, int | None]] = {}
    if provenance:
        td_origin = {k: (td_doc.file, v) for k, v in _keyed_lines(td, td_doc.locations).items()}
        if rt_doc is not None:
            rt_origin = {k: (rt_doc.file, v) for k, v in _keyed_lines(rt, rt_doc.locations).items()}
    for name in names:
        part = composer._ecs_parts.get(name)
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
    flow = composer.spec.flow_container
    ecs_names = [c.get("name") for c in td.get("containerDefinitions") or [] if isinstance(c, dict)]
    if flow not in ecs_names:
        raise SpecError(
            f"the ECS task definition has no container named {flow!r} (the flow container; containers: "
            f"{', '.join(map(str, ecs_names)) or 'none'}); name it so or set flowContainer in compose.yaml",
            file=td_doc.file, line=td_doc.line_of(("containerDefinitions",)), step="build",
        )
    td, per_run = _split_per_run_env(td, flow, td_doc.file)
    decls = composer.spec.parameters
    td_t = compile_template(td, declarations=decls, name_rules=ECS_NAME_RULES, documents=False, file=td_doc.file)
    bad = sorted({n for n in td_t.names if _is_context_name(n)})
    if bad:
        file, line, path = ecs_use_site(composer, td, td_doc, names, bad[0])
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
    return EcsCompiled(td=td_t, rt=rt_t, per_run_env=env_t, origins=origins)



def ecs_use_site(composer: Composer, td: Mapping[str, Any], td_doc: Document, names: Sequence[str],
                  name: str) -> tuple[str, int | None, tuple[Any, ...] | None]:
    """File, line and merged-tree path of a use of ``${name}`` in the task definition.

    The file is the last applied overlay whose ECS part uses it, else the base.
    """
    from ..spec.placeholders import find_placeholders

    uses = [u.path for u in find_placeholders(td)[0] if u.name == name]
    path = uses[0] if uses else None
    for overlay in reversed(names):
        part = composer._ecs_parts.get(overlay)
        patch = part.data.get("taskDefinition") if part is not None else None
        if patch is None:
            continue
        found = [u.path for u in find_placeholders(patch)[0] if u.name == name]
        if found:
            return part.file, part.line_of(("taskDefinition",) + found[0]), path
    found = [u.path for u in find_placeholders(td_doc.data)[0] if u.name == name]
    return td_doc.file, td_doc.line_of(found[0]) if found else None, path



def render_ecs(composer: Composer, compiled: EcsCompiled, values: Mapping[str, Any], run_id: str) -> EcsSpec:
    from ..ecs import validate_run_task, validate_task_definition

    td = compiled.td.render(values, fresh=True)
    rt = compiled.rt.render(values, fresh=True)
    if composer.spec.targets["ecs"].fargate_sizes == "roundUp":
        round_fargate_size(td)
    td_problems = validate_task_definition(td)
    if td_problems:
        _suggest_container_names(td, td_problems)
    overrides: dict[str, Any] = {}
    if compiled.per_run_env is not None:
        env = compiled.per_run_env.render(values, fresh=True)
        overrides = {"containerOverrides": [{"name": composer.spec.flow_container, "environment": env}]}
        if isinstance(rt.get("overrides"), dict):
            # The spec repo's own overrides (run-task.yaml, overlays) stay; per-run env joins them.
            from ..merge import run_task_merge

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
                   flow_container=composer.spec.flow_container, run_id=run_id)



def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)



def _split_per_run_env(td: dict[str, Any], flow: str, file: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Take the flow container's env vars that use run-context placeholders out of ``td``."""
    from ..spec.placeholders import find_placeholders

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




def _suggest_container_names(td: Mapping[str, Any], problems: Sequence[Any]) -> None:
    """A container without an image named like another: an overlay's typo added a container."""
    from ..suggest import closest

    containers = td.get("containerDefinitions")
    if not isinstance(containers, list):
        return
    named = [c.get("name") for c in containers if isinstance(c, dict) and c.get("image") and isinstance(c.get("name"), str)]
    for p in problems:
        path = p.path or ()
        if len(path) == 3 and path[0] == "containerDefinitions" and path[2] == "image" and isinstance(path[1], int) \
                and path[1] < len(containers) and isinstance(containers[path[1]], dict):
            name = containers[path[1]].get("name")
            hit = closest(name, named) if isinstance(name, str) and len(name) <= 253 else None
            if hit:
                p.message += (f" (container {name!r}: did you mean {hit!r}? An overlay naming a container the base "
                              "lacks adds a new container)")


def quiet_ecs(composer: Composer, names: tuple[str, ...]) -> list[Problem]:
    """Lists (command, entryPoint, placement, ...) that a later overlay's ECS part replaced
    after an earlier overlay set them: the earlier overlay's items are lost."""
    from ..errors import format_path
    from ..merge import ecs_merge, run_task_merge

    assert composer._ecs_docs is not None  # noqa: SLF001
    trees: dict[str, Any] = {
        "taskDefinition": composer._ecs_docs[TASK_DEFINITION_FILE].data,  # noqa: SLF001
        "runTask": composer._ecs_docs[RUN_TASK_FILE].data if RUN_TASK_FILE in composer._ecs_docs else {},  # noqa: SLF001
    }
    origin: dict[tuple[Any, ...], tuple[str, str, int | None]] = {}
    out: list[Problem] = []
    reported: set[tuple[Any, ...]] = set()
    for name in names:
        part = composer._ecs_parts.get(name)  # noqa: SLF001
        if part is None:
            continue
        for key, merge in (("taskDefinition", ecs_merge), ("runTask", run_task_merge)):
            patch = part.data.get(key)
            if patch is None:
                continue
            before = trees[key]
            try:
                after = merge(before, patch)
            except ComposeError:
                return out
            old = _keyed_leaves(before)
            new = _keyed_leaves(after)
            for keyed_list, plain in replaced_lists(before, after):
                full = (key,) + keyed_list
                hits = [v for k, v in origin.items() if k[: len(full)] == full and v[0] != name]
                if not hits:
                    continue
                hit = hits[0]
                list_path = (key,) + tuple(plain)
                from .kubernetes import _explicit_replace

                if _explicit_replace(patch, list_path[-1]):
                    continue
                if (name, hit[0], list_path) in reported:
                    continue
                reported.add((name, hit[0], list_path))
                out.append(Problem(
                    f"overlay {name!r} replaces {format_path(list_path)}, which overlay {hit[0]!r} set "
                    f"({hit[1]}:{hit[2]}): the ECS merge replaces this list whole, so {hit[0]!r}'s items are lost "
                    "when both apply", file=part.file, line=part.line_of((key,)), path=list_path))
            for keyed, (path, value) in new.items():
                prev = old.get(keyed)
                if prev is None or prev[1] != value:
                    origin[(key,) + keyed] = (name, part.file, part.line_of((key,) + tuple(path)))
            trees[key] = after
    return out


def round_fargate_size(td: dict[str, Any]) -> tuple[tuple[Any, Any], tuple[str, str]] | None:
    """Round a Fargate task's cpu/memory up to the nearest valid pair, in place.

    Returns ``((old cpu, old memory), (new cpu, new memory))`` when it changed them, else None.
    """
    from ..ecs.sizes import fargate_memory_choices, parse_cpu, parse_memory, round_up_fargate

    compat = td.get("requiresCompatibilities")
    if not isinstance(compat, list) or "FARGATE" not in compat:
        return None
    cpu, memory = parse_cpu(td.get("cpu")), parse_memory(td.get("memory"))
    if cpu is None or memory is None or memory in fargate_memory_choices(cpu):
        return None
    windows = "WINDOWS" in str((td.get("runtimePlatform") or {}).get("operatingSystemFamily", "")).upper()
    hit = round_up_fargate(cpu, memory, windows=windows)
    if hit is None:
        return None
    old = (td.get("cpu"), td.get("memory"))
    td["cpu"], td["memory"] = str(hit[0]), str(hit[1])
    return old, (td["cpu"], td["memory"])
