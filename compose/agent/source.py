"""Flow runs from JSON lines: one ``FlowRun.from_dict`` object per line.

A line that is not JSON, or not a flow run, becomes an :class:`InvalidInput` carrying its line
number, so the agent reports it and goes on; blank lines are skipped.

>>> list(read_flow_runs(['{"id": "r1", "flow": "etl"}', "", "{oops"]))  # doctest: +ELLIPSIS
[FlowRun(id='r1', ..., flow_name='etl', ...), InvalidInput(message='not JSON: ...', line=3, ...)]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from compose.errors import ComposeError
from compose.model import FlowRun

from .outcome import InvalidInput

__all__ = ["read_flow_runs"]


def read_flow_runs(lines: Iterable[str], *, source: str | None = None) -> Iterator[FlowRun | InvalidInput]:
    """Parse JSON lines into flow runs, lazily (a line is read when the agent wants a run).

    Args:
        lines: the input, one JSON object per line (a text file or ``sys.stdin``).
        source: the input's name, for messages (``"runs.jsonl"``, ``"<stdin>"``).

    Yields:
        A :class:`FlowRun` per good line, an :class:`InvalidInput` per bad one.
    """
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            col = getattr(exc, "colno", None)
            yield InvalidInput(f"not JSON: {msg}" + (f" (column {col})" if col else ""), line=number, source=source)
            continue
        try:
            yield FlowRun.from_dict(data)
        except ComposeError as exc:
            run_id = data.get("id") if isinstance(data, Mapping) else None
            yield InvalidInput(exc.message, line=number, run_id=run_id if isinstance(run_id, str) and run_id else None,
                               source=source)
