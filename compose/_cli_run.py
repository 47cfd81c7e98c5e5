"""``compose submit``, ``compose cancel`` and ``compose agent``: the runner and agent commands.

:func:`register` adds them to the ``compose`` group. They write JSON only on stdout (one
outcome per line, flushed per line); messages and logs go to stderr. Neither ``kubernetes``
nor ``boto3`` is imported until a command needs a runner.

Exit status: 0 when every outcome is ``succeeded``, ``submitted`` or ``dry-run``; 1 when a
run failed in any way (its outcome says how); for errors before any run (a spec repo that does
not load, no cluster configuration, bad options) the error's own status (2 for usage).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .errors import SubmitError, UsageError

__all__ = ["register"]

TARGETS = ("kubernetes", "ecs")


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, default=str) + "\n")
    sys.stdout.flush()


def _runner_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options that configure the Kubernetes and ECS runners."""
    options = [
        click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Kubeconfig file (default: $KUBECONFIG or ~/.kube/config)."),
        click.option("--context", default=None, help="Kubeconfig context (default: the current one)."),
        click.option("-n", "--namespace", default=None, help="Kubernetes namespace (default: the context's)."),
        click.option("--in-cluster", is_flag=True, default=False,
                     help="Use the pod's service account instead of a kubeconfig."),
        click.option("--region", default=None, help="AWS region for ECS (default: the AWS configuration's)."),
        click.option("--cluster", default=None,
                     help="ECS cluster when the spec names none (and for cancel: where to look)."),
        click.option("--endpoint-url", default=None, help="ECS endpoint (a VPC endpoint, a test server)."),
        click.option("--aws-profile", default=None, help="AWS profile for ECS."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _spec_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options that choose what the composer builds."""
    options = [
        click.argument("root", required=False, type=click.Path(path_type=Path)),
        click.option("-t", "--target", type=click.Choice(TARGETS), default="kubernetes", show_default=True,
                     help="What to build and submit."),
        click.option("-s", "--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Set a metadata value (coerced to the parameter's type); repeatable; applied last."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


_dry_run_option = click.option(
    "--dry-run", type=click.Choice(["server", "client"]), is_flag=False, flag_value="client", default=None,
    help="client: build and check only, send nothing; server: the API server validates and admits "
         "without storing (Kubernetes only). A bare --dry-run means client.",
)


def _backend(target: str, opts: dict[str, Any], *, dry_run: str | None) -> Any:
    """The backend for ``target``, with a runner unless a client dry run needs none."""
    from .agent import EcsBackend, KubernetesBackend

    if target == "kubernetes":
        if dry_run == "client":
            return KubernetesBackend(None, namespace=opts["namespace"])
        from .runner.kubernetes import KubernetesRunner

        runner = KubernetesRunner(
            kubeconfig=opts["kubeconfig"], context=opts["context"], namespace=opts["namespace"],
            in_cluster=True if opts["in_cluster"] else None,
        )
        return KubernetesBackend(runner)
    if dry_run == "server":
        raise UsageError("ECS has no server-side dry run; use --dry-run=client")
    if dry_run == "client":
        return EcsBackend(None)
    from .runner.ecs import EcsRunner

    runner = EcsRunner(region=opts["region"], profile=opts["aws_profile"], endpoint_url=opts["endpoint_url"],
                       cluster=opts["cluster"])
    return EcsBackend(runner, poll=opts.get("poll") or 6.0)


def _generator(root: Path | None, target: str, sets: tuple[str, ...], defaults: dict[str, Any] | None,
               *, warm: bool = False) -> Any:
    from .agent import ComposerGenerator
    from .composer import Composer
    from ._output import spec_root, warn
    from .spec.metadata import parse_set

    path = spec_root(root)
    set_values = parse_set(list(sets)).data
    composer = Composer.load(path, on_warning=warn)
    if warm:
        # A long-running agent builds every selectable overlay set up front: no run waits
        # for a first build of its set, and no build reads the spec repo's files after this.
        composer.warm()
    return ComposerGenerator(composer, target, sets=set_values, metadata_defaults=defaults)


def _read_metadata(paths: tuple[Path, ...]) -> dict[str, Any]:
    """The files' metadata, deep-merged in order (later files win)."""
    if not paths:
        return {}
    from .spec.metadata import load_metadata_file, merge_layers

    return merge_layers([load_metadata_file(p) for p in paths]).data


def _labels(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--label expects key=value, got {item!r}")
        out[key] = value
    return out


# --------------------------------------------------------------------------- submit


@click.command("submit")
@_spec_options
@click.option("--run-id", required=True, help="The run id: names the Job / keys the ECS task; same id, same run.")
@click.option("--run-name", default="", help="A human name for the run.")
@click.option("--flow-name", default="", help="The flow's name.")
@click.option("--deployment", default="", help="The deployment's name.")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="A run label; repeatable.")
@click.option("-m", "--metadata", "metadata_files", multiple=True, metavar="FILE", type=click.Path(path_type=Path),
              help="A YAML/JSON file of the run's metadata; repeatable, later files win.")
@click.option("--wait/--no-wait", default=False, show_default=True, help="Wait for the run to end.")
@click.option("--timeout", type=click.FloatRange(min=0), default=3600.0, show_default=True,
              help="Seconds to wait at most.")
@_dry_run_option
@click.option("--logs", is_flag=True, help="Follow the flow container's log on stderr (Kubernetes; implies --wait).")
@click.option("--poll", type=click.FloatRange(min=0), default=6.0, show_default=True,
              help="Seconds between two looks at an ECS task while waiting.")
@_runner_options
def submit(root: Path | None, target: str, sets: tuple[str, ...], run_id: str, run_name: str, flow_name: str,
           deployment: str, labels: tuple[str, ...], metadata_files: tuple[Path, ...], wait: bool, timeout: float,
           dry_run: str | None, logs: bool, **opts: Any) -> None:
    """Build the spec of one run from ROOT (default: .) and submit it; print its outcome as JSON.

    Submitting the same --run-id again creates nothing new: the outcome says
    "already_submitted": true.
    """
    from .agent import process_run
    from .model import FlowRun

    if logs and target != "kubernetes":
        raise UsageError("--logs follows Kubernetes pod logs; ECS logs are in CloudWatch")
    if logs and dry_run:
        raise UsageError("--logs cannot be combined with --dry-run")
    flow_run = FlowRun(id=run_id, name=run_name, flow_name=flow_name, deployment=deployment,
                       metadata=_read_metadata(metadata_files), labels=_labels(labels))
    generator = _generator(root, target, sets, None)
    backend = _backend(target, opts, dry_run=dry_run)
    outcome = process_run(flow_run, generator, {target: backend}, wait=wait or logs, timeout=timeout,
                          dry_run=dry_run, log_stream=sys.stderr if logs else None)
    _emit(outcome.to_dict())
    if not outcome.ok:
        click.echo(f"compose: {outcome.status}: {outcome.message}", err=True)
        sys.exit(1)


# --------------------------------------------------------------------------- cancel


@click.command("cancel")
@click.option("--run-id", required=True, help="The run whose Job / task to cancel.")
@click.option("-t", "--target", type=click.Choice(TARGETS), default="kubernetes", show_default=True)
@_runner_options
def cancel(run_id: str, target: str, **opts: Any) -> None:
    """Cancel a submitted run: delete its Job (foreground: pods first) or stop its ECS task.

    Finds what belongs to the run by its run-id label / tag, so no spec repo is needed.
    Prints one JSON line; exits 1 when nothing was found for the run.
    """
    backend = _backend(target, opts, dry_run=None)
    cancelled = backend.cancel(run_id)
    found = bool(cancelled)
    key = "jobs" if target == "kubernetes" else "tasks"
    _emit({
        "status": "cancelled" if found else "not-found",
        "run_id": run_id,
        "target": target,
        key: cancelled,
        "message": (f"cancelled {', '.join(cancelled)}" if found
                    else f"nothing submitted for run {run_id!r} was found"),
    })
    if not found:
        click.echo(f"compose: nothing to cancel for run {run_id!r}", err=True)
        sys.exit(1)


# --------------------------------------------------------------------------- agent


@click.command("agent")
@_spec_options
@click.option("-i", "--input", "input_path", default="-", show_default=True,
              help="File of flow runs, one JSON object per line; - reads stdin.")
@click.option("-m", "--metadata", "metadata_files", multiple=True, metavar="FILE", type=click.Path(path_type=Path),
              help="A YAML/JSON file of the agent's metadata defaults (below each run's metadata); "
                   "repeatable, later files win.")
@click.option("-c", "--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Runs in flight at most.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for each run to end.")
@click.option("--timeout", type=click.FloatRange(min=0), default=3600.0, show_default=True,
              help="Seconds to wait for one run at most.")
@_dry_run_option
@click.option("--poll", type=click.FloatRange(min=0), default=6.0, show_default=True,
              help="Seconds between two looks at an ECS task while waiting.")
@click.option("--wait-slice", type=click.FloatRange(min=0.01), default=5.0, hidden=True,
              help="Seconds between two looks at a stop-waiting request (a second signal).")
@click.option("--drain-timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True,
              help="Seconds from SIGTERM until the agent has answered every run it read and exits.")
@_runner_options
def agent(root: Path | None, target: str, sets: tuple[str, ...], input_path: str, metadata_files: tuple[Path, ...],
          concurrency: int, wait: bool, timeout: float, dry_run: str | None, wait_slice: float,
          drain_timeout: float, **opts: Any) -> None:
    """Submit flow runs read as JSON lines; write one JSON outcome line per run.

    Each input line is an object such as {"id": "7f9c", "flow": "etl", "metadata":
    {"job_profile": "gpu"}}. A bad line (not UTF-8, not JSON, too long or too deep, not a
    flow run) gets an "invalid-input" outcome with its line number and the agent goes on.
    On SIGTERM or Ctrl-C the agent reads no more lines, answers every line it had read, and
    finishes the runs in flight within --drain-timeout; a second signal stops waiting.
    """
    from .agent import Agent
    from .agent.source import LineReader

    generator = _generator(root, target, sets, _read_metadata(metadata_files), warm=True)
    backend = _backend(target, opts, dry_run=dry_run)
    if input_path == "-":
        stream, name, owned = sys.stdin.buffer, "<stdin>", False
    else:
        try:
            stream, name, owned = open(input_path, "rb"), input_path, True
        except OSError as exc:
            raise UsageError(f"cannot read {input_path}: {exc.strerror or exc}") from exc
    lost: list[str | None] = []

    def emit(outcome: Any) -> None:
        if lost:
            lost.append(outcome.run_id)
            return
        try:
            _emit(outcome.to_dict())
        except BrokenPipeError:
            # Nobody reads the outcomes any more: take no more runs, finish those in flight.
            lost.append(outcome.run_id)
            runner.stop()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    try:
        runner = Agent(
            LineReader(stream, source=name), generator, {target: backend},
            concurrency=concurrency, wait=wait, timeout=timeout, dry_run=dry_run, wait_slice=wait_slice,
            on_outcome=emit, drain_timeout=drain_timeout,
        )
        summary = runner.run()
    finally:
        if owned:
            stream.close()
    if lost:
        ids = ", ".join(str(i) for i in lost)
        raise SubmitError(f"stdout was closed; took no more runs; outcomes not written for: {ids}", step="agent")
    if not summary.ok:
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add ``submit``, ``cancel`` and ``agent`` to ``group`` (the ``compose`` command)."""
    for command in (submit, cancel, agent):
        group.add_command(command)
