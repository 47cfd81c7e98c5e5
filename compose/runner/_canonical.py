"""The canonical form of an ECS task definition, and its hash.

ECS echoes a registered task definition back with fields that were never inputs (ARN,
revision, status, ``registeredAt`` ...), with defaults filled in (container ``cpu: 0``,
``essential: true``, empty lists) and with lists that are really sets or maps in whatever
order they came. Comparing a composed ``RegisterTaskDefinition`` input with a described one
field by field therefore says "changed" when nothing did. Instead the runner hashes a
canonical form of what it composed and keeps the hash in a tag on the revision it registers
(:data:`compose.constants.SPEC_HASH_TAG`); the next submission of the same spec finds the tag
and reuses the revision.

The canonical form:

* drops the fields ECS adds when it describes a task definition (:data:`NOT_INPUTS`) and
  ``tags`` (tags do not change what runs, and the hash itself lives in one);
* drops ``None``, empty lists and empty maps, which ECS treats as absent;
* fills the defaults ECS fills (:data:`CONTAINER_DEFAULTS`, port mapping ``protocol: tcp``)
  and drops container ``cpu: 0``, so that writing a default and omitting it hash the same;
* sorts keyed lists by their key (:data:`KEYED_LISTS`, the table in FACTS.md: containers and
  environment by ``name`` ...) and sets of strings (:data:`SET_LISTS`), while lists whose
  order matters (``command``, ``entryPoint``, ``placementConstraints`` ...) keep their order;
* serializes as JSON with sorted keys and no whitespace.

Two task definitions with the same canonical form run the same containers the same way; a
real change (an image tag, one environment value, the order of ``command``) changes it.

>>> a = {"family": "f", "containerDefinitions": [{"name": "c", "image": "i", "cpu": 0}],
...      "tags": [{"key": "team", "value": "x"}]}
>>> b = {"containerDefinitions": [{"image": "i", "name": "c", "essential": True}],
...      "family": "f", "volumes": []}
>>> spec_hash(a) == spec_hash(b)
True
>>> len(spec_hash(a))
16
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "NOT_INPUTS",
    "KEYED_LISTS",
    "SET_LISTS",
    "CONTAINER_DEFAULTS",
    "canonical_task_definition",
    "canonical_json",
    "spec_hash",
]

#: Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not take, plus
#: ``tags`` (kept out of the hash on purpose: the hash itself is a tag).
NOT_INPUTS: frozenset[str] = frozenset(
    {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "deregisteredAt",
        "deleteRequestedAt",
        "registeredBy",
        "tags",
    }
)

# Paths below are field names from the task definition root with list indexes left out:
# ("containerDefinitions", "environment") is every container's environment list.

#: Lists whose items are identified by a key (order carries no meaning): path -> key field.
KEYED_LISTS: Mapping[tuple[str, ...], str] = {
    ("containerDefinitions",): "name",
    ("containerDefinitions", "environment"): "name",
    ("containerDefinitions", "secrets"): "name",
    ("containerDefinitions", "logConfiguration", "secretOptions"): "name",
    ("containerDefinitions", "firelensConfiguration", "options"): "name",
    ("containerDefinitions", "ulimits"): "name",
    ("containerDefinitions", "dependsOn"): "containerName",
    ("containerDefinitions", "extraHosts"): "hostname",
    ("containerDefinitions", "systemControls"): "namespace",
    ("containerDefinitions", "resourceRequirements"): "type",
    ("containerDefinitions", "mountPoints"): "containerPath",
    ("containerDefinitions", "volumesFrom"): "sourceContainer",
    ("containerDefinitions", "linuxParameters", "devices"): "hostPath",
    ("containerDefinitions", "linuxParameters", "tmpfs"): "containerPath",
    ("proxyConfiguration", "properties"): "name",
    ("volumes",): "name",
    ("inferenceAccelerators",): "deviceName",
}

#: Lists of strings that are sets: sorted (duplicates kept, they are the user's to fix).
SET_LISTS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("requiresCompatibilities",),
        ("containerDefinitions", "dockerSecurityOptions"),
        ("containerDefinitions", "linuxParameters", "capabilities", "add"),
        ("containerDefinitions", "linuxParameters", "capabilities", "drop"),
    }
)

#: Defaults ECS fills into every container definition when they are absent.
CONTAINER_DEFAULTS: Mapping[str, Any] = {"essential": True}

#: Container fields whose default ECS reports explicitly; equal to it means absent.
_CONTAINER_ZERO = {"cpu": 0}


def _port_key(item: Any) -> str:
    # Port mappings are keyed by (containerPort or containerPortRange, protocol).
    if not isinstance(item, Mapping):
        return _dump(item)
    port = item.get("containerPort", item.get("containerPortRange"))
    return _dump([port, item.get("protocol", "tcp")])


def _field_key(field: str) -> Callable[[Any], str]:
    def key(item: Any) -> str:
        if isinstance(item, Mapping):
            return _dump([item.get(field), item])
        return _dump([None, item])

    return key


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (list, tuple, Mapping)) and len(value) == 0)


def _walk(value: Any, path: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        if path == ("containerDefinitions",):
            value = {**CONTAINER_DEFAULTS, **{k: v for k, v in value.items() if v is not None}}
            value = {k: v for k, v in value.items() if _CONTAINER_ZERO.get(k, object()) != v}
        elif path == ("containerDefinitions", "portMappings"):
            value = {"protocol": "tcp", **{k: v for k, v in value.items() if v is not None}}
        for key in sorted(value, key=str):
            if not path and key in NOT_INPUTS:
                continue
            item = _walk(value[key], path + (str(key),))
            if not _is_empty(item):
                out[str(key)] = item
        return out
    if isinstance(value, (list, tuple)):
        items = [_walk(item, path) for item in value]
        items = [item for item in items if item is not None]
        if path in KEYED_LISTS:
            items.sort(key=_field_key(KEYED_LISTS[path]))
        elif path == ("containerDefinitions", "portMappings"):
            items.sort(key=_port_key)
        elif path in SET_LISTS:
            items.sort(key=_dump)
        return items
    return value


def canonical_task_definition(td: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of a ``RegisterTaskDefinition`` input (or a described one).

    Args:
        td: the task definition; not modified.

    Returns:
        A new dict: inputs only, no tags, defaults filled, empties dropped, keyed lists and
        sets sorted (see the module documentation).

    >>> canonical_task_definition({"family": "f", "revision": 3, "requiresCompatibilities":
    ...     ["FARGATE", "EC2"], "containerDefinitions": [{"name": "b"}, {"name": "a", "cpu": 0}]})
    {'containerDefinitions': [{'essential': True, 'name': 'a'}, {'essential': True, 'name': 'b'}], 'family': 'f', 'requiresCompatibilities': ['EC2', 'FARGATE']}
    """
    return _walk(td, ())


def canonical_json(td: Mapping[str, Any]) -> str:
    """The canonical form as compact JSON with sorted keys: the text that is hashed."""
    return _dump(canonical_task_definition(td))


def spec_hash(td: Mapping[str, Any], *, length: int = 16) -> str:
    """A short hex SHA-256 of the canonical form, the value of the spec-hash tag.

    Args:
        td: the task definition; not modified.
        length: how many hex digits to keep (16 = 64 bits, plenty within one family).

    >>> spec_hash({"family": "f", "containerDefinitions": [{"name": "c", "image": "i"}]})
    'e68746ebdf16d108'
    """
    return hashlib.sha256(canonical_json(td).encode("utf-8")).hexdigest()[:length]
