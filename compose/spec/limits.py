"""Size limits on values that come from run metadata, checked before anything parses them.

Every limit is a module attribute read at the moment of the check, so a program that needs
more can raise it before building (``compose.spec.limits.MAX_STRING_VALUE = 1 << 20``); the
command line reads the same attributes. The defaults are far above what a Job or an ECS task
can carry where it matters, and low enough that no check takes noticeable time.

==========================  ========  =========================================================
limit                       default   applies to
==========================  ========  =========================================================
``MAX_STRING_VALUE``        65,536    characters of a string or enum parameter value (metadata,
                                      ``--set``), checked before its ``pattern``
``MAX_NUMBER_TEXT``         100       characters of a number or quantity written as text
                                      (``--set cpu=...``, ``memory: "..."``, bounds, operands)
``MAX_INTEGER_DIGITS``      100       decimal digits of an integer value (metadata and
                                      ``--set``; Python refuses 4,300 on its own)
``MAX_METADATA_DEPTH``      64        nesting of mappings and lists in one metadata layer
``MAX_METADATA_KEY``        1,024     characters of a metadata key
==========================  ========  =========================================================

Patterns themselves are bounded in :mod:`compose.safe_regex` (10,000 characters, repeat
counts up to 1000) and matched in linear time.
"""

from __future__ import annotations

__all__ = [
    "MAX_STRING_VALUE",
    "MAX_NUMBER_TEXT",
    "MAX_INTEGER_DIGITS",
    "MAX_METADATA_DEPTH",
    "MAX_METADATA_KEY",
    "clip",
]

MAX_STRING_VALUE = 65_536
MAX_NUMBER_TEXT = 100
MAX_INTEGER_DIGITS = 100
MAX_METADATA_DEPTH = 64
MAX_METADATA_KEY = 1_024


def clip(text: str, keep: int = 40) -> str:
    """``repr`` of ``text`` cut to ``keep`` characters, for messages about over-long values.

    >>> clip("a" * 100, 5)
    "'aaaaa...' (100 characters)"
    """
    if len(text) <= keep:
        return repr(text)
    return f"{text[:keep] + '...'!r} ({len(text)} characters)"
