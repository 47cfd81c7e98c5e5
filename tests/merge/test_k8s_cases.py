"""Table-driven Kubernetes cases: cases/k8s/*.yaml, each checked under both list orders.

A case holds ``base``, ``patch`` and, per order, ``expected_<order>`` or ``error_<order>``.
Expectations were recorded from ``kubectl patch --local`` / ``kubectl kustomize``
(``python tests/merge/oracle.py record``) except where a case says ``server_oracle:
false`` or ``kustomize_oracle: false`` (see the case's description); the differential
tests re-run the tools.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from oracle import load_cases  # noqa: E402

from compose.errors import ComposeError, MergeError  # noqa: E402
from compose.merge import strategic_merge  # noqa: E402

CASES = load_cases("k8s")
PARAMS = [pytest.param(case, mode, id=f"{name}-{mode}") for name, case in CASES for mode in ("server", "kustomize")]


def test_enough_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("case", "mode"), PARAMS)
def test_case(case: dict, mode: str) -> None:
    base, patch = case["base"], case["patch"]
    before = copy.deepcopy((base, patch))
    if f"error_{mode}" in case:
        with pytest.raises(MergeError) as info:
            strategic_merge(base, patch, order=mode)
        assert isinstance(info.value, ComposeError)
        assert info.value.message
    else:
        assert strategic_merge(base, patch, order=mode) == case[f"expected_{mode}"]
    assert (base, patch) == before, "the inputs must not change"


def test_every_directive_is_covered() -> None:
    text = "\n".join((Path(__file__).parent / "cases" / "k8s" / f"{n}.yaml").read_text() for n, _ in CASES)
    for directive in (
        "$patch: delete", "$patch: replace", "$patch: merge", "$retainKeys",
        "$deleteFromPrimitiveList/", "$setElementOrder/",
    ):
        assert directive in text, directive


def test_kinds_covered() -> None:
    kinds = {case["base"]["kind"] for _, case in CASES}
    assert {"Job", "CronJob", "Pod", "Deployment", "Service", "ConfigMap"} <= kinds
