"""Selection: profile, parameters with the profile layer, overlay decisions and reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from compose.errors import SpecError
from compose.spec.metadata import MetadataLayer, parse_set
from compose.spec.quantity import parse_quantity
from compose.spec.repo import load_spec
from compose.spec.selection import select

SPEC = load_spec(Path(__file__).parent / "fixtures" / "repo")


def _applied(layers, **kw) -> list[str]:
    return [o.name for o in select(SPEC, layers, **kw).overlays]


def test_no_metadata_uses_the_default_profile() -> None:
    sel = select(SPEC, [])
    assert sel.profile is not None and sel.profile.name == "default"
    assert sel.overlays == ()
    assert sel.params.values["memory"] == parse_quantity("2Gi")


def test_a_profile_selects_overlays_and_sets_parameter_defaults() -> None:
    sel = select(SPEC, [("run", {"job_profile": "gpu"})])
    assert [o.name for o in sel.overlays] == ["gpu", "highmem", "spot"]  # highmem: memory 16Gi from the profile
    assert sel.params.sources["memory"] == "profile gpu"
    assert sel.params.values["gpus"] == 1
    assert [d.by for d in sel.decisions] == ["profile", "condition", "profile", None]


def test_metadata_beats_profile_parameters() -> None:
    sel = select(SPEC, [("run", {"job_profile": "gpu", "memory": "8Gi"})])
    assert [o.name for o in sel.overlays] == ["gpu", "spot"]
    assert sel.params.sources["memory"] == "run"


def test_conditions_alone_select_overlays_in_declared_order() -> None:
    assert _applied([("run", {"debug": True, "memory": "32Gi", "gpus": 2})]) == ["gpu", "highmem", "logging"]
    assert _applied([("run", {"team": "ml"})]) == ["logging"]  # a raw metadata key
    assert _applied([parse_set(["gpus=1", "memory=16Gi"])]) == ["gpu", "highmem"]


def test_overlays_for_a_target() -> None:
    sel = select(SPEC, [("run", {"job_profile": "gpu"})])
    assert [o.name for o in sel.overlays_for("ecs")] == ["gpu", "spot"]
    assert [o.name for o in sel.overlays_for("kubernetes")] == ["gpu", "highmem", "spot"]


def test_explain() -> None:
    sel = select(SPEC, [("agent", {"team": "ml"}), ("run", {"job_profile": "batch", "memory": "8Gi"})], explain=True)
    assert sel.explain() == [
        "profile: batch",
        "parameters:",
        "  job_profile = batch  (from run)",
        "  memory = 8Gi  (from run)",
        "  cpu = 1  (from default)",
        "  gpus = 0  (from default)",
        "  image = prefecthq/prefect:2-latest  (from default)",
        "  debug = false  (from default)",
        "  team: not a declared parameter (from agent) (read by overlay conditions)",
        "overlays:",
        "  - gpu: when gpus > 0: gpus=0 <= 0; not in profile batch",
        "  - highmem: when memory >= 16Gi: memory=8Gi < 16Gi; not in profile batch",
        "  + spot: in profile batch",
        "  + logging: when debug == true or team in [data, ml]: team=ml in [data, ml]",
    ]
    # without explain=True, decisions carry no reasons but the same outcome
    fast = select(SPEC, [("agent", {"team": "ml"}), ("run", {"job_profile": "batch", "memory": "8Gi"})])
    assert [d.applied for d in fast.decisions] == [d.applied for d in sel.decisions]
    assert all(d.reason == "" for d in fast.decisions)


def test_unknown_profile_is_an_error_naming_the_layer(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"parameter 'job_profile' from run: gpux is not one of \[default, gpu, batch\]"):
        select(SPEC, [("run", {"job_profile": "gpux"})])
    f = tmp_path / "m.yaml"
    f.write_text("a: 1\njob_profile: 3\n")
    from compose.spec.metadata import load_metadata_file

    with pytest.raises(SpecError) as info:
        select(SPEC, [load_metadata_file(f)])
    assert info.value.file == str(f) and info.value.line == 2


def test_profile_key_not_declared(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent / "fixtures" / "repo", repo)
    text = (repo / "compose.yaml").read_text()
    start = text.index("  job_profile:\n")
    end = text.index("  memory:\n")
    (repo / "compose.yaml").write_text(text[:start] + text[end:])
    spec = load_spec(repo)
    assert [o.name for o in select(spec, [MetadataLayer("run", {"job_profile": "batch"})]).overlays] == ["spot"]
    with pytest.raises(SpecError, match=r"job_profile=nope \(from --set\) names no profile; profiles: default, gpu, batch"):
        select(spec, [parse_set(["job_profile=nope"])])
    sel = select(spec, [("run", {"job_profile": "gpu"})])
    assert "job_profile" not in sel.params.undeclared  # consumed by profile selection


def test_bad_parameter_values_fail_selection() -> None:
    with pytest.raises(SpecError, match="parameter 'memory' from --set: 200Gi is more than the maximum 120Gi"):
        select(SPEC, [parse_set(["memory=200Gi"])])
