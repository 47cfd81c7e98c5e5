"""Fixtures and helpers for the ECS tests: the YAML case files and their bases."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


BASES: dict[str, Any] = load_yaml(HERE / "bases.yaml")


def deep_merge(base: Any, patch: Any) -> Any:
    """Maps merge recursively, a null deletes the key, anything else replaces."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = deep_merge(out.get(key), value)
    return out


def resolve(ref: Any) -> Any:
    """A base name, or an inline document."""
    if isinstance(ref, str) and ref in BASES:
        return copy.deepcopy(BASES[ref])
    return copy.deepcopy(ref)


def case_input(case: dict) -> Any:
    if "input" in case:
        return copy.deepcopy(case["input"])
    return deep_merge(resolve(case["base"]), case.get("merge") or {})


def all_cases() -> list[tuple[str, str, dict]]:
    """(file stem, kind, case) for every case of every case file."""
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = load_yaml(path)
        for case in doc["cases"]:
            out.append((path.stem, case.get("kind", doc["kind"]), case))
    return out


@pytest.fixture(scope="session")
def bases() -> dict[str, Any]:
    return copy.deepcopy(BASES)


class Helpers:
    """The helpers above, for test modules (which cannot import conftest)."""

    bases = BASES
    deep_merge = staticmethod(deep_merge)
    resolve = staticmethod(resolve)
    case_input = staticmethod(case_input)
    all_cases = staticmethod(all_cases)


@pytest.fixture(scope="session")
def ecs() -> type[Helpers]:
    return Helpers


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Cases are parametrized here because test modules cannot import this file's helpers.
    if "ecs_case" in metafunc.fixturenames:
        cases = all_cases()
        metafunc.parametrize(
            "ecs_case",
            [(stem, kind, case) for stem, kind, case in cases],
            ids=[f"{stem}:{case['name']}" for stem, _, case in cases],
        )
