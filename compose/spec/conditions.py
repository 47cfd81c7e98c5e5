"""The ``when:`` language that selects overlays, compiled once into a predicate.

A condition is YAML data, never a string to parse: a **mapping from a key to a test**. Every
entry must hold (the entries are ANDed). The key is a declared parameter (tested on its
resolved value, defaults included) or a raw metadata key (dots reach into nested mappings:
``labels.team``).

==============================================  ===============================================
``when:``                                       holds when
==============================================  ===============================================
``{job_profile: gpu}``                          equal (a scalar: string, number, boolean)
``{region: [us-east-1, us-west-2]}``            one of the list
``{region: {in: [us-east-1, us-west-2]}}``      the same, spelled out
``{region: {notIn: [cn-north-1]}}``             none of the list (absent counts as none)
``{tier: {"!=": free}}``                        not equal (absent counts as not equal)
``{memory: {">=": 16Gi}}``                      ordering: ``"<"``, ``"<="``, ``">"``, ``">="``, ``"=="``
``{cpu: {">": 2, "<=": 8}}``                    several operators: all must hold
``{gpu_type: {exists: true}}``                  the key has a value (``false``: it has none)
``{tier: {not: [free, trial]}}``                the inner test fails
``{not: {job_profile: gpu}}``                   the inner condition fails
``{any: [{job_profile: gpu}, {gpus: {">": 0}}]}``  at least one holds
``{all: [{...}, {...}]}``                       every one holds (same as one mapping)
``{}``                                          always
==============================================  ===============================================

Quote the operator keys (``">="``): unquoted, YAML reads ``>`` as the start of a folded text.

**Comparisons.** Ordering compares exact numbers: numbers and Kubernetes quantities are one
scale, so ``memory: {">=": 16Gi}`` holds for ``32Gi`` and for ``17179869184``, and
``cpu: {">": 2}`` fails for ``1500m``. Equality on a quantity parameter is by value (``1000m``
equals ``1``). A key other than ``exists``/``notIn``/``!=`` that is absent makes its test
fail ("memory is absent").

**Checked at load** for a declared parameter: the operands must suit its type (a number for an
integer, a quantity for a quantity, a string for a string, one of the values for an enum:
``job_profile: gpux`` for an enum without ``gpux`` can never hold), and strings, booleans and
enums cannot be ordered. A raw metadata key is unknown at load: ordering operands must still be
numbers or quantities, and at build time a value that is not a number or quantity makes an
ordering test fail, with the reason saying so. Declare a parameter to get strict checking.
A key that is neither a declared parameter, the profile key, nor listed under
``metadata.rawKeys`` in compose.yaml is reported when the spec repo loads (a typo such as
``spto`` would compare a key nobody sets): see :mod:`compose.spec.repo`.

**Evaluation** returns ``(matched, reason)`` for ``compose explain``; reasons state facts:
``memory=32Gi >= 16Gi``, ``memory=8Gi < 16Gi``, ``job_profile=cpu != gpu``,
``region=eu-west-1 not in [us-east-1, us-west-2]``, ``gpu_type is absent``.
:meth:`Condition.matches` is the fast path without reasons.

>>> c = compile_condition({"memory": {">=": "16Gi"}})
>>> c.evaluate({}, {"memory": "32Gi"}), c.evaluate({}, {"memory": "8Gi"})
((True, 'memory=32Gi >= 16Gi'), (False, 'memory=8Gi < 16Gi'))
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from compose.errors import Problem

from ._problems import problem_at, raise_problems, show, type_name
from . import _caps
from .metadata import MISSING, lookup_path
from .params import ParamDecl
from .quantity import as_quantity

__all__ = ["Condition", "compile_condition", "parse_condition", "OPERATORS", "ALWAYS"]

#: Operator keys accepted inside a test mapping.
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "notIn", "exists", "not")
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_ALIASES = {
    "eq": "==", "ne": "!=", "neq": "!=", "lt": "<", "le": "<=", "lte": "<=", "gt": ">", "ge": ">=",
    "gte": ">=", "=": "==", "notin": "notIn", "not_in": "notIn", "nin": "notIn", "NotIn": "notIn",
    "In": "in", "Exists": "exists", "Gt": ">", "Lt": "<", "DoesNotExist": "exists: false",
}
_COMBINATORS = ("all", "any", "not")

Lookup = Callable[[str], Any]


class _Node:
    """A compiled condition node: ``test`` is the fast path, ``ev`` also says why."""

    __slots__ = ()

    def test(self, get: Lookup) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def ev(self, get: Lookup) -> tuple[bool, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def text(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class _Always(_Node):
    __slots__ = ()

    def test(self, get: Lookup) -> bool:
        return True

    def ev(self, get: Lookup) -> tuple[bool, str]:
        return True, "no condition (always)"

    def text(self) -> str:
        return "always"


def _kv(key: str, value: Any) -> str:
    return f"{key}={show(_shown(value))}"


def _shown(value: Any) -> Any:
    # Quantities print in canonical form, unquoted (show() falls back to str()). Metadata
    # values can be huge: long strings are cut, and an int too long for str() is described.
    if isinstance(value, str) and len(value) > 60:
        return _Text(_caps.clip(value))
    if _caps.huge_int(value):
        return _Text(f"<an integer of about {int(value.bit_length() * 0.30103)} digits>")
    return value


class _Text:
    """Text that show() prints as is (it quotes strings, and falls back to str() for others)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


# -- per-key tests ---------------------------------------------------------------------------------


class _Cmp(_Node):
    """``key OP operand`` for == != < <= > >=, with the comparison chosen at load."""

    __slots__ = ("key", "op", "operand", "mode")

    def __init__(self, key: str, op: str, operand: Any, mode: str) -> None:
        # mode: "quantity" (both sides Quantity), "number", "exact" (typed ==), "loose" (raw key)
        self.key, self.op, self.operand, self.mode = key, op, operand, mode

    def _holds(self, value: Any) -> bool | None:
        """True/False, or None when the value cannot be compared (raw keys only)."""
        op = self.op
        if op in _ORDER:
            if self.mode == "loose":
                value = as_quantity(value)
                if value is None:
                    return None
            return _ORDER[op](value, self.operand)
        if self.mode == "loose":
            equal = _loose_eq(value, self.operand)
        elif self.mode == "exact":
            equal = _exact_eq(value, self.operand)
        else:
            equal = value == self.operand
        return equal if op == "==" else not equal

    def test(self, get: Lookup) -> bool:
        value = get(self.key)
        if value is MISSING:
            return self.op == "!="
        return bool(self._holds(value))

    def ev(self, get: Lookup) -> tuple[bool, str]:
        value = get(self.key)
        if value is MISSING:
            return self.op == "!=", f"{self.key} is absent"
        held = self._holds(value)
        if held is None:
            return False, f"{_kv(self.key, value)} is not a number or quantity"
        if self.op in ("==", "!="):
            shown = self.op if held else ("!=" if self.op == "==" else "==")
        else:
            shown = self.op if held else _NEGATE[self.op]
        return held, f"{_kv(self.key, value)} {shown} {show(_shown(self.operand))}"

    def text(self) -> str:
        return f"{self.key} {self.op} {show(_shown(self.operand))}"


class _In(_Node):
    __slots__ = ("key", "options", "negated", "mode")

    def __init__(self, key: str, options: tuple[Any, ...], negated: bool, mode: str) -> None:
        self.key, self.options, self.negated, self.mode = key, options, negated, mode

    def _member(self, value: Any) -> bool:
        eq = _loose_eq if self.mode == "loose" else _exact_eq if self.mode == "exact" else operator.eq
        return any(eq(value, option) for option in self.options)

    def test(self, get: Lookup) -> bool:
        value = get(self.key)
        if value is MISSING:
            return self.negated
        return self._member(value) != self.negated

    def ev(self, get: Lookup) -> tuple[bool, str]:
        value = get(self.key)
        listed = show([_shown(o) for o in self.options])
        if value is MISSING:
            return self.negated, f"{self.key} is absent"
        member = self._member(value)
        return member != self.negated, f"{_kv(self.key, value)} {'in' if member else 'not in'} {listed}"

    def text(self) -> str:
        return f"{self.key} {'not in' if self.negated else 'in'} {show([_shown(o) for o in self.options])}"


class _Exists(_Node):
    __slots__ = ("key", "want")

    def __init__(self, key: str, want: bool) -> None:
        self.key, self.want = key, want

    def test(self, get: Lookup) -> bool:
        return (get(self.key) is not MISSING) == self.want

    def ev(self, get: Lookup) -> tuple[bool, str]:
        value = get(self.key)
        present = value is not MISSING
        reason = f"{self.key} is present ({_kv(self.key, value)})" if present else f"{self.key} is absent"
        return present == self.want, reason

    def text(self) -> str:
        return f"{self.key} exists" if self.want else f"{self.key} does not exist"


class _Not(_Node):
    __slots__ = ("inner",)

    def __init__(self, inner: _Node) -> None:
        self.inner = inner

    def test(self, get: Lookup) -> bool:
        return not self.inner.test(get)

    def ev(self, get: Lookup) -> tuple[bool, str]:
        held, reason = self.inner.ev(get)
        return not held, reason

    def text(self) -> str:
        return f"not ({self.inner.text()})"


class _All(_Node):
    __slots__ = ("parts",)

    def __init__(self, parts: list[_Node]) -> None:
        self.parts = tuple(parts)

    def test(self, get: Lookup) -> bool:
        return all(p.test(get) for p in self.parts)

    def ev(self, get: Lookup) -> tuple[bool, str]:
        reasons = []
        for p in self.parts:
            held, reason = p.ev(get)
            if not held:
                return False, reason
            reasons.append(reason)
        return True, " and ".join(reasons)

    def text(self) -> str:
        return " and ".join(f"({p.text()})" if isinstance(p, _Any) else p.text() for p in self.parts)


class _Any(_Node):
    __slots__ = ("parts",)

    def __init__(self, parts: list[_Node]) -> None:
        self.parts = tuple(parts)

    def test(self, get: Lookup) -> bool:
        return any(p.test(get) for p in self.parts)

    def ev(self, get: Lookup) -> tuple[bool, str]:
        reasons = []
        for p in self.parts:
            held, reason = p.ev(get)
            if held:
                return True, reason
            reasons.append(reason)
        return False, " and ".join(reasons)

    def text(self) -> str:
        return " or ".join(f"({p.text()})" if isinstance(p, _All) else p.text() for p in self.parts)


def _exact_eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _loose_eq(value: Any, operand: Any) -> bool:
    """Equality for raw metadata: typed, except that a number equals a numeric string."""
    if _exact_eq(value, operand):
        return True
    if isinstance(value, bool) or isinstance(operand, bool):
        return False
    if isinstance(value, (int, float)) and isinstance(operand, str) or isinstance(value, str) and isinstance(operand, (int, float)):
        a, b = as_quantity(value), as_quantity(operand)
        return a is not None and b is not None and a == b
    return False


# -- compiling -------------------------------------------------------------------------------------


class Condition:
    """A compiled ``when:`` condition.

    Attributes:
        source: the condition as written.
        keys: the parameter and metadata keys it reads.
    """

    __slots__ = ("source", "keys", "_root", "_declared")

    def __init__(self, source: Any, root: _Node, keys: frozenset[str], declared: frozenset[str]) -> None:
        self.source = source
        self.keys = keys
        self._root = root
        self._declared = declared

    def _getter(self, params: Mapping[str, Any], metadata: Mapping[str, Any]) -> Lookup:
        declared = self._declared

        def get(key: str) -> Any:
            if key in declared:
                return params.get(key, MISSING)
            value = lookup_path(metadata, key)
            return MISSING if value is None else value

        return get

    def matches(self, params: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
        """Whether the condition holds (the fast path: no reasons built).

        Args:
            params: resolved typed parameter values (``ResolvedParams.values``).
            metadata: the merged raw metadata (``ResolvedParams.metadata.data``).
        """
        return self._root.test(self._getter(params, metadata))

    def evaluate(self, params: Mapping[str, Any], metadata: Mapping[str, Any]) -> tuple[bool, str]:
        """Whether the condition holds, and a reason such as ``memory=32Gi >= 16Gi``."""
        return self._root.ev(self._getter(params, metadata))

    def describe(self) -> str:
        """The condition as one readable line: ``job_profile == gpu and memory >= 16Gi``."""
        return self._root.text()

    def operands(self) -> dict[str, list[tuple[str, Any]]]:
        """Per key read, the ``(operator, operand)`` pairs it is tested with (for finding
        metadata that makes the condition hold or fail: ``compose validate``)."""
        out: dict[str, list[tuple[str, Any]]] = {}
        stack: list[_Node] = [self._root]
        while stack:
            node = stack.pop()
            if isinstance(node, _Cmp):
                out.setdefault(node.key, []).append((node.op, node.operand))
            elif isinstance(node, _In):
                out.setdefault(node.key, []).extend(("==", o) for o in node.options)
            elif isinstance(node, _Exists):
                out.setdefault(node.key, []).append(("exists", node.want))
            elif isinstance(node, _Not):
                stack.append(node.inner)
            elif isinstance(node, (_All, _Any)):
                stack.extend(node.parts)
        return out

    def __repr__(self) -> str:
        return f"Condition({self.describe()!r})"


#: The condition that always holds (``when: {}``).
ALWAYS = Condition({}, _Always(), frozenset(), frozenset())


class _Compiler:
    def __init__(self, decls: Mapping[str, ParamDecl], file: str | None, locations: Any) -> None:
        self.decls = decls
        self.file = file
        self.locations = locations
        self.problems: list[Problem] = []
        self.keys: set[str] = set()

    def bad(self, message: str, path: tuple[Any, ...]) -> None:
        self.problems.append(problem_at(message, self.file, self.locations, path))

    def condition(self, raw: Any, path: tuple[Any, ...]) -> _Node | None:
        if isinstance(raw, str):
            self.bad(
                f"a condition is a mapping, not a string ({raw!r}): write e.g. "
                "{job_profile: gpu} or {memory: {\">=\": 16Gi}}",
                path,
            )
            return None
        if isinstance(raw, list):
            self.bad("a condition is a mapping; to require several, write {all: [...]} or one mapping with several keys", path)
            return None
        if not isinstance(raw, dict):
            self.bad(f"a condition must be a mapping, got {type_name(raw)}", path)
            return None
        if not raw:
            return _Always()
        parts: list[_Node] = []
        for key, value in raw.items():
            at = path + (key,)
            node: _Node | None
            if key in ("all", "any"):
                if not isinstance(value, list) or not value:
                    self.bad(f"{key} takes a non-empty list of conditions", at)
                    continue
                subs = [self.condition(v, at + (i,)) for i, v in enumerate(value)]
                if any(s is None for s in subs):
                    continue
                node = _All(subs) if key == "all" else _Any(subs)  # type: ignore[arg-type]
            elif key == "not":
                inner = self.condition(value, at)
                if inner is None:
                    continue
                node = _Not(inner)
            elif not isinstance(key, str) or not key:
                self.bad(f"a condition key must be a non-empty string, got {key!r}", at)
                continue
            else:
                node = self.test(key, value, at)
            if node is not None:
                parts.append(node)
        if len(parts) != len(raw):
            return None
        return parts[0] if len(parts) == 1 else _All(parts)

    def test(self, key: str, raw: Any, path: tuple[Any, ...]) -> _Node | None:
        self.keys.add(key)
        if isinstance(raw, list):
            return self.op(key, "in", raw, path)
        if isinstance(raw, dict):
            if not raw:
                self.bad(f"{key}: an empty test; use {{exists: true}} to test presence", path)
                return None
            parts = []
            for op, operand in raw.items():
                at = path + (op,)
                if op not in OPERATORS:
                    hint = _ALIASES.get(op) if isinstance(op, str) else None
                    if hint:
                        self.bad(f"{key}: unknown operator {op!r}; write {hint!r}", at)
                    else:
                        self.bad(f"{key}: unknown operator {op!r} (one of {', '.join(OPERATORS)})", at)
                    continue
                node = self.op(key, op, operand, at)
                if node is not None:
                    parts.append(node)
            if len(parts) != len(raw):
                return None
            return parts[0] if len(parts) == 1 else _All(parts)
        if raw is None:
            self.bad(f"{key}: compare with null? write {{exists: false}} to test absence", path)
            return None
        return self.op(key, "==", raw, path)

    def op(self, key: str, op: str, operand: Any, path: tuple[Any, ...]) -> _Node | None:
        if op == "exists":
            if not isinstance(operand, bool):
                self.bad(f"{key}: exists takes true or false, got {type_name(operand)}", path)
                return None
            return _Exists(key, operand)
        if op == "not":
            inner = self.test(key, operand, path)
            return None if inner is None else _Not(inner)
        if op in ("in", "notIn"):
            if not isinstance(operand, list) or not operand:
                self.bad(f"{key}: {op} takes a non-empty list, got {type_name(operand)}", path)
                return None
            mode_opts = [self.operand(key, "==", o, path + (i,)) for i, o in enumerate(operand)]
            if any(m is None for m in mode_opts):
                return None
            mode = mode_opts[0][0]  # type: ignore[index]
            return _In(key, tuple(m[1] for m in mode_opts), op == "notIn", mode)  # type: ignore[index]
        checked = self.operand(key, op, operand, path)
        if checked is None:
            return None
        return _Cmp(key, op, checked[1], checked[0])

    def operand(self, key: str, op: str, operand: Any, path: tuple[Any, ...]) -> tuple[str, Any] | None:
        """Check one operand against the key's declaration; return (mode, typed operand)."""
        if isinstance(operand, (dict, list)) or operand is None:
            self.bad(f"{key}: cannot compare with {type_name(operand)}", path)
            return None
        if isinstance(operand, float) and not math.isfinite(operand):
            # NaN equals nothing and orders with nothing: such a test would hold never (or,
            # negated, always) whatever the metadata says.
            self.bad(f"{key}: cannot compare with {operand!r} (only finite numbers)", path)
            return None
        if _caps.huge_int(operand):
            self.bad(f"{key}: cannot compare with an integer of more than {_caps.max_number_chars()} digits", path)
            return None
        over = _caps.value_over(operand) if isinstance(operand, str) else None
        if over is not None:
            self.bad(f"{key}: the operand is too long ({len(operand)} characters; at most {over})", path)
            return None
        ordering = op in _ORDER
        decl = self.decls.get(key)
        if decl is None:
            if ordering:
                q = as_quantity(operand)
                if q is None:
                    self.bad(f"{key} {op} {show(operand)}: only numbers and quantities can be ordered", path)
                    return None
                return "loose", q
            return "loose", operand
        t = decl.type
        if t == "quantity":
            q = as_quantity(operand)
            if q is None:
                self.bad(f"{key} is a quantity parameter; {show(operand)} is not a quantity", path)
                return None
            return "quantity", q
        if t in ("integer", "number"):
            if isinstance(operand, bool) or not isinstance(operand, (int, float)):
                self.bad(f"{key} is {'an integer' if t == 'integer' else 'a number'} parameter; compare it with a number, not {type_name(operand)}", path)
                return None
            return "exact", operand
        if ordering:
            self.bad(f"{key} is a {t} parameter and cannot be ordered with {op!r}", path)
            return None
        if t == "boolean":
            if not isinstance(operand, bool):
                self.bad(f"{key} is a boolean parameter; compare it with true or false, not {type_name(operand)}", path)
                return None
            return "exact", operand
        if t == "string":
            if not isinstance(operand, str):
                self.bad(f"{key} is a string parameter; compare it with a string, not {type_name(operand)} (quote it)", path)
                return None
            return "exact", operand
        assert decl.values is not None
        for allowed in decl.values:
            if _exact_eq(allowed, operand):
                return "exact", allowed
        self.bad(f"{key} can never be {show(operand)}: its values are {show(list(decl.values))}", path)
        return None


def parse_condition(
    raw: Any,
    declarations: Mapping[str, ParamDecl] | None = None,
    *,
    file: str | None = None,
    locations: Mapping[tuple[Any, ...], tuple[int, int]] | None = None,
    path: tuple[Any, ...] = (),
) -> tuple[Condition | None, list[Problem]]:
    """Compile a condition, returning problems instead of raising (for loaders that collect).

    Returns:
        ``(condition, [])`` or ``(None, problems)``.
    """
    compiler = _Compiler(declarations or {}, file, locations)
    root = compiler.condition(raw, path)
    if root is None or compiler.problems:
        return None, compiler.problems
    return Condition(raw, root, frozenset(compiler.keys), frozenset(declarations or ())), []


def compile_condition(
    raw: Any,
    declarations: Mapping[str, ParamDecl] | None = None,
    *,
    file: str | None = None,
    locations: Mapping[tuple[Any, ...], tuple[int, int]] | None = None,
    path: tuple[Any, ...] = (),
) -> Condition:
    """Compile a ``when:`` condition against the declared parameters.

    Args:
        raw: the condition as parsed from YAML.
        declarations: the declared parameters (their types check the operands).
        file, locations, path: where the condition is, for error messages.

    Raises:
        SpecError: the condition is malformed or compares incomparable types
            (``SpecInvalid`` when there are several problems).
    """
    cond, problems = parse_condition(raw, declarations, file=file, locations=locations, path=path)
    raise_problems(problems, "condition")
    assert cond is not None
    return cond
