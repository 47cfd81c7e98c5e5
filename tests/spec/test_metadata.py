"""Metadata layers: deep merge order, null deletion, provenance, --set and --metadata FILE."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from compose.errors import SpecError, UsageError, YAMLSyntaxError
from compose.spec.metadata import MISSING, MetadataLayer, load_metadata_file, lookup_path, merge_layers, parse_set


def test_later_layers_win_dicts_merge_lists_replace() -> None:
    agent = {"memory": "4Gi", "labels": {"a": "1", "b": "1"}, "tolerations": ["x", "y"], "n": {"deep": {"k": 1}}}
    deployment = {"labels": {"b": "2"}, "tolerations": ["z"], "n": {"deep": {"j": 2}}}
    run = {"memory": "8Gi", "n": "replaced by a scalar"}
    before = copy.deepcopy([agent, deployment, run])
    m = merge_layers([("agent", agent), ("deployment", deployment), ("run", run)])
    assert m.data == {"memory": "8Gi", "labels": {"a": "1", "b": "2"}, "tolerations": ["z"], "n": "replaced by a scalar"}
    assert m.sources == {"memory": "run", "labels": "deployment", "tolerations": "deployment", "n": "run"}
    assert [agent, deployment, run] == before  # layers are never modified
    m.data["labels"]["a"] = "changed"
    assert agent["labels"]["a"] == "1"  # the result shares nothing with the layers


def test_null_deletes() -> None:
    m = merge_layers([("agent", {"memory": "4Gi", "labels": {"a": "1", "b": "2"}}), ("run", {"memory": None, "labels": {"a": None}})])
    assert m.data == {"labels": {"b": "2"}}
    assert "memory" not in m.origins


def test_type_changes_replace() -> None:
    m = merge_layers([("a", {"x": {"k": 1}}), ("b", {"x": [1]}), ("c", {"y": 1}), ("d", {"y": {"k": 2}})])
    assert m.data == {"x": [1], "y": {"k": 2}}


def test_bad_layers_are_reported_together() -> None:
    with pytest.raises(SpecError) as info:
        merge_layers([("a", ["not", "a", "mapping"]), ("b", {1: "x"})])
    text = str(info.value)
    assert "[a] metadata must be a mapping, got a list" in text
    assert "[b] metadata keys must be strings, got 1" in text


def test_parse_set() -> None:
    layer = parse_set(["memory=8Gi", "labels.team=data", "empty=", "eq=a=b"])
    assert layer.strings and layer.name == "--set"
    assert layer.data == {"memory": "8Gi", "labels.team": "data", "empty": "", "eq": "a=b"}
    with pytest.raises(UsageError, match="--set expects key=value, got 'oops'"):
        parse_set(["oops"])


def test_metadata_file(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("job_profile: gpu\n\nmemory: 16Gi\nflag: yes\n")
    layer = load_metadata_file(f)
    assert layer.name == f"--metadata {f}" and not layer.strings
    assert layer.data == {"job_profile": "gpu", "memory": "16Gi", "flag": "yes"}  # YAML 1.2: yes is a string
    assert layer.line_of("memory") == 3 and layer.line_of("nope") is None
    j = tmp_path / "m.json"
    j.write_text('{"a": 1}')
    assert load_metadata_file(j, name="run").data == {"a": 1}
    (tmp_path / "list.yaml").write_text("- a\n")
    with pytest.raises(SpecError, match="metadata file must hold a mapping, got a list"):
        load_metadata_file(tmp_path / "list.yaml")
    with pytest.raises(YAMLSyntaxError, match="file not found"):
        load_metadata_file(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("a: [\n")
    with pytest.raises(YAMLSyntaxError) as info:
        load_metadata_file(tmp_path / "bad.yaml")
    assert info.value.line == 2


def test_lookup_path() -> None:
    data = {"a.b": 1, "labels": {"team": "x", "nested": {"k": 2}}, "s": "str"}
    assert lookup_path(data, "a.b") == 1
    assert lookup_path(data, "labels.team") == "x"
    assert lookup_path(data, "labels.nested.k") == 2
    assert lookup_path(data, "labels.nope") is MISSING
    assert lookup_path(data, "s.x") is MISSING
    assert lookup_path(data, "nope") is MISSING
    assert not MISSING and repr(MISSING) == "MISSING"


def test_layer_objects_and_tuples_mix() -> None:
    m = merge_layers([MetadataLayer("agent", {"a": 1}), ("run", {"b": 2}), MetadataLayer("--set", {}, strings=True)])
    assert m.data == {"a": 1, "b": 2}
    assert [layer.name for layer in m.layers] == ["agent", "run", "--set"]
