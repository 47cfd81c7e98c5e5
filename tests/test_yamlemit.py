"""The fast YAML writer (compose/_yamlemit.py) against PyYAML: byte-identical whenever it
accepts a document, and it accepts the usual manifest shapes."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from compose import yamlio
from compose._yamlemit import dump as fast_dump

_PIECES = [
    "a", "b", "Z", "0", "7", "x1", " ", "  ", ":", ": ", "#", " #", "-", "- ", "?", "? ", ",", "[", "]", "{",
    "}", "&", "*", "!", "|", ">", "'", '"', "%", "@", "`", ".", "...", "---", "\\", "/", "=", "<<", "~", "é",
    "ü", "日本", "😀", "\t", "\n", "\n\n", "\r", "\x85", "\u2028", "\ufeff", "\x00", "\x7f", "\xa0",
    "true", "false", "null", "yes", "no", "on", "off", "y", "n", "0x1F", "0o17", "0b101", "1e3", "1.5", "-2",
    "+3", "1_000", "1:20", "2024-01-02", ".inf", ".nan", "NaN", "=",
]


def _string(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 5)))


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        kind = rng.randint(0, 9)
        if kind < 6:
            return _string(rng)
        return [None, True, False, rng.randint(-10**12, 10**12), rng.choice([0.0, 1.5, -2.25, 1e20, float("inf")])][
            kind - 5 if kind > 5 else 0
        ] if kind != 6 else rng.randint(-5, 5)
    if roll < 0.75:
        return {(_string(rng) or "k"): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _pyyaml(data: Any) -> str:
    return yaml.dump(data, Dumper=yamlio._KustomizeDumper, default_flow_style=False, sort_keys=True,
                     allow_unicode=True, width=1 << 30)


def _fast(data: Any) -> str | None:
    return fast_dump(data, yamlio.scalar_is_ambiguous, yamlio._implicit_str, yamlio._float_text,
                     yamlio._resolver_firsts())


@pytest.mark.parametrize("seed", range(8))
def test_generated_documents_are_byte_identical(seed: int) -> None:
    rng = random.Random(seed)
    accepted = 0
    for _ in range(600):
        doc = {(_string(rng) or "k"): _value(rng, 0) for _ in range(rng.randint(1, 5))}
        try:
            slow = _pyyaml(doc)
        except (yaml.YAMLError, TypeError):
            continue
        fast = _fast(doc)
        if fast is not None:
            accepted += 1
            assert fast == slow, doc
    assert accepted > 50  # the generator is hostile on purpose; still, many go the fast way


def test_manifest_shapes_go_the_fast_way() -> None:
    doc = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cfg", "labels": {"app": "web", "n": "1"}, "annotations": {"a": "true", "b": "x: y"}},
        "data": {"script.sh": "#!/bin/sh\necho hi\n", "empty": "", "list": "a\n\n b\n", "url": "http://x:80/#frag"},
        "spec": {"containers": [{"name": "c", "args": ["--x=1", "-v", "*", "1.0"], "env": [], "ports": [{"containerPort": 80}]}],
                 "replicas": 3, "ratio": 0.5, "flag": False, "nothing": None, "nested": [[1, 2], [], {}]},
    }
    fast = _fast(doc)
    assert fast is not None
    assert fast == _pyyaml(doc)
    assert yamlio.dump_yaml(doc) == fast


@pytest.mark.parametrize(
    "doc",
    [
        {"k": "tab\there"},            # needs an escape
        {"k": "ends with two breaks\n\n"},  # "|+" ends the document with "..."
        {1: "int key"},
        {"k" * 130: "long key"},
        {"k": 1e20},                   # PyYAML tags 1e+20 (!!float): its resolver wants a dot
        {"k": ("tuple",)},
    ],
)
def test_declined_documents_still_dump_as_before(doc: dict) -> None:
    assert _fast(doc) is None
    assert yamlio.dump_yaml(doc) == _pyyaml(doc)
