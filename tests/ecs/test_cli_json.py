"""to_cli_input_json: the shape `aws ecs register-task-definition --cli-input-json` reads."""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from compose.ecs import model_ordered, to_cli_input_json


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def test_round_trips_and_is_formatted(ecs: Any) -> None:
    td = ecs.resolve("fargate")
    text = to_cli_input_json(td)
    assert json.loads(text) == td
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.splitlines()[1].startswith('  "family"')
    assert '\n    {\n      "name": "log-router",' in text


def test_key_order_follows_the_model_whatever_the_input_order(ecs: Any) -> None:
    td = ecs.resolve("fargate")
    expected = to_cli_input_json(td)
    rng = random.Random(3)
    for _ in range(20):
        assert to_cli_input_json(_shuffled(td, rng)) == expected
    top = list(json.loads(expected))
    assert top[:5] == ["family", "executionRoleArn", "networkMode", "containerDefinitions",
                       "volumes"]
    container = list(json.loads(expected)["containerDefinitions"][1])
    assert container[:2] == ["name", "image"]


def test_maps_and_unknown_keys_are_sorted() -> None:
    td = {
        "zzz": 1,
        "containerDefinitions": [
            {"dockerLabels": {"b": "2", "a": "1"}, "name": "flow", "aaa": True}
        ],
        "family": "f",
        "aaa": 2,
    }
    out = model_ordered(td)
    assert list(out) == ["family", "containerDefinitions", "aaa", "zzz"]
    assert list(out["containerDefinitions"][0]) == ["name", "dockerLabels", "aaa"]
    assert list(out["containerDefinitions"][0]["dockerLabels"]) == ["a", "b"]


def test_does_not_modify_its_input_and_keeps_unicode(ecs: Any) -> None:
    td = ecs.resolve("ec2")
    td["tags"] = [{"key": "owner", "value": "Zoë"}]
    before = copy.deepcopy(td)
    text = to_cli_input_json(td)
    assert td == before
    assert "Zoë" in text


@pytest.mark.skipif(shutil.which("aws") is None, reason="the aws CLI is not installed")
def test_the_aws_cli_accepts_it(ecs: Any, tmp_path: Path) -> None:
    # The CLI validates the parameters before it sends; port 9 refuses the connection at
    # once, so "Could not connect" means the JSON passed the CLI's checks.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_MAX_ATTEMPTS": "1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    good, bad = ecs.resolve("fargate"), ecs.resolve("fargate")
    bad["cpu"] = 1024
    results = {}
    for name, td in (("good", good), ("bad", bad)):
        path = tmp_path / f"{name}.json"
        path.write_text(to_cli_input_json(td), encoding="utf-8")
        proc = subprocess.run(
            ["aws", "ecs", "register-task-definition", "--cli-input-json", f"file://{path}",
             "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"],
            capture_output=True, text=True, env=env, timeout=60,
        )
        results[name] = proc.stderr
    assert "Could not connect" in results["good"], results["good"]
    assert "Parameter validation failed" in results["bad"], results["bad"]
    assert "cpu" in results["bad"]
