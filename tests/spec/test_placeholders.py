"""Placeholders: typing, interpolation, escapes, name rules, and the injection guarantee."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from compose.errors import SpecError, ValidationError
from compose.spec.params import parse_parameters
from compose.spec.placeholders import (
    ECS_NAME_RULES,
    KUBERNETES_NAME_RULES,
    PlaceholderUse,
    RunContext,
    check_placeholders,
    compile_template,
    find_placeholders,
    placeholder_names,
    substitution_values,
    unescape,
)
from compose.spec.quantity import parse_quantity
from compose.yamlio import dump_yaml, load_documents, load_single

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "placeholders.yaml").read_text())
RULES = {"kubernetes": KUBERNETES_NAME_RULES, "ecs": ECS_NAME_RULES, "none": None}


def _values(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: parse_quantity(v["quantity"]) if isinstance(v, dict) else v for k, v in raw.items()}


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_substitution(case: dict[str, Any]) -> None:
    template = case["template"]
    before = copy.deepcopy(template)
    t = compile_template(template, name_rules=RULES[case.get("rules", "kubernetes")])
    out = t.render(_values(case["values"]))
    assert out == case["expect"]
    assert template == before  # the input is never modified
    # Rendering twice with other values does not leak between builds.
    assert t.render(_values(case["values"])) == case["expect"]


@pytest.mark.parametrize("tree,fragment,path", CASES["errors"], ids=lambda v: str(v)[:40])
def test_syntax_problems(tree: Any, fragment: str, path: list[Any]) -> None:
    uses, problems = find_placeholders(tree)
    assert [(list(p), fragment in m) for p, m in problems] == [(path, True)], problems
    with pytest.raises(SpecError, match="placeholder|filter"):
        compile_template(tree)


def test_find_placeholders_reports_paths_and_typing() -> None:
    tree = {"a": ["x", {"b": "${n}"}], "c": "p-${run.id}-${m|mib}", "d": "$${not}"}
    uses, problems = find_placeholders(tree)
    assert problems == []
    assert uses == [
        PlaceholderUse(("a", 1, "b"), "n", (), True),
        PlaceholderUse(("c",), "run.id", (), False),
        PlaceholderUse(("c",), "m", ("mib",), False),
    ]
    assert placeholder_names(tree) == {"n", "run.id", "m"}


def test_unknown_names_are_load_errors_with_file_and_line() -> None:
    decls, _ = parse_parameters({"memory": {"type": "quantity"}, "name": {}})
    text = "spec:\n  a: ${memory}\n  b: ${memroy}\n  c: x-${run.labels.team}-${run.nope}\n  d: ${name|mib}\n  e: ${memory|lower}\n"
    doc = load_single(text, "bases/job.yaml")
    problems = check_placeholders(doc.data, decls, file="bases/job.yaml", locations=doc.locations)
    got = [(p.file, p.line, p.message.split(" (")[0]) for p in problems]
    assert got == [
        ("bases/job.yaml", 3, "placeholder ${memroy} names no declared parameter"),
        ("bases/job.yaml", 4, "invalid placeholder ${run.nope}: expected ${name} or ${name|filter}"),
        ("bases/job.yaml", 5, "filter 'mib' does not apply to ${name}"),
        ("bases/job.yaml", 6, "filter 'lower' does not apply to ${memory}"),
    ]
    with pytest.raises(ValidationError) as info:
        compile_template(doc.data, declarations=decls, file="bases/job.yaml", locations=doc.locations)
    assert len(info.value.problems) == 4


def test_missing_values_at_render_name_the_placeholder_and_line() -> None:
    doc = load_single("a:\n  b: ${n}\n  c: x-${m}\n", "f.yaml")
    t = compile_template(doc.data, file="f.yaml", locations=doc.locations)
    with pytest.raises(ValidationError) as info:
        t.render({})
    assert [(p.line, p.message) for p in info.value.problems] == [
        (2, "placeholder ${n} has no value in this build"),
        (3, "placeholder ${m} has no value in this build"),
    ]
    with pytest.raises(SpecError) as one:
        t.render({"n": 1})
    assert one.value.line == 3 and one.value.file == "f.yaml"


def test_a_failing_filter_is_a_spec_error() -> None:
    t = compile_template({"m": "${m|mib}"})
    with pytest.raises(SpecError, match=r"\$\{m\|mib\}: memory cannot be negative"):
        t.render({"m": parse_quantity("-1Gi")})


def test_template_paths_and_names() -> None:
    t = compile_template({"a": "${x}", "b": {"c": "n-${y}", "d": "$${z}"}, "e": 1})
    assert t.paths == (("a",), ("b", "c"))
    assert t.names == frozenset({"x", "y"})
    # untouched subtrees are shared unless fresh=True; the rendered path is copied
    tree = {"keep": {"big": [1, 2, 3]}, "spec": {"v": "${x}"}}
    t2 = compile_template(tree)
    out = t2.render({"x": 1})
    fresh = t2.render({"x": 1}, fresh=True)
    assert out == fresh == {"keep": {"big": [1, 2, 3]}, "spec": {"v": 1}}
    assert fresh["keep"] is not out["keep"]
    fresh["keep"]["big"].append(4)
    assert t2.render({"x": 2}) == {"keep": {"big": [1, 2, 3]}, "spec": {"v": 2}}


def test_run_context_and_values() -> None:
    ctx = RunContext(run_id="r1", run_name="n", flow_name=None, labels={"team": "data"})
    assert ctx.values() == {"run.id": "r1", "run.name": "n", "run.labels.team": "data"}
    assert set(RunContext.preview().values()) == {"run.id", "run.name", "flow.name", "deployment.name"}
    values = substitution_values({"memory": parse_quantity("1Gi")}, ctx)
    assert values["memory"] == parse_quantity("1Gi") and values["run.id"] == "r1"
    assert unescape("a $${b} $${") == "a ${b} ${"


def test_placeholders_in_a_compose_repo_document_list() -> None:
    docs = load_documents("kind: Job\nmetadata: {name: '${x}'}\n---\nkind: Secret\nmetadata: {name: '${x}'}\n", "f.yaml")
    t = compile_template([d.data for d in docs])
    assert [d["metadata"]["name"] for d in t.render({"x": "A.b"})] == ["a-b-4ff54a77", "a.b-4ff54a77"]


# -- the injection guarantee -----------------------------------------------------------------------

NASTY = [
    'quote " and \' quote',
    "line one\nline two",
    "a: b\nc: d",
    "- x\n- y",
    "{x: 1}",
    "[1, 2]",
    "${other}",
    "$${other}",
    "$(rm -rf /)",
    "--- \nkind: Secret",
    "...\n---\n",
    "key: value # comment",
    "# only a comment",
    "&anchor x",
    "*alias",
    "!!python/object:os.system",
    "<<: {a: 1}",
    "true",
    "null",
    "0755",
    "1e3",
    "",
    " leading and trailing ",
    "tab\there",
    "\\n not a newline",
    "unicode ✓ ünïcødé",
    "}",
    "{",
    "%YAML 1.1",
    "@at `backtick`",
]

TEMPLATE = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "job", "annotations": {"whole": "${v}", "inside": "pre-${v}-post"}},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "flow",
                        "args": ["${v}", "--opt=${v}"],
                        "env": [{"name": "V", "value": "${v}"}],
                    }
                ]
            }
        }
    },
    "data": {"plain": "${v}"},
}


def _shape(tree: Any) -> Any:
    """The structure of a tree with every string replaced by a marker."""
    if isinstance(tree, dict):
        return {k: _shape(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_shape(v) for v in tree]
    return type(tree).__name__


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_values_never_change_the_structure(value: str) -> None:
    t = compile_template(TEMPLATE)
    out = t.render({"v": value})
    # Dump to YAML text and read it back: same structure, values identical, nothing expanded.
    again = load_documents(dump_yaml(out), "out.yaml")
    assert len(again) == 1
    back = again[0].data
    assert back == out
    assert _shape(back) == _shape(TEMPLATE)
    assert back["data"]["plain"] == value
    assert back["metadata"]["annotations"]["whole"] == value
    assert back["metadata"]["annotations"]["inside"] == f"pre-{value}-post"
    container = back["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == [value, f"--opt={value}"]
    assert container["env"] == [{"name": "V", "value": value}]
    assert set(back) == set(TEMPLATE)


def test_random_values_never_change_the_structure() -> None:
    rng = random.Random(7)
    alphabet = "ab:-{}[]$#&*!|>'\"\n\t %@`,?=~\\"
    t = compile_template(TEMPLATE)
    for _ in range(300):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        back = load_documents(dump_yaml(t.render({"v": value})), "out.yaml")[0].data
        assert _shape(back) == _shape(TEMPLATE)
        assert back["data"]["plain"] == value
        assert back["metadata"]["annotations"]["inside"] == f"pre-{value}-post"


def test_a_root_string_with_only_escapes() -> None:
    assert compile_template("cost: $${x}").render({}) == "cost: ${x}"
    assert compile_template(["$${a}", "${b}"]).render({"b": 1}) == ["${a}", 1]


def test_a_value_holding_a_placeholder_is_not_expanded_again() -> None:
    t = compile_template({"a": "${x}", "b": "${y}-${x}"})
    assert t.render({"x": "${y}", "y": "Y"}) == {"a": "${y}", "b": "Y-${y}"}
