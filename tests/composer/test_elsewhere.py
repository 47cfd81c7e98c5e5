"""Regression tests for bugs the composer tests found outside the composer's files.

Each was pinned as a strict xfail until fixed: `$patch: replace` in a list the base lacks
leaking into the output (server-order and ECS merges), and the gpu-spot profile running an
EC2-only (GPU) task on Fargate Spot (now an ECS rule, and the embedded default's GPU overlay
uses an EC2 capacity provider).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent

_REPLACE_PATCH = """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
- target: {kind: Job}
  patch: |-
    apiVersion: batch/v1
    kind: Job
    metadata: {name: typed}
    spec:
      template:
        spec:
          volumes:
          - $patch: replace
          - name: scratch
            emptyDir: {}
"""


def test_server_merge_drops_replace_directive_of_a_new_list(make_repo: Any) -> None:
    from compose import Composer

    composer = Composer.load(make_repo("typed", {"overlays/first/kustomization.yaml": _REPLACE_PATCH}))
    job = composer.build({"job_profile": "reversed"}).job
    assert job["spec"]["template"]["spec"]["volumes"] == [{"name": "scratch", "emptyDir": {}}]


def test_ecs_merge_drops_replace_directive_of_a_new_list(make_repo: Any) -> None:
    from compose import Composer

    part = {"runTask": {"launchType": None, "capacityProviderStrategy": [
        {"$patch": "replace"}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}]}}
    composer = Composer.load(make_repo("typed", {"overlays/first/ecs.yaml": part}))
    spec = composer.build({"job_profile": "reversed"}, target="ecs")
    assert spec.run_task["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]


def test_gpu_spot_ecs_is_coherent(default_composer: Any) -> None:
    from compose.errors import ValidationError

    try:
        spec = default_composer.build({"job_profile": "gpu-spot"}, target="ecs")
    except ValidationError:
        return  # an honest refusal is fine too
    compat = spec.task_definition["requiresCompatibilities"]
    providers = [p["capacityProvider"] for p in spec.run_task.get("capacityProviderStrategy", [])]
    fargate = any(p.startswith("FARGATE") for p in providers) or spec.run_task.get("launchType") == "FARGATE"
    assert fargate == ("FARGATE" in compat)
