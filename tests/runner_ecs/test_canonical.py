"""The canonical form and spec hash of a task definition (compose.runner._canonical)."""

from __future__ import annotations

import copy
import doctest
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from compose.runner import _canonical
from compose.runner._canonical import canonical_json, canonical_task_definition, spec_hash

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "canonical.yaml").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["id"] for c in CASES["cases"]])
def test_hash_equality(case):
    a = {**copy.deepcopy(CASES["base"]), **case["a"]}
    b = {**copy.deepcopy(CASES["base"]), **case["b"]}
    assert (spec_hash(a) == spec_hash(b)) is case["same"], (canonical_json(a), canonical_json(b))


def test_input_is_not_modified():
    td = {**copy.deepcopy(CASES["base"]), "tags": [{"key": "k", "value": "v"}], "volumes": []}
    before = copy.deepcopy(td)
    canonical_task_definition(td)
    spec_hash(td)
    assert td == before


def test_canonical_form_is_a_fixed_point():
    td = {**copy.deepcopy(CASES["base"]), "requiresCompatibilities": ["FARGATE", "EC2"]}
    once = canonical_task_definition(td)
    assert canonical_task_definition(once) == once
    assert "tags" not in once and once["containerDefinitions"][0]["essential"] is True


def test_hash_is_sha256_of_the_canonical_json():
    td = copy.deepcopy(CASES["base"])
    text = canonical_json(td)
    assert json.loads(text) == canonical_task_definition(td)
    assert " " not in text.replace("python:3.12-slim", "")  # compact separators
    assert spec_hash(td) == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert spec_hash(td, length=64) == hashlib.sha256(text.encode()).hexdigest()


def test_doctests():
    result = doctest.testmod(_canonical)
    assert result.attempted > 0 and result.failed == 0
