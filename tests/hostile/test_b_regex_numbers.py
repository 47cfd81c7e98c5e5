"""Hostile input B: linear-time regexes, long and odd numbers (issue 7, points 3 and 4).

Each case is timed only as a guard against a hang (the bound is generous: quadratic or
exponential behaviour on these inputs takes minutes, linear takes milliseconds).
"""

from __future__ import annotations

import math
import time

import pytest

from compose.errors import ComposeError
from compose.safe_regex import RegexError, compile_linear
from compose.spec.conditions import compile_condition
from compose.spec.params import ParameterError, parse_parameters
from compose.spec.quantity import QuantityError, parse_quantity

LONG = 100_000
GUARD_S = 2.0  # whole-test guard against a hang; not a performance assertion


class _Guard:
    def __enter__(self) -> "_Guard":
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        assert time.monotonic() - self.start < GUARD_S


# -- the regex engine ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, text, expected",
    [
        ("(a*)*b", "a" * LONG, False),
        ("(a+)+", "a" * LONG + "!", False),
        ("(a|aa)+$", "a" * LONG + "b", False),
        ("(.*a){12}", "a" * 50 + "b" * LONG, False),
        ("flow-(a|b)+", "flow-abba", True),
        ("my-job", "my-job", True),  # literal: no engine
        ("my-job", "my-jobs", False),
        ("app.v1", "appxv1", True),  # "." is a regex here, as in Go
        ("é+", "ééé", True),
    ],
)
def test_patterns_match_in_linear_time(pattern: str, text: str, expected: bool) -> None:
    with _Guard():
        assert bool(compile_linear(pattern).fullmatch(text)) is expected


@pytest.mark.parametrize(
    "pattern, reason",
    [
        ("a{4294967296}", "invalid repeat count {4294967296}: at most 1000"),
        ("a{1001}", "at most 1000"),
        ("a{2,99999}", "at most 1000"),
        ("a{5,2}", "maximum is below the minimum"),
        ("(?=a)b", "lookaround"),
        (r"(a)\1", "backreferences"),
        ("((a{100}){100}){100}", "repetition"),
        ("(", "missing )"),
        ("x" * 10_001 + "(", "too long"),
    ],
)
def test_bad_patterns_are_refused_with_a_reason(pattern: str, reason: str) -> None:
    with pytest.raises(RegexError, match=None) as info:
        compile_linear(pattern)
    assert reason in str(info.value)


def test_braces_in_classes_and_escapes_are_not_counts() -> None:
    assert compile_linear("[{5000}]+").fullmatch("{50}")
    assert compile_linear(r"a\{5000}").fullmatch("a{5000}")


def test_re2_is_not_imported_for_literal_targets() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from compose.kustomize.selector import _compile\n"
        "assert _compile('my-job', 'name').fullmatch('my-job')\n"
        "print('re2' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_target_regex_is_linear_in_a_kustomize_build(tmp_path) -> None:
    from compose.kustomize import build_documents

    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\n"
        "patches:\n"
        "- target: {kind: ConfigMap, name: '(a*)*b'}\n"
        "  patch: |-\n    - {op: add, path: /data/x, value: y}\n"
    )
    name = "a" * 240
    (tmp_path / "cm.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{}}\n")
    with _Guard():
        docs = build_documents(tmp_path)
    assert docs[0]["data"] == {}  # selected nothing, as Kustomize


def test_bad_target_regex_is_a_clean_error(tmp_path) -> None:
    from compose.kustomize import build_documents

    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\n"
        "patches:\n"
        "- target: {kind: ConfigMap, name: 'a{4294967296}'}\n"
        "  patch: |-\n    - {op: add, path: /data/x, value: y}\n"
    )
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {}\n")
    with pytest.raises(ComposeError) as info:
        build_documents(tmp_path)
    assert "invalid repeat count" in str(info.value)
    assert "kustomization.yaml" in str(info.value)


# -- parameter patterns and value lengths -----------------------------------------------------------


def _decl(spec: dict):
    decls, problems = parse_parameters({"p": spec}, file="compose.yaml")
    assert not problems, problems
    return decls["p"]


def test_parameter_pattern_is_linear_on_long_values() -> None:
    decl = _decl({"type": "string", "pattern": "(a+)+"})
    with _Guard():
        with pytest.raises(ParameterError, match="does not match"):
            decl.coerce("a" * 60_000 + "!")
        assert decl.check("a" * 60_000) == "a" * 60_000


def test_parameter_values_over_the_length_cap_are_refused_before_matching() -> None:
    decl = _decl({"type": "string", "pattern": "a*"})
    with pytest.raises(ParameterError) as info:
        decl.check("a" * 10_000_000)
    message = str(info.value)
    assert "too long" in message and "10000000 characters" in message
    assert len(message) < 300  # the value is not echoed whole


@pytest.mark.parametrize("pattern", ["a{4294967296}", "(?<=a)b", "x{3,1}"])
def test_bad_parameter_patterns_are_errors_at_load(pattern: str) -> None:
    _, problems = parse_parameters({"p": {"type": "string", "pattern": pattern}}, file="compose.yaml")
    assert len(problems) == 1 and "invalid pattern" in problems[0].message


# -- quantities and numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1" * LONG + "x",
        "1" * LONG,
        "1" * LONG + "Gi",
        "1e" + "1" * LONG,
        "." + "5" * LONG,
        "1" * 5000,  # over Python's 4,300-digit int() limit
    ],
)
def test_long_quantities_are_refused_fast(text: str) -> None:
    with _Guard():
        with pytest.raises(QuantityError, match="too long"):
            parse_quantity(text)


@pytest.mark.parametrize("text", ["²", "1²", "٣", "1e²", "1e", "1e-", "1e+"])
def test_non_ascii_digits_and_cut_exponents_are_not_quantities(text: str) -> None:
    if text == "1e":  # "1e" is not an exponent: e is no suffix either
        with pytest.raises(QuantityError):
            parse_quantity(text)
        return
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_huge_numbers_as_quantities() -> None:
    with pytest.raises(QuantityError, match="too large"):
        parse_quantity(10**5000)
    with pytest.raises(QuantityError):
        parse_quantity(float("inf"))
    with pytest.raises(QuantityError):
        parse_quantity(math.nan)
    assert parse_quantity(1e308).value == 10**308


@pytest.mark.parametrize(
    "ptype, text, message",
    [
        ("integer", "9" * 5000, "too long"),
        ("integer", "9" * 99, None),  # within the cap: ok
        ("integer", "9" * 101, "too long"),
        ("number", "1e400", "finite numbers only"),
        ("number", "-1e400", "finite numbers only"),
        ("number", "inf", "not a number"),
        ("number", "nan", "not a number"),
        ("number", "1" * LONG + "x", "too long"),
        ("number", "1" * 90 + ".x", "not a number"),
        ("integer", "²", "not an integer"),
        ("quantity", "1" * LONG, "too long"),
    ],
)
def test_set_numbers(ptype: str, text: str, message: str | None) -> None:
    decl = _decl({"type": ptype})
    with _Guard():
        if message is None:
            decl.coerce(text)
            return
        with pytest.raises(ParameterError) as info:
            decl.coerce(text)
    assert message in str(info.value)
    assert len(str(info.value)) < 400


@pytest.mark.parametrize("ptype", ["integer", "number", "string", "enum", "quantity"])
def test_huge_integers_from_metadata_are_clean_errors(ptype: str) -> None:
    spec: dict = {"type": ptype}
    if ptype == "enum":
        spec = {"values": [1, 2]}
    decl = _decl(spec)
    with pytest.raises(ParameterError) as info:
        decl.check(10**5000)
    assert len(str(info.value)) < 400


# -- conditions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        {"x": math.nan},
        {"x": {"==": math.nan}},
        {"x": {">": math.inf}},
        {"x": [1, math.nan]},
        {"x": {"notIn": [-math.inf]}},
        {"x": {">": 10**5000}},
    ],
)
def test_conditions_on_nan_inf_and_huge_numbers_are_refused_at_load(when: dict) -> None:
    with pytest.raises(ComposeError):
        compile_condition(when)


def test_condition_reasons_cut_huge_metadata_values() -> None:
    cond = compile_condition({"x": {">": 3}})
    held, reason = cond.evaluate({}, {"x": 10**5000})
    assert not held and "digits" in reason
    held, reason = cond.evaluate({}, {"x": "1" * 1_000_000})
    assert not held and len(reason) < 200


def test_nan_bounds_and_enum_values_are_refused_at_load() -> None:
    _, problems = parse_parameters(
        {"a": {"type": "number", "maximum": math.nan}, "b": {"values": [1.5, math.nan]}}, file="compose.yaml"
    )
    assert [p.path for p in problems] == [("parameters", "a", "maximum"), ("parameters", "b", "values")]


# -- JSON 6902 pointers -------------------------------------------------------------------------------


@pytest.mark.parametrize("index", ["²", "0" * 5000 + "1", "9" * 5000, "-" + "9" * 5000])
def test_json_pointer_list_indexes(tmp_path, index: str) -> None:
    from compose.kustomize import build_documents

    (tmp_path / "kustomization.yaml").write_text(
        "resources: [job.yaml]\n"
        "patches:\n"
        "- target: {kind: Job}\n"
        f"  patch: |-\n    - {{op: replace, path: /spec/containers/{index}/image, value: x}}\n"
    )
    (tmp_path / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {containers: [{name: a, image: b}]}\n"
    )
    with pytest.raises(ComposeError) as info:
        build_documents(tmp_path)
    assert "operation 0" in str(info.value)


def test_the_caps_are_compose_limits_and_can_be_raised() -> None:
    from compose import limits

    decl = _decl({"type": "string"})
    value = "v" * 70_000
    with pytest.raises(ParameterError, match="too long"):
        decl.check(value)
    try:
        limits.configure(max_value_chars=100_000, max_number_chars=200)
        assert decl.check(value) == value
        assert _decl({"type": "integer"}).coerce("9" * 150) == int("9" * 150)
    finally:
        limits.configure(max_value_chars=None, max_number_chars=None)
    with pytest.raises(ParameterError, match="too long"):
        decl.check(value)


# -- parity with kubectl kustomize (Go's regexp) on target regexes ---------------------------------


@pytest.mark.parametrize(
    "pattern",
    ["flow-j.b", "flow-j(o|x)b", "FLOW-JOB", "(?i)FLOW-JOB", "flow-jo?b", "[a-z-]+", r"\w+-\w+", r"\d*flow.*",
     "flow-job|other", "^flow-job$", r"flow\-job", "(?s)flow.job", "[[:alpha:]-]+", r"\pL+-\pL+"],
)
def test_target_regexes_select_what_kubectl_selects(tmp_path, pattern: str) -> None:
    import shutil
    import subprocess

    import yaml

    from compose.kustomize import build_documents

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [job.yaml]\n"
        "patches:\n"
        f"- target: {{kind: Job, name: {pattern!r}}}\n".replace("'", '"').replace("\\", "\\\\")
        + "  patch: |-\n    - {op: add, path: /metadata/labels, value: {hit: 'yes'}}\n"
    )
    (tmp_path / "job.yaml").write_text("apiVersion: batch/v1\nkind: Job\nmetadata: {name: flow-job}\n")
    ours = build_documents(tmp_path)
    theirs = list(yaml.safe_load_all(subprocess.run([kubectl, "kustomize", str(tmp_path)], capture_output=True,
                                                    text=True, check=True).stdout))
    assert ours == theirs
