"""Generators: the protocol, callables, wrap, ComposerGenerator's layering, generate_job_spec.

ComposerGenerator is tested here with a recording stand-in for the Composer (what it passes to
``build``); the one test with the real Composer is test_integration_composer.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from compose.agent import ComposerGenerator, JobSpecGenerator, as_generator, as_spec, generate_job_spec, wrap
from compose.errors import SpecError
from compose.model import EcsSpec, FlowRun, KubernetesSpec

RUN = FlowRun(id="r-1", flow_name="etl", metadata={"job_profile": "gpu", "labels": {"b": "2"}})
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "etl"},
       "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "flow", "image": "x"}]}}}}


class RecordingComposer:
    """Stands in for compose.composer.Composer: records each build call, builds from JOB."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def build(self, metadata: Any, *, target: str | None = None, context: Any = None, sets: Any = None) -> Any:
        self.calls.append({"metadata": copy.deepcopy(metadata), "target": target, "context": context, "sets": sets})
        if target == "ecs":
            return EcsSpec({"family": "f"}, {}, {}, "flow", context.id)
        return KubernetesSpec([JOB], JOB, "flow", context.id)


def test_composer_generator_layers_defaults_under_the_run():
    composer = RecordingComposer()
    gen = ComposerGenerator(composer, "kubernetes", sets={"memory": "8Gi"},
                            metadata_defaults={"image": "acme:1", "labels": {"a": "1"}, "job_profile": "default"})
    spec = gen.generate(RUN)
    assert isinstance(spec, KubernetesSpec) and spec.run_id == "r-1"
    (call,) = composer.calls
    assert call["target"] == "kubernetes" and call["context"] is RUN and call["sets"] == {"memory": "8Gi"}
    names = [name for name, _ in call["metadata"]]
    assert names == ["agent defaults", "run r-1"], "defaults first, the run on top"
    assert gen.metadata_for(RUN) == {"image": "acme:1", "labels": {"a": "1", "b": "2"}, "job_profile": "gpu"}
    assert isinstance(gen, JobSpecGenerator) and gen(RUN) == spec


def test_composer_generator_null_in_run_drops_a_default():
    gen = ComposerGenerator(RecordingComposer(), metadata_defaults={"memory": "4Gi", "image": "a"})
    assert gen.metadata_for(FlowRun(id="x", metadata={"memory": None})) == {"image": "a"}


def test_composer_generator_without_sets_passes_none_and_checks_target():
    composer = RecordingComposer()
    ComposerGenerator(composer, "ecs").generate(RUN)
    assert composer.calls[0]["sets"] is None and composer.calls[0]["target"] == "ecs"
    with pytest.raises(SpecError, match="unknown target 'nomad'"):
        ComposerGenerator(composer, "nomad")


def test_composer_generator_does_not_keep_references_to_the_callers_dicts():
    defaults = {"image": "a"}
    gen = ComposerGenerator(RecordingComposer(), metadata_defaults=defaults)
    defaults["image"] = "changed"
    assert gen.metadata_for(FlowRun(id="x"))["image"] == "a"


def test_generate_job_spec_gives_a_v1job_round_tripping_to_the_dict():
    from kubernetes.client import ApiClient, V1Job

    job = generate_job_spec(RUN, generator=ComposerGenerator(RecordingComposer()))
    assert isinstance(job, V1Job)
    assert ApiClient().sanitize_for_serialization(job) == JOB
    assert ComposerGenerator(RecordingComposer()).generate_job_spec(RUN).metadata.name == "etl"


def test_generate_job_spec_refuses_an_ecs_spec():
    with pytest.raises(SpecError, match="needs a Kubernetes spec"):
        generate_job_spec(RUN, generator=ComposerGenerator(RecordingComposer(), "ecs"))


def test_a_plain_callable_is_a_generator():
    gen = as_generator(lambda run: JOB)
    spec = gen.generate(RUN)
    assert isinstance(spec, KubernetesSpec) and spec.job == JOB and spec.run_id == "r-1"
    assert spec.flow_container == "flow"
    with pytest.raises(TypeError):
        as_generator("not callable")


@pytest.mark.parametrize(
    "value, words",
    [
        ({"kind": "CronJob", "metadata": {}}, "'CronJob' object"),
        ([JOB], "returned list"),
        (None, "returned NoneType"),
    ],
)
def test_as_spec_refuses_what_is_not_a_spec(value, words):
    with pytest.raises(SpecError, match=words):
        as_spec(value, RUN)


def test_wrap_after_replaces_the_spec_without_touching_the_inner_one():
    inner = ComposerGenerator(RecordingComposer())

    def with_team(run: FlowRun, spec: KubernetesSpec) -> KubernetesSpec:
        job = copy.deepcopy(spec.job)
        job["metadata"].setdefault("labels", {})["team"] = "data"
        return dataclasses.replace(spec, job=job, objects=[job])

    spec = wrap(inner, with_team).generate(RUN)
    assert spec.job["metadata"]["labels"] == {"team": "data"}
    assert "labels" not in JOB["metadata"], "the composer's output was not changed in place"


def test_wrap_as_decorator_and_before_hook():
    seen: list[FlowRun] = []

    def inner(run: FlowRun) -> dict[str, Any]:
        seen.append(run)
        return JOB

    @wrap(inner)
    def gen(run: FlowRun, spec: KubernetesSpec) -> KubernetesSpec:
        return dataclasses.replace(spec, flow_container="flow")

    assert gen.generate(RUN).job == JOB
    enriched = wrap(inner, before=lambda run: dataclasses.replace(run, metadata={**run.metadata, "gpu": True}))
    enriched.generate(RUN)
    assert seen[-1].metadata["gpu"] is True and "gpu" not in RUN.metadata


@pytest.mark.parametrize(
    "before, words",
    [
        (lambda run: dataclasses.replace(run, id="other"), "changed the run id"),
        (lambda run: {"id": run.id}, "must return a FlowRun"),
    ],
)
def test_wrap_before_must_keep_the_run(before, words):
    with pytest.raises(SpecError, match=words):
        wrap(lambda run: JOB, before=before).generate(RUN)


def test_wrap_after_must_return_a_spec():
    with pytest.raises(SpecError, match="returned NoneType"):
        wrap(lambda run: JOB, lambda run, spec: None).generate(RUN)


def test_from_path_loads_with_the_composer(monkeypatch, tmp_path):
    import sys
    import types

    loaded: list[Any] = []

    class FakeComposer:
        @classmethod
        def load(cls, root: Any) -> RecordingComposer:
            loaded.append(root)
            return RecordingComposer()

    monkeypatch.setitem(sys.modules, "compose.composer", types.SimpleNamespace(Composer=FakeComposer))
    gen = ComposerGenerator.from_path(tmp_path, "ecs", metadata_defaults={"a": 1})
    assert loaded == [tmp_path] and gen.target == "ecs" and gen.metadata_defaults == {"a": 1}


def test_outcome_to_dict_is_json_with_every_key():
    from compose.agent import STATUSES, InvalidInput, Outcome

    o = Outcome(status="failed", run_id="r", target="kubernetes", job_name="etl-r", exit_code=2,
                details={"pod_phase": "Failed"})
    data = json.loads(json.dumps(o.to_dict()))
    assert set(data) == {"status", "run_id", "target", "job_name", "namespace", "task_arn", "cluster",
                         "exit_code", "reason", "message", "already_submitted", "line", "details"}
    assert data["exit_code"] == 2 and not o.ok
    assert len(STATUSES) == len(set(STATUSES)) == 12
    bad = InvalidInput("not JSON", line=3, source="runs.jsonl").outcome()
    assert (bad.status, bad.line, bad.message) == ("invalid-input", 3, "runs.jsonl:3: not JSON")
    assert InvalidInput("x", line=2).outcome().message == "line 2: x"
