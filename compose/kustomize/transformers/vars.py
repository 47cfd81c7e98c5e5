"""vars, as Kustomize v5.5 (api/internal/accumulator, api/filters/refvar). Deprecated in
Kustomize in favour of ``replacements``, still common in older repositories.

.. code-block:: yaml

    vars:
    - name: SVC                                   # used as $(SVC)
      objref: {kind: Service, name: api, apiVersion: v1}
      fieldref: {fieldpath: metadata.name}        # the default; also spec.ports[0].port

At the end of each kustomization level, a var is bound to the one resource of its level whose
current or earlier identity has exactly the objref's group, version, kind and name (and
namespace, when given). At the end of the build, after name references are fixed, each var
takes the value at its fieldpath in that resource (its final name, say), and ``$(NAME)`` is
replaced in the fields of the varReference table (Kustomize's defaults: container command,
args, env values, volume mount paths, ...; ``configurations:`` can add more): a string that
is exactly ``$(NAME)`` takes the value with its type, inside a longer string its text.
``$$`` is a literal ``$``; ``$(UNKNOWN)`` stays as written. A var name defined twice, a var
that binds several resources or none, and a missing field are errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import KustomizationError
from ..resource import ResId, Resource, is_cluster_scoped
from ._common import live, selected
from .fieldpath import walk
from .fieldspecs import FieldSpec
from .replacements import _lookup, split_field_path

__all__ = ["bind", "resolve", "expand"]

_ATTR = "ref_vars"


def _error(message: str) -> KustomizationError:
    return KustomizationError(message, step="vars")


def _target(var: Mapping[str, Any]) -> ResId:
    ref = var.get("objref") or {}
    group, version = str(ref.get("group") or ""), str(ref.get("version") or "")
    if ref.get("apiVersion"):
        parts = str(ref["apiVersion"]).split("/")
        if len(parts) == 2:
            group, version = parts
        elif len(parts) == 1:
            version = parts[0]
    return ResId(group, version, str(ref.get("kind") or ""), str(ref.get("name") or ""), str(ref.get("namespace") or ""))


def _text(var: Mapping[str, Any]) -> str:
    rid = _target(var)
    gvk = ".".join([rid.kind or "[noKind]", rid.version or "[noVer]", rid.group or "[noGrp]"])
    path = (var.get("fieldref") or {}).get("fieldpath") or "metadata.name"
    return f"{{{var.get('name')} {gvk} {{{path}}}}}"


def _ns(rid: ResId) -> str:
    if is_cluster_scoped(rid.api_version, rid.kind):
        return "~X"
    return rid.namespace or "default"


def bind(resources: Sequence[Resource], variables: Sequence[Mapping[str, Any]], known: dict[str, Mapping[str, Any]]) -> None:
    """Bind one level's ``variables`` to its resources (Kustomize's MergeVars), in place.

    Args:
        resources: the level's resources, after its transformers.
        variables: its ``vars:`` entries.
        known: every var bound so far in the build, by name (updated).

    Raises:
        KustomizationError: a var binds several resources, or its name is already defined.
    """
    items = live(resources)
    for var in variables:
        name = str(var.get("name") or "")
        target = _target(var)
        exact_ns = bool(target.namespace) or is_cluster_scoped(target.api_version, target.kind)
        matched = [
            r
            for r in items
            if any(
                (rid.group, rid.version, rid.kind, rid.name) == (target.group, target.version, target.kind, target.name)
                and (not exact_ns or _ns(rid) == _ns(target))
                for rid in r.all_ids()
            )
        ]
        if len(matched) > 1:
            raise _error(f"found {len(matched)} resId matches for var {_text(var)} (unable to disambiguate)")
        if matched:
            bound = getattr(matched[0], _ATTR, None)
            if bound is None:
                bound = []
                setattr(matched[0], _ATTR, bound)
            bound.append(name)
        if name in known:
            raise _error(f"var '{name}' already encountered")
        known[name] = var


def resolve(resources: Sequence[Resource], known: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Each var's value (makeVarReplacementMap).

    Raises:
        KustomizationError: a var bound to no resource, or its field is missing.
    """
    values: dict[str, Any] = {}
    for name, var in known.items():
        res = next((r for r in resources if name in (getattr(r, _ATTR, None) or ())), None)
        if res is None:
            raise _error(f"var '{_text(var)}' cannot be mapped to a field in the set of known resources")
        path = str((var.get("fieldref") or {}).get("fieldpath") or "metadata.name")
        parts: list[str] = []
        for part in split_field_path(path):
            m = re.fullmatch(r"(.*)\[(\d+)\]", part)
            if m:
                parts += [m.group(1), m.group(2)] if m.group(1) else [m.group(2)]
            else:
                parts.append(part)
        try:
            value = _lookup(res.data, parts, path)
        except KustomizationError:
            value = None
        if value is None:
            raise _error(f"field specified in var '{_text(var)}' not found in corresponding resource")
        values[name] = value
    return values


def _go_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _replace(text: str, values: Mapping[str, Any], used: set[str]) -> Any:
    """``$(NAME)`` expanded in ``text`` (refvar.DoReplacements)."""
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    n = len(text)
    while cursor < n:
        if text[cursor] == "$" and cursor + 1 < n:
            out.append(text[checkpoint:cursor])
            rest = text[cursor + 1 :]
            if rest[0] == "$":
                read, is_var, advance = "$", False, 1
            elif rest[0] == "(":
                close = rest.find(")", 1)
                if close >= 0:
                    read, is_var, advance = rest[1:close], True, close + 1
                else:
                    read, is_var, advance = "$(", False, 1
            else:
                read, is_var, advance = "$" + rest[0], False, 1
            if is_var:
                if read in values and isinstance(values[read], (str, int, float, bool)):
                    used.add(read)
                    mapped: Any = values[read]
                else:
                    mapped = f"$({read})"
                if text == f"$({read})":
                    return mapped
                out.append(_go_text(mapped))
            else:
                out.append(read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]


def expand(resources: Sequence[Resource], values: Mapping[str, Any], specs: Sequence[FieldSpec]) -> set[str]:
    """Replace ``$(NAME)`` in the varReference fields of ``resources``, in place.

    Returns:
        The names of the vars used.

    Raises:
        KustomizationError: a list at a varReference field holds something other than strings.
    """
    used: set[str] = set()

    def visit(container: Any, key: Any) -> None:
        node = container[key]
        if node is None:
            return
        if isinstance(node, str):
            container[key] = _replace(node, values, used)
        elif isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise _error(f"invalid map key: value='{k}'")
                if isinstance(v, str):
                    node[k] = _replace(v, values, used)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if not isinstance(item, str):
                    raise _error("invalid value type expect a string")
                node[i] = _replace(item, values, used)

    for res in live(resources):
        for spec in specs:
            if selected(spec, res):
                walk(res.data, spec.path, visit)
    return used
