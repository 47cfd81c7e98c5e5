"""YAML reading as Kustomize reads it, line tables, and Kustomize-style writing."""

from __future__ import annotations

import math

import pytest

from compose.errors import YAMLSyntaxError
from compose.yamlio import dump_documents, dump_yaml, load_documents, load_single, scalar_is_ambiguous

# (plain scalar text, value Kustomize's go-yaml v3 reads for it)
SCALARS = [
    ("hello", "hello"),
    ("yes", "yes"),
    ("no", "no"),
    ("on", "on"),
    ("off", "off"),
    ("y", "y"),
    ("n", "n"),
    ("true", True),
    ("False", False),
    ("TRUE", True),
    ("~", None),
    ("null", None),
    ("12", 12),
    ("-3", -3),
    ("+4", 4),
    ("0755", 493),
    ("0o17", 15),
    ("0x1f", 31),
    ("1.5", 1.5),
    ("1e3", 1000.0),
    (".5", 0.5),
    ("2024-01-31", "2024-01-31"),
    ("=", "="),
    ("8Gi", "8Gi"),
    ("500m", "500m"),
    ("1:20", "1:20"),
]


@pytest.mark.parametrize("text,value", SCALARS)
def test_plain_scalars_read_as_kustomize(text: str, value: object) -> None:
    doc = load_single(f"k: {text}\n")
    assert doc.data["k"] == value
    assert type(doc.data["k"]) is type(value)


def test_special_floats() -> None:
    data = load_single("a: .inf\nb: -.Inf\nc: .nan\n").data
    assert data["a"] == math.inf and data["b"] == -math.inf and math.isnan(data["c"])


def test_quoted_and_tagged_scalars_stay_strings() -> None:
    data = load_single("a: '12'\nb: \"true\"\nc: !!str 7\nd: |\n  x\n").data
    assert data == {"a": "12", "b": "true", "c": "7", "d": "x\n"}


def test_explicit_int_tag() -> None:
    assert load_single("a: !!int '7'\n").data == {"a": 7}
    with pytest.raises(YAMLSyntaxError, match="as an integer"):
        load_single("a: !!int seven\n", "t.yaml")


def test_line_table_points_at_values() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  items:\n  - a\n  - b\n"
    doc = load_single(text, "cm.yaml")
    assert doc.locations[("metadata", "name")] == (4, 9)
    assert doc.line_of(("data", "items", 1)) == 8
    # an unknown child falls back to its nearest located ancestor
    assert doc.line_of(("data", "items", 1, "nope")) == 8


def test_style_side_tables() -> None:
    text = ("a: \"x\"\nb: ['1', 2, y]\nc: 2.50\nd: |\n  z\ne: True\nf: ~\ng:\n  h: >\n    w\n"
            "i: plain\nj: 0755\n")
    doc = load_single(text, "s.yaml")
    assert doc.quoted == {("a",), ("b", 0), ("d",), ("g", "h")}
    assert doc.plain_texts == {("b", 1): "2", ("c",): "2.50", ("e",): "True", ("j",): "0755"}
    assert doc.data["j"] == 493  # the data stay typed; the tables only sit beside them
    second = load_documents("a: 'x'\n---\nb: 1\n", "m.yaml")
    assert (second[0].quoted, second[1].quoted, second[1].plain_texts) == ({("a",)}, set(), {("b",): "1"})
    # without the line table there are no style tables either (the fast load)
    bare = load_documents(text, "s.yaml", locations=False)[0]
    assert (bare.quoted, bare.plain_texts) == (set(), {})


def test_multi_document_stream_drops_empty_documents() -> None:
    docs = load_documents("---\n# only a comment\n---\na: 1\n---\n---\nb: 2\n", "m.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
    assert docs[0].index < docs[1].index


def test_anchors_aliases_and_merge_keys() -> None:
    data = load_single("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nref: *b\n").data
    assert data["use"] == {"x": 1, "y": 3}
    assert data["ref"] == {"x": 1, "y": 2}
    data["ref"]["x"] = 9
    assert data["base"]["x"] == 1, "aliases must be copies, not shared objects"


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("a: 1\na: 2\n", 2, "already defined"),
        ("a: [1\nb: 2\n", 2, "invalid YAML"),
        ("a:\n  b: 1\n c: 2\n", 3, "invalid YAML"),
        ("a: *nope\n", 1, "invalid YAML"),
        ("x: 1\n\tb: 2\n", 2, "invalid YAML"),
    ],
)
def test_malformed_yaml_names_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(YAMLSyntaxError) as info:
        load_documents(text, "bad.yaml")
    err = info.value
    assert err.file == "bad.yaml"
    assert err.line == line
    assert message in str(err)
    assert str(err).startswith(f"bad.yaml:{line}:")


def test_load_single_refuses_several_documents() -> None:
    with pytest.raises(YAMLSyntaxError, match="expected one YAML document, found 2"):
        load_single("a: 1\n---\nb: 2\n", "one.yaml")


@pytest.mark.parametrize(
    "value",
    ["1", "y", "n", "yes", "No", "on", "OFF", "true", "null", "~", "", "0755", "1.0", "1e3", "2024-01-01",
     "=", "12:30", ".inf", "0x1F"],
)
def test_ambiguous_strings_are_quoted_and_round_trip(value: str) -> None:
    assert scalar_is_ambiguous(value)
    text = dump_yaml({"k": value})
    assert text == f'k: "{value}"\n'
    assert load_single(text).data == {"k": value}


@pytest.mark.parametrize("value", ["hello", "8Gi", "500m", "prefect:2", "a b", "x-1"])
def test_plain_strings_stay_plain(value: str) -> None:
    assert not scalar_is_ambiguous(value)
    assert load_single(dump_yaml({"k": value})).data == {"k": value}


@pytest.mark.parametrize(
    "value",
    ["line1\nline2\n", "a: b\nc: d", "- x\n- y", "{x: 1}", "'quoted'", '"dq"', "#not a comment", "${x}",
     "tab\there", "  leading", "trailing  \nx", "\u00e9t\u00e9", "key: value # c", "&anchor", "*alias", "!tag"],
)
def test_any_string_round_trips_as_a_string(value: str) -> None:
    tree = {"env": [{"name": "X", "value": value}]}
    assert load_single(dump_yaml(tree)).data == tree


def test_dump_is_kustomize_style() -> None:
    job = {"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": "x"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "args": ["a"]}]}}}}
    assert dump_yaml(job) == (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - args:\n        - a\n        name: c\n"
    )
    assert dump_documents([{"a": 1}, {"b": 2}]) == "a: 1\n---\nb: 2\n"


def test_float_keeps_its_type() -> None:
    assert load_single(dump_yaml({"f": 1.0, "g": 2.5})).data == {"f": 1.0, "g": 2.5}
    assert isinstance(load_single(dump_yaml({"f": 1.0})).data["f"], float)
