"""Task sizes: parsing ECS ``cpu``/``memory`` strings and the Fargate size table.

Task-level ``cpu`` and ``memory`` are strings in RegisterTaskDefinition. ECS accepts CPU
units (``"1024"``) or vCPUs (``"1 vCPU"``, ``"0.5 vcpu"``), and MiB (``"2048"``) or GB
(``"2GB"``, ``"2 GB"``); it converts both to integers when registering.

A task definition whose ``requiresCompatibilities`` includes ``FARGATE`` (even together with
``EC2``) must use one of the combinations below (AWS: "Troubleshoot Amazon ECS task
definition invalid CPU or memory errors", and the ``memory`` member's documentation in the ECS
API model):

======================  ================================================  ================
CPU units (vCPU)        Memory (MiB)                                      Operating systems
======================  ================================================  ================
256 (.25 vCPU)          512, 1024, 2048                                   Linux
512 (.5 vCPU)           1024 to 4096 in steps of 1024                     Linux
1024 (1 vCPU)           2048 to 8192 in steps of 1024                     Linux, Windows
2048 (2 vCPU)           4096 to 16384 in steps of 1024                    Linux, Windows
4096 (4 vCPU)           8192 to 30720 in steps of 1024                    Linux, Windows
8192 (8 vCPU)           16384 to 61440 in steps of 4096 (platform 1.4.0+)  Linux
16384 (16 vCPU)         32768 to 122880 in steps of 8192 (platform 1.4.0+) Linux
======================  ================================================  ================
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["FargateSize", "FARGATE_SIZES", "parse_cpu", "parse_memory", "fargate_memory_choices", "round_up_fargate"]


class FargateSize(NamedTuple):
    """One row of the Fargate table: a CPU value and the memory values allowed with it."""

    cpu: int
    memory_min: int
    memory_max: int
    memory_step: int
    windows: bool

    def memory_values(self) -> range:
        """Every valid memory value (MiB) for this CPU value."""
        return range(self.memory_min, self.memory_max + 1, self.memory_step)


# 256 CPU units allow 512, 1024 and 2048 MiB: 512 to 2048 "in steps of 512" would admit 1536,
# which Fargate refuses, so that row is special-cased in :func:`fargate_memory_choices`.
#: The valid task-level (cpu, memory) combinations on Fargate, by CPU units.
FARGATE_SIZES: dict[int, FargateSize] = {
    row.cpu: row
    for row in (
        FargateSize(256, 512, 2048, 512, windows=False),
        FargateSize(512, 1024, 4096, 1024, windows=False),
        FargateSize(1024, 2048, 8192, 1024, windows=True),
        FargateSize(2048, 4096, 16384, 1024, windows=True),
        FargateSize(4096, 8192, 30720, 1024, windows=True),
        FargateSize(8192, 16384, 61440, 4096, windows=False),
        FargateSize(16384, 32768, 122880, 8192, windows=False),
    )
}


def fargate_memory_choices(cpu: int) -> tuple[int, ...]:
    """The memory values (MiB) Fargate accepts with ``cpu`` CPU units; ``()`` if none.

    >>> fargate_memory_choices(256)
    (512, 1024, 2048)
    >>> fargate_memory_choices(8192)[:3]
    (16384, 20480, 24576)
    """
    row = FARGATE_SIZES.get(cpu)
    if row is None:
        return ()
    if cpu == 256:
        return (512, 1024, 2048)
    return tuple(row.memory_values())


def round_up_fargate(cpu: int, memory: int, *, windows: bool = False) -> tuple[int, int] | None:
    """The smallest valid Fargate size with at least ``cpu`` units and ``memory`` MiB.

    The CPU is the smallest row of :data:`FARGATE_SIZES` at or above ``cpu`` that offers
    ``memory`` MiB or more; the memory is the smallest choice of that row at or above
    ``memory``. None when nothing is big enough. Opt-in through ``targets.ecs.fargateSizes:
    roundUp`` in compose.yaml.

    >>> round_up_fargate(512, 16384), round_up_fargate(1024, 3000), round_up_fargate(256, 512)
    ((2048, 16384), (1024, 3072), (256, 512))
    >>> round_up_fargate(16384, 200000) is None
    True
    """
    for row_cpu in sorted(FARGATE_SIZES):
        if row_cpu < cpu or (windows and not FARGATE_SIZES[row_cpu].windows):
            continue
        for choice in fargate_memory_choices(row_cpu):
            if choice >= memory:
                return row_cpu, choice
    return None


#: Digits a size may have: far beyond any ECS size, and short enough that a hostile value never
#: becomes a float overflow or an integer too long to print.
_MAX_DIGITS = 30
_CPU_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$", re.IGNORECASE)
_MEM_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$", re.IGNORECASE)


def parse_cpu(value: Any) -> int | None:
    """CPU units from a task ``cpu`` value, or None if it is not a recognised form.

    >>> parse_cpu("1024"), parse_cpu("1 vCPU"), parse_cpu("0.25 vcpu"), parse_cpu("lots")
    (1024, 1024, 256, None)
    """
    return _parse(value, _CPU_RE, 1024)


def parse_memory(value: Any) -> int | None:
    """MiB from a task ``memory`` value, or None if it is not a recognised form.

    >>> parse_memory("2048"), parse_memory("2GB"), parse_memory("0.5 GB"), parse_memory("2GiB")
    (2048, 2048, 512, None)
    """
    return _parse(value, _MEM_RE, 1024)


def _parse(value: Any, pattern: re.Pattern[str], factor: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    return _parse_text(value, pattern, factor)


# Builds validate the same few strings over and over; the cache makes that a dict lookup.
@lru_cache(maxsize=256)
def _parse_text(value: str, pattern: re.Pattern[str], factor: int) -> int | None:
    m = pattern.match(value)
    if not m or len(m.group(1)) > _MAX_DIGITS:
        return None
    number = Decimal(m.group(1))  # exact: '0.1 vcpu' is not 102.4 units, '1e308' never a float
    if m.group(2):
        number *= factor
    if number != number.to_integral_value():
        return None
    return int(number)
