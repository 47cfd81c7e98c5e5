"""The injection guarantee through the whole pipeline: a metadata value is one scalar.

Values with quotes, newlines, braces, ``$``, ``${other}``, YAML syntax and document markers
go in by --set, by a metadata file and by the Python API; in the output they are exactly the
string given, wherever a placeholder used them, the output re-parses to the same structure,
and no field appears or disappears.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
TYPED = HERE / "fixtures" / "typed"

EVIL = [
    'say "hi"',
    "it's",
    "line one\nline two",
    "trailing newline\n",
    "{a: 1}",
    "{",
    "}",
    "$HOME",
    "$",
    "${count}",
    "${note}",
    "$${count}",
    "${run.id}",
    "${",
    "a: b",
    "- x",
    "---",
    "--- \nkind: Secret",
    "...",
    "key: value\nother: [1, 2]",
    "[1, 2]",
    "&anchor x",
    "*alias",
    "!!python/object:os.system",
    "# comment",
    "null",
    "true",
    "0x10",
    "1e3",
    "",
    " ",
    "\t tab",
    "unicode: é ✓ \u2028 sep",
    "back\\slash",
    "%TAG ! x",
    "@at `tick`",
    "| block",
    "> folded",
]


def _shape(tree: Any, prefix: tuple[Any, ...] = ()) -> set[tuple[Any, ...]]:
    """Every path of ``tree`` (structure only, values ignored)."""
    out = {prefix}
    if isinstance(tree, dict):
        for k, v in tree.items():
            out |= _shape(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out |= _shape(v, prefix + (i,))
    return out


def _k8s_uses(job: dict[str, Any]) -> list[Any]:
    main = job["spec"]["template"]["spec"]["containers"][0]
    return [job["metadata"]["annotations"]["compose.test/note"], main["env"][0]["value"], main["args"][2]]


@pytest.fixture(scope="module")
def reference(typed_composer: Any) -> dict[str, Any]:
    return {
        "kubernetes": typed_composer.build({}, sets=["note=hello"]).documents(),
        "ecs": typed_composer.build({}, sets=["note=hello"], target="ecs").documents(),
    }


@pytest.mark.parametrize("value", EVIL, ids=[repr(v)[:30] for v in EVIL])
def test_value_stays_one_string_kubernetes(value: str, typed_composer: Any, reference: dict[str, Any]) -> None:
    from compose.yamlio import dump_documents, dump_json

    via_api = typed_composer.build({"note": value}).documents()
    via_set = typed_composer.build({}, sets=[f"note={value}"]).documents()
    assert via_api == via_set
    (job,) = via_api
    assert _k8s_uses(job) == [value, value, value]
    assert _shape(via_api) == _shape(reference["kubernetes"])
    assert list(yaml.safe_load_all(dump_documents(via_api))) == via_api
    assert json.loads(dump_json(job)) == job


@pytest.mark.parametrize("value", EVIL, ids=[repr(v)[:30] for v in EVIL])
def test_value_stays_one_string_ecs(value: str, typed_composer: Any, reference: dict[str, Any]) -> None:
    from compose.yamlio import dump_documents

    docs = typed_composer.build({"note": value}, target="ecs").documents()
    td = docs[0]["taskDefinition"]
    main = next(c for c in td["containerDefinitions"] if c["name"] == "main")
    assert main["command"][2] == value
    assert main["environment"][0] == {"name": "NOTE", "value": value}
    assert _shape(docs) == _shape(reference["ecs"])
    assert list(yaml.safe_load_all(dump_documents(docs))) == docs


@pytest.mark.parametrize("value", ["a: b\nkind: Secret", "---\napiVersion: v1", "${count}", 'x"\ny: z'])
def test_cli_yaml_and_json_output_reparse(value: str, cli_run: Any, tmp_path: Path) -> None:
    md = tmp_path / "md.json"
    md.write_text(json.dumps({"note": value}), encoding="utf-8")
    for args in (["--set", f"note={value}"], ["--metadata", md]):
        out_yaml = cli_run("build", TYPED, *args)
        out_json = cli_run("build", TYPED, *args, "-o", "json")
        assert out_yaml.exit_code == 0 == out_json.exit_code, out_yaml.stderr
        docs = list(yaml.safe_load_all(out_yaml.stdout))
        assert len(docs) == 1
        assert docs[0] == json.loads(out_json.stdout)
        assert _k8s_uses(docs[0]) == [value, value, value]


def test_placeholder_text_in_a_value_is_not_expanded(typed_composer: Any) -> None:
    job = typed_composer.build({"note": "${count} ${mem} $${x}"}).job
    assert _k8s_uses(job)[0] == "${count} ${mem} $${x}"


@pytest.mark.parametrize("value", ["evil\nlabel: x", "a b c", "x" * 100, "---", "${count}", "", "-leading"])
def test_value_in_a_label_is_made_valid_not_structural(value: str, typed_composer: Any) -> None:
    from compose.k8s import validate_object

    job = typed_composer.build({"owner": value}).job
    label = job["metadata"]["labels"]["owner"]
    assert isinstance(label, str) and len(label) <= 63 and "\n" not in label
    assert set(job["metadata"]["labels"]) == {"owner", "tier"}
    assert validate_object(job, version="1.32") == []


@pytest.mark.parametrize("run_id", ["run\nid: x", "a" * 200, "UPPER_case.dots", "---", "${note}", "évian"])
def test_hostile_run_ids_name_the_job_validly(run_id: str, typed_composer: Any) -> None:
    from compose.k8s import validate_object
    from compose.model import FlowRun

    spec = typed_composer.build({}, context=FlowRun(id=run_id, flow_name="f\nx: y", deployment="d: e"))
    job = spec.job
    assert validate_object(job, version="1.32") == []
    assert len(job["metadata"]["name"]) <= 63
    assert job["metadata"]["annotations"]["compose.dev/run-id"] == run_id
    main = next(c for c in job["spec"]["template"]["spec"]["containers"] if c["name"] == "main")
    assert {"name": "RUN_ID", "value": run_id} in main["env"]
    ecs = typed_composer.build({}, context=FlowRun(id=run_id, name="n", flow_name="f\nx: y"), target="ecs")
    env = ecs.overrides["containerOverrides"][0]["environment"]
    assert {"name": "RUN_ID", "value": run_id} in env
    assert {"name": "RUN_NAME", "value": "run n of f\nx: y"} in env
