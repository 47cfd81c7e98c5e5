"""``compose prefect ...``: the pool template of a spec repo, and a pool made from it.

:func:`register` adds the ``prefect`` group to the ``compose`` command. ``template`` needs no
Prefect; ``create-pool`` imports Prefect's client when it runs (the ``prefect`` extra).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from compose._output import spec_root
from compose.errors import SubmitError, UsageError

__all__ = ["register"]


def _defaults(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--default {item!r}: expected NAME=VALUE (VALUE as JSON, or a plain string)")
        try:
            out[key] = json.loads(text)
        except ValueError:
            out[key] = text
    return out


def _template(root: Path | None, target: str, spec_repo: str | None, defaults: tuple[str, ...]) -> dict[str, Any]:
    from .template import base_job_template

    directory = spec_root(root).resolve()
    return base_job_template(directory, target, spec_repo=spec_repo, defaults=_defaults(defaults))


_target = click.option("-t", "--target", type=click.Choice(["kubernetes", "ecs"]), default="kubernetes",
                       show_default=True, help="The pool type: compose-kubernetes or compose-ecs.")
_spec_repo = click.option("--spec-repo", default=None, metavar="PATH",
                          help="The spec repo's path on the worker's disk (default: ROOT's absolute path here).")
_default = click.option("--default", "defaults", multiple=True, metavar="NAME=VALUE",
                        help="A pool-wide default for a job variable (VALUE as JSON or a string); repeatable.")


@click.group("prefect")
def prefect_group() -> None:
    """Prefect work pools of type compose-kubernetes / compose-ecs (needs the prefect extra to run)."""


@prefect_group.command("template")
@click.argument("root", required=False, type=click.Path(path_type=Path))
@_target
@_spec_repo
@_default
def template(root: Path | None, target: str, spec_repo: str | None, defaults: tuple[str, ...]) -> None:
    """Print the base job template of a work pool for the spec repo ROOT (JSON).

    Each parameter of compose.yaml becomes a typed job variable. Use it with
    `prefect work-pool create NAME --type compose-kubernetes --base-job-template FILE`.
    """
    text = json.dumps(_template(root, target, spec_repo, defaults), indent=2) + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()


@prefect_group.command("create-pool")
@click.argument("name")
@click.argument("root", required=False, type=click.Path(path_type=Path))
@_target
@_spec_repo
@_default
@click.option("--overwrite", is_flag=True, help="Replace the template of an existing pool of that name.")
def create_pool(name: str, root: Path | None, target: str, spec_repo: str | None, defaults: tuple[str, ...],
                overwrite: bool) -> None:
    """Create (or with --overwrite, update) the work pool NAME from the spec repo ROOT.

    Talks to the Prefect API of the current profile (PREFECT_API_URL).
    """
    base = _template(root, target, spec_repo, defaults)
    try:
        import anyio
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
        from prefect.exceptions import ObjectAlreadyExists
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UsageError(f"compose prefect create-pool needs Prefect: pip install 'compose-jobs[prefect]' ({exc})") from exc
    kind = f"compose-{target}"

    async def create() -> str:
        async with get_client() as client:
            try:
                await client.create_work_pool(WorkPoolCreate(name=name, type=kind, base_job_template=base))
                return "created"
            except ObjectAlreadyExists:
                if not overwrite:
                    raise SubmitError(f"work pool {name!r} exists; use --overwrite to replace its template",
                                      step="prefect") from None
                await client.update_work_pool(name, WorkPoolUpdate(base_job_template=base))
                return "updated"

    try:
        done = anyio.run(create)
    except SubmitError:
        raise
    except Exception as exc:  # the API refused or could not be reached: say so without a traceback
        raise SubmitError(f"work pool {name!r}: {type(exc).__name__}: {exc}", step="prefect") from exc
    sys.stdout.write(json.dumps({"work_pool": name, "type": kind, "status": done}) + "\n")
    sys.stdout.flush()


def register(group: click.Group) -> None:
    """Add ``prefect`` to ``group`` (the ``compose`` command)."""
    group.add_command(prefect_group)
