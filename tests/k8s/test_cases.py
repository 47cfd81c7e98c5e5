"""Table-driven validation cases (cases/*.yaml), each also checked against kubernetes-validate.

A case file holds ``cases:``, a list of::

    name: what the case shows
    version: "1.32"            # default 1.32
    base: job                  # bases/job.yaml, edited by set / delete; or `object:` verbatim
    set: {spec.backoffLimit: "3"}
    delete: [spec.template.spec.containers[0].name]
    problems:                  # every problem, as [path, message substring]; [] when valid
    - [spec.backoffLimit, "expected an integer, got string '3'"]
    kubernetes_validate: valid # kubernetes-validate's strict verdict when it differs from ours
                               # (a check of rules.yaml it cannot make), or skip

The differential test runs every case through ``kubernetes_validate.validate(obj, version,
strict=True)`` and expects ``valid`` when ``problems`` is empty, ``invalid`` otherwise,
unless ``kubernetes_validate`` says otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_helpers import build_case, kv_verdict  # noqa: E402

from compose.errors import format_path  # noqa: E402
from compose.k8s.validate import validate_object  # noqa: E402
from compose.yamlio import load_file  # noqa: E402

CASES_DIR = Path(__file__).resolve().parent / "cases"


def _load() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = load_file(path)[0].data
        for case in doc["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return out


CASES = _load()


def test_case_files_exist() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    obj = build_case(case)
    problems = validate_object(obj, version=str(case.get("version", "1.32")))
    got = [(format_path(p.path), p.message) for p in problems]
    expected = [tuple(e) for e in case.get("problems") or []]
    unmatched = list(got)
    for path, text in expected:
        hit = next((g for g in unmatched if g[0] == path and text in g[1]), None)
        assert hit is not None, f"expected problem at {path!r} containing {text!r}; got {got}"
        unmatched.remove(hit)
    assert not unmatched, f"unexpected problems: {unmatched}"
    for p in problems:
        assert p.source == f"kubernetes {case.get('version', '1.32')}"


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0].get("kubernetes_validate") != "skip"])
def test_kubernetes_validate_agrees(case: dict[str, Any]) -> None:
    obj = build_case(case)
    version = str(case.get("version", "1.32"))
    ours = "invalid" if case.get("problems") else "valid"
    expected = case.get("kubernetes_validate", ours)
    assert kv_verdict(obj, version) == expected
