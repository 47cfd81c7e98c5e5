"""The public surface of compose.k8s and the edges of validate_object."""

from __future__ import annotations

import copy
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_helpers import base  # noqa: E402

import compose.k8s  # noqa: E402
from compose.errors import SpecError, ValidationError  # noqa: E402
from compose.k8s import compile_value_checkers, require_valid, validate_object  # noqa: E402


def test_public_names() -> None:
    assert set(compose.k8s.__all__) == {
        "DEFAULT_VERSION", "validate_object", "require_valid", "compile_value_checkers", "ValueChecker",
        "schema_at", "SchemaNode", "is_quantity", "supported_versions", "to_model", "to_v1job", "from_model",
    }
    assert compose.k8s.DEFAULT_VERSION == "1.32"


def test_input_is_not_mutated(job: dict[str, Any]) -> None:
    job["spec"]["template"]["spec"]["containers"][0]["nmae"] = 1
    before = copy.deepcopy(job)
    assert validate_object(job)
    assert job == before


def test_any_mapping_and_tuples_are_accepted(job: dict[str, Any]) -> None:
    job["metadata"] = types.MappingProxyType(job["metadata"])
    job["spec"]["template"]["spec"]["containers"][0]["args"] = ("a", "b")
    assert validate_object(job) == []


def test_problems_come_in_document_order(job: dict[str, Any]) -> None:
    job["metadata"]["x"] = 1
    job["spec"]["template"]["spec"]["containers"][0]["y"] = 1
    job["spec"]["zz"] = 1
    paths = [p.path for p in validate_object(job)]
    assert paths == [("metadata", "x"), ("spec", "template", "spec", "containers", 0, "y"), ("spec", "zz")]


def test_non_string_map_keys(job: dict[str, Any]) -> None:
    job["metadata"]["labels"][1] = "x"
    assert [(p.path, p.message) for p in validate_object(job)] == [
        (("metadata", "labels", 1), "map keys must be strings, got integer 1")
    ]


def test_unknown_version_raises_not_a_problem(job: dict[str, Any]) -> None:
    with pytest.raises(SpecError, match="no schema for Kubernetes 1.99"):
        validate_object(job, version="1.99")
    with pytest.raises(SpecError):
        compile_value_checkers(job, [], version="x")


def test_require_valid(job: dict[str, Any]) -> None:
    require_valid(job)
    job["spec"]["backoffLimit"] = "3"
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    with pytest.raises(ValidationError) as info:
        require_valid(job, file="out/job.yaml")
    err = info.value
    assert err.step == "validate" and err.file == "out/job.yaml"
    assert len(err.problems) == 2
    text = err.format()
    assert text.splitlines()[0] == "out/job.yaml: validate: Job 'flow-run-abc123' is invalid: 2 problems"
    assert "  - out/job.yaml: [kubernetes 1.32] expected an integer, got string '3' (at spec.backoffLimit)" in text


def test_problem_text_names_version_and_path(job: dict[str, Any]) -> None:
    job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memroy"] = "1Gi"
    (problem,) = validate_object(job, version="1.30")
    assert problem.path == ("spec", "template", "spec", "containers", 0, "resources", "limits", "memroy")
    assert str(problem).startswith("[kubernetes 1.30] unknown resource name 'memroy'")
    assert str(problem).endswith("(did you mean 'memory'?) (at spec.template.spec.containers[0].resources.limits.memroy)")


def test_deeply_recursive_schema_is_fine() -> None:
    # CRD schemas refer to themselves (JSONSchemaProps.properties -> JSONSchemaProps).
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                "type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}},
            }}}],
        },
    }
    assert validate_object(crd) == []
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["typo"] = 1
    assert [p.path[-1] for p in validate_object(crd)] == ["typo"]


def _best_mean(fn: Any, number: int, repeat: int = 5) -> float:
    out = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        out = min(out, (time.perf_counter() - start) / number)
    return out


def test_full_validation_is_well_under_a_millisecond() -> None:
    job = base("job")
    assert validate_object(job) == []
    # Measured ~40 us for this 142-node Job; the bound leaves room for a loaded CI machine.
    assert _best_mean(lambda: validate_object(job), 200) < 1e-3


def test_value_checker_is_microseconds() -> None:
    job = base("job")
    c = ("spec", "template", "spec", "containers", 0)
    paths = [("metadata", "name"), ("spec", "backoffLimit"), c + ("image",), c + ("resources", "limits", "memory")]
    check = compile_value_checkers(job, paths)
    values = dict(zip(paths, ["n", 1, "img", "1Gi"]))
    assert check(values) == []
    # Measured ~0.2 us per value.
    assert _best_mean(lambda: check(values), 2000) < 50e-6
