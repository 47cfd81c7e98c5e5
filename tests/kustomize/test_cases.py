"""Conformance: every case directory under tests/kustomize/cases/<feature>/<case>/.

A case builds ``<case>/overlay`` if it exists, else ``<case>``. It expects either the
documents in ``expected.yaml`` (written by ``kubectl kustomize``, see regen.py) or an error
whose message contains the text of ``error.txt``. An optional ``flags.txt`` holds command-line
flags for both (only ``--load-restrictor VALUE``).

Two tests per case:

- golden: compose's output, parsed, equals ``expected.yaml`` (or compose fails as expected);
- differential: ``kubectl kustomize`` on the same directory gives the same documents, in the
  same order, with the same list order, values and types (or fails too, for an error case).
  Skipped only when kubectl is not on PATH. The kubectl runs happen once per session, a few
  at a time, so that the suite stays fast.
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from compose.errors import ComposeError
from compose.kustomize import build_documents
from compose.yamlio import load_documents

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[Path]:
    return sorted(
        p for p in CASES_DIR.glob("*/*")
        if p.is_dir() and ((p / "expected.yaml").exists() or (p / "error.txt").exists())
    )


CASES = _cases()
IDS = [f"{c.parent.name}/{c.name}" for c in CASES]


def build_dir(case: Path) -> Path:
    return case / "overlay" if (case / "overlay").is_dir() else case


def flags(case: Path) -> list[str]:
    return (case / "flags.txt").read_text().split() if (case / "flags.txt").exists() else []


def build_case(case: Path) -> list[Any]:
    kwargs: dict[str, Any] = {}
    args = flags(case)
    if args:
        assert args[0] == "--load-restrictor" and len(args) == 2, args
        kwargs["load_restrictor"] = args[1]
    return build_documents(build_dir(case), **kwargs)


def typed(value: Any) -> Any:
    """A form of ``value`` where equal means same values and same types (1 != 1.0 != True)."""
    if isinstance(value, dict):
        return ("map", {k: typed(v) for k, v in value.items()})
    if isinstance(value, list):
        return ("seq", [typed(v) for v in value])
    return (type(value).__name__, value)


def parse(text: str, name: str) -> list[Any]:
    return [d.data for d in load_documents(text, name)]


def test_there_are_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_golden(case: Path) -> None:
    error = case / "error.txt"
    if error.exists():
        wanted = error.read_text().strip()
        with pytest.raises(ComposeError) as info:
            build_case(case)
        assert wanted in str(info.value)
        return
    got = build_case(case)
    expected = parse((case / "expected.yaml").read_text(), "expected.yaml")
    assert [typed(d) for d in got] == [typed(d) for d in expected]


@pytest.fixture(scope="session")
def kubectl_results() -> dict[Path, subprocess.CompletedProcess[str]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")

    def run(case: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([kubectl, "kustomize", *flags(case), str(build_dir(case))], capture_output=True,
                              text=True, timeout=60)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(CASES, pool.map(run, CASES)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_same_as_kubectl(case: Path, kubectl_results: dict[Path, subprocess.CompletedProcess[str]]) -> None:
    proc = kubectl_results[case]
    if (case / "error.txt").exists():
        assert proc.returncode != 0, "kubectl kustomize succeeds on a case that expects an error"
        with pytest.raises(ComposeError):
            build_case(case)
        return
    assert proc.returncode == 0, proc.stderr
    got = build_case(case)
    assert [typed(d) for d in got] == [typed(d) for d in parse(proc.stdout, "kubectl")]
