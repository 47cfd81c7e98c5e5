"""Size caps on values from run metadata, read from :mod:`compose.limits` when they matter.

``max_value_chars`` bounds a string parameter value (and a condition operand) before its
pattern is matched; ``max_number_chars`` bounds a number or quantity written as text before
it is parsed, and the digits of an integer value (Python's ``str()``/``int()`` give up at
4,300 digits; Kubernetes and ECS numbers have at most 19).

These checks sit on the path of every build, and reading the limits (environment and
:func:`compose.limits.configure`) costs more than the check itself. So a value short enough to
pass any sensible setting never looks the limits up: strings up to :data:`VALUE_FLOOR`
characters, numbers up to :data:`NUMBER_FLOOR` characters and metadata up to
:data:`DEPTH_FLOOR` levels are always accepted (a limit set below a floor acts as the floor).
"""

from __future__ import annotations

from typing import Any

from compose.limits import current

__all__ = ["VALUE_FLOOR", "NUMBER_FLOOR", "DEPTH_FLOOR", "value_over", "number_over", "huge_int",
           "max_number_chars", "clip"]

#: Strings this long or shorter are never refused by max_value_chars.
VALUE_FLOOR = 1024
#: Number texts this long or shorter (and ints of as many digits) are never refused by max_number_chars.
NUMBER_FLOOR = 32
#: Metadata this deep or shallower is never refused by max_depth.
DEPTH_FLOOR = 32


def value_over(text: str) -> int | None:
    """The ``max_value_chars`` limit when ``text`` is longer, else None."""
    if len(text) <= VALUE_FLOOR:
        return None
    limit = current().max_value_chars
    return limit if len(text) > max(limit, VALUE_FLOOR) else None


def number_over(text: str) -> int | None:
    """The ``max_number_chars`` limit when ``text`` is longer, else None."""
    if len(text) <= NUMBER_FLOOR:
        return None
    limit = current().max_number_chars
    return limit if len(text) > max(limit, NUMBER_FLOOR) else None


def max_number_chars() -> int:
    return max(current().max_number_chars, NUMBER_FLOOR)


def huge_int(value: Any) -> bool:
    """An int with more digits than ``max_number_chars`` (checked without formatting it)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    bits = value.bit_length()
    return bits > 3.33 * NUMBER_FLOOR and bits > 3.33 * max_number_chars()


def clip(text: str, keep: int = 40) -> str:
    """``repr`` of ``text`` cut to ``keep`` characters, for messages about over-long values.

    >>> clip("a" * 100, 5)
    "'aaaaa...' (100 characters)"
    """
    if len(text) <= keep:
        return repr(text)
    return f"{text[:keep] + '...'!r} ({len(text)} characters)"
