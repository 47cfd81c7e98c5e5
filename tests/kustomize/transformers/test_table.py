"""Table-driven tests of the transformers: YAML in, YAML out (cases/*.yaml).

Each case runs ``steps`` (transformer functions with keyword arguments) over resources made
from ``input`` and compares the manifests with ``output``, or expects an error whose message
contains ``error``. Behaviour in these tables was checked against ``kubectl kustomize``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from compose.errors import ComposeError
from compose.kustomize.resource import Resource
from compose.kustomize.transformers import (
    annotations,
    generators,
    hashing,
    images,
    labels,
    namereference,
    names,
    namespace,
)
from compose.yamlio import load_file

FUNCTIONS = {
    "names.apply": names.apply,
    "namespace.apply": namespace.apply,
    "labels.apply": labels.apply,
    "annotations.apply": annotations.apply,
    "images.apply": images.apply,
    "hashing.apply": hashing.apply,
    "namereference.fix": namereference.fix,
}

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in load_file(path, locations=False)[0].data:
            out.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return out


def _run_step(resources: list[Resource], step: dict[str, Any]) -> list[Resource]:
    (fn_name, args), = step.items()
    args = dict(args or {})
    if fn_name == "generators.generate":
        files = {k: str(v).encode("utf-8") for k, v in (args.pop("files", None) or {}).items()}
        files.update({k: base64.b64decode(v) for k, v in (args.pop("binary_files", None) or {}).items()})

        def read_file(rel: str) -> bytes:
            if rel not in files:
                raise ComposeError(f"no such file {rel}")
            return files[rel]

        return generators.generate(
            args["kustomization"], Path("."), file="kustomization.yaml", existing=resources, read_file=read_file
        )
    FUNCTIONS[fn_name](resources, **args)
    return resources


@pytest.mark.parametrize("case", _cases())
def test_table(case: dict[str, Any]) -> None:
    resources = [Resource(data=doc, file="in.yaml", doc_index=i) for i, doc in enumerate(case.get("input") or [])]
    for index, flag in enumerate(case.get("needs_hash") or []):
        resources[index].needs_hash = flag
    if "error" in case:
        with pytest.raises(ComposeError) as info:
            for step in case["steps"]:
                resources = _run_step(resources, step)
        assert case["error"] in str(info.value)
        return
    for step in case["steps"]:
        resources = _run_step(resources, step)
    assert [r.data for r in resources] == case["output"]
