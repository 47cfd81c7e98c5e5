"""``compose submit``, ``compose cancel`` and ``compose agent`` through click's CliRunner.

The composer is replaced by tests/agent/stub_composer.py; the runners are real, against the
fake Kubernetes API server and the moto server. Every command's stdout must be JSON lines
only; errors go to stderr as one message, never a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

_HERE = Path(__file__).parent


def _load_stub() -> Any:
    name = "compose_tests_agent_stub_composer"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _HERE / "stub_composer.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


stub = _load_stub()


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """A spec repo directory, built by the stub composer."""
    modules: dict[str, Any] = {}
    stub.install(modules)
    monkeypatch.setitem(sys.modules, "compose.composer", modules["compose.composer"])
    (tmp_path / "compose.yaml").write_text("kind: SpecRepo\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def cli():
    """The compose group with the run commands registered (compose.cli registers them)."""
    from compose import cli as cli_module
    from compose._cli_run import register

    group = cli_module.cli
    if "agent" not in group.commands:  # pragma: no cover - compose.cli registers them
        register(group)
    return group


@pytest.fixture
def invoke(cli):
    def run(*args: Any, input: str | None = None) -> Any:
        result = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
        return result

    return run


def lines(result: Any) -> list[dict[str, Any]]:
    """stdout as JSON lines; fails if any line is not JSON."""
    return [json.loads(line) for line in result.stdout.splitlines()]


def no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


# --------------------------------------------------------------------------- submit


def test_submit_client_dry_run_needs_no_cluster(invoke, root, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    result = invoke("submit", root, "--run-id", "r-1", "--flow-name", "etl", "--dry-run=client")
    assert result.exit_code == 0, result.stderr
    (out,) = lines(result)
    assert (out["status"], out["run_id"], out["job_name"], out["namespace"]) == ("dry-run", "r-1", "etl-r-1", "default")
    assert out["details"]["object"]["metadata"]["labels"]["compose.dev/run-id"] == "r-1"
    assert result.stderr == ""


def test_bare_dry_run_means_client(invoke, root):
    result = invoke("submit", root, "--run-id", "r-1", "--dry-run", "-n", "batch")
    assert result.exit_code == 0
    assert lines(result)[0]["namespace"] == "batch" and lines(result)[0]["status"] == "dry-run"


def test_submit_metadata_files_and_sets_reach_the_composer(invoke, root, tmp_path):
    (tmp_path / "a.yaml").write_text("image: acme/flows:1\nexit_code: 4\n", encoding="utf-8")
    (tmp_path / "b.json").write_text('{"image": "acme/flows:2"}', encoding="utf-8")
    result = invoke("submit", root, "--run-id", "r", "--dry-run", "-m", tmp_path / "a.yaml",
                    "--metadata", tmp_path / "b.json", "-s", "image=acme/flows:3")
    job = lines(result)[0]["details"]["object"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "acme/flows:3"
    assert job["metadata"]["annotations"]["test.compose.dev/exit-code"] == "4"


def test_submit_creates_once_then_says_already_submitted(invoke, root, api, kubeconfig):
    first = invoke("submit", root, "--run-id", "r-1", "--kubeconfig", kubeconfig)
    assert first.exit_code == 0, first.stderr
    assert lines(first)[0]["status"] == "submitted" and lines(first)[0]["already_submitted"] is False
    again = invoke("submit", root, "--run-id", "r-1", "--kubeconfig", kubeconfig)
    assert again.exit_code == 0
    assert lines(again)[0]["already_submitted"] is True
    assert len(api.committed_creates) == 1


def test_submit_wait_reports_success_and_failure_with_exit_codes(invoke, root, api, kubeconfig, finisher):
    finisher()
    ok = invoke("submit", root, "--run-id", "good", "--kubeconfig", kubeconfig, "--wait", "--timeout", "10")
    assert ok.exit_code == 0 and lines(ok)[0]["status"] == "succeeded" and lines(ok)[0]["exit_code"] == 0
    bad = invoke("submit", root, "--run-id", "bad", "-s", "exit_code=2", "--kubeconfig", kubeconfig, "--wait",
                 "--timeout", "10")
    assert bad.exit_code == 1
    (out,) = lines(bad)
    assert (out["status"], out["exit_code"], out["reason"]) == ("failed", 2, "BackoffLimitExceeded")
    assert bad.stderr.startswith("compose: failed: ")
    no_traceback(bad)


def test_submit_logs_go_to_stderr_only(invoke, root, api, kubeconfig):
    name = "etl-logged"

    def run_job() -> None:
        pod = api.start_job("flows", name)
        api.add_log("flows", pod, "flow", "hello from the flow\n")
        api.later(0.2, api.finish_job, "flows", name, 0)

    api.when(lambda: ("flows", name) in api.jobs, run_job)
    result = invoke("submit", root, "--run-id", "logged", "-s", "hold=true", "--kubeconfig", kubeconfig, "--logs",
                    "--timeout", "10")
    assert result.exit_code == 0, result.stderr
    assert "hello from the flow" in result.stderr and "hello" not in result.stdout
    assert lines(result)[0]["status"] == "succeeded"


def test_submit_rbac_refusal_is_one_json_outcome_and_exit_1(invoke, root, api, kubeconfig):
    api.deny("create", "jobs")
    result = invoke("submit", root, "--run-id", "r", "--kubeconfig", kubeconfig)
    assert result.exit_code == 1
    (out,) = lines(result)
    assert out["status"] == "submit-failed" and out["reason"] == "Forbidden"
    assert "RBAC refused" in result.stderr
    no_traceback(result)


def test_submit_server_dry_run_stores_nothing(invoke, root, api, kubeconfig):
    result = invoke("submit", root, "--run-id", "r", "--kubeconfig", kubeconfig, "--dry-run=server")
    assert result.exit_code == 0 and lines(result)[0]["status"] == "dry-run"
    assert api.jobs == {} and api.seen("POST")[0].query["dryRun"] == "All"


def test_submit_generate_failure_is_an_outcome(invoke, root):
    result = invoke("submit", root, "--run-id", "r", "-s", "fail=too big", "--dry-run")
    assert result.exit_code == 1
    (out,) = lines(result)
    assert out["status"] == "generate-failed" and "too big" in out["message"]


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["--run-id", "r", "-s", "novalue"], 2, "--set expects key=value"),
        (["--run-id", "r", "--target", "ecs", "--logs"], 2, "--logs follows Kubernetes"),
        (["--run-id", "r", "--target", "ecs", "--dry-run=server"], 2, "no server-side dry run"),
        (["--run-id", "r", "--logs", "--dry-run"], 2, "cannot be combined"),
        (["--run-id", "r", "--label", "nolabel", "--dry-run"], 2, "--label expects key=value"),
        (["--run-id", "r", "--kubeconfig", "/nonexistent/kubeconfig"], 1, "cannot load Kubernetes configuration"),
    ],
)
def test_submit_errors_are_messages_not_tracebacks(invoke, root, args, code, words):
    result = invoke("submit", root, *args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert words in result.stderr and result.stderr.startswith("compose: error: ")
    no_traceback(result)


def test_submit_without_a_spec_repo(invoke, root, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("submit", empty, "--run-id", "r", "--dry-run")
    assert result.exit_code == 1 and result.stdout == "" and "no compose.yaml here" in result.stderr
    missing = invoke("submit", tmp_path / "missing", "--run-id", "r", "--dry-run")
    assert missing.exit_code == 2 and "no such file or directory" in missing.stderr


def test_submit_and_cancel_on_ecs(invoke, root, ecs, fargate_network, moto):
    net = fargate_network["awsvpcConfiguration"]
    ecs_args = ["--target", "ecs", "--endpoint-url", moto, "--region", "us-east-1", "--cluster", "compose-test"]
    sets = ["-s", f"subnets={net['subnets'][0]}", "-s", f"security_groups={net['securityGroups'][0]}"]
    result = invoke("submit", root, "--run-id", "e-1", "--flow-name", "etl", *sets, *ecs_args)
    assert result.exit_code == 0, result.stderr
    (out,) = lines(result)
    assert out["status"] == "submitted" and out["task_arn"].startswith("arn:aws:ecs:")
    again = invoke("submit", root, "--run-id", "e-1", *sets, *ecs_args, "--wait", "--poll", "0.01")
    assert lines(again)[0]["already_submitted"] is True and lines(again)[0]["task_arn"] == out["task_arn"]
    assert lines(again)[0]["status"] == "succeeded"
    cancel = invoke("cancel", "--run-id", "e-1", *ecs_args[:2], *ecs_args[2:])
    assert cancel.exit_code == 0
    assert lines(cancel)[0] == {"status": "cancelled", "run_id": "e-1", "target": "ecs", "tasks": [out["task_arn"]],
                                "message": f"cancelled {out['task_arn']}"}


# --------------------------------------------------------------------------- cancel


def test_cancel_deletes_the_runs_job_in_the_foreground(invoke, root, api, kubeconfig):
    assert invoke("submit", root, "--run-id", "c-1", "--kubeconfig", kubeconfig).exit_code == 0
    result = invoke("cancel", "--run-id", "c-1", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert lines(result)[0]["status"] == "cancelled" and lines(result)[0]["jobs"] == ["etl-c-1"]
    assert api.jobs == {}
    assert api.seen("DELETE")[0].query.get("propagationPolicy") == "Foreground"


def test_cancel_of_an_unknown_run_exits_1(invoke, api, kubeconfig):
    result = invoke("cancel", "--run-id", "nobody", "--kubeconfig", kubeconfig)
    assert result.exit_code == 1
    assert lines(result)[0]["status"] == "not-found"
    assert "nothing to cancel" in result.stderr


# --------------------------------------------------------------------------- agent


def test_agent_over_json_lines_with_a_malformed_line(invoke, root, api, kubeconfig, finisher, tmp_path):
    finisher()
    runs = tmp_path / "runs.jsonl"
    runs.write_text(
        '{"id": "a-1", "flow": "etl"}\n'
        "\n"
        '{"id": "a-2", "flow": "etl", "metadata": {"exit_code": 5}}\n'
        "{not json\n"
        '{"flow": "no id"}\n'
        '{"id": "a-3", "metadata": {"fail": "bad memory"}}\n',
        encoding="utf-8",
    )
    result = invoke("agent", root, "--input", runs, "--kubeconfig", kubeconfig, "-c", "2", "--timeout", "10")
    assert result.exit_code == 1, result.stderr
    out = lines(result)
    assert len(out) == 5
    by_id = {o["run_id"]: o for o in out if o["run_id"]}
    assert by_id["a-1"]["status"] == "succeeded"
    assert by_id["a-2"]["status"] == "failed" and by_id["a-2"]["exit_code"] == 5
    assert by_id["a-3"]["status"] == "generate-failed" and "bad memory" in by_id["a-3"]["message"]
    invalid = sorted((o["line"], o["message"]) for o in out if o["status"] == "invalid-input")
    assert [line for line, _ in invalid] == [4, 5]
    assert invalid[0][1].startswith(f"{runs}:4: not JSON")
    no_traceback(result)


def test_agent_reads_stdin_and_exits_0_when_all_went_well(invoke, root, api, kubeconfig):
    text = "".join(json.dumps({"id": f"s-{i}", "flow": "etl"}) + "\n" for i in range(3))
    result = invoke("agent", root, "--kubeconfig", kubeconfig, "--no-wait", input=text)
    assert result.exit_code == 0, result.stderr
    assert sorted(o["run_id"] for o in lines(result)) == ["s-0", "s-1", "s-2"]
    assert {o["status"] for o in lines(result)} == {"submitted"}
    again = invoke("agent", root, "--kubeconfig", kubeconfig, "--no-wait", "-i", "-", input=text)
    assert {o["already_submitted"] for o in lines(again)} == {True}
    assert len(api.committed_creates) == 3


def test_agent_metadata_file_sets_defaults_under_each_run(invoke, root, tmp_path):
    (tmp_path / "agent.yaml").write_text("image: acme/default:1\n", encoding="utf-8")
    text = '{"id": "x"}\n{"id": "y", "metadata": {"image": "acme/own:2"}}\n'
    result = invoke("agent", root, "-m", tmp_path / "agent.yaml", "--dry-run", input=text)
    images = {o["run_id"]: o["details"]["object"]["spec"]["template"]["spec"]["containers"][0]["image"]
              for o in lines(result)}
    assert images == {"x": "acme/default:1", "y": "acme/own:2"}


def test_agent_missing_input_file_is_a_usage_error(invoke, root, tmp_path):
    result = invoke("agent", root, "--input", tmp_path / "nope.jsonl", "--dry-run")
    assert result.exit_code == 2 and result.stdout == "" and "cannot read" in result.stderr


def test_run_commands_do_not_import_sdks_at_import_time():
    import subprocess

    code = ("import sys, compose.cli, compose._cli_run, compose.agent; "
            "print(sorted(m for m in ('kubernetes', 'boto3', 'botocore') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
