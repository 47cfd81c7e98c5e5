"""compose as a Prefect 3 worker: work pool types ``compose-kubernetes`` and ``compose-ecs``.

Install with the extra (``pip install 'compose-jobs[prefect]'``, Prefect >= 3.9). Prefect finds
the worker types through the ``prefect.collections`` entry point, which imports
:mod:`compose.prefect.worker`; then ``prefect work-pool create --type compose-kubernetes`` and
``prefect worker start --type compose-kubernetes`` work as for Prefect's own workers.

What each flow run gets (see :mod:`compose.prefect.mapping`):

* its Job or ECS task built by compose from the pool's spec repo (a directory on the worker's
  disk, loaded and warmed once per worker process), with metadata layers *Prefect context <
  work pool < deployment < flow run*, deep-merged by compose;
* Prefect's environment and ``prefect.io/*`` labels merged onto the **flow container found by
  name**, the result validated again;
* submission through compose's runners: one Job / task per flow run id, whatever the number of
  hand-outs; one ECS task definition revision per profile.

The pool's base job template is generated from ``compose.yaml``
(:func:`compose.prefect.template.base_job_template`, ``compose prefect template``): every
declared parameter becomes a typed job variable the Prefect server checks.

Importing this package imports neither Prefect nor the composer.
"""

from __future__ import annotations


from compose._lazy import lazy_attributes

__all__ = [
    "base_job_template",
    "ComposeKubernetesWorker",
    "ComposeEcsWorker",
]

_LAZY = {
    "base_job_template": "compose.prefect.template",
    "ComposeKubernetesWorker": "compose.prefect.worker",
    "ComposeEcsWorker": "compose.prefect.worker",
}


__getattr__ = lazy_attributes(globals(), _LAZY)
