"""JSON 6902 patches as Kustomize applies them (compose.kustomize.json6902)."""

from __future__ import annotations

import copy

import pytest

from compose.errors import PatchError, YAMLSyntaxError
from compose.kustomize.json6902 import apply_patch, go_json_roundtrip, parse_patch

DOC = {
    "kind": "Job",
    "metadata": {"name": "train", "annotations": {"a/b": "1", "t~x": "2"}},
    "spec": {"args": ["a", "b", "c"], "limit": 2},
}


def run(ops: list[dict]) -> dict:
    return apply_patch(DOC, ops, file="p.yaml")


def test_the_input_is_not_changed() -> None:
    before = copy.deepcopy(DOC)
    run([{"op": "remove", "path": "/spec"}, {"op": "add", "path": "/x", "value": 1}])
    assert DOC == before


@pytest.mark.parametrize(
    ("op", "check"),
    [
        ({"op": "add", "path": "/spec/args/-", "value": "d"}, lambda d: d["spec"]["args"] == ["a", "b", "c", "d"]),
        ({"op": "add", "path": "/spec/args/0", "value": "z"}, lambda d: d["spec"]["args"][0] == "z"),
        ({"op": "add", "path": "/spec/args/-1", "value": "z"}, lambda d: d["spec"]["args"] == ["a", "b", "c", "z"]),
        ({"op": "add", "path": "/spec/args/-2", "value": "z"}, lambda d: d["spec"]["args"] == ["a", "b", "z", "c"]),
        ({"op": "remove", "path": "/spec/args/-1"}, lambda d: d["spec"]["args"] == ["a", "b"]),
        ({"op": "replace", "path": "/spec/args/-3", "value": "A"}, lambda d: d["spec"]["args"][0] == "A"),
        ({"op": "remove", "path": "/metadata/annotations/a~1b"}, lambda d: d["metadata"]["annotations"] == {"t~x": "2"}),
        ({"op": "remove", "path": "/metadata/annotations/t~0x"}, lambda d: d["metadata"]["annotations"] == {"a/b": "1"}),
        ({"op": "replace", "path": "/spec/new", "value": 5}, lambda d: d["spec"]["new"] == 5),
        ({"op": "replace", "path": "/spec/limit", "value": 5}, lambda d: d["spec"]["limit"] == 5),
        ({"op": "move", "from": "/spec/limit", "path": "/spec/max"}, lambda d: d["spec"] == {"args": ["a", "b", "c"], "max": 2}),
        ({"op": "copy", "from": "/spec/args/-1", "path": "/spec/args/-"}, lambda d: d["spec"]["args"][-1] == "c"),
        ({"op": "test", "path": "/spec/limit", "value": 2}, lambda d: d == DOC),
        ({"op": "add", "path": "/spec/f", "value": 1.0}, lambda d: type(d["spec"]["f"]) is int),
    ],
)
def test_operations(op: dict, check) -> None:
    assert check(run([op]))


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ([{"op": "remove", "path": "/spec/x"}], "operation 0 (remove /spec/x) cannot be applied: path does not exist"),
        ([{"op": "test", "path": "/spec/limit", "value": 2}, {"op": "test", "path": "/spec/limit", "value": 3}],
         "operation 1 (test /spec/limit) failed: the value is 2, not 3"),
        ([{"op": "test", "path": "/spec/none", "value": 3}], "the value is missing, not 3"),
        ([{"op": "add", "path": "/a/b", "value": 1}], "operation 0 (add /a/b) cannot be applied"),
        ([{"op": "replace", "path": "/spec/args/7", "value": 1}], "operation 0 (replace /spec/args/7)"),
        ([{"op": "move", "from": "/nope", "path": "/x"}], "operation 0 (move /nope -> /x)"),
        ([{"op": "add", "path": "spec", "value": 1}], "'path' must start with '/'"),
        ([{"op": "copy", "path": "/x"}], "'from' is missing"),
        ([{"path": "/x"}], "unknown op None"),
        (["nope"], "operation 0 is not a mapping"),
    ],
)
def test_errors_name_the_operation(ops: list, message: str) -> None:
    with pytest.raises(PatchError) as info:
        run(ops)
    assert message in info.value.message
    assert info.value.file == "p.yaml"


def test_error_line_comes_from_line_of() -> None:
    with pytest.raises(PatchError) as info:
        apply_patch(DOC, [{"op": "remove", "path": "/x"}], file="p.yaml", line_of=lambda i: 10 + i)
    assert info.value.line == 10


def test_yaml_patches_read_as_yaml_1_1() -> None:
    ops = parse_patch(
        "- op: add\n  path: /a\n  value: [yes, no, on, off, y, n, 0755, 1e3, '0755', 2024-01-02, 1:30, ~]\n", "p.yaml"
    )
    assert ops[0]["value"] == [True, False, True, False, True, False, 493, 1000.0, "0755", "2024-01-02", "1:30", None]


def test_json_patches_read_as_json() -> None:
    assert parse_patch('[{"op": "add", "path": "/a", "value": "yes"}]', "p.json")[0]["value"] == "yes"


@pytest.mark.parametrize("text", ["[{", "- op: add\n  path: [\n"])
def test_malformed_patch_text(text: str) -> None:
    with pytest.raises(YAMLSyntaxError) as info:
        parse_patch(text, "p.yaml")
    assert info.value.file == "p.yaml" and info.value.line is not None


def test_a_mapping_is_not_a_json_patch() -> None:
    with pytest.raises(PatchError, match="must be a list of operations"):
        parse_patch("op: add\n", "p.yaml")


def test_go_json_roundtrip() -> None:
    assert go_json_roundtrip({"a": [1.0, 1.5, True, "1.0"], "b": 1e22}) == {"a": [1, 1.5, True, "1.0"], "b": 1e22}
