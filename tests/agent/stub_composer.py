"""A stand-in for ``compose.composer`` so the CLI tests do not depend on the composer.

:func:`install` puts a module named ``compose.composer`` whose ``Composer.load(root)`` returns
a :class:`StubComposer`; its ``build`` fills a small Job / ECS template from the merged
metadata. Run as a script it installs itself and runs ``compose`` with the arguments given
(the subprocess signal tests use that).

Metadata it understands: ``fail`` (raise a SpecError), ``exit_code`` and ``hold`` (steer the
fake cluster, see conftest.py), ``subnets`` / ``security_groups`` (ECS network).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "etl"},
    "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
        {"name": "flow", "image": "python:3.12", "command": ["python", "-m", "flow"]}]}}},
}


class StubComposer:
    loads: list[Path] = []

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def load(cls, root: Any = ".", *, strict: bool = False, on_warning: Any = None) -> "StubComposer":
        """As Composer.load (strict and on_warning are accepted; the stub never warns)."""
        from compose.errors import SpecError

        root = Path(root)
        if not (root / "compose.yaml").is_file():
            raise SpecError("no compose.yaml here", file=str(root / "compose.yaml"), step="load")
        cls.loads.append(root)
        return cls(root)

    def warm(self) -> int:
        """As Composer.warm: nothing to build ahead here."""
        return 0

    def build(self, metadata: Any, *, target: str | None = None, context: Any = None, sets: Any = None) -> Any:
        import copy

        from compose.errors import SpecError
        from compose.model import EcsSpec, KubernetesSpec
        from compose.spec.metadata import merge_layers

        layers = [("run", metadata)] if isinstance(metadata, Mapping) else list(metadata or [])
        if sets:
            layers.append(("--set", dict(sets)))
        md = merge_layers(layers).data
        if md.get("fail"):
            raise SpecError(f"parameter 'memory': {md['fail']}", step="build")
        run_id = context.id if context is not None else ""
        if target == "ecs":
            network = {"awsvpcConfiguration": {"subnets": [md.get("subnets", "subnet-1")],
                                               "securityGroups": [md.get("security_groups", "sg-1")]}}
            td = {"family": "stub-flow", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
                  "cpu": "256", "memory": "512",
                  "containerDefinitions": [{"name": "flow", "image": "python:3.12", "memory": 512, "essential": True}]}
            overrides = {"containerOverrides": [{"name": "flow", "environment": [{"name": "RUN_ID", "value": run_id}]}]}
            return EcsSpec(td, {"cluster": "compose-test", "launchType": "FARGATE", "networkConfiguration": network},
                           overrides, "flow", run_id)
        job = copy.deepcopy(JOB)
        notes = job["metadata"].setdefault("annotations", {})
        notes["test.compose.dev/exit-code"] = str(md.get("exit_code", 0))
        if md.get("hold"):
            notes["test.compose.dev/hold"] = "true"
        if "image" in md:
            job["spec"]["template"]["spec"]["containers"][0]["image"] = md["image"]
        return KubernetesSpec([job], job, "flow", run_id)


def install(modules: dict[str, Any] | None = None) -> None:
    """Make ``from compose.composer import Composer`` give :class:`StubComposer`."""
    module = types.ModuleType("compose.composer")
    module.Composer = StubComposer  # type: ignore[attr-defined]
    (modules if modules is not None else sys.modules)["compose.composer"] = module


if __name__ == "__main__":
    install()
    from compose.cli import main

    main(sys.argv[1:])
