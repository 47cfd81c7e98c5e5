"""Every code block of the README is exercised: commands run (or, where they need a cluster or
AWS, are parsed by the real CLI), Python blocks execute, YAML blocks load as what they claim.

The blocks are found by position; a new block fails ``test_every_block_is_covered`` until it
is given a check here.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", README, re.S)]
#: commands that run offline for real; the others are parsed only
_OFFLINE = {"build", "explain", "diff", "validate", "profiles", "init"}


def _block(start: str) -> str:
    hits = [text for _lang, text in BLOCKS if text.lstrip().startswith(start)]
    assert len(hits) == 1, (start, len(hits))
    return hits[0]


def _sh_commands(text: str) -> list[list[str]]:
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if "|" in words:
            words = words[words.index("|") + 1:]
        for stop in (">", "&&"):
            if stop in words:
                words = words[: words.index(stop)]
        if words:
            out.append(words)
    return out


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO / "compose.yaml", root / "compose.yaml")
    shutil.copytree(REPO / "bases", root / "bases")
    shutil.copytree(REPO / "overlays", root / "overlays")
    monkeypatch.chdir(root)
    return root


def _run_or_parse(words: list[str], cli_run: Any) -> None:
    from compose.cli import cli

    assert words[0] == "compose", words
    args = words[1:]
    command = args[0]
    runnable = command in _OFFLINE or (command in ("submit", "agent") and any(a.startswith("--dry-run") for a in args)
                                       and "--context" not in args and "--region" not in args)
    if runnable:
        result = cli_run(*args)
        assert result.exit_code == 0, (words, result.stderr)
        assert "Traceback" not in result.stderr
        return
    ctx = cli.make_context("compose", list(args))
    name, cmd, rest = cli.resolve_command(ctx, list(args))
    assert cmd is not None, words
    cmd.make_context(name, rest, parent=ctx)  # raises on an unknown option or a bad value


def test_tour_commands_run(repo_copy: Path, cli_run: Any) -> None:
    commands = _sh_commands(_block("compose build                                        # Kubernetes Job"))
    assert len(commands) == 9
    for words in commands:
        _run_or_parse(words, cli_run)


def test_quick_start_builds(repo_copy: Path, cli_run: Any) -> None:
    # the install steps are what CI runs (tests/test_readme.py); the build is checked here
    text = _block("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/compose build")
    assert text.strip().endswith(".venv/bin/compose build")
    assert cli_run("build").exit_code == 0


def test_strategic_merge_example_runs() -> None:
    code = _block("from compose import strategic_merge")
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"template": {"spec": {"containers": [{"name": "flow", "image": "a"}]}}}}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "flow", "image": "b"}]}}}}
    space: dict[str, Any] = {"job": job, "patch": patch}
    exec(compile(code, "README.md", "exec"), space)  # noqa: S102 - the README's own example
    assert space["merged"]["spec"]["template"]["spec"]["containers"] == [{"name": "flow", "image": "b"}]


def test_compose_yaml_example_loads(repo_copy: Path) -> None:
    from compose.spec import load_spec

    (repo_copy / "compose.yaml").write_text(_block("apiVersion: compose.dev/v1alpha1\nkind: SpecRepo\nflowContainer"))
    spec = load_spec(repo_copy, check_files=False)
    assert [o.name for o in spec.overlays] == ["high-memory", "spot", "gpu"]
    assert spec.raw_keys == ("team",) and spec.default_profile == "default"


def test_check_commands_run(repo_copy: Path, cli_run: Any) -> None:
    commands = _sh_commands(_block("compose validate --set image="))
    assert len(commands) == 4
    for words in commands:
        _run_or_parse(words, cli_run)


def test_from_python_example_runs(repo_copy: Path) -> None:
    code = _block("from compose import Composer, FlowRun").replace("path/to/spec-repo", str(repo_copy))
    space: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), space)  # noqa: S102
    assert space["spec"].job["metadata"]["name"] == "flow-run-8d0c2b7e"


def test_rbac_role_is_a_valid_role() -> None:
    from compose.k8s import validate_object

    role = yaml.safe_load(_block("apiVersion: rbac.authorization.k8s.io/v1"))
    assert role["kind"] == "Role" and validate_object(role, version="1.32") == []


def test_kubernetes_run_commands(repo_copy: Path, cli_run: Any) -> None:
    commands = _sh_commands(_block("compose submit --run-id 7f9c2b11"))
    assert len(commands) == 4
    for words in commands:
        _run_or_parse(words, cli_run)


def test_agent_commands(repo_copy: Path, cli_run: Any) -> None:
    text = _block("printf '%s\\n'")
    first = text.split("\ncompose ")[0]
    subprocess.run(["bash", "-c", first], cwd=repo_copy, check=True)
    assert len((repo_copy / "runs.jsonl").read_text().splitlines()) == 2
    commands = [w for w in _sh_commands(text) if w[0] == "compose"]
    assert len(commands) == 3
    for words in commands:
        _run_or_parse(words, cli_run)


def test_ecs_commands_parse(cli_run: Any) -> None:
    commands = _sh_commands(_block("compose submit -t ecs --run-id 7f9c2b11 --region"))
    assert len(commands) == 3
    for words in commands:
        _run_or_parse(words, cli_run)


def test_embedding_example_runs_as_written(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _block("from compose.agent import Agent, ComposerGenerator, KubernetesBackend")
    space: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), space)  # noqa: S102
    out = capsys.readouterr().out
    assert out.count("'status': 'dry-run'") == 2, out
    assert type(space["job"]).__name__ == "V1Job"


def test_layout_names_what_exists() -> None:
    text = _block("compose/\n")
    names = re.findall(r"^  ([\w.]+/?) ", text, re.M)
    assert len(names) >= 10, names
    for name in names:
        assert (REPO / "compose" / name).exists() or (REPO / name).exists(), name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_moto_recipe_runs(repo_copy: Path) -> None:
    """The local ECS recipe, verbatim but for the port, in bash against a real moto server."""
    text = _block("python -m moto.server -H 127.0.0.1 -p 5000")
    port = str(_free_port())
    script = "set -e\n" + text.replace("5000", port) + "\nkill $MOTO_PID\n"
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(key, None)
    done = subprocess.run(["bash", "-c", script], cwd=repo_copy, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert '"status": "succeeded"' in done.stdout, done.stdout


_PREFECT_BLOCKS = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[prefect]'",
    "compose prefect create-pool cpool",
    "pip install 'moto[server]",
)


def _python_snippets(text: str) -> list[str]:
    """The code of every ``python -c '...'`` in a shell block (quotes may span lines)."""
    return [m.group(1) for m in re.finditer(r"python -c '(.*?)'", text, re.S)]


@pytest.mark.parametrize("start", _PREFECT_BLOCKS)
def test_prefect_walkthrough_blocks_are_well_formed(start: str, cli_run: Any) -> None:
    """"Use with Prefect": every compose command parses with the real CLI, every ``python -c``
    compiles, the helper scripts it names exist and take the options given. (The walkthrough
    itself runs end to end in tests/prefect/test_e2e.py, against a real Prefect server.)"""
    text = _block(start)
    # the snippets are checked below; $NETWORK is what the moto block's snippet prints
    commands = re.sub(r"python -c '(.*?)'", "python -c CODE", text, flags=re.S)
    commands = commands.replace("$NETWORK", "--default subnet=subnet-1 --default security_group=sg-1")
    for words in _sh_commands(commands):
        if words[0] == "compose":
            _run_or_parse(words, cli_run)
        elif words[0] == "python" and words[1].endswith(".py"):
            script = REPO / words[1]
            assert script.is_file(), words
            done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            for option in (w.split("=")[0] for w in words[2:] if w.startswith("--")):
                assert option in done.stdout, (option, words)
    for code in _python_snippets(text):
        compile(code, "README.md", "exec")
    # what a block runs, it installs first (or an earlier block did: only the prefect extra)
    if "python -m moto.server" in text:
        assert "pip install 'moto[server]" in text, "the moto block runs moto, which the prefect extra lacks"


def test_every_block_is_covered() -> None:
    # one check above per block, in README order
    assert len(BLOCKS) == 17, [t[:40] for _l, t in BLOCKS]
