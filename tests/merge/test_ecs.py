"""ECS merge: table-driven cases (cases/ecs/*.yaml), one or more per table row, plus the doc check."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from oracle import load_cases  # noqa: E402

from compose.errors import MergeError  # noqa: E402
from compose.merge import ecs_merge, run_task_merge  # noqa: E402
from compose.merge.ecs_table import DOC_PATH, TABLES, render_markdown  # noqa: E402

CASES = load_cases("ecs")
MERGE = {"RegisterTaskDefinition": ecs_merge, "RunTask": run_task_merge}


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in CASES])
def test_case(case: dict) -> None:
    merge = MERGE[case["operation"]]
    before = copy.deepcopy(case)
    if "error" in case:
        with pytest.raises(MergeError, match=case["error"]):
            merge(case["base"], case["patch"])
    else:
        assert merge(case["base"], case["patch"]) == case["expected"]
    assert case == before


def test_every_table_row_has_a_case() -> None:
    text = "\n".join(str(c["patch"]) + str(c.get("description")) for _, c in CASES)
    for rows in TABLES.values():
        for row in rows:
            leaf = row.path.rsplit(".", 1)[-1].replace("[]", "")
            assert f"'{leaf}'" in text, row.path


def test_doc_matches_table() -> None:
    """ECS_MERGE.md is generated from the table (python -m compose.merge.gen_ecs_doc)."""
    assert DOC_PATH.read_text(encoding="utf-8") == render_markdown()


def test_doc_lists_every_row() -> None:
    doc = DOC_PATH.read_text(encoding="utf-8")
    for rows in TABLES.values():
        for row in rows:
            assert f"| `{row.path}` |" in doc


def test_table_matches_facts() -> None:
    """The keys FACTS.md lists for task definitions, spot-checked."""
    rows = {r.path: r for r in TABLES["RegisterTaskDefinition"]}
    assert rows["containerDefinitions[].dependsOn"].key == "containerName"
    assert rows["containerDefinitions[].mountPoints"].key == "containerPath"
    assert rows["containerDefinitions[].linuxParameters.tmpfs"].key == "containerPath"
    assert rows["tags"].key == "key"
    assert rows["requiresCompatibilities"].how == "set"
    assert rows["containerDefinitions[].command"].how == "ordered"
    run = {r.path: r for r in TABLES["RunTask"]}
    assert run["capacityProviderStrategy"].key == "capacityProvider"


def test_base_mapping_required() -> None:
    with pytest.raises(MergeError):
        ecs_merge([], {})  # type: ignore[arg-type]


def test_result_shares_nothing_with_inputs() -> None:
    base = {"family": "f", "containerDefinitions": [{"name": "flow", "environment": [{"name": "A", "value": "1"}]}]}
    patch = {"containerDefinitions": [{"name": "log", "environment": [{"name": "B", "value": "2"}]}]}
    out = ecs_merge(base, patch)
    out["containerDefinitions"][0]["environment"].append({"name": "X"})
    out["containerDefinitions"][1]["environment"][0]["value"] = "changed"
    assert base["containerDefinitions"][0]["environment"] == [{"name": "A", "value": "1"}]
    assert patch["containerDefinitions"][0]["environment"][0]["value"] == "2"


def _directive_keys(value: object) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value if str(k).startswith("$")] + [d for v in value.values() for d in _directive_keys(v)]
    if isinstance(value, list):
        return [d for v in value for d in _directive_keys(v)]
    return []


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in CASES if "expected" in c])
def test_no_directive_reaches_the_output(case: dict) -> None:
    """ECS_MERGE.md: directives are applied, never copied (new lists and maps included)."""
    assert _directive_keys(MERGE[case["operation"]](case["base"], case["patch"])) == []


def test_directive_cases_cover_new_values() -> None:
    """Each directive appears in a case whose base lacks the list or map it sits in."""
    names = {n for n, _ in CASES}
    for name in ("run_new_list_replace_directive", "reg_new_list_delete_item", "reg_new_map_replace_directive",
                 "reg_new_map_delete_directive", "reg_new_map_retain_keys", "reg_new_container_directives"):
        assert name in names
