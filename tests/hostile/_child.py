"""The child process of the hostile-input harness: caps memory, forbids the canary, runs one case.

``python _child.py cli ARG...`` runs compose's console script with ARG...;
``python _child.py python CODE ROOT`` runs CODE with ``ROOT`` bound to the case's root and turns a
ComposeError into one line on stderr (``ClassName: message``) and its exit status. Any other
exception escapes with its traceback, which the harness counts as a failure.

Before anything of compose is imported, the address space is capped (``resource.setrlimit``)
and an audit hook watches every file the process opens or lists: touching anything under the
directory named by ``COMPOSE_HOSTILE_OUTSIDE`` (where the canary lives) writes the path to the
file descriptor ``COMPOSE_HOSTILE_FD`` and ends the process at once with status 97.
"""

import atexit
import os
import resource
import sys

MEMORY = int(os.environ.get("COMPOSE_HOSTILE_MEMORY", str(1 << 30)))
resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

_OUTSIDE = os.path.realpath(os.environ["COMPOSE_HOSTILE_OUTSIDE"])
_FD = int(os.environ["COMPOSE_HOSTILE_FD"])
_WATCHED = {"open", "os.listdir", "os.scandir", "os.chdir", "shutil.copyfile", "os.mkdir", "os.rename",
            "os.remove", "os.symlink", "os.truncate"}
_busy = False


def _hook(event: str, args: tuple) -> None:
    global _busy
    if event not in _WATCHED or _busy or not args:
        return
    path = args[0]
    if isinstance(path, int) or path is None:
        return
    _busy = True
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError, OSError):
        real = ""
    finally:
        _busy = False
    if real == _OUTSIDE or real.startswith(_OUTSIDE + os.sep):
        os.write(_FD, f"{event} {os.fsdecode(path)!r} -> {real}\n".encode("utf-8", "backslashreplace"))
        os._exit(97)


sys.addaudithook(_hook)


def _report_peak() -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    os.write(_FD, f"peak {peak}\n".encode())


atexit.register(_report_peak)


def main() -> None:
    mode = sys.argv[1]
    if mode == "cli":
        from compose._entry import main as compose_main

        sys.argv = ["compose", *sys.argv[2:]]
        compose_main(sys.argv[1:])
        return
    if mode == "python":
        from pathlib import Path

        from compose.errors import ComposeError

        code, root = sys.argv[2], sys.argv[3]
        try:
            exec(compile(code, "case.yaml:python", "exec"), {"ROOT": Path(root), "__name__": "__case__"})
        except ComposeError as exc:
            sys.stderr.write(f"{type(exc).__name__}: {exc.format()}\n")
            sys.exit(exc.exit_code)
        return
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
