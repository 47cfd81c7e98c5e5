"""Strategic merge engines: Kubernetes (API server or kustomize list order) and ECS.

Public API:

- :func:`strategic_merge` — Kubernetes strategic merge patch, ``order="server"`` (what
  ``kubectl patch --type strategic`` and the API server give) or ``order="kustomize"``
  (what ``kubectl kustomize`` v5.5 gives).
- :func:`ecs_merge` — strategic merge of ECS ``RegisterTaskDefinition`` inputs.
- :func:`run_task_merge` — strategic merge of ECS ``RunTask`` inputs.

**order="kustomize"** is a port of kyaml's walker and merge visitor
(:mod:`compose.merge.kyaml`), so it gives what ``kubectl kustomize`` gives, odd corners
included, except where kustomize would output a spec no API server accepts or silently
drop items. Deliberate differences: kustomize v5.5 copies ``$retainKeys``,
``$deleteFromPrimitiveList/<field>`` and ``$setElementOrder/<field>`` into its output
unprocessed, compose applies them as the API server does; a ``{$patch: replace}`` item in
a keyed list the base lacks (kustomize outputs it alone, dropping the other items) is
applied; a patch item without its merge key (kustomize deletes every keyed item of the
list) and an unknown ``$patch`` value are errors.

**Directives in new values.** Under ``order="server"`` a value the base lacks loses every
map that carries ``$patch`` (so ``[{$patch: replace}, {name: x}]`` on a new list gives
``[{name: x}]``), while a new item appended to an existing keyed list is copied verbatim,
directives included: exactly what ``kubectl patch`` does (:mod:`compose.merge.server`).

**Unknown kinds** (custom resources, kinds absent from the schema): maps merge key by
key and every list is replaced whole, which is what kustomize does with them (its list
inference by ``name`` is not enabled for patches: verified with ``kubectl kustomize``).
The API server refuses strategic merge patches for custom resources and
``kubectl patch --local`` refuses unknown kinds; compose merges them the kustomize way
under ``order="server"`` too, keeping the server's null and directive rules.

The merge-key table is derived from the Kubernetes OpenAPI schema
(``python -m compose.merge.gen_schema``) and read lazily on the first merge.
"""

from __future__ import annotations

from typing import Any

from .k8s import strategic_merge

__all__ = ["strategic_merge", "ecs_merge", "run_task_merge"]


def __getattr__(name: str) -> Any:
    # The ECS merge and its table load only when asked for: `compose build` of a
    # kustomization never needs them.
    if name in ("ecs_merge", "run_task_merge"):
        from . import ecs

        return getattr(ecs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
