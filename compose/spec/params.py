"""Typed parameters: declarations in ``compose.yaml``, checked values, and their provenance.

Declaring a parameter (under ``parameters:`` in ``compose.yaml``)::

    parameters:
      memory:   {type: quantity, default: 2Gi, minimum: 512Mi, maximum: 120Gi,
                 description: Memory of the flow container}
      cpu:      {type: quantity, default: "1", maximum: "16"}
      retries:  {type: integer, default: 0, minimum: 0, maximum: 10}
      ratio:    {type: number, default: 0.5}
      debug:    {type: boolean, default: false}
      region:   {type: enum, values: [us-east-1, eu-west-1], default: us-east-1}
      image:    {type: string, pattern: '[a-z0-9./-]+(:[A-Za-z0-9._-]+)?', required: true}

Fields: ``type`` (``string`` when omitted, ``enum`` when only ``values`` is given),
``description``, ``default``, ``required`` (no default allowed then), ``values`` (enum),
``pattern`` (string; a regular expression in RE2 syntax that must match the **whole** value;
matched in linear time, see :mod:`compose.safe_regex`; values longer than
:mod:`compose.limits` ``max_value_chars`` are refused before matching),
``minimum`` / ``maximum`` (integer, number, quantity; inclusive; compared as quantities for a
quantity). A name is letters, digits, ``_`` and ``-``, starting with a letter or ``_``; ``run``,
``flow`` and ``deployment`` are reserved for the run context (``${run.id}``).

**Where values come from** (later wins): the declared ``default``; the selected profile's
``parameters``; then the metadata layers (:mod:`compose.spec.metadata`). :class:`ResolvedParams`
records for each parameter its value and that source.

**Command-line strings** (``--set``) are *coerced* to the declared type:

=========  ===============================================================================
Type       Accepted ``--set`` text
=========  ===============================================================================
string     anything, as is
integer    decimal digits with an optional sign: ``3``, ``-1`` (not ``3.0``, ``1e3``, ``0x10``)
number     an integer (stays an integer) or a decimal/exponent number: ``0.5``, ``1e3``
boolean    ``true`` / ``false`` (also ``True``, ``TRUE``, ``False``, ``FALSE``: YAML 1.2's
           booleans; ``yes``, ``no``, ``on``, ``1`` are refused, as compose reads YAML 1.2)
quantity   a Kubernetes quantity: ``8Gi``, ``500m``, ``2``
enum       the text of one of the values (``--set gpus=2`` picks the integer value 2)
=========  ===============================================================================

**JSON/YAML values** (metadata layers, profile parameters, defaults) are *checked*, never
converted across types: a string parameter refuses the integer ``3`` (write ``"3"``), which
catches YAML surprises such as ``version: 1.10`` read as the number 1.1. The only conversions
are within a kind: an integer parameter accepts a whole float (``3.0`` is 3, as JSON has one
number type) and a quantity accepts a number (``2`` is the quantity ``2``, as the Kubernetes API
accepts). A typed value is: ``str``, ``int``, ``int``/``float``, ``bool``, a
:class:`~compose.spec.quantity.Quantity`, or the matching enum value.

Every failure names the parameter and where the value came from, with file and line when
known, and :func:`resolve` reports all failures at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose.errors import Problem, SpecError
from compose.safe_regex import RegexError, compile_linear

from ._problems import problem_at, raise_problems, show, type_name
from .metadata import MISSING, MergedMetadata, MetadataLayer, merge_layers
from . import _caps
from .quantity import Quantity, QuantityError, parse_quantity

__all__ = [
    "TYPES",
    "RESERVED_NAMES",
    "ParamDecl",
    "ParameterError",
    "ResolvedParams",
    "parse_parameters",
    "resolve",
    "render_value",
]

#: The parameter types.
TYPES = ("string", "integer", "number", "boolean", "quantity", "enum")
#: Names a parameter may not take: the roots of the run-context placeholders.
RESERVED_NAMES = frozenset({"run", "flow", "deployment"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INT_TEXT = re.compile(r"[-+]?[0-9]+")
# No two adjacent runs of digits can trade characters: linear on long text (capped anyway).
_NUM_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_DECL_FIELDS = ("type", "description", "default", "required", "values", "pattern", "minimum", "maximum")


class ParameterError(SpecError):
    """A value fails its parameter's declaration (the message names both)."""


class _Fail(Exception):
    """Internal: a value problem, before the parameter and source are attached."""


def render_value(value: Any) -> str:
    """A typed value as text: ``true``/``false`` for booleans, canonical form for quantities."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class ParamDecl:
    """One declared parameter.

    Attributes:
        name: the parameter's name (a metadata key and a placeholder name).
        type: one of :data:`TYPES`.
        default: the typed default, or :data:`~compose.spec.metadata.MISSING`.
        description: free text for ``compose profiles`` / ``explain``.
        required: a value must come from metadata (no default).
        values: the enum's allowed values, in declared order.
        pattern: the regular expression a string must match entirely, as written.
        minimum: inclusive lower bound (int/float, or Quantity for a quantity), or None.
        maximum: inclusive upper bound, or None.
        file: the compose.yaml that declares it; line: where.
    """

    name: str
    type: str = "string"
    default: Any = MISSING
    description: str = ""
    required: bool = False
    values: tuple[Any, ...] | None = None
    pattern: str | None = None
    minimum: Any = None
    maximum: Any = None
    file: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    _regex: Any = field(default=None, compare=False, repr=False)

    # -- checking and coercing -----------------------------------------------------------------

    def check(self, value: Any, source: str = "value", *, file: str | None = None, line: int | None = None) -> Any:
        """Check a JSON/YAML value against this declaration and return it typed.

        Raises:
            ParameterError: naming the parameter, the source and the problem.
        """
        try:
            return self._bounds(self._check(value))
        except _Fail as exc:
            raise self._error(str(exc), source, file, line) from None

    def coerce(self, text: str, source: str = "--set", *, file: str | None = None, line: int | None = None) -> Any:
        """Coerce a command-line string to this parameter's type and check it.

        Raises:
            ParameterError: naming the parameter, the source and the problem.
        """
        try:
            return self._bounds(self._coerce(text))
        except _Fail as exc:
            raise self._error(str(exc), source, file, line) from None

    def accept(self, value: Any, source: str, *, strings: bool, file: str | None = None, line: int | None = None) -> Any:
        """:meth:`coerce` when ``strings`` and the value is a string, else :meth:`check`."""
        if strings and isinstance(value, str):
            return self.coerce(value, source, file=file, line=line)
        return self.check(value, source, file=file, line=line)

    def _error(self, problem: str, source: str, file: str | None, line: int | None) -> ParameterError:
        return ParameterError(f"parameter {self.name!r} from {source}: {problem}", file=file, line=line, step="parameters")

    def _check(self, value: Any) -> Any:
        t = self.type
        if t == "string":
            if not isinstance(value, str):
                raise _Fail(f"expected a string, got {_type_name(value)}" + _quote_hint(value))
            return self._match(value)
        if t == "integer":
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _Fail(f"expected an integer, got {_type_name(value)}")
            return _integer(value)
        if t == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _Fail(f"expected a number, got {_type_name(value)}")
            if isinstance(value, float) and not math.isfinite(value):
                raise _Fail(f"expected a finite number, got {value!r}")
            return _integer(value) if isinstance(value, int) else value
        if t == "boolean":
            if not isinstance(value, bool):
                raise _Fail(f"expected true or false, got {_type_name(value)}")
            return value
        if t == "quantity":
            if isinstance(value, Quantity):
                return value
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise _Fail(f"expected a quantity such as '8Gi' or '500m', got {_type_name(value)}")
            try:
                return parse_quantity(value)
            except QuantityError as exc:
                raise _Fail(exc.message) from None
        # enum
        assert self.values is not None
        for allowed in self.values:
            if _same(allowed, value):
                return allowed
        raise _Fail(f"{_type_name(value) if _huge(value) else show(value)} is not one of {show(list(self.values))}")

    def _coerce(self, text: str) -> Any:
        t = self.type
        if t == "string":
            return self._match(text)
        over = _caps.number_over(text) if t in ("integer", "number") else None
        if over is not None:
            raise _Fail(f"{_caps.clip(text, 100)} is too long for {'an integer' if t == 'integer' else 'a number'} (at most {over} characters)")
        if t == "integer":
            if not _INT_TEXT.fullmatch(text):
                raise _Fail(f"{_text(text)} is not an integer")
            return _integer(int(text))
        if t == "number":
            if _INT_TEXT.fullmatch(text):
                return _integer(int(text))
            if not _NUM_TEXT.fullmatch(text):
                raise _Fail(f"{_text(text)} is not a number")
            number = float(text)
            if not math.isfinite(number):
                raise _Fail(f"{text!r} is out of range for a number (finite numbers only)")
            return number
        if t == "boolean":
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise _Fail(f"{_text(text)} is not a boolean (write true or false)")
        if t == "quantity":
            try:
                return parse_quantity(text)
            except QuantityError as exc:
                raise _Fail(exc.message) from None
        assert self.values is not None
        for allowed in self.values:
            if render_value(allowed) == text:
                return allowed
        raise _Fail(f"{_text(text)} is not one of {show(list(self.values))}")

    def _match(self, text: str) -> str:
        over = _caps.value_over(text)
        if over is not None:
            raise _Fail(f"{_caps.clip(text, 100)} is too long (at most {over} characters)")
        if self._regex is not None and not self._regex.fullmatch(text):
            raise _Fail(f"{_text(text)} does not match the pattern {self.pattern!r}")
        return text

    def _bounds(self, value: Any) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise _Fail(f"{render_value(value)} is less than the minimum {render_value(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise _Fail(f"{render_value(value)} is more than the maximum {render_value(self.maximum)}")
        return value

    def describe(self) -> str:
        """One line for listings: ``quantity, default 2Gi, 512Mi..120Gi: Memory``."""
        parts = [self.type if self.type != "enum" else f"enum {show(list(self.values or ()))}"]
        if self.required:
            parts.append("required")
        if self.default is not MISSING:
            parts.append(f"default {show(self.default)}")
        if self.minimum is not None or self.maximum is not None:
            lo = "" if self.minimum is None else render_value(self.minimum)
            hi = "" if self.maximum is None else render_value(self.maximum)
            parts.append(f"{lo}..{hi}")
        if self.pattern is not None:
            parts.append(f"pattern {self.pattern!r}")
        text = ", ".join(parts)
        return f"{text}: {self.description}" if self.description else text


def _integer(value: int) -> int:
    # Checked before anything formats it: str() of an int over 4,300 digits raises ValueError.
    if _caps.huge_int(value):
        raise _Fail(f"the integer is too large (more than {_caps.max_number_chars()} digits)")
    return value


def _text(text: str) -> str:
    return _caps.clip(text, 100) if len(text) > 200 else repr(text)


def _huge(value: Any) -> bool:
    """A value too big to show whole in a message."""
    if isinstance(value, str):
        return len(value) > 200
    return _caps.huge_int(value)


def _type_name(value: Any) -> str:
    if not _huge(value):
        return type_name(value)
    if isinstance(value, str):
        return f"string {_caps.clip(value, 100)}"
    return f"an integer of more than {_caps.max_number_chars()} digits"


def _same(a: Any, b: Any) -> bool:
    # Type-aware equality: True is not 1, "1" is not 1; 1 == 1.0 is fine.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _quote_hint(value: Any) -> str:
    if _huge(value):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f" (quote it: \"{value}\")"
    if isinstance(value, bool):
        return f" (quote it: \"{str(value).lower()}\")"
    return ""


# -- parsing declarations ------------------------------------------------------------------------


def parse_parameters(
    raw: Any,
    *,
    file: str | None = None,
    locations: Mapping[tuple[Any, ...], tuple[int, int]] | None = None,
    path: tuple[Any, ...] = ("parameters",),
) -> tuple[dict[str, ParamDecl], list[Problem]]:
    """Parse the ``parameters:`` mapping of compose.yaml.

    Args:
        raw: the mapping (name -> declaration) as parsed.
        file: compose.yaml's name for problems; locations: its yamlio side table.
        path: where ``raw`` sits in the file.

    Returns:
        The declarations that parsed (in file order) and every problem found; a declaration with
        a problem is left out.
    """
    problems: list[Problem] = []
    decls: dict[str, ParamDecl] = {}

    def bad(message: str, at: tuple[Any, ...]) -> None:
        problems.append(problem_at(message, file, locations, at))

    if raw is None:
        return decls, problems
    if not isinstance(raw, dict):
        bad(f"parameters must be a mapping of name to declaration, got {type_name(raw)}", path)
        return decls, problems
    for name, spec in raw.items():
        at = path + (name,)
        n_before = len(problems)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            bad(f"invalid parameter name {name!r}: use letters, digits, '_' and '-', starting with a letter or '_'", at)
            continue
        if name in RESERVED_NAMES:
            bad(f"parameter name {name!r} is reserved for the run context (${{{name}.…}})", at)
            continue
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            bad(f"parameter {name!r}: the declaration must be a mapping, got {type_name(spec)}", at)
            continue
        for key in spec:
            if key not in _DECL_FIELDS:
                bad(f"parameter {name!r}: unknown field {key!r} (known: {', '.join(_DECL_FIELDS)})", at + (key,))
        ptype = spec.get("type", "enum" if "values" in spec else "string")
        if ptype not in TYPES:
            bad(f"parameter {name!r}: unknown type {show(ptype)} (one of {', '.join(TYPES)})", at + ("type",))
            continue
        description = spec.get("description", "")
        if not isinstance(description, str):
            bad(f"parameter {name!r}: description must be a string", at + ("description",))
        required = spec.get("required", False)
        if not isinstance(required, bool):
            bad(f"parameter {name!r}: required must be true or false", at + ("required",))
            required = False
        values: tuple[Any, ...] | None = None
        if ptype == "enum":
            vals = spec.get("values")
            if not isinstance(vals, list) or not vals:
                bad(f"parameter {name!r}: an enum needs a non-empty list of values", at + ("values",))
            elif any(isinstance(v, (dict, list)) or v is None for v in vals):
                bad(f"parameter {name!r}: enum values must be strings, numbers or booleans", at + ("values",))
            elif any(isinstance(v, float) and not math.isfinite(v) for v in vals):
                bad(f"parameter {name!r}: enum values must be finite numbers (NaN equals nothing)", at + ("values",))
            elif len({(type(v), v) for v in vals}) != len(vals):
                bad(f"parameter {name!r}: enum values must be unique", at + ("values",))
            else:
                values = tuple(vals)
        elif "values" in spec:
            bad(f"parameter {name!r}: values is only for type enum (this one is {ptype})", at + ("values",))
        regex = None
        pattern = spec.get("pattern")
        if pattern is not None:
            if ptype != "string":
                bad(f"parameter {name!r}: pattern is only for type string (this one is {ptype})", at + ("pattern",))
            elif not isinstance(pattern, str):
                bad(f"parameter {name!r}: pattern must be a string", at + ("pattern",))
            else:
                try:
                    regex = compile_linear(pattern)
                except RegexError as exc:
                    bad(f"parameter {name!r}: invalid pattern: {exc}", at + ("pattern",))
        bounds: dict[str, Any] = {}
        for key in ("minimum", "maximum"):
            if spec.get(key) is None:
                continue
            bound = spec[key]
            if ptype in ("integer", "number"):
                if isinstance(bound, bool) or not isinstance(bound, (int, float)):
                    bad(f"parameter {name!r}: {key} must be a number, got {_type_name(bound)}", at + (key,))
                    continue
                if isinstance(bound, float) and not math.isfinite(bound):
                    bad(f"parameter {name!r}: {key} must be a finite number, got {bound!r}", at + (key,))
                    continue
                bounds[key] = bound
            elif ptype == "quantity":
                try:
                    bounds[key] = parse_quantity(bound)
                except QuantityError as exc:
                    bad(f"parameter {name!r}: {key}: {exc.message}", at + (key,))
            else:
                bad(f"parameter {name!r}: {key} is only for integer, number and quantity (this one is {ptype})", at + (key,))
        if "minimum" in bounds and "maximum" in bounds and bounds["minimum"] > bounds["maximum"]:
            bad(f"parameter {name!r}: minimum {render_value(bounds['minimum'])} is more than maximum {render_value(bounds['maximum'])}", at + ("minimum",))
        if len(problems) > n_before:
            continue
        line = locations.get(at, (None,))[0] if locations else None
        decl = ParamDecl(
            name=name,
            type=ptype,
            description=description if isinstance(description, str) else "",
            required=required,
            values=values,
            pattern=pattern,
            minimum=bounds.get("minimum"),
            maximum=bounds.get("maximum"),
            file=file,
            line=line,
            _regex=regex,
        )
        if "default" in spec:
            if required:
                bad(f"parameter {name!r}: a required parameter cannot have a default", at + ("default",))
                continue
            if spec["default"] is None:
                bad(f"parameter {name!r}: default is null (leave it out for no default)", at + ("default",))
                continue
            try:
                typed = decl.check(spec["default"], "its default")
            except ParameterError as exc:
                bad(exc.message, at + ("default",))
                continue
            decl = _replace_default(decl, typed)
        decls[name] = decl
    return decls, problems


def _replace_default(decl: ParamDecl, default: Any) -> ParamDecl:
    from dataclasses import replace

    return replace(decl, default=default)


# -- resolution ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedParams:
    """Every parameter's value for one build, and where each came from.

    Attributes:
        values: name -> typed value, for every parameter that has one (defaults included).
            Quantities are :class:`~compose.spec.quantity.Quantity` objects.
        sources: name -> ``"default"``, a layer name (``"run"``, ``"profile gpu"``, ...) or
            ``"--set"``.
        undeclared: metadata top-level keys that no parameter declares, sorted (ignored by the
            build; listed by ``compose explain``).
        metadata: the merged metadata the values were read from.
    """

    values: dict[str, Any]
    sources: dict[str, str]
    undeclared: tuple[str, ...]
    metadata: MergedMetadata

    def plain(self) -> dict[str, Any]:
        """The values as JSON-ready data (quantities as their canonical strings)."""
        return {k: (str(v) if isinstance(v, Quantity) else v) for k, v in self.values.items()}

    def explain(self) -> list[str]:
        """Lines for ``compose explain``: ``memory = 32Gi  (from run)``, then undeclared keys."""
        lines = [f"{k} = {show(v)}  (from {self.sources[k]})" for k, v in self.values.items()]
        for key in self.undeclared:
            origin = self.metadata.origins.get(key)
            lines.append(f"{key}: not a declared parameter" + (f" (from {origin.name})" if origin else ""))
        return lines


def resolve(
    declarations: Mapping[str, ParamDecl],
    layers: Sequence[MetadataLayer | tuple[str, Mapping[str, Any]]] | MergedMetadata,
    *,
    consumed: Iterable[str] = (),
    profile: tuple[str, Mapping[str, Any]] | None = None,
) -> ResolvedParams:
    """Resolve every declared parameter from defaults and metadata layers.

    Args:
        declarations: name -> declaration (from :func:`parse_parameters`).
        layers: metadata layers lowest first (merged here), or metadata already merged.
        consumed: undeclared keys that are used anyway and should not be listed as ignored
            (the profile selection key).
        profile: ``(source name, typed values)`` of the selected profile's parameters, which sit
            below every metadata layer and above the defaults (already checked at load).

    Returns:
        The resolved parameters.

    Raises:
        SpecError: one value fails its declaration, or a required parameter has no value
            (naming the parameter, the layer, and the file and line when known).
        SpecInvalid: several such problems, all listed.
    """
    merged = layers if isinstance(layers, MergedMetadata) else merge_layers(layers)
    data = merged.data
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    for name, decl in declarations.items():
        if name in data:
            layer = merged.origins[name]
            try:
                values[name] = decl.accept(data[name], layer.name, strings=layer.strings)
            except ParameterError as exc:
                problems.append(Problem(exc.message, file=layer.file, line=layer.line_of(name)))
                continue
            sources[name] = layer.name
        elif profile is not None and name in profile[1]:
            values[name] = profile[1][name]
            sources[name] = profile[0]
        elif decl.default is not MISSING:
            values[name] = decl.default
            sources[name] = "default"
        elif decl.required:
            problems.append(
                Problem(f"parameter {name!r} is required: set it in the metadata or with --set {name}=...", file=decl.file, line=decl.line)
            )
    raise_problems(problems, "run metadata", step="parameters")
    skip = set(consumed)
    undeclared = tuple(sorted(k for k in data if k not in declarations and k not in skip))
    return ResolvedParams(values=values, sources=sources, undeclared=undeclared, metadata=merged)
