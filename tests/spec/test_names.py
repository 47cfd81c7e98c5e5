"""Names: sanitization examples (cases/names.yaml) and properties over many generated inputs."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
import yaml

from compose.spec import names

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "names.yaml").read_text())

SANITIZERS = {
    "dns1123_label": (names.dns1123_label, names.is_dns1123_label),
    "dns1123_subdomain": (names.dns1123_subdomain, names.is_dns1123_subdomain),
    "label_value": (names.label_value, names.is_label_value),
    "label_key": (names.label_key, names.is_label_key),
    "ecs_name": (names.ecs_name, names.is_ecs_name),
}


@pytest.mark.parametrize("fn,value,expected", CASES, ids=lambda v: str(v)[:30])
def test_examples(fn: str, value: str, expected: str) -> None:
    sanitize, valid = SANITIZERS[fn]
    assert sanitize(value) == expected
    assert valid(expected) or (fn == "label_value" and expected == "")


def _inputs(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pools = [
        string.ascii_lowercase + string.digits + "-",
        string.ascii_letters + string.digits + "-_. ",
        string.printable,
        "aA.-_/ é✓",
    ]
    out = set()
    while len(out) < count:
        pool = rng.choice(pools)
        n = rng.choice([0, 1, 2, 5, 30, 62, 63, 64, 65, 100, 252, 253, 254, 300])
        out.add("".join(rng.choice(pool) for _ in range(n)))
    return sorted(out)


INPUTS = _inputs(42, 4000)


@pytest.mark.parametrize("fn", sorted(SANITIZERS))
def test_outputs_are_valid_idempotent_and_stable(fn: str) -> None:
    sanitize, valid = SANITIZERS[fn]
    for value in INPUTS:
        out = sanitize(value)
        if fn != "label_value" or out:
            assert valid(out), (value, out)
        assert sanitize(out) == out, (value, out)  # idempotent: a valid value is kept
        if valid(value):
            assert out == value  # valid input is never changed
    assert [sanitize(v) for v in INPUTS[:50]] == [sanitize(v) for v in INPUTS[:50]]


@pytest.mark.parametrize("fn", sorted(SANITIZERS))
def test_distinct_inputs_never_collide(fn: str) -> None:
    sanitize, _ = SANITIZERS[fn]
    seen: dict[str, str] = {}
    for value in INPUTS:
        out = sanitize(value)
        assert seen.setdefault(out, value) == value, f"{value!r} and {seen[out]!r} both give {out!r}"


def test_long_inputs_with_a_shared_prefix_stay_distinct() -> None:
    prefix = "flow-run-" + "x" * 80
    outs = {names.dns1123_label(f"{prefix}-{i}") for i in range(2000)}
    assert len(outs) == 2000
    assert all(len(o) <= 63 for o in outs)
    assert all(o.startswith("flow-run-xxx") for o in outs)
    subs = {names.dns1123_subdomain("a." * 130 + str(i)) for i in range(500)}
    assert len(subs) == 500 and all(len(s) <= 253 for s in subs)


def test_case_and_punctuation_variants_stay_distinct() -> None:
    variants = ["My Flow", "my flow", "my-flow", "my_flow", "MY_FLOW", "my.flow", "my  flow"]
    outs = [names.dns1123_label(v) for v in variants]
    assert len(set(outs)) == len(variants)
    assert outs[2] == "my-flow"  # the valid one is unchanged


def test_limits() -> None:
    assert len(names.dns1123_label("a" * 100)) == 63
    assert len(names.dns1123_label("a" * 100, 52)) == 52
    assert len(names.dns1123_subdomain("a" * 300)) == 253
    assert len(names.label_value("a" * 64)) == 63
    assert len(names.ecs_name("a" * 300)) == 255
    assert names.is_dns1123_label("a" * 63) and not names.is_dns1123_label("a" * 64)
    assert names.is_label_value("") and not names.is_label_value("-a")
    assert not names.is_label_key("") and not names.is_label_key("a/b/c") and names.is_label_key("a.io/b")
    assert names.short_hash("x") == names.short_hash("x") and len(names.short_hash("x")) == names.HASH_LENGTH
