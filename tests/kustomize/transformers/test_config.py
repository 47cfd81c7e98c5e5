"""The transformer configuration: Kustomize's defaults, complete, and its merge rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compose.errors import KustomizationError
from compose.kustomize.transformers import config as config_mod
from compose.kustomize.transformers._defaultconfig import DEFAULT_CONFIG
from compose.kustomize.transformers.config import TransformerConfig, default_config, parse_config
from compose.kustomize.transformers.fieldspecs import FieldSpec

YAML_FILE = Path(config_mod.__file__).with_name("defaultconfig.yaml")


def test_generated_module_matches_the_vendored_yaml() -> None:
    assert DEFAULT_CONFIG == yaml.safe_load(YAML_FILE.read_text(encoding="utf-8"))


def test_every_name_reference_of_kustomize_is_there() -> None:
    raw = yaml.safe_load(YAML_FILE.read_text(encoding="utf-8"))
    cfg = default_config()
    want = {(r["kind"], fs["path"], fs.get("kind", "")) for r in raw["nameReference"] for fs in r["fieldSpecs"]}
    got = {(r.kind, fs.path, fs.kind) for r in cfg.name_reference for fs in r.referrers}
    assert got == want
    kinds = {r.kind for r in cfg.name_reference}
    assert {"Service", "PriorityClass", "ValidatingAdmissionPolicy", "StorageClass", "IngressClass"} <= kinds
    assert len(cfg.var_reference) == len(raw["varReference"])


def test_merge_skips_specs_already_selected_and_pools_references() -> None:
    custom = parse_config(
        {
            "commonLabels": [{"path": "metadata/labels", "kind": "Widget", "create": True}, {"path": "spec/sel", "kind": "Widget"}],
            "nameReference": [{"kind": "ConfigMap", "version": "v1", "fieldSpecs": [{"path": "spec/cm", "kind": "Widget"}]}],
        }
    )
    merged = default_config().merge(custom)
    assert FieldSpec("spec/sel", kind="Widget") in merged.common_labels
    assert FieldSpec("metadata/labels", kind="Widget", create=True) in merged.common_labels
    assert len(merged.common_labels) == len(default_config().common_labels) + 2
    # A kind-less spec merged after a Widget one of the same path counts as already there.
    again = merged.merge(parse_config({"commonLabels": [{"path": "spec/sel"}]}))
    assert FieldSpec("spec/sel") not in again.common_labels
    cm = [r for r in merged.name_reference if r.kind == "ConfigMap"]
    assert len(cm) == 1 and cm[0].referrers[-1] == FieldSpec("spec/cm", kind="Widget")
    # Merges are remembered by operand identity: every kustomization level pays once.
    assert default_config().merge(default_config()) is default_config().merge(default_config())


def test_a_custom_spec_sorts_first_and_drops_the_kind_less_default_of_its_path() -> None:
    # Kustomize merges each level's configuration into an empty one after sorting it.
    custom = parse_config({"namePrefix": [{"path": "metadata/name", "kind": "Widget"}]})
    level = TransformerConfig().merge(default_config().merge(custom))
    assert level.name_prefix == (FieldSpec("metadata/name", kind="Widget"),)


def test_unknown_configuration_fields_are_refused_and_names_match_in_any_case() -> None:
    assert parse_config({"NAMEPREFIX": [{"path": "spec/x"}]}).name_prefix == (FieldSpec("spec/x"),)
    with pytest.raises(KustomizationError, match="unknown field 'prefixes'"):
        parse_config({"prefixes": []})


def test_conflicting_create_is_an_error() -> None:
    with pytest.raises(KustomizationError, match="conflicting fieldspecs for commonLabels"):
        default_config().merge(parse_config({"commonLabels": [{"path": "metadata/labels", "create": False}]}))


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "must be a mapping"),
        ({"commonLabels": {"path": "x"}}, "must be a list"),
        ({"commonLabels": ["x"]}, "must be a map"),
        ({"images": [{"path": 3}]}, "'path' in images must be a string"),
        ({"nameReference": [{"kind": "X", "fieldSpecs": [{"path": "a", "create": "yes"}]}]}, "must be a boolean"),
    ],
)
def test_bad_configurations(data: object, message: str) -> None:
    with pytest.raises(KustomizationError, match=message):
        parse_config(data)
