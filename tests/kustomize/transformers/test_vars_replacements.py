"""Small pieces of vars and replacements that the case directories reach only in part."""

from __future__ import annotations

import pytest

from compose.errors import KustomizationError
from compose.kustomize.loader import canonical_fields
from compose.kustomize.transformers.replacements import split_field_path
from compose.kustomize.transformers.vars import _replace
from compose.yamlio import load_single


@pytest.mark.parametrize(
    "text, want",
    [
        ("$(A)", 8080),                    # exactly one var: the value, typed
        ("port=$(A)", "port=8080"),
        ("$(B)-$(A)", "x-8080"),
        ("$$(A)", "$(A)"),                 # $$ is a literal $
        ("$(MISSING)", "$(MISSING)"),
        ("a $( b", "a $( b"),              # unclosed: kept
        ("cost $5", "cost $5"),
        ("$(F)", True),
        ("on=$(F)", "on=true"),
        ("$", "$"),
    ],
)
def test_var_expansion(text: str, want: object) -> None:
    used: set[str] = set()
    assert _replace(text, {"A": 8080, "B": "x", "F": True}, used) == want


@pytest.mark.parametrize(
    "path, parts",
    [
        ("metadata.name", ["metadata", "name"]),
        ("spec.containers.[name=a.b].image", ["spec", "containers", "[name=a.b]", "image"]),
        ("data.key\\.with\\.dots", ["data", "key.with.dots"]),
        ("a.[0].b", ["a", "[0]", "b"]),         # as Kustomize splits it (and then refuses it)
        (".a..b", ["a", "b"]),
    ],
)
def test_field_path_split(path: str, parts: list[str]) -> None:
    assert split_field_path(path) == parts


def test_canonical_field_names_keep_their_lines() -> None:
    doc = load_single("RESOURCES:\n- a.yaml\nnameprefix: p-\nImages:\n- Name: x\n  NEWTAG: '1'\n", "k.yaml",)
    data = canonical_fields(doc)
    assert data == {"resources": ["a.yaml"], "namePrefix": "p-", "images": [{"name": "x", "newTag": "1"}]}
    assert doc.line_of(("images", 0, "newTag")) == 6
    assert doc.line_of(("resources", 0)) == 2


def test_two_spellings_of_a_map_field_merge_and_of_a_scalar_the_last_sorted_wins() -> None:
    doc = load_single("commonLabels: {a: '1'}\ncommonlabels: {b: '2'}\nnamePrefix: x-\nNAMEPREFIX: y-\n", "k.yaml")
    data = canonical_fields(doc)
    assert data["commonLabels"] == {"a": "1", "b": "2"}
    assert data["namePrefix"] == "x-"  # "NAMEPREFIX" sorts before "namePrefix"


def test_replacement_errors_are_kustomization_errors() -> None:
    from compose.kustomize.resource import Resource
    from compose.kustomize.transformers import replacements

    res = [Resource({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}})]
    with pytest.raises(KustomizationError, match="wildcard is not supported"):
        replacements.apply(res, [{"source": {"kind": "ConfigMap", "fieldPath": "data.*"},
                                  "targets": [{"select": {"kind": "ConfigMap"}}]}])
