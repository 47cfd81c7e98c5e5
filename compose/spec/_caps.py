"""Size caps on values from run metadata, read from :mod:`compose.limits` at each check.

``max_value_chars`` bounds a string or enum parameter value (and a condition operand) before
its pattern is matched; ``max_number_chars`` bounds a number or quantity written as text
before it is parsed, and the digits of an integer value (Python's ``str()``/``int()`` give up
at 4,300 digits; Kubernetes and ECS numbers have at most 19).
"""

from __future__ import annotations

from typing import Any

from compose.limits import current

__all__ = ["max_value_chars", "max_number_chars", "huge_int", "clip"]


def max_value_chars() -> int:
    return current().max_value_chars


def max_number_chars() -> int:
    return current().max_number_chars


def huge_int(value: Any) -> bool:
    """An int with more digits than ``max_number_chars`` (checked without formatting it)."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value.bit_length() > 3.33 * current().max_number_chars
    )


def clip(text: str, keep: int = 40) -> str:
    """``repr`` of ``text`` cut to ``keep`` characters, for messages about over-long values.

    >>> clip("a" * 100, 5)
    "'aaaaa...' (100 characters)"
    """
    if len(text) <= keep:
        return repr(text)
    return f"{text[:keep] + '...'!r} ({len(text)} characters)"
