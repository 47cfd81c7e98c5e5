"""Collecting problems and raising them together (private helpers of compose.spec)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compose.errors import Problem, SpecError, ValidationError, describe_value
from compose.yamlio import scalar_is_ambiguous

__all__ = ["SpecInvalid", "raise_problems", "problem_at", "type_name", "show"]


class SpecInvalid(SpecError, ValidationError):
    """Several problems found at once; both a :class:`SpecError` and a :class:`ValidationError`.

    ``problems`` lists each with its file and line; ``str()`` shows them all.
    """


def raise_problems(problems: Sequence[Problem], what: str, step: str = "load") -> None:
    """Raise nothing for no problems, a :class:`SpecError` for one, :class:`SpecInvalid` for more."""
    if not problems:
        return
    if len(problems) == 1:
        p = problems[0]
        message = f"[{p.source}] {p.message}" if p.source else p.message
        raise SpecError(message, file=p.file, line=p.line, path=p.path, step=step)
    raise SpecInvalid(problems, what=what, step=step)


def problem_at(
    message: str,
    file: str | None,
    locations: Mapping[tuple[Any, ...], tuple[int, int]] | None,
    path: Iterable[Any],
    source: str | None = None,
) -> Problem:
    """A Problem at ``path`` in ``file``, with the line of the nearest located ancestor."""
    p = tuple(path)
    line = None
    if locations:
        q = p
        while True:
            loc = locations.get(q)
            if loc is not None:
                line = loc[0]
                break
            if not q:
                break
            q = q[:-1]
    return Problem(message, file=file, line=line, path=p or None, source=source)


def type_name(value: Any) -> str:
    """How a value is named in messages: ``integer 3``, ``string '3'``, ``a mapping``."""
    return describe_value(value, mapping="a mapping", limit=None)


def show(value: Any) -> str:
    """A value as written in reasons and descriptions: ``gpu``, ``32Gi``, ``true``, ``'a b'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        if value and all(c.isalnum() or c in "._-/:@+" for c in value) and not scalar_is_ambiguous(value):
            return value
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def render_show(value: Any) -> str:
    """:func:`show` for any metadata value, including nested data."""
    if isinstance(value, dict):
        return "{...}"
    return show(value)
