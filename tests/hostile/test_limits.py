"""compose.limits, and the helpers the budgets rest on: reading files, checking output, making
messages safe to print."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compose import limits
from compose.errors import ComposeError, OutputError, Problem, SpecError, UsageError, printable, truncate
from compose.yamlio import check_output, count_values, load_documents, read_bytes, read_text


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch):
    for var in limits.ENV.values():
        monkeypatch.delenv(var, raising=False)
    yield
    limits._configured.clear()


def test_defaults() -> None:
    assert limits.current() == limits.DEFAULTS
    assert (limits.DEFAULTS.max_file_bytes, limits.DEFAULTS.max_nodes, limits.DEFAULTS.max_depth,
            limits.DEFAULTS.max_output_bytes) == (4 << 20, 500_000, 100, 64 << 20)


def test_environment_then_configure_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSE_MAX_DEPTH", "7")
    assert limits.current().max_depth == 7
    assert limits.configure(max_depth=9).max_depth == 9
    assert limits.configure(max_depth=None).max_depth == 7


@pytest.mark.parametrize("raw", ["0", "-1", "x", "1.5", "", " ", "١٢", "9" * 40])
def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("COMPOSE_MAX_NODES", raw)
    if raw.strip() == "" and raw == "":
        assert limits.current() == limits.DEFAULTS  # empty: unset
        return
    with pytest.raises(UsageError, match="COMPOSE_MAX_NODES must be a positive integer"):
        limits.current()


def test_configure_refuses_unknown_and_bad() -> None:
    with pytest.raises(UsageError, match="unknown limit 'max_bytes'"):
        limits.configure(max_bytes=1)
    with pytest.raises(UsageError):
        limits.configure(max_nodes=0)
    with pytest.raises(UsageError):
        limits.configure(max_nodes=True)  # type: ignore[arg-type]


def test_limits_are_read_only() -> None:
    with pytest.raises(AttributeError):
        limits.DEFAULTS.max_nodes = 5  # type: ignore[misc]


def test_read_stops_one_byte_past_the_budget(tmp_path: Path) -> None:
    limits.configure(max_file_bytes=10)
    (tmp_path / "ok").write_bytes(b"x" * 10)
    (tmp_path / "big").write_bytes(b"x" * 11)
    assert read_bytes(tmp_path / "ok") == b"x" * 10
    with pytest.raises(ComposeError, match=r"larger than 10 bytes \(limit COMPOSE_MAX_FILE_BYTES\)"):
        read_text(tmp_path / "big")
    with pytest.raises(ComposeError, match="larger than 10 bytes"):
        read_text("/dev/zero")


def test_read_names_the_first_byte_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(ComposeError) as info:
        read_text(tmp_path / "f", "shown.yaml")
    assert (info.value.file, info.value.line, info.value.column) == ("shown.yaml", 2, 7)
    assert "byte 0xe9" in info.value.message


def test_read_a_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p")
    assert read_text(tmp_path / "p") == ""


def test_read_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match="is a directory"):
        read_text(tmp_path)


def test_text_budget_applies_to_strings_too() -> None:
    limits.configure(max_file_bytes=5)
    with pytest.raises(ComposeError, match="more than the 5 bytes allowed"):
        load_documents("a: 123\n", "s.yaml")


def test_alias_bomb_is_refused_before_expansion() -> None:
    rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for i in range(1, 12):
        rows.append(f"l{i}: &l{i} [" + ", ".join([f"*{'a' if i == 1 else 'l' + str(i - 1)}"] * 10) + "]")
    with pytest.raises(ComposeError) as info:
        load_documents("\n".join(rows) + "\n", "bomb.yaml")
    assert info.value.line == 6  # l5: the innermost list whose expansion passes 500,000
    assert "COMPOSE_MAX_NODES" in info.value.message


def test_alias_reused_deeper_counts_its_depth() -> None:
    limits.configure(max_depth=6)
    text = "a: &a [[[1]]]\nb: [[[*a]]]\n"
    with pytest.raises(ComposeError, match="nested deeper than 6 levels"):
        load_documents(text, "d.yaml")
    limits.configure(max_depth=8)
    assert load_documents(text, "d.yaml")[0].data["b"] == [[[[[[1]]]]]]


def test_count_values_stops_at_the_limit() -> None:
    shared: list = [1] * 10
    for _ in range(30):
        shared = [shared] * 10  # 10**30 values when expanded
    assert count_values(shared, 1000) == 1001


def test_check_output_names_the_object_and_path() -> None:
    docs = [{"kind": "Job", "metadata": {"name": "j"}}, {"kind": "ConfigMap", "metadata": {"name": "c"},
                                                          "data": {"r": float("nan")}}]
    with pytest.raises(OutputError) as info:
        check_output(docs)
    assert info.value.path == ("data", "r")
    assert "ConfigMap c holds the number .nan" in info.value.message


def test_check_output_budgets() -> None:
    limits.configure(max_output_bytes=100)
    with pytest.raises(OutputError, match="more than 100 bytes"):
        check_output([{"a": "x" * 200}])
    limits.configure(max_output_bytes=None, max_nodes=10)
    with pytest.raises(OutputError, match="more than 10 values"):
        check_output([list(range(20))])


def test_messages_are_cut_and_escaped() -> None:
    exc = SpecError("parameter 'image': bad value " + repr("\x1b[2J" + "x" * 5000), file="m.yaml", line=3)
    text = exc.format()
    assert text.startswith("m.yaml:3: parameter 'image': bad value")
    assert "characters cut" in text and len(text) < 1100
    raw = SpecError("value \x1b]0;title\x07 here")
    assert raw.format() == "value \\x1b]0;title\\x07 here"
    assert str(Problem("bell \x07", file="f")) == "f: bell \\x07"


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[31m", "\\x1b[31m"), ("\x9b2J", "\\x9b2J"), ("\u202eevil", "\\u202eevil"), ("a\tb\nc", "a\tb\nc"),
    ("r\udcff", "r\\xff"), ("\x7f", "\\x7f"), ("plain é ✓", "plain é ✓"),
])
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_truncate_keeps_short_text() -> None:
    assert truncate("short") == "short"
    assert len(truncate("y" * 100_000)) < 1100
