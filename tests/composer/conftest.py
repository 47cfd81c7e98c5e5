"""Fixtures of the composer tests: the embedded default, fixture spec repos, a CLI runner."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = HERE / "fixtures"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"composer_tests_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def regen() -> ModuleType:
    """tests/composer/regen.py (the golden cases and how each is run)."""
    return _module("regen")


@pytest.fixture(scope="session")
def default_composer() -> Any:
    """The embedded default spec repo (the repository root), loaded once."""
    from compose import Composer

    return Composer.load(REPO)


@pytest.fixture(scope="session")
def typed_composer() -> Any:
    """fixtures/typed: one parameter of each type, one overlay per condition operator."""
    from compose import Composer

    return Composer.load(FIXTURES / "typed")


@pytest.fixture()
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Copy a fixture spec repo to a temporary directory and overwrite/add files.

    ``make_repo("typed", {"overlays/x/ecs.yaml": {...} or "text"}, compose_patch=fn)``:
    mapping values are dumped as YAML; ``compose_patch`` edits the parsed compose.yaml.
    """

    def make(name: str, files: dict[str, Any] | None = None,
             compose_patch: Callable[[dict[str, Any]], None] | None = None) -> Path:
        root = tmp_path / name
        n = 1
        while root.exists():
            n += 1
            root = tmp_path / f"{name}-{n}"
        shutil.copytree(FIXTURES / name, root)
        for rel, content in (files or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
            path.write_text(text, encoding="utf-8")
        if compose_patch is not None:
            data = yaml.safe_load((root / "compose.yaml").read_text(encoding="utf-8"))
            compose_patch(data)
            (root / "compose.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return root

    return make


@pytest.fixture()
def cli_run() -> Callable[..., Any]:
    """Invoke the `compose` CLI in process; returns click's Result (stdout/stderr apart)."""
    from click.testing import CliRunner

    from compose.cli import cli

    def run(*args: Any, input: str | None = None) -> Any:
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return run
