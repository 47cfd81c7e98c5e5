"""Unit tests of the public API and of the pieces the cases exercise only indirectly."""

from __future__ import annotations

import copy

import pytest

import compose.merge
from compose.errors import MergeError
from compose.merge import strategic_merge
from compose.merge.server import interleave
from compose.merge.walker import copy_tree, jtype, tkey

JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "j"},
    "spec": {"template": {"spec": {"containers": [{"name": "flow", "image": "a", "env": [{"name": "A", "value": "1"}]}]}}},
}


def test_public_names() -> None:
    assert compose.merge.__all__ == ["strategic_merge", "ecs_merge", "run_task_merge"]


def test_unknown_order_is_an_error() -> None:
    with pytest.raises(MergeError, match="unknown merge order"):
        strategic_merge(JOB, {}, order="client")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [[], "x", None])
def test_base_and_patch_must_be_mappings(bad: object) -> None:
    with pytest.raises(MergeError):
        strategic_merge(bad, {})  # type: ignore[arg-type]
    with pytest.raises(MergeError):
        strategic_merge(JOB, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ["server", "kustomize"])
def test_result_shares_nothing_with_inputs(order: str) -> None:
    base, patch = copy.deepcopy(JOB), {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "s", "env": [{"name": "X"}]}]}}}}
    before = copy.deepcopy((base, patch))
    out = strategic_merge(base, patch, order=order)
    for c in out["spec"]["template"]["spec"]["containers"]:
        c["env"].append({"name": "MUTATED"})
    assert (base, patch) == before


def test_error_carries_the_field_path() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "flow", "env": [{"value": "x"}]}]}}}}
    with pytest.raises(MergeError) as info:
        strategic_merge(JOB, patch)
    assert info.value.path == ("spec", "template", "spec", "containers", 0, "env", 0)
    assert "merge key: name" in str(info.value)


def test_flow_container_found_by_name_under_both_orders() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "s"}]}}}}
    for order in ("server", "kustomize"):
        names = [c["name"] for c in strategic_merge(JOB, patch, order=order)["spec"]["template"]["spec"]["containers"]]
        assert names == ["side", "flow"]


def test_interleave_rule() -> None:
    key = tkey
    # untouched "a" precedes patch item "c" because both are in the original and a comes first
    assert interleave(["c"], ["a", "b"], ["a", "b", "c"], key) == ["a", "b", "c"]
    # a new patch item goes before untouched originals
    assert interleave(["x"], ["a", "b"], ["a", "b"], key) == ["x", "a", "b"]
    # new item after a named existing one lands right after it
    assert interleave(["a", "x"], ["b", "c"], ["a", "b", "c"], key) == ["a", "x", "b", "c"]
    assert interleave([], [], [], key) == []


def test_type_sensitive_keys() -> None:
    assert tkey("8089") != tkey(8089)
    assert tkey(True) != tkey(1)
    assert tkey(1) == tkey(1.0)
    assert jtype(None) == "null" and jtype([]) == "list" and jtype({}) == "map"


def test_copy_tree_is_deep() -> None:
    src = {"a": [{"b": [1]}]}
    dup = copy_tree(src)
    dup["a"][0]["b"].append(2)
    assert src == {"a": [{"b": [1]}]}


def test_merge_is_fast() -> None:
    """A Job merge is a tree walk of a few hundred nodes: well under a millisecond each."""
    import time

    patch = {"spec": {"template": {"spec": {"containers": [{"name": "flow", "env": [{"name": "B", "value": "2"}]}]}}}}
    strategic_merge(JOB, patch)
    start = time.perf_counter()
    for _ in range(200):
        strategic_merge(JOB, patch)
        strategic_merge(JOB, patch, order="kustomize")
    assert (time.perf_counter() - start) / 400 < 0.002


def test_kustomize_merge_keeps_the_style_of_what_it_overwrites() -> None:
    from compose.merge.kyaml import Styles
    from compose.yamlio import load_single

    base = load_single(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
        "data: {a: \"x\", b: x, c: '1', d: ~, e: \"x\", f: \"x\"}\n")
    patch = load_single("data: {a: 2.50, b: 3, c: true, d: 4, e: y, f: null, g: \"new\", h: new}\n")
    styles = Styles(base.quoted, patch.quoted, patch.plain_texts)
    merged = strategic_merge(base.data, patch.data, order="kustomize", styles=styles)
    assert merged["data"] == {"a": "2.50", "b": 3, "c": "true", "d": 4, "e": "y", "g": "new", "h": "new"}
    # the merged object's table: the base's styles where the base had the field, the patch's for new fields
    assert styles.result_quoted == {("data", "a"), ("data", "c"), ("data", "e"), ("data", "g")}
    # neither input changed
    assert base.data["data"]["a"] == "x" and patch.data["data"]["a"] == 2.5
    # without styles: only a string YAML must quote counts as quoted
    assert strategic_merge(base.data, patch.data, order="kustomize")["data"]["a"] == 2.5
    assert strategic_merge(base.data, patch.data, order="kustomize")["data"]["c"] == "true"
    # unknown base styles stay unknown
    unknown = Styles(None, patch.quoted, patch.plain_texts)
    strategic_merge(base.data, patch.data, order="kustomize", styles=unknown)
    assert unknown.result_quoted is None
