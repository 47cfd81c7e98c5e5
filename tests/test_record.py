"""compose._record: the dataclass stand-in of the build path."""

from __future__ import annotations

import pytest

from compose._record import field, record


@record
class Mutable:
    a: int
    b: str = "x"
    c: list = field(default_factory=list)


@record(frozen=True)
class Frozen:
    k: str
    v: int = 0


def test_init_defaults_and_fresh_factories() -> None:
    m1, m2 = Mutable(1), Mutable(a=2, b="y")
    assert (m1.a, m1.b, m1.c, m2.a, m2.b) == (1, "x", [], 2, "y")
    m1.c.append(1)
    assert m2.c == [] and Mutable(3).c == []


def test_repr_and_eq() -> None:
    assert repr(Mutable(1)) == "Mutable(a=1, b='x', c=[])"
    assert Mutable(1) == Mutable(1, "x", []) and Mutable(1) != Mutable(2)
    assert Mutable(1) != Frozen("a")


def test_missing_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Mutable()  # type: ignore[call-arg]


def test_frozen_is_immutable_and_hashable() -> None:
    f = Frozen("k", 1)
    with pytest.raises(AttributeError):
        f.v = 2  # type: ignore[misc]
    assert hash(f) == hash(Frozen("k", 1)) and {f, Frozen("k", 1)} == {f}


def test_mutable_records_are_unhashable_like_dataclasses() -> None:
    with pytest.raises(TypeError):
        hash(Mutable(1))
