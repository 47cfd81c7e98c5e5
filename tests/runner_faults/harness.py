"""Helpers for the exactly-once scenarios: the real ``compose agent`` process, the fault proxy
in front of its backend, and counts taken at the backend itself (never through the proxy).

The agent runs as ``tests/agent/stub_composer.py agent ...``: the compose CLI, agent and
runners as shipped, with production retry settings, only the composer replaced by a small
stand-in (so the scenarios do not depend on the spec repo). The backends are the moto server
(``tests/runner_ecs``) and the fake API server (``tests/runner_k8s``), in this test process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from compose_testing import load_module as _load

_HERE = Path(__file__).resolve().parent
_TESTS = _HERE.parent
STUB = _TESTS / "agent" / "stub_composer.py"


_k8s = _load("compose_tests_runner_k8s_conftest", _TESTS / "runner_k8s" / "conftest.py")
_ecs = _load("compose_tests_runner_ecs_conftest", _TESTS / "runner_ecs" / "conftest.py")
faultproxy = _load("compose_tests_faultproxy", _HERE / "faultproxy.py")

NS = _k8s.NS
CLUSTER = _ecs.CLUSTER
REGION = _ecs.REGION

MUTATING_ECS = {"RunTask", "RegisterTaskDefinition"}


def ecs_kind(request: Any) -> str:
    return "mutating" if request.operation in MUTATING_ECS else "read"


def k8s_kind(request: Any) -> str | None:
    if "watch=true" in request.path or "/log" in request.path:
        return None  # streams: leave alone
    return "mutating" if request.method == "POST" else "read"


F = faultproxy.Fault

#: The mixed faults of the issue, and more: lost answers after a commit, resets before
#: forwarding, 500 / 503 / 429 with Retry-After, delays.
MIXED = {
    "mutating": [
        (0.10, F("drop")),
        (0.03, F("reset")),
        (0.05, F("status", 503)),
        (0.03, F("status", 500)),
        (0.03, F("status", 429, retry_after=1)),
        (0.03, F("delay", delay=0.5)),
    ],
    "read": [
        (0.04, F("status", 503)),
        (0.02, F("reset")),
        (0.02, F("status", 429, retry_after=1)),
        (0.02, F("delay", delay=0.3)),
        (0.02, F("drop")),
    ],
}


class Backend:
    """One target's backend with a proxy in front: the agent's arguments, and the truth
    counted at the backend."""

    def __init__(self, target: str, proxy: Any, args: list[str], count: Any) -> None:
        self.target = target
        self.proxy = proxy
        self.args = args
        self._count = count

    def per_run(self) -> Counter[str]:
        """How many Jobs / tasks the backend holds per run id."""
        return self._count()


def _ecs_counts(client: Any) -> Counter[str]:
    arns: list[str] = []
    for status in ("RUNNING", "STOPPED"):
        token = None
        while True:
            page = client.list_tasks(cluster=CLUSTER, desiredStatus=status, **({"nextToken": token} if token else {}))
            arns += [a for a in page["taskArns"] if a not in arns]
            token = page.get("nextToken")
            if not token:
                break
    counts: Counter[str] = Counter()
    for start in range(0, len(arns), 100):
        for task in client.describe_tasks(cluster=CLUSTER, tasks=arns[start:start + 100], include=["TAGS"])["tasks"]:
            tags = {t["key"]: t["value"] for t in task.get("tags") or []}
            counts[tags.get("compose.dev/run-id", "?")] += 1
    return counts


def runs_jsonl(n: int, prefix: str = "run") -> list[str]:
    return [json.dumps({"id": f"{prefix}-{i:04d}", "flow": "etl"}) for i in range(n)]


class AgentProcess:
    """``compose agent`` in a process of its own; stdout collected line by line."""

    def __init__(self, root: Path, backend: Backend, *extra: str, input_path: Path | None = None) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, str(STUB), "agent", str(root), *backend.args, *extra]
        if input_path is not None:
            argv += ["-i", str(input_path)]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input_path is None else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.outcomes: list[dict[str, Any]] = []
        self.stderr = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err = threading.Thread(target=self._read_err, daemon=True)
        self._err.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.outcomes.append(json.loads(line))

    def _read_err(self) -> None:
        self.stderr = self.proc.stderr.read()

    def feed(self, lines: list[str], close: bool = True) -> None:
        data = "".join(line + "\n" for line in lines).encode()
        threading.Thread(target=self._write, args=(data, close), daemon=True).start()

    def _write(self, data: bytes, close: bool) -> None:
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
            if close:
                self.proc.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def wait_outcomes(self, n: int, timeout: float) -> None:
        end = time.monotonic() + timeout
        while len(self.outcomes) < n:
            if time.monotonic() > end or self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"{len(self.outcomes)} outcomes, wanted {n}; stderr: {self.err[-2000:]}")
            time.sleep(0.02)

    def finish(self, timeout: float) -> float:
        """Wait for the exit; seconds since start."""
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        self._err.join(5)
        return time.monotonic() - self.started

    def terminate(self) -> float:
        """SIGTERM; the seconds until the process exited."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.finish(60)
        return time.monotonic() - sent

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.finish(10)

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")
