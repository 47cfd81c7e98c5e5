"""Kubernetes resource quantities (``8Gi``, ``500m``, ``1.5``, ``2e3``), exactly.

This mirrors ``k8s.io/apimachinery/pkg/api/resource.Quantity``, the type of every
``resources.requests`` / ``limits`` value:

* **Grammar.** ``<sign?><digits>[.<digits>]<suffix>`` where the suffix is a binary SI one
  (``Ki Mi Gi Ti Pi Ei``, powers of 1024), a decimal SI one (``n u m "" k M G T P E``, powers of
  1000) or a decimal exponent (``e3``, ``E-6``). ``1.`` and ``.5`` are numbers; ``K``, ``mi``, a
  space anywhere, or an empty string are not. Note that ``1E`` is one exa (10^18) while ``1E3``
  is a thousand, as in Kubernetes. One deliberate difference: apimachinery reads a quantity
  without any digit (``.``, ``-``, ``Gi``) as zero; compose refuses it as a mistake.
* **Exact values.** A value is a :class:`fractions.Fraction`, never a float. As the API server
  does, a value finer than one nano (10^-9) is rounded up, away from zero (``0.9n`` is ``1n``),
  and a binary SI value is capped at 2^63-1 (``9Ei``).
* **Canonical form** (what the API server writes back, :meth:`Quantity.canonical`): the
  largest suffix of the kind the value was written with that leaves an integer mantissa.
  ``1.5`` becomes ``1500m``, ``1.5Gi`` becomes ``1536Mi``, ``1024Mi`` becomes ``1Gi``,
  ``1000m`` becomes ``1``, ``2e3`` stays ``2e3``. A binary value below 1024 or with a fraction
  is written in decimal SI (``0.5Ki`` becomes ``512``).
* **Comparison** is by value, whatever the suffix: ``0.5Gi == 512Mi`` and ``1000m == 1``.

ECS wants plain integers instead: :func:`to_mib` (memory, MiB) and :func:`to_cpu_units`
(1 vCPU = 1024 units) convert, rounding up so that a task never gets less than was asked.

>>> parse_quantity("1.5Gi").canonical(), parse_quantity("0.5Gi") == parse_quantity("512Mi")
('1536Mi', True)
>>> to_mib(parse_quantity("1.5Gi")), to_cpu_units(parse_quantity("500m"))
(1536, 512)
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache, total_ordering
from typing import Any

from compose.errors import SpecError

from . import _caps

__all__ = [
    "Quantity",
    "QuantityError",
    "parse_quantity",
    "as_quantity",
    "to_mib",
    "to_cpu_units",
    "DECIMAL_SI",
    "BINARY_SI",
    "DECIMAL_EXPONENT",
]

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL.items()}
_BINARY_BY_EXP = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}

# apimachinery's parseQuantityString reads a number, then suffix letters, then an optional
# signed integer (the exponent of "e3" / "E-6"). _scan does the same in one pass (a regex with
# two adjacent digit runs backtracks quadratically on a long string of digits).
_SUFFIX_LETTERS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")  # ASCII only: str.isdigit() also accepts "²" and "٣"
_EXP = re.compile(r"[eE]([+-]?[0-9]+)")
_LOOSE = re.compile(r"[+-]?([0-9]+)?(?:\.([0-9]*))?([A-Za-z][A-Za-z0-9]*)")

_NANO = 10**9
_MAX_BINARY = 2**63 - 1
# Go reads the exponent as an int32; Python would happily build 10**2000000000. Refuse early.
_MAX_EXPONENT = 1000


def _scan(text: str) -> tuple[str, str, str, str] | None:
    """(sign, whole digits, fraction digits, suffix), or None when ``text`` is no quantity."""
    n = len(text)
    i = 0
    sign = ""
    if i < n and text[i] in "+-":
        sign = text[i]
        i += 1
    start = i
    while i < n and text[i] in _DIGITS:
        i += 1
    whole = text[start:i]
    frac = ""
    if i < n and text[i] == ".":
        i += 1
        start = i
        while i < n and text[i] in _DIGITS:
            i += 1
        frac = text[start:i]
    start = i
    while i < n and text[i] in _SUFFIX_LETTERS:
        i += 1
    if i < n and text[i] in "+-":
        i += 1
        if i >= n:
            return None
    while i < n and text[i] in _DIGITS:
        i += 1
    if i != n:
        return None
    return sign, whole, frac, text[start:]


class QuantityError(SpecError, ValueError):
    """A string is not a Kubernetes quantity, or a quantity cannot be converted."""


@total_ordering
class Quantity:
    """An exact Kubernetes quantity: a value and the suffix family it was written in.

    Immutable and hashable. Equality and ordering compare values only, so quantities written
    differently compare equal when they mean the same amount (``Quantity.parse("1000m") ==
    Quantity.parse("1")``). ``str(q)`` is the canonical form.

    Attributes:
        value: the exact amount (bytes for memory, cores for cpu).
        format: ``"DecimalSI"``, ``"BinarySI"`` or ``"DecimalExponent"``, as Kubernetes names them.
    """

    __slots__ = ("value", "format", "_text")

    def __init__(self, value: Fraction | int, format: str = DECIMAL_SI) -> None:
        if format not in (DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT):
            raise ValueError(f"unknown quantity format {format!r}")
        object.__setattr__(self, "value", Fraction(value))
        object.__setattr__(self, "format", format)
        object.__setattr__(self, "_text", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Quantity is immutable")

    @classmethod
    def parse(cls, text: str) -> "Quantity":
        """Parse a quantity string; see :func:`parse_quantity`."""
        return parse_quantity(text)

    # -- canonical form ------------------------------------------------------------------------

    def canonical(self) -> str:
        """The string the Kubernetes API server would write for this quantity."""
        text = self._text
        if text is None:
            text = _canonical(self.value, self.format)
            object.__setattr__(self, "_text", text)
        return text

    def __str__(self) -> str:
        return self.canonical()

    def __repr__(self) -> str:
        return f"Quantity({self.canonical()!r})"

    # -- comparison and arithmetic -------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self.value == other.value
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self.value < other.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __add__(self, other: "Quantity") -> "Quantity":
        if not isinstance(other, Quantity):
            return NotImplemented
        return Quantity(self.value + other.value, self._sum_format(other))

    def __sub__(self, other: "Quantity") -> "Quantity":
        if not isinstance(other, Quantity):
            return NotImplemented
        return Quantity(self.value - other.value, self._sum_format(other))

    def __neg__(self) -> "Quantity":
        return Quantity(-self.value, self.format)

    def __mul__(self, factor: int) -> "Quantity":
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Quantity(self.value * factor, self.format)

    __rmul__ = __mul__

    def _sum_format(self, other: "Quantity") -> str:
        # apimachinery keeps the receiver's format, except that adding to a zero takes the
        # other's (so 0 + 1Gi prints as 1Gi).
        return other.format if self.value == 0 else self.format

    def is_zero(self) -> bool:
        """True when the value is zero."""
        return self.value == 0


def _canonical(value: Fraction, fmt: str) -> str:
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value
    if fmt == BINARY_SI:
        if magnitude < 1024 or magnitude.denominator != 1:
            fmt = DECIMAL_SI  # as apimachinery: avoid rounding, show small values in decimal
        else:
            n = magnitude.numerator
            exp = 0
            while n % 1024 == 0 and exp < 6:
                n //= 1024
                exp += 1
            return f"{sign}{n}{_BINARY_BY_EXP[exp]}"
    # Decimal: mantissa * 10**exp with exp a multiple of 3 and as large as possible.
    scaled = magnitude * _NANO
    if scaled.denominator == 1:
        mantissa, exp = scaled.numerator, -9
    else:  # finer than nano (only reachable through arithmetic on hand-built values)
        mantissa, exp = math.ceil(scaled), -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exp += 1
    rem = exp % 3
    if rem:
        mantissa *= 10**rem
        exp -= rem
    if fmt == DECIMAL_EXPONENT:
        return f"{sign}{mantissa}" + (f"e{exp}" if exp else "")
    suffix = _DECIMAL_BY_EXP.get(exp)
    if suffix is None:  # beyond E (10^18): apimachinery falls back to exponent notation
        return f"{sign}{mantissa}e{exp}"
    return f"{sign}{mantissa}{suffix}"


@lru_cache(maxsize=4096)
def _parse(text: str) -> Quantity:
    if not text:
        raise QuantityError("a quantity cannot be empty")
    if text == "0":
        return Quantity(0, DECIMAL_SI)
    scanned = _scan(text)
    if scanned is None:
        loose = _LOOSE.fullmatch(text)
        if loose is not None and (loose.group(1) or loose.group(2)):
            suffix = loose.group(3)
            hint = " (Kubernetes writes G or Gi, not GB)" if suffix.upper().endswith("B") else ""
            raise QuantityError(
                f"{text!r} has an unknown suffix {suffix!r} (use one of Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or e<exponent>){hint}"
            )
        raise QuantityError(f"{text!r} is not a quantity (expected a number with an optional suffix such as 500m, 8Gi, 2e3)")
    sign, whole, frac, suffix = scanned
    if not whole and not frac:
        # apimachinery reads ".", "-" and "Gi" as zero; a quantity without a digit is a mistake.
        raise QuantityError(f"{text!r} is not a quantity (no digits)")
    if suffix in _DECIMAL:
        fmt, base, exp = DECIMAL_SI, 10, _DECIMAL[suffix]
    elif suffix in _BINARY:
        fmt, base, exp = BINARY_SI, 2, _BINARY[suffix]
    else:
        em = _EXP.fullmatch(suffix)
        if em is None:
            raise QuantityError(
                f"{text!r} has an unknown suffix {suffix!r} (use one of Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or e<exponent>)"
            )
        fmt, base, exp = DECIMAL_EXPONENT, 10, int(em.group(1))
        if abs(exp) > _MAX_EXPONENT:
            raise QuantityError(f"{text!r}: exponent out of range")
    value = Fraction(int((whole or "0") + frac), 10 ** len(frac))
    value *= Fraction(base) ** exp
    if value.denominator != 1 and (value * _NANO).denominator != 1:
        value = Fraction(math.ceil(value * _NANO), _NANO)  # round up to nano, as the API server does
    if fmt == BINARY_SI:
        if value > _MAX_BINARY:
            value = Fraction(_MAX_BINARY)
        if 0 < value < 1:
            fmt = DECIMAL_SI
    if sign == "-":
        value = -value
    return Quantity(value, fmt)


def parse_quantity(text: Any) -> Quantity:
    """Parse a Kubernetes quantity.

    Args:
        text: a quantity string (``"8Gi"``, ``"500m"``, ``"1.5"``, ``"2e3"``), or an ``int`` or
            finite ``float`` (JSON numbers are quantities too, as the API server accepts them).

    Returns:
        The exact quantity.

    Raises:
        QuantityError: the text is not a quantity (the message says why).
    """
    if isinstance(text, str):
        over = _caps.number_over(text)
        if over is not None:
            raise QuantityError(f"{_caps.clip(text, 100)} is too long for a quantity (at most {over} characters)")
        return _parse(text)
    if isinstance(text, bool) or not isinstance(text, (int, float)):
        raise QuantityError(f"expected a quantity string such as '8Gi', got {_type_name(text)}")
    if isinstance(text, float):
        if not math.isfinite(text):
            raise QuantityError(f"{text!r} is not a quantity")
        return _parse(repr(text).replace("e+", "e"))
    if _caps.huge_int(text):  # str() of a huge int is itself slow
        raise QuantityError(f"the integer is too large for a quantity ({text.bit_length()} bits)")
    return _parse(str(text))


def as_quantity(value: Any) -> Quantity | None:
    """``value`` as a quantity if it is one (a quantity string or a number), else ``None``."""
    if isinstance(value, Quantity):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        return parse_quantity(value)
    except QuantityError:
        return None


def to_mib(quantity: Quantity | str) -> int:
    """Memory as whole MiB for ECS, rounded up: ``8Gi`` -> 8192, ``1G`` -> 954.

    Raises:
        QuantityError: a negative quantity, or not a quantity.
    """
    q = quantity if isinstance(quantity, Quantity) else parse_quantity(quantity)
    return _mib(q)


@lru_cache(maxsize=1024)
def _mib(q: Quantity) -> int:
    if q.value < 0:
        raise QuantityError(f"memory cannot be negative ({q})")
    return math.ceil(q.value / 2**20)


def to_cpu_units(quantity: Quantity | str) -> int:
    """CPU as ECS CPU units (1 vCPU = 1024), rounded up: ``500m`` -> 512, ``2`` -> 2048.

    Raises:
        QuantityError: a negative quantity, or not a quantity.
    """
    q = quantity if isinstance(quantity, Quantity) else parse_quantity(quantity)
    return _cpu_units(q)


@lru_cache(maxsize=1024)
def _cpu_units(q: Quantity) -> int:
    if q.value < 0:
        raise QuantityError(f"cpu cannot be negative ({q})")
    return math.ceil(q.value * 1024)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {value!r}"
