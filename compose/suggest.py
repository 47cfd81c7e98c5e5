"""Did-you-mean suggestions for names a user probably misspelled (``memroy`` -> ``memory``)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(name: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate most like ``name``, or None: one that differs only in case, else the best
    difflib match with a ratio of at least ``cutoff``, else one that is a prefix of ``name``
    or has it as a prefix (case-insensitively).

    The one did-you-mean of compose: spec files, metadata, API-server fields, ECS fields and
    Kustomize options all suggest through it (a bottom-layer module: it imports nothing of
    compose, so kustomize need not import spec).

    >>> closest("Memory", ["memory", "cpu"]), closest("memroy", ["memory"]), closest("gp", ["gpu-spot"])
    ('memory', 'memory', 'gpu-spot')
    """
    pool = [c for c in dict.fromkeys(candidates) if c != name]
    low = name.lower()
    for c in pool:
        if c.lower() == low:
            return c
    import difflib  # only messages need it

    hit = difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
    if hit:
        return hit[0]
    for c in pool:
        if low and (c.lower().startswith(low) or low.startswith(c.lower())):
            return c
    return None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'memory'?"`` or ``""``.

    >>> did_you_mean("memroy", ["memory", "cpu"])
    "; did you mean 'memory'?"
    """
    hit = closest(name, candidates)
    return f"; did you mean {hit!r}?" if hit else ""
