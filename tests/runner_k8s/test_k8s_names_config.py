"""Job names from run ids, the prepared Job, and where the runner's configuration comes from."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys

import pytest

from compose.constants import RUN_ID_ANNOTATION, RUN_ID_LABEL
from compose.errors import ComposeError, SubmitError
from compose.runner.kubernetes import (
    KubernetesAPIError,
    KubernetesRunner,
    job_name_for_run,
    prepare_job,
    run_id_label_value,
)

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

UUID = "0d6f6a4e-9a0b-4a8e-b9b3-2a9d4c1f7e11"


@pytest.mark.parametrize(
    "base, run_id, expected",
    [
        ("etl", "run-42", "etl-run-42"),
        ("etl", UUID, f"etl-{UUID}"),
        ("", "run-42", "run-42"),
        ("My_Job", "run-42", "my-job-run-42"),  # the base may be squeezed; the run id is intact
    ],
)
def test_job_name_keeps_readable_names(base, run_id, expected):
    assert job_name_for_run(base, run_id) == expected


@pytest.mark.parametrize(
    "base, run_id",
    [
        ("etl", "Run-42"),
        ("etl", "run_42"),
        ("etl", "run 42 / retry"),
        ("etl", "ünïcode-ruñ"),
        ("a" * 70, UUID),
        ("etl", "x" * 200),
        ("---", "***"),
        ("etl", "-run-"),
    ],
)
def test_job_name_is_a_dns_label_with_a_hash_when_the_run_id_changed(base, run_id):
    name = job_name_for_run(base, run_id)
    assert DNS_LABEL.match(name), name
    assert len(name) <= 63
    assert re.search(r"[0-9a-f]{8}$", name)
    assert job_name_for_run(base, run_id) == name  # deterministic


def test_job_names_of_lookalike_run_ids_differ():
    names = {job_name_for_run("etl", rid) for rid in ("run-42", "Run-42", "run_42", "RUN-42", "run.42")}
    assert len(names) == 5


def test_long_run_ids_sharing_a_prefix_get_different_names():
    a = job_name_for_run("etl", "x" * 100 + "a")
    b = job_name_for_run("etl", "x" * 100 + "b")
    assert a != b and len(a) == len(b) == 63


def test_empty_run_id_is_refused():
    with pytest.raises(SubmitError, match="run id"):
        job_name_for_run("etl", "")


@pytest.mark.parametrize("run_id", ["run-42", UUID, "a.b_c-d", "x" * 63])
def test_label_value_unchanged_when_valid(run_id):
    assert run_id_label_value(run_id) == run_id


@pytest.mark.parametrize("run_id", ["flow run #7", "-lead", "trail-", "x" * 64, "ü", "a/b:c", "__"])
def test_label_value_made_valid(run_id):
    value = run_id_label_value(run_id)
    assert LABEL_VALUE.match(value) and len(value) <= 63, value
    assert value != run_id


def test_prepare_job_names_labels_annotates_and_does_not_mutate(job):
    original = copy.deepcopy(job)
    job["metadata"]["generateName"] = "etl-"
    before = copy.deepcopy(job)
    body = prepare_job(job, "Run 7", namespace="flows")
    assert job == before  # input untouched
    meta = body["metadata"]
    assert meta["name"] == job_name_for_run("etl", "Run 7")
    assert "generateName" not in meta
    assert meta["namespace"] == "flows"
    assert meta["labels"] == {"team": "data", RUN_ID_LABEL: run_id_label_value("Run 7")}
    assert meta["annotations"] == {RUN_ID_ANNOTATION: "Run 7"}
    tmeta = body["spec"]["template"]["metadata"]
    assert tmeta["labels"][RUN_ID_LABEL] == run_id_label_value("Run 7")
    assert tmeta["annotations"][RUN_ID_ANNOTATION] == "Run 7"
    assert body["spec"]["template"]["spec"] == original["spec"]["template"]["spec"]


def test_prepare_job_uses_generate_name_when_there_is_no_name(job):
    del job["metadata"]["name"]
    job["metadata"]["generateName"] = "nightly-"
    assert prepare_job(job, "r1", namespace="ns")["metadata"]["name"] == "nightly-r1"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda j: j.update(kind="CronJob"), "batch/v1 Jobs, not batch/v1 CronJob"),
        (lambda j: j["spec"]["template"]["spec"].update(containers=[]), "no containers"),
        (lambda j: j["spec"]["template"]["spec"]["containers"].pop(), "no container named 'flow'"),
    ],
)
def test_prepare_job_refuses_what_cannot_run(job, mutate, message):
    mutate(job)
    with pytest.raises(SubmitError, match=re.escape(message)) as info:
        prepare_job(job, "r1", namespace="ns")
    assert isinstance(info.value, ComposeError)


def test_missing_flow_container_lists_the_containers(job):
    with pytest.raises(SubmitError) as info:
        prepare_job(job, "r1", namespace="ns", flow_container="main")
    assert "proxy, flow" in str(info.value)
    assert info.value.path == ("spec", "template", "spec", "containers")


# ---------------------------------------------------------------- configuration


def test_kubeconfig_current_context_gives_host_and_namespace(runner, api):
    assert runner.namespace == "flows"
    assert runner.api_client.configuration.host == api.url
    assert runner.api_client.configuration.retries is False


def test_named_context_and_namespace_override(make_runner):
    assert make_runner(context="other").namespace == "other-ns"
    assert make_runner(context="other", namespace="mine").namespace == "mine"


def test_kubeconfig_from_environment(api, tmp_path, monkeypatch):
    path = api.write_kubeconfig(str(tmp_path / "env-kubeconfig"), namespace="from-env")
    monkeypatch.setenv("KUBECONFIG", path)
    runner = KubernetesRunner()
    assert runner.namespace == "from-env"
    assert runner.source == f"kubeconfig {path}"


def test_unknown_context_is_a_submit_error(kubeconfig):
    with pytest.raises(SubmitError, match="cannot load Kubernetes configuration") as info:
        KubernetesRunner(kubeconfig=kubeconfig, context="nope")
    assert "nope" in str(info.value)


def test_no_configuration_at_all(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(SubmitError, match="no Kubernetes configuration"):
        KubernetesRunner()


@pytest.fixture
def service_account(tmp_path):
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (sa / "namespace").write_text("pipelines\n")
    return sa


def test_in_cluster_service_account(service_account, monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    runner = KubernetesRunner(in_cluster=True, service_account_dir=service_account)
    cfg = runner.api_client.configuration
    assert cfg.host == "https://10.0.0.1:443"
    assert cfg.api_key["BearerToken"] == "bearer sa-token"
    assert cfg.ssl_ca_cert == str(service_account / "ca.crt")
    assert runner.namespace == "pipelines"
    assert runner.source == "in-cluster service account"


def test_in_cluster_chosen_when_there_is_no_kubeconfig(service_account, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    runner = KubernetesRunner(service_account_dir=service_account, namespace="override")
    assert runner.source == "in-cluster service account"
    assert runner.namespace == "override"


def test_in_cluster_without_token_is_a_submit_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(SubmitError, match="in-cluster service account.*token"):
        KubernetesRunner(in_cluster=True, service_account_dir=tmp_path)


def test_wrong_token_gives_a_credentials_message(make_runner, job):
    runner = make_runner(context="bad-user")
    with pytest.raises(KubernetesAPIError) as info:
        runner.submit(job, "r1")
    assert info.value.status == 401
    assert "credentials" in str(info.value) and "create jobs" in str(info.value)


def test_job_namespace_conflicting_with_an_explicit_one_is_refused(make_runner, job):
    job["metadata"]["namespace"] = "elsewhere"
    with pytest.raises(SubmitError, match='says namespace "elsewhere"'):
        make_runner(namespace="flows").submit(job, "r1", dry_run="client")
    # Without an explicit namespace the Job's own wins.
    assert make_runner().submit(job, "r1", dry_run="client").namespace == "elsewhere"


def test_importing_the_runner_package_imports_no_sdk():
    code = (
        "import sys, compose.runner, compose.runner.kubernetes, compose.runner._retry\n"
        "from compose.runner.kubernetes import job_name_for_run\n"
        "job_name_for_run('a', 'b')\n"
        "bad = [m for m in ('kubernetes', 'boto3', 'botocore', 'urllib3') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stdout.strip() == ""


def test_lazy_names_resolve():
    import compose.runner as runner_pkg

    assert runner_pkg.KubernetesRunner is KubernetesRunner
    for name in runner_pkg.__all__:
        assert getattr(runner_pkg, name).__name__ == name
    with pytest.raises(AttributeError):
        runner_pkg.Nope  # noqa: B018


def test_a_job_the_composer_named_for_the_run_keeps_its_name() -> None:
    from compose.runner.kubernetes import mark_for_run, prepare_job

    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "flow-run"},
           "spec": {"template": {"spec": {"containers": [{"name": "flow", "image": "x"}]}}}}
    mark_for_run(job, "7f9c2b11")  # what the composer does to a Job built for a run
    assert job["metadata"]["name"] == "flow-run-7f9c2b11"
    prepared = prepare_job(job, "7f9c2b11", namespace="flows")
    assert prepared["metadata"]["name"] == "flow-run-7f9c2b11"
    # a Job named for another run is renamed for this one
    other = prepare_job(job, "other-run", namespace="flows")
    assert other["metadata"]["name"] == "flow-run-7f9c2b11-other-run"


def test_mark_for_run_labels_a_cronjobs_pod_template() -> None:
    from compose.runner.kubernetes import mark_for_run

    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"generateName": "nightly-"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "flow"}]}}}}}}
    mark_for_run(cron, "r 1")
    assert cron["metadata"]["name"] == job_name_for_run("nightly", "r 1") and "generateName" not in cron["metadata"]
    tmeta = cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
    assert tmeta["annotations"] == {"compose.dev/run-id": "r 1"}
    assert tmeta["labels"] == {"compose.dev/run-id": cron["metadata"]["labels"]["compose.dev/run-id"]}
