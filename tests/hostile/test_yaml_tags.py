"""YAML tags and odd numbers in a resource (tags.yaml): compose's value or error, and the same
input through ``kubectl kustomize`` (the oracle) where kubectl is on the PATH."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from compose.errors import ComposeError
from compose.kustomize import build_documents
from compose.yamlio import check_output, load_documents

CASES = yaml.safe_load((Path(__file__).parent / "tags.yaml").read_text(encoding="utf-8"))
HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tags}\ndata:\n  v: "


def _write(tmp: Path, text: str) -> Path:
    (tmp / "kustomization.yaml").write_text("resources: [cm.yaml]\n", encoding="utf-8")
    (tmp / "cm.yaml").write_text(HEAD + text + "\n", encoding="utf-8")
    return tmp


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_tag(case: dict[str, Any], tmp_path: Path) -> None:
    root = _write(tmp_path, case["text"])
    if "error" in case:
        with pytest.raises(ComposeError, match=case["error"]) as info:
            build_documents(root)
        assert info.value.line == 5
        return
    docs = build_documents(root)
    if "output_error" in case:
        with pytest.raises(ComposeError, match=case["output_error"].replace(".", r"\.")):
            check_output(docs)
        return
    assert docs[0]["data"]["v"] == case["value"]


@pytest.mark.parametrize("case", [c for c in CASES if c.get("kubectl") != "differs"],
                         ids=[c["text"][:40] for c in CASES if c.get("kubectl") != "differs"])
def test_tag_as_kubectl_kustomize(case: dict[str, Any], tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    root = _write(tmp_path, case["text"])
    done = subprocess.run([kubectl, "kustomize", str(root)], capture_output=True, text=True, timeout=60)
    if case.get("kubectl") == "fails":
        assert done.returncode != 0, done.stdout
        return
    assert done.returncode == 0, done.stderr
    theirs = load_documents(done.stdout, "kubectl")[0].data["data"]["v"]
    assert theirs == case["value"]
