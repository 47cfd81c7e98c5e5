"""Embedding compose in an agent: generate each flow run's spec, submit it once, report.

Load the spec repo once, then let an :class:`Agent` work through the runs::

    from compose.agent import Agent, ComposerGenerator
    from compose.runner import KubernetesRunner

    generator = ComposerGenerator.from_path("specs/", "kubernetes",
                                            metadata_defaults={"image": "ghcr.io/acme/flows:1.4"})
    agent = Agent(runs, generator, KubernetesRunner(context="prod", namespace="flows"),
                  concurrency=8, on_outcome=lambda o: print(o.to_dict()))
    agent.run()          # SIGTERM: no new runs, the ones in flight finish

Pieces, one module each:

* :mod:`~compose.agent.generator` - the generator protocol, the Composer-backed default,
  :func:`wrap`, :func:`generate_job_spec`.
* :mod:`~compose.agent.backends` - the agent's view of the Kubernetes and ECS runners.
* :mod:`~compose.agent.agent` - :func:`process_run` (one run) and :class:`Agent` (many).
* :mod:`~compose.agent.outcome` - :class:`Outcome`, what is reported per run.
* :mod:`~compose.agent.source` - :func:`read_flow_runs` and :class:`LineReader`, flow runs
  from JSON lines (the reader ``compose agent`` uses: stoppable, nothing read is lost).

Importing this package imports neither ``kubernetes`` nor ``boto3``.
"""

from __future__ import annotations

from .agent import Agent, AgentSummary, process_run
from .backends import Backend, EcsBackend, KubernetesBackend, Submitted, backends_for
from .generator import (
    ComposerGenerator,
    GeneratorLike,
    JobSpecGenerator,
    as_generator,
    as_spec,
    generate_job_spec,
    wrap,
)
from .outcome import OK_STATUSES, STATUSES, InvalidInput, Outcome, Status
from .source import LineReader, LineRun, read_flow_runs

__all__ = [
    "Agent",
    "AgentSummary",
    "process_run",
    "Backend",
    "KubernetesBackend",
    "EcsBackend",
    "Submitted",
    "backends_for",
    "JobSpecGenerator",
    "GeneratorLike",
    "ComposerGenerator",
    "as_generator",
    "as_spec",
    "wrap",
    "generate_job_spec",
    "Outcome",
    "Status",
    "STATUSES",
    "OK_STATUSES",
    "InvalidInput",
    "read_flow_runs",
    "LineReader",
    "LineRun",
]
