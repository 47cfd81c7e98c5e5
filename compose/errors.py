"""The one exception root of compose.

Every error compose raises on purpose is a :class:`ComposeError`. It knows its exit
status and how to show itself, and carries where it happened: the file, line and
column, the field path inside the document, and the step of the pipeline that failed.
The CLI turns any ``ComposeError`` into one message on stderr and its exit status;
nothing else is caught there, so a bug still shows its traceback.

Messages are safe to print: :meth:`ComposeError.format` and ``str(Problem)`` escape control
characters (ESC, BEL, C1, bidirectional overrides...) with :func:`printable`, and a message
longer than :data:`MAX_MESSAGE` characters is cut in the middle (:func:`truncate`), so a
10 MB value echoed in an error keeps its key and location and loses its bulk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import re
from typing import Any

__all__ = [
    "ComposeError",
    "UsageError",
    "YAMLSyntaxError",
    "KustomizationError",
    "MergeError",
    "PatchError",
    "SpecError",
    "ValidationError",
    "Problem",
    "SubmitError",
    "OutputError",
    "describe_value",
    "format_path",
    "printable",
    "truncate",
    "MAX_MESSAGE",
]

#: Longest message kept whole; longer ones are cut in the middle.
MAX_MESSAGE = 1000

# C0 controls but tab and newline, DEL, C1 controls, line/paragraph separators, bidirectional
# embeddings, overrides and isolates, the BOM, and lone surrogates (bytes that were not UTF-8).
_UNPRINTABLE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"  # compiled on first use


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as surrogateescape decoded it
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` with control characters escaped, safe to write to a terminal.

    Tabs are kept, and newlines when ``newlines`` is true; ESC, BEL, other C0 and C1
    controls, DEL, bidirectional overrides and lone surrogates become ``\\xNN`` /
    ``\\uNNNN``.

    >>> printable("red \\x1b[31mtext\\x07 ok")
    'red \\\\x1b[31mtext\\\\x07 ok'
    """
    if not newlines:
        text = text.replace("\n", "\\n").replace("\r", "\\r")
    return re.sub(_UNPRINTABLE, _escape, text) if re.search(_UNPRINTABLE, text) else text


def truncate(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut in the middle when longer than ``limit``, saying how much was cut.

    >>> truncate("key 'k': " + "x" * 50 + " at the end", 30)
    "key 'k': xxxxxxxxxxx... [43 characters cut] ...the end"
    """
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit // 4
    cut = len(text) - head - tail
    return f"{text[:head]}... [{cut} characters cut] ...{text[-tail:]}"



def describe_value(value: Any, *, mapping: str = "an object", limit: int | None = 40) -> str:
    """How a value is named in messages: ``integer 3``, ``string '3'``, ``an object``.

    Args:
        value: the value.
        mapping: how to call a mapping (``"an object"`` for JSON-minded schemas,
            ``"a mapping"`` for YAML-minded ones).
        limit: strings longer than this are cut (with ``...``); None keeps them whole.

    >>> describe_value("3"), describe_value(3), describe_value(True), describe_value({})
    ("string '3'", 'integer 3', 'boolean true', 'an object')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        text = value if limit is None or len(value) <= limit else value[: limit - 3] + "..."
        return f"string {text!r}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, dict):
        return mapping
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def format_path(path: Sequence[Any] | None) -> str:
    """Render a field path such as ``('spec', 'containers', 0, 'name')``.

    >>> format_path(('spec', 'containers', 0, 'name'))
    'spec.containers[0].name'
    """
    if not path:
        return ""
    out = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            text = str(part)
            out.append(("." if out else "") + text)
    return "".join(out)


class ComposeError(Exception):
    """Root of every error compose raises on purpose.

    Attributes:
        message: what went wrong, one sentence, no location.
        file: the file the problem is in, if any.
        line: 1-based line in ``file``, if known.
        column: 1-based column in ``file``, if known.
        path: the field path inside the document, if any.
        step: the pipeline step that failed (``"load"``, ``"patch"``, ...), if any.
    """

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: Sequence[Any] | None = None,
        step: str | None = None,
    ) -> None:
        message = truncate(message)
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = tuple(path) if path else None
        self.step = step

    def location(self) -> str:
        """``file:line:column`` as far as known, or ``""``."""
        if not self.file:
            return ""
        loc = str(self.file)
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def with_context(self, **kw: Any) -> "ComposeError":
        """Fill in location fields that are still unknown; return self."""
        for key in ("file", "line", "column", "step"):
            if kw.get(key) is not None and getattr(self, key) is None:
                setattr(self, key, kw[key])
        if kw.get("path") is not None and self.path is None:
            self.path = tuple(kw["path"])
        return self

    def format(self) -> str:
        """The one-line (or, for several problems, multi-line) text shown to users."""
        parts = []
        loc = self.location()
        if loc:
            parts.append(loc)
        if self.step:
            parts.append(self.step)
        head = ": ".join(parts)
        text = self.message
        if self.path:
            text += f" (at {truncate(format_path(self.path), 200)})"
        return printable(f"{head}: {text}" if head else text)

    def __str__(self) -> str:
        return self.format()


class UsageError(ComposeError):
    """Wrong command-line usage; exit status 2 as click does."""

    exit_code = 2


class YAMLSyntaxError(ComposeError):
    """A file is not well-formed YAML (or JSON)."""


class KustomizationError(ComposeError):
    """A kustomization (or component) is invalid or cannot be built."""


class MergeError(ComposeError):
    """A strategic merge patch cannot be applied."""


class PatchError(ComposeError):
    """A JSON 6902 patch cannot be applied."""


class SpecError(ComposeError):
    """A spec repo (``compose.yaml``), a parameter or metadata value is invalid."""


class Problem:
    """One problem found by validation: a message with its location."""

    __slots__ = ("message", "file", "line", "path", "source")

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: Sequence[Any] | None = None,
        source: str | None = None,
    ) -> None:
        self.message = truncate(message)
        self.file = file
        self.line = line
        self.path = tuple(path) if path else None
        self.source = source

    def __str__(self) -> str:
        loc = ""
        if self.file:
            loc = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        where = f" (at {truncate(format_path(self.path), 200)})" if self.path else ""
        src = f"[{self.source}] " if self.source else ""
        return printable(f"{loc}{src}{self.message}{where}")

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class ValidationError(ComposeError):
    """A built spec failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem], *, what: str = "spec", **kw: Any) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        super().__init__(f"{what} is invalid: {n} problem{'s' if n != 1 else ''}", **kw)

    def format(self) -> str:
        return "\n".join([super().format()] + [f"  - {p}" for p in self.problems])


class OutputError(ComposeError):
    """A result cannot be written: too large, or it holds a value its format cannot carry."""


class SubmitError(ComposeError):
    """Submitting, waiting for or cancelling a job failed."""
