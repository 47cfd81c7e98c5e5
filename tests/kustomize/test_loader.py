"""Reading and normalizing kustomization files (compose.kustomize.loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compose.errors import KustomizationError
from compose.kustomize.loader import load_kustomization


def load(tmp_path: Path, text: str, name: str = "kustomization.yaml"):
    (tmp_path / name).write_text(text)
    return load_kustomization(tmp_path)


@pytest.mark.parametrize("name", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_recognized_file_names(tmp_path: Path, name: str) -> None:
    k = load(tmp_path, "namePrefix: a-\n", name)
    assert k.name_prefix == "a-" and k.file.endswith(name) and k.kind == "Kustomization"


def test_legacy_fields_are_normalized(tmp_path: Path) -> None:
    k = load(tmp_path, """\
resources: [a.yaml]
bases: [../base]
images: [{name: a, newTag: "1"}]
imageTags: [{name: b, newTag: "2"}]
commonLabels: {env: prod}
labels:
- pairs: {team: ml}
  includeTemplates: true
configMapGenerator:
- name: settings
  env: one.env
  envs: [two.env]
""")
    assert [v for v, _ in k.resources] == ["a.yaml", "../base"]
    assert [fp for _, fp in k.resources] == [("resources", 0), ("bases", 0)]
    assert [i["name"] for i in k.images] == ["a", "b"]
    assert k.labels == [
        {"pairs": {"team": "ml"}, "includeSelectors": False, "includeTemplates": True, "fieldSpecs": []},
        {"pairs": {"env": "prod"}, "includeSelectors": True, "includeTemplates": False},
    ]
    assert k.data["configMapGenerator"] == [{"name": "settings", "envs": ["two.env", "one.env"]}]
    assert "bases" not in k.data and "imageTags" not in k.data


def test_patch_entries_keep_their_place(tmp_path: Path) -> None:
    k = load(tmp_path, """\
patches:
- path: a.yaml
- patch: |-
    - op: add
  target: {kind: Job, name: x}
  options: {allowNameChange: true}
patchesStrategicMerge: [b.yaml]
patchesJson6902:
- target: {version: v1, kind: Job, name: x}
  path: c.yaml
""")
    assert [p.path for p in k.patches] == ["a.yaml", None]
    assert k.patches[1].target == {"kind": "Job", "name": "x"}
    assert k.patches[1].options == {"allowNameChange": True}
    assert k.patches_strategic_merge[0].patch == "b.yaml"
    assert k.patches_json6902[0].field_path == ("patchesJson6902", 0)
    assert k.line_of(k.patches[1].field_path) == 3


def test_component(tmp_path: Path) -> None:
    k = load(tmp_path, "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\n")
    assert k.is_component


def test_null_values_are_zero_values(tmp_path: Path) -> None:
    k = load(tmp_path, "resources:\nnamespace:\ncommonLabels: {a: null}\n")
    assert k.resources == [] and k.namespace == "" and k.labels[0]["pairs"] == {"a": ""}


@pytest.mark.parametrize(
    "text",
    [
        "metadata: {name: x, uid: y}\nresources: []\n",
        "images: [{name: a, newTage: b}]\n",
        "configMapGenerator: [{name: a, ageIdentities: [x]}]\n",
        "generatorOptions: {fileMerge: {mode: files}}\n",
        "sortOptions: {order: fifo, legacy: x}\n",
        "patches: [{path: a.yaml, target: {kind: Job, skip: true}}]\n",
    ],
)
def test_unknown_nested_fields(tmp_path: Path, text: str) -> None:
    with pytest.raises(KustomizationError, match="unknown field"):
        load(tmp_path, text)


@pytest.mark.parametrize("text", ["- a\n", "just text\n", "a: 1\n---\nb: 2\n"])
def test_not_a_kustomization(tmp_path: Path, text: str) -> None:
    with pytest.raises(KustomizationError):
        load(tmp_path, text)
