"""Bugs found outside the composer's files, pinned as strict xfails (each names its owner).

When one is fixed, its test starts passing and strict xfail turns that into a failure:
remove the mark then.
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


@pytest.mark.xfail(strict=True, reason=(
    "compose/merge (server order): a `$patch: replace` list item in a list the base does not have is "
    "copied into the output verbatim (then rejected as an unknown field); `kubectl patch --local` drops "
    "the directive and keeps the other items"))
def test_server_merge_drops_replace_directive_of_a_new_list(make_repo: Any) -> None:
    from compose import Composer

    composer = Composer.load(make_repo("typed", {"overlays/first/kustomization.yaml": _REPLACE_PATCH}))
    job = composer.build({"job_profile": "reversed"}).job
    assert job["spec"]["template"]["spec"]["volumes"] == [{"name": "scratch", "emptyDir": {}}]


@pytest.mark.xfail(strict=True, reason=(
    "compose/merge (ECS): a `$patch: replace` list item in a list the base does not have "
    "(capacityProviderStrategy) stays in the RunTask request; ECS_MERGE.md says the directive makes the "
    "other items the whole list"))
def test_ecs_merge_drops_replace_directive_of_a_new_list(make_repo: Any) -> None:
    from compose import Composer

    part = {"runTask": {"launchType": None, "capacityProviderStrategy": [
        {"$patch": "replace"}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}]}}
    composer = Composer.load(make_repo("typed", {"overlays/first/ecs.yaml": part}))
    spec = composer.build({"job_profile": "reversed"}, target="ecs")
    assert spec.run_task["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]


@pytest.mark.xfail(strict=True, reason=(
    "embedded default (overlays/spot/ecs.yaml with overlays/gpu/ecs.yaml) and compose/ecs rules: profile "
    "gpu-spot on ECS runs an EC2-only task definition (GPU) on the FARGATE_SPOT capacity provider, which "
    "ECS rejects; no ECS rule checks launch type / capacity provider against requiresCompatibilities"))
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
