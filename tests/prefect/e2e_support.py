"""Helpers of the Prefect end-to-end tests: a moto server, the fake Kubernetes API server, a
flow on disk, a stand-in kubelet. Loaded by path (test directories are not packages)."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent

FLOW_SOURCE = '''
from prefect import flow, get_run_logger


@flow(name="etl")
def etl() -> str:
    get_run_logger().info("hello from the flow container")
    return "done"
'''


def fake_apiserver_module() -> Any:
    """tests/runner_k8s/k8s_fake_apiserver.py, the runner tests' fake API server."""
    name = "compose_tests_k8s_fake_apiserver"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "runner_k8s" / "k8s_fake_apiserver.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """``python -m moto.server`` on 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"moto exited: {self._log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=1) as resp:
                    resp.read()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError("moto did not answer within 60 s") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def run_flow_container(job: dict[str, Any], flow_container: str, workdir: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """The stand-in kubelet: run the flow container's command with the Job's env, here.

    ``python`` in the command is this interpreter; nothing else of the environment is kept
    but PATH, so the flow sees what the Job gives it.
    """
    container = next(c for c in job["spec"]["template"]["spec"]["containers"] if c["name"] == flow_container)
    command = [*(container.get("command") or []), *(container.get("args") or [])]
    if command and command[0] in ("python", "python3"):
        command[0] = sys.executable
    env = {"PATH": os.environ.get("PATH", ""), "PREFECT_HOME": str(home),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    for entry in container.get("env") or []:
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)


def post(url: str, body: dict[str, Any] | None = None) -> None:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
