"""Malformed input to the real ``compose agent``: one ``invalid-input`` per bad line, with its
line number, and every good line processed, from a file and from stdin alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compose_testing import load_module as _load

_HERE = Path(__file__).resolve().parent


harness = _load("compose_tests_runner_faults_harness", _HERE / "harness.py")


def good(n: int) -> bytes:
    return json.dumps({"id": f"good-{n}", "flow": "etl"}).encode()


#: (line bytes, what the agent must say about it): "good-N" runs or an invalid-input message.
LINES: list[tuple[bytes, str]] = [
    (b"\xef\xbb\xbf" + good(1), "good-1"),                      # a BOM on the first line
    (b'{"id": "bad-utf8", "flow": "\xff\xfe"}', "not UTF-8"),
    (good(2), "good-2"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
    (good(3), "good-3"),
    (b'{"id": "huge", "metadata": {"x": "' + b"y" * (10 * 1024 * 1024) + b'"}}', "line longer than"),
    (good(4), "good-4"),
    (b"[1, 2]", "must be a JSON object"),
    (b'"run-5"', "must be a JSON object"),
    (b"null", "must be a JSON object"),
    (b"42", "must be a JSON object"),
    (b"\xef\xbb\xbf" + good(5), "not JSON"),                    # a BOM anywhere else is not accepted
    (b"{oops", "not JSON"),
    (good(6) + b"\r", "good-6"),                                # CRLF line ending
    (good(7), "good-7"),                                        # no newline at the end of the input
]


def _input() -> bytes:
    return b"\n".join(line for line, _ in LINES[:-1]) + b"\n\n" + LINES[-1][0]


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_each_bad_line_gets_its_own_outcome_and_the_rest_is_processed(source, make_backend, spec_root,
                                                                      agent_process, tmp_path):
    backend = make_backend("kubernetes")
    data = _input()
    path = None
    if source == "file":
        path = tmp_path / "runs.jsonl"
        path.write_bytes(data)
    agent = agent_process(spec_root, backend, "--no-wait", "-c", "2", input_path=path)
    if path is None:
        agent.proc.stdin.write(data)
        agent.proc.stdin.close()
    agent.finish(120)
    assert agent.proc.returncode == 1, "invalid lines make the exit status 1"
    assert "Traceback" not in agent.err
    got = {o["line"]: o for o in agent.outcomes}
    assert len(got) == len(agent.outcomes) == len(LINES), [o["message"][:80] for o in agent.outcomes]
    numbers = list(range(1, len(LINES))) + [len(LINES) + 1]   # one blank line before the last
    for number, (_, want) in zip(numbers, LINES):
        outcome = got[number]
        if want.startswith("good-"):
            assert (outcome["status"], outcome["run_id"]) == ("submitted", want), outcome
        else:
            assert outcome["status"] == "invalid-input" and want in outcome["message"], outcome
            assert outcome["message"].startswith(f"{'<stdin>' if path is None else path}:{number}: ")
            assert len(outcome["message"]) < 300
    assert sorted(backend.per_run()) == [f"good-{n}" for n in range(1, 8) if n != 5]
