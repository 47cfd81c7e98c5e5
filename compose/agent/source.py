"""Flow runs from JSON lines: one ``FlowRun.from_dict`` object per line.

A line that is not a flow run becomes an :class:`InvalidInput` carrying its line number, so
the agent reports it and goes on; blank lines are skipped. What makes a line bad: invalid
UTF-8, not JSON, JSON nested too deeply to parse, longer than the line budget
(:data:`MAX_LINE_BYTES`), or JSON that is not a flow-run object. A UTF-8 byte order mark at
the start of the first line is ignored.

:func:`read_flow_runs` reads text lines (any iterable of ``str``). :class:`LineReader` is what
``compose agent`` reads with: it takes bytes from a file descriptor (a file or a pipe) itself,
so that it can stop when the agent stops, and it can say which lines it has read but not
handed out (:meth:`LineReader.unread`): the agent reports each of them ``not-started``, so every
line consumed gets exactly one outcome.

>>> list(read_flow_runs(['{"id": "r1", "flow": "etl"}', "", "{oops"]))  # doctest: +ELLIPSIS
[FlowRun(id='r1', ..., flow_name='etl', ...), InvalidInput(message='not JSON: ...', line=3, ...)]
"""

from __future__ import annotations

import json
import os
import select
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from compose.errors import ComposeError
from compose.model import FlowRun

from .outcome import InvalidInput

__all__ = ["read_flow_runs", "LineRun", "LineReader", "parse_line", "MAX_LINE_BYTES"]

#: The longest input line read (bytes, newline excluded); longer lines are ``invalid-input``.
MAX_LINE_BYTES = 1 << 20

_BOM = "\ufeff"


@dataclass(frozen=True)
class LineRun:
    """A flow run and the input line it came from (the agent puts ``line`` on its outcome).

    Attributes:
        run: the flow run.
        line: its 1-based line number.
        source: the input's name, for messages.
    """

    run: FlowRun
    line: int
    source: str | None = None


def parse_line(text: str | bytes, number: int, *, source: str | None = None,
               max_bytes: int = MAX_LINE_BYTES) -> LineRun | InvalidInput | None:
    """One input line as a :class:`LineRun`, an :class:`InvalidInput`, or None when blank.

    >>> parse_line(b'{"id": "r1"}', 4).line
    4
    >>> parse_line(b"\\xff{}", 2).message
    'not UTF-8: invalid start byte at byte 1'
    >>> parse_line("[" * 100000 + "]" * 100000, 1).message
    'JSON nested too deeply to read'
    """
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            return InvalidInput(f"line longer than {max_bytes} bytes ({len(text)} bytes)", line=number, source=source)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            return InvalidInput(f"not UTF-8: {exc.reason} at byte {exc.start + 1}", line=number, source=source)
    elif len(text) > max_bytes:
        return InvalidInput(f"line longer than {max_bytes} characters", line=number, source=source)
    if number == 1 and text.startswith(_BOM):
        text = text[1:]
    text = text.strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except RecursionError:
        return InvalidInput("JSON nested too deeply to read", line=number, source=source)
    except ValueError as exc:
        msg = getattr(exc, "msg", str(exc))
        col = getattr(exc, "colno", None)
        return InvalidInput(f"not JSON: {msg}" + (f" (column {col})" if col else ""), line=number, source=source)
    try:
        return LineRun(FlowRun.from_dict(data), number, source)
    except ComposeError as exc:
        run_id = data.get("id") if isinstance(data, Mapping) else None
        return InvalidInput(exc.message, line=number, run_id=run_id if isinstance(run_id, str) and run_id else None,
                            source=source)
    except RecursionError:
        return InvalidInput("JSON nested too deeply to read", line=number, source=source)


def read_flow_runs(lines: Iterable[str], *, source: str | None = None,
                   numbered: bool = False) -> Iterator[FlowRun | LineRun | InvalidInput]:
    """Parse JSON lines into flow runs, lazily (a line is read when the agent wants a run).

    Args:
        lines: the input, one JSON object per line (a text file or ``sys.stdin``).
        source: the input's name, for messages (``"runs.jsonl"``, ``"<stdin>"``).
        numbered: yield :class:`LineRun` (the run with its line number, which the agent
            puts on the outcome) instead of bare :class:`FlowRun`.

    Yields:
        A :class:`FlowRun` (or :class:`LineRun`) per good line, an :class:`InvalidInput` per
        bad one.
    """
    for number, line in enumerate(lines, 1):
        item = parse_line(line, number, source=source)
        if item is None:
            continue
        if isinstance(item, LineRun) and not numbered:
            yield item.run
        else:
            yield item


@dataclass(frozen=True)
class CutLine:
    """Bytes of a line the agent read but could not finish reading before it stopped."""

    line: int
    size: int
    source: str | None = None


class LineReader:
    """Flow runs from a binary file descriptor, read in chunks, stoppable, nothing lost.

    Iterating yields :class:`LineRun` and :class:`InvalidInput` items. Reading waits for
    input in slices of ``poll`` seconds and ends soon after :meth:`stop`. Lines read ahead
    into the buffer but not yet handed out, and a line cut by the stop, are returned by
    :meth:`unread` so that the agent can answer each.

    Args:
        stream: a binary file object or a file descriptor (``sys.stdin.buffer``, an open file).
        source: the input's name, for messages.
        max_line_bytes: the longest line read; a longer one is skipped (never held in memory
            whole) and reported ``invalid-input``.
        chunk: bytes per read.
        poll: seconds between two looks at a stop request while waiting for input.
    """

    def __init__(self, stream: BinaryIO | int, *, source: str | None = None, max_line_bytes: int = MAX_LINE_BYTES,
                 chunk: int = 1 << 14, poll: float = 0.1) -> None:
        self.fd: int | None
        self._stream: Any = None
        if isinstance(stream, int):
            self.fd = stream
        else:
            try:
                self.fd = stream.fileno()
            except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
                self.fd, self._stream = None, stream  # an in-memory stream: read it directly
        self.source = source
        self.max_line_bytes = max_line_bytes
        self.chunk = chunk
        self.poll = poll
        self._stop = threading.Event()
        self._buf = bytearray()
        self._number = 0  # lines completed so far
        self._eof = False
        self._skipping = 0  # bytes of an over-long line dropped so far (0: not skipping)
        self._pending: list[Any] = []

    def stop(self) -> None:
        """End the iteration at the next look (safe from a signal handler)."""
        self._stop.set()

    def _read(self, timeout: float) -> bool:
        """Read one chunk if input is ready within ``timeout``; False when nothing came."""
        if self.fd is None:
            read = getattr(self._stream, "read1", None) or self._stream.read
            data = read(self.chunk)
            if isinstance(data, str):
                data = data.encode("utf-8", "surrogateescape")
        else:
            try:
                ready, _, _ = select.select([self.fd], [], [], timeout)
            except (OSError, ValueError):
                ready = [self.fd]  # not selectable here: just read
            if not ready:
                return False
            data = os.read(self.fd, self.chunk)
        if not data:
            self._eof = True
            return True
        if self._skipping:
            cut = data.find(b"\n")
            if cut < 0:
                self._skipping += len(data)
                return True
            self._skipping += cut
            self._number += 1
            self._pending.append(InvalidInput(
                f"line longer than {self.max_line_bytes} bytes ({self._skipping} bytes)",
                line=self._number, source=self.source))
            self._skipping = 0
            data = data[cut + 1:]
        self._buf += data
        if b"\n" not in self._buf and len(self._buf) > self.max_line_bytes:
            self._skipping = len(self._buf)
            self._buf.clear()
        return True

    def _next_line(self) -> Any:
        """The next item from what is buffered (no reading), or None."""
        while True:
            if self._pending:
                return self._pending.pop(0)
            cut = self._buf.find(b"\n")
            if cut < 0:
                if self._eof and (self._buf or self._skipping):
                    raw, self._buf = bytes(self._buf), bytearray()
                    self._number += 1
                    if self._skipping:
                        size, self._skipping = self._skipping, 0
                        return InvalidInput(f"line longer than {self.max_line_bytes} bytes ({size} bytes)",
                                            line=self._number, source=self.source)
                    item = parse_line(raw, self._number, source=self.source, max_bytes=self.max_line_bytes)
                    if item is not None:
                        return item
                    continue
                return None
            raw = bytes(self._buf[:cut])
            del self._buf[: cut + 1]
            self._number += 1
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            item = parse_line(raw, self._number, source=self.source, max_bytes=self.max_line_bytes)
            if item is not None:
                return item

    def __iter__(self) -> Iterator[Any]:
        while True:
            if self._stop.is_set():
                return  # what is buffered goes to unread()
            item = self._next_line()
            if item is not None:
                yield item
                continue
            if self._eof:
                return
            self._read(self.poll)

    def unread(self, finish_within: float = 0.5, finish_bytes: int = 1 << 16) -> list[Any]:
        """Items read from the input but not handed out, in order, after a stop.

        A line whose first bytes were read is finished, one byte at a time so that nothing
        after its newline is consumed, if its end arrives within ``finish_within`` seconds
        and ``finish_bytes`` bytes; otherwise it is returned as a :class:`CutLine`.
        """
        out: list[Any] = []
        while True:
            item = self._next_line()
            if item is None:
                break
            out.append(item)
        if self._eof or not (self._buf or self._skipping):
            return out
        end = time.monotonic() + finish_within
        taken = 0
        byte: bytes | None = None
        while time.monotonic() < end and taken < finish_bytes:
            byte = self._read_byte(max(0.0, end - time.monotonic()))
            if byte is None:
                continue
            taken += 1
            if byte == b"":
                self._eof = True
                break
            if self._skipping:
                self._skipping += 1
            else:
                self._buf += byte
            if byte == b"\n":
                break
        if self._eof or self._buf.endswith(b"\n") or (self._skipping and taken and byte == b"\n"):
            if self._skipping and byte == b"\n":
                self._skipping -= 1
                self._number += 1
                out.append(InvalidInput(f"line longer than {self.max_line_bytes} bytes ({self._skipping} bytes)",
                                        line=self._number, source=self.source))
                self._skipping = 0
            while True:
                item = self._next_line()
                if item is None:
                    break
                out.append(item)
            return out
        size = len(self._buf) + self._skipping
        self._buf.clear()
        self._skipping = 0
        out.append(CutLine(self._number + 1, size, self.source))
        return out

    def _read_byte(self, timeout: float) -> bytes | None:
        """One byte (b"" at the end), or None when none came within ``timeout``."""
        if self.fd is None:
            return self._stream.read(1) or b""
        try:
            ready, _, _ = select.select([self.fd], [], [], min(timeout, self.poll))
        except (OSError, ValueError):
            ready = [self.fd]
        if not ready:
            return None
        return os.read(self.fd, 1)
