"""The compiled ECS model: fidelity to botocore's shapes, caching, lazy import, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from compose.ecs import _model, check_run_task, check_task_definition, validate_task_definition
from compose.errors import ComposeError, ValidationError


def _walk_pair(shape: Any, node: Any, path: str, seen: set, out: list) -> None:
    """Compare a botocore Shape and our compiled node recursively."""
    key = (shape.name, id(node))
    if key in seen:
        return
    seen.add(key)
    out.append(path)
    assert node[0] == shape.type_name, path
    meta = shape.metadata
    if shape.type_name == "structure":
        assert list(node[1]) == list(shape.members), path
        assert tuple(node[2]) == tuple(meta.get("required", ())), path
        assert node[3] == bool(meta.get("union")), path
        for name, member in shape.members.items():
            _walk_pair(member, node[1][name], f"{path}.{name}", seen, out)
    elif shape.type_name == "list":
        assert (node[2], node[3]) == (meta.get("min"), meta.get("max")), path
        _walk_pair(shape.member, node[1], f"{path}[]", seen, out)
    elif shape.type_name == "map":
        assert (node[3], node[4]) == (meta.get("min"), meta.get("max")), path
        _walk_pair(shape.key, node[1], f"{path}(key)", seen, out)
        _walk_pair(shape.value, node[2], f"{path}(value)", seen, out)
    elif shape.type_name == "string":
        assert (node[1], node[2]) == (meta.get("min"), meta.get("max")), path
        enum = meta.get("enum")
        assert node[4] == (tuple(enum) if enum else None), path
        assert node[3] == (frozenset(enum) if enum else None), path
    elif shape.type_name in ("integer", "long", "double", "float"):
        assert (node[1], node[2]) == (meta.get("min"), meta.get("max")), path


@pytest.mark.parametrize("operation", ["RegisterTaskDefinition", "RunTask"])
def test_compiled_model_matches_botocore_shapes(operation: str) -> None:
    import botocore.session

    shape = (botocore.session.get_session().get_service_model("ecs")
             .operation_model(operation).input_shape)
    visited: list[str] = []
    _walk_pair(shape, _model.input_node(operation), operation, set(), visited)
    assert len(visited) > 40


def test_enums_botocore_does_not_check_are_in_the_compiled_model() -> None:
    node = _model.input_node("RegisterTaskDefinition")
    assert node[1]["networkMode"][4] == ("bridge", "host", "awsvpc", "none")
    container = node[1]["containerDefinitions"][1]
    assert "awslogs" in container[1]["logConfiguration"][1]["logDriver"][3]
    assert node[1]["tags"][3] == 50


def test_model_is_compiled_once_and_cached() -> None:
    first = _model.input_node("RegisterTaskDefinition")
    assert _model.input_node("RegisterTaskDefinition") is first


def test_importing_compose_ecs_does_not_import_botocore() -> None:
    code = (
        "import sys, compose.ecs, compose.ecs.rules, compose.ecs.sizes, compose.ecs.overrides\n"
        "print('botocore' in sys.modules, 'boto3' in sys.modules)\n"
        "compose.ecs.validate_task_definition({'family': 'f', 'containerDefinitions': []})\n"
        "print('botocore' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # validating reads the installed model file directly: botocore is not imported at all
    assert out.stdout.split() == ["False", "False", "False"]


def test_the_model_read_directly_is_the_one_botocores_loader_gives() -> None:
    import botocore.loaders

    assert _model._installed_model() == botocore.loaders.create_loader().load_service_model("ecs", "service-2")


def test_with_other_model_paths_the_loader_is_used(tmp_path: Any) -> None:
    code = (
        "import sys, compose.ecs\n"
        "compose.ecs.validate_task_definition({'family': 'f', 'containerDefinitions': []})\n"
        "print('botocore.loaders' in sys.modules)\n"
    )
    env = {**os.environ, "AWS_DATA_PATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "True"


def test_split_and_json_need_no_validation_import() -> None:
    code = (
        "import sys, compose.ecs as e\n"
        "e.split_run_overrides({'containerDefinitions': [{'name': 'flow'}]}, run_env={'A': 'b'})\n"
        "print('botocore' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_model_that_cannot_load_is_a_compose_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise ImportError("No module named 'botocore'")

    monkeypatch.setattr(_model, "_compiled", {})
    monkeypatch.setattr(_model, "_load_shapes", broken)
    with pytest.raises(ComposeError, match="cannot load botocore's ECS model") as info:
        validate_task_definition({"family": "f"})
    assert isinstance(info.value.__cause__, ImportError)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("", ()),
        (".family", ("family",)),
        (".containerDefinitions[1].dependsOn[0].containerName",
         ("containerDefinitions", 1, "dependsOn", 0, "containerName")),
        (".containerDefinitions[0].dockerLabels (key: a.b)",
         ("containerDefinitions", 0, "dockerLabels", "a.b")),
        (".containerDefinitions[0].dockerLabels.x", ("containerDefinitions", 0, "dockerLabels", "x")),
    ],
)
def test_botocore_error_names_become_paths(name: str, path: tuple) -> None:
    assert _model.parse_botocore_name(name) == path


def test_botocore_report_is_translated_into_problems() -> None:
    td = {"family": 1, "containerDefinitions": [{"name": "a", "memroy": 1}], "x": 1}
    got = {(p.source, p.path, p.message) for p in _model.botocore_problems(
        "RegisterTaskDefinition", td)}
    assert got == {
        ("ecs.type", ("family",), "invalid type int"),
        ("ecs.unknown", ("x",), "unknown field 'x'"),
        ("ecs.unknown", ("containerDefinitions", 0, "memroy"), "unknown field 'memroy'"),
    }


def test_check_functions_raise_one_error_with_every_problem(ecs: Any) -> None:
    td = ecs.resolve("fargate")
    td["networkMode"] = "bridge"
    td["containerDefinitions"][1]["dependsOn"][0]["containerName"] = "nope"
    with pytest.raises(ValidationError) as info:
        check_task_definition(td, file="overlays/gpu/ecs.yaml")
    err = info.value
    assert len(err.problems) == 2
    text = err.format()
    assert text.startswith("overlays/gpu/ecs.yaml: validate: ECS task definition is invalid: 2")
    assert "containerDefinitions[1].dependsOn[0].containerName" in text
    assert "networkMode" in text
    check_task_definition(ecs.resolve("fargate"))  # valid: no error
    check_run_task(ecs.resolve("run-fargate"), ecs.resolve("fargate"))
    with pytest.raises(ValidationError, match=r"RunTask request is invalid: 1 problem\n.*count"):
        check_run_task({**ecs.resolve("run-fargate"), "count": 0})
