"""The patch steps of a build: ``patchesStrategicMerge``, ``patches`` and ``patchesJson6902``.

Mirrors Kustomize v5.5's PatchStrategicMergeTransformer, PatchTransformer and
PatchJson6902Transformer:

- A ``patches`` entry holds a ``path:`` or an inline ``patch:`` (not both). Its content is a
  JSON 6902 patch when it is a list of operations (JSON or YAML) and strategic merge patches
  when it is one or more mappings, each with ``kind`` and ``metadata.name``.
- A strategic merge patch without ``target`` applies to the one resource whose identity (any
  it has had in the build: group, version, kind, name, namespace) is the patch's; none or
  several is an error. With ``target`` it applies to every selected resource, and selecting
  none is not an error. The patched resource keeps its name, kind and namespace unless the
  entry's ``options`` say ``allowNameChange`` / ``allowKindChange``. ``$patch: delete`` at
  the top removes the resource.
- A JSON 6902 patch needs a ``target`` (``patchesJson6902`` also needs a target name) and is
  applied to every selected resource; after it, ``metadata.annotations`` values become strings
  and an emptied annotations map is removed, as Kustomize's annotation round trip does.
- ``patchesStrategicMerge`` entries are files, or inline content when they read as resources.
- A strategic merge keeps the style of the value it overwrites, as kyaml does: each resource
  carries the paths of its values written quoted or as a block (``Resource.quoted``, from
  the loader's side table), each patch document its own and the text of its numbers; the
  merge gives the patched resource's table back. A JSON 6902 patch, which Kustomize applies
  to JSON, resets it to unknown (then only strings YAML must quote count as quoted).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from .._record import field
from .._record import record as dataclass
from typing import Any, Literal

from ..errors import ComposeError, KustomizationError, MergeError, PatchError
from ..yamlio import Document, load_documents
from .json6902 import apply_patch, parse_patch
from .loader import Kustomization, PatchSpec
from .resource import Resource, ResId, split_api_version
from .selector import SelectorSyntaxError, id_matches, select

__all__ = ["LoadedPatch", "load_patch", "load_strategic_merge_entry", "load_json6902_entry", "apply_patches", "OnPatch"]

#: ``on_patch(resource, patch_file, patch_locations, before)``: called after each patch.
#: For a strategic merge patch, ``patch_locations`` is a :class:`PatchLocations`: its
#: ``tree`` attribute holds the patch document itself.
OnPatch = Callable[[Resource, str, dict, dict], None]


class PatchLocations(dict):  # type: ignore[type-arg]
    """A patch's line table (field path -> (line, column)) that also carries the patch."""

    tree: Any = None

    @classmethod
    def of(cls, locations: dict, tree: Any) -> "PatchLocations":  # type: ignore[type-arg]
        table = cls(locations)
        table.tree = tree
        return table


@dataclass
class LoadedPatch:
    """A patch entry with its content read and classified.

    Attributes:
        kind: ``"strategic"`` or ``"json6902"``.
        file: the patch file, or the kustomization file for an inline patch.
        line: the line of the entry in the kustomization file.
        docs: strategic merge patches, each with its line table (lines of ``file``).
        ops: JSON 6902 operations.
        op_lines: line of each operation in ``file``, when known.
        target: the selector, or None.
        options: ``allowNameChange`` / ``allowKindChange``.
        legacy_json6902: from ``patchesJson6902`` (no previous-id bookkeeping, as Kustomize).
    """

    kind: Literal["strategic", "json6902"]
    file: str
    line: int | None
    docs: list[Document] = field(default_factory=list)
    ops: list[dict[str, Any]] = field(default_factory=list)
    op_lines: list[int | None] = field(default_factory=list)
    ops_locations: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    target: dict[str, str] | None = None
    options: dict[str, bool] = field(default_factory=dict)
    legacy_json6902: bool = False


ReadText = Callable[[str, tuple[Any, ...]], tuple[str, str]]


def _shift(doc: Document, offset: int) -> Document:
    if offset:
        doc.locations = {p: (line + offset, col) for p, (line, col) in doc.locations.items()}
    return doc


def _inline_offset(k: Kustomization, path: tuple[Any, ...], raw: str) -> int:
    """Lines to add to a line of an inline patch to get its line in the kustomization file."""
    line = k.line_of(path)
    if line is None:
        return 0
    leading = len(raw) - len(raw.lstrip("\n"))
    # A block scalar (the usual `patch: |-`) starts on the line after its indicator.
    return (line if "\n" in raw.strip() or raw.endswith("\n") else line - 1) + leading


def _content(k: Kustomization, spec: PatchSpec, read_text: ReadText, what: str) -> tuple[str, str, int]:
    """(text, file, line offset) of a patch entry."""
    if spec.path and spec.patch:
        raise k.error(f"{what}: 'patch' and 'path' cannot be set at the same time", spec.field_path)
    if spec.path:
        text, shown = read_text(spec.path, spec.field_path + ("path",))
        return text, shown, 0
    raw = spec.patch or ""
    text = raw.strip()
    if not text:
        raise k.error(f"{what}: one of 'patch' and 'path' must be set", spec.field_path)
    return text, k.file, _inline_offset(k, spec.field_path + ("patch",), raw)


def _strategic_docs(docs: list[Document], file: str, k: Kustomization, spec_path: tuple[Any, ...]) -> list[Document]:
    out = []
    for d in docs:
        data = d.data
        if not isinstance(data, dict):
            raise KustomizationError(
                f"a strategic merge patch must be a mapping, found {type(data).__name__}",
                file=file, line=d.line_of(()), step="patch",
            )
        md = data.get("metadata")
        if not data.get("kind"):
            raise KustomizationError(
                "a strategic merge patch needs 'kind' (and 'metadata.name'); "
                "a JSON 6902 patch is a list of operations",
                file=file, line=d.line_of(()), step="patch",
            )
        if not isinstance(md, dict) or not md.get("name"):
            raise KustomizationError(
                "a strategic merge patch needs 'metadata.name'", file=file, line=d.line_of(()), step="patch"
            )
        out.append(d)
    return out


def _json_ops(text: str, docs: list[Document], file: str) -> tuple[list[dict[str, Any]], list[int | None], dict]:
    """The operations, the line of each, and the line table (``docs`` are already shifted)."""
    ops = parse_patch(text, file)
    locations = docs[0].locations if docs else {}
    lines = [None if (loc := locations.get((i,))) is None else loc[0] for i in range(len(ops))]
    return ops, lines, dict(locations)


def load_patch(k: Kustomization, spec: PatchSpec, read_text: ReadText) -> LoadedPatch:
    """Read and classify one ``patches`` entry.

    Raises:
        KustomizationError: a malformed entry; YAMLSyntaxError: malformed content.
    """
    text, file, offset = _content(k, spec, read_text, "patches")
    line = k.line_of(spec.field_path)
    docs = load_documents(text, file)
    for d in docs:
        _shift(d, offset)
    if len(docs) == 1 and isinstance(docs[0].data, list):
        ops, lines, locs = _json_ops(text, docs, file)
        if not ops:
            raise PatchError("the JSON patch is empty", file=file, line=line, step="patch")
        if not spec.target:
            raise k.error("a JSON 6902 patch needs a 'target'", spec.field_path)
        return LoadedPatch("json6902", file, line, ops=ops, op_lines=lines, ops_locations=locs,
                           target=spec.target, options=spec.options)
    if not docs:
        raise KustomizationError("the patch is empty", file=file, line=line, step="patch")
    return LoadedPatch("strategic", file, line, docs=_strategic_docs(docs, file, k, spec.field_path),
                       target=spec.target, options=spec.options)


def load_strategic_merge_entry(k: Kustomization, spec: PatchSpec, read_text: ReadText) -> LoadedPatch:
    """Read one ``patchesStrategicMerge`` entry (inline content, or else a file path)."""
    raw = spec.patch or ""
    line = k.line_of(spec.field_path)
    docs: list[Document] | None = None
    file = k.file
    try:
        inline = load_documents(raw, k.file)
    except ComposeError:
        inline = []
    if inline and all(isinstance(d.data, dict) for d in inline):
        docs = [_shift(d, _inline_offset(k, spec.field_path, raw)) for d in inline]
    else:
        text, file = read_text(raw.strip(), spec.field_path)
        docs = load_documents(text, file)
    if not docs:
        raise KustomizationError("the patch is empty", file=file, line=line, step="patch")
    return LoadedPatch("strategic", file, line, docs=_strategic_docs(docs, file, k, spec.field_path))


def load_json6902_entry(k: Kustomization, spec: PatchSpec, read_text: ReadText) -> LoadedPatch:
    """Read one ``patchesJson6902`` entry (a target with a name, and a path or inline ops)."""
    if not spec.target or not spec.target.get("name"):
        raise k.error("patchesJson6902: the target must name a resource ('target.name')", spec.field_path)
    text, file, offset = _content(k, spec, read_text, "patchesJson6902")
    docs = [_shift(d, offset) for d in load_documents(text, file)]
    ops, lines, locs = _json_ops(text, docs, file)
    if not ops:
        raise PatchError("the JSON patch is empty", file=file, line=k.line_of(spec.field_path), step="patch")
    return LoadedPatch("json6902", file, k.line_of(spec.field_path), ops=ops, op_lines=lines,
                       ops_locations=locs, target=spec.target, legacy_json6902=True)


# --- applying -------------------------------------------------------------------------------


def _patch_id(data: dict[str, Any]) -> ResId:
    group, version = split_api_version(str(data.get("apiVersion") or ""))
    md = data.get("metadata") or {}
    return ResId(group, version, str(data.get("kind") or ""), str(md.get("name") or ""), str(md.get("namespace") or ""))


def _select(patch: LoadedPatch, resources: list[Resource]) -> list[Resource]:
    try:
        return select(resources, patch.target or {})
    except SelectorSyntaxError as exc:
        raise KustomizationError(str(exc), file=patch.file, line=patch.line, step="patch") from None


def _set_meta(data: dict[str, Any], key: str, value: str) -> None:
    md = data.get("metadata")
    if value:
        if not isinstance(md, dict):
            md = data["metadata"] = {}
        md[key] = value
    elif isinstance(md, dict):
        md.pop(key, None)


def _apply_strategic(
    res: Resource, doc: Document, patch: LoadedPatch, merge_order: str, on_patch: OnPatch | None, schema: Any = None
) -> bool:
    """Apply one strategic merge patch to ``res``; False when the patch deletes it."""
    from ..merge import strategic_merge
    from ..merge.kyaml import Styles

    body = copy.deepcopy(doc.data)
    if body.get("$patch") == "delete":
        return False
    body["apiVersion"] = res.data.get("apiVersion")
    before_id = res.id
    name, namespace, kind = res.name, res.namespace, res.kind
    styles = Styles(res.quoted, doc.quoted, doc.plain_texts) if merge_order == "kustomize" else None
    try:
        if schema is not None:
            merged = schema.merge(res.data, body, order=merge_order, styles=styles)
        else:
            merged = strategic_merge(res.data, body, order=merge_order, styles=styles)  # type: ignore[arg-type]
    except MergeError as exc:
        line = doc.line_of(exc.path) if exc.path else doc.line_of(())
        raise exc.with_context(file=patch.file, line=line, step="patch") from None
    if not merged:
        return False
    allow_name = patch.options.get("allowNameChange", False)
    allow_kind = patch.options.get("allowKindChange", False)
    if not allow_kind:
        merged["kind"] = kind
    if not allow_name:
        _set_meta(merged, "name", name)
    _set_meta(merged, "namespace", namespace)
    before = res.data
    res.data = merged
    res.quoted = styles.result_quoted if styles is not None else None
    if allow_name or allow_kind:
        res.previous.append(before_id)
    _after_patch(res, before, strategic=True)
    if on_patch is not None:
        on_patch(res, patch.file, PatchLocations.of(doc.locations, doc.data), before)
    return True


def _stringify_annotations(data: dict[str, Any]) -> None:
    md = data.get("metadata")
    if not isinstance(md, dict) or "annotations" not in md:
        return
    ann = md.get("annotations")
    if not ann:
        md.pop("annotations", None)
        return
    if isinstance(ann, dict):
        md["annotations"] = {str(k): _go_text(v) for k, v in ann.items()}


def _go_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value) if not isinstance(value, str) else value


def _after_patch(res: Resource, before: dict[str, Any], *, strategic: bool) -> None:
    """Let the label/annotation transformers keep their shared values in step (see aliases)."""
    from .transformers import aliases

    aliases.after_patch(res, before, strategic=strategic)


def _has_build_annotations(res: Resource) -> bool:
    """Whether Kustomize would carry internal annotations on ``res`` at this point.

    Kustomize keeps its bookkeeping (previous names, generator behavior, applied prefixes) as
    ``internal.config.kubernetes.io/*`` annotations, so such a resource has a
    ``metadata.annotations`` map during a JSON patch even when its manifest shows none.
    """
    return bool(
        res.previous
        or res.needs_hash
        or res.generator_behavior is not None
        or getattr(res, "name_prefixes", None)
        or getattr(res, "name_suffixes", None)
    )


def _apply_json(res: Resource, patch: LoadedPatch, on_patch: OnPatch | None) -> None:
    if not patch.legacy_json6902:
        # Kustomize's PatchTransformer stores the previous id before every JSON patch.
        res.previous.append(res.id)
    data = res.data
    md = data.get("metadata")
    if _has_build_annotations(res) and isinstance(md, dict) and "annotations" not in md:
        data = {**data, "metadata": {**md, "annotations": {}}}
    line_of = (lambda i: patch.op_lines[i] if i < len(patch.op_lines) else None)
    try:
        new = apply_patch(data, patch.ops, file=patch.file, line_of=line_of)
    except PatchError as exc:
        exc.message += f" (patching {res.kind} {res.name!r} from {res.where()})"
        raise
    _stringify_annotations(new)
    before = res.data
    res.data = new
    res.quoted = None  # kustomize applies it to JSON: strings YAML must quote come back quoted, others plain
    _after_patch(res, before, strategic=False)
    if on_patch is not None:
        on_patch(res, patch.file, patch.ops_locations, before)


def apply_patches(
    resources: list[Resource],
    patches: Sequence[LoadedPatch],
    *,
    merge_order: str = "kustomize",
    on_patch: OnPatch | None = None,
    schema: Any = None,
) -> list[Resource]:
    """Apply ``patches`` in order; return the resources that remain (patches may delete).

    ``schema`` (a :class:`compose.kustomize.openapi.CustomSchema`) replaces the Kubernetes
    schema for strategic merges, as a kustomization's ``openapi:`` does."""
    for patch in patches:
        if patch.kind == "json6902":
            for res in _select(patch, resources):
                _apply_json(res, patch, on_patch)
            continue
        for doc in patch.docs:
            if patch.target is None:
                wanted = _patch_id(doc.data)
                scoped = wanted.is_cluster_scoped()
                found = [r for r in resources if id_matches(r, wanted, scoped)]
                if len(found) != 1:
                    how = "no resource matches" if not found else f"{len(found)} resources match"
                    raise KustomizationError(
                        f"{how} strategic merge patch for {wanted}"
                        + ("" if found else " (a patch without 'target' must name an existing resource)"),
                        file=patch.file, line=doc.line_of(()), step="patch",
                    )
                targets = found
            else:
                targets = _select(patch, resources)
            removed = [r for r in targets if not _apply_strategic(r, doc, patch, merge_order, on_patch, schema)]
            if removed:
                resources = [r for r in resources if all(r is not x for x in removed)]
    return resources
