"""replacements, as Kustomize v5.5's ReplacementTransformer (api/filters/replacement).

Each replacement copies one value from a source resource into fields of target resources,
in order (a later replacement sees what an earlier one wrote):

.. code-block:: yaml

    replacements:
    - source:                        # exactly one resource (by any id it has had)
        kind: ConfigMap
        name: settings
        fieldPath: data.image        # default metadata.name
        options: {delimiter: ":", index: 1}   # take one part of the value
      targets:
      - select: {kind: Deployment}   # also group/version/name/namespace/labelSelector/annotationSelector
        reject: [{name: legacy}]
        fieldPaths:
        - spec.template.spec.containers.[name=app].image
        options: {delimiter: ":", index: 1, create: false}
    - path: more-replacements.yaml   # one replacement or a list of them

Field paths are dot-separated (``\\.`` escapes a dot; ``[k=v]`` may contain dots). In a
source path a part is a field, a list index, ``-`` (the last item) or ``[k=v]`` (the item
whose ``k`` is exactly ``v``; ``[=v]`` for a list of scalars). In a target path a part may
also be ``*`` (every item), and ``[k=v]`` uses ``v`` as an unanchored regular expression in
Go (RE2) syntax, as Kustomize does (``[name=app]`` also matches ``myapp``; ``[name=^app$]``
only ``app``; ``.`` and ``*`` are regex operators, not glob ones). It is matched with RE2, in
time linear in the text. One difference remains: Kustomize matches the value as it would write
it back, quotes included, so ``^app$`` misses a value written ``"app"`` in its file; compose
does not keep how a value was quoted and matches the value itself. Missing target fields are an error
unless ``options.create`` (then maps, lists and ``[k=v]`` items are created).

A scalar target keeps its type where it can (Kustomize copies only the text into the existing
node): a string stays a string (``5`` -> ``"5"``), other scalars and created fields take the
type the text reads as. A map or list target is replaced by the source value. With a
``delimiter``, the target's text is split and the ``index``-th part replaced (a negative index
prepends, one past the end appends).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import KustomizationError
from ...safe_regex import LinearPattern, RegexError, compile_linear
from ...yamlio import _resolve_plain
from ..resource import ResId, Resource
from ..selector import matches_label_selector, parse_label_selector
from ._common import live, scalar_text

__all__ = ["apply", "split_field_path"]

_CREATED = object()  # a scalar field made by options.create, typed by the text put in it


def _error(message: str) -> KustomizationError:
    return KustomizationError(message, step="replacements")


def split_field_path(path: str) -> list[str]:
    """Kustomize's SmarterPathSplitter on ``.``, then empty parts dropped.

    >>> split_field_path("spec.containers.[name=a.b].image")
    ['spec', 'containers', '[name=a.b]', 'image']
    """
    parts = path.split(".")
    if len(parts) > 1 and parts[0] == "":
        parts = parts[1:]
    split = [parts[0]]
    for part in parts[1:]:
        if split[-1].endswith("\\"):
            split[-1] = split[-1][:-1] + "." + part
        else:
            split.append(part)
    out: list[str] = []
    i = 0
    while i < len(split):
        elem = split[i]
        if elem.startswith("[") and not elem.endswith("]"):
            bracketed = [elem]
            while i < len(split) - 1:
                i += 1
                bracketed.append(split[i])
                if split[i].endswith("]"):
                    break
            joined = ".".join(bracketed)
            out.append(joined if "=" in joined else joined.strip("[]"))
        else:
            out.append(elem)
        i += 1
    return [p.strip() for p in out if p.strip()]


def _atoi(text: str) -> int | None:
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text)
    return None


def _is_list_index(part: str) -> bool:
    return part.startswith("[") and part.endswith("]")


def _split_index(part: str) -> tuple[str, str]:
    inner = part[1:-1] if part.endswith("]") else part[1:]
    if "=" not in inner:
        raise _error("list path element must contain fieldName=fieldValue for element to match")
    name, value = inner.split("=", 1)
    return name, value


def _text(value: Any) -> str:
    """The text of a YAML node's value: a scalar's, "" for a map or list."""
    if isinstance(value, (dict, list)):
        return ""
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    return scalar_text(value)


# --- the source --------------------------------------------------------------------------------


def _lookup(value: Any, parts: Sequence[str], path: str) -> Any:
    """kyaml's PathGetter without create: the value at ``parts``, or None."""
    for part in parts:
        if value is None:
            return None
        idx = _atoi(part)
        if idx is not None:
            if idx < 0:
                raise _error(f"array index {idx} cannot be negative")
            if not isinstance(value, list):
                raise _error(f"fieldPath `{path}`: {part!r} indexes a list, found a {type(value).__name__}")
            value = value[idx] if idx < len(value) else None
        elif part == "-":
            if not isinstance(value, list):
                raise _error(f"fieldPath `{path}`: '-' needs a list, found a {type(value).__name__}")
            value = value[-1] if value else None
        elif part == "*":
            raise _error("wildcard is not supported in a replacement source's fieldPath")
        elif _is_list_index(part):
            key, want = _split_index(part)
            if not isinstance(value, list):
                raise _error(f"fieldPath `{path}`: {part!r} selects a list item, found a {type(value).__name__}")
            if key:
                value = next((v for v in value if isinstance(v, dict) and key in v and _text(v[key]) == want), None)
            else:
                value = next((v for v in value if not isinstance(v, (dict, list)) and _text(v) == want), None)
        else:
            if not isinstance(value, dict):
                raise _error(f"fieldPath `{path}`: {part!r} is a field of a map, found a {type(value).__name__}")
            value = value.get(part)
    return value


def _source_value(resources: Sequence[Resource], source: Mapping[str, Any]) -> Any:
    wanted = _res_id(source)
    found = [r for r in resources if any(_selected_by(rid, r, wanted) for rid in r.all_ids())]
    shown = _selector_text(source)
    if len(found) > 1:
        raise _error(f"multiple matches for selector {shown}")
    if not found:
        raise _error(f"nothing selected by {shown}")
    field_path = str(source.get("fieldPath") or "metadata.name")
    value = _lookup(found[0].data, split_field_path(field_path), field_path)
    if value is None or value == {} or value == []:
        raise _error(f"fieldPath `{field_path}` is missing for replacement source {_id_text(wanted)}")
    options = source.get("options") or {}
    delimiter = options.get("delimiter") or ""
    if not delimiter:
        return value
    if isinstance(value, (dict, list)):
        raise _error("delimiter option can only be used with scalar nodes")
    parts = _text(value).split(delimiter)
    index = int(options.get("index") or 0)
    if index >= len(parts) or index < 0:
        raise _error(f"options.index {index} is out of bounds for value {_text(value)}")
    return parts[index]


# --- selecting resources -------------------------------------------------------------------------


def _res_id(raw: Mapping[str, Any]) -> ResId:
    return ResId(
        str(raw.get("group") or ""), str(raw.get("version") or ""), str(raw.get("kind") or ""),
        str(raw.get("name") or ""), str(raw.get("namespace") or ""),
    )


def _effective_ns(rid: ResId, cluster_scoped: bool) -> str:
    if cluster_scoped:
        return "_non_namespaceable_"
    return rid.namespace or "default"


def _selected_by(rid: ResId, res: Resource, selector: ResId) -> bool:
    """ResId.IsSelectedBy: empty selector fields match anything; namespaces compare effectively."""
    if selector.name and selector.name != rid.name:
        return False
    if selector.namespace and _effective_ns(selector, False) != _effective_ns(rid, rid.is_cluster_scoped()):
        return False
    return (
        (not selector.group or selector.group == rid.group)
        and (not selector.version or selector.version == rid.version)
        and (not selector.kind or selector.kind == rid.kind)
    )


def _id_text(rid: ResId) -> str:
    gvk = ".".join([rid.kind or "[noKind]", rid.version or "[noVer]", rid.group or "[noGrp]"])
    return f"{gvk}/{rid.name or '[noName]'}.{rid.namespace or '[noNs]'}"


def _selector_text(raw: Mapping[str, Any]) -> str:
    parts = [_id_text(_res_id(raw))]
    if raw.get("fieldPath"):
        parts.append(str(raw["fieldPath"]))
    return ":".join(parts)


def _labels_match(res: Resource, selector: Mapping[str, Any]) -> bool:
    md = res.data.get("metadata")
    md = md if isinstance(md, dict) else {}
    for key, field in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        text = selector.get(key)
        if not text:
            continue
        values = md.get(field)
        pairs = {str(k): _text(v) for k, v in values.items()} if isinstance(values, dict) else {}
        if not matches_label_selector(parse_label_selector(str(text)), pairs):
            return False
    return True


def _targets(resources: Sequence[Resource], target: Mapping[str, Any]) -> list[Resource]:
    select = target.get("select")
    if select is None:
        raise _error("target must specify resources to select")
    rejects = [r for r in target.get("reject") or () if r is not None]
    wanted = _res_id(select)
    out = []
    for res in resources:
        if not _labels_match(res, select):
            continue
        if any((r.get("labelSelector") or r.get("annotationSelector")) and _labels_match(res, r) for r in rejects):
            continue
        ids = res.all_ids()
        if not any(_selected_by(rid, res, wanted) for rid in ids):
            continue
        reject_ids = [_res_id(r) for r in rejects]
        if any(rej != ResId("", "", "", "", "") and _selected_by(rid, res, rej) for rej in reject_ids for rid in ids):
            continue
        out.append(res)
    return out


# --- the targets -----------------------------------------------------------------------------------


def _regex(pattern: str) -> LinearPattern:
    # Go's regexp (RE2) in kyaml, so RE2 here: linear in the text, whatever the pattern.
    try:
        return compile_linear(pattern)
    except RegexError as exc:
        raise _error(f"invalid regular expression {pattern!r} in a fieldPath: {exc}") from None


def _new_node(next_part: str, value: Any) -> Any:
    """The node kyaml creates for a missing part, by the kind of what comes next."""
    index = _atoi(next_part)
    if _is_list_index(next_part) or (index is not None and index >= 0):
        return []
    if next_part:
        return {}
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return _CREATED


def _match(
    container: Any, key: Any, parts: Sequence[str], create: bool, value: Any, out: list[tuple[Any, Any]]
) -> None:
    """kyaml's PathMatcher: collect (container, key) of every field ``parts`` reaches."""
    if not parts:
        out.append((container, key))
        return
    node = container[key]
    part, rest = parts[0], parts[1:]
    nxt = rest[0] if rest else ""
    idx = _atoi(part)
    if idx is not None and idx >= 0:
        if not isinstance(node, list):
            raise _error(f"{part!r} indexes a list, found {_kind_name(node)}")
        if len(node) == idx and create:
            node.append(_new_node(nxt, value))
        if len(node) < idx + 1:
            raise _error(f"index {idx} specified but only {len(node)} elements found")
        _match(node, idx, rest, create, value, out)
        return
    if _is_list_index(part):
        field, pattern = _split_index(part)
        if not isinstance(node, list):
            raise _error(f"{part!r} selects list items, found {_kind_name(node)}")
        regex = _regex(pattern)
        found = False
        for i, item in enumerate(node):
            if field:
                if not isinstance(item, dict) or item.get(field) is None:
                    continue
                text = _text(item[field])
            else:
                if isinstance(item, (dict, list)):
                    continue
                text = _text(item)
            if regex.search(text):
                found = True
                if field:
                    _match(node, i, rest, create, value, out)
                else:
                    out.append((node, i))
        if not found and create:
            item = {field: _resolve_plain(pattern)} if field else _resolve_plain(pattern)
            if not regex.search(_text(item[field] if field else item)):
                raise _error(f"cannot create a list item that {part!r} matches")
            node.append(item)
            if field:
                _match(node, len(node) - 1, rest, create, value, out)
            else:
                out.append((node, len(node) - 1))
        return
    if part == "*":
        if not isinstance(node, list):
            raise _error(f"'*' matches list items, found {_kind_name(node)}")
        for i in range(len(node)):
            _match(node, i, rest, create, value, out)
        return
    if node is None or node is _CREATED:
        if not create:
            return
        node = container[key] = {}
    if not isinstance(node, dict):
        raise _error(f"{part!r} is a field of a map, found {_kind_name(node)}")
    if part not in node:
        if not create:
            return
        node[part] = _new_node(nxt, value)
    _match(node, part, rest, create, value, out)


def _kind_name(node: Any) -> str:
    if isinstance(node, dict):
        return "a map"
    if isinstance(node, list):
        return "a list"
    return "a scalar"


def _set(container: Any, key: Any, value: Any, options: Mapping[str, Any]) -> None:
    target = container[key]
    delimiter = options.get("delimiter") or ""
    if delimiter:
        if isinstance(target, (dict, list)):
            raise _error("delimiter option can only be used with scalar nodes")
        parts = ("" if target is _CREATED else _text(target)).split(delimiter)
        index = int(options.get("index") or 0)
        text = _text(value)
        if index < 0:
            parts.insert(0, text)
        elif index >= len(parts):
            parts.append(text)
        else:
            parts[index] = text
        value = delimiter.join(parts)
    if isinstance(target, (dict, list)):
        container[key] = copy.deepcopy(value)
    elif target is _CREATED:
        container[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else _resolve_plain(_text(value))
    elif isinstance(target, str):
        container[key] = _text(value)
    else:
        container[key] = _resolve_plain(_text(value))


def _copy_to(res: Resource, value: Any, target: Mapping[str, Any]) -> None:
    options = target.get("options") or {}
    create = bool(options.get("create"))
    for field_path in target.get("fieldPaths") or ["metadata.name"]:
        slots: list[tuple[Any, Any]] = []
        holder = {"": res.data}
        try:
            _match(holder, "", split_field_path(str(field_path)), create, value, slots)
        except KustomizationError as exc:
            how = "find or create" if create else "find"
            raise _error(f"unable to {how} field {str(field_path)!r} in replacement target: {exc.message}") from None
        if not slots:
            how = "find or create" if create else "find"
            raise _error(f"unable to {how} field {str(field_path)!r} in replacement target {res.id}")
        for container, key in slots:
            _set(container, key, value, options)
        _drop_placeholders(res.data)


def _drop_placeholders(node: Any) -> None:
    # A created field the value did not reach (a failed later part) stays empty, as in kyaml.
    if isinstance(node, dict):
        for k, v in node.items():
            if v is _CREATED:
                node[k] = None
            else:
                _drop_placeholders(v)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if v is _CREATED:
                node[i] = None
            else:
                _drop_placeholders(v)


def apply(resources: Sequence[Resource], replacements: Sequence[Mapping[str, Any]]) -> None:
    """Apply checked ``replacements`` (``path:`` entries already read) to ``resources``, in place.

    Raises:
        KustomizationError: no or several sources, a missing source field, a target field
            that cannot be found (or created), a bad option.
    """
    items = live(resources)
    for index, replacement in enumerate(replacements):
        if replacement.get("source") is None or replacement.get("targets") is None:
            raise _error("replacements must specify a source and at least one target")
        try:
            value = _source_value(items, replacement["source"])
            for target in replacement["targets"]:
                for res in _targets(items, target or {}):
                    _copy_to(res, value, target)
        except KustomizationError as exc:
            raise exc.with_context(path=("replacements", index))
