"""The ``compose`` console script.

``compose build DIR`` on a plain kustomization directory is the command people run in loops
and scripts, and the one benchmarked against ``kubectl kustomize``: importing click (and what
it imports) costs more than the build itself. So that one form, with no options but
``-o yaml|json`` and ``--load-restrictor``, runs here without click; every other command line goes to the click CLI in
:mod:`compose.cli`, which handles that form the same way (both call :func:`kustomize_output`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ._output import kustomize_output, render, report
from .constants import SPEC_FILE
from .errors import ComposeError

__all__ = ["kustomize_output", "main", "render", "report"]


_RESTRICTORS = ("LoadRestrictionsRootOnly", "LoadRestrictionsNone")  # as compose.kustomize.LOAD_RESTRICTORS


def _fast_build(args: list[str]) -> tuple[Path, str, str] | None:
    """``(directory, output, load restrictor)`` when ``args`` is ``build [DIR] [-o yaml|json]
    [--load-restrictor VALUE]`` on a kustomization directory; None for anything else (click
    handles it, and reports bad values)."""
    if not args or args[0] != "build":
        return None
    root: str | None = None
    output = "yaml"
    restrictor = _RESTRICTORS[0]
    rest = args[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg in ("-o", "--output") and i + 1 < len(rest):
            output = rest[i + 1]
            i += 2
            continue
        if arg == "--load-restrictor" and i + 1 < len(rest):
            restrictor = rest[i + 1]
            i += 2
            continue
        if arg.startswith("--output="):
            output = arg.split("=", 1)[1]
        elif arg.startswith("--load-restrictor="):
            restrictor = arg.split("=", 1)[1]
        elif arg.startswith("-") or root is not None:
            return None
        else:
            root = arg
        i += 1
    if output not in ("yaml", "json") or restrictor not in _RESTRICTORS:
        return None
    directory = Path(root if root is not None else ".")
    if not directory.is_dir() or os.path.lexists(directory / SPEC_FILE):  # even a broken link: a spec repo
        return None
    return directory, output, restrictor


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``compose`` console script and of ``python -m compose``."""
    args = sys.argv[1:] if argv is None else list(argv)
    fast = _fast_build(args) if not os.environ.get("COMPOSE_NO_FAST_PATH") else None
    if fast is None:
        from .cli import main as click_main

        click_main(args)
        return
    try:
        text = kustomize_output(*fast)
    except ComposeError as exc:
        report(exc)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)


if __name__ == "__main__":
    main()
