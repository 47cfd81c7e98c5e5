"""``${name}`` placeholders in parsed manifests: found at load, substituted per build.

Syntax, inside any string value of a base, an overlay or a patch:

* ``${memory}`` - a declared parameter; ``${run.id}``, ``${run.name}``, ``${flow.name}``,
  ``${deployment.name}``, ``${run.labels.KEY}`` - the run context (:class:`RunContext`).
* ``${memory|mib}`` - a filter applied to the value; filters chain left to right
  (``${cpu|cpu_units|str}``). See :data:`FILTERS`.
* ``$${`` - a literal ``${`` (``$${HOME}`` becomes ``${HOME}``). A ``$`` not followed by
  ``{`` is literal. A ``${`` without its ``}`` is an error.

**Typing.** A string that is exactly one placeholder takes the value's type: an integer stays
an integer, a boolean a boolean, a quantity becomes its canonical string (``1.5Gi`` ->
``1536Mi``). A placeholder inside a longer string is interpolated as text (booleans as
``true``/``false``).

**No injection.** Substitution works on the parsed tree, never on YAML text, and a value is
inserted once, as a scalar: quotes, newlines, ``{``, ``$``, ``a: b``, ``- x``, ``---`` or
``${other}`` inside a value stay characters of one string; nothing is expanded twice and no
value can add a field or change the structure.

**Keys** are never substituted: a placeholder in a mapping key is an error at load (object
structure is not a parameter; use a patch).

**Names are made valid by path.** When a substituted string lands where Kubernetes wants a
name or label value, it goes through :mod:`compose.spec.names` (unchanged when valid;
otherwise cleaned, with a short hash). The table (:data:`KUBERNETES_NAME_RULES`), matched
against the end of the field path, ``*`` standing for any key or index:

=====================================  ==========================================
Path (suffix)                          Rule
=====================================  ==========================================
``metadata.name`` of a Job (root)      DNS-1123 label, 63 (the Job controller puts
                                       the name in a label); CronJob: 52
``metadata.name`` (anything else)      DNS-1123 subdomain, 253
``metadata.generateName``              DNS-1123 label, 57, a trailing ``-`` kept
``metadata.namespace``                 DNS-1123 label
``metadata.labels.*``, ``matchLabels.*``  label value
``containers.*.name`` (also init,      DNS-1123 label
ephemeral), ``volumes.*.name``,
``volumeMounts.*.name``
``serviceAccountName``                 DNS-1123 subdomain
``env.*.value``,                       always a string (``${retries}`` gives
``metadata.annotations.*``             ``"3"``, as Kubernetes requires)
=====================================  ==========================================

:data:`ECS_NAME_RULES` does the same for ECS (``family``, ``containerDefinitions.*.name``:
``A-Za-z0-9_-``, 255; ``environment.*.value``: string).

Compile once, render many: :func:`compile_template` records the paths that hold placeholders;
:meth:`Template.render` copies only the containers on those paths (untouched subtrees are shared
with the template, which never changes them: treat the result as read-only or pass
``fresh=True``).

>>> t = compile_template({"spec": {"replicas": "${n}", "name": "job-${run.id}"}, "x": [1]})
>>> t.render({"n": 3, "run.id": "abc"})
{'spec': {'replicas': 3, 'name': 'job-abc'}, 'x': [1]}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose.errors import Problem

from . import names as _names
from ._problems import problem_at, raise_problems
from .params import ParamDecl, render_value
from .quantity import Quantity, QuantityError, parse_quantity, to_cpu_units, to_mib

__all__ = [
    "PlaceholderUse",
    "RunContext",
    "Template",
    "FILTERS",
    "CONTEXT_NAMES",
    "KUBERNETES_NAME_RULES",
    "ECS_NAME_RULES",
    "find_placeholders",
    "placeholder_names",
    "check_placeholders",
    "compile_template",
    "substitution_values",
    "unescape",
]

#: Run-context placeholder names (plus ``run.labels.<key>``).
CONTEXT_NAMES = frozenset({"run.id", "run.name", "flow.name", "deployment.name"})
_LABELS_PREFIX = "run.labels."

_OPEN = re.compile(r"\$\$\{|\$\{")
_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*|run\.labels\.[A-Za-z0-9._/-]+|run\.id|run\.name|flow\.name|deployment\.name)((?:\|[a-z_]+)*)")


# -- filters -------------------------------------------------------------------------------------


def _quantity_of(value: Any) -> Quantity:
    if isinstance(value, Quantity):
        return value
    if isinstance(value, bool):
        raise QuantityError(f"{render_value(value)} is not a quantity")
    return parse_quantity(value)


def _f_str(v: Any) -> Any:
    return render_value(v)


def _f_lower(v: Any) -> Any:
    return render_value(v).lower()


#: Filters usable as ``${name|filter}``: name -> (function, the parameter types it accepts).
FILTERS: dict[str, tuple[Callable[[Any], Any], frozenset[str]]] = {
    "str": (_f_str, frozenset({"string", "integer", "number", "boolean", "quantity", "enum", "context"})),
    "lower": (_f_lower, frozenset({"string", "enum", "context"})),
    "mib": (lambda v: to_mib(_quantity_of(v)), frozenset({"quantity", "integer", "number"})),
    "cpu_units": (lambda v: to_cpu_units(_quantity_of(v)), frozenset({"quantity", "integer", "number"})),
    "dns_label": (lambda v: _names.dns1123_label(render_value(v)), frozenset({"string", "enum", "context", "integer"})),
    "dns_subdomain": (lambda v: _names.dns1123_subdomain(render_value(v)), frozenset({"string", "enum", "context", "integer"})),
    "label": (lambda v: _names.label_value(render_value(v)), frozenset({"string", "enum", "context", "integer", "number", "boolean", "quantity"})),
}


# -- name rules ----------------------------------------------------------------------------------


def _generate_name(value: str) -> str:
    dash = value.endswith("-")
    body = value.rstrip("-")
    out = _names.dns1123_label(body, 57) if body else ""
    return out + "-" if dash else out


_RULES: dict[str, Callable[[str], str]] = {
    "dns_label": _names.dns1123_label,
    "dns_label_52": lambda v: _names.dns1123_label(v, 52),
    "dns_subdomain": _names.dns1123_subdomain,
    "generate_name": _generate_name,
    "label_value": _names.label_value,
    "ecs_name": _names.ecs_name,
    "string": lambda v: v,
}

#: (path suffix, rule) pairs for Kubernetes manifests; ``*`` matches any key or index.
KUBERNETES_NAME_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("metadata", "generateName"), "generate_name"),
    (("metadata", "name"), "dns_subdomain"),
    (("metadata", "namespace"), "dns_label"),
    (("metadata", "labels", "*"), "label_value"),
    (("matchLabels", "*"), "label_value"),
    (("containers", "*", "name"), "dns_label"),
    (("initContainers", "*", "name"), "dns_label"),
    (("ephemeralContainers", "*", "name"), "dns_label"),
    (("volumes", "*", "name"), "dns_label"),
    (("volumeMounts", "*", "name"), "dns_label"),
    (("serviceAccountName",), "dns_subdomain"),
    (("env", "*", "value"), "string"),
    (("metadata", "annotations", "*"), "string"),
)
#: Root ``metadata.name`` rules by kind (the Job controller copies a Job's name into a label).
_ROOT_NAME_BY_KIND = {"Job": "dns_label", "CronJob": "dns_label_52"}

#: (path suffix, rule) pairs for ECS task definitions and RunTask requests.
ECS_NAME_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("family",), "ecs_name"),
    (("containerDefinitions", "*", "name"), "ecs_name"),
    (("containerOverrides", "*", "name"), "ecs_name"),
    (("environment", "*", "value"), "string"),
)


def _rule_for(path: tuple[Any, ...], rules: Sequence[tuple[tuple[str, ...], str]], kind: str | None, root_len: int) -> str | None:
    if len(path) == root_len + 2 and path[root_len:] == ("metadata", "name") and kind in _ROOT_NAME_BY_KIND:
        return _ROOT_NAME_BY_KIND[kind]
    for pattern, rule in rules:
        n = len(pattern)
        if len(path) < n:
            continue
        tail = path[len(path) - n :]
        if all(p == "*" or p == t for p, t in zip(pattern, tail)):
            return rule
    return None


# -- scanning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceholderUse:
    """One placeholder found in a tree.

    Attributes:
        path: the field path of the string holding it.
        name: the parameter or context name.
        filters: the filters, in order.
        whole: the string is exactly this placeholder (typed substitution).
    """

    path: tuple[Any, ...]
    name: str
    filters: tuple[str, ...] = ()
    whole: bool = False


def _split(text: str) -> tuple[list[Any], str | None]:
    """Split a string into literal parts and (name, filters) tuples; or an error message."""
    parts: list[Any] = []
    literal: list[str] = []
    pos = 0
    for m in _OPEN.finditer(text):
        if m.start() < pos:
            continue
        literal.append(text[pos : m.start()])
        if m.group() == "$${":
            literal.append("${")
            pos = m.end()
            continue
        close = text.find("}", m.end())
        if close < 0:
            return [], f"unterminated placeholder in {text!r} (write $${{ for a literal ${{)"
        body = text[m.end() : close]
        bm = _BODY.fullmatch(body)
        if bm is None:
            return [], f"invalid placeholder ${{{body}}}: expected ${{name}} or ${{name|filter}}"
        filters = tuple(f for f in bm.group(2).split("|") if f)
        for f in filters:
            if f not in FILTERS:
                return [], f"unknown filter {f!r} in ${{{body}}} (one of {', '.join(FILTERS)})"
        if literal:
            joined = "".join(literal)
            if joined:
                parts.append(joined)
            literal = []
        parts.append((bm.group(1), filters))
        pos = close + 1
    literal.append(text[pos:])
    joined = "".join(literal)
    if joined:
        parts.append(joined)
    return parts, None


def _walk(tree: Any, path: tuple[Any, ...], out: list[tuple[tuple[Any, ...], str, bool]]) -> None:
    # (path, string, is_key) for every string holding "${" (values) or "$" in a key
    if isinstance(tree, str):
        if "${" in tree:
            out.append((path, tree, False))
    elif isinstance(tree, dict):
        for k, v in tree.items():
            if isinstance(k, str) and "${" in k:
                out.append((path + (k,), k, True))
            _walk(v, path + (k,), out)
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            _walk(v, path + (i,), out)


def find_placeholders(tree: Any) -> tuple[list[PlaceholderUse], list[tuple[tuple[Any, ...], str]]]:
    """Every placeholder in a parsed tree, and every syntax problem.

    Returns:
        ``(uses, problems)``; each problem is ``(path, message)``: an unterminated or malformed
        placeholder, an unknown filter, or a placeholder in a mapping key.
    """
    found: list[tuple[tuple[Any, ...], str, bool]] = []
    _walk(tree, (), found)
    uses: list[PlaceholderUse] = []
    problems: list[tuple[tuple[Any, ...], str]] = []
    for path, text, is_key in found:
        parts, error = _split(text)
        if is_key:
            if any(isinstance(p, tuple) for p in parts) or error:
                problems.append((path, f"placeholders are not allowed in mapping keys ({text!r})"))
            continue
        if error:
            problems.append((path, error))
            continue
        whole = len(parts) == 1 and isinstance(parts[0], tuple)
        for p in parts:
            if isinstance(p, tuple):
                uses.append(PlaceholderUse(path, p[0], p[1], whole))
    return uses, problems


def placeholder_names(tree: Any) -> set[str]:
    """The names of every placeholder in ``tree`` (syntax problems ignored)."""
    return {u.name for u in find_placeholders(tree)[0]}


def _kind_of_name(name: str, declarations: Mapping[str, ParamDecl]) -> str | None:
    if name in declarations:
        return declarations[name].type
    if name in CONTEXT_NAMES or (name.startswith(_LABELS_PREFIX) and len(name) > len(_LABELS_PREFIX)):
        return "context"
    return None


def check_placeholders(
    tree: Any,
    declarations: Mapping[str, ParamDecl],
    *,
    file: str | None = None,
    locations: Mapping[tuple[Any, ...], tuple[int, int]] | None = None,
    base_path: tuple[Any, ...] = (),
    also_known: Iterable[str] = (),
) -> list[Problem]:
    """Problems with the placeholders of one parsed document, each with file and line.

    Finds syntax errors, placeholders in keys, names that are neither a declared parameter nor
    a run-context name, and filters that do not suit the parameter's type.

    Args:
        also_known: names to accept without checks (parameters whose declaration failed and was
            reported already, so that one mistake is not reported again at every use).
    """
    uses, syntax = find_placeholders(tree)
    problems = [problem_at(msg, file, locations, base_path + path) for path, msg in syntax]
    skip = frozenset(also_known)
    for use in uses:
        if use.name in skip and use.name not in declarations:
            continue
        kind = _kind_of_name(use.name, declarations)
        at = base_path + use.path
        if kind is None:
            known = ", ".join(sorted(declarations)) or "none declared"
            problems.append(
                problem_at(
                    f"placeholder ${{{use.name}}} names no declared parameter (parameters: {known}; "
                    f"run context: run.id, run.name, flow.name, deployment.name, run.labels.<key>)",
                    file,
                    locations,
                    at,
                )
            )
            continue
        for f in use.filters:
            if kind not in FILTERS[f][1]:
                problems.append(problem_at(f"filter {f!r} does not apply to ${{{use.name}}} (a {kind} value)", file, locations, at))
    problems.sort(key=lambda p: p.line or 0)
    return problems


def unescape(text: str) -> str:
    """Turn each ``$${`` into ``${`` (for strings known to hold no placeholder)."""
    return text.replace("$${", "${")


# -- run context ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunContext:
    """What a build knows about the run, available as ``${run.id}`` and friends.

    Attributes:
        run_id: ``${run.id}``.
        run_name: ``${run.name}``.
        flow_name: ``${flow.name}``.
        deployment_name: ``${deployment.name}``.
        labels: ``${run.labels.<key>}`` for each key.
    """

    run_id: str | None = None
    run_name: str | None = None
    flow_name: str | None = None
    deployment_name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The context as placeholder name -> value (absent names left out)."""
        out: dict[str, Any] = {}
        for name, value in (
            ("run.id", self.run_id),
            ("run.name", self.run_name),
            ("flow.name", self.flow_name),
            ("deployment.name", self.deployment_name),
        ):
            if value is not None:
                out[name] = value
        for k, v in self.labels.items():
            out[_LABELS_PREFIX + k] = v
        return out

    @classmethod
    def preview(cls) -> "RunContext":
        """Stand-in values for builds without a run (``compose build``, ``validate``)."""
        return cls(run_id="00000000-0000-0000-0000-000000000000", run_name="preview", flow_name="flow", deployment_name="deployment")


def substitution_values(params: Mapping[str, Any] | Any, context: RunContext | None = None) -> dict[str, Any]:
    """The namespace :meth:`Template.render` reads: parameter values plus the run context.

    Args:
        params: ``ResolvedParams`` or a mapping of typed parameter values.
        context: the run context, if any.
    """
    values = dict(params) if isinstance(params, Mapping) else dict(params.values)
    if context is not None:
        values.update(context.values())
    return values


# -- templates -----------------------------------------------------------------------------------


class _Slot:
    __slots__ = ("path", "parts", "whole", "rule", "names")

    def __init__(self, path: tuple[Any, ...], parts: list[Any], rule: Callable[[str], str] | None) -> None:
        self.path = path
        self.parts = tuple(parts)
        self.whole = len(parts) == 1 and isinstance(parts[0], tuple)
        self.rule = rule
        self.names = tuple(p[0] for p in parts if isinstance(p, tuple))

    def value(self, values: Mapping[str, Any]) -> Any:
        if self.whole:
            name, filters = self.parts[0]
            v = values[name]
            for f in filters:
                v = FILTERS[f][0](v)
            if self.rule is not None:
                return self.rule(render_value(v))
            return str(v) if isinstance(v, Quantity) else v
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                v = values[part[0]]
                for f in part[1]:
                    v = FILTERS[f][0](v)
                out.append(render_value(v))
        text = "".join(out)
        return self.rule(text) if self.rule is not None else text


class _TrieNode:
    __slots__ = ("children", "slot")

    def __init__(self) -> None:
        self.children: dict[Any, _TrieNode] = {}
        self.slot: _Slot | None = None


def _fast_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _fast_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fast_copy(v) for v in value]
    return value


class Template:
    """A tree compiled for repeated substitution. Build with :func:`compile_template`.

    Attributes:
        names: every placeholder name the tree uses.
        paths: the field paths that hold placeholders, in tree order.
        uses: ``(path, names)`` for each of those paths, the names in the order written.
    """

    def __init__(self, tree: Any, slots: list[_Slot], file: str | None, locations: Any) -> None:
        self._tree = tree
        self._slots = slots
        self._file = file
        self._locations = locations
        self.names = frozenset(n for s in slots for n in s.names)
        self.paths = tuple(s.path for s in slots)
        #: (path, names used there, in order) for each path holding placeholders.
        self.uses = tuple((s.path, tuple(p[0] for p in s.parts if isinstance(p, tuple))) for s in slots)
        self._root = _TrieNode()
        for slot in slots:
            node = self._root
            for key in slot.path:
                node = node.children.setdefault(key, _TrieNode())
            node.slot = slot
        self._plan = self._flatten(self._root)

    def _flatten(self, node: _TrieNode) -> tuple[Any, ...]:
        # A plan is ((key, slot | None, sub-plan), ...) for a fast recursive render.
        return tuple((k, child.slot, self._flatten(child)) for k, child in node.children.items())

    def render(self, values: Mapping[str, Any], *, fresh: bool = False) -> Any:
        """Substitute placeholders and return a new tree.

        Args:
            values: placeholder name -> typed value (see :func:`substitution_values`).
            fresh: deep-copy the untouched parts too (otherwise they are shared with the
                template; the template never changes them).

        Raises:
            SpecError: a placeholder has no value, or a filter fails on the value
                (naming the placeholder, the field path and, when known, file and line).
        """
        try:
            if self._root.slot is not None:
                out = self._root.slot.value(values)
            elif not self._plan:
                out = self._tree
            else:
                out = _apply(self._plan, self._tree, values)
        except (KeyError, QuantityError, ValueError):
            self._raise(values)
            raise  # pragma: no cover - _raise always raises
        return _fast_copy(out) if fresh else out

    def _raise(self, values: Mapping[str, Any]) -> None:
        problems = []
        for slot in self._slots:
            for part in slot.parts:
                if isinstance(part, str):
                    continue
                name, filters = part
                if name not in values:
                    problems.append(problem_at(f"placeholder ${{{name}}} has no value in this build", self._file, self._locations, slot.path))
                    continue
                v = values[name]
                for f in filters:
                    try:
                        v = FILTERS[f][0](v)
                    except (QuantityError, ValueError) as exc:
                        msg = exc.message if isinstance(exc, QuantityError) else str(exc)
                        problems.append(problem_at(f"${{{name}|{f}}}: {msg}", self._file, self._locations, slot.path))
                        break
        raise_problems(problems or [Problem("substitution failed", file=self._file)], "substitution", step="substitute")


def _apply(plan: tuple[Any, ...], container: Any, values: Mapping[str, Any]) -> Any:
    new = container.copy()
    for key, slot, sub in plan:
        if slot is not None:
            new[key] = slot.value(values)
        else:
            new[key] = _apply(sub, container[key], values)
    return new


def compile_template(
    tree: Any,
    *,
    declarations: Mapping[str, ParamDecl] | None = None,
    name_rules: Sequence[tuple[tuple[str, ...], str]] | None = KUBERNETES_NAME_RULES,
    documents: bool | None = None,
    file: str | None = None,
    locations: Mapping[tuple[Any, ...], tuple[int, int]] | None = None,
) -> Template:
    """Compile a parsed tree into a :class:`Template`.

    The template keeps its own copy of ``tree`` with every ``$${`` already unescaped, so
    rendering never rescans strings.

    Args:
        tree: one document, or a list of documents (see ``documents``).
        declarations: when given, placeholder names and filters are checked against them.
        name_rules: the path rules for names (:data:`KUBERNETES_NAME_RULES`,
            :data:`ECS_NAME_RULES`, or None for none).
        documents: whether ``tree`` is a list of documents (kind-specific rules then apply per
            document); by default, a list of mappings that all have a ``kind`` is.
        file, locations: where the tree came from, for error messages.

    Raises:
        SpecError: malformed placeholders, placeholders in keys, or (with ``declarations``)
            unknown names and unsuitable filters (``SpecInvalid`` when several).
    """
    if declarations is not None:
        problems = check_placeholders(tree, declarations, file=file, locations=locations)
    else:
        problems = [problem_at(m, file, locations, p) for p, m in find_placeholders(tree)[1]]
    raise_problems(problems, "placeholders")
    if documents is None:
        documents = isinstance(tree, list) and bool(tree) and all(isinstance(d, dict) and "kind" in d for d in tree)
    private = _fast_copy(tree)
    found: list[tuple[tuple[Any, ...], str, bool]] = []
    _walk(private, (), found)
    slots: list[_Slot] = []
    for path, text, is_key in found:
        if is_key:
            continue
        parts, _ = _split(text)
        if not any(isinstance(p, tuple) for p in parts):
            if path:
                _set(private, path, "".join(parts))  # only escapes: unescape once, now
            else:
                private = "".join(parts)
            continue
        rule = None
        if name_rules:
            root_len = 1 if documents else 0
            doc = private[path[0]] if documents and path else private
            kind = doc.get("kind") if isinstance(doc, dict) else None
            rule_name = _rule_for(path, name_rules, kind if isinstance(kind, str) else None, root_len)
            rule = _RULES[rule_name] if rule_name else None
        slots.append(_Slot(path, parts, rule))
    return Template(private, slots, file, locations)


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    node = tree
    for key in path[:-1]:
        node = node[key]
    if path:
        node[path[-1]] = value
