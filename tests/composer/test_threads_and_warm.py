"""One Composer shared by threads; after warm(), builds touch no files and import nothing."""

from __future__ import annotations

import builtins
import io
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

JOBS: list[tuple[dict[str, Any], str, str]] = [
    ({"job_profile": profile, "memory": mem, "ship_logs": logs}, target, f"run-{i}")
    for i, (profile, mem, logs, target) in enumerate(
        [(p, m, l, t) for p in ("default", "gpu", "batch", "secure", "high-memory", "gpu-spot")
         for m, l in (("4Gi", False), ("32Gi", True)) for t in ("kubernetes", "ecs")]
    )
    if not (target == "ecs" and mem == "32Gi" and profile not in ("gpu", "gpu-spot", "high-memory"))
]


def _build(composer: Any, md: dict[str, Any], target: str, run_id: str) -> str:
    from compose.model import FlowRun

    md = dict(md)
    if md["job_profile"] == "high-memory":
        md.pop("memory")
    spec = composer.build(md, target=target, context=FlowRun(id=run_id, flow_name="f"))
    return json.dumps(spec.documents(), sort_keys=True)


def test_eight_threads_build_what_sequential_builds_build() -> None:
    from compose import Composer

    expected = [_build(Composer.load(REPO), md, t, r) for md, t, r in JOBS]
    shared = Composer.load(REPO)  # cold: the threads race to fill its cache
    barrier = threading.Barrier(8)

    def work(k: int) -> list[str]:
        barrier.wait()
        order = JOBS[k:] + JOBS[:k]
        got = [_build(shared, md, t, r) for md, t, r in order]
        return got[len(JOBS) - k:] + got[:len(JOBS) - k]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for got in results:
        assert got == expected
    assert len(JOBS) >= 16


def test_builds_do_not_share_mutable_results(default_composer: Any) -> None:
    a = default_composer.build({"job_profile": "gpu"})
    a.job["spec"]["template"]["spec"]["containers"][0]["image"] = "mutated"
    a.job["metadata"]["labels"]["x"] = "y"
    b = default_composer.build({"job_profile": "gpu"})
    assert b.job["spec"]["template"]["spec"]["containers"][0]["image"] != "mutated"
    assert "x" not in b.job["metadata"]["labels"]
    e = default_composer.build({"job_profile": "gpu"}, target="ecs")
    e.task_definition["containerDefinitions"][0]["image"] = "mutated"
    assert default_composer.build({"job_profile": "gpu"}, target="ecs").task_definition[
        "containerDefinitions"][0]["image"] != "mutated"


@pytest.mark.parametrize("root", [REPO, HERE / "fixtures" / "typed"], ids=["default", "typed"])
def test_after_warm_builds_read_no_files(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compose import Composer
    from compose.model import FlowRun

    composer = Composer.load(root)
    assert composer.warm() > 0
    sets = composer._interesting_sets("kubernetes")  # noqa: SLF001 - what warm() covered
    assert sets
    modules = set(sys.modules)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"file read during a build after warm(): {args[:1]}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "open", refuse)
    built = 0
    for target in composer.targets:
        for profile in composer.spec.profiles or {"default": None}:
            for i in range(2):
                md = {composer.spec.profile_key: profile} if composer.spec.profiles else {}
                composer.build(md, target=target, context=FlowRun(id=f"r{i}", flow_name="f"))
                composer.build(md, target=target)
                built += 2
        for names in composer._interesting_sets(target):  # noqa: SLF001 - every overlay alone too
            composer._build_selected(target, _only(composer, names), None)  # noqa: SLF001
            built += 1
    monkeypatch.undo()
    assert built > 0
    assert set(sys.modules) == modules, sorted(set(sys.modules) - modules)


def _only(composer: Any, names: tuple[str, ...]) -> Any:
    from compose.spec import select
    from compose.spec.selection import OverlayDecision, Selection

    base = select(composer.spec, [])
    decisions = tuple(OverlayDecision(d.overlay, d.overlay.name in names, None) for d in base.decisions)
    return Selection(profile=base.profile, params=base.params, decisions=decisions)


def test_warm_builds_every_profile_and_overlay_set(default_composer: Any) -> None:
    n = default_composer.warm()
    overlays = sum(1 for t in default_composer.targets for o in default_composer.spec.overlays if t in o.targets())
    assert n >= overlays  # every overlay alone, plus the profiles' sets


def test_after_warm_condition_selected_sets_read_no_files(default_composer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every combination of the conditional overlays on top of every profile is built by warm().
    import itertools

    from compose.model import FlowRun

    default_composer.warm()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"file read during a build after warm(): {args[:1]}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    monkeypatch.setattr(Path, "read_bytes", refuse)
    switches = [{"memory": "32Gi", "cpu": "8"}, {"spot": True}, {"secrets": True}, {"shared_volume": True},
                {"ship_logs": True}]
    built = 0
    for profile in ("default", "gpu", "batch"):
        for r in range(len(switches) + 1):
            for combo in itertools.combinations(switches, r):
                md: dict[str, Any] = {"job_profile": profile}
                for part in combo:
                    md.update(part)
                default_composer.build(md, context=FlowRun(id=f"run-{built}"))
                built += 1
    monkeypatch.undo()
    assert built == 3 * 32
