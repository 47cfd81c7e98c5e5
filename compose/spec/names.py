"""Making values valid Kubernetes (and ECS) names, label keys and label values.

A placeholder that lands in a name or a label (``metadata.name: flow-${run.name}``) can carry
any text: upper case, spaces, underscores, 200 characters. The functions here turn such a value
into one the API server accepts, by one rule:

1. A value that is already valid is returned **unchanged**.
2. Otherwise it is lower-cased (DNS names only; label values and ECS names keep their case),
   every run of invalid characters becomes one ``-``, and characters that may not start or end
   the value are trimmed.
3. Then ``-`` and the first 8 hex digits of the SHA-256 of the *original* value are appended,
   after cutting the cleaned text so that the whole fits the length limit.

Because a changed value always carries a hash of what it was, two different inputs never map
to the same output (short of a 32-bit hash collision), even when they differ only in case,
punctuation or past the length limit, and the result is stable from run to run. Each function
is idempotent: its output is valid, so a second pass keeps it.

============================  =====  ===============================================  ===========
Kind                          Limit  Characters                                       Function
============================  =====  ===============================================  ===========
DNS-1123 label                63     ``a-z 0-9 -``, alphanumeric at both ends          dns1123_label
DNS-1123 subdomain            253    labels joined by ``.``                            dns1123_subdomain
label value                   63     ``A-Z a-z 0-9 - _ .``, alphanumeric ends, or empty label_value
label key                     -      ``[subdomain prefix/]name``, name as a label value label_key
ECS name (family, container)  255    ``A-Z a-z 0-9 - _``                               ecs_name
============================  =====  ===============================================  ===========

>>> dns1123_label("flow-run-42"), dns1123_label("My_Flow")
('flow-run-42', 'my-flow-969eac35')
"""

from __future__ import annotations

import hashlib
import re

from ..formats import is_dns1123_label, is_dns1123_subdomain, is_ecs_name, is_label_key, is_label_value

__all__ = [
    "HASH_LENGTH",
    "short_hash",
    "dns1123_label",
    "dns1123_subdomain",
    "label_value",
    "label_key",
    "ecs_name",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_label_value",
    "is_label_key",
    "is_ecs_name",
]

#: Hex digits of the SHA-256 appended to a value that had to be changed.
HASH_LENGTH = 8

_NOT_DNS = re.compile(r"[^a-z0-9]+")
_NOT_SUBDOMAIN = re.compile(r"[^a-z0-9.]+")
_NOT_LABEL = re.compile(r"[^A-Za-z0-9_.]+")
_NOT_ECS = re.compile(r"[^A-Za-z0-9_-]+")


def short_hash(value: str) -> str:
    """The first :data:`HASH_LENGTH` hex digits of the SHA-256 of ``value`` (UTF-8)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def _with_hash(original: str, cleaned: str, max_length: int, trim: str) -> str:
    digest = short_hash(original)
    room = max_length - len(digest) - 1
    body = cleaned[:room].rstrip(trim) if room > 0 else ""
    return f"{body}-{digest}" if body else digest


def dns1123_label(value: str, max_length: int = 63) -> str:
    """``value`` as a DNS-1123 label (container names, namespaces, Job names).

    Args:
        value: any text.
        max_length: the limit (63 for a label; less where Kubernetes appends to the name).

    Returns:
        ``value`` itself when valid; otherwise the cleaned value with a short hash.
    """
    if is_dns1123_label(value, max_length):
        return value
    cleaned = _NOT_DNS.sub("-", value.lower()).strip("-")
    return _with_hash(value, cleaned, max_length, "-")


def dns1123_subdomain(value: str, max_length: int = 253) -> str:
    """``value`` as a DNS-1123 subdomain (most object names, ``serviceAccountName``)."""
    if is_dns1123_subdomain(value, max_length):
        return value
    lowered = _NOT_SUBDOMAIN.sub("-", value.lower())
    parts = [p.strip("-") for p in lowered.split(".")]
    cleaned = ".".join(p for p in parts if p)
    return _with_hash(value, cleaned, max_length, "-.")


def label_value(value: str) -> str:
    """``value`` as a label value (case kept; ``-``, ``_``, ``.`` allowed inside)."""
    if is_label_value(value):
        return value
    cleaned = _NOT_LABEL.sub("-", value).strip("-_.")
    return _with_hash(value, cleaned, 63, "-_.")


def label_key(value: str) -> str:
    """``value`` as a label key: the prefix (before the last ``/``) as a subdomain, the name as
    a label value of at least one character."""
    if is_label_key(value):
        return value
    prefix, slash, name = value.rpartition("/")
    name = label_value(name) or short_hash(value)
    if slash:
        # "/x" is not "x": an empty prefix is dropped, and that change is hashed like any other.
        return f"{dns1123_subdomain(prefix)}/{name}" if prefix else _with_hash(value, name, 63, "-_.")
    return name


def ecs_name(value: str, max_length: int = 255) -> str:
    """``value`` as an ECS task definition family or container name (``A-Za-z0-9_-``)."""
    if is_ecs_name(value, max_length):
        return value
    cleaned = _NOT_ECS.sub("-", value).strip("-")
    return _with_hash(value, cleaned, max_length, "-")
