"""Each parameter type through the whole build, coercion errors, and metadata file errors
(cases/params.yaml; the fixture is fixtures/typed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
TYPED = HERE / "fixtures" / "typed"
CASES = yaml.safe_load((HERE / "cases" / "params.yaml").read_text(encoding="utf-8"))


def _path(text: str) -> list[Any]:
    """``a.b[0].c\\.d`` -> ['a', 'b', 0, 'c.d'] (``\\.`` is a dot inside a key)."""
    out: list[Any] = []
    for part in re.split(r"(?<!\\)\.", text):
        m = re.fullmatch(r"(.*?)((?:\[\d+\])*)", part)
        assert m is not None
        out.append(m.group(1).replace("\\.", "."))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return out


def _get(tree: Any, path: list[Any]) -> Any:
    for p in path:
        tree = tree[p]
    return tree


def _build(composer: Any, case: dict[str, Any]) -> Any:
    return composer.build(case.get("metadata") or {}, sets=case.get("set"))


@pytest.mark.parametrize("case", CASES["good"], ids=[c["name"] for c in CASES["good"]])
def test_value_lands_typed(case: dict[str, Any], typed_composer: Any) -> None:
    job = _build(typed_composer, case).job
    for path, want in case["expect"].items():
        got = _get(job, _path(path))
        assert got == want and type(got) is type(want), f"{path}: {got!r} ({type(got).__name__})"


@pytest.mark.parametrize("case", CASES["bad"], ids=[c["name"] for c in CASES["bad"]])
def test_bad_value_is_an_error_naming_the_parameter(case: dict[str, Any], typed_composer: Any) -> None:
    from compose.errors import SpecError

    with pytest.raises(SpecError) as info:
        _build(typed_composer, case)
    text = str(info.value)
    param = (case.get("set") or [None])[0]
    name = param.split("=")[0] if param else next(iter(case["metadata"]))
    assert f"'{name}'" in text, text
    assert ("--set" in text) if case.get("set") else ("--set" not in text), text
    for needle in case["error"]:
        assert needle in text, text


@pytest.mark.parametrize("case", [c for c in CASES["bad"] if c.get("set")],
                         ids=[c["name"] for c in CASES["bad"] if c.get("set")])
def test_cli_coercion_error_exit_1_on_stderr(case: dict[str, Any], cli_run: Any) -> None:
    args: list[Any] = ["build", TYPED]
    for s in case["set"]:
        args += ["--set", s]
    result = cli_run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    name = case["set"][0].split("=")[0]
    assert result.stderr.startswith("compose: error: ")
    assert f"'{name}'" in result.stderr and "--set" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_parameter_type_is_exercised(typed_composer: Any) -> None:
    types = {d.type for d in typed_composer.spec.parameters.values()}
    assert types >= {"string", "integer", "number", "boolean", "quantity", "enum"}
    names = {s.split("=")[0] for c in CASES["good"] for s in c.get("set") or []}
    names |= {k for c in CASES["good"] for k in c.get("metadata") or {}}
    assert names >= {"count", "ratio", "debug", "mem", "cpu", "tier", "region", "note"}


def test_metadata_file_type_error_names_file_and_line(tmp_path: Path, cli_run: Any) -> None:
    md = tmp_path / "run.yaml"
    md.write_text("tier: pro\ncount: \"3\"\n", encoding="utf-8")
    result = cli_run("build", TYPED, "--metadata", md)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{md}:2" in result.stderr, result.stderr
    assert "'count'" in result.stderr


def test_metadata_file_syntax_error_names_file_and_line(tmp_path: Path, cli_run: Any) -> None:
    md = tmp_path / "run.yaml"
    md.write_text("tier: pro\ncount: [1, 2\nnote: x\n", encoding="utf-8")
    result = cli_run("build", TYPED, "--metadata", md)
    assert result.exit_code == 1 and result.stdout == ""
    assert re.search(re.escape(str(md)) + r":[23]", result.stderr), result.stderr


def test_metadata_file_not_a_mapping(tmp_path: Path, cli_run: Any) -> None:
    md = tmp_path / "run.json"
    md.write_text("[1, 2]", encoding="utf-8")
    result = cli_run("build", TYPED, "--metadata", md)
    assert result.exit_code == 1 and result.stdout == ""
    assert str(md) in result.stderr


def test_missing_metadata_file(tmp_path: Path, cli_run: Any) -> None:
    result = cli_run("build", TYPED, "--metadata", tmp_path / "nope.yaml")
    assert result.exit_code in (1, 2) and result.stdout == ""
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_metadata_files_and_set_layer_in_order(tmp_path: Path, cli_run: Any) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.json"
    a.write_text("count: 2\ntier: pro\n", encoding="utf-8")
    b.write_text('{"count": 3}', encoding="utf-8")
    result = cli_run("build", TYPED, "-m", a, "-m", b)
    job = yaml.safe_load(result.stdout)
    assert (job["spec"]["backoffLimit"], job["metadata"]["labels"]["tier"]) == (3, "pro")
    result = cli_run("build", TYPED, "-m", a, "-m", b, "--set", "count=4")
    assert yaml.safe_load(result.stdout)["spec"]["backoffLimit"] == 4


def test_set_without_equals_is_a_usage_error(cli_run: Any) -> None:
    result = cli_run("build", TYPED, "--set", "count")
    assert result.exit_code in (1, 2) and result.stdout == ""
    assert "count" in result.stderr and "Traceback" not in result.stderr


def test_undeclared_set_key_is_ignored_and_explained(typed_composer: Any) -> None:
    spec = typed_composer.build({}, sets=["colour=blue"])
    assert "blue" not in yaml.safe_dump(spec.job)
    ex = typed_composer.explain({}, sets=["colour=blue"])
    assert "ignored metadata (no parameter declares it): colour" in ex.lines()
