"""The hostile-input corpus: every case directory under ``cases/`` run against the bar of issue 7.

Each case runs in a child process (``_child.py``) on a fresh copy of its files, and must:
exit with the expected status; write exactly one message on stderr (one line, plus indented
continuation lines) matching the expected pattern, and no traceback; write nothing on stdout
(unless the case expects output); write no raw control character to either stream;
no more than 8,000 characters on stderr; finish in
under 10 s within 1 GiB of address space (``resource.setrlimit`` in the child; the peak RSS is
checked too); write nothing anywhere (the copy, the working directory, HOME and TMPDIR are
compared before and after); and never touch the canary directory beside the root (an audit
hook in the child ends it with status 97 if it does, and the canary's access time is checked).
See README.md beside this file for the case format.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
CHILD = HERE / "_child.py"
TIME_LIMIT = 10.0
MAX_STDERR = 8000
MEMORY_LIMIT = 1 << 30
CANARY_TEXT = "apiVersion: v1\nkind: Secret\nmetadata: {name: canary}\nstringData: {token: CANARY-7f3a}\n"
CANARY_MARK = "CANARY-7f3a"
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_KEYS = {"description", "base", "argv", "python", "env", "generate", "stdin", "expect", "slow"}
BASES = HERE / "bases"


def _load_case(directory: Path) -> dict[str, Any]:
    case = yaml.safe_load((directory / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{directory.name}/case.yaml: must be a mapping"
    unknown = set(case) - _KEYS
    assert not unknown, f"{directory.name}/case.yaml: unknown keys {sorted(unknown)}"
    assert case.get("description"), f"{directory.name}/case.yaml: needs a description"
    assert ("argv" in case) != ("python" in case), f"{directory.name}/case.yaml: exactly one of argv, python"
    expect = case.setdefault("expect", {})
    expect.setdefault("exit", 1)
    if expect["exit"] != 0:
        assert expect.get("stderr"), f"{directory.name}/case.yaml: a failing case needs expect.stderr"
    return case


def _params() -> list[Any]:
    out = []
    for directory in sorted(p for p in CASES.iterdir() if (p / "case.yaml").is_file()):
        case = _load_case(directory)
        marks = [pytest.mark.slow] if case.get("slow") else []
        out.append(pytest.param(directory, case, id=directory.name, marks=marks))
    return out


def _fill(text: str, where: dict[str, str]) -> str:
    for key, value in where.items():
        text = text.replace("{" + key + "}", value)
    return text


def _generate(root: Path, items: list[dict[str, Any]], where: dict[str, str]) -> None:
    for item in items:
        path = root / item["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if "symlink" in item:
            path.symlink_to(_fill(item["symlink"], where))
        elif "fifo" in item:
            os.mkfifo(path)
        elif "hex" in item:
            path.write_bytes(bytes.fromhex(item["hex"]))
        else:
            text = _fill(item.get("text", ""), where)
            repeat = item.get("repeat", "")
            count = item.get("count", 0)
            encoding = item.get("encoding", "utf-8")
            with open(path, "w", encoding=encoding, newline="") as fh:
                fh.write(text)
                if "{i}" in repeat:
                    for i in range(count):
                        fh.write(repeat.replace("{i}", str(i)))
                else:
                    chunk = max(1, (1 << 20) // max(1, len(repeat)))
                    left = count
                    while left > 0:
                        n = min(chunk, left)
                        fh.write(repeat * n)
                        left -= n
                fh.write(item.get("tail", ""))


def _snapshot(*dirs: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(d):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                st = os.lstat(p)
                out[str(p)] = (st.st_mode, st.st_size, st.st_mtime_ns)
        out[str(d)] = os.lstat(d).st_mode
    return out


def _arg(item: Any, where: dict[str, str]) -> str | bytes:
    if isinstance(item, dict):
        # {latin1: "a=\xff"}: the text encoded as Latin-1, e.g. to pass bytes that are not UTF-8
        return _fill(item["latin1"], where).encode("latin-1")
    return _fill(str(item), where)


def _atime_works(tmp: Path) -> bool:
    probe = tmp / "atime-probe"
    probe.write_text("x")
    st = probe.stat()
    os.utime(probe, ns=(st.st_mtime_ns - 3_600_000_000_000, st.st_mtime_ns))
    before = probe.stat().st_atime_ns
    probe.read_text()
    return probe.stat().st_atime_ns != before


def _one_message(stderr: str) -> bool:
    heads = [line for line in stderr.splitlines() if line and not line[0].isspace()]
    return len(heads) == 1


@pytest.mark.parametrize(("directory", "case"), _params())
def test_hostile_case(directory: Path, case: dict[str, Any], tmp_path: Path) -> None:
    root, outside, cwd, home, tmp = (tmp_path / n for n in ("root", "outside", "cwd", "home", "tmp"))
    if case.get("base"):
        shutil.copytree(BASES / case["base"], root, symlinks=True)
    shutil.copytree(directory, root, symlinks=True, ignore=shutil.ignore_patterns("case.yaml"), dirs_exist_ok=True)
    for d in (outside, cwd, home, tmp):
        d.mkdir()
    canary = outside / "canary.yaml"
    canary.write_text(CANARY_TEXT, encoding="utf-8")
    where = {"root": str(root), "outside": str(outside), "canary": str(canary)}
    _generate(root, case.get("generate", []), where)
    st = canary.stat()
    os.utime(canary, ns=(st.st_mtime_ns - 3_600_000_000_000, st.st_mtime_ns))
    canary_atime = canary.stat().st_atime_ns
    check_atime = _atime_works(tmp_path)
    before = _snapshot(root, outside, cwd, home, tmp)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "KUBE", "AWS_"))}
    env.update({"HOME": str(home), "TMPDIR": str(tmp), "COMPOSE_HOSTILE_OUTSIDE": str(outside),
                "COMPOSE_HOSTILE_MEMORY": str(MEMORY_LIMIT), "PYTHONDONTWRITEBYTECODE": "1"})
    env.update({k: _fill(str(v), where) for k, v in (case.get("env") or {}).items()})
    if "argv" in case:
        args: list[str | bytes] = [sys.executable, str(CHILD), "cli", *(_arg(a, where) for a in case["argv"])]
    else:
        args = [sys.executable, str(CHILD), "python", case["python"], str(root)]
    read_fd, write_fd = os.pipe()
    env["COMPOSE_HOSTILE_FD"] = str(write_fd)
    stdin = subprocess.PIPE if "stdin" in case else subprocess.DEVNULL
    start = time.monotonic()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            pass_fds=(write_fd,))
    os.close(write_fd)
    try:
        data = _fill(case["stdin"], where).encode("utf-8") if "stdin" in case else None
        out_b, err_b = proc.communicate(data, timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        os.close(read_fd)
        pytest.fail(f"{directory.name}: still running after {TIME_LIMIT} s")
    elapsed = time.monotonic() - start
    report = os.read(read_fd, 65536).decode("utf-8", "replace").splitlines()
    os.close(read_fd)
    peaks = [int(line.split()[1]) for line in report if line.startswith("peak ")]
    audit = "\n".join(line for line in report if not line.startswith("peak "))
    stdout = out_b.decode("utf-8", "replace")
    stderr = err_b.decode("utf-8", "replace")
    shown = f"\n--- exit {proc.returncode} in {elapsed:.2f} s\n--- stdout:\n{stdout[:2000]}\n--- stderr:\n{stderr[:4000]}"

    assert not audit, f"the canary directory was touched: {audit}{shown}"
    assert proc.returncode != 97, shown
    assert CANARY_MARK not in stdout + stderr, f"the canary's content was printed{shown}"
    if check_atime:
        assert canary.stat().st_atime_ns == canary_atime, f"the canary was read{shown}"
    assert "Traceback" not in stderr, f"a traceback{shown}"
    expect = case["expect"]
    assert proc.returncode == expect["exit"], f"exit status {proc.returncode}, expected {expect['exit']}{shown}"
    if expect.get("stderr"):
        assert re.search(expect["stderr"], stderr), f"stderr does not match {expect['stderr']!r}{shown}"
        assert _one_message(stderr), f"not exactly one message on stderr{shown}"
    else:
        assert stderr == "", f"unexpected stderr{shown}"
    if expect.get("stdout"):
        assert re.search(expect["stdout"], stdout), f"stdout does not match {expect['stdout']!r}{shown}"
    else:
        assert stdout == "", f"unexpected stdout{shown}"
    assert len(stderr) <= MAX_STDERR, f"{len(stderr):,} characters on stderr: messages must be cut{shown}"
    for name, text in (("stdout", stdout), ("stderr", stderr)):
        m = _CONTROL.search(text)
        assert m is None, f"a raw control character {m.group()!r} on {name}{shown}" if m else ""
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f} s{shown}"
    assert peaks, f"the child did not report its peak memory{shown}"
    assert peaks[0] < MEMORY_LIMIT, f"peak RSS {peaks[0] >> 20} MiB{shown}"
    assert _snapshot(root, outside, cwd, home, tmp) == before, f"something was written{shown}"


def test_corpus_is_not_empty() -> None:
    assert len(_params()) >= 10


@pytest.mark.parametrize("code", [
    "open({canary!r}).read()",
    "import os; os.listdir({outside!r})",
    "import os; os.symlink({canary!r}, str(ROOT / 'l')); open(ROOT / 'l').read()",
])
def test_the_canary_trap_fires(code: str, tmp_path: Path) -> None:
    """The harness's own check: touching the canary directory, even through a symlink inside
    the root, ends the child with status 97 and reports the path."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    canary = outside / "canary.yaml"
    canary.write_text(CANARY_TEXT, encoding="utf-8")
    read_fd, write_fd = os.pipe()
    env = dict(os.environ, COMPOSE_HOSTILE_OUTSIDE=str(outside), COMPOSE_HOSTILE_FD=str(write_fd))
    done = subprocess.run(
        [sys.executable, str(CHILD), "python", code.format(canary=str(canary), outside=str(outside)), str(root)],
        env=env, capture_output=True, text=True, timeout=60, pass_fds=(write_fd,))
    os.close(write_fd)
    report = os.read(read_fd, 65536).decode()
    os.close(read_fd)
    assert done.returncode == 97, done.stderr
    assert str(outside) in report and CANARY_MARK not in done.stdout


def test_the_memory_cap_holds(tmp_path: Path) -> None:
    """The harness's own check: the child cannot allocate past 1 GiB."""
    read_fd, write_fd = os.pipe()
    env = dict(os.environ, COMPOSE_HOSTILE_OUTSIDE=str(tmp_path / "outside"), COMPOSE_HOSTILE_FD=str(write_fd))
    done = subprocess.run([sys.executable, str(CHILD), "python", "b = bytearray(3 << 29)", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=60, pass_fds=(write_fd,))
    os.close(write_fd)
    os.close(read_fd)
    assert done.returncode != 0 and "MemoryError" in done.stderr
