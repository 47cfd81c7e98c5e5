"""Typed parameters: declarations, checking, coercion, resolution (cases in cases/params.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from compose.errors import SpecError, UsageError, ValidationError
from compose.spec.metadata import MISSING, MetadataLayer, load_metadata_file, parse_set
from compose.spec.params import ParamDecl, ParameterError, parse_parameters, render_value, resolve
from compose.spec.quantity import Quantity, parse_quantity
from compose.yamlio import load_single

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "params.yaml").read_text())
DECLS, _problems = parse_parameters(CASES["declarations"])
assert not _problems, _problems


def _accept(case: dict[str, Any]) -> Any:
    decl = DECLS[case["param"]]
    if "set" in case:
        return decl.accept(case["set"], "--set", strings=True)
    return decl.accept(case["value"], "run", strings=False)


def _id(case: dict[str, Any]) -> str:
    how = f"set={case['set']!r}" if "set" in case else f"value={case['value']!r}"
    return f"{case['param']}-{how}"


@pytest.mark.parametrize("case", CASES["good"], ids=_id)
def test_good_values(case: dict[str, Any]) -> None:
    got = _accept(case)
    if "expect_quantity" in case:
        assert isinstance(got, Quantity)
        assert got.canonical() == case["expect_quantity"]
    else:
        assert got == case["expect"]
        assert type(got) is type(case["expect"])  # 3 stays int, 1000.0 is a float, True a bool


@pytest.mark.parametrize("case", CASES["bad"], ids=_id)
def test_bad_values_name_the_parameter_and_source(case: dict[str, Any]) -> None:
    with pytest.raises(ParameterError) as info:
        _accept(case)
    message = info.value.message
    assert case["error"] in message
    assert message.startswith(f"parameter {case['param']!r} from ")
    assert isinstance(info.value, SpecError)


@pytest.mark.parametrize("decl,fragment", CASES["decl_errors"], ids=[str(c[1])[:40] for c in CASES["decl_errors"]])
def test_declaration_errors(decl: Any, fragment: str) -> None:
    decls, problems = parse_parameters({"p": decl}, file="compose.yaml")
    assert "p" not in decls
    assert problems, "expected a problem"
    assert any(fragment in p.message for p in problems), [p.message for p in problems]
    assert all(p.file == "compose.yaml" for p in problems)


def test_declaration_problems_carry_lines() -> None:
    text = "parameters:\n  a: {type: integer}\n  b:\n    type: integer\n    default: nope\n  c: {type: wat}\n"
    doc = load_single(text, "compose.yaml")
    decls, problems = parse_parameters(doc.data["parameters"], file="compose.yaml", locations=doc.locations)
    assert list(decls) == ["a"]
    assert [(p.line, p.file) for p in problems] == [(5, "compose.yaml"), (6, "compose.yaml")]
    assert decls["a"].line == 2


def test_names_are_checked() -> None:
    decls, problems = parse_parameters({"ok_name-2": {}, "2bad": {}, "has space": {}, "run": {}, "flow": {}, "deployment": {}})
    assert list(decls) == ["ok_name-2"]
    assert decls["ok_name-2"].type == "string"  # the default type
    messages = " | ".join(p.message for p in problems)
    assert "invalid parameter name '2bad'" in messages
    assert "invalid parameter name 'has space'" in messages
    assert messages.count("is reserved for the run context") == 3


def test_type_inference_and_typed_defaults() -> None:
    decls, problems = parse_parameters(
        {"e": {"values": [1, 2]}, "q": {"type": "quantity", "default": "1.5Gi"}, "n": {"type": "number", "default": 2}}
    )
    assert not problems
    assert decls["e"].type == "enum"
    assert decls["q"].default == parse_quantity("1536Mi")
    assert decls["n"].default == 2 and decls["e"].default is MISSING
    assert parse_parameters(None) == ({}, [])
    assert parse_parameters([1])[1][0].message.startswith("parameters must be a mapping")


def test_describe() -> None:
    decls, _ = parse_parameters(
        {
            "memory": {"type": "quantity", "default": "2Gi", "minimum": "1Gi", "description": "Memory"},
            "r": {"values": ["a", "b"], "required": True},
            "s": {"pattern": "[a-z]+"},
        }
    )
    assert decls["memory"].describe() == "quantity, default 2Gi, 1Gi..: Memory"
    assert decls["r"].describe() == "enum [a, b], required"
    assert decls["s"].describe() == "string, pattern '[a-z]+'"


def test_render_value() -> None:
    assert render_value(True) == "true" and render_value(False) == "false"
    assert render_value(parse_quantity("1.5Gi")) == "1536Mi"
    assert render_value(3) == "3" and render_value(2.5) == "2.5" and render_value(1000.0) == "1000.0"
    assert render_value("x") == "x"


# -- resolution --------------------------------------------------------------------------------

RES_DECLS, _ = parse_parameters(
    {
        "memory": {"type": "quantity", "default": "2Gi"},
        "retries": {"type": "integer", "default": 0, "maximum": 10},
        "image": {"type": "string", "required": True},
        "debug": {"type": "boolean"},
    },
    file="compose.yaml",
)


def test_resolution_records_value_and_source() -> None:
    r = resolve(
        RES_DECLS,
        [
            ("agent", {"memory": "4Gi", "image": "a", "team": "data"}),
            ("deployment", {"memory": "8Gi"}),
            ("run", {"retries": 2, "extra": {"x": 1}}),
            parse_set(["retries=5", "debug=true"]),
        ],
    )
    assert r.values == {"memory": parse_quantity("8Gi"), "retries": 5, "image": "a", "debug": True}
    assert r.sources == {"memory": "deployment", "retries": "--set", "image": "agent", "debug": "--set"}
    assert r.undeclared == ("extra", "team")
    assert r.plain() == {"memory": "8Gi", "retries": 5, "image": "a", "debug": True}
    assert r.explain() == [
        "memory = 8Gi  (from deployment)",
        "retries = 5  (from --set)",
        "image = a  (from agent)",
        "debug = true  (from --set)",
        "extra: not a declared parameter (from run)",
        "team: not a declared parameter (from agent)",
    ]


def test_defaults_fill_in_and_optional_params_may_stay_unset() -> None:
    r = resolve(RES_DECLS, [("run", {"image": "x"})])
    assert r.values == {"memory": parse_quantity("2Gi"), "retries": 0, "image": "x"}
    assert r.sources["memory"] == "default"
    assert "debug" not in r.values


def test_null_in_a_later_layer_falls_back_to_the_default() -> None:
    r = resolve(RES_DECLS, [("agent", {"memory": "4Gi", "image": "x"}), ("deployment", {"memory": None})])
    assert r.values["memory"] == parse_quantity("2Gi")
    assert r.sources["memory"] == "default"


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(ValidationError) as info:
        resolve(RES_DECLS, [("run", {"memory": "lots", "retries": "3"}), parse_set(["debug=yes"])])
    err = info.value
    assert isinstance(err, SpecError)
    text = str(err)
    assert len(err.problems) == 4
    assert "parameter 'memory' from run: 'lots' is not a quantity" in text
    assert "parameter 'retries' from run: expected an integer, got string '3'" in text
    assert "parameter 'debug' from --set: 'yes' is not a boolean" in text
    assert "parameter 'image' is required" in text


def test_a_single_problem_is_a_plain_spec_error_with_location(tmp_path: Path) -> None:
    f = tmp_path / "meta.yaml"
    f.write_text("image: ok\n# comment\nretries: 11\n")
    with pytest.raises(SpecError) as info:
        resolve(RES_DECLS, [load_metadata_file(f)])
    err = info.value
    assert not isinstance(err, ValidationError)
    assert err.file == str(f) and err.line == 3
    assert f"parameter 'retries' from --metadata {f}: 11 is more than the maximum 10" in err.message
    assert err.format().startswith(f"{f}:3: parameters: ")


def test_strings_flag_only_coerces_strings() -> None:
    # A --set-like layer whose value is not a string (from code) is checked, not coerced.
    r = resolve(RES_DECLS, [MetadataLayer("api", {"image": "x", "retries": 4}, strings=True)])
    assert r.values["retries"] == 4


def test_check_and_coerce_directly() -> None:
    d = ParamDecl("n", "integer")
    assert d.check(3) == 3 and d.coerce("3") == 3
    with pytest.raises(ParameterError, match="parameter 'n' from here: 'x' is not an integer"):
        d.coerce("x", "here")


def test_parse_set_usage_errors() -> None:
    assert parse_set(["a=1", "b=", "c=x=y", "a=2"]).data == {"a": "2", "b": "", "c": "x=y"}
    for bad in ["novalue", "=x", " =x"]:
        with pytest.raises(UsageError):
            parse_set([bad])
