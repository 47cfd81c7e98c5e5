"""to_v1job / to_model: the client's own deserializer, round-tripping to the same dict."""

from __future__ import annotations

import copy
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_helpers import base  # noqa: E402

from compose.errors import ValidationError  # noqa: E402
from compose.k8s.convert import (  # noqa: E402
    client_form,
    from_model,
    model_class_name,
    to_model,
    to_v1job,
)
from compose.k8s.validate import validate_object  # noqa: E402

client = pytest.importorskip("kubernetes.client")

C = ("spec", "template", "spec", "containers", 0)

# Fragments that a build may contain; random subsets make the round-trip corpus.
FRAGMENTS: list[tuple[tuple[Any, ...], Any]] = [
    (C + ("resources",), {"limits": {"cpu": "1500m", "memory": "1.5Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}),
    (C + ("resources",), {"limits": {"cpu": 2, "memory": 1073741824, "nvidia.com/gpu": 1}}),
    (C + ("resources",), {"requests": {"cpu": 0.25, "ephemeral-storage": "10G"}}),
    (C + ("resources",), {}),
    (C + ("livenessProbe",), {"httpGet": {"path": "/", "port": 8080, "httpHeaders": [{"name": "a", "value": "b"}]}}),
    (C + ("readinessProbe",), {"tcpSocket": {"port": "metrics"}, "periodSeconds": 5, "failureThreshold": 3}),
    (C + ("startupProbe",), {"exec": {"command": ["true"]}, "initialDelaySeconds": 0}),
    (C + ("env",), []),
    (C + ("env",), [{"name": "A", "value": ""}, {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k", "optional": True}}}]),
    (C + ("args",), []),
    (C + ("workingDir",), "/work"),
    (C + ("lifecycle",), {"preStop": {"sleep": {"seconds": 5}}}),
    (C + ("securityContext",), {"runAsUser": 0, "privileged": False, "capabilities": {"add": ["SYS_PTRACE"], "drop": []}}),
    (("metadata", "labels"), {}),
    (("metadata", "annotations"), {"a": "", "b/c": "multi\nline"}),
    (("metadata", "generateName"), "flow-"),
    (("metadata", "ownerReferences"), [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "1", "controller": True}]),
    (("spec", "suspend"), True),
    (("spec", "completionMode"), "Indexed"),
    (("spec", "backoffLimitPerIndex"), 1),
    (("spec", "podReplacementPolicy"), "Failed"),
    (("spec", "selector"), {"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}]}),
    (("spec", "manualSelector"), True),
    (("spec", "template", "spec", "affinity"), {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}]}}}),
    (("spec", "template", "spec", "topologySpreadConstraints"), [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]),
    (("spec", "template", "spec", "volumes"), [{"name": "e", "emptyDir": {}}, {"name": "s", "secret": {"secretName": "s", "defaultMode": 256}}]),
    (("spec", "template", "spec", "volumes"), [{"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 600}}]}}]),
    (("spec", "template", "spec", "hostAliases"), [{"ip": "10.0.0.1", "hostnames": ["a"]}]),
    (("spec", "template", "spec", "dnsConfig"), {"options": [{"name": "ndots", "value": "2"}]}),
    (("spec", "template", "spec", "terminationGracePeriodSeconds"), 30),
    (("spec", "template", "spec", "imagePullSecrets"), [{"name": "reg"}]),
    (("spec", "template", "spec", "overhead"), {"cpu": "100m"}),
    (("spec", "template", "spec", "schedulingGates"), [{"name": "wait"}]),
]


def _set(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    cur: Any = obj
    for part in path[:-1]:
        cur = cur[part] if isinstance(cur, list) else cur.setdefault(part, {})
    cur[path[-1]] = copy.deepcopy(value)


def string_job() -> dict[str, Any]:
    """The base Job with its GPU quantities as strings: the client keeps it exactly."""
    job = base("job")
    res = job["spec"]["template"]["spec"]["containers"][0]["resources"]
    res["requests"]["nvidia.com/gpu"] = res["limits"]["nvidia.com/gpu"] = "1"
    return job


def _jobs() -> list[dict[str, Any]]:
    rng = random.Random(20261125)
    jobs = [base("job"), string_job()]
    for i, frag in enumerate(FRAGMENTS):  # each fragment alone
        job = string_job() if i % 2 else base("job")
        _set(job, *frag)
        jobs.append(job)
    for i in range(40):  # and random combinations
        job = string_job() if i % 2 else base("job")
        for frag in rng.sample(FRAGMENTS, rng.randint(2, 8)):
            _set(job, *frag)
        jobs.append(job)
    minimal = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "m"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c"}]}}},
    }
    jobs.append(minimal)
    return jobs


JOBS = _jobs()


def _has_numeric_quantity(job: dict[str, Any]) -> bool:
    return client_form(job) != job


def test_corpus_is_valid_and_varied() -> None:
    assert len(JOBS) > 70
    for job in JOBS:
        assert validate_object(job) == [], job
    assert sum(map(_has_numeric_quantity, JOBS)) >= 5
    assert sum(not _has_numeric_quantity(j) for j in JOBS) >= 30


@pytest.mark.parametrize("index", range(len(JOBS)))
def test_round_trip(index: int) -> None:
    job = JOBS[index]
    before = copy.deepcopy(job)
    model = to_v1job(job)
    assert isinstance(model, client.V1Job)
    out = client.ApiClient().sanitize_for_serialization(model)
    assert out == client_form(job)
    if not _has_numeric_quantity(job):
        assert out == job  # the exact dict
    assert job == before  # input untouched


def test_model_attributes_are_typed() -> None:
    job = base("job")
    model = to_v1job(job)
    c = model.spec.template.spec.containers[0]
    assert isinstance(c, client.V1Container)
    assert c.resources.limits == {"memory": "8Gi", "nvidia.com/gpu": "1"}  # numeric quantity -> string
    assert c.liveness_probe.http_get.port == "metrics"
    assert model.spec.template.spec.volumes[1].empty_dir == client.V1EmptyDirVolumeSource()
    assert model.metadata.labels["compose.dev/run-id"] == "abc123"
    assert model.spec.template.spec.volumes[2].config_map.default_mode == 420


def test_int_or_string_keeps_its_type() -> None:
    job = string_job()
    job["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = 8080
    model = to_v1job(job)
    assert model.spec.template.spec.containers[0].liveness_probe.http_get.port == 8080
    assert from_model(model) == job


def test_nulls_are_dropped_by_the_client() -> None:
    job = string_job()
    job["metadata"]["creationTimestamp"] = None
    job["spec"]["template"]["metadata"]["creationTimestamp"] = None
    job["spec"]["activeDeadlineSeconds"] = None
    out = from_model(to_v1job(job))
    expected = string_job()
    del expected["spec"]["activeDeadlineSeconds"]
    assert out == expected == client_form(job)


def test_null_map_values_survive() -> None:
    job = base("job")
    job["metadata"]["labels"]["x"] = None
    out = from_model(to_v1job(job))
    assert out["metadata"]["labels"]["x"] is None
    assert out == client_form(job)


def test_date_time_is_reformatted() -> None:
    job = base("job")
    job["metadata"]["creationTimestamp"] = "2024-05-01T12:00:00Z"
    out = from_model(to_v1job(job))
    assert out["metadata"]["creationTimestamp"] == "2024-05-01T12:00:00+00:00"


@pytest.mark.parametrize(
    "obj, cls",
    [
        ({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"schedule": "* * * * *",
          "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c"}]}}}}}},
         "V1CronJob"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}, "immutable": True}, "V1ConfigMap"),
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"p": "cA=="}, "type": "Opaque"}, "V1Secret"),
        ({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "annotations": {"a": "b"}}}, "V1ServiceAccount"),
        ({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"},
          "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Gi"}}}}, "V1PersistentVolumeClaim"),
        ({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
          "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}, "V1Role"),
        ({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
          "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}, "V1RoleBinding"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}, "V1Pod"),
        ({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"}, "revision": 1,
          "data": {"any": [1, {"x": None}]}}, "V1ControllerRevision"),
        ({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "involvedObject": {"kind": "Pod"}, "reason": "x"}, "CoreV1Event"),
    ],
)
def test_other_kinds_round_trip(obj: dict[str, Any], cls: str) -> None:
    model = to_model(obj)
    assert type(model).__name__ == cls
    assert from_model(model) == obj


def test_model_shares_nothing_with_the_input() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"}, "revision": 1, "data": {"a": [1]}}
    model = to_model(obj)
    model.data["a"].append(2)
    assert obj["data"] == {"a": [1]}


@pytest.mark.parametrize(
    "api, kind, name",
    [
        ("batch/v1", "Job", "V1Job"),
        ("batch/v1", "CronJob", "V1CronJob"),
        ("v1", "Event", "CoreV1Event"),
        ("events.k8s.io/v1", "Event", "EventsV1Event"),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "V2HorizontalPodAutoscaler"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "V1ClusterRoleBinding"),
        ("batch/v1", "Nope", None),
        ("", "Job", None),
    ],
)
def test_model_class_name(api: str, kind: str, name: str | None) -> None:
    assert model_class_name(api, kind) == name


def test_field_unknown_to_the_client_is_an_error_not_dropped() -> None:
    job = base("job")
    job["spec"]["template"]["spec"]["containers"][0]["futureField"] = {"x": 1}
    job["spec"]["futureSpec"] = 1
    with pytest.raises(ValidationError) as info:
        to_v1job(job, version=None)
    err = info.value
    assert err.step == "convert"
    assert sorted(p.path for p in err.problems) == [("spec", "futureSpec"), C + ("futureField",)]
    assert all("unknown to the installed kubernetes client" in p.message for p in err.problems)
    assert all(p.source == "kubernetes client" for p in err.problems)


def test_schema_validation_runs_first() -> None:
    job = base("job")
    job["spec"]["backoffLimit"] = "3"
    with pytest.raises(ValidationError) as info:
        to_v1job(job)
    assert info.value.step == "validate"
    assert [p.path for p in info.value.problems] == [("spec", "backoffLimit")]
    assert "Job 'flow-run-abc123' is invalid: 1 problem" in str(info.value)


def test_field_the_client_knows_but_the_version_does_not() -> None:
    job = string_job()
    job["spec"]["template"]["spec"]["hostnameOverride"] = "h"  # Kubernetes 1.34+, client 36 knows it
    with pytest.raises(ValidationError):
        to_v1job(job, version="1.33")
    assert from_model(to_v1job(job, version=None)) == job


def test_the_clients_own_checks_become_validation_errors() -> None:
    job = base("job")
    del job["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ValidationError) as info:
        to_v1job(job, version=None)
    assert "the kubernetes client rejected the object" in info.value.problems[0].message
    assert isinstance(info.value.__cause__, ValueError)


def test_to_v1job_wants_a_job() -> None:
    with pytest.raises(ValidationError, match="Job is invalid"):
        to_v1job(base("cronjob"))
    with pytest.raises(ValidationError):
        to_v1job([])  # type: ignore[arg-type]


def test_no_model_for_the_kind() -> None:
    with pytest.raises(ValidationError) as info:
        to_model({"apiVersion": "example.com/v1", "kind": "Widget"}, version=None)
    assert "has no model for apiVersion 'example.com/v1' kind 'Widget'" in info.value.problems[0].message


def test_wrong_types_the_client_would_garble() -> None:
    job = base("job")
    job["spec"]["backoffLimit"] = "3"
    job["spec"]["template"]["spec"]["containers"] = {"name": "x"}
    with pytest.raises(ValidationError) as info:
        to_v1job(job, version=None)
    assert sorted(p.path for p in info.value.problems) == [
        ("spec", "backoffLimit"), ("spec", "template", "spec", "containers")
    ]


def test_importing_and_validating_does_not_import_kubernetes() -> None:
    code = (
        "import sys\n"
        "import compose.k8s, compose.k8s.validate, compose.k8s.convert\n"
        "from compose.k8s import validate_object\n"
        "validate_object({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'x'}})\n"
        "print(','.join(m for m in ('kubernetes', 'kubernetes_validate', 'jsonschema', 'yaml') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
