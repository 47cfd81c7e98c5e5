"""Property-based tests of the YAML loader and writers (issue 7): whatever the text, loading
raises nothing but a ComposeError; whatever the value, what compose writes reads back the same.

Derandomized (a fixed seed, no example database), so a run is deterministic.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose import limits
from compose.errors import ComposeError
from compose.yamlio import count_values, dump_documents, dump_json, dump_yaml, load_documents

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=300,
                    suppress_health_check=[HealthCheck.too_slow])
# Generating nested values is the slow part: fewer examples for the round trips.
ROUND_TRIP = settings(SETTINGS, max_examples=80)

# Pieces of YAML syntax, so that random texts reach anchors, aliases, merge keys, tags, flow
# and block collections rather than failing at the first character.
_PIECES = st.sampled_from([
    "a", "b", "0", "-1", "1e400", "0x1F", "0o17", "017", ".nan", "-.inf", "~", "null", "true", "yes",
    "2001-12-14", ":", ": ", "- ", "-", "\n", "\n  ", "\n- ", "  ", "[", "]", "{", "}", ",", "? ",
    "&a ", "*a", "&b ", "*b", "<<: ", "<<: *a", "<<: [*a, *b]", "!!binary ", "aGVsbG8=", "!!set ",
    "!!timestamp ", "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!foo ", "'", "\"", "\\",
    "|", ">", "#", "---\n", "...\n", "%YAML 1.2\n", "\t", "\x00", "\x85", "\ufeff", "é", "\U0001f600",
    "9" * 5000,
])
yaml_like = st.lists(_PIECES, max_size=40).map("".join)


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_loads_or_raises_compose_error(text: str) -> None:
    try:
        docs = load_documents(text, "t.yaml")
    except ComposeError as exc:
        assert exc.file == "t.yaml"
        return
    for doc in docs:
        assert doc.file == "t.yaml"


@SETTINGS
@given(yaml_like)
def test_yaml_like_text_loads_or_raises_compose_error(text: str) -> None:
    try:
        docs = load_documents(text, "t.yaml")
    except ComposeError as exc:
        assert exc.file == "t.yaml" and exc.format()
        return
    budget = limits.current()
    for doc in docs:
        assert count_values(doc.data, budget.max_nodes) <= budget.max_nodes


@SETTINGS
@given(yaml_like)
def test_a_small_budget_is_never_exceeded(text: str) -> None:
    limits.configure(max_nodes=20, max_depth=5)
    try:
        try:
            docs = load_documents(text, "t.yaml")
        except ComposeError:
            return
        assert sum(count_values(d.data, 1000) for d in docs) <= 20 * max(1, len(docs))
    finally:
        limits.configure(max_nodes=None, max_depth=None)


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**300), max_value=10**300),
    st.floats(allow_nan=False, allow_infinity=False), _text,
)
values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=25,
)
documents = st.dictionaries(_text, values, min_size=1, max_size=4)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and (a == b or math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@ROUND_TRIP
@given(documents)
def test_yaml_output_reads_back_the_same(doc: dict[str, Any]) -> None:
    text = dump_yaml(doc)
    back = load_documents(text, "out.yaml")
    assert len(back) == 1 and _same(doc, back[0].data), text


@ROUND_TRIP
@given(st.lists(documents, min_size=1, max_size=3))
def test_yaml_stream_reads_back_the_same(docs: list[dict[str, Any]]) -> None:
    back = load_documents(dump_documents(docs), "out.yaml")
    assert len(back) == len(docs) and all(_same(a, b.data) for a, b in zip(docs, back))


@ROUND_TRIP
@given(documents)
def test_json_output_is_valid_json_with_the_same_values(doc: dict[str, Any]) -> None:
    text = dump_json(doc)
    assert _same(doc, json.loads(text))
    assert _same(doc, load_documents(text, "out.json")[0].data)


@ROUND_TRIP
@given(documents, st.sampled_from([math.nan, math.inf, -math.inf, "bad\udcff"]))
def test_json_output_refuses_what_json_cannot_carry(doc: dict[str, Any], bad: Any) -> None:
    doc = dict(doc, zz=[bad])
    try:
        dump_json(doc)
    except ComposeError as exc:
        assert exc.path == ("zz", 0)
    else:
        raise AssertionError("written")


_CONTROL = __import__("re").compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@SETTINGS
@given(st.text(max_size=200))
def test_printable_leaves_no_control_character(text: str) -> None:
    from compose.errors import printable

    assert _CONTROL.search(printable(text)) is None
    assert "\n" not in printable(text, newlines=False)


@SETTINGS
@given(st.text(max_size=3000), st.text(max_size=100))
def test_messages_are_bounded_and_safe(value: str, key: str) -> None:
    from compose.errors import MAX_MESSAGE, SpecError

    exc = SpecError(f"parameter {key!r}: bad value {value!r}", file="m.yaml", line=1)
    text = exc.format()
    assert text.startswith("m.yaml:1: parameter ")
    assert len(exc.message) <= MAX_MESSAGE + 40
    assert _CONTROL.search(text.replace("\n", "")) is None
