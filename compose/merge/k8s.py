"""``strategic_merge``: Kubernetes strategic merge patch in the API server's or kustomize's way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..errors import MergeError
from .server import ServerRules
from .walker import ANY, SCHEMALESS, Field, Path, Shape, Walker

Order = Literal["server", "kustomize"]


class _SchemalessServerRules(ServerRules):
    """Server rules for kinds the schema lacks: unknown fields merge instead of failing."""

    def unknown_field(self, shape: Shape, key: str, path: Path) -> Field:
        return ANY


_WALKERS = {
    True: Walker(ServerRules()),
    False: Walker(_SchemalessServerRules()),
}


def strategic_merge(base: Mapping[str, Any], patch: Mapping[str, Any], *, order: Order = "server",
                    styles: Any = None) -> dict:
    """Apply a strategic merge patch to a Kubernetes object and return the new object.

    Merge keys and strategies come from the Kubernetes 1.32 OpenAPI schema, for the kind
    named by the base's ``apiVersion`` and ``kind``. Neither input is modified.

    Args:
        base: the object (a plain dict, as parsed from YAML or JSON).
        patch: the strategic merge patch, with any ``$patch``, ``$retainKeys``,
            ``$deleteFromPrimitiveList/<f>`` and ``$setElementOrder/<f>`` directives.
        order: ``"server"`` gives what the API server (``kubectl patch``) gives, list order
            included; ``"kustomize"`` gives what ``kubectl kustomize`` (v5.5) gives, except
            that the three directives above are applied instead of copied through.
        styles: for ``order="kustomize"``, a :class:`compose.merge.kyaml.Styles` with the
            quoting of the base's and the patch's values as their files wrote them (kyaml
            keeps the style of a value it overwrites: ``"abc"`` patched with ``3`` is
            ``"3"``); its ``result_quoted`` is set. Without it, only strings YAML must quote
            count as quoted.

    Returns:
        A new dict.

    Raises:
        MergeError: the patch cannot be applied (the message says why, ``path`` says where).

    >>> base = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    ...         "spec": {"containers": [{"name": "flow", "image": "a"}]}}
    >>> patch = {"spec": {"containers": [{"name": "side", "image": "s"}]}}
    >>> [c["name"] for c in strategic_merge(base, patch)["spec"]["containers"]]
    ['side', 'flow']
    """
    if order not in ("server", "kustomize"):
        raise MergeError(f"unknown merge order {order!r}: expected 'server' or 'kustomize'")
    if not isinstance(base, Mapping):
        raise MergeError("the base of a strategic merge must be a mapping")
    from .schema import kind_definition, shape

    definition = kind_definition(base.get("apiVersion"), base.get("kind"))
    root = shape(definition, order) if definition is not None else SCHEMALESS
    return merge_shaped(base, patch, root, order=order, known=definition is not None, styles=styles)


def merge_shaped(base: Mapping[str, Any], patch: Mapping[str, Any], root: Shape, *, order: Order = "server",
                 known: bool = True, styles: Any = None) -> dict:
    """:func:`strategic_merge` with the root :class:`Shape` given instead of looked up.

    For callers with a schema of their own (a kustomization's ``openapi:``). ``known``
    says whether the schema knows the kind: under ``order="server"`` fields a known kind
    lacks are errors, for an unknown kind they merge.
    """
    if order not in ("server", "kustomize"):
        raise MergeError(f"unknown merge order {order!r}: expected 'server' or 'kustomize'")
    if not isinstance(base, Mapping):
        raise MergeError("the base of a strategic merge must be a mapping")
    try:
        if order == "kustomize":
            from . import kyaml

            if not isinstance(patch, Mapping):
                raise MergeError(f"the patch must be a mapping, not {type(patch).__name__}")
            return kyaml.merge(base, patch, root, styles)
        return _WALKERS[known].merge(base, patch, root)
    except RecursionError as exc:
        raise MergeError("the document is nested too deeply to merge") from exc
