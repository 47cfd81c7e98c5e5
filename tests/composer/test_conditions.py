"""Every condition operator through the whole composer (cases/conditions.yaml).

A copy of fixtures/typed gets one overlay per case, with the case's ``when:``; the overlay
annotates the Job, so each check is on the built Job, not only on the selection.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
CASES = yaml.safe_load((HERE / "cases" / "conditions.yaml").read_text(encoding="utf-8"))
KEY = "cond.compose.test/"


@pytest.fixture(scope="module")
def cond_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cond") / "repo"
    shutil.copytree(HERE / "fixtures" / "typed", root)
    data = yaml.safe_load((root / "compose.yaml").read_text(encoding="utf-8"))
    for case in CASES:
        name = f"c-{case['name']}"
        data["overlays"].append({"name": name, "when": case["when"]})
        d = root / "overlays" / name
        d.mkdir()
        (d / "kustomization.yaml").write_text(yaml.safe_dump({
            "apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component",
            "commonAnnotations": {KEY + case["name"]: "on"},
        }), encoding="utf-8")
    (root / "compose.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def cond_composer(cond_repo: Path) -> Any:
    from compose import Composer

    return Composer.load(cond_repo)


def _build(composer: Any, md: dict[str, Any]) -> Any:
    if set(md) == {"set"}:
        return composer.build({}, sets=md["set"])
    return composer.build(md)


def _applied(spec: Any) -> set[str]:
    annotations = spec.job["metadata"].get("annotations") or {}
    return {k[len(KEY):] for k in annotations if k.startswith(KEY)}


ROWS = [(c["name"], i, md, want) for c in CASES
        for want, key in ((True, "holds"), (False, "fails")) for i, md in enumerate(c[key])]


@pytest.mark.parametrize("name,i,md,want", ROWS, ids=[f"{r[0]}-{'holds' if r[3] else 'fails'}{r[1]}" for r in ROWS])
def test_condition_through_the_build(name: str, i: int, md: dict[str, Any], want: bool, cond_composer: Any) -> None:
    spec = _build(cond_composer, md)
    assert (name in _applied(spec)) is want, f"{name} with {md}"


def test_every_operator_is_covered() -> None:
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            keys.update(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk([c["when"] for c in CASES])
    assert {"in", "notIn", "!=", "<", "<=", ">", ">=", "==", "exists", "not", "any", "all"} <= keys


def test_matching_overlays_apply_in_declared_order(cond_composer: Any) -> None:
    ex = cond_composer.explain({"tier": "pro", "debug": True})
    applied = [o.name for o in ex.selection.overlays_for("kubernetes")]
    declared = [o.name for o in cond_composer.spec.overlays]
    assert applied == [n for n in declared if n in applied]
    assert {"c-eq-enum", "c-eq-boolean", "c-and-entries", "sidecar"} <= set(applied)


@pytest.mark.parametrize("md,overlay,reason", [
    ({"mem": "32Gi"}, "c-ge-quantity-memory", "mem=32Gi >= 16Gi"),
    ({"mem": "8Gi"}, "c-ge-quantity-memory", "mem=8Gi < 16Gi"),
    ({"cpu": "1500m"}, "c-gt-quantity-cpu", "cpu=1500m"),
    ({}, "c-exists-raw", "gpu_type is absent"),
    ({"region": "us-west-2"}, "c-in-shorthand", "not in"),
    ({"size": "big"}, "c-raw-ordering-not-a-number", "size"),
])
def test_explain_states_why(md: dict[str, Any], overlay: str, reason: str, cond_composer: Any) -> None:
    ex = cond_composer.explain(md)
    text = "\n".join(ex.lines())
    line = next(l for l in text.splitlines() if f" {overlay}:" in l)
    assert reason in line, line


def test_condition_on_an_undeclared_key_is_listed_as_ignored_metadata(cond_composer: Any) -> None:
    ex = cond_composer.explain({"team": "data", "whatever": 1})
    assert "ignored metadata (no parameter declares it): team, whatever" in ex.lines()


def test_metadata_layers_deep_merge_later_wins_before_selection(cond_composer: Any) -> None:
    layers = [("agent", {"tier": "pro", "labels": {"team": "ml"}}),
              ("deployment", {"labels": {"other": "x"}}),
              ("run", {"tier": "enterprise"})]
    applied = _applied(cond_composer.build(layers))
    assert "raw-dotted" in applied          # labels merged, not replaced
    assert "not-test" in applied            # tier=enterprise: the run's value won
    assert "eq-enum" not in applied
    ex = cond_composer.explain(layers)
    assert any("tier = enterprise" in l and "run" in l for l in ex.lines())


def test_null_in_a_later_layer_drops_an_earlier_value(cond_composer: Any) -> None:
    applied = _applied(cond_composer.build([("agent", {"tier": "pro"}), ("run", {"tier": None})]))
    assert "eq-enum" not in applied


@pytest.mark.parametrize("when,message", [
    ({"tier": "gold"}, "gold"),
    ({"count": {">": "many"}}, "count"),
    ({"debug": {">": 1}}, "debug"),
    ({"tier": {"~": "x"}}, "~"),
])
def test_bad_condition_is_a_load_error_with_file_and_line(when: dict[str, Any], message: str,
                                                          make_repo: Any) -> None:
    from compose import Composer
    from compose.errors import ComposeError

    def patch(data: dict[str, Any]) -> None:
        data["overlays"][0]["when"] = when

    root = make_repo("typed", compose_patch=patch)
    with pytest.raises(ComposeError) as info:
        Composer.load(root)
    text = str(info.value)
    assert "compose.yaml:" in text and message in text, text
