"""Our model check agrees with boto3's own client-side parameter validation.

A real boto3 ECS client (region us-east-1, dummy credentials) is called with each input; a
``before-call`` handler answers instead of the network, so a call fails only if botocore's
``ParamValidator`` rejects the parameters. botocore checks types, required and unknown
members, minimums and tagged unions; we check those too, and also enums, maximums and
booleans where integers belong. For every input, the problems botocore would find (as
(rule, path) pairs, from its structured report) must be exactly our problems of those kinds.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from compose.ecs import validate_run_task, validate_task_definition
from compose.ecs._model import botocore_problems
from compose.errors import Problem

BOTOCORE_RULES = {"type", "required", "unknown", "union"}


@pytest.fixture(scope="module")
def client() -> Any:
    import boto3
    from botocore.awsrequest import AWSResponse

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    ecs = session.client("ecs")

    def answer(**_: Any) -> tuple[AWSResponse, dict]:
        return AWSResponse("https://ecs.us-east-1.amazonaws.com/", 200, {}, None), {}

    ecs.meta.events.register("before-call.ecs.*", answer)
    return ecs


def _botocore_view(problems: list[Problem]) -> set[tuple[str, tuple]]:
    """Our problems of the kinds botocore checks, as (rule, path)."""
    out = set()
    for p in problems:
        rule = p.source.removeprefix("ecs.")
        bool_for_number = "got boolean" in p.message and "expected a" + "n integer" in p.message
        bool_for_number = bool_for_number or ("got boolean" in p.message and "a number" in p.message)
        if rule in BOTOCORE_RULES and not bool_for_number:
            out.add((rule, p.path or ()))
        elif rule in ("length", "range") and "at least" in p.message:
            out.add(("length" if rule == "length" else "range", p.path or ()))
    return out


def _theirs(operation: str, params: dict) -> set[tuple[str, tuple]]:
    return {(p.source.removeprefix("ecs."), p.path or ()) for p in botocore_problems(operation, params)}


def _rejects(client: Any, method: str, params: dict) -> bool:
    from botocore.exceptions import ParamValidationError

    try:
        getattr(client, method)(**params)
    except ParamValidationError:
        return True
    return False


def _mutations(doc: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, mutated document) pairs: each value swapped for wrong types, keys removed,
    unknown keys added."""
    swaps: dict[type, list[Any]] = {
        str: [1, True, ["x"]],
        int: ["1", True, 1.5, None],
        bool: ["true", 1],
        list: ["x", {}],
        dict: [[], "x"],
    }
    for value in swaps.get(type(doc), []):
        yield path, value
    if isinstance(doc, dict):
        yield path, {**doc, "notAField": 1}
        for key in doc:
            rest = {k: v for k, v in doc.items() if k != key}
            yield path, rest
            for sub_path, sub in _mutations(doc[key], path + (key,)):
                yield sub_path, {**doc, key: sub}
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            for sub_path, sub in _mutations(item, path + (i,)):
                yield sub_path, doc[:i] + [sub] + doc[i + 1 :]


def _corpus(ecs: Any, kind: str, base: str) -> list[dict]:
    docs = [ecs.case_input(c) for _, k, c in ecs.all_cases() if k == kind]
    docs += [doc for _, doc in _mutations(ecs.resolve(base))]
    return [d for d in docs if isinstance(d, dict)]


def test_mutations_are_many_and_varied(ecs: Any) -> None:
    docs = _corpus(ecs, "task-definition", "fargate")
    assert len(docs) > 300


@pytest.mark.parametrize(
    ("kind", "base", "operation", "method", "validate"),
    [
        ("task-definition", "fargate", "RegisterTaskDefinition", "register_task_definition",
         validate_task_definition),
        ("run-task", "run-fargate", "RunTask", "run_task", validate_run_task),
    ],
)
def test_boto3_rejects_exactly_when_we_find_botocore_problems(
    client: Any, ecs: Any, kind: str, base: str, operation: str, method: str, validate: Any
) -> None:
    checked = disagreements = 0
    rejected = 0
    for doc in _corpus(ecs, kind, base):
        ours = _botocore_view(validate(copy.deepcopy(doc)))
        theirs = _theirs(operation, copy.deepcopy(doc))
        boto_rejects = _rejects(client, method, copy.deepcopy(doc))
        rejected += boto_rejects
        assert boto_rejects == bool(theirs), doc
        if ours != theirs:
            disagreements += 1
            pytest.fail(f"ours {sorted(ours)} != botocore {sorted(theirs)} for {doc}")
        checked += 1
    assert checked > 50 and rejected > 20 and disagreements == 0


def test_known_divergence_booleans_for_integers(client: Any) -> None:
    td = {"family": "f", "containerDefinitions": [{"name": "a", "image": "b", "memory": True}]}
    assert not _rejects(client, "register_task_definition", copy.deepcopy(td))
    problems = validate_task_definition(td)
    assert [(p.source, p.path) for p in problems] == [
        ("ecs.type", ("containerDefinitions", 0, "memory"))
    ]


def test_what_botocore_misses_we_catch(client: Any, ecs: Any) -> None:
    td = ecs.resolve("fargate")
    td["networkMode"] = "vpc"
    td["tags"] = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    assert not _rejects(client, "register_task_definition", copy.deepcopy(td))
    rules = {p.source for p in validate_task_definition(td)}
    assert {"ecs.enum", "ecs.length"} <= rules
