"""``compose init``: a small spec repo that builds out of the box.

The scaffold has both targets, two typed parameters, one overlay chosen by a condition
and one profile, so each part of a spec repo has an example to copy from. Existing files
are never overwritten.
"""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError

__all__ = ["scaffold", "FILES"]

_COMPOSE_YAML = """\
# A compose spec repo. Try:
#   compose build .                       # Kubernetes Job, default profile
#   compose build . --set memory=16Gi     # the big-memory overlay applies (a condition)
#   compose build . --set job_profile=big --target ecs
#   compose explain . --set memory=16Gi   # why, and which file set each field
apiVersion: compose.dev/v1alpha1
kind: SpecRepo
flowContainer: flow
profileKey: job_profile
merge:
  order: server
targets:
  kubernetes:
    base: bases/kubernetes
    version: "1.32"
  ecs:
    base: bases/ecs
    fargateSizes: roundUp     # a cpu/memory pair Fargate lacks is rounded up to the next valid size
parameters:
  job_profile:
    type: enum
    values: [default, big]
    default: default
  image:
    type: string
    default: python:3.12-slim
  cpu:
    type: quantity
    default: 500m
    minimum: 250m
  memory:
    type: quantity
    default: 1Gi
    minimum: 512Mi
    maximum: 64Gi
overlays:
- name: big-memory
  description: Runs asking 16Gi or more get a node pool with room for them
  when: {memory: {">=": 16Gi}}
profiles:
  default: []
  big:
    overlays: [big-memory]
    parameters: {memory: 16Gi, cpu: "2"}
"""

_K8S_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- job.yaml
"""

_K8S_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: flow-run
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 3600
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: flow
        image: ${image}
        command: ["python", "-c", "print('hello from ${flow.name}')"]
        env:
        - name: RUN_ID
          value: ${run.id}
        resources:
          requests:
            cpu: ${cpu}
            memory: ${memory}
          limits:
            memory: ${memory}
"""

_ECS_TASK_DEFINITION = """\
family: flow-run
requiresCompatibilities: [FARGATE]
networkMode: awsvpc
cpu: "${cpu|cpu_units|str}"
memory: "${memory|mib|str}"
containerDefinitions:
- name: flow
  image: ${image}
  essential: true
  command: ["python", "-c", "print('hello')"]
  environment:
  - name: RUN_ID
    value: ${run.id}   # changes every run: travels in the RunTask overrides
"""

_ECS_RUN_TASK = """\
cluster: default
launchType: FARGATE
networkConfiguration:
  awsvpcConfiguration:
    subnets: [subnet-0123456789abcdef0]
    assignPublicIp: DISABLED
"""

_OVERLAY_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
- path: job.yaml
  target:
    kind: Job
"""

_OVERLAY_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: flow-run
spec:
  template:
    spec:
      nodeSelector:
        node-pool: big-memory
"""

_OVERLAY_ECS = """\
# ECS part: strategic-merge patches of the task definition and of the RunTask request.
taskDefinition:
  ephemeralStorage:
    sizeInGiB: 50
"""

#: Relative path -> content of every scaffolded file.
FILES: dict[str, str] = {
    "compose.yaml": _COMPOSE_YAML,
    "bases/kubernetes/kustomization.yaml": _K8S_KUSTOMIZATION,
    "bases/kubernetes/job.yaml": _K8S_JOB,
    "bases/ecs/task-definition.yaml": _ECS_TASK_DEFINITION,
    "bases/ecs/run-task.yaml": _ECS_RUN_TASK,
    "overlays/big-memory/kustomization.yaml": _OVERLAY_KUSTOMIZATION,
    "overlays/big-memory/job.yaml": _OVERLAY_JOB,
    "overlays/big-memory/ecs.yaml": _OVERLAY_ECS,
}


def scaffold(directory: str | Path, *, allow_non_empty: bool = False) -> list[Path]:
    """Write the scaffold into ``directory`` (created if missing); return the files written.

    Raises:
        UsageError: ``directory`` is a file, is not empty (unless ``allow_non_empty``), or
            already holds one of the scaffold's files.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a directory")
    if root.is_dir() and any(root.iterdir()) and not allow_non_empty:
        raise UsageError(f"{root} is not empty (use --force to add the scaffold beside what is there)")
    clashes = [rel for rel in FILES if (root / rel).exists()]
    if clashes:
        raise UsageError(f"{root / clashes[0]} already exists; compose init never overwrites files")
    written = []
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(text)
        written.append(path)
    return written
