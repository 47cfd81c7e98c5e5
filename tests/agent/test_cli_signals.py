"""``compose agent`` as a real process: SIGTERM while it waits for input and has runs in flight.

The process (tests/agent/stub_composer.py run as a script, i.e. the compose CLI with the stub
composer) talks to the fake API server of this test process over 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

_HERE = Path(__file__).parent

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def start_agent(root: Path, kubeconfig: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(_HERE / "stub_composer.py"), "agent", str(root), "--kubeconfig", kubeconfig,
         "--timeout", "20", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def wait_for(predicate, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "compose.yaml").write_text("kind: SpecRepo\n", encoding="utf-8")
    return tmp_path


def test_sigterm_while_reading_stdin_finishes_in_flight_and_exits(root, api, kubeconfig, finisher):
    finisher(delay=1.0)
    proc = start_agent(root, kubeconfig)
    try:
        proc.stdin.write(json.dumps({"id": "t-1", "flow": "etl"}) + "\n")
        proc.stdin.flush()
        wait_for(lambda: len(api.jobs) == 1)
        # The agent now waits for t-1 and blocks reading the next line; stdin stays open.
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    (line,) = out.splitlines()
    outcome = json.loads(line)
    assert (outcome["run_id"], outcome["status"]) == ("t-1", "succeeded"), "the run in flight was finished"
    assert "SIGTERM received" in err and "Traceback" not in err
    assert len(api.jobs) == 1


def test_second_sigterm_stops_waiting(root, api, kubeconfig):
    proc = start_agent(root, kubeconfig, "--wait-slice", "0.2")
    try:
        proc.stdin.write(json.dumps({"id": "t-2", "metadata": {"hold": True}}) + "\n")
        proc.stdin.flush()
        wait_for(lambda: len(api.jobs) == 1)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None, "one signal: still waiting for the run in flight"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    (line,) = out.splitlines()
    outcome = json.loads(line)
    assert outcome["status"] == "submitted" and "stopped waiting" in outcome["message"]
    assert proc.returncode == 0, err


def test_closed_stdout_stops_taking_runs_and_says_which_outcomes_were_lost(root):
    proc = subprocess.Popen(
        [sys.executable, str(_HERE / "stub_composer.py"), "agent", str(root), "--dry-run", "-c", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        proc.stdin.write(json.dumps({"id": "first"}) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["run_id"] == "first"
        proc.stdout.close()  # the reader goes away, like `compose agent | head -1`
        proc.stdin.write(json.dumps({"id": "second"}) + "\n")
        proc.stdin.flush()
        err = proc.stderr.read()
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert "stdout was closed" in err and "second" in err and "Traceback" not in err
