"""The exception root: formatting, context, exit codes."""

from __future__ import annotations

from compose.errors import ComposeError, Problem, UsageError, ValidationError, format_path


def test_format_path() -> None:
    assert format_path(("spec", "template", "spec", "containers", 0, "env", 2, "name")) == (
        "spec.template.spec.containers[0].env[2].name"
    )
    assert format_path(()) == ""


def test_error_format_with_location_step_and_path() -> None:
    err = ComposeError("unknown field", file="k.yaml", line=3, column=1, step="load", path=("spec", "x"))
    assert err.format() == "k.yaml:3:1: load: unknown field (at spec.x)"
    assert err.exit_code == 1
    assert ComposeError("plain").format() == "plain"


def test_with_context_fills_only_unknown_fields() -> None:
    err = ComposeError("m", file="a.yaml").with_context(file="b.yaml", line=7, step="patch")
    assert (err.file, err.line, err.step) == ("a.yaml", 7, "patch")


def test_usage_error_exits_2() -> None:
    assert UsageError("x").exit_code == 2


def test_validation_error_lists_every_problem() -> None:
    err = ValidationError(
        [Problem("bad cpu", file="td.yaml", line=4, path=("cpu",)), Problem("no image", source="ecs")],
        what="task definition",
    )
    text = err.format()
    assert text.splitlines() == [
        "task definition is invalid: 2 problems",
        "  - td.yaml:4: bad cpu (at cpu)",
        "  - [ecs] no image",
    ]


def test_describe_value_names_types_for_messages() -> None:
    from compose.errors import describe_value

    assert [describe_value(v) for v in (None, True, "x", 3, 1.5, {}, [], ())] == [
        "null", "boolean true", "string 'x'", "integer 3", "number 1.5", "an object", "a list", "a list"]
    assert describe_value({}, mapping="a mapping") == "a mapping"
    assert describe_value("y" * 50) == "string '" + "y" * 37 + "...'"
    assert describe_value("y" * 50, limit=None) == f"string '{'y' * 50}'"
