"""The composer: a spec repo loaded once, built for many runs.

:class:`Composer` ties the layers together. ``Composer.load(root)`` reads and checks
``compose.yaml`` and every base and overlay file. ``composer.build(metadata, target=...,
context=...)`` then, for one run:

1. merges the metadata layers, picks the profile, resolves the typed parameters and decides
   which overlays apply (:func:`compose.spec.select`);
2. takes the merged tree for that set of overlays: built once per set and cached (the
   Kubernetes part through the Kustomize-compatible build with the overlays as Components,
   the ECS part through the ECS strategic merge), validated once with the placeholder values
   left out, and compiled into a substitution plan;
3. substitutes the parameter and run-context values into the parsed tree (never into YAML
   text) and checks just those values against the schema;
4. for Kubernetes, names the Job after the run and labels it with the run id, exactly as the
   runner submits it; for ECS, moves the values that change every run into the RunTask
   overrides, so one profile keeps one task definition.

Work that does not depend on the parameter values (file reading, merging, the structural
validation) is done once per overlay set: :meth:`Composer.warm` does it for every profile and
overlay up front, after which builds read no files. A Composer is safe to share between
threads.

>>> from compose import Composer                                # doctest: +SKIP
>>> composer = Composer.load("path/to/spec-repo")               # doctest: +SKIP
>>> spec = composer.build({"job_profile": "gpu"}, target="kubernetes")  # doctest: +SKIP
>>> spec.job["spec"]["template"]["spec"]["containers"][0]["name"]       # doctest: +SKIP

The package splits along the seams: :mod:`.core` (the Composer: metadata layers, selection,
the per-set cache, validate), :mod:`.kubernetes` and :mod:`.ecs` (each target's compile and
render), :mod:`.provenance` (which file and line set each field; ``explain``).
"""

from __future__ import annotations

from .core import Composer
from .ecs import RUN_TASK_FILE, TASK_DEFINITION_FILE
from .provenance import Explanation, FieldOrigin

__all__ = ["Composer", "Explanation", "FieldOrigin", "TASK_DEFINITION_FILE", "RUN_TASK_FILE"]
