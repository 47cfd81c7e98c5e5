"""Waiting on a Job through real watch streams: outcomes, dropped watches, 410, logs, timeouts."""

from __future__ import annotations

import io
import threading
import time

import pytest

from compose.runner.kubernetes import KubernetesAPIError

NS = "flows"
JOBS = rf"/apis/batch/v1/namespaces/{NS}/jobs"


@pytest.fixture
def submitted(runner, job):
    return runner.submit(job, "run-1").name


def watches(api):
    return [r for r in api.seen("GET", JOBS) if r.query.get("watch") == "True"]


def lists(api):
    return [r for r in api.seen("GET", JOBS) if "watch" not in r.query]


def test_complete_reports_the_flow_container(runner, api, submitted):
    def run():
        api.start_job(NS, submitted)
        api.finish_job(NS, submitted, 0)

    api.when(lambda: watches(api), run)
    outcome = runner.wait(submitted, timeout=5)
    assert outcome.succeeded and not outcome.timed_out
    assert outcome.reason == "CompletionsReached"
    assert (outcome.pod_phase, outcome.exit_code, outcome.container_reason) == ("Succeeded", 0, "Completed")
    assert outcome.pod_name == api.pod_of(NS, submitted)
    # It watched (from the listed resourceVersion) rather than polled.
    assert len(lists(api)) == 1
    (w,) = watches(api)
    assert w.query["resourceVersion"].isdigit()
    assert w.query["fieldSelector"] == f"metadata.name={submitted}"
    assert w.query["allowWatchBookmarks"] == "True"


def test_failed_reports_the_flow_exit_code_even_behind_a_sidecar(runner, api, submitted):
    api.later(0.1, api.finish_job, NS, submitted, 3, sidecar_exit=0)
    outcome = runner.wait(submitted, timeout=5)
    assert not outcome.succeeded
    assert outcome.reason == "BackoffLimitExceeded"
    assert outcome.message == "Job has reached the specified backoff limit"
    assert (outcome.exit_code, outcome.container_reason, outcome.pod_phase) == (3, "Error", "Failed")
    pod = api.pods[(NS, outcome.pod_name)]
    assert pod["status"]["containerStatuses"][0]["name"] == "proxy"  # the sidecar is containers[0]
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0


def test_oom_killed_reason_comes_through(runner, api, submitted):
    api.later(0.05, api.finish_job, NS, submitted, 137, reason="OOMKilled")
    outcome = runner.wait(submitted, timeout=5)
    assert (outcome.exit_code, outcome.container_reason) == (137, "OOMKilled")


def test_deadline_exceeded_job_reason(runner, api, submitted):
    api.finish_job(NS, submitted, 143, job_reason="DeadlineExceeded",
                   job_message="Job was active longer than specified deadline")
    outcome = runner.wait(submitted, timeout=5)
    assert (outcome.reason, outcome.message) == ("DeadlineExceeded", "Job was active longer than specified deadline")


def test_already_finished_job_needs_no_watch(runner, api, submitted):
    api.finish_job(NS, submitted, 0)
    outcome = runner.wait(submitted, timeout=5)
    assert outcome.succeeded
    assert watches(api) == []


def test_flow_container_is_found_by_configured_name(make_runner, api, job):
    job["spec"]["template"]["spec"]["containers"][1]["name"] = "main"
    runner = make_runner(flow_container="main")
    name = runner.submit(job, "run-1").name
    api.finish_job(NS, name, 9, flow_container="main", sidecar_exit=1)
    outcome = runner.wait(name, timeout=5)
    assert (outcome.exit_code, outcome.container_reason) == (9, "Error")


def test_missing_flow_container_status_is_said(make_runner, api, job):
    runner = make_runner()
    name = runner.submit(job, "run-1").name
    api.finish_job(NS, name, 0)
    other = make_runner(flow_container="worker")
    outcome = other.wait(name, timeout=5)
    assert outcome.succeeded and outcome.exit_code is None
    assert 'has no status for container "worker" (containers: proxy, flow)' in outcome.message


def test_timeout_returns_where_the_job_stood(runner, api, submitted):
    api.start_job(NS, submitted, waiting="ImagePullBackOff")
    started = time.monotonic()
    outcome = runner.wait(submitted, timeout=0.5)
    took = time.monotonic() - started
    assert 0.4 <= took < 2.5
    assert outcome.timed_out and not outcome.succeeded
    assert outcome.reason == "Timeout"
    assert (outcome.pod_phase, outcome.container_reason, outcome.exit_code) == ("Pending", "ImagePullBackOff", None)
    assert "did not finish within 0.5s" in outcome.message


def test_events_that_are_not_terminal_keep_the_watch_going(runner, api, submitted):
    def run():
        api.touch_job(NS, submitted)
        time.sleep(0.05)
        api.touch_job(NS, submitted)
        time.sleep(0.05)
        api.finish_job(NS, submitted, 0)

    api.when(lambda: watches(api), run)
    assert runner.wait(submitted, timeout=5).succeeded
    assert len(watches(api)) == 1


def test_dropped_watch_resumes_from_the_last_resource_version(runner, api, submitted, sleeps):
    api.inject("GET", JOBS, "drop_watch", watch=True, after_events=1)
    def churn():  # the first event gets through, the stream is cut at the second
        api.touch_job(NS, submitted)
        api.touch_job(NS, submitted)

    api.when(lambda: watches(api), churn)
    api.when(lambda: len(watches(api)) >= 2, api.finish_job, NS, submitted, 4)
    outcome = runner.wait(submitted, timeout=5)
    assert outcome.exit_code == 4 and not outcome.succeeded
    first, second = watches(api)[:2]
    assert first.fault == "drop_watch"
    # The second watch starts where the first left off: after the event it delivered.
    assert int(second.query["resourceVersion"]) > int(first.query["resourceVersion"])
    assert len(lists(api)) == 1  # resumed, not re-listed
    assert len(sleeps.delays) == 1


def test_drops_of_watches_that_worked_do_not_add_up(runner, api, submitted, sleeps):
    # Eight watches in a row each deliver an event and are then cut. Each was healthy, so
    # the runner never reaches its limit of failures in a row (6).
    api.inject("GET", JOBS, "drop_watch", watch=True, after_events=1, times=8)
    stop = threading.Event()

    def churn():
        while not stop.is_set() and (NS, submitted) in api.jobs:
            api.touch_job(NS, submitted)
            time.sleep(0.01)

    threading.Thread(target=churn, daemon=True).start()
    api.when(lambda: len(watches(api)) >= 9, api.finish_job, NS, submitted, 0)
    try:
        assert runner.wait(submitted, timeout=5).succeeded
    finally:
        stop.set()
    assert [w.fault for w in watches(api)][:9] == ["drop_watch"] * 8 + [None]
    assert len(sleeps.delays) == 8


def test_watch_reset_before_any_event_reconnects(runner, api, submitted, sleeps):
    api.inject("GET", JOBS, "reset", watch=True, times=2)
    api.when(lambda: len(watches(api)) >= 3, api.finish_job, NS, submitted, 0)
    assert runner.wait(submitted, timeout=5).succeeded
    assert [w.fault for w in watches(api)][:3] == ["reset", "reset", None]
    assert len(sleeps.delays) == 2


def test_410_gone_relists_then_watches_again(runner, api, submitted):
    api.inject("GET", JOBS, "gone", watch=True)
    api.when(lambda: len(watches(api)) >= 2, api.finish_job, NS, submitted, 0)
    assert runner.wait(submitted, timeout=5).succeeded
    assert len(lists(api)) == 2
    assert watches(api)[0].fault == "gone"


def test_compacted_history_gives_410_and_a_relist(runner, api, submitted):
    # History is compacted past the listed version just before the watch is served.
    api.inject("GET", JOBS, "pass", watch=True, before=api.compact)
    api.when(lambda: len(watches(api)) >= 2, api.finish_job, NS, submitted, 0)
    assert runner.wait(submitted, timeout=5).succeeded
    assert len(lists(api)) == 2
    later_watch = watches(api)[1]
    assert int(later_watch.query["resourceVersion"]) >= api.compacted_rv


def test_watch_5xx_is_retried(runner, api, submitted, sleeps):
    api.inject("GET", JOBS, "status", watch=True, status=429, retry_after="1")
    api.when(lambda: len(watches(api)) >= 2, api.finish_job, NS, submitted, 0)
    assert runner.wait(submitted, timeout=5).succeeded
    assert sleeps.delays == [1.0]


def test_watch_forbidden_is_a_clear_error(runner, api, submitted):
    api.deny("watch", "jobs")
    with pytest.raises(KubernetesAPIError, match='RBAC refused to let us watch jobs.batch in namespace "flows"') as info:
        runner.wait(submitted, timeout=5)
    assert info.value.step == "wait"


def test_a_watch_that_keeps_failing_gives_up(runner, api, submitted, sleeps):
    api.inject("GET", JOBS, "reset", watch=True, times=100)
    with pytest.raises(KubernetesAPIError, match="failed 6 times in a row"):
        runner.wait(submitted, timeout=30)


def test_bookmarks_advance_the_resource_version(runner, api, submitted):
    api.bookmark_interval = 0.1

    def churn():  # unrelated writes move the global resourceVersion on
        with api.cond:
            api._bump()
            api._bump()

    api.inject("GET", JOBS, "drop_watch", watch=True, after_events=1, before=churn)
    api.when(lambda: len(watches(api)) >= 2, api.finish_job, NS, submitted, 0)
    assert runner.wait(submitted, timeout=5).succeeded
    first, second = watches(api)[:2]
    # The only event the first watch delivered was a bookmark; the second resumes from it.
    assert int(second.query["resourceVersion"]) == int(first.query["resourceVersion"]) + 2


def test_deleted_while_waiting(runner, api, submitted):
    api.when(lambda: watches(api), runner.cancel, submitted)
    outcome = runner.wait(submitted, timeout=5)
    assert outcome.reason == "Deleted" and not outcome.succeeded
    assert "was deleted before it finished" in outcome.message


def test_waiting_on_a_missing_job(runner, api):
    with pytest.raises(KubernetesAPIError, match='Job "nope" not found in namespace "flows"') as info:
        runner.wait("nope", timeout=1)
    assert info.value.status == 404


# ---------------------------------------------------------------- logs


def test_logs_of_the_flow_container_are_streamed_while_running(runner, api, submitted):
    out = io.StringIO()
    pod_holder = {}

    def run():
        pod = api.start_job(NS, submitted)
        pod_holder["pod"] = pod
        api.add_log(NS, pod, "proxy", "sidecar noise\n")
        api.add_log(NS, pod, "flow", "step 1\n")

    api.later(0.05, run)
    api.later(0.3, lambda: api.add_log(NS, pod_holder["pod"], "flow", "step 2 ünïcode\n"))
    api.later(0.5, api.finish_job, NS, submitted, 0)
    outcome = runner.wait(submitted, timeout=5, log_stream=out)
    assert outcome.succeeded
    assert out.getvalue() == "step 1\nstep 2 ünïcode\n"
    (log_req,) = api.seen("GET", rf"/api/v1/namespaces/{NS}/pods/{pod_holder['pod']}/log")
    assert log_req.query["container"] == "flow"
    assert log_req.query["follow"] == "True"


def test_logs_of_a_job_that_already_finished(runner, api, submitted):
    pod = api.start_job(NS, submitted)
    api.add_log(NS, pod, "flow", "all done\n")
    api.finish_job(NS, submitted, 0)
    out = io.StringIO()
    assert runner.wait(submitted, timeout=5, log_stream=out).succeeded
    assert out.getvalue() == "all done\n"


def test_logs_of_every_retried_pod(runner, api, submitted):
    first = api.start_job(NS, submitted)
    api.add_log(NS, first, "flow", "attempt 1\n")
    with api.cond:
        api.pods[(NS, first)]["status"]["containerStatuses"][1]["state"] = {
            "terminated": {"exitCode": 1, "reason": "Error"}}
    second = api.start_job(NS, submitted)
    api.add_log(NS, second, "flow", "attempt 2\n")
    api.later(0.2, api.finish_job, NS, submitted, 0)
    out = io.StringIO()
    assert runner.wait(submitted, timeout=5, log_stream=out).succeeded
    assert out.getvalue() == "attempt 1\nattempt 2\n"


def test_log_failure_never_fails_the_wait(runner, api, submitted):
    api.deny("get", "pods/log")
    api.later(0.05, api.start_job, NS, submitted)
    api.later(0.2, api.finish_job, NS, submitted, 2)
    out = io.StringIO()
    outcome = runner.wait(submitted, timeout=5, log_stream=out)
    assert outcome.exit_code == 2
    assert out.getvalue() == ""
    assert api.seen("GET", rf"/api/v1/namespaces/{NS}/pods/.*/log")  # it did try


def test_logs_wait_for_a_container_that_is_still_creating(runner, api, submitted):
    pod = api.start_job(NS, submitted, waiting="ContainerCreating")

    def run():
        with api.cond:
            for status in api.pods[(NS, pod)]["status"]["containerStatuses"]:
                status["state"] = {"running": {"startedAt": "now"}}
            api.pods[(NS, pod)]["status"]["phase"] = "Running"
        api.add_log(NS, pod, "flow", "finally\n")

    api.later(0.2, run)
    api.later(0.4, api.finish_job, NS, submitted, 0)
    out = io.StringIO()
    assert runner.wait(submitted, timeout=5, log_stream=out).succeeded
    assert out.getvalue() == "finally\n"


def test_log_follow_is_cut_when_the_wait_times_out(runner, api, submitted):
    pod = api.start_job(NS, submitted)
    api.add_log(NS, pod, "flow", "working...\n")
    out = io.StringIO()
    started = time.monotonic()
    outcome = runner.wait(submitted, timeout=0.4, log_stream=out)
    assert outcome.timed_out
    assert out.getvalue() == "working...\n"
    assert time.monotonic() - started < 3.5


# ---- list_jobs / job_outcome (the Prefect worker's observer reads these)


def test_list_jobs_reads_every_page_of_a_chunked_list(runner, api, job):
    for i in range(7):
        runner.submit(job, f"run-{i}")
    other = dict(job, metadata={"name": "other", "labels": {"team": "web"}})
    runner.submit(other, "run-web")
    lists_before = len(api.seen("GET"))
    jobs = runner.list_jobs("team=data", namespace=NS, limit=5000)
    assert sorted(j["metadata"]["name"] for j in jobs) == sorted(f"etl-run-{i}" for i in range(7))
    assert len(api.seen("GET")) - lists_before == 1            # 500 a page: one page here
    # pages of 500 are what the runner asks for; a limit below the total stops early
    assert len(runner.list_jobs("team=data", namespace=NS, limit=3)) == 3


def test_list_jobs_follows_continue_tokens(runner, api, job, monkeypatch):
    for i in range(5):
        runner.submit(job, f"run-{i}")
    real = runner._batch

    class SmallPages:
        def __init__(self, batch):
            self.batch = batch

        def list_namespaced_job(self, ns, **kw):
            kw["limit"] = 2
            return self.batch.list_namespaced_job(ns, **kw)

    monkeypatch.setattr(runner, "_batch", lambda: SmallPages(real()))
    before = len(api.seen("GET"))
    jobs = runner.list_jobs("team=data", namespace=NS)
    assert sorted(j["metadata"]["name"] for j in jobs) == sorted(f"etl-run-{i}" for i in range(5))
    assert len(api.seen("GET")) - before == 3                  # 2 + 2 + 1


def test_job_outcome_of_listed_jobs(runner, api, job):
    running = runner.submit(job, "run-running")
    failed = runner.submit(job, "run-failed")
    done = runner.submit(job, "run-done")
    api.finish_job(NS, failed.name, 137, reason="OOMKilled")
    api.finish_job(NS, done.name, 0)
    by_name = {j["metadata"]["name"]: j for j in runner.list_jobs("team=data", namespace=NS)}
    assert runner.job_outcome(by_name[running.name]) is None
    bad = runner.job_outcome(by_name[failed.name])
    assert (bad.succeeded, bad.reason, bad.exit_code, bad.container_reason) == (False, "BackoffLimitExceeded", 137, "OOMKilled")
    good = runner.job_outcome(by_name[done.name])
    assert good.succeeded and good.exit_code == 0
