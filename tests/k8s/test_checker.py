"""Per-build value checks: compile_value_checkers, skip_values and schema_at.

The property that matters: validating a tree once with ``skip_values=paths`` and then
checking the values at ``paths`` finds exactly what validating the substituted tree finds.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_helpers import base, set_path  # noqa: E402

from compose.k8s.validate import (  # noqa: E402
    ValueChecker,
    compile_value_checkers,
    schema_at,
    validate_object,
)

C = ("spec", "template", "spec", "containers", 0)
PATHS = [
    ("metadata", "name"),
    ("metadata", "labels", "compose.dev/run-id"),
    ("spec", "backoffLimit"),
    ("spec", "activeDeadlineSeconds"),
    ("spec", "suspend"),
    ("spec", "template", "spec", "restartPolicy"),
    C + ("image",),
    C + ("imagePullPolicy",),
    C + ("args", 1),
    C + ("env", 0, "value"),
    C + ("resources", "limits", "memory"),
    C + ("resources", "requests", "cpu"),
    C + ("livenessProbe", "httpGet", "port"),
    C + ("ports", 0, "containerPort"),
]

GOOD = [
    "flow-run-2", "run-2", 3, None, False, "OnFailure", "img:2", "Always", "run-2", "x", "16Gi", 2,
    8080, 9090,
]
BAD = [
    5, 2, "3", "1h", "no", "Always", ["img"], "always", 7, 1, "16GB", True,
    1.5, "9090",
]
MIXED = [
    "ok", "ok", -1, 2**40, True, "Never", "", "", "", "", 0.5, "250m",
    "http", 2**31,
]


def _key(problems: list[Any]) -> list[tuple[Any, str]]:
    return sorted((p.path, p.message) for p in problems)


@pytest.mark.parametrize("values", [GOOD, BAD, MIXED], ids=["good", "bad", "mixed"])
def test_split_validation_equals_full_validation(values: list[Any]) -> None:
    tree = base("job")
    once = validate_object(tree, skip_values=PATHS)
    assert once == []
    check = compile_value_checkers(tree, PATHS)
    per_build = check(dict(zip(PATHS, values)))
    built = copy.deepcopy(tree)
    for path, value in zip(PATHS, values):
        set_path(built, path, value)
    assert _key(once + per_build) == _key(validate_object(built))
    assert _key(check.check_sequence(values)) == _key(per_build)


def test_bad_values_all_reported() -> None:
    check = compile_value_checkers(base("job"), PATHS)
    problems = check(dict(zip(PATHS, BAD)))
    assert {p.path for p in problems} == set(PATHS)
    assert all(p.source == "kubernetes 1.32" for p in problems)


def test_checker_messages() -> None:
    check = compile_value_checkers(base("job"), PATHS)
    got = {p.path: p.message for p in check({PATHS[2]: "3", PATHS[5]: "Always", PATHS[10]: "16GB", PATHS[5 + 2]: 1})}
    assert got[PATHS[2]] == "expected an integer, got string '3'"
    assert got[PATHS[5]] == "unsupported value 'Always' for a Job: expected one of 'OnFailure', 'Never'"
    assert got[PATHS[10]].startswith("invalid quantity '16GB'")
    assert got[PATHS[7]] == "expected a string, got integer 1"


def test_job_restart_policy_rule_in_the_checker() -> None:
    path = ("spec", "template", "spec", "restartPolicy")
    check = compile_value_checkers(base("job"), [path])
    assert check({path: "Never"}) == []
    assert [p.message for p in check({path: None})] == ["missing required field 'restartPolicy' for a Job"]
    assert [p.message for p in check({path: "Sometimes"})] == [
        "unsupported value 'Sometimes': expected one of 'Always', 'Never', 'OnFailure'"
    ]


def test_skipped_rule_path_still_needs_presence() -> None:
    tree = base("job")
    del tree["spec"]["template"]["spec"]["restartPolicy"]
    path = ("spec", "template", "spec", "restartPolicy")
    problems = validate_object(tree, skip_values=[path])
    assert [p.message for p in problems] == ["missing required field 'restartPolicy' (OnFailure, Never) for a Job"]


def test_skip_values_still_checks_field_names() -> None:
    tree = base("job")
    tree["spec"]["template"]["spec"]["containers"][0]["imagee"] = "${image}"
    problems = validate_object(tree, skip_values=[C + ("imagee",)])
    assert [p.message for p in problems] == ["unknown field 'imagee' (did you mean 'image'?)"]


def test_skip_values_leaves_placeholders_alone() -> None:
    tree = base("job")
    set_path(tree, ("spec", "backoffLimit"), "${retries}")
    set_path(tree, C + ("resources", "limits", "memory"), "${memory}")
    assert len(validate_object(tree)) == 2
    assert validate_object(tree, skip_values=[("spec", "backoffLimit"), C + ("resources", "limits", "memory")]) == []


def test_whole_subtree_values_are_validated() -> None:
    path = C + ("env",)
    check = compile_value_checkers(base("job"), [path])
    assert check({path: [{"name": "A", "value": "1"}]}) == []
    problems = check({path: [{"name": "A", "valeu": "1"}, {"value": 2}]})
    assert sorted((p.path, p.message) for p in problems) == [
        (C + ("env", 0, "valeu"), "unknown field 'valeu' (did you mean 'value'?)"),
        (C + ("env", 1, "name"), "missing required field 'name'"),
        (C + ("env", 1, "value"), "expected a string, got integer 2"),
    ]


def test_paths_outside_the_schema_report_every_time() -> None:
    bad = [C + ("imagee",), C + ("image", "x"), ("spec", "template", "spec", "containers", "first")]
    check = compile_value_checkers(base("job"), bad)
    for _ in range(2):
        got = {p.path: p.message for p in check({b: "v" for b in bad})}
        assert got[bad[0]] == "unknown field 'imagee' (did you mean 'image'?)"
        assert got[bad[1]] == "cannot go below a string value"
        assert got[bad[2]] == "expected a list index, got string 'first'"


def test_unknown_kind_reports_on_every_value() -> None:
    check = compile_value_checkers({"apiVersion": "batch/v1", "kind": "Jbo"}, [("spec",)])
    assert [p.message for p in check({("spec",): {}})] == [
        "unknown kind 'Jbo' for apiVersion 'batch/v1' in Kubernetes 1.32 (did you mean 'Job'?)"
    ]


def test_unknown_path_in_the_values_is_a_key_error() -> None:
    check = compile_value_checkers(base("job"), PATHS[:1])
    with pytest.raises(KeyError):
        check({("spec", "parallelism"): 1})


def test_checker_is_a_value_checker_with_paths() -> None:
    check = compile_value_checkers(base("job"), iter(PATHS))
    assert isinstance(check, ValueChecker)
    assert check.paths == tuple(PATHS)


def test_free_form_and_map_values() -> None:
    tree = {"apiVersion": "apps/v1", "kind": "ControllerRevision"}
    paths = [("data", "anything", 0), ("metadata", "annotations", "a/b")]
    check = compile_value_checkers(tree, paths)
    assert check({paths[0]: {"x": [None]}, paths[1]: "v"}) == []
    assert [p.message for p in check({paths[1]: 1})] == ["expected a string, got integer 1"]


@pytest.mark.parametrize(
    "path, type_, extra",
    [
        (C + ("resources", "limits", "memory"), "quantity", {}),
        (("spec", "backoffLimit"), "integer", {"format": "int32", "nullable": True}),
        (C + ("livenessProbe", "httpGet", "port"), "int-or-string", {}),
        (C + ("name",), "string", {"nullable": False}),
        (C + ("args", 3), "string", {}),
        (C, "object", {"name": "api.core.v1.Container"}),
        (("metadata", "labels"), "map", {}),
        (C + ("env",), "array", {}),
        (("spec", "suspend"), "boolean", {}),
    ],
)
def test_schema_at(path: tuple[Any, ...], type_: str, extra: dict[str, Any]) -> None:
    node = schema_at({"apiVersion": "batch/v1", "kind": "Job"}, path)
    assert node is not None and node.type == type_
    for attr, value in extra.items():
        assert getattr(node, attr) == value


def test_schema_at_enum_and_misses() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job"}
    node = schema_at(job, ("spec", "template", "spec", "restartPolicy"))
    assert node is not None and node.enum == frozenset({"Always", "OnFailure", "Never", ""})
    assert schema_at(job, ("spec", "nope")) is None
    assert schema_at(job, C + ("name", "x")) is None
    assert schema_at({"apiVersion": "batch/v1", "kind": "Nope"}, ()) is None
    assert schema_at(job, ()) is not None
