"""Overlay order and the flow container: declared order wins over a profile's listing
order; a sidecar that comes first never hides the flow container, which everything finds
by its configured name (fixtures/typed calls it ``main``)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml


def _containers(spec: Any) -> list[dict[str, Any]]:
    return spec.job["spec"]["template"]["spec"]["containers"]


def test_profile_listing_order_does_not_matter(typed_composer: Any) -> None:
    assert typed_composer.spec.profiles["reversed"].overlays == ("second", "first") or \
        list(typed_composer.spec.profiles["reversed"].overlays) == ["second", "first"]
    k8s = typed_composer.build({"job_profile": "reversed"})
    assert k8s.job["spec"]["template"]["spec"]["nodeSelector"]["order"] == "second"
    ecs = typed_composer.build({"job_profile": "reversed"}, target="ecs")
    main = next(c for c in ecs.task_definition["containerDefinitions"] if c["name"] == "main")
    assert {"name": "ORDER", "value": "second"} in main["environment"]
    ex = typed_composer.explain({"job_profile": "reversed"})
    assert [o.name for o in ex.selection.overlays_for("kubernetes")] == ["first", "second"]


def test_declaration_order_is_what_decides(make_repo: Any) -> None:
    from compose import Composer

    def swap(data: dict[str, Any]) -> None:
        data["overlays"][0], data["overlays"][1] = data["overlays"][1], data["overlays"][0]

    composer = Composer.load(make_repo("typed", compose_patch=swap))
    assert composer.build({"job_profile": "reversed"}).job["spec"]["template"]["spec"]["nodeSelector"]["order"] == "first"


def test_server_order_puts_a_new_sidecar_first(typed_composer: Any) -> None:
    spec = typed_composer.build({"debug": True})
    assert [c["name"] for c in _containers(spec)] == ["sidecar", "main"]
    assert spec.flow_container == "main"


def test_run_naming_and_flow_env_find_the_flow_container_by_name(typed_composer: Any) -> None:
    from compose.model import FlowRun

    spec = typed_composer.build({"debug": True}, context=FlowRun(id="run-42", flow_name="etl"))
    main = next(c for c in _containers(spec) if c["name"] == spec.flow_container)
    assert {"name": "RUN_ID", "value": "run-42"} in main["env"]
    assert spec.job["metadata"]["name"].startswith("typed-run-42")
    assert spec.job["spec"]["template"]["metadata"]["labels"]["compose.dev/run-id"] == "run-42"


def test_to_v1job_keeps_container_order_and_names(typed_composer: Any) -> None:
    from compose.k8s import from_model

    spec = typed_composer.build({"debug": True})
    job = spec.to_v1job()
    assert [c.name for c in job.spec.template.spec.containers] == ["sidecar", "main"]
    assert from_model(job) == spec.job


def test_ecs_overrides_target_the_flow_container_by_name(make_repo: Any) -> None:
    """The flow container is second in the task definition: the overrides still name it."""
    from compose import Composer
    from compose.model import FlowRun

    td = yaml.safe_load((make_repo("typed") / "bases/ecs/task-definition.yaml").read_text())
    td["containerDefinitions"].insert(0, {"name": "agent", "image": "busybox:1.36", "essential": False,
                                          "environment": [{"name": "X", "value": "${note}"}]})
    root = make_repo("typed", {"bases/ecs/task-definition.yaml": td})
    spec = Composer.load(root).build({}, target="ecs", context=FlowRun(id="r-7", name="n", flow_name="f"))
    assert [c["name"] for c in spec.task_definition["containerDefinitions"]] == ["agent", "main"]
    (override,) = spec.overrides["containerOverrides"]
    assert override["name"] == "main"
    assert {"name": "RUN_ID", "value": "r-7"} in override["environment"]
    agent = spec.task_definition["containerDefinitions"][0]
    assert agent["environment"] == [{"name": "X", "value": "hello"}]
    assert spec.run_task_request()["overrides"] == spec.overrides


@pytest.mark.parametrize("target", ["kubernetes", "ecs"])
def test_a_missing_flow_container_is_an_error_naming_it(target: str, make_repo: Any) -> None:
    from compose import Composer
    from compose.errors import ComposeError

    def rename(data: dict[str, Any]) -> None:
        data["flowContainer"] = "runner"

    files = {}
    if target == "ecs":
        # No per-run values: nothing else would notice the misnamed flow container.
        td = yaml.safe_load((make_repo("typed") / "bases/ecs/task-definition.yaml").read_text())
        td["containerDefinitions"][0]["environment"] = [{"name": "NOTE", "value": "${note}"}]
        files["bases/ecs/task-definition.yaml"] = td
    composer = Composer.load(make_repo("typed", files, compose_patch=rename))
    with pytest.raises(ComposeError) as info:
        composer.build({}, target=target)
    text = str(info.value)
    assert "'runner'" in text and "main" in text and "flowContainer" in text, text
    assert ("task-definition.yaml" if target == "ecs" else "job.yaml") in text
