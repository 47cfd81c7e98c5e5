"""Checks of what a program passes to ``Composer.build`` / ``explain``, before any work.

A caller that passes ``"job_profile=gpu"`` (a string) or ``[{"job_profile": "gpu"}]`` (a list
of mappings) as metadata gets an :class:`ArgumentError` naming the argument and saying what
it takes, instead of an unpacking error deep inside; so does ``sets="memory=8Gi"``.
Metadata nested deeper than ``max_depth`` (:mod:`compose.limits`, 100 by default; a cycle is
infinitely deep) is refused before anything recurses into it.

>>> try:
...     check_build_arguments("job_profile=gpu", None, None)
... except ArgumentError as exc:
...     print(exc)
metadata must be a mapping (or a list of (name, mapping) layers), got a string 'job_profile=gpu'; --set style strings go in sets=['job_profile=gpu']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compose.errors import UsageError
from compose.limits import current

from ._caps import DEPTH_FLOOR, clip
from .metadata import MetadataLayer

__all__ = ["ArgumentError", "check_build_arguments", "check_metadata_depth"]


class ArgumentError(UsageError, TypeError):
    """A Python API argument of the wrong kind (both a ComposeError and a TypeError)."""


def _what(value: Any) -> str:
    if isinstance(value, str):
        return f"a string {clip(value)}"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return f"a number ({type(value).__name__})"
    return f"a {type(value).__name__}"


def check_metadata_depth(data: Any, name: str) -> None:
    """Refuse mappings and lists nested deeper than ``max_depth`` (iteratively: no recursion).

    Raises:
        ArgumentError: naming the layer and the depth.
    """
    limit = DEPTH_FLOOR  # the limits are looked up only for metadata deeper than this
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Any = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        if depth > limit and limit == DEPTH_FLOOR:
            limit = max(current().max_depth, DEPTH_FLOOR)
        if depth > limit:
            raise ArgumentError(
                f"{name} is nested more than {limit} levels deep (max_depth; a mapping that contains itself is too)"
            )
        stack.extend((child, depth + 1) for child in children)


def check_build_arguments(metadata: Any, sets: Any, context: Any, context_types: tuple[type, ...] = ()) -> None:
    """Check the arguments of ``Composer.build``/``explain``.

    Args:
        metadata: None, a mapping, or a sequence of layers (``MetadataLayer`` or ``(name, mapping)``).
        sets: None, a mapping of names to strings, or a sequence of ``"key=value"`` strings.
        context: None or one of ``context_types`` (when given).

    Raises:
        ArgumentError: an argument of the wrong kind, or metadata nested too deep.
    """
    if metadata is not None and not isinstance(metadata, Mapping):
        if isinstance(metadata, (str, bytes, bytearray)):
            hint = f"; --set style strings go in sets=[{metadata!r}]" if isinstance(metadata, str) and "=" in metadata and len(metadata) <= 200 else ""
            raise ArgumentError(f"metadata must be a mapping (or a list of (name, mapping) layers), got {_what(metadata)}{hint}")
        if not isinstance(metadata, Sequence):
            hint = "; a run goes in context=" if context_types and isinstance(metadata, context_types) else ""
            raise ArgumentError(f"metadata must be a mapping (or a list of (name, mapping) layers), got {_what(metadata)}{hint}")
        for i, layer in enumerate(metadata):
            if isinstance(layer, MetadataLayer):
                continue
            if not (isinstance(layer, (tuple, list)) and len(layer) == 2 and isinstance(layer[0], str)):
                hint = "; pass one mapping as metadata=, or layers as [('run', {...})]" if isinstance(layer, Mapping) else ""
                raise ArgumentError(
                    f"metadata[{i}] must be a (name, mapping) pair or a MetadataLayer, got {_what(layer)}{hint}"
                )
            if not isinstance(layer[1], Mapping):
                raise ArgumentError(f"metadata[{i}] ({layer[0]!r}) must hold a mapping, got {_what(layer[1])}")
    if sets is not None:
        if isinstance(sets, (str, bytes, bytearray)) or not isinstance(sets, (Mapping, Sequence)):
            raise ArgumentError(f"sets must be a mapping of names to strings or a list of 'key=value' strings, got {_what(sets)}")
        items = sets.items() if isinstance(sets, Mapping) else enumerate(sets)
        for key, value in items:
            if not isinstance(value, str):
                raise ArgumentError(f"sets[{key!r}] must be a string (sets are --set text), got {_what(value)}")
    if context is not None and context_types and not isinstance(context, context_types):
        names = " or ".join(t.__name__ for t in context_types)
        raise ArgumentError(f"context must be a {names}, got {_what(context)}")
    if metadata is None:
        run_metadata = getattr(context, "metadata", None)
        if run_metadata is not None:
            check_metadata_depth(run_metadata, "context.metadata")
    elif isinstance(metadata, Mapping):
        check_metadata_depth(metadata, "metadata")
    else:
        for i, layer in enumerate(metadata):
            data = layer.data if isinstance(layer, MetadataLayer) else layer[1]
            check_metadata_depth(data, f"metadata[{i}]")
