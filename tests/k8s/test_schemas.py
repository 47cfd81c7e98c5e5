"""The committed compact schemas: regenerated equal, small, quick to load, right in shape."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time

import pytest

from compose.errors import SpecError
from compose.k8s import gen_schemas, schema
from compose.k8s.schema import SCHEMA_DIR, load, normalize_version, supported_versions


def test_ships_at_least_1_30_to_1_33() -> None:
    assert {"1.30", "1.31", "1.32", "1.33"} <= set(supported_versions())
    assert supported_versions() == sorted(supported_versions(), key=lambda v: tuple(map(int, v.split("."))))


@pytest.mark.parametrize("version", supported_versions())
def test_committed_schema_matches_regeneration(version: str) -> None:
    pytest.importorskip("kubernetes_validate")
    committed = json.loads(gzip.decompress((SCHEMA_DIR / f"v{version}.json.gz").read_bytes()))
    fresh = gen_schemas.generate([version])[version]
    # Compare through JSON so tuples and lists, key order and the like cannot differ.
    assert committed == json.loads(json.dumps(fresh)), (
        f"schemas/v{version}.json.gz is stale: run python -m compose.k8s.gen_schemas --versions {version}"
    )


def test_encoding_is_deterministic() -> None:
    table = {"format": 1, "version": "9.9", "kinds": {}, "defs": {"b": {"p": {}}, "a": {"p": {}}}}
    assert gen_schemas.encode(table) == gen_schemas.encode(dict(reversed(list(table.items()))))


@pytest.mark.parametrize("version", supported_versions())
def test_schema_files_are_small(version: str) -> None:
    assert (SCHEMA_DIR / f"v{version}.json.gz").stat().st_size < 40_000


def test_load_is_fast_in_a_fresh_process() -> None:
    code = (
        "import time; from compose.k8s import schema\n"
        "t = time.perf_counter(); schema.load('1.32'); print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 0.05  # measured ~2.5 ms; generous for a loaded CI machine


def test_load_caches_per_version() -> None:
    assert load("1.32") is load("v1.32.4")
    assert load("1.31") is not load("1.32")


@pytest.mark.parametrize("text", ["1.32", "v1.32", "1.32.0", "v1.32.7", " 1.32 "])
def test_normalize_version(text: str) -> None:
    assert normalize_version(text) == "1.32"


@pytest.mark.parametrize("text", ["", "latest", "1", "1.x", "1.32.0.1"])
def test_bad_version_text(text: str) -> None:
    with pytest.raises(SpecError, match="invalid Kubernetes version"):
        normalize_version(text)


def test_unshipped_version_is_a_clear_error() -> None:
    with pytest.raises(SpecError, match=r"no schema for Kubernetes 1\.9: compose ships 1\.30, 1\.31"):
        load("1.9")


def test_job_definitions_in_the_compact_form() -> None:
    s = load("1.32")
    assert s.kinds["batch/v1"]["Job"] == "api.batch.v1.Job"
    assert s.kinds["v1"]["ConfigMap"] == "api.core.v1.ConfigMap"
    job_spec = s.definition("api.batch.v1.JobSpec").ensure()
    assert job_spec.required == ("template",)
    assert job_spec.fields is not None and not job_spec.extra
    assert job_spec.fields["backoffLimit"].type == "integer"
    assert job_spec.fields["backoffLimit"].format == "int32"
    assert job_spec.fields["template"].name == "api.core.v1.PodTemplateSpec"
    container = s.definition("api.core.v1.Container").ensure()
    assert container.required == ("name",)
    limits = container.fields["resources"].ensure().fields["limits"]  # type: ignore[index]
    assert (limits.type, limits.values.type, limits.key_rule) == ("map", "quantity", "container-resource")  # type: ignore[union-attr]
    port = s.definition("api.core.v1.HTTPGetAction").ensure().fields["port"]  # type: ignore[index]
    assert port.type == "int-or-string"
    raw = s.definition("api.apps.v1.ControllerRevision").ensure().fields["data"]  # type: ignore[index]
    assert raw.type == "object" and raw.extra


def test_enum_rules_apply_inside_their_version_range() -> None:
    pod = load("1.32").definition("api.core.v1.PodSpec").ensure().fields
    assert pod is not None
    assert pod["restartPolicy"].enum == frozenset({"Always", "OnFailure", "Never", ""})
    # supplementalGroupsPolicy is new in 1.31: absent before, with its enum from then on.
    assert not load("1.30").has_field("api.core.v1.PodSecurityContext", "supplementalGroupsPolicy")
    sgp = load("1.31").definition("api.core.v1.PodSecurityContext").ensure().fields["supplementalGroupsPolicy"]  # type: ignore[index]
    assert sgp.enum == frozenset({"Merge", "Strict", ""})


def test_enum_rule_outside_its_range_is_not_applied() -> None:
    definitions = {
        "io.k8s.api.core.v1.PodSpec": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"restartPolicy": {"type": ["string", "null"]}},
        }
    }
    rules = {"enums": {"api.core.v1.PodSpec.restartPolicy": {"values": ["Always"], "versions": "1.25-1.33"}}}
    assert gen_schemas.build(definitions, "1.34", rules)["defs"]["api.core.v1.PodSpec"]["p"]["restartPolicy"] == "s?"
    inside = gen_schemas.build(definitions, "1.33", rules)["defs"]["api.core.v1.PodSpec"]["p"]["restartPolicy"]
    assert inside == {"t": "s?", "e": ["Always"]}


def test_generator_rejects_unknown_keywords() -> None:
    definitions = {"io.k8s.X": {"type": "object", "properties": {"a": {"type": "string", "pattern": "^a$"}}}}
    with pytest.raises(gen_schemas.GenerateError, match="unknown schema keywords"):
        gen_schemas.build(definitions, "1.32")


def test_generator_encodes_every_node_kind() -> None:
    definitions = {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]},
        "io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": [{"type": ["string", "null"]}, {"type": ["number", "null"]}]},
        "io.k8s.T": {"type": ["string", "null"], "format": "date-time"},
        "io.k8s.Raw": {"type": ["object", "null"]},
        "io.k8s.X": {
            "type": "object",
            "additionalProperties": False,
            "required": ["s"],
            "x-kubernetes-group-version-kind": [{"group": "g.io", "version": "v1", "kind": "X"}],
            "properties": {
                "s": {"type": "string"},
                "i": {"type": ["integer", "null"], "format": "int32"},
                "n": {"type": ["number", "null"], "format": "double"},
                "b": {"type": ["boolean", "null"]},
                "y": {"type": ["string", "null"], "format": "byte"},
                "ios": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
                "q": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.api.resource.Quantity"},
                "t": {"$ref": "#/$defs/io.k8s.T"},
                "raw": {"$ref": "#/$defs/io.k8s.Raw"},
                "any": {"description": "anything"},
                "list": {"type": ["array", "null"], "items": {"$ref": "#/$defs/io.k8s.X"}},
                "map": {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}},
                "e": {"type": "string", "enum": ["A"]},
            },
        },
    }
    table = gen_schemas.build(definitions, "1.32")
    assert table["kinds"] == {"g.io/v1": {"X": "X"}}
    assert table["defs"]["X"] == {
        "p": {
            "s": "s", "i": "i32?", "n": "n?", "b": "b?", "y": "y?", "ios": "ios", "q": "q", "t": "t?",
            "raw": "o*?", "any": "*", "list": {"a": "@X", "?": 1}, "map": {"m": "s?", "?": 1},
            "e": {"t": "s", "e": ["A"]},
        },
        "r": ["s"],
    }


def test_rules_matching_nothing_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("kubernetes_validate")
    monkeypatch.setattr(gen_schemas, "load_rules", lambda: {"enums": {"api.core.v1.Nope.x": {"values": ["a"], "versions": "1.32"}}})
    with pytest.raises(gen_schemas.GenerateError, match="match no definition"):
        gen_schemas.generate(["1.32"])


def test_generator_cli_writes_files(tmp_path: "pytest.TempPathFactory") -> None:
    pytest.importorskip("kubernetes_validate")
    assert gen_schemas.main(["--versions", "1.32", "--output-dir", str(tmp_path)]) == 0
    written = tmp_path / "v1.32.json.gz"  # type: ignore[operator]
    assert json.loads(gzip.decompress(written.read_bytes())) == json.loads(
        gzip.decompress((SCHEMA_DIR / "v1.32.json.gz").read_bytes())
    )


def test_concurrent_first_use_builds_one_schema() -> None:
    import threading

    schema._cache.pop("1.30", None)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(load("1.30"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(g) for g in got}) == 1


def test_load_time_in_process() -> None:
    schema._cache.pop("1.33", None)
    start = time.perf_counter()
    load("1.33")
    assert time.perf_counter() - start < 0.05
