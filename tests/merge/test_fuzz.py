"""The differential fuzzer in the suite (``fuzz.py`` holds the generator and the oracles).

Default run: the fixed seeds (300 server-order pairs, 400 kustomize-order pairs) against
kubectl's answers recorded in ``fuzz_recorded.json``, so no kubectl call is needed; every
pair also checks that ``strategic_merge`` raises nothing but ``MergeError`` and leaves its
inputs alone. Slow run (``pytest -m slow``): thousands of further seeds per order against
kubectl live.

A mismatch names its seed: ``python tests/merge/fuzz.py show MODE SEED`` prints the pair
and both answers, ``python tests/merge/fuzz.py minimise MODE SEED NAME`` shrinks it into a
table case under ``cases/k8s/``.
"""

from __future__ import annotations

import json
import sys
import random
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import fuzz  # noqa: E402
import oracle  # noqa: E402

RECORDED = json.loads(fuzz.RECORDED.read_text())
LIVE_SEEDS = {"server": range(10_000, 13_000), "kustomize": range(10_000, 14_000)}


def test_recording_is_current() -> None:
    assert RECORDED["generator_version"] == fuzz.GENERATOR_VERSION, "re-record: python tests/merge/fuzz.py record"
    for mode, seeds in fuzz.FIXED_SEEDS.items():
        assert sorted(map(int, RECORDED[mode])) == list(seeds)


@pytest.mark.parametrize("mode", ["server", "kustomize"])
def test_fixed_seeds_match_recorded_kubectl(mode: str) -> None:
    rows = RECORDED[mode]
    stale, bad, deliberate = [], [], Counter()
    for seed in fuzz.FIXED_SEEDS[mode]:
        base, patch = fuzz.pair(seed, mode)
        row = rows[str(seed)]
        if fuzz.digest([base, patch]) != row[0]:
            stale.append(seed)
            continue
        mine = fuzz.answer_digest(*fuzz.ours(base, patch, mode))  # asserts: no mutation, MergeError only
        if len(row) > 2:  # a documented deliberate difference: compose's own answer is pinned
            deliberate[row[3]] += 1
            if mine != row[2]:
                bad.append(seed)
        elif mine != row[1]:
            bad.append(seed)
    assert not stale, f"the generator changed for seeds {stale[:10]}: re-record (python tests/merge/fuzz.py record)"
    assert not bad, f"{mode}: compose differs from kubectl on seeds {bad} (python tests/merge/fuzz.py show {mode} SEED)"
    # the documented differences stay a small minority of the generated pairs
    assert sum(deliberate.values()) <= len(rows) // 50, deliberate


@pytest.mark.parametrize("mode", ["server", "kustomize"])
def test_fixed_seeds_cover_the_patch_language(mode: str) -> None:
    """The generator really produces what the fuzzer claims to test."""
    text = "\n".join(json.dumps(fuzz.pair(s, mode)) for s in fuzz.FIXED_SEEDS[mode])
    wanted = ['"$patch": "delete"', '"$patch": "replace"', '"$patch": "merge"']
    if mode == "server":
        wanted += ['"$retainKeys"', '"$deleteFromPrimitiveList/', '"$setElementOrder/']
    for needle in wanted:
        assert needle in text, needle
    seen: Counter = Counter()
    for s in fuzz.FIXED_SEEDS[mode]:
        seen.update(fuzz.features(s, mode))
    wanted_features = {"duplicate key in the base", "duplicate key in the patch", "null", "reorder-only list",
                       "new-only list", "int-or-string change"}
    if mode == "kustomize":
        wanted_features |= {"kind change", "scalar type change"}
    assert all(seen[f] >= 3 for f in wanted_features), seen
    kinds = {fuzz.pair(s, mode)[0]["kind"] for s in fuzz.FIXED_SEEDS[mode]}
    assert kinds == {"Job", "CronJob", "Pod", "Deployment", "StatefulSet", "DaemonSet", "Service", "ConfigMap",
                     "Role"}


def test_pairs_are_deterministic() -> None:
    assert fuzz.pair(7, "server") == fuzz.pair(7, "server")
    assert fuzz.pair(7, "server") != fuzz.pair(8, "server")


def test_deliberate_differences_are_recognised() -> None:
    ok = ("ok", {"spec": {"volumes": [{"$patch": "replace"}], "x": 1}})
    assert fuzz.deliberate("kustomize", ("ok", {"spec": {"volumes": [{"name": "a"}], "x": 1}}), ok)
    assert fuzz.deliberate("kustomize", ("ok", {"spec": {"volumes": [{"name": "a"}], "x": 2}}), ok) is None
    assert fuzz.deliberate("server", ("ok", {"spec": {"volumes": []}, "x": 1}), ok) is None
    assert fuzz.deliberate("kustomize", ("error", "map: {} does not contain declared merge key: name"), ("ok", {}))
    assert fuzz.deliberate("kustomize", ("error", "wrong node kind"), ("ok", {})) is None
    assert fuzz.deliberate("kustomize", ("ok", {}), ("error", "visit traversal on path: [env]"))


@pytest.mark.slow
@pytest.mark.skipif(oracle.KUBECTL is None, reason="kubectl is not on PATH")
@pytest.mark.parametrize("mode", ["server", "kustomize"])
def test_live_fuzz_against_kubectl(mode: str) -> None:
    seeds = LIVE_SEEDS[mode]
    n, bad, known = fuzz.live(mode, seeds)
    print(f"{mode}: {n} pairs, {n - len(bad) - len(known)} match, {len(known)} deliberate, mismatches {bad}")
    assert n == len(seeds)
    assert not bad, f"{mode}: compose differs from kubectl on seeds {bad}"
    assert len(known) <= n // 50, Counter(known.values())


def _chaos(r: random.Random, depth: int = 0) -> object:
    """Any JSON-like value, with directive keys, int keys and odd scalars mixed in."""
    roll = r.random()
    if depth > 4 or roll < 0.35:
        return r.choice([None, 0, 1, -1, 2.5, True, False, "", "x", "1", "name", "$patch", "delete", "replace"])
    if roll < 0.65:
        keys = ["name", "image", "env", "containers", "value", "$patch", "$retainKeys", "ports", "containerPort",
                "protocol", "$setElementOrder/env", "$deleteFromPrimitiveList/args", "args", 1, "metadata"]
        return {r.choice(keys): _chaos(r, depth + 1) for _ in range(r.randint(0, 4))}
    return [_chaos(r, depth + 1) for _ in range(r.randint(0, 4))]


@pytest.mark.parametrize("mode", ["server", "kustomize"])
def test_hostile_pairs_raise_only_merge_error(mode: str) -> None:
    """Arbitrary trees grafted into valid objects: a result or a MergeError, inputs untouched."""
    import random

    results = Counter()
    for seed in range(400):
        r = random.Random(seed)
        base, patch = fuzz.pair(seed, mode)
        for doc in (base, patch):
            spec = fuzz._pod_spec_of(doc)
            target = spec if spec is not None else doc
            target[r.choice(["containers", "volumes", "env", "x", "metadata"])] = _chaos(r)
        results[fuzz.ours(base, patch, mode)[0]] += 1  # asserts: MergeError only, no mutation
    assert results["ok"] and results["error"], results


def test_kyaml_linear_path_agrees_with_the_general_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The linear path for simple keyed lists gives what the ported general code gives."""
    from compose.merge import kyaml, strategic_merge

    def run(base: dict, patch: dict) -> tuple[str, object]:
        try:
            return "ok", strategic_merge(base, patch, order="kustomize")
        except fuzz.MergeError as exc:
            return "error", str(exc)

    pairs = [fuzz.pair(s, m) for m in ("server", "kustomize") for s in range(300)]
    fast = [run(*p) for p in pairs]
    monkeypatch.setattr(kyaml.KyamlMerge, "fast", False)
    assert [run(*p) for p in pairs] == fast


def test_long_lists_stay_within_budget() -> None:
    """Long single-key lists take the linear path; the quadratic general path has a cap."""
    from compose.merge import kyaml, strategic_merge

    env = [{"name": f"E{i}", "value": "v"} for i in range(5000)] + [{"name": "E0", "value": "dup"}]
    base = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "m", "image": "a", "env": env}]}}
    patch = {"spec": {"containers": [{"name": "m", "env": [{"name": "E1", "value": "w"}]}]}}
    out = strategic_merge(base, patch, order="kustomize")["spec"]["containers"][0]["env"]
    assert out[0] == {"name": "E1", "value": "w"} and out[1] == {"name": "E0", "value": "dup"} and len(out) == 5000
    ports = [{"containerPort": i} for i in range(kyaml.GENERAL_LIST_BUDGET + 1)]
    base["spec"]["containers"][0]["ports"] = ports
    with pytest.raises(fuzz.MergeError, match="budget"):
        strategic_merge(base, patch, order="kustomize")
