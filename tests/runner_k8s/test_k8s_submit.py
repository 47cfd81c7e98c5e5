"""Submitting through the real kubernetes client to the fake API server: exactly once per run."""

from __future__ import annotations

import copy

import pytest

from compose.constants import RUN_ID_ANNOTATION, RUN_ID_LABEL
from compose.errors import SubmitError
from compose.runner._retry import RetryPolicy
from compose.runner.kubernetes import KubernetesAPIError

NS = "flows"
JOBS = rf"/apis/batch/v1/namespaces/{NS}/jobs"


def stored(api):
    return sorted(name for (ns, name) in api.jobs if ns == NS)


def test_submit_creates_the_job_named_after_the_run(runner, api, job):
    result = runner.submit(job, "run-1")
    assert result.created and not result.already_submitted
    assert (result.name, result.namespace, result.dry_run, result.run_id) == ("etl-run-1", NS, None, "run-1")
    server_job = api.jobs[(NS, "etl-run-1")]
    assert result.uid == server_job["metadata"]["uid"]
    assert server_job["metadata"]["labels"][RUN_ID_LABEL] == "run-1"
    assert server_job["metadata"]["annotations"][RUN_ID_ANNOTATION] == "run-1"
    # The body went through the real client: JSON with the token, to the namespaced path.
    (post,) = api.seen("POST", JOBS)
    assert post.headers["authorization"] == f"Bearer {api.token}"
    assert post.body["metadata"]["name"] == "etl-run-1"
    assert [c["name"] for c in post.body["spec"]["template"]["spec"]["containers"]] == ["proxy", "flow"]
    assert result.job["metadata"]["uid"] == result.uid


def test_submitting_the_same_run_twice_makes_one_job(runner, api, job):
    first = runner.submit(job, "run-1")
    second = runner.submit(job, "run-1")
    assert first.created and not second.created
    assert second.already_submitted
    assert second.uid == first.uid and second.name == first.name
    assert stored(api) == ["etl-run-1"]
    assert api.committed_creates == [(NS, "etl-run-1")]
    assert len(api.seen("GET", JOBS + "/etl-run-1")) == 1  # the ownership check


def test_a_v1job_object_is_accepted(runner, api, job):
    from kubernetes import client

    v1job = runner.api_client.deserialize(type("R", (), {"data": __import__("json").dumps(job)})(), "V1Job")
    assert isinstance(v1job, client.V1Job)
    result = runner.submit(v1job, "run-9")
    assert result.created and stored(api) == ["etl-run-9"]


def test_different_runs_make_different_jobs(runner, api, job):
    runner.submit(job, "run-1")
    runner.submit(job, "Run-1")
    assert len(stored(api)) == 2


def test_409_from_another_runs_job_is_an_error(runner, api, job):
    other = copy.deepcopy(job)
    other["metadata"].update(
        name="etl-run-1",
        labels={RUN_ID_LABEL: "run-0"},
        annotations={RUN_ID_ANNOTATION: "run-0"},
    )
    api.put_job(other, NS)
    with pytest.raises(KubernetesAPIError) as info:
        runner.submit(job, "run-1")
    err = info.value
    assert err.status == 409 and err.reason == "AlreadyExists"
    assert "belongs to run 'run-0', not to run 'run-1'" in str(err)
    assert isinstance(err, SubmitError)
    assert api.committed_creates == []


def test_409_from_a_job_that_is_not_a_compose_run(runner, api, job):
    foreign = copy.deepcopy(job)
    foreign["metadata"]["name"] = "etl-run-1"
    api.put_job(foreign, NS)
    with pytest.raises(KubernetesAPIError, match="belongs to no compose run"):
        runner.submit(job, "run-1")


def test_label_alone_identifies_the_run_when_the_annotation_is_missing(runner, api, job):
    legacy = copy.deepcopy(job)
    legacy["metadata"].update(name="etl-run-1", labels={RUN_ID_LABEL: "run-1"})
    api.put_job(legacy, NS)
    assert runner.submit(job, "run-1").already_submitted


def test_annotation_wins_over_a_colliding_label(runner, api, job):
    # Two run ids can squeeze to the same label value; the verbatim annotation decides.
    impostor = copy.deepcopy(job)
    impostor["metadata"].update(name="etl-run-1", labels={RUN_ID_LABEL: "run-1"},
                                annotations={RUN_ID_ANNOTATION: "run-1 "})
    api.put_job(impostor, NS)
    with pytest.raises(KubernetesAPIError, match="belongs to run 'run-1 '"):
        runner.submit(job, "run-1")


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [500, 503, 504])
def test_5xx_is_retried_with_backoff(runner, api, job, sleeps, status):
    api.inject("POST", JOBS, "status", times=2, status=status)
    result = runner.submit(job, "run-1")
    assert result.created
    assert len(api.seen("POST", JOBS)) == 3
    # rng is 0.5: full jitter gives half of 0.5 s, then half of 1 s.
    assert sleeps.delays == [0.25, 0.5]
    assert stored(api) == ["etl-run-1"]


def test_429_retry_after_is_honoured(runner, api, job, sleeps):
    api.inject("POST", JOBS, "status", times=2, status=429, retry_after="2")
    assert runner.submit(job, "run-1").created
    assert sleeps.delays == [2.0, 2.0]


def test_retry_after_http_date_is_honoured(runner, api, job, sleeps):
    api.inject("POST", JOBS, "status", times=1, status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    assert runner.submit(job, "run-1").created
    assert sleeps.delays == [0.0]  # a date in the past means "now"


def test_reset_connection_is_retried(runner, api, job, sleeps):
    api.inject("POST", JOBS, "reset", times=2)
    result = runner.submit(job, "run-1")
    assert result.created
    assert [r.fault for r in api.seen("POST", JOBS)] == ["reset", "reset", None]
    assert len(sleeps.delays) == 2
    assert stored(api) == ["etl-run-1"]


def test_retries_are_bounded_in_count(runner, api, job, sleeps):
    api.inject("POST", JOBS, "status", times=100, status=500)
    with pytest.raises(KubernetesAPIError) as info:
        runner.submit(job, "run-1")
    err = info.value
    assert err.attempts == 6 and len(api.seen("POST", JOBS)) == 6
    assert len(sleeps.delays) == 5
    assert "gave up trying to create jobs" in str(err)
    assert "etcdserver: leader changed" in str(err)
    assert err.status == 500
    assert stored(api) == []


def test_retries_are_bounded_in_time(make_runner, api, job, sleeps):
    runner = make_runner(
        retry=RetryPolicy(max_attempts=1000, max_elapsed=30.0, base_delay=1.0, max_delay=8.0),
        clock=sleeps.clock, rng=lambda: 1.0,
    )
    api.inject("POST", JOBS, "status", times=1000, status=429, retry_after="7")
    with pytest.raises(KubernetesAPIError, match="gave up"):
        runner.submit(job, "run-1")
    assert sleeps.delays == [7.0, 7.0, 7.0, 7.0]  # a fifth 7 s would end past 30 s
    assert sum(sleeps.delays) <= 30.0


def test_a_4xx_is_not_retried(runner, api, job, sleeps):
    api.inject("POST", JOBS, "status", times=5, status=400)
    with pytest.raises(KubernetesAPIError) as info:
        runner.submit(job, "run-1")
    assert info.value.status == 400
    assert sleeps.delays == [] and len(api.seen("POST", JOBS)) == 1


# ---------------------------------------------------------------- exactly once


def test_lost_response_after_the_server_stored_the_job_resolves_to_the_same_run(runner, api, job, sleeps):
    api.inject("POST", JOBS, "drop_response")
    result = runner.submit(job, "run-1")
    # The first create was stored but its answer never came; the retry met 409, and the
    # submission nonce says this very call created it: created (answer lost), not "already
    # submitted", not a second Job and not an error.
    assert api.committed_creates == [(NS, "etl-run-1")]
    assert stored(api) == ["etl-run-1"]
    assert result.created and result.recovered and not result.already_submitted
    assert result.uid == api.jobs[(NS, "etl-run-1")]["metadata"]["uid"]
    assert [r.fault for r in api.seen("POST", JOBS)] == ["drop_response", None]
    assert len(sleeps.delays) == 1


def test_504_after_a_committed_write_resolves_to_the_same_run(runner, api, job):
    api.inject("POST", JOBS, "commit_then_status", status=504)
    result = runner.submit(job, "run-1")
    assert result.created and result.recovered and not result.already_submitted
    assert api.committed_creates == [(NS, "etl-run-1")]


def test_slow_answer_past_the_read_timeout_resolves_to_the_same_run(make_runner, api, job):
    runner = make_runner(request_timeout=(2.0, 0.3))
    api.inject("POST", JOBS, "slow_commit", delay=0.8)
    result = runner.submit(job, "run-1")
    assert result.created and result.recovered and not result.already_submitted
    assert api.committed_creates == [(NS, "etl-run-1")]


def test_many_lost_responses_and_resubmits_still_make_one_job(runner, api, job):
    api.inject("POST", JOBS, "drop_response")
    api.inject("POST", JOBS, "reset", times=2)
    api.inject("GET", JOBS + "/etl-run-1", "status", status=500)
    results = [runner.submit(job, "run-1") for _ in range(3)]
    assert stored(api) == ["etl-run-1"]
    assert api.committed_creates == [(NS, "etl-run-1")]
    # The first call created the Job (its answer lost); the later ones found it there.
    assert [(r.created, r.recovered) for r in results] == [(True, True), (False, False), (False, False)]
    assert len({r.uid for r in results}) == 1


def test_job_deleted_between_409_and_read_is_created_again(runner, api, job):
    theirs = copy.deepcopy(job)
    theirs["metadata"].update(name="etl-run-1", labels={RUN_ID_LABEL: "run-1"},
                              annotations={RUN_ID_ANNOTATION: "run-1"})
    api.put_job(theirs, NS)
    # The GET after the 409 finds nothing (someone deleted it meanwhile).
    original_take = api.take_fault

    def vanish(method, path, is_watch):
        if method == "GET" and path.endswith("/etl-run-1") and (NS, "etl-run-1") in api.jobs:
            with api.cond:
                del api.jobs[(NS, "etl-run-1")]
        return original_take(method, path, is_watch)

    api.take_fault = vanish
    try:
        result = runner.submit(job, "run-1")
    finally:
        del api.take_fault
    assert result.created
    assert api.committed_creates == [(NS, "etl-run-1")]


# ---------------------------------------------------------------- clear 4xx messages


def test_403_names_verb_resource_and_namespace(runner, api, job, sleeps):
    api.deny("create", "jobs")
    with pytest.raises(KubernetesAPIError) as info:
        runner.submit(job, "run-1")
    err = info.value
    text = str(err)
    assert err.status == 403 and err.reason == "Forbidden"
    assert 'RBAC refused to let us create jobs.batch in namespace "flows"' in text
    assert ('jobs.batch is forbidden: User "system:serviceaccount:flows:runner" cannot create resource '
            '"jobs" in API group "batch" in the namespace "flows"') in text
    assert (err.verb, err.resource, err.namespace) == ("create", "jobs", "flows")
    assert err.step == "submit" and text.startswith("submit: RBAC refused")
    assert sleeps.delays == []


def test_403_on_the_ownership_read_names_get(runner, api, job):
    runner.submit(job, "run-1")
    api.deny("get", "jobs")
    with pytest.raises(KubernetesAPIError, match='RBAC refused to let us get jobs.batch in namespace "flows"'):
        runner.submit(job, "run-1")


def test_422_lists_the_field_causes(runner, api, job, sleeps):
    spec = job["spec"]["template"]["spec"]
    spec["restartPolicy"] = "Always"
    spec["containers"][1]["image"] = ""
    with pytest.raises(KubernetesAPIError) as info:
        runner.submit(job, "run-1")
    err = info.value
    assert err.status == 422
    assert err.causes == [
        ("spec.template.spec.containers[1].image", "Required value"),
        ("spec.template.spec.restartPolicy", 'Unsupported value: "Always": supported values: "OnFailure", "Never"'),
    ]
    text = str(err)
    assert "rejected the Job as invalid (422)" in text
    assert "\n  - spec.template.spec.containers[1].image: Required value" in text
    assert "\n  - spec.template.spec.restartPolicy: Unsupported value" in text
    assert sleeps.delays == [] and stored(api) == []


def test_404_namespace_path_is_reported(runner, api, job):
    api.inject("POST", JOBS, "status", status=404)
    with pytest.raises(KubernetesAPIError, match=r'not found \(404\) when asked to create jobs "etl-run-1"'):
        runner.submit(job, "run-1")


# ---------------------------------------------------------------- dry runs


def test_server_dry_run_sends_dryrun_all_and_stores_nothing(runner, api, job):
    result = runner.submit(job, "run-1", dry_run="server")
    (post,) = api.seen("POST", JOBS)
    assert post.query.get("dryRun") == "All"
    assert stored(api) == [] and api.committed_creates == []
    assert (result.created, result.dry_run, result.already_submitted) == (False, "server", False)
    assert result.uid  # the server filled it in
    assert result.job["metadata"]["name"] == "etl-run-1"


def test_server_dry_run_reports_server_validation(runner, api, job):
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    with pytest.raises(KubernetesAPIError) as info:
        runner.submit(job, "run-1", dry_run="server")
    assert [f for f, _ in info.value.causes] == ["spec.template.spec.restartPolicy"]


def test_server_dry_run_of_an_already_submitted_run(runner, api, job):
    first = runner.submit(job, "run-1")
    again = runner.submit(job, "run-1", dry_run="server")
    assert again.uid == first.uid and not again.created and again.dry_run == "server"


def test_client_dry_run_makes_no_request(runner, api, job):
    result = runner.submit(job, "run-1", dry_run="client")
    assert api.seen() == []
    assert result.dry_run == "client" and result.uid is None and not result.created
    assert result.job == runner.prepare(job, "run-1")
    assert result.job["metadata"]["labels"][RUN_ID_LABEL] == "run-1"


def test_client_dry_run_still_checks_the_job(runner, job):
    job["spec"]["template"]["spec"]["containers"] = [{"name": "main", "image": "x"}]
    with pytest.raises(SubmitError, match="no container named 'flow'"):
        runner.submit(job, "run-1", dry_run="client")


def test_unknown_dry_run_mode(runner, job):
    with pytest.raises(SubmitError, match="dry_run must be"):
        runner.submit(job, "run-1", dry_run="All")  # type: ignore[arg-type]


# ---------------------------------------------------------------- find, get, cancel


def test_find_by_run_id(runner, api, job):
    runner.submit(job, "run 1")
    runner.submit(job, "run-2")
    assert runner.find("run 1") == [runner.job_name(job, "run 1")]
    assert runner.find("run-3") == []
    (listing,) = [r for r in api.seen("GET", JOBS) if "labelSelector" in r.query][:1]
    assert listing.query["labelSelector"] == f"{RUN_ID_LABEL}={runner.prepare(job, 'run 1')['metadata']['labels'][RUN_ID_LABEL]}"


def test_get_returns_the_job_or_none(runner, job):
    name = runner.submit(job, "run-1").name
    assert runner.get(name)["metadata"]["name"] == name
    assert runner.get("nope") is None


def test_cancel_deletes_with_foreground_propagation(runner, api, job):
    name = runner.submit(job, "run-1").name
    api.start_job(NS, name)
    assert runner.cancel(name) is True
    (delete,) = api.seen("DELETE", JOBS + "/" + name)
    assert delete.query["propagationPolicy"] == "Foreground"
    assert delete.body["propagationPolicy"] == "Foreground"
    assert stored(api) == [] and api.pods == {}


def test_cancel_of_a_missing_job_returns_false(runner, api):
    assert runner.cancel("nope") is False
    assert len(api.seen("DELETE")) == 1


def test_cancel_retries_transient_failures(runner, api, job, sleeps):
    name = runner.submit(job, "run-1").name
    api.inject("DELETE", JOBS + "/" + name, "status", status=429, retry_after="1")
    assert runner.cancel(name) is True
    assert sleeps.delays == [1.0]


def test_cancel_forbidden_names_delete(runner, api, job):
    name = runner.submit(job, "run-1").name
    api.deny("delete", "jobs")
    with pytest.raises(KubernetesAPIError, match='RBAC refused to let us delete jobs.batch in namespace "flows"') as info:
        runner.cancel(name)
    assert info.value.step == "cancel"


def test_a_restarted_runner_resubmitting_the_same_runs_makes_no_duplicates(make_runner, api, job):
    # The runner keeps no state: the name and the 409 check carry exactly-once across restarts.
    before = make_runner()
    firsts = [before.submit(job, f"run-{i}") for i in range(3)]
    before.close()
    after = make_runner()
    again = [after.submit(job, f"run-{i}") for i in range(4)]
    assert [r.already_submitted for r in again] == [True, True, True, False]
    assert [r.uid for r in again[:3]] == [r.uid for r in firsts]
    assert len(api.committed_creates) == 4 == len(stored(api))
