"""The ``compose`` command: a thin click layer over the library.

It parses options, calls the library, and writes the result. Every
:class:`~compose.errors.ComposeError` becomes one message on stderr and its exit status; the
output is written only once the whole result is ready, so a failure never leaves half a
spec on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .errors import ComposeError, UsageError


def _fail(exc: ComposeError) -> NoReturn:
    click.echo(f"compose: error: {exc.format()}", err=True)
    sys.exit(exc.exit_code)


class _Group(click.Group):
    """Turns ComposeError into a message and exit status, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ComposeError as exc:
            _fail(exc)
        except BrokenPipeError:
            # `compose build | head`: the reader went away; not an error of ours.
            sys.stderr.close()
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="compose-jobs", prog_name="compose")
def cli() -> None:
    """Build Kubernetes Jobs and ECS tasks from bases and metadata-selected overlays."""


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@cli.command()
@click.argument("root", required=False, type=click.Path(file_okay=True, dir_okay=True, path_type=Path))
@click.option("-o", "--output", "output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="Output format.")
def build(root: Path | None, output: str) -> None:
    """Print the built spec of ROOT (default: the current directory).

    ROOT is a kustomization directory: the output is what `kubectl kustomize ROOT` prints.
    """
    from .kustomize import build_documents
    from .yamlio import dump_documents, dump_json

    target = root if root is not None else Path(".")
    if not target.exists():
        raise UsageError(f"no such file or directory: {target}")
    docs = build_documents(target)
    _write(dump_json(docs) if output == "json" else dump_documents(docs))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    cli.main(args=argv, prog_name="compose")


if __name__ == "__main__":
    main()
