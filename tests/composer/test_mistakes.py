"""A table of authoring mistakes: each must be caught or reported, never a silent wrong spec.

Every ``mistakes/*.yaml`` file is a list of cases::

    - name: set-typo                       # unique within the file
      repo: default                        # start from: default (the embedded spec repo) | empty
      files:                               # files to write (path -> text; null deletes)
        overlays/gpu/patch.yaml: |
          ...
      edit:                                # text replacements: [file, old, new]
      - [compose.yaml, "default: 2Gi", "default: 4Gi"]
      command: [build, --set, memroy=8Gi]  # the compose command line (the repo is appended)
      exit: 0                              # expected exit status
      stderr: "did you mean 'memory'"      # regex that stderr must match (search)
      stdout: "..."                        # optional regex that stdout must match
      no_stdout: true                      # optional: stdout must be empty

The command runs in process through click's runner (stdout and stderr apart); the repo's
directory is the last argument unless the command names ``{repo}`` itself.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES = sorted((HERE / "mistakes").glob("*.yaml"))


def _cases() -> list[Any]:
    out = []
    for f in CASES:
        for case in yaml.safe_load(f.read_text(encoding="utf-8")):
            out.append(pytest.param(case, id=f"{f.stem}/{case['name']}"))
    return out


def _make_repo(case: dict[str, Any], tmp: Path) -> Path:
    root = tmp / "repo"
    root.mkdir()
    if case.get("repo", "default") == "default":
        shutil.copy(REPO / "compose.yaml", root / "compose.yaml")
        shutil.copytree(REPO / "bases", root / "bases")
        shutil.copytree(REPO / "overlays", root / "overlays")
    for rel, text in (case.get("files") or {}).items():
        path = root / rel
        if text is None:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, old, new in case.get("edit") or []:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{case['name']}: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def test_every_case_file_is_read() -> None:
    assert len(CASES) >= 6
    names = [p.values[0]["name"] for p in _cases()]
    assert len(names) >= 45


@pytest.mark.parametrize("case", _cases())
def test_mistake(case: dict[str, Any], tmp_path: Path, cli_run: Any) -> None:
    root = _make_repo(case, tmp_path)
    args = [str(a).replace("{repo}", str(root)) for a in case["command"]]
    if not any(str(root) in a for a in args):
        args.insert(1, str(root))
    result = cli_run(*args)
    assert result.exit_code == case["exit"], f"exit {result.exit_code}\nstderr: {result.stderr}\nstdout: {result.stdout[:2000]}"
    if "stderr" in case:
        assert re.search(case["stderr"], result.stderr, re.S), result.stderr
    if case.get("quiet"):
        assert "warning" not in result.stderr, result.stderr
    if "stdout" in case:
        assert re.search(case["stdout"], result.stdout, re.S), result.stdout
    if case.get("no_stdout") or case["exit"] != 0:
        assert result.stdout == "", result.stdout
    assert "Traceback" not in result.stderr
