"""Differential tests: strategic_merge against kubectl itself, case by case.

order="server" is compared with ``kubectl patch --local --type strategic`` on every case
the tool accepts (it refuses unknown kinds); order="kustomize" with ``kubectl kustomize``
on a two-file kustomization, for every case not marked ``kustomize_oracle: false`` (the
three directives kustomize copies through unprocessed, and the other deliberate
differences listed in ``compose/merge/kyaml.py``). The tool calls run in two threads,
once per session. The fuzzer (``test_fuzz.py``) compares generated pairs the same way.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import oracle  # noqa: E402

from compose.errors import MergeError  # noqa: E402
from compose.merge import strategic_merge  # noqa: E402

pytestmark = pytest.mark.skipif(oracle.KUBECTL is None, reason="kubectl is not on PATH")

CASES = dict(oracle.load_cases("k8s"))
SERVER = [n for n, c in CASES.items() if c.get("server_oracle", True)]
KUSTOMIZE = [n for n, c in CASES.items() if c.get("kustomize_oracle", True)]


def _run(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except oracle.OracleError as exc:
        return "error", str(exc)


@pytest.fixture(scope="module")
def tool_results() -> dict[tuple[str, str], tuple[str, Any]]:
    """kubectl's answers: one ``kubectl patch`` per case, and one ``kubectl kustomize``
    build for all kustomize cases that succeed (those that fail run one by one)."""
    batch = [n for n in KUSTOMIZE if "error_kustomize" not in CASES[n]]
    jobs = [("server", n, oracle.kubectl_patch, CASES[n]["base"], CASES[n]["patch"]) for n in SERVER]
    jobs += [
        ("kustomize", n, oracle.kubectl_kustomize, CASES[n]["base"], CASES[n]["patch"])
        for n in KUSTOMIZE
        if n not in batch
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        many = pool.submit(oracle.kubectl_kustomize_many, {n: (CASES[n]["base"], CASES[n]["patch"]) for n in batch})
        futures = {(mode, name): pool.submit(_run, fn, base, patch) for mode, name, fn, base, patch in jobs}
        results = {key: fut.result() for key, fut in futures.items()}
        for name, doc in many.result().items():
            results[("kustomize", name)] = ("ok", doc)
    return results


def _ours(mode: str, case: dict) -> tuple[str, Any]:
    patch = case["patch"] if mode == "server" else oracle.targeted(case["base"], case["patch"])
    try:
        return "ok", strategic_merge(case["base"], patch, order=mode)
    except MergeError as exc:
        return "error", str(exc)


def test_oracle_coverage() -> None:
    assert len(SERVER) >= 60
    assert len(KUSTOMIZE) >= 50


@pytest.mark.parametrize("name", SERVER)
def test_server_matches_kubectl_patch(name: str, tool_results: dict) -> None:
    status, want = tool_results[("server", name)]
    got_status, got = _ours("server", CASES[name])
    assert got_status == status, (want, got)
    if status == "ok":
        assert got == want


@pytest.mark.parametrize("name", KUSTOMIZE)
def test_kustomize_matches_kubectl_kustomize(name: str, tool_results: dict) -> None:
    status, want = tool_results[("kustomize", name)]
    got_status, got = _ours("kustomize", CASES[name])
    assert got_status == status, (want, got)
    if status == "ok":
        assert got == want


def test_kubectl_refuses_unknown_kinds() -> None:
    """Why the unknown-kind cases are not compared under order="server"."""
    case = CASES["unknown_kind"]
    with pytest.raises(oracle.OracleError, match="not supported"):
        oracle.kubectl_patch(case["base"], case["patch"])


def test_kustomize_copies_server_directives_through() -> None:
    """The documented difference: kustomize leaves $retainKeys unprocessed, compose applies it."""
    case = CASES["volumes_retain_keys"]
    out = oracle.kubectl_kustomize(case["base"], case["patch"])
    volumes = out["spec"]["template"]["spec"]["volumes"]
    assert any("$retainKeys" in v for v in volumes)
    ours = strategic_merge(case["base"], case["patch"], order="kustomize")
    assert all("$retainKeys" not in v for v in ours["spec"]["template"]["spec"]["volumes"])


@pytest.mark.parametrize("name", ["new_list_replace_directive", "new_list_replace_directive_in_existing_item"])
def test_kustomize_outputs_replace_directive_of_a_new_list(name: str) -> None:
    """The deliberate difference: kubectl kustomize outputs ``[{$patch: replace}]`` alone for a
    keyed list the base lacks (losing the other items); compose makes the other items the list."""
    case = CASES[name]
    def lists(doc: dict) -> list:
        spec = doc["spec"]["template"]["spec"]
        return spec.get("volumes") or spec["containers"][0]["env"]
    assert lists(oracle.kubectl_kustomize(case["base"], case["patch"])) == [{"$patch": "replace"}]
    ours = lists(strategic_merge(case["base"], case["patch"], order="kustomize"))
    assert ours and all("$patch" not in item for item in ours)
    assert ours == lists(oracle.kubectl_patch(case["base"], case["patch"]))


def test_kustomize_empties_a_list_for_an_item_without_its_key() -> None:
    """The deliberate difference: for a patch item without its merge key kubectl kustomize
    deletes every keyed item of the list (silent data loss); compose refuses the patch."""
    case = CASES["env_item_without_key"]
    out = oracle.kubectl_kustomize(case["base"], case["patch"])
    assert out["spec"]["template"]["spec"]["containers"][0]["env"] == []
    with pytest.raises(MergeError, match="does not contain declared merge key: name"):
        strategic_merge(case["base"], case["patch"], order="kustomize")


@pytest.mark.slow
def test_kubectl_majority_on_nondeterministic_case() -> None:
    """kubectl answers this case two ways (Go map order); compose gives the majority."""
    from collections import Counter

    case = CASES["finalizers_delete_and_add_same_value"]
    answers = Counter(
        tuple(oracle.kubectl_patch(case["base"], case["patch"])["metadata"]["finalizers"]) for _ in range(21)
    )
    ours = strategic_merge(case["base"], case["patch"])["metadata"]["finalizers"]
    assert tuple(ours) == answers.most_common(1)[0][0], answers
