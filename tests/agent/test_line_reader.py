"""LineReader: the table in cases/line_reader.yaml, deep nesting, and what a stop leaves."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from compose.agent import InvalidInput
from compose.agent.source import CutLine, LineReader, LineRun

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "line_reader.yaml").read_text(encoding="utf-8"))


def read_all(data: bytes, **kw: Any) -> list[Any]:
    r, w = os.pipe()
    threading.Thread(target=lambda: (os.write(w, data), os.close(w)), daemon=True).start()
    try:
        return list(LineReader(r, source="in", **{"chunk": 7, **kw}))
    finally:
        os.close(r)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_line_reader(case: dict[str, Any]) -> None:
    kw = {"max_line_bytes": case["max"]} if "max" in case else {}
    got = read_all(case["input"].encode("latin-1"), **kw)
    assert len(got) == len(case["expect"]), got
    for item, want in zip(got, case["expect"]):
        if "run" in want:
            assert isinstance(item, LineRun) and (item.run.id, item.line) == (want["run"], want["line"]), item
        else:
            assert isinstance(item, InvalidInput) and item.line == want["invalid"], item
            assert want["message"] in item.message


def test_deep_nesting_is_one_bad_line_not_a_crash() -> None:
    got = read_all(b"[" * 300_000 + b"]" * 300_000 + b'\n{"id": "after"}\n', chunk=1 << 16, max_line_bytes=1 << 21)
    assert isinstance(got[0], InvalidInput) and "nested too deeply" in got[0].message
    assert isinstance(got[1], LineRun) and got[1].run.id == "after" and got[1].line == 2


def test_a_stop_hands_back_what_was_read_and_finishes_a_half_read_line_only() -> None:
    r, w = os.pipe()
    os.write(w, b'{"id": "one"}\n{"id": "two"}\n{"id": "th')
    reader = LineReader(r, source="in")
    items = iter(reader)
    assert next(items).run.id == "one"
    time.sleep(0.3)  # the reader buffers line two and half of line three
    reader.stop()
    assert list(items) == [], "a stopped reader hands out nothing more"
    threading.Timer(0.1, lambda: os.write(w, b'ree"}\n{"id": "four"}\n')).start()
    left = reader.unread(finish_within=2.0)
    assert [(i.run.id, i.line) for i in left] == [("two", 2), ("three", 3)]
    assert os.read(r, 100) == b'{"id": "four"}\n', "nothing after line three's newline was consumed"
    os.close(w)
    os.close(r)


def test_a_line_that_does_not_end_in_time_is_reported_cut() -> None:
    r, w = os.pipe()
    os.write(w, b'{"id": "one"}\n{"id": "tw')
    reader = LineReader(r)
    items = iter(reader)
    assert next(items).run.id == "one"
    reader.stop()
    assert list(items) == []
    left = reader.unread(finish_within=0.2)
    assert left == [CutLine(line=2, size=10)]
    os.close(w)
    os.close(r)
