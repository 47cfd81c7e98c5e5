"""The build's Python API beyond kubectl parity: options, provenance, purity, import cost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from compose.kustomize import Resource, build, build_documents

JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: train
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: flow
        image: busybox
        env:
        - name: LOG_LEVEL
          value: info
        - name: DATA_DIR
          value: /data
"""
PATCH = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: train
spec:
  template:
    spec:
      containers:
      - name: flow
        env:
        - name: DATA_DIR
          value: /scratch
"""


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def env_names(doc: dict) -> list[str]:
    return [e["name"] for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]]


def test_merge_order_kustomize_and_server(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- path: p.yaml\n",
                    "job.yaml": JOB, "p.yaml": PATCH})
    assert env_names(build_documents(tmp_path)[0]) == ["DATA_DIR", "LOG_LEVEL"]
    assert env_names(build_documents(tmp_path, merge_order="server")[0]) == ["LOG_LEVEL", "DATA_DIR"]


def test_extra_components_apply_after_own_components(tmp_path: Path) -> None:
    comp = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
    tree(tmp_path, {
        "base/kustomization.yaml": "resources: [job.yaml]\ncomponents: [../own]\n",
        "base/job.yaml": JOB,
        "own/kustomization.yaml": comp + "commonAnnotations: {step: own}\n",
        # Outside the base's root, as overlays selected by metadata are.
        "overlays/gpu/kustomization.yaml": comp + "patches:\n- path: p.yaml\ncommonAnnotations: {step: gpu}\n",
        "overlays/gpu/p.yaml": PATCH,
    })
    docs = build_documents(tmp_path / "base", extra_components=[tmp_path / "overlays" / "gpu"])
    assert docs[0]["metadata"]["annotations"] == {"step": "gpu"}
    assert env_names(docs[0]) == ["DATA_DIR", "LOG_LEVEL"]


def test_on_patch_reports_file_lines_and_before(tmp_path: Path) -> None:
    tree(tmp_path, {
        "kustomization.yaml": "resources: [job.yaml]\npatches:\n- path: p.yaml\n- target: {kind: Job}\n"
                              "  patch: |-\n    - op: add\n      path: /spec/backoffLimit\n      value: 1\n",
        "job.yaml": JOB, "p.yaml": PATCH,
    })
    calls = []
    build(tmp_path, on_patch=lambda res, f, locs, before: calls.append((res.name, f, locs, before)))
    assert [c[1] for c in calls] == [str(tmp_path / "p.yaml"), str(tmp_path / "kustomization.yaml")]
    name, _, locs, before = calls[0]
    assert name == "train"
    assert locs[("spec", "template", "spec", "containers", 0, "env", 0, "value")][0] == 12
    assert env_names(before) == ["LOG_LEVEL", "DATA_DIR"]
    assert calls[1][2][(0, "value")][0] == 8  # the inline op's line in the kustomization
    assert "backoffLimit" not in calls[1][3]["spec"]


def test_resources_keep_their_source(tmp_path: Path) -> None:
    tree(tmp_path, {"base/kustomization.yaml": "resources: [all.yaml]\n",
                    "base/all.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n---\n" + JOB,
                    "app/kustomization.yaml": "resources: [../base]\nnamePrefix: p-\n"})
    job = next(r for r in build(tmp_path / "app") if r.kind == "Job")
    assert isinstance(job, Resource)
    assert job.file == str(tmp_path / "base" / "all.yaml") and job.doc_index == 1
    assert job.locations[("spec", "template", "spec", "containers", 0, "image")] == (16, 16)  # line 11 of the Job, after 5 lines of ServiceAccount
    assert job.name == "p-train" and job.original_id().name == "train"


def test_building_twice_gives_the_same_and_leaves_files_alone(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- path: p.yaml\nnamePrefix: x-\n",
                    "job.yaml": JOB, "p.yaml": PATCH})
    before = {p: p.read_text() for p in tmp_path.iterdir()}
    assert build_documents(tmp_path) == build_documents(tmp_path)
    assert {p: p.read_text() for p in tmp_path.iterdir()} == before


def test_build_imports_stay_light(tmp_path: Path) -> None:
    tree(tmp_path, {"kustomization.yaml": "resources: [job.yaml]\npatches:\n- path: p.yaml\nnamePrefix: x-\n",
                    "job.yaml": JOB, "p.yaml": PATCH})
    code = (
        "import sys\nfrom compose.kustomize import build_documents\n"
        f"build_documents({str(tmp_path)!r})\n"
        "import json\nprint(json.dumps(sorted(m for m in ('kubernetes', 'boto3', 'botocore', 'jsonpatch', 'click')"
        " if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
