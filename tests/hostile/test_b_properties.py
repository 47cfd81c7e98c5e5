"""Property-based tests (hypothesis) for quantities, parameter coercion, conditions and patterns.

Properties: any input ends in a value or a ComposeError (never another exception), and what
compose writes back reads back the same (canonical quantities, rendered parameter values).
Derandomized, so every run tries the same examples.
"""

from __future__ import annotations

import math
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose.errors import ComposeError
from compose.safe_regex import RegexError, compile_linear
from compose.spec.conditions import compile_condition
from compose.spec.params import ParameterError, parse_parameters, render_value
from compose.spec.quantity import Quantity, QuantityError, parse_quantity

SETTINGS = settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies ---------------------------------------------------------------------------------------

_SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e3", "E-6", "e0", "e+2"]
_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=25)


@st.composite
def quantity_texts(draw: st.DrawFn) -> str:
    whole = draw(_DIGITS)
    frac = draw(st.one_of(st.none(), _DIGITS))
    if not whole and not frac:
        whole = "0"
    sign = draw(st.sampled_from(["", "+", "-"]))
    suffix = draw(st.sampled_from(_SUFFIXES))
    return sign + whole + ("." + frac if frac is not None else "") + suffix


# Text near the grammar: digits, signs, dots, suffix letters, odd Unicode digits, spaces.
near_quantity = st.text(alphabet="0123456789+-.eEinumkKMGTPi²٣ \t", max_size=40)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)


# -- quantities ----------------------------------------------------------------------------------------


@SETTINGS
@given(quantity_texts())
def test_quantity_canonical_form_round_trips(text: str) -> None:
    try:
        q = parse_quantity(text)
    except QuantityError:
        return  # e.g. an exponent beyond range
    canonical = q.canonical()
    again = parse_quantity(canonical)
    assert again == q
    assert again.canonical() == canonical


@SETTINGS
@given(st.one_of(near_quantity, st.text(max_size=40)))
def test_quantity_parsing_raises_only_quantity_error(text: str) -> None:
    try:
        q = parse_quantity(text)
    except QuantityError:
        return
    assert isinstance(q, Quantity)
    assert parse_quantity(q.canonical()) == q


@SETTINGS
@given(st.one_of(st.integers(min_value=-(10**5000), max_value=10**5000), st.floats(allow_nan=True, allow_infinity=True)))
def test_numbers_as_quantities(number: float) -> None:
    try:
        q = parse_quantity(number)
    except QuantityError:
        assert isinstance(number, int) and abs(number) > 10**99 or isinstance(number, float) and not math.isfinite(number)
        return
    assert q.value == number or isinstance(number, float)  # floats go through their repr (exact decimal)


# -- parameter coercion -----------------------------------------------------------------------------------

_DECLS, _PROBLEMS = parse_parameters(
    {
        "s": {"type": "string", "pattern": "[a-z0-9.-]*"},
        "i": {"type": "integer", "minimum": -1000000, "maximum": 10**30},
        "n": {"type": "number"},
        "b": {"type": "boolean"},
        "q": {"type": "quantity", "maximum": "1Ei"},
        "e": {"values": ["a", 2, 2.5, True]},
    },
    file="compose.yaml",
)
assert not _PROBLEMS, _PROBLEMS


set_texts = st.one_of(
    st.text(max_size=40), near_quantity, quantity_texts(), st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr), st.text(alphabet="abc.-019", max_size=12),
    st.sampled_from(["true", "false", "True", "FALSE", "yes", "a", "2", "2.5", "1e400", "-0", "0x10"]),
)


@SETTINGS
@given(st.sampled_from(sorted(_DECLS)), set_texts)
def test_coercion_raises_only_parameter_error_and_round_trips(name: str, text: str) -> None:
    decl = _DECLS[name]
    try:
        value = decl.coerce(text)
    except ParameterError:
        return
    shown = str(value) if isinstance(value, Quantity) else render_value(value)
    again = decl.coerce(shown)
    assert again == value and type(again) is type(value)


@SETTINGS
@given(st.sampled_from(sorted(_DECLS)), json_values)
def test_checking_json_values_raises_only_parameter_error(name: str, value: object) -> None:
    decl = _DECLS[name]
    try:
        typed = decl.check(value)
    except ParameterError as exc:
        assert len(str(exc)) < 2000
        return
    assert decl.check(typed) == typed


# -- conditions ---------------------------------------------------------------------------------------------

_OPS = ["==", "!=", "<", "<=", ">", ">=", "in", "notIn", "exists", "not", "gt", "=", 7]
_KEYS = st.sampled_from(["i", "n", "q", "s", "b", "e", "raw", "raw.nested", "", "all", "any", "not"])
operands = st.one_of(json_scalars, st.sampled_from(["1Gi", "500m", "16Gi", "a", "2"]), st.lists(json_scalars, max_size=3))
tests_ = st.one_of(operands, st.dictionaries(st.sampled_from(_OPS), operands, max_size=2))
conditions = st.recursive(
    st.dictionaries(_KEYS, tests_, max_size=3),
    lambda inner: st.one_of(st.dictionaries(st.sampled_from(["all", "any"]), st.lists(inner, max_size=3), max_size=1),
                            st.dictionaries(st.just("not"), inner, max_size=1)),
    max_leaves=8,
)
metadata = st.dictionaries(st.sampled_from(["i", "n", "q", "s", "raw", "e"]), json_values, max_size=4)


@SETTINGS
@given(st.one_of(conditions, json_values))
def test_conditions_compile_or_raise_compose_error(raw: object) -> None:
    try:
        cond = compile_condition(raw, _DECLS)
    except ComposeError:
        return
    assert isinstance(cond.describe(), str)


@SETTINGS
@given(conditions, metadata)
def test_compiled_conditions_evaluate_any_metadata(raw: object, data: dict) -> None:
    try:
        cond = compile_condition(raw, _DECLS)
    except ComposeError:
        return
    params = {}
    for name, value in data.items():
        if name in _DECLS:
            try:
                params[name] = _DECLS[name].check(value)
            except ParameterError:
                pass
    held, reason = cond.evaluate(params, data)
    assert held == cond.matches(params, data)
    assert isinstance(reason, str)


@SETTINGS
@given(st.sampled_from([math.nan, math.inf, -math.inf, float("-nan")]), st.sampled_from(["n", "raw", "i", "q"]))
def test_non_finite_operands_never_compile(value: float, key: str) -> None:
    for raw in ({key: value}, {key: {">": value}}, {key: [value]}, {key: {"notIn": [1, value]}}):
        try:
            compile_condition(raw, _DECLS)
        except ComposeError:
            continue
        raise AssertionError(f"{raw!r} compiled")


# -- patterns ------------------------------------------------------------------------------------------------

pattern_text = st.text(alphabet=string.ascii_letters[:6] + "()[]{}*+?|^$.\\,0123456789-:=!<", max_size=30)


@SETTINGS
@given(pattern_text, st.text(max_size=50))
def test_patterns_compile_or_raise_regex_error(pattern: str, text: str) -> None:
    try:
        compiled = compile_linear(pattern)
    except RegexError:
        return
    assert compiled.fullmatch(text) in (True, None)
