"""images, as Kustomize v5.5's ImageTagTransformer (api/filters/imagetag, api/image).

For each ``images:`` entry, in order, every ``image`` of an item of any list called
``containers`` or ``initContainers`` anywhere in any resource (CustomResourceDefinitions
excepted), then the ``image`` at the images field specs, is rewritten when it matches the
entry's ``name``: the name alone, or followed by ``:tag`` and/or ``@sha256:digest``. ``name`` is
used as a regular expression, as kustomize does. ``newName`` replaces the name (keeping any
registry port in ``name`` matching); ``newTag`` replaces tag and digest; ``digest`` replaces tag
and digest; both give ``name:tag@digest``; otherwise ``tagSuffix`` is appended to the tag (an
image without a tag gets ``name:<suffix>``) and the digest dropped.

Example::

    images:
    - name: nginx
      newTag: "1.27"      # nginx, nginx:1.25, nginx@sha256:... -> nginx:1.27
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...safe_regex import RegexError, compile_linear
from ..resource import Resource
from ._common import live, selected
from .fieldpath import walk
from .config import default_config
from .fieldspecs import FieldSpec

__all__ = ["apply", "split", "matches", "update"]

_CONTAINER_LISTS = ("containers", "initContainers")


def matches(image: str, name: str) -> bool:
    """Whether ``image`` is ``name`` with an optional tag and digest (``name`` is a regex)."""
    # Go's regexp (RE2) as Kustomize compiles it: linear in the image's length.
    try:
        pattern = compile_linear("^" + name + r"(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$")
    except RegexError:
        return False
    return pattern.fullmatch(image) is not None


def split(image: str) -> tuple[str, str, str]:
    """``[host[:port]/]path[:tag][@digest]`` -> (name, tag, digest), as kustomize splits it.

    >>> split("registry:5000/team/tool:1.0@sha256:ab")
    ('registry:5000/team/tool', '1.0', 'sha256:ab')
    """
    slash = image.find("/")
    search = image[slash:] if slash > 0 else image
    offset = slash if slash > 0 else 0
    at = search.find("@")
    colon = search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        at += offset
        return image[:at], "", image[at + 1 :]
    if at >= 0 and colon >= 0:
        at += offset
        colon += offset
        return image[:colon], image[colon + 1 : at], image[at + 1 :]
    colon += offset
    return image[:colon], image[colon + 1 :], ""


def update(image: str, entry: Mapping[str, Any]) -> str:
    """The image after applying one ``images:`` entry (unchanged when it does not match)."""
    if not matches(image, str(entry.get("name") or "")):
        return image
    name, tag, digest = split(image)
    new_name = str(entry.get("newName") or "")
    new_tag = _text(entry.get("newTag"))
    new_digest = str(entry.get("digest") or "")
    tag_suffix = _text(entry.get("tagSuffix"))
    if new_name:
        name = new_name
    if new_tag and new_digest:
        tag, digest = new_tag, new_digest
    elif new_tag:
        tag, digest = new_tag, ""
    elif new_digest:
        tag, digest = "", new_digest
    elif tag_suffix:
        tag, digest = tag + tag_suffix, ""
    if tag:
        name += ":" + tag
    if digest:
        name += "@" + digest
    return name


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_image(container: Any, key: Any, entry: Mapping[str, Any]) -> None:
    value = container[key]
    if isinstance(value, str):
        container[key] = update(value, entry)


def _legacy(node: Any, entry: Mapping[str, Any]) -> None:
    """Every ``containers``/``initContainers`` list anywhere (kustomize's LegacyFilter)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _legacy(value, entry)
            if key in _CONTAINER_LISTS and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and "image" in item:
                        _set_image(item, "image", entry)
    elif isinstance(node, list):
        for item in node:
            _legacy(item, entry)


def apply(
    resources: Sequence[Resource], images: Sequence[Mapping[str, Any]], specs: Sequence[FieldSpec] | None = None
) -> None:
    """Apply ``images:`` entries (name, newName, newTag, digest, tagSuffix) to ``resources``, in place."""
    items = live(resources)
    table = default_config().images if specs is None else specs
    for entry in images:
        for res in items:
            if res.kind != "CustomResourceDefinition":
                _legacy(res.data, entry)
        for res in items:
            for spec in table:
                if selected(spec, res):
                    walk(res.data, spec.path, lambda c, k, e=entry: _set_image(c, k, e))
