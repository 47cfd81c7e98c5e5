"""The ``compose`` command: a thin click layer over the library.

It parses options, calls the library, and writes the result. Every
:class:`~compose.errors.ComposeError` becomes one message on stderr and its exit status;
output is written only once the whole result is ready, so a failure never leaves half a
spec on stdout.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ._output import kustomize_output, spec_root as _spec_root
from ._output import render as _render
from ._output import warn as _warn_line
from ._output import report as _fail
from .constants import SPEC_FILE
from .errors import ComposeError, Problem, UsageError, printable


def _not_utf8(value: str) -> int | None:
    """Index of the first character that stands for a byte that was not UTF-8 (Python decodes
    command-line arguments with ``surrogateescape``), or None."""
    for i, ch in enumerate(value):
        if "\udc80" <= ch <= "\udcff":
            return i
    return None


def _check_arguments(command: click.Command, params: dict[str, Any]) -> None:
    """Refuse text arguments (``--set``, ``--run-id``, ...) that are not UTF-8, naming the option.

    Paths are left alone (``click.Path`` values are ``pathlib.Path`` objects): a file name may
    be any bytes.
    """
    for name, value in params.items():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if not isinstance(item, str) or item.isascii():
                continue
            at = _not_utf8(item)
            if at is None:
                continue
            param = next((p for p in command.params if p.name == name), None)
            opts = getattr(param, "opts", None) or [name]
            option = max(opts, key=len)
            byte = ord(item[at]) - 0xDC00
            raise UsageError(f"{option}: the argument is not UTF-8 text (byte 0x{byte:02x} at position {at + 1}: "
                             f"{printable(item[:at][-20:] + item[at])!s}...)")


def _checked(command: click.Command) -> click.Command:
    callback = command.callback
    if callback is None or getattr(callback, "_arguments_checked", False):
        return command

    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(command, kwargs)
        return callback(*args, **kwargs)

    checked._arguments_checked = True  # type: ignore[attr-defined]
    command.callback = checked
    return command


class _Group(click.Group):
    """Turns ComposeError into a message and exit status, in one place; checks that every
    command's text arguments are UTF-8 before it runs."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(_checked(cmd), name)

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


def _write_human(text: str) -> None:
    """Write text meant for a terminal (explain, profiles, diff, init): control characters
    escaped, within the output budget (``max_output_bytes``)."""
    from ._output import checked_size

    _write(printable(checked_size(text)))


# --- shared options ------------------------------------------------------------------------------

_root_arg = click.argument(
    "root", required=False, type=click.Path(file_okay=True, dir_okay=True, path_type=Path)
)


_strict_option = click.option(
    "--strict", is_flag=True,
    help="Make warnings errors: unknown metadata keys, conditions on undeclared keys, quiet overlays.")


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
            _strict_option,
        ]
    ):
        fn = opt(fn)
    return fn


def _is_spec_repo(root: Path) -> bool:
    return os.path.lexists(root / SPEC_FILE)  # a broken or looping link too: load_spec says what is wrong


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


def _load(root: Path, strict: bool = False) -> Any:
    from .composer import Composer

    return Composer.load(root, strict=strict, on_warning=_warn_line)


# --- build ---------------------------------------------------------------------------------------


@cli.command()
@_root_arg
@_selection_options
@click.option("-o", "--output", "output", type=click.Choice(["yaml", "json", "cli-input-json"]), default="yaml",
              show_default=True,
              help="Output format; cli-input-json prints the ECS task definition as "
                   "`aws ecs register-task-definition --cli-input-json` takes it.")
@click.option("--load-restrictor", "load_restrictor",
              type=click.Choice(["LoadRestrictionsRootOnly", "LoadRestrictionsNone"]),
              default="LoadRestrictionsRootOnly", show_default=True,
              help="Kustomization directories only, as kustomize's flag: LoadRestrictionsNone lets a "
                   "kustomization read files outside its directory.")
def build(root: Path | None, target: str | None, sets: tuple[str, ...], metadata_files: tuple[Path, ...],
          run_id: str | None, run_name: str | None, flow_name: str | None, deployment: str | None,
          strict: bool, output: str, load_restrictor: str) -> None:
    """Print the built spec of ROOT (default: the current directory).

    ROOT with a compose.yaml is a spec repo: metadata (--set, --metadata) selects the
    profile and overlays and fills the parameters. ROOT without one is a kustomization
    directory: the output is what `kubectl kustomize ROOT` prints.
    """
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        if sets or metadata_files or target or run_id or strict or output == "cli-input-json":
            raise UsageError(f"{directory} has no {SPEC_FILE}: --set, --metadata, --target, --run-id, --strict and "
                             "-o cli-input-json apply to spec repos only")
        _write(kustomize_output(directory, output, load_restrictor))
        return
    if load_restrictor != "LoadRestrictionsRootOnly":
        raise UsageError(f"--load-restrictor applies to kustomization directories only ({directory} has a {SPEC_FILE})")
    composer = _load(directory, strict)
    spec = composer.build(_layers(metadata_files, sets), target=target,
                          context=_context(run_id, run_name, flow_name, deployment))
    if output == "cli-input-json":
        if spec.target != "ecs":
            raise UsageError("-o cli-input-json is for --target ecs")
        from ._output import checked_size
        from .ecs import to_cli_input_json
        from .yamlio import check_output, json_escape_controls

        check_output([spec.task_definition])
        _write(checked_size(json_escape_controls(to_cli_input_json(spec.task_definition))))
        return
    _write(_render(spec.documents(), output))


# --- explain -------------------------------------------------------------------------------------


@cli.command()
@_root_arg
@_selection_options
def explain(root: Path | None, target: str | None, sets: tuple[str, ...], metadata_files: tuple[Path, ...],
            run_id: str | None, run_name: str | None, flow_name: str | None, deployment: str | None,
            strict: bool) -> None:
    """Explain a build: parameters and where each came from, each overlay and why it
    applied or not, and for every field of the result the file and line that set it last."""
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: explain works on spec repos")
    composer = _load(directory, strict)
    result = composer.explain(_layers(metadata_files, sets), target=target,
                              context=_context(run_id, run_name, flow_name, deployment))
    _write_human("\n".join(result.lines()) + "\n")


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
         strict: bool, left_sets: tuple[str, ...], right_sets: tuple[str, ...], left_metadata: tuple[Path, ...],
         right_metadata: tuple[Path, ...], exit_code: bool) -> None:
    """A unified diff of the specs built for two metadata sets.

    --set and --metadata apply to both sides; -a/--left and -b/--right to one each:

        compose diff -a job_profile=default -b job_profile=gpu
    """
    from .spec import parse_set
    from .yamlio import check_output, dump_documents

    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: diff works on spec repos")
    composer = _load(directory, strict)
    context = _context(run_id, run_name, flow_name, deployment)
    common = _layers(metadata_files, ())
    texts = []
    for extra_files, extra_sets, label in ((left_metadata, left_sets, "left"), (right_metadata, right_sets, "right")):
        layers = common + _layers(extra_files, ())
        if sets:
            layers.append(parse_set(list(sets)))
        if extra_sets:
            layers.append(parse_set(list(extra_sets), name=f"--{label}"))
        docs = composer.build(layers, target=target, context=context).documents()
        check_output(docs)
        texts.append(dump_documents(docs))
    names = ("left: " + (" ".join(left_sets) or "(common metadata)"), "right: " + (" ".join(right_sets) or "(common metadata)"))
    lines = list(difflib.unified_diff(texts[0].splitlines(keepends=True), texts[1].splitlines(keepends=True),
                                      fromfile=names[0], tofile=names[1]))
    _write_human("".join(lines))
    if exit_code and lines:
        sys.exit(1)


# --- validate / profiles / init ------------------------------------------------------------------


@cli.command()
@_root_arg
@_selection_options
def validate(root: Path | None, target: str | None, sets: tuple[str, ...], metadata_files: tuple[Path, ...],
             run_id: str | None, run_name: str | None, flow_name: str | None, deployment: str | None,
             strict: bool) -> None:
    """Build every overlay set that metadata can select, for every target, and report each
    failing set with the metadata that selects it and every problem (exit status 1 when
    any fails). --set and --metadata give the metadata every build starts from (required
    parameters, fixed keys). Quiet overlays are warnings (errors under --strict)."""
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: validate works on spec repos")
    composer = _load(directory, strict)
    report = composer.validate_report(_layers(metadata_files, sets), target=target,
                                      context=_context(run_id, run_name, flow_name, deployment))
    for w in report.warnings:
        click.echo(f"compose: {'error' if strict else 'warning'}: {printable(str(w))}", err=True)
    for note in report.notes:
        click.echo(f"compose: note: {printable(str(note))}", err=True)
    failed = report.failed
    if report.problems:
        if failed:
            # sets failing with the same problems are shown once, with how many share them
            groups: dict[tuple[str, ...], list[Any]] = {}
            for s in failed:
                key = tuple(str(Problem(p.message, file=p.file, line=p.line, path=p.path)) for p in s.problems)
                groups.setdefault(key, []).append(s)
            click.echo(f"compose: {len(failed)} of {len(report.sets)} overlay sets fail "
                       f"({len(groups)} distinct failure{'s' if len(groups) != 1 else ''}):", err=True)
            for key, sets_ in groups.items():
                more = f", and {len(sets_) - 1} more set{'s' if len(sets_) != 2 else ''} with the same problems" \
                    if len(sets_) > 1 else ""
                click.echo(f"{printable(sets_[0].label)}{more}:", err=True)
                for line in key:
                    click.echo(f"  - {printable(line)}", err=True)
                for other in sets_[1:4]:
                    click.echo(f"    also: {printable(other.label)}", err=True)
        else:
            click.echo(f"compose: {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}:", err=True)
            for p in report.problems:
                click.echo(f"  - {printable(str(p))}", err=True)
        sys.exit(1)
    if strict and report.warnings:
        click.echo(f"compose: {len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''} (--strict)", err=True)
        sys.exit(1)
    spec = composer.spec
    per = ", ".join(f"{t}: {sum(1 for s in report.sets if s.target == t)}" for t in dict.fromkeys(s.target for s in report.sets))
    _write(f"ok: {len(report.sets)} overlay sets valid ({per}; "
           f"{len(spec.profiles)} profiles, {len(spec.overlays)} overlays)\n")


@cli.command()
@_root_arg
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one object for tools (profiles, overlays with targets and conditions, parameters).")
def profiles(root: Path | None, output: str) -> None:
    """List the profiles, overlays (with their conditions) and parameters."""
    directory = _spec_root(root)
    if not _is_spec_repo(directory):
        raise UsageError(f"{directory} has no {SPEC_FILE}: profiles works on spec repos")
    from .spec import load_spec

    spec = load_spec(directory)
    if output == "json":
        from .yamlio import dump_json

        _write(dump_json(_profiles_data(spec)))
        return
    out = [f"spec repo: {spec.root}", f"targets: {', '.join(spec.targets)}",
           f"profile key: {spec.profile_key}", f"default profile: {spec.default_profile or '(none)'}", "", "profiles:"]
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
    _write_human("\n".join(out) + "\n")


def _profiles_data(spec: Any) -> dict[str, Any]:
    """What `compose profiles -o json` prints: plain JSON data, quantities as strings."""
    from .spec.metadata import MISSING
    from .spec.quantity import Quantity

    def plain(value: Any) -> Any:
        if isinstance(value, Quantity):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        return value

    params = {}
    for name, d in spec.parameters.items():
        entry: dict[str, Any] = {"type": d.type}
        if d.default is not MISSING:
            entry["default"] = plain(d.default)
        if d.required:
            entry["required"] = True
        for key, value in (("values", d.values), ("pattern", d.pattern), ("minimum", d.minimum),
                           ("maximum", d.maximum)):
            if value is not None:
                entry[key] = plain(value)
        if d.description:
            entry["description"] = d.description
        params[name] = entry
    return {
        "root": str(spec.root),
        "targets": list(spec.targets),
        "profileKey": spec.profile_key,
        "defaultProfile": spec.default_profile,
        "profiles": {p.name: {"overlays": list(p.overlays), "parameters": plain(p.raw_parameters),
                              "description": p.description} for p in spec.profiles.values()},
        "overlays": [{"name": o.name, "targets": list(o.targets()),
                      "when": plain(o.when.source) if o.when is not None else None,
                      "condition": o.when.describe() if o.when is not None else None,
                      "description": o.description} for o in spec.overlays],
        "parameters": params,
        "metadata": {"unknownKeys": spec.unknown_keys, "rawKeys": list(spec.raw_keys)},
    }


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into a directory that is not empty (never overwrites files).")
def init(directory: Path, force: bool) -> None:
    """Scaffold a spec repo in DIRECTORY that builds out of the box."""
    from .scaffold import scaffold

    written = scaffold(directory, allow_non_empty=force)
    _write_human("".join(f"created {p}\n" for p in written)
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
    """Entry point of the console script.

    click's own usage errors (an unknown option, a bad choice, a missing argument) are shown
    as compose shows its errors: one line on stderr, control characters escaped, exit status 2.
    """
    try:
        code = cli.main(args=argv, prog_name="compose", standalone_mode=False)
    except click.exceptions.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `compose` alone: the help, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        where = exc.ctx.command_path if isinstance(exc, click.UsageError) and exc.ctx is not None else "compose"
        sys.stderr.write(f"compose: error: {printable(exc.format_message(), newlines=False)} "
                         f"(see '{printable(where)} --help')\n")
        sys.stderr.flush()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("compose: error: aborted\n")
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
