"""End to end: a real Prefect server (SQLite, 127.0.0.1, analytics off), compose work pools
made from the generated templates, a deployment and flow runs with job variables at each
layer, the compose workers submitting to the fake Kubernetes API server and to moto.

Marked slow: the server takes 10-40 s to start here, the flow container a few seconds.
``COMPOSE_PREFECT_E2E_RUNS`` changes the number of ECS runs of the revision test (1,000).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect", reason="the prefect extra is not installed (pip install -e '.[test,prefect]')")

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location("compose_tests_prefect_e2e_support", Path(__file__).parent / "e2e_support.py")
support = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = support
_spec.loader.exec_module(support)

REPO = support.REPO
NS = "flows"


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    """A Prefect server for this module (prefect_test_harness: a temporary SQLite database
    and a server subprocess on 127.0.0.1), its URL in the settings context."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        mp.setenv("PREFECT_HOME", str(home))
        with prefect_test_harness(server_startup_timeout=180):
            url = PREFECT_API_URL.value()
            assert url.startswith("http://127.0.0.1:")
            yield url


@pytest.fixture(scope="module")
def flow_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("flows")
    (d / "flow.py").write_text(support.FLOW_SOURCE)
    return d


@pytest.fixture(scope="module")
def aws():
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS"):
            mp.delenv(name, raising=False)
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_CONFIG_FILE", os.devnull),
                            ("AWS_SHARED_CREDENTIALS_FILE", os.devnull), ("AWS_EC2_METADATA_DISABLED", "true")):
            mp.setenv(name, value)
        moto = support.Moto()
        # Tasks stay where they are: by default moto moves a task one step towards STOPPED on
        # every DescribeTasks (FACTS.md), so a task the runner's lookups described a few times
        # "stopped" by itself, and a second hand-out rightly started the run's next attempt.
        support.post(f"{moto.url}/moto-api/state-manager/set-transition",
                     {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1000}})
        try:
            yield moto
        finally:
            moto.stop()


def _run(coro_fn: Any, *args: Any) -> Any:
    import anyio

    return anyio.run(coro_fn, *args)


async def _deploy(client: Any, pool: str, flow_dir: Path, job_variables: dict[str, Any], name: str) -> Any:
    flow_id = await client.create_flow_from_name("etl")
    return await client.create_deployment(
        flow_id=flow_id, name=name, work_pool_name=pool, entrypoint="flow.py:etl", path=str(flow_dir),
        job_variables=job_variables,
        pull_steps=[{"prefect.deployments.steps.set_working_directory": {"directory": str(flow_dir)}}],
    )


async def _poll(worker_cls: Any, pool: str) -> None:
    """One worker process's poll: hand out every scheduled run of the pool and submit it."""
    # limit: at most 8 runs in submission at once, so the SQLite-backed test server is not
    # flooded (hundreds of concurrent state proposals answer 503 "database is locked").
    async with worker_cls(work_pool_name=pool, prefetch_seconds=60, limit=8) as worker:
        await worker.get_and_submit_flow_runs()


# --- Kubernetes ------------------------------------------------------------------------------------


def test_kubernetes_pool_end_to_end(prefect_api, kube, flow_dir, tmp_path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.states import Scheduled

    from compose.prefect.template import base_job_template
    from compose.prefect.worker import ComposeKubernetesWorker

    api, kubeconfig = kube
    # a pool default for a compose parameter: the "work pool" layer
    template = base_job_template(REPO, "kubernetes", defaults={"kubeconfig": kubeconfig, "namespace": NS,
                                                               "ttl_seconds": 600})

    async def setup() -> dict[str, Any]:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="ck8s", type="compose-kubernetes", base_job_template=template))
            dep = await _deploy(client, "ck8s", flow_dir, {"job_profile": "gpu", "metadata": {"ship_logs": True}}, "nightly")
            # the server checks job variables against the generated schema
            with pytest.raises(PrefectHTTPStatusError) as refused:
                await client.create_flow_run_from_deployment(dep, job_variables={"job_profile": "gpux"})
            assert refused.value.response.status_code == 422
            runs = {
                "good": await client.create_flow_run_from_deployment(dep, job_variables={"memory": "32Gi", "metadata": {"spot": True}}),
                "big": await client.create_flow_run_from_deployment(dep, job_variables={"memory": "999Gi"}),
                "cancel": await client.create_flow_run_from_deployment(dep),
            }
            return {"deployment": dep, "runs": {k: r.id for k, r in runs.items()}}

    state = _run(setup)
    ids = state["runs"]
    started = time.monotonic()
    _run(_poll, ComposeKubernetesWorker, "ck8s")
    first_poll = time.monotonic() - started

    async def read(run_id: Any) -> Any:
        async with get_client() as client:
            return await client.read_flow_run(run_id)

    jobs = {name: job for (ns, name), job in api.jobs.items() if ns == NS}
    good = _run(read, ids["good"])
    name = f"flow-run-{ids['good']}"
    assert set(jobs) == {name, f"flow-run-{ids['cancel']}"}           # nothing for the bad run
    assert good.infrastructure_pid == f"{NS}:{name}"
    job = jobs[name]
    pod = job["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    assert set(containers) == {"flow", "log-shipper"}                   # deployment metadata: ship_logs
    assert len(pod["tolerations"]) == 3                                  # gpu + high-memory (32Gi) + spot (run)
    assert pod["serviceAccountName"]                                     # the gpu profile's overlay
    env = {e["name"]: e.get("value") for e in containers["flow"]["env"]}
    assert env["PREFECT_API_URL"] == prefect_api and env["PREFECT__FLOW_RUN_ID"] == str(ids["good"])
    assert "PREFECT_HOME" not in env                                     # the allowlist
    assert job["metadata"]["labels"]["prefect.io/flow-run-id"] == str(ids["good"])
    assert containers["flow"]["resources"]["limits"]["memory"] == "32Gi"
    assert job["spec"]["ttlSecondsAfterFinished"] == 600                # the pool's default

    big = _run(read, ids["big"])
    assert big.state.type.value == "CRASHED"
    assert "999Gi is more than the maximum 120Gi" in big.state.message
    assert "Traceback" not in big.state.message

    # A duplicate hand-out: the run goes back to Scheduled and another worker polls.
    async def reschedule() -> None:
        async with get_client() as client:
            await client.set_flow_run_state(ids["good"], Scheduled(), force=True)

    posts = len(api.seen("POST"))
    _run(reschedule)
    _run(_poll, ComposeKubernetesWorker, "ck8s")
    assert len(api.seen("POST")) == posts + 1                            # one create, answered 409
    assert sorted(n for (ns, n) in api.jobs if ns == NS) == sorted(jobs)  # still one Job per run
    assert _run(read, ids["good"]).infrastructure_pid == f"{NS}:{name}"

    # The stand-in kubelet runs the flow container; the flow reports to the server.
    done = support.run_flow_container(api.jobs[(NS, name)], "flow", flow_dir, tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    api.finish_job(NS, name, 0)
    assert _run(read, ids["good"]).state.type.value == "COMPLETED"

    # Cancel the pending run: Prefect's cancellation path calls kill_infrastructure.
    async def cancel() -> None:
        async with ComposeKubernetesWorker(work_pool_name="ck8s") as worker:
            await worker._cancel_run(ids["cancel"])

    _run(cancel)
    assert (NS, f"flow-run-{ids['cancel']}") not in api.jobs
    assert _run(read, ids["cancel"]).state.type.value == "CANCELLED"
    deletes = [s for s in api.seen("DELETE") if f"flow-run-{ids['cancel']}" in s.path]
    assert deletes
    print(f"\nkubernetes e2e: first poll (3 runs) {first_poll:.1f} s")


def test_kubernetes_wait_reports_a_failed_job_as_crashed(prefect_api, kube, flow_dir) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from compose.prefect.template import base_job_template
    from compose.prefect.worker import ComposeKubernetesWorker

    api, kubeconfig = kube
    template = base_job_template(REPO, "kubernetes", defaults={"kubeconfig": kubeconfig, "namespace": NS, "wait": True})

    async def setup() -> Any:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="ck8s-wait", type="compose-kubernetes", base_job_template=template))
            dep = await _deploy(client, "ck8s-wait", flow_dir, {}, "waited")
            return (await client.create_flow_run_from_deployment(dep)).id

    run_id = _run(setup)
    name = f"flow-run-{run_id}"
    # the "kubelet" starts the pod and the flow container is OOM-killed
    api.when(lambda: (NS, name) in api.jobs, api.finish_job, NS, name, 137, reason="OOMKilled", timeout=60)
    _run(_poll, ComposeKubernetesWorker, "ck8s-wait")

    async def read() -> Any:
        async with get_client() as client:
            return await client.read_flow_run(run_id)

    run = _run(read)
    assert run.state.type.value == "CRASHED"
    assert "137" in run.state.message


# --- ECS -------------------------------------------------------------------------------------------


def _ecs_setup(moto: Any) -> dict[str, str]:
    import boto3

    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url=moto.url)
    ecs.create_cluster(clusterName="flows")
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=moto.url)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="flow", Description="flows", VpcId=vpc)["GroupId"]
    return {"subnet": subnet, "security_group": group}


def test_ecs_pool_one_revision_for_many_runs_and_one_task_per_run(prefect_api, aws, flow_dir) -> None:
    import boto3
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
    from prefect.states import Scheduled

    from compose.prefect.template import base_job_template
    from compose.prefect.worker import ComposeEcsWorker

    count = int(os.environ.get("COMPOSE_PREFECT_E2E_RUNS", "1000"))
    network = _ecs_setup(aws)
    template = base_job_template(REPO, "ecs", defaults={
        "ecs_region": "us-east-1", "ecs_endpoint_url": aws.url, **network})

    async def setup() -> tuple[Any, list[Any]]:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="cecs", type="compose-ecs", base_job_template=template))
            dep = await _deploy(client, "cecs", flow_dir, {"job_profile": "default", "env": {"TEAM": "data"}}, "ecs-nightly")
            runs = [await client.create_flow_run_from_deployment(dep, job_variables={"env": {"RUN_INDEX": str(i)}})
                    for i in range(count)]
            return dep, [r.id for r in runs]

    started = time.monotonic()
    dep, ids = _run(setup)
    created = time.monotonic() - started
    started = time.monotonic()
    async def all_runs() -> dict[Any, Any]:
        found: dict[Any, Any] = {}
        async with get_client() as client:
            while True:   # the API answers at most 200 runs per call
                page = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[dep])),
                    limit=200, offset=len(found))
                found.update((r.id, r) for r in page)
                if len(page) < 200:
                    return found

    async def pending() -> int:
        return sum(1 for r in (await all_runs()).values() if r.state.type.value == "SCHEDULED")

    async def work() -> int:
        # One worker, polling as `prefect worker start` does, until no run is left scheduled.
        loops = 0
        async with ComposeEcsWorker(work_pool_name="cecs", prefetch_seconds=60, limit=8) as worker:
            while loops < count:
                loops += 1
                await worker.get_and_submit_flow_runs()
                if await pending() == 0:
                    break
                await anyio.sleep(0.5)
        return loops

    import anyio

    polls = _run(work)
    # Under load the SQLite test server sometimes answers 503 ("database is locked") to a call
    # Prefect's worker makes before it hands the run to compose (the run's labels); Prefect then
    # marks the run CRASHED "Failed to submit". Those runs got no task: schedule them again
    # (a second hand-out) and let the worker take them, a few times at most.
    retried = 0
    for _ in range(3):
        lost = [r.id for r in _run(all_runs).values()
                if r.state.type.value == "CRASHED" and not r.infrastructure_pid
                and "Failed to submit" in (r.state.message or "") and "503" in (r.state.message or "")]
        if not lost:
            break
        retried += len(lost)

        async def again() -> None:
            async with get_client() as client:
                for run_id in lost:
                    await client.set_flow_run_state(run_id, Scheduled(), force=True)

        _run(again)
        polls += _run(work)
    submitted = time.monotonic() - started
    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url=aws.url)
    families = ecs.list_task_definitions()["taskDefinitionArns"]
    assert len(families) == 1, families                                  # one revision for every run

    runs = _run(all_runs)
    pids = [runs[i].infrastructure_pid for i in ids]
    assert all(pids) and len(set(pids)) == count                          # one task per run
    listed = [arn for page in ecs.get_paginator("list_tasks").paginate(cluster="flows") for arn in page["taskArns"]]
    assert len(listed) == count                                           # and no other task
    task = ecs.describe_tasks(cluster="flows", tasks=[pids[0]], include=["TAGS"])["tasks"][0]
    env = {e["name"]: e["value"] for c in task["overrides"]["containerOverrides"] for e in c.get("environment", [])}
    assert env["PREFECT__FLOW_RUN_ID"] == str(ids[0]) and env["TEAM"] == "data" and env["RUN_INDEX"] == "0"
    assert env["PREFECT_API_URL"] == prefect_api
    tags = {t["key"]: t["value"] for t in task.get("tags", [])}
    assert tags.get("prefect.io/flow-run-id") == str(ids[0])

    # a duplicate hand-out finds the run's task (startedBy) and starts nothing
    async def reschedule() -> None:
        async with get_client() as client:
            await client.set_flow_run_state(ids[0], Scheduled(), force=True)

    before = len(ecs.list_tasks(cluster="flows", startedBy=_started_by(ids[0]))["taskArns"])
    _run(reschedule)
    _run(_poll, ComposeEcsWorker, "cecs")
    after = ecs.list_tasks(cluster="flows", startedBy=_started_by(ids[0]))["taskArns"]
    assert before == len(after) == 1
    assert _run(all_runs)[ids[0]].infrastructure_pid == pids[0]
    print(f"\necs e2e: {count} runs created in {created:.1f} s, submitted in {submitted:.1f} s "
          f"({count / submitted:.1f} runs/s, {polls} polls, {retried} re-handed out after a server 503), "
          f"task definition revisions: {len(families)}, tasks: {len(listed)}")


def _started_by(run_id: Any) -> str:
    from compose.runner.ecs import started_by

    return started_by(str(run_id))


# --- the observer and attempts ---------------------------------------------------------------------


async def _until(predicate: Any, timeout: float = 30.0) -> None:
    import anyio

    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await anyio.sleep(0.2)


def test_kubernetes_observer_crashes_failed_jobs_and_a_rescheduled_run_gets_a_new_attempt(
        prefect_api, kube, flow_dir, monkeypatch) -> None:
    """No ``wait``: the worker returns after creating the Job and its observer (looking every
    0.3 s here) marks a run CRASHED when its current Job fails while the run is PENDING or
    RUNNING; a run handed out again after its Job finished gets Job ``-2``, once."""
    import anyio
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.states import Failed, Scheduled

    from compose.prefect.template import base_job_template
    from compose.prefect.worker import ComposeKubernetesWorker

    monkeypatch.setenv("COMPOSE_PREFECT_OBSERVE_SECONDS", "0.3")
    api, kubeconfig = kube
    template = base_job_template(REPO, "kubernetes", defaults={"kubeconfig": kubeconfig, "namespace": NS})

    async def scenario() -> dict[str, Any]:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="ck8s-obs", type="compose-kubernetes",
                                                         base_job_template=template))
            dep = await _deploy(client, "ck8s-obs", flow_dir, {}, "observed")
            ids = {k: (await client.create_flow_run_from_deployment(dep)).id for k in ("oom", "flow-failed", "again")}
            names = {k: f"flow-run-{v}" for k, v in ids.items()}

            async def state(key: str) -> str:
                return (await client.read_flow_run(ids[key])).state.type.value

            async with ComposeKubernetesWorker(work_pool_name="ck8s-obs", prefetch_seconds=60, limit=8) as worker:
                await worker.get_and_submit_flow_runs()

                async def jobs_there() -> bool:
                    return all((NS, n) in api.jobs for n in names.values())

                await _until(jobs_there)
                # the flow container is OOM-killed while the run is PENDING: the loop marks it
                api.finish_job(NS, names["oom"], 137, reason="OOMKilled")

                async def oom_crashed() -> bool:
                    return await state("oom") == "CRASHED"

                await _until(oom_crashed)
                oom = await client.read_flow_run(ids["oom"])
                # the flow reported its own failure before the container exited 1: left alone
                await client.set_flow_run_state(ids["flow-failed"], Failed(message="the flow raised"), force=True)
                api.finish_job(NS, names["flow-failed"], 1)
                # rescheduled (as after an eviction with SIGTERM behaviour "reschedule"), then the Job failed
                await client.set_flow_run_state(ids["again"], Scheduled(), force=True)
                api.finish_job(NS, names["again"], 143)
                looked = await worker.observer.look()
                states_after_look = {k: await state(k) for k in ("flow-failed", "again")}
                # handed out again: attempt 2, a new Job; its pid on the run
                posts = len(api.seen("POST"))
                await worker.get_and_submit_flow_runs()

                async def second_attempt() -> bool:
                    run = await client.read_flow_run(ids["again"])
                    return run.infrastructure_pid == f"{NS}:{names['again']}-2"

                await _until(second_attempt)
                attempt_posts = len(api.seen("POST")) - posts
                pending_looked = await worker.observer.look()
                # a worker started now has seen nothing: attempt 1's failed Job is not current
                async with ComposeKubernetesWorker(work_pool_name="ck8s-obs") as fresh:
                    pending_looked += await fresh.observer.look()
                pending_state = await state("again")
                # a duplicate hand-out of attempt 2 while its Job runs: nothing new
                await client.set_flow_run_state(ids["again"], Scheduled(), force=True)
                jobs_before = sorted(n for (ns, n) in api.jobs if ns == NS)
                await worker.get_and_submit_flow_runs()

                async def pending_again() -> bool:
                    return await state("again") == "PENDING"

                await _until(pending_again)
                await anyio.sleep(0.5)
                jobs_after = sorted(n for (ns, n) in api.jobs if ns == NS)
                # attempt 2 fails too: this time the run is PENDING and the Job is current
                api.finish_job(NS, f"{names['again']}-2", 2)

                async def again_crashed() -> bool:
                    return await state("again") == "CRASHED"

                await _until(again_crashed)
                again = await client.read_flow_run(ids["again"])
                crashed_by_observer = list(worker.observer.crashed)
        return {"ids": ids, "oom": oom, "looked": looked, "states_after_look": states_after_look,
                "attempt_posts": attempt_posts, "pending_looked": pending_looked, "pending_state": pending_state,
                "jobs_before": jobs_before, "jobs_after": jobs_after, "again": again,
                "crashed_by_observer": crashed_by_observer}

    out = _run(scenario)
    ids = out["ids"]
    oom = out["oom"]
    assert oom.state.type.value == "CRASHED"
    assert f"{NS}:flow-run-{ids['oom']}" in oom.state.message
    assert "OOMKilled" in oom.state.message and "137" in oom.state.message
    assert "BackoffLimitExceeded" in oom.state.message
    assert out["looked"] == 0
    assert out["states_after_look"] == {"flow-failed": "FAILED", "again": "SCHEDULED"}
    assert out["attempt_posts"] == 2                       # attempt 1 answered 409 (finished), attempt 2 created
    assert out["pending_looked"] == 0 and out["pending_state"] == "PENDING"   # attempt 1's failure is old news
    assert out["jobs_before"] == out["jobs_after"]         # one Job per attempt, whatever the hand-outs
    assert f"flow-run-{ids['again']}-2" in out["jobs_after"]
    again = out["again"]
    assert f"flow-run-{ids['again']}-2" in again.state.message and "exit code 2" in again.state.message
    assert sorted(out["crashed_by_observer"]) == sorted([str(ids["oom"]), str(ids["again"])])


def test_ecs_observer_crashes_a_task_whose_flow_container_failed(prefect_api, aws, flow_dir) -> None:
    """moto stops a task with every container at exit code 0 (it runs none); the ECS agent's
    part, a flow container exiting 1, is played by editing the exit code in the DescribeTasks
    answer the observer reads (``EcsRunner.describe_tasks``). A task that stopped cleanly is
    left alone, and a stopped task is described once; a run handed out again after its task
    stopped gets a new task (run id ``<id>#2``)."""
    import boto3
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.states import Scheduled

    from compose.prefect.template import base_job_template
    from compose.prefect.worker import ComposeEcsWorker

    network = _ecs_setup(aws)
    template = base_job_template(REPO, "ecs", defaults={"ecs_region": "us-east-1", "ecs_endpoint_url": aws.url, **network})
    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url=aws.url)

    async def scenario() -> dict[str, Any]:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="cecs-obs", type="compose-ecs", base_job_template=template))
            dep = await _deploy(client, "cecs-obs", flow_dir, {"job_profile": "default"}, "ecs-observed")
            ids = {k: (await client.create_flow_run_from_deployment(dep)).id for k in ("failed", "clean")}

            async def run(key: str) -> Any:
                return await client.read_flow_run(ids[key])

            async with ComposeEcsWorker(work_pool_name="cecs-obs", prefetch_seconds=60, limit=8) as worker:
                await worker.get_and_submit_flow_runs()

                async def submitted() -> bool:
                    return all([(await run(k)).infrastructure_pid for k in ids])

                await _until(submitted)
                arns = {k: (await run(k)).infrastructure_pid for k in ids}
                runner = next(iter(worker._runners.values()))
                real = runner.describe_tasks

                def agent_reported(wanted: Any, **kw: Any) -> list[dict[str, Any]]:
                    tasks = real(wanted, **kw)
                    for task in tasks:
                        if task["taskArn"] == arns["failed"]:
                            for c in task.get("containers") or []:
                                c["exitCode"] = 1
                                c["reason"] = "flow exited 1"
                            task["stopCode"] = "EssentialContainerExited"
                    return tasks

                runner.describe_tasks = agent_reported
                for arn in arns.values():
                    ecs.stop_task(cluster="flows", task=arn, reason="the task ended")
                marked = await worker.observer.look()
                states = {k: (await run(k)).state for k in ids}
                calls: list[str] = []
                runner.client.meta.events.register("before-call.ecs", lambda model, **_: calls.append(model.name))
                marked_again = await worker.observer.look()
                second_look = list(calls)
                # handed out again after its task stopped: a second task
                await client.set_flow_run_state(ids["failed"], Scheduled(), force=True)
                await worker.get_and_submit_flow_runs()

                async def new_task() -> bool:
                    pid = (await run("failed")).infrastructure_pid
                    return bool(pid) and pid != arns["failed"]

                await _until(new_task)
                second = (await run("failed")).infrastructure_pid
        return {"ids": ids, "arns": arns, "marked": marked, "states": states, "second": second,
                "marked_again": marked_again, "second_look": second_look}

    out = _run(scenario)
    assert out["marked"] == 1
    assert out["marked_again"] == 0 and out["second_look"] == ["ListTasks"]   # nothing described twice
    failed = out["states"]["failed"]
    assert failed.type.value == "CRASHED"
    assert out["arns"]["failed"] in failed.message and "EssentialContainerExited" in failed.message
    assert "exit 1" in failed.message
    assert out["states"]["clean"].type.value == "PENDING"
    task = ecs.describe_tasks(cluster="flows", tasks=[out["second"]], include=["TAGS"])["tasks"][0]
    assert task["lastStatus"] != "STOPPED"
    assert task["startedBy"] == _started_by(f"{out['ids']['failed']}#2")
    tags = {t["key"]: t["value"] for t in task.get("tags", [])}
    assert tags["prefect.io/flow-run-id"] == str(out["ids"]["failed"])


def test_compose_prefect_create_pool_command(prefect_api, tmp_path) -> None:
    """``compose prefect create-pool`` as a user runs it (its own process, PREFECT_API_URL):
    created, refused a second time without --overwrite (exit 1, no traceback), updated with it."""
    import json
    import subprocess

    from prefect.client.orchestration import get_client

    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    argv = [sys.executable, "-m", "compose", "prefect", "create-pool", "cli-pool", str(REPO),
            "--default", "namespace=flows"]

    def compose(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*argv, *extra], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    first = compose()
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"work_pool": "cli-pool", "type": "compose-kubernetes", "status": "created"}
    again = compose()
    assert again.returncode == 1 and again.stdout == ""
    assert "exists; use --overwrite" in again.stderr and "Traceback" not in again.stderr
    updated = compose("--overwrite", "--default", "namespace=batch")
    assert updated.returncode == 0, updated.stderr
    assert json.loads(updated.stdout)["status"] == "updated"

    async def read() -> Any:
        async with get_client() as client:
            return await client.read_work_pool("cli-pool")

    pool = _run(read)
    assert pool.type == "compose-kubernetes"
    props = pool.base_job_template["variables"]["properties"]
    assert props["namespace"]["default"] == "batch"
    assert "gpu" in props["job_profile"]["enum"]
