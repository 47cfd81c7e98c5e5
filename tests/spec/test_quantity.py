"""Quantities: parsing, canonical form, comparison, ECS conversions (cases in cases/quantities.yaml)."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from compose.errors import SpecError
from compose.spec.quantity import (
    BINARY_SI,
    DECIMAL_SI,
    Quantity,
    QuantityError,
    as_quantity,
    parse_quantity,
    to_cpu_units,
    to_mib,
)

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "quantities.yaml").read_text())


@pytest.mark.parametrize("text,canonical,fmt", CASES["canonical"], ids=[c[0] or "empty" for c in CASES["canonical"]])
def test_canonical_form(text: str, canonical: str, fmt: str) -> None:
    q = parse_quantity(text)
    assert q.canonical() == canonical
    assert str(q) == canonical
    assert q.format == fmt
    # The canonical form parses back to the same value and prints itself.
    again = parse_quantity(canonical)
    assert again == q
    assert again.canonical() == canonical


@pytest.mark.parametrize("a,b", CASES["equal"])
def test_equal_values_compare_equal(a: str, b: str) -> None:
    qa, qb = parse_quantity(a), parse_quantity(b)
    assert qa == qb
    assert hash(qa) == hash(qb)
    assert not qa < qb and not qb < qa
    assert qa <= qb and qa >= qb


@pytest.mark.parametrize("a,b", CASES["less"])
def test_ordering(a: str, b: str) -> None:
    qa, qb = parse_quantity(a), parse_quantity(b)
    assert qa < qb and qb > qa and qa != qb
    assert sorted([qb, qa]) == [qa, qb]


@pytest.mark.parametrize("text", CASES["invalid"])
def test_invalid_quantities_are_refused(text: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity(text)
    assert isinstance(info.value, SpecError)
    assert isinstance(info.value, ValueError)
    assert info.value.message


@pytest.mark.parametrize("text,mib", CASES["mib"])
def test_to_mib(text: str, mib: int) -> None:
    assert to_mib(parse_quantity(text)) == mib
    assert to_mib(text) == mib


@pytest.mark.parametrize("text,units", CASES["cpu_units"])
def test_to_cpu_units(text: str, units: int) -> None:
    assert to_cpu_units(parse_quantity(text)) == units


def test_negative_conversions_are_refused() -> None:
    with pytest.raises(QuantityError, match="negative"):
        to_mib("-1Gi")
    with pytest.raises(QuantityError, match="negative"):
        to_cpu_units("-1")


def test_exact_arithmetic_has_no_float_error() -> None:
    tenth = parse_quantity("100m")
    total = sum([tenth] * 3, parse_quantity("0"))
    assert total == parse_quantity("300m")
    assert total.value == Fraction(3, 10)
    assert (parse_quantity("1Gi") - parse_quantity("512Mi")).canonical() == "512Mi"
    assert (parse_quantity("0") + parse_quantity("1Gi")).canonical() == "1Gi"  # zero takes the other's format
    assert (parse_quantity("1Gi") * 3).canonical() == "3Gi"
    assert (3 * parse_quantity("500m")).canonical() == "1500m"
    assert (-parse_quantity("1Gi")).canonical() == "-1Gi"


def test_numbers_are_quantities() -> None:
    assert parse_quantity(2) == parse_quantity("2")
    assert parse_quantity(0.5).canonical() == "500m"
    assert parse_quantity(1e21) == parse_quantity("1e21")
    for bad in (True, None, [1], {"a": 1}, float("nan"), float("inf")):
        with pytest.raises(QuantityError):
            parse_quantity(bad)


def test_as_quantity_never_raises() -> None:
    assert as_quantity("8Gi") == parse_quantity("8Gi")
    assert as_quantity(3) == parse_quantity("3")
    q = parse_quantity("1")
    assert as_quantity(q) is q
    for value in ("lots", True, None, [], {}, "8 Gi"):
        assert as_quantity(value) is None


def test_quantity_is_immutable_and_hashable() -> None:
    q = parse_quantity("1Gi")
    with pytest.raises(AttributeError):
        q.value = Fraction(1)  # type: ignore[misc]
    assert {parse_quantity("1Gi"), parse_quantity("1024Mi"), parse_quantity("1G")} == {q, parse_quantity("1G")}
    assert repr(q) == "Quantity('1Gi')"
    assert Quantity.parse("2") == parse_quantity("2")
    assert (q == "1Gi") is False  # no implicit parsing in equality


def test_constructor_checks_the_format() -> None:
    assert Quantity(1536 * 2**20, BINARY_SI).canonical() == "1536Mi"
    assert Quantity(Fraction(3, 2), DECIMAL_SI).canonical() == "1500m"
    with pytest.raises(ValueError):
        Quantity(1, "Binary")


SIMPLE = ["1", "8Gi", "500m", "1.5", "100M", "1Ki", "2k", "0.5Gi", "123456789", "7Ti", "3m", "1.25Mi", "5n", "2e3"]


@pytest.mark.parametrize("text", SIMPLE)
def test_value_agrees_with_the_kubernetes_python_client(text: str) -> None:
    from kubernetes.utils import parse_quantity as k8s_parse  # the client's own (looser) parser

    assert Decimal(parse_quantity(text).value.numerator) / Decimal(parse_quantity(text).value.denominator) == k8s_parse(text)


def test_random_quantities_round_trip_through_canonical_form() -> None:
    rng = random.Random(1234)
    suffixes = ["", "m", "u", "n", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "e3", "e-3", "E6"]
    for _ in range(3000):
        whole = str(rng.randrange(0, 100000))
        frac = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 4)))
        text = ("-" if rng.random() < 0.1 else "") + whole + ("." + frac if frac else "") + rng.choice(suffixes)
        q = parse_quantity(text)
        canon = q.canonical()
        back = parse_quantity(canon)
        assert back == q, (text, canon)
        assert back.canonical() == canon, (text, canon)
        assert "." not in canon, (text, canon)  # canonical form has no fractional digits
