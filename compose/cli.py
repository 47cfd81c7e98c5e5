"""The ``compose`` command: a thin click layer over the library.

It parses options, calls the library, and writes the result. Every
:class:`~compose.errors.ComposeError` becomes one message on stderr and its exit status;
output is written only once the whole result is ready, so a failure never leaves half a
spec on stdout.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ._output import kustomize_output, spec_root as _spec_root
from ._output import render as _render
from ._output import report as _fail
from .constants import SPEC_FILE
from .errors import ComposeError, UsageError


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
    """Build Kubernetes Jobs and ECS tasks from bases and metadata-selected overlays.

    A spec repo is a directory with a compose.yaml (see `compose init`); a plain
    kustomization directory builds as `kubectl kustomize` builds it.
    """


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


# --- shared options ------------------------------------------------------------------------------

_root_arg = click.argument(
    "root", required=False, type=click.Path(file_okay=True, dir_okay=True, path_type=Path)
)


def _selection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(
        [
            click.option("-t", "--target", type=click.Choice(["kubernetes", "ecs"]), default=None,
                         help="Output target (default: kubernetes when the spec repo declares it)."),
            click.option("-s", "--set", "sets", multiple=True, metavar="KEY=VALUE",
                         help="Set a metadata value (coerced to the parameter's type); repeatable; applied last."),
            click.option("-m", "--metadata", "metadata_files", multiple=True, metavar="FILE",
                         type=click.Path(path_type=Path),
                         help="A YAML/JSON file of metadata; repeatable, later files win."),
            click.option("--run-id", default=None, help="Build for this run: names and labels the Job after it."),
            click.option("--run-name", default=None, help="The run's name (${run.name})."),
            click.option("--flow-name", default=None, help="The flow's name (${flow.name})."),
            click.option("--deployment", default=None, help="The deployment's name (${deployment.name})."),
        ]
    ):
        fn = opt(fn)
    return fn


def _is_spec_repo(root: Path) -> bool:
    return (root / SPEC_FILE).is_file()


def _layers(metadata_files: Sequence[Path], sets: Sequence[str]) -> list[Any]:
    from .spec import load_metadata_file, parse_set

    layers: list[Any] = [load_metadata_file(p) for p in metadata_files]
    if sets:
        layers.append(parse_set(list(sets)))
    return layers


def _context(run_id: str | None, run_name: str | None, flow_name: str | None, deployment: str | None) -> Any:
    if not any((run_id, run_name, flow_name, deployment)):
        return None
    from .model import FlowRun

    if not run_id:
        raise UsageError("--run-name, --flow-name and --deployment need --run-id")
    return FlowRun(id=run_id, name=run_name or "", flow_name=flow_name or "", deployment=deployment or "")


def _load(root: Path) -> Any:
    from .composer import Composer

    return Composer.load(root)


# --- build ---------------------------------------------------------------------------------------


@cli.command()
@_root_arg
@_selection_options
@click.option("-o", "--output", "output", type=click.Choice(["yaml", "json", "cli-input-json"]), default="yaml",
              show_default=True,
              help="Output format; cli-input-json prints the ECS task definition as "
                   "`aws ecs register-task-definition --cli-input-json` takes it.")
def build(root: Path | None, target: str | None, sets: tuple[str, ...], metadata_files: tuple[Path, ...],
          run_id: str | None, run_name: str | None, flow_name: str | None, deployment: str | None,
          output: str) -> None:
    """Print the built spec of ROOT (default: the current directory).

    ROOT with a compose.yaml is a spec repo: metadata (--set, --metadata) selects the
    profile and overlays and fills the parameters. ROOT without one is a kustomization
    directory: the output is what `kubectl kustomize ROOT` prints.
    """
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        if sets or metadata_files or target or run_id or output == "cli-input-json":
            raise UsageError(f"{directory} has no {SPEC_FILE}: --set, --metadata, --target, --run-id and "
                             "-o cli-input-json apply to spec repos only")
        _write(kustomize_output(directory, output))
        return
    composer = _load(directory)
    spec = composer.build(_layers(metadata_files, sets), target=target,
                          context=_context(run_id, run_name, flow_name, deployment))
    if output == "cli-input-json":
        if spec.target != "ecs":
            raise UsageError("-o cli-input-json is for --target ecs")
        from .ecs import to_cli_input_json

        _write(to_cli_input_json(spec.task_definition))
        return
    _write(_render(spec.documents(), output))


# --- explain -------------------------------------------------------------------------------------


@cli.command()
@_root_arg
@_selection_options
def explain(root: Path | None, target: str | None, sets: tuple[str, ...], metadata_files: tuple[Path, ...],
            run_id: str | None, run_name: str | None, flow_name: str | None, deployment: str | None) -> None:
    """Explain a build: parameters and where each came from, each overlay and why it
    applied or not, and for every field of the result the file and line that set it last."""
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: explain works on spec repos")
    composer = _load(directory)
    result = composer.explain(_layers(metadata_files, sets), target=target,
                              context=_context(run_id, run_name, flow_name, deployment))
    _write("\n".join(result.lines()) + "\n")


# --- diff ----------------------------------------------------------------------------------------


@cli.command()
@_root_arg
@_selection_options
@click.option("-a", "--left", "left_sets", multiple=True, metavar="KEY=VALUE",
              help="A metadata value of the left build only; repeatable.")
@click.option("-b", "--right", "right_sets", multiple=True, metavar="KEY=VALUE",
              help="A metadata value of the right build only; repeatable.")
@click.option("--left-metadata", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="A metadata file of the left build only.")
@click.option("--right-metadata", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="A metadata file of the right build only.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the specs differ (as `git diff --exit-code`).")
def diff(root: Path | None, target: str | None, sets: tuple[str, ...], metadata_files: tuple[Path, ...],
         run_id: str | None, run_name: str | None, flow_name: str | None, deployment: str | None,
         left_sets: tuple[str, ...], right_sets: tuple[str, ...], left_metadata: tuple[Path, ...],
         right_metadata: tuple[Path, ...], exit_code: bool) -> None:
    """A unified diff of the specs built for two metadata sets.

    --set and --metadata apply to both sides; -a/--left and -b/--right to one each:

        compose diff -a job_profile=default -b job_profile=gpu
    """
    from .spec import parse_set
    from .yamlio import dump_documents

    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: diff works on spec repos")
    composer = _load(directory)
    context = _context(run_id, run_name, flow_name, deployment)
    common = _layers(metadata_files, ())
    texts = []
    for extra_files, extra_sets, label in ((left_metadata, left_sets, "left"), (right_metadata, right_sets, "right")):
        layers = common + _layers(extra_files, ())
        if sets:
            layers.append(parse_set(list(sets)))
        if extra_sets:
            layers.append(parse_set(list(extra_sets), name=f"--{label}"))
        texts.append(dump_documents(composer.build(layers, target=target, context=context).documents()))
    names = ("left: " + (" ".join(left_sets) or "(common metadata)"), "right: " + (" ".join(right_sets) or "(common metadata)"))
    lines = list(difflib.unified_diff(texts[0].splitlines(keepends=True), texts[1].splitlines(keepends=True),
                                      fromfile=names[0], tofile=names[1]))
    _write("".join(lines))
    if exit_code and lines:
        sys.exit(1)


# --- validate / profiles / init ------------------------------------------------------------------


@cli.command()
@_root_arg
def validate(root: Path | None) -> None:
    """Build every profile and every overlay alone, for every target it provides, and
    report every problem at once (exit status 1 when there is any)."""
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: validate works on spec repos")
    composer = _load(directory)
    problems = composer.validate()
    if problems:
        click.echo(f"compose: {len(problems)} problem{'s' if len(problems) != 1 else ''}:", err=True)
        for p in problems:
            click.echo(f"  - {p}", err=True)
        sys.exit(1)
    spec = composer.spec
    builds = sum(
        len(spec.profiles or [None]) + sum(1 for o in spec.overlays if t in o.targets()) for t in spec.targets
    )
    _write(f"ok: {builds} builds valid ({', '.join(spec.targets)}; "
           f"{len(spec.profiles)} profiles, {len(spec.overlays)} overlays)\n")


@cli.command()
@_root_arg
def profiles(root: Path | None) -> None:
    """List the profiles, overlays (with their conditions) and parameters."""
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: profiles works on spec repos")
    from .spec import load_spec

    spec = load_spec(directory)
    out = [f"spec repo: {spec.root}", f"targets: {', '.join(spec.targets)}",
           f"profile key: {spec.profile_key}", "", "profiles:"]
    for p in spec.profiles.values():
        params = ", ".join(f"{k}={v}" for k, v in p.raw_parameters.items())
        out.append(f"  {p.name}: {', '.join(p.overlays) or '(no overlays)'}" + (f"  [{params}]" if params else ""))
        if p.description:
            out.append(f"      {p.description}")
    out += ["", "overlays (applied in this order):"]
    for o in spec.overlays:
        when = f"when {o.when.describe()}" if o.when is not None else "only through profiles"
        out.append(f"  {o.name} [{', '.join(o.targets())}]: {when}")
        if o.description:
            out.append(f"      {o.description}")
    out += ["", "parameters:"]
    for name, decl in spec.parameters.items():
        out.append(f"  {name}: {decl.describe()}")
    _write("\n".join(out) + "\n")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into a directory that is not empty (never overwrites files).")
def init(directory: Path, force: bool) -> None:
    """Scaffold a spec repo in DIRECTORY that builds out of the box."""
    from .scaffold import scaffold

    written = scaffold(directory, allow_non_empty=force)
    _write("".join(f"created {p}\n" for p in written)
           + f"\nnext: compose build {directory}   (then: compose profiles {directory})\n")


def _register_run_commands() -> None:
    from ._cli_run import register

    register(cli)


_register_run_commands()


def _register_prefect_commands() -> None:
    # click only: compose.prefect imports Prefect when a command runs, never on the build path.
    from .prefect._cli import register

    register(cli)


_register_prefect_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    cli.main(args=argv, prog_name="compose")


if __name__ == "__main__":
    main()
