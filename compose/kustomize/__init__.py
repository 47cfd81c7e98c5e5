"""A Kustomize-compatible build: ``build(dir)`` gives what ``kubectl kustomize dir`` gives.

Public API:

- :func:`build` — the resources (:class:`Resource`, with file and line table) in output order.
- :func:`build_documents` — the same as plain manifests.

Layers: :mod:`.loader` reads and normalizes kustomization files, :mod:`.patches` and
:mod:`.json6902` apply patches, :mod:`.transformers` hold one module per Kustomize
transformer, :mod:`.ordering` sorts the output, :mod:`.openapi` reads ``openapi:`` and ``crds:`` schemas,
:mod:`.build` runs the pipeline.
"""

from __future__ import annotations

from .build import build, build_documents
from .resource import Resource, ResId

__all__ = ["build", "build_documents", "Resource", "ResId"]
