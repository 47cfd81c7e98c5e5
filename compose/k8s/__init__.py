"""Kubernetes output: strict schema validation and ``kubernetes.client`` models.

* :func:`validate_object` checks any object (Job, CronJob, ConfigMap, Secret, RBAC, ...)
  against the OpenAPI schema of a chosen Kubernetes version and returns every problem
  with its field path; unknown fields are errors.
* :func:`compile_value_checkers` checks, per build, only the values substituted at known
  paths (validate the rest once with ``validate_object(..., skip_values=paths)``).
* :func:`to_v1job` / :func:`to_model` build the client's models with the client's own
  deserializer, refusing fields it would silently drop.

The schemas ship compressed under ``schemas/`` (see :mod:`compose.k8s.gen_schemas` to add
a version); neither ``kubernetes`` nor ``kubernetes-validate`` is needed to validate.
"""

from __future__ import annotations

from typing import Any

from .schema import SchemaNode, supported_versions
from .validate import (
    DEFAULT_VERSION,
    ValueChecker,
    compile_value_checkers,
    is_quantity,
    require_valid,
    schema_at,
    validate_object,
)

__all__ = [
    "DEFAULT_VERSION",
    "validate_object",
    "require_valid",
    "compile_value_checkers",
    "ValueChecker",
    "schema_at",
    "SchemaNode",
    "is_quantity",
    "supported_versions",
    "to_model",
    "to_v1job",
    "from_model",
]


def to_model(obj: Any, *, version: str | None = DEFAULT_VERSION) -> Any:
    """See :func:`compose.k8s.convert.to_model` (imports ``kubernetes`` on first call)."""
    from .convert import to_model as impl

    return impl(obj, version=version)


def to_v1job(obj: Any, *, version: str | None = DEFAULT_VERSION) -> Any:
    """See :func:`compose.k8s.convert.to_v1job` (imports ``kubernetes`` on first call)."""
    from .convert import to_v1job as impl

    return impl(obj, version=version)


def from_model(model: Any) -> Any:
    """See :func:`compose.k8s.convert.from_model`."""
    from .convert import from_model as impl

    return impl(model)
