"""Did-you-mean suggestions for names a user probably misspelled (``memroy`` -> ``memory``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``name`` (difflib ratio >= 0.6; a prefix/suffix match counts), or None."""
    pool = [c for c in dict.fromkeys(candidates) if c != name]
    hit = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if hit:
        return hit[0]
    low = name.lower()
    for c in pool:
        if low and (c.lower() == low or c.lower().startswith(low) or low.startswith(c.lower())):
            return c
    return None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'memory'?"`` or ``""``.

    >>> did_you_mean("memroy", ["memory", "cpu"])
    "; did you mean 'memory'?"
    """
    hit = closest(name, candidates)
    return f"; did you mean {hit!r}?" if hit else ""
