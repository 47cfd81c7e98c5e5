"""Seeded random mutations of valid objects, judged by us and by kubernetes-validate.

Invariant: whatever kubernetes-validate's strict schemas reject, we reject; where we
reject what it accepts, every one of our problems is a check it cannot make (rules.yaml
enums, quantity / date-time / base64 syntax, integer ranges, resource names, the Job's
restartPolicy, a required field given null).
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k8s_helpers import base, kv_errors  # noqa: E402

from compose.k8s.validate import validate_object  # noqa: E402

pytest.importorskip("kubernetes_validate")

STRICTER = (
    "unsupported value",
    "invalid quantity",
    "out of range for",
    "invalid date-time",
    "invalid base64",
    "unknown resource name",
)
OTHERS = [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "b"}}, "data": {"k": "v"}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
     "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}]},
    {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"},
     "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
]
REPLACEMENTS = ["x", "", 7, 0, -1, True, False, None, [], ["x"], [1], {}, {"a": "b"}, {"zz": 1}]


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _places(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _places(v, path + (i,))
    return out


def _parent(obj: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        obj = obj[part]
    return obj


def _mutate(obj: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    places = [p for p in _places(obj) if p[0] not in ("apiVersion", "kind")]
    for _ in range(rng.choice((1, 1, 2, 3))):
        path = rng.choice(places)
        parent = _parent(obj, path)
        op = rng.random()
        try:
            if op < 0.45:
                parent[path[-1]] = copy.deepcopy(rng.choice(REPLACEMENTS))
            elif op < 0.65 and isinstance(parent, dict):
                key = path[-1]
                typo = key[:-1] if len(key) > 3 and rng.random() < 0.5 else key + "x"
                parent[typo] = parent.pop(key)
            elif op < 0.85:
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent["extraField"] = 1
        except (KeyError, IndexError, TypeError):
            pass
        places = [p for p in _places(obj) if p[0] not in ("apiVersion", "kind")]
        if not places:
            break
    return obj


def _value_at(obj: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj


def _excused(problem: Any, obj: Any) -> bool:
    if problem.message.startswith(STRICTER):
        return True
    if problem.message.startswith("missing required field"):
        if problem.message.endswith(("for a Job", "for a CronJob")):
            return True
        # present but null: the JSON schema's `required` only asks for the key
        parent = _value_at(obj, problem.path[:-1])
        return isinstance(parent, dict) and problem.path[-1] in parent
    return False


def _corpus() -> list[Any]:
    rng = random.Random(424242)
    seeds = [base("job")] * 6 + [base("cronjob")] * 2 + OTHERS
    out = []
    for i in range(420):
        out.append(_mutate(seeds[i % len(seeds)], rng))
    return out


CORPUS = _corpus()


def test_corpus_mixes_valid_and_invalid() -> None:
    verdicts = [bool(kv_errors(o, "1.32")) for o in CORPUS]
    assert 40 < sum(verdicts) < len(verdicts) - 40


@pytest.mark.parametrize("chunk", range(6))
def test_agreement_with_kubernetes_validate(chunk: int) -> None:
    for obj in CORPUS[chunk::6]:
        theirs = kv_errors(obj, "1.32")
        ours = validate_object(obj, version="1.32")
        if theirs:
            assert ours, f"kubernetes-validate rejects, we accept: {theirs[0].message} in {obj}"
            for error in theirs:  # and we say so at (or under) the same place
                where = tuple(error.absolute_path)
                assert any(p.path and p.path[: len(where)] == where for p in ours), (error.message, ours)
        else:
            unexcused = [p for p in ours if not _excused(p, obj)]
            assert not unexcused, f"we reject what kubernetes-validate accepts: {unexcused}"
