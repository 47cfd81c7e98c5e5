"""Every error path of the build, without the CLI: each error is a ComposeError subclass that
names the file (and line) to fix, and no foreign exception leaks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compose.errors import ComposeError, KustomizationError, PatchError, YAMLSyntaxError
from compose.kustomize import build

JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: train
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: flow
        image: busybox
"""


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def fail(path: Path, kind: type[ComposeError] = ComposeError) -> ComposeError:
    with pytest.raises(kind) as info:
        build(path)
    return info.value


# --- load restrictor ----------------------------------------------------------------------


def test_resource_file_outside_root_is_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"other/job.yaml": JOB, "app/kustomization.yaml": "resources:\n- ../other/job.yaml\n"})
    err = fail(tmp_path / "app", KustomizationError)
    assert "'../other/job.yaml' is outside the kustomization root" in err.message
    assert err.file == str(tmp_path / "app" / "kustomization.yaml")
    assert err.line == 2


def test_directory_outside_root_is_allowed(tmp_path: Path) -> None:
    tree(tmp_path, {"base/job.yaml": JOB, "base/kustomization.yaml": "resources: [job.yaml]\n",
                    "app/kustomization.yaml": "resources:\n- ../base\n"})
    assert [r.name for r in build(tmp_path / "app")] == ["train"]


def test_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"secret/job.yaml": JOB, "app/kustomization.yaml": "resources:\n- link.yaml\n"})
    os.symlink(tmp_path / "secret" / "job.yaml", tmp_path / "app" / "link.yaml")
    err = fail(tmp_path / "app", KustomizationError)
    assert "outside the kustomization root" in err.message


@pytest.mark.parametrize("field", ["patches:\n- path: ../p.yaml\n", "patchesStrategicMerge:\n- ../p.yaml\n",
                                   "patchesJson6902:\n- target: {version: v1, kind: Job, name: train}\n  path: ../p.yaml\n"])
def test_patch_file_outside_root_is_refused(tmp_path: Path, field: str) -> None:
    tree(tmp_path, {"p.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {name: train}\n",
                    "app/job.yaml": JOB, "app/kustomization.yaml": "resources: [job.yaml]\n" + field})
    err = fail(tmp_path / "app", KustomizationError)
    assert "'../p.yaml' is outside the kustomization root" in err.message
    assert err.line is not None


def test_generator_file_outside_root_is_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"secret.env": "A=1\n", "app/kustomization.yaml":
                    "configMapGenerator:\n- name: settings\n  envs:\n  - ../secret.env\n"})
    err = fail(tmp_path / "app")
    assert "outside the kustomization root" in str(err)


# --- cycles ----------------------------------------------------------------------------------


def test_cycle_between_two_kustomizations_lists_the_cycle(tmp_path: Path) -> None:
    tree(tmp_path, {"a/kustomization.yaml": "resources:\n- ../b\n", "b/kustomization.yaml": "resources:\n- ../a\n"})
    err = fail(tmp_path / "a", KustomizationError)
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert f"({a} -> {b} -> {a})" in err.message
    assert err.file == os.path.join(b, "kustomization.yaml") and err.line == 2


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    tree(tmp_path, {"a/kustomization.yaml": "resources:\n- .\n"})
    assert "cycle detected" in fail(tmp_path / "a").message


def test_parent_directory_is_a_cycle(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources:\n- app\n", "app/kustomization.yaml": "resources:\n- ..\n"})
    assert "cycle detected" in fail(tmp_path / "app").message


def test_component_cycle(tmp_path: Path) -> None:
    comp = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../{}\n"
    tree(tmp_path, {"c1/kustomization.yaml": comp.format("c2"), "c2/kustomization.yaml": comp.format("c1"),
                    "app/kustomization.yaml": "components:\n- ../c1\n"})
    assert "cycle detected" in fail(tmp_path / "app").message


def test_diamond_is_not_a_cycle(tmp_path: Path) -> None:
    tree(tmp_path, {
        "base/kustomization.yaml": "resources: [job.yaml]\n", "base/job.yaml": JOB,
        "x/kustomization.yaml": "resources: [../base]\nnameSuffix: -x\n",
        "y/kustomization.yaml": "resources: [../base]\nnameSuffix: -y\n",
        "app/kustomization.yaml": "resources: [../x, ../y]\n",
    })
    assert sorted(r.name for r in build(tmp_path / "app")) == ["train-x", "train-y"]


# --- malformed input -------------------------------------------------------------------------


def test_malformed_resource_yaml_reports_file_and_line(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\n",
                    "job.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n"})
    err = fail(tmp_path, YAMLSyntaxError)
    assert err.file == str(tmp_path / "job.yaml")
    assert err.line == 7 or err.line == 6


def test_malformed_kustomization_reports_line(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources:\n- a.yaml\n  - b.yaml\nnamePrefix: [x\n"})
    err = fail(tmp_path, YAMLSyntaxError)
    assert err.file == str(tmp_path / "kustomization.yaml") and err.line is not None


def test_malformed_patch_reports_the_patch_file(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- path: p.yaml\n", "job.yaml": JOB,
                    "p.yaml": "kind: Job\nmetadata: {name: train\n"})
    err = fail(tmp_path, YAMLSyntaxError)
    assert err.file == str(tmp_path / "p.yaml") and err.line == 3


def test_resource_that_is_not_a_mapping(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [x.yaml]\n", "x.yaml": "- a\n- b\n"})
    assert "a resource must be a mapping" in fail(tmp_path).message


def test_resource_without_kind(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [x.yaml]\n", "x.yaml": "apiVersion: v1\nmetadata: {name: a}\n"})
    err = fail(tmp_path)
    assert "missing 'kind'" in err.message and err.file == str(tmp_path / "x.yaml")


# --- kustomization fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("resources: [job.yaml]\nnamePrefx: a\n", "unknown field 'namePrefx'", 2),
        ("resources: [job.yaml]\npatches:\n- path: p.yaml\n  targt: {kind: Job}\n", "unknown field 'targt' in 'patches.0'", 4),
        ("resources: [job.yaml]\nlabels:\n- pairs: {a: b}\n  includeVolumeClaimTemplates: true\n",
         "unknown field 'includeVolumeClaimTemplates'", 4),
        ("resources: [job.yaml]\nvars:\n- name: X\n  objref: {kind: Job}\n  fieldRef: 3\n", "'vars.0.fieldref' must be a mapping", 5),
        ("resources: [job.yaml]\ntransformers:\n- plugin.yaml\n", "field 'transformers' is not supported by compose", 3),
        ("resources: [job.yaml]\nhelmCharts:\n- name: x\n", "field 'helmCharts' is not supported by compose", 3),
        ("resources: [job.yaml]\ncommonLabels: {a: 1}\n", "'commonLabels' must be a map of strings", 2),
        ("resources: [job.yaml]\nnamePrefix: 1\n", "'namePrefix' must be a string", 2),
        ("kind: Foo\nresources: [job.yaml]\n", "kind should be Kustomization or Component", 1),
        ("apiVersion: v1\nresources: [job.yaml]\n", "apiVersion for Kustomization should be", 1),
        ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n", "kustomization.yaml is empty", None),
    ],
)
def test_bad_kustomization_fields(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    tree(tmp_path, {"kustomization.yaml": text, "job.yaml": JOB, "p.yaml": "kind: Job\nmetadata: {name: train}\n"})
    err = fail(tmp_path, KustomizationError)
    assert message in err.message
    assert err.file == str(tmp_path / "kustomization.yaml")
    if line is not None:
        assert err.line == line


def test_empty_unsupported_field_is_harmless(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\nreplicas: []\n", "job.yaml": JOB})
    assert len(build(tmp_path)) == 1


def test_no_kustomization_file(tmp_path: Path) -> None:
    err = fail(tmp_path, KustomizationError)
    assert "unable to find one of 'kustomization.yaml'" in err.message


def test_build_of_a_file_is_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"job.yaml": JOB})
    assert "must build at a directory" in fail(tmp_path / "job.yaml").message


# --- missing things --------------------------------------------------------------------------


def test_missing_resource_names_kustomization_and_entry(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources:\n- job.yaml\n- nope.yaml\n", "job.yaml": JOB})
    err = fail(tmp_path, KustomizationError)
    assert "resource 'nope.yaml' not found" in err.message
    assert err.file == str(tmp_path / "kustomization.yaml") and err.line == 3


def test_missing_patch_file(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- path: nope.yaml\n", "job.yaml": JOB})
    err = fail(tmp_path, KustomizationError)
    assert "patch file 'nope.yaml' not found" in err.message and err.line == 3


def test_missing_component(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\ncomponents:\n- ../nope\n", "job.yaml": JOB})
    err = fail(tmp_path, KustomizationError)
    assert "component '../nope' not found" in err.message and err.line == 3


@pytest.mark.parametrize("url", ["https://github.com/org/repo//deploy?ref=v1", "github.com/org/repo/deploy",
                                 "git@github.com:org/repo.git"])
def test_remote_resources_are_refused_clearly(tmp_path: Path, url: str) -> None:
    tree(tmp_path, {"kustomization.yaml": f"resources:\n- {url}\n"})
    err = fail(tmp_path, KustomizationError)
    assert "remote resource" in err.message and "not supported by compose" in err.message


# --- patches -------------------------------------------------------------------------------


def test_strategic_patch_matching_nothing(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- path: p.yaml\n", "job.yaml": JOB,
                    "p.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: other\n"})
    err = fail(tmp_path, KustomizationError)
    assert "no resource matches strategic merge patch for Job 'other'" in err.message
    assert err.file == str(tmp_path / "p.yaml")


def test_selector_matching_nothing_is_fine(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- target: {kind: CronJob}\n"
                    "  patch: '[{\"op\": \"remove\", \"path\": \"/nothing\"}]'\n", "job.yaml": JOB})
    assert len(build(tmp_path)) == 1


def test_failing_test_op_names_file_and_index(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- target: {kind: Job}\n  path: ops.yaml\n",
                    "job.yaml": JOB,
                    "ops.yaml": "- op: test\n  path: /spec/backoffLimit\n  value: 2\n- op: test\n  path: /kind\n  value: CronJob\n"})
    err = fail(tmp_path, PatchError)
    assert err.file == str(tmp_path / "ops.yaml") and err.line == 4
    assert 'operation 1 (test /kind) failed: the value is "Job", not "CronJob"' in err.message


def test_inline_json_patch_error_points_into_the_kustomization(tmp_path: Path) -> None:
    kust = ("resources: [job.yaml]\npatches:\n- target: {kind: Job}\n  patch: |-\n"
            "    - op: add\n      path: /spec/a\n      value: 1\n    - op: remove\n      path: /spec/missing\n")
    tree(tmp_path, {"kustomization.yaml": kust, "job.yaml": JOB})
    err = fail(tmp_path, PatchError)
    assert err.file == str(tmp_path / "kustomization.yaml") and err.line == 8
    assert "operation 1 (remove /spec/missing)" in err.message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- target: {kind: Job}\n", "one of 'patch' and 'path' must be set"),
        ("- patch: '[]'\n  target: {kind: Job}\n", "the JSON patch is empty"),
        ("- patch: 'spec: {backoffLimit: 1}'\n  target: {kind: Job}\n", "needs 'kind'"),
        ("- patch: 'kind: Job'\n  target: {kind: Job}\n", "needs 'metadata.name'"),
        ("- patch: '[{\"op\": \"jump\", \"path\": \"/a\"}]'\n  target: {kind: Job}\n", "unknown op 'jump'"),
        ("- patch: '[{\"op\": \"add\", \"path\": \"/a\"}]'\n  target: {kind: Job}\n", "'value' is missing"),
        ("- patch: '[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1}]'\n  target: {name: '(unclosed'}\n",
         "not a valid regular expression"),
        ("- patch: '[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1}]'\n  target: {labelSelector: 'a in b'}\n",
         "expected '('"),
    ],
)
def test_bad_patch_entries(tmp_path: Path, entry: str, message: str) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n" + entry, "job.yaml": JOB})
    err = fail(tmp_path)
    assert message in str(err)


def test_json6902_legacy_needs_a_target_name(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatchesJson6902:\n- target: {kind: Job}\n"
                    "  patch: '[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1}]'\n", "job.yaml": JOB})
    assert "the target must name a resource" in fail(tmp_path).message


def test_duplicate_ids_across_bases(tmp_path: Path) -> None:
    tree(tmp_path, {"a/kustomization.yaml": "resources: [job.yaml]\n", "a/job.yaml": JOB,
                    "b/kustomization.yaml": "resources: [job.yaml]\n", "b/job.yaml": JOB,
                    "app/kustomization.yaml": "resources:\n- ../a\n- ../b\n"})
    err = fail(tmp_path / "app", KustomizationError)
    assert "may not add resource with an already registered id: Job 'train'" in err.message
    assert err.line == 3


def test_no_foreign_exception_on_odd_values(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- target: {kind: Job}\n"
                    "  patch: '[{\"op\": \"add\", \"path\": \"/spec/backoffLimit/x\", \"value\": 1}]'\n",
                    "job.yaml": JOB})
    fail(tmp_path, PatchError)


def test_unknown_build_metadata_option_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    # kubectl ignores unknown options; a typo would silently drop the annotations, so compose refuses.
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\nbuildMetadata: [originAnnotation]\n", "job.yaml": JOB})
    err = fail(tmp_path, KustomizationError)
    assert "did you mean 'originAnnotations'" in str(err)
    assert err.file and err.file.endswith("kustomization.yaml") and err.line == 2


def test_replacements_file_with_a_scalar_is_refused(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\nreplacements:\n- path: r.yaml\n", "job.yaml": JOB,
                    "r.yaml": "just text\n"})
    err = fail(tmp_path, KustomizationError)
    assert "a replacements file holds a replacement or a list" in str(err)
    assert err.file and err.file.endswith("r.yaml")
