"""The content-hash name suffix of generated ConfigMaps and Secrets, as Kustomize v5.5.

Mirrors api/hasher: the hash covers a canonical subset of the resource (ConfigMap: kind, name,
``data`` and, when it is a map, ``binaryData``; Secret: kind, type, name, ``data`` and, when a
map, ``stringData``; a missing field counts as ""). The name is always "": kustomize looks it
up as the single key ``"metadata/name"``, which no resource has, so two generators with the
same content get the same hash whatever their names. The subset is encoded as Go's ``json.Marshal`` encodes it
(sorted keys, no spaces, ``<``, ``>``, ``&``, U+2028 and U+2029 escaped), hashed with SHA-256;
the first 10 hex digits with ``0 1 3 a e`` mapped to ``g h k m t`` (so the suffix never looks
like a number) are appended as ``-<hash>``. It runs once, at the end of the build, after all
transformers; renames are recorded for name references.

>>> encode_hash("0123456789abcdef")
'gh2k456789'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from ...errors import KustomizationError
from ..resource import Resource

__all__ = ["apply", "content_hash", "encode_hash", "go_json"]

_ENCODE = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})


def encode_hash(hex_digest: str) -> str:
    """The first 10 hex digits with kustomize's letter mapping."""
    if len(hex_digest) < 10:
        raise KustomizationError("input length must be at least 10", step="hash")
    return hex_digest[:10].translate(_ENCODE)


def go_json(value: Any) -> str:
    """``value`` as Go's ``encoding/json.Marshal`` writes it (maps with sorted keys)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _field(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, dict):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return None  # kustomize reads a list here as a nil map: JSON null
    return str(value)


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """The subset of a ConfigMap or Secret that the hash covers."""
    kind = data.get("kind")
    if kind == "ConfigMap":
        out = {"kind": "ConfigMap", "name": "", "data": _field(data, "data")}
        if isinstance(data.get("binaryData"), dict):
            out["binaryData"] = data["binaryData"]
        return out
    if kind == "Secret":
        out = {"kind": "Secret", "type": _field(data, "type"), "name": "", "data": _field(data, "data")}
        if isinstance(data.get("stringData"), dict):
            out["stringData"] = data["stringData"]
        return out
    return data


def content_hash(data: dict[str, Any]) -> str:
    """The 10-character hash kustomize appends to a generated resource's name."""
    try:
        encoded = go_json(canonical(data))
    except (TypeError, ValueError) as exc:
        raise KustomizationError(f"cannot hash resource: {exc}", step="hash") from exc
    return encode_hash(hashlib.sha256(encoded.encode("utf-8")).hexdigest())


def apply(resources: Sequence[Resource]) -> None:
    """Append ``-<hash>`` to the name of every resource marked ``needs_hash``, in place."""
    for res in resources:
        if res.needs_hash:
            res.rename(f"{res.name}-{content_hash(res.data)}")
