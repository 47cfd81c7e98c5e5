"""What every command line writes, and where it reads its spec repo: the one layer below the
console script (:mod:`compose._entry`), the click CLI (:mod:`compose.cli`) and its run
commands (:mod:`compose._cli_run`).

Imports point one way: ``_entry`` → ``cli`` → ``_cli_run``, and all three → this module,
which imports neither click nor any of them. Nothing here imports more than the standard
library at module level, so the click-free ``compose build DIR`` path stays cheap.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

from .constants import SPEC_FILE
from .errors import ComposeError, UsageError, printable


def report(exc: ComposeError) -> NoReturn:
    """Write ``exc`` as compose's one-line error on stderr and exit with its status."""
    sys.stderr.write(f"compose: error: {exc.format()}\n")
    sys.stderr.flush()
    sys.exit(exc.exit_code)


def warn(problem: Any) -> None:
    """Write a warning (an unknown metadata key, a quiet overlay, ...) as compose's one line on
    stderr, control characters escaped. Every command that loads a spec repo passes this as the
    composer's ``on_warning``."""
    sys.stderr.write(f"compose: warning: {printable(str(problem))}\n")
    sys.stderr.flush()


def render(docs: list[Any], output: str) -> str:
    """Documents as ``compose build`` prints them: a YAML stream, or JSON (one document as an
    object, several as a list)."""
    from .yamlio import check_output, dump_documents, dump_json

    if output == "json":
        return checked_size(dump_json(docs[0] if len(docs) == 1 else docs))
    check_output(docs)
    return checked_size(dump_documents(docs))


def checked_size(text: str) -> str:
    """``text``, unless it is longer than the output budget (``max_output_bytes``)."""
    from . import limits

    limit = limits.current().max_output_bytes
    if len(text) > limit:
        from .errors import OutputError

        raise OutputError(f"the result is too large to write: {len(text):,} characters, more than {limit:,} "
                          f"(limit {limits.ENV['max_output_bytes']})", step="output")
    return text


def kustomize_output(directory: Path, output: str, load_restrictor: str = "LoadRestrictionsRootOnly") -> str:
    """What ``compose build DIRECTORY`` prints for a plain kustomization directory."""
    from .kustomize import build_documents

    return render(build_documents(directory, load_restrictor=load_restrictor), output)


def spec_root(root: Path | None) -> Path:
    """The directory a command works on: ``root`` (a directory, or a spec repo's
    ``compose.yaml``), or the current directory."""
    target = root if root is not None else Path(".")
    if not target.exists():
        raise UsageError(f"no such file or directory: {target}")
    if target.is_file():
        if target.name != SPEC_FILE:
            raise UsageError(f"{target}: expected a directory or a {SPEC_FILE}")
        target = target.parent
    return target
