"""The format rules the Kubernetes API server applies to names, label keys and label values
(apimachinery's ``pkg/util/validation``: ``IsDNS1123Label``, ``IsDNS1123Subdomain``,
``IsValidLabelValue``, ``IsQualifiedName``), and ECS's name rule: one copy of each, as plain
predicates, for the layers that check (:mod:`compose.k8s.apiserver`), clean
(:mod:`compose.spec.names`) or name (:mod:`compose.runner.kubernetes`) values.

>>> is_dns1123_label("flow-run-42"), is_dns1123_label("My_Flow"), is_label_value("")
(True, False, True)
"""

from __future__ import annotations

import re

__all__ = ["is_dns1123_label", "is_dns1123_subdomain", "is_label_value", "is_label_key", "is_ecs_name"]

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_ECS_NAME = re.compile(r"[A-Za-z0-9_-]+")


def is_dns1123_label(value: str, max_length: int = 63) -> bool:
    """True for a valid DNS-1123 label of at most ``max_length`` characters."""
    return len(value) <= max_length and _DNS_LABEL.fullmatch(value) is not None


def is_dns1123_subdomain(value: str, max_length: int = 253) -> bool:
    """True for a valid DNS-1123 subdomain of at most ``max_length`` characters."""
    return len(value) <= max_length and _DNS_SUBDOMAIN.fullmatch(value) is not None


def is_label_value(value: str) -> bool:
    """True for a valid label value (empty is valid)."""
    return len(value) <= 63 and _LABEL_VALUE.fullmatch(value) is not None


def is_label_key(value: str) -> bool:
    """True for a valid label or annotation key: ``[prefix/]name``, the name a qualified name
    (a non-empty label value), the prefix a DNS-1123 subdomain."""
    prefix, slash, name = value.rpartition("/")
    if slash and not (prefix and is_dns1123_subdomain(prefix)):
        return False
    return bool(name) and is_label_value(name)


def is_ecs_name(value: str, max_length: int = 255) -> bool:
    """True for a valid ECS task definition family or container name."""
    return 0 < len(value) <= max_length and _ECS_NAME.fullmatch(value) is not None
