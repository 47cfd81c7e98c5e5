"""Budgets on what compose reads and writes, so that no input can make it hang or exhaust memory.

Every limit has a default, an environment variable that changes it for the command line and
for library use alike, and :func:`configure` for programs (which wins over the environment)::

    COMPOSE_MAX_FILE_BYTES=16777216 compose build big/

    from compose import limits
    limits.configure(max_file_bytes=16 << 20)

=======================  ========================  =============  ==========================================
limit                    environment variable      default        what it bounds
=======================  ========================  =============  ==========================================
``max_file_bytes``       COMPOSE_MAX_FILE_BYTES    4 MiB          bytes of one input file (kustomization,
                                                                  resource, patch, generator file,
                                                                  compose.yaml, ECS file, metadata file)
``max_nodes``            COMPOSE_MAX_NODES         500,000        values in one parsed file after YAML
                                                                  aliases and merge keys are expanded; in
                                                                  a resource after a JSON 6902 patch; in
                                                                  the whole output of a build
``max_depth``            COMPOSE_MAX_DEPTH         100            nesting of mappings and lists in one file
``max_output_bytes``     COMPOSE_MAX_OUTPUT_BYTES  64 MiB         characters a command writes (build,
                                                                  explain, diff, profiles)
``max_value_chars``      COMPOSE_MAX_VALUE_CHARS   65,536         characters of a string parameter
                                                                  value and of a condition operand,
                                                                  checked before its ``pattern``
                                                                  (1,024 or fewer: never refused)
``max_number_chars``     COMPOSE_MAX_NUMBER_CHARS  100            characters of a number or quantity
                                                                  written as text (``--set``, metadata,
                                                                  bounds), digits of an integer value
                                                                  (32 or fewer: never refused)
=======================  ========================  =============  ==========================================

The defaults sit well above real inputs: the API server refuses requests over 3 MiB and etcd
objects over 1.5 MiB; a Job is a few hundred values deep in single digits. A limit must be a
positive integer; anything else is a :class:`~compose.errors.UsageError` naming the variable.

>>> current().max_depth
100
"""

from __future__ import annotations

import os
from typing import Any

from .errors import UsageError

__all__ = ["Limits", "DEFAULTS", "current", "configure", "ENV"]


_DEFAULTS = {"max_file_bytes": 4 << 20, "max_nodes": 500_000, "max_depth": 100, "max_output_bytes": 64 << 20,
             "max_value_chars": 65_536, "max_number_chars": 100}


class Limits:
    """One set of budgets (read-only); see the module docstring for what each bounds.

    (A plain class: the click-free ``compose build DIR`` path does not import dataclasses.)
    """

    __slots__ = tuple(_DEFAULTS)
    max_file_bytes: int
    max_nodes: int
    max_depth: int
    max_output_bytes: int
    max_value_chars: int
    max_number_chars: int

    def __init__(self, **values: int) -> None:
        for name, default in _DEFAULTS.items():
            object.__setattr__(self, name, values.pop(name, default))
        if values:
            raise TypeError(f"unknown limits: {', '.join(values)}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Limits are read-only; use compose.limits.configure()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Limits) and all(getattr(self, n) == getattr(other, n) for n in _DEFAULTS)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in _DEFAULTS))

    def __repr__(self) -> str:
        return "Limits(" + ", ".join(f"{n}={getattr(self, n)}" for n in _DEFAULTS) + ")"


#: The built-in defaults.
DEFAULTS = Limits()

#: The environment variable of each limit.
ENV = {name: "COMPOSE_" + name.upper() for name in _DEFAULTS}

_configured: dict[str, int] = {}


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        text = value.strip() if isinstance(value, str) else None
        if text is None or not text.isdigit() or not text.isascii() or len(text) > 18:
            raise UsageError(f"{what} must be a positive integer, got {str(value)[:40]!r}")
        value = int(text)
    if value <= 0:
        raise UsageError(f"{what} must be a positive integer, got {value}")
    return value


def current() -> Limits:
    """The limits in force: :func:`configure`'s values, else the environment's, else defaults.

    Raises:
        UsageError: an environment variable is not a positive integer.
    """
    changes: dict[str, int] = {}
    for name, var in ENV.items():
        if name in _configured:
            changes[name] = _configured[name]
            continue
        raw = os.environ.get(var)
        if raw is not None and raw != "":
            changes[name] = _positive(raw, var)
    return Limits(**changes) if changes else DEFAULTS


def configure(**values: int | None) -> Limits:
    """Set limits for this process (``None`` goes back to the environment or the default).

    >>> configure(max_depth=50).max_depth
    50
    >>> configure(max_depth=None).max_depth
    100

    Raises:
        UsageError: an unknown limit, or a value that is not a positive integer.
    """
    for name, value in values.items():
        if name not in ENV:
            raise UsageError(f"unknown limit {name!r} (limits: {', '.join(ENV)})")
        if value is None:
            _configured.pop(name, None)
        else:
            _configured[name] = _positive(value, name)
    return current()
