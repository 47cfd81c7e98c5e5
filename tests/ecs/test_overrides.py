"""split_run_overrides: per-run values go to RunTask overrides, the task definition stays."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from compose.constants import RUN_ID_LABEL
from compose.ecs import (
    RunSplit,
    split_run_overrides,
    to_cli_input_json,
    validate_run_task,
    validate_task_definition,
)
from compose.errors import SpecError


def _with_run(td: dict, run_id: str) -> dict:
    """The task definition as a composer that substituted ${run_id} would produce it."""
    td = copy.deepcopy(td)
    flow = next(c for c in td["containerDefinitions"] if c["name"] == "flow")
    flow["environment"].append({"name": "RUN_ID", "value": run_id})
    td["tags"].append({"key": RUN_ID_LABEL, "value": run_id})
    return td


def _split(td: dict, run_id: str) -> RunSplit:
    return split_run_overrides(
        td, per_run_env=["RUN_ID"], per_run_tags=[RUN_ID_LABEL],
        run_env={"ATTEMPT": "1"}, command=["python", "-m", "flow", run_id],
    )


def test_task_definition_is_identical_across_runs(ecs: Any) -> None:
    base = ecs.resolve("fargate")
    one, two = _split(_with_run(base, "r-1"), "r-1"), _split(_with_run(base, "r-2"), "r-2")
    assert one.task_definition == two.task_definition == base
    assert to_cli_input_json(one.task_definition) == to_cli_input_json(two.task_definition)
    assert one.overrides != two.overrides
    assert one.overrides == {"containerOverrides": [{
        "name": "flow",
        "environment": [{"name": "RUN_ID", "value": "r-1"}, {"name": "ATTEMPT", "value": "1"}],
        "command": ["python", "-m", "flow", "r-1"],
    }]}
    assert one.tags == [{"key": RUN_ID_LABEL, "value": "r-1"}]


def test_flow_container_is_found_by_name_not_position(ecs: Any) -> None:
    td = _with_run(ecs.resolve("fargate"), "r-1")
    td["containerDefinitions"].reverse()
    split = _split(td, "r-1")
    flow = next(c for c in split.task_definition["containerDefinitions"] if c["name"] == "flow")
    assert [e["name"] for e in flow["environment"]] == ["PREFECT_LOGGING_LEVEL"]
    assert split.container_override["name"] == "flow"
    side = split_run_overrides(td, container="log-router", run_env={"A": "1"})
    assert side.container_override == {"name": "log-router", "environment": [{"name": "A",
                                                                               "value": "1"}]}


def test_run_env_replaces_a_task_definition_variable_of_the_same_name(ecs: Any) -> None:
    td = ecs.resolve("fargate")
    split = split_run_overrides(td, run_env={"PREFECT_LOGGING_LEVEL": "DEBUG", "NEW": "x"})
    flow = split.task_definition["containerDefinitions"][1]
    assert "environment" not in flow  # emptied, so removed
    assert split.container_override["environment"] == [
        {"name": "PREFECT_LOGGING_LEVEL", "value": "DEBUG"}, {"name": "NEW", "value": "x"}]


def test_names_the_container_lacks_are_ignored_and_nothing_to_move_gives_no_overrides(
    ecs: Any,
) -> None:
    td = ecs.resolve("fargate")
    split = split_run_overrides(td, per_run_env=["NOT_THERE"], per_run_tags=["nope"])
    assert split.task_definition == td
    assert split.overrides == {}
    assert split.tags == []
    assert split.container_override == {"name": "flow"}


def test_tags_move_and_an_emptied_tag_list_disappears(ecs: Any) -> None:
    td = ecs.resolve("fargate")
    td["tags"] = [{"key": RUN_ID_LABEL, "value": "r-9"}]
    split = split_run_overrides(td, per_run_tags=[RUN_ID_LABEL], run_tags={"attempt": "2"})
    assert "tags" not in split.task_definition
    assert split.tags == [{"key": RUN_ID_LABEL, "value": "r-9"}, {"key": "attempt", "value": "2"}]
    over = split_run_overrides(td, run_tags={RUN_ID_LABEL: "r-10"})
    assert over.tags == [{"key": RUN_ID_LABEL, "value": "r-10"}]


def test_inputs_are_not_modified(ecs: Any) -> None:
    td = _with_run(ecs.resolve("fargate"), "r-1")
    before = copy.deepcopy(td)
    run_env = {"A": "1"}
    _split(td, "r-1")
    split_run_overrides(td, run_env=run_env, run_tags={"t": "v"})
    assert td == before and run_env == {"A": "1"}


def test_apply_to_merges_into_a_run_task_request_by_name(ecs: Any) -> None:
    td = _with_run(ecs.resolve("fargate"), "r-1")
    split = _split(td, "r-1")
    req = ecs.resolve("run-fargate")
    req["overrides"]["containerOverrides"].insert(0, {"name": "log-router", "cpu": 64})
    req["overrides"]["containerOverrides"][1]["environment"].append({"name": "KEEP", "value": "k"})
    before = copy.deepcopy(req)
    out = split.apply_to(req)
    assert req == before
    cos = out["overrides"]["containerOverrides"]
    assert cos[0] == {"name": "log-router", "cpu": 64}
    assert cos[1]["environment"] == [
        {"name": "RUN_ID", "value": "r-1"}, {"name": "KEEP", "value": "k"},
        {"name": "ATTEMPT", "value": "1"}]
    assert cos[1]["command"] == ["python", "-m", "flow", "r-1"]
    assert out["tags"] == [{"key": RUN_ID_LABEL, "value": "r-1"}]
    assert validate_run_task(out, split.task_definition) == []
    assert validate_task_definition(split.task_definition) == []


def test_apply_to_adds_an_override_when_the_request_has_none(ecs: Any) -> None:
    split = split_run_overrides(ecs.resolve("fargate"), run_env={"A": "1"})
    out = split.apply_to({"taskDefinition": "flow"})
    assert out == {"taskDefinition": "flow", "overrides": {"containerOverrides": [
        {"name": "flow", "environment": [{"name": "A", "value": "1"}]}]}}
    assert split_run_overrides(ecs.resolve("fargate")).apply_to({"taskDefinition": "f"}) == {
        "taskDefinition": "f"}


@pytest.mark.parametrize(
    ("td", "kwargs", "message"),
    [
        ({"containerDefinitions": [{"name": "side"}]}, {}, "no container named 'flow'"),
        ({"containerDefinitions": [{"name": "flow"}, {"name": "flow"}]}, {},
         "more than one container is named 'flow'"),
        ({"family": "f"}, {}, "no containerDefinitions list"),
        ({"containerDefinitions": [{"name": "flow"}]}, {"run_env": {"A": 1}}, "run_env"),
        ({"containerDefinitions": [{"name": "flow"}]}, {"run_tags": ["a"]}, "run_tags"),
        ({"containerDefinitions": [{"name": "flow"}]}, {"command": "python x"}, "list of strings"),
    ],
)
def test_errors_are_spec_errors(td: dict, kwargs: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        split_run_overrides(td, **kwargs)
    assert info.value.step == "ecs-overrides"
