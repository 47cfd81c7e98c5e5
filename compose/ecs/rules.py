"""Semantic rules for ECS requests: what the API model cannot say.

Each rule is a function of the request (and, for RunTask, the task definition) that yields
:class:`~compose.errors.Problem` objects; its id (``Problem.source`` is ``"ecs." + id``) is
set by the :func:`rule` decorator. Rules read plain dicts and skip anything of the wrong type
silently: the model check (:mod:`compose.ecs._model`) already reports wrong types, and every
rule runs even when others found problems, so one call reports everything.

Task definition rules (:data:`TASK_DEFINITION_RULES`):

``container-count``
    1 to 10 containers (the ECS quota on containers per task definition).
``container-name``
    Every container has a ``name`` (up to 255 letters, digits, ``_``, ``-``) and an ``image``;
    the model marks neither required.
``duplicate``
    No two items of a keyed list share their key (:data:`UNIQUE_KEYS`): container names,
    volume names, environment and secret names (also across the two lists), tag keys, port
    mappings by (port or port range, protocol defaulting to ``tcp``), and others.
``container-ref``
    ``dependsOn[].containerName``, ``volumesFrom[].sourceContainer`` and ``links`` name another
    container of the task definition.
``volume-ref``
    ``mountPoints[].sourceVolume`` names a volume in ``volumes``.
``essential``
    At least one container is essential (``essential`` absent counts as true).
``task-size``
    Task ``cpu`` / ``memory`` are CPU units or vCPUs (``"1024"``, ``"1 vCPU"``) and MiB or GB
    (``"2048"``, ``"2 GB"``); CPU between 128 and 196608 units.
``fargate-size``
    With ``FARGATE`` in ``requiresCompatibilities``: task ``cpu`` and ``memory`` are set and
    form a valid pair (:data:`compose.ecs.sizes.FARGATE_SIZES`; Windows only 1-4 vCPU).
``fargate-network-mode``
    With ``FARGATE``: ``networkMode`` is ``awsvpc``.
``fargate-gpu``
    With ``FARGATE`` in ``requiresCompatibilities``, no container asks for a ``GPU`` in
    ``resourceRequirements``: Fargate has no GPUs, they come from container instances (an
    EC2 Auto Scaling group, Managed Instances or external instances). Drop ``FARGATE`` from
    ``requiresCompatibilities`` and run on GPU capacity::

        requiresCompatibilities: [EC2]
        containerDefinitions:
        - name: flow
          resourceRequirements: [{type: GPU, value: "1"}]
``container-memory``
    A container's ``memoryReservation`` does not exceed its ``memory``; no container's
    ``memory`` exceeds the task's; the containers' reservations (``memoryReservation``, else
    ``memory``) fit in the task memory; without task memory, every container sets ``memory``
    or ``memoryReservation``.
``container-cpu``
    The containers' ``cpu`` values add up to at most the task ``cpu``.
``port-mappings``
    No port mappings with ``networkMode: none``; with ``awsvpc`` or ``host``, ``hostPort`` is
    absent or equal to ``containerPort``.
``secret-ref``
    ``secrets[].valueFrom`` and ``logConfiguration.secretOptions[].valueFrom`` are a Secrets
    Manager ARN, an SSM parameter ARN or an SSM parameter name;
    ``repositoryCredentials.credentialsParameter`` is a Secrets Manager ARN.
``tags``
    Every tag has a ``key``; keys do not start with the reserved ``aws:`` prefix.

RunTask rules (:data:`RUN_TASK_RULES`): ``client-token`` (1 to 64 characters, ASCII 33-126),
``count`` (1 to 10), ``launch-type`` (not both ``launchType`` and
``capacityProviderStrategy``: RunTask rejects the pair), ``compatibility`` (below),
``container-override-ref`` (each
``overrides.containerOverrides[].name`` is set and, given the task definition, names one of
its containers), ``network-configuration`` (required when the task definition uses
``awsvpc`` or the launch type is ``FARGATE``), ``task-definition-ref`` (the family matches the
given task definition), ``duplicate`` (container overrides by name, their environment by
name, tags by key, capacity providers) and ``tags`` as above.

``compatibility``
    Where the task runs must suit the task definition's ``requiresCompatibilities`` (absent
    or empty means ``[EC2]``, ECS's default). ``launchType`` ``FARGATE``, ``EC2``,
    ``EXTERNAL`` or ``MANAGED_INSTANCES`` needs that value in it. A
    ``capacityProviderStrategy`` holds either Fargate providers (``FARGATE``,
    ``FARGATE_SPOT``), which need ``FARGATE``, or others (Auto Scaling group providers,
    which need ``EC2``, or Managed Instances providers, which need ``MANAGED_INSTANCES``:
    either is accepted, a provider's kind is not visible in its name), never both kinds in
    one strategy. Checked only when the task definition is known and the request names a
    launch type or a strategy (else the cluster's default strategy applies). For example,
    a GPU task definition (``[EC2]``) run with ``capacityProviderStrategy:
    [{capacityProvider: FARGATE_SPOT}]`` is reported: ECS would refuse to place it.

The number of tags (at most 50) and tag key/value lengths come from the model (rule ids
``length``), as do enums (``enum``), types (``type``), required (``required``) and unknown
fields (``unknown``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from compose.errors import Problem
from compose.ecs.sizes import FARGATE_SIZES, fargate_memory_choices, parse_cpu, parse_memory

Rule = Callable[..., Iterable[Problem]]

__all__ = ["TASK_DEFINITION_RULES", "RUN_TASK_RULES", "UNIQUE_KEYS", "compatibilities", "rule"]


def rule(rule_id: str) -> Callable[[Rule], Rule]:
    """Mark a function as the rule ``rule_id``."""

    def mark(fn: Rule) -> Rule:
        fn.rule_id = rule_id  # type: ignore[attr-defined]
        return fn

    return mark


def _p(rule_id: str, message: str, path: tuple) -> Problem:
    return Problem(message, path=path, source=f"ecs.{rule_id}")


def _items(value: Any) -> Iterator[tuple[int, dict]]:
    """(index, item) for the dict items of a list; nothing for anything else."""
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _containers(td: Mapping) -> Iterator[tuple[int, dict]]:
    return _items(td.get("containerDefinitions"))


def _names(td: Mapping) -> set[str]:
    return {c["name"] for _, c in _containers(td) if isinstance(c.get("name"), str)}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _fargate(td: Mapping) -> bool:
    compat = td.get("requiresCompatibilities")
    return isinstance(compat, (list, tuple)) and "FARGATE" in compat


# --- task definition rules ------------------------------------------------------------

MAX_CONTAINERS = 10


@rule("container-count")
def container_count(td: Mapping) -> Iterator[Problem]:
    defs = td.get("containerDefinitions")
    if not isinstance(defs, (list, tuple)):
        return
    if not defs:
        yield _p("container-count", "a task definition needs at least one container",
                 ("containerDefinitions",))
    elif len(defs) > MAX_CONTAINERS:
        yield _p("container-count",
                 f"at most {MAX_CONTAINERS} containers per task definition, got {len(defs)}",
                 ("containerDefinitions",))


_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


@rule("container-name")
def container_name(td: Mapping) -> Iterator[Problem]:
    for i, c in _containers(td):
        base = ("containerDefinitions", i)
        name = c.get("name")
        if "name" not in c:
            yield _p("container-name", "a container needs a name", base + ("name",))
        elif isinstance(name, str) and not _CONTAINER_NAME.match(name):
            yield _p("container-name",
                     f"container name {name!r} must be 1 to 255 letters, digits, '_' or '-'",
                     base + ("name",))
        if "image" not in c:
            yield _p("container-name", "a container needs an image", base + ("image",))
        elif c.get("image") == "":
            yield _p("container-name", "a container image must not be empty", base + ("image",))


def _port_key(pm: Mapping) -> Any:
    port = pm.get("containerPort", pm.get("containerPortRange"))
    protocol = pm.get("protocol", "tcp")
    if not isinstance(port, (int, str)) or not isinstance(protocol, str):
        return None
    return (port, protocol)


def _show_port(key: Any) -> str:
    return f"{key[0]}/{key[1]}"


#: Keyed lists whose keys must be unique, as (where, list field, key, label). ``where`` is
#: ``"request"`` (a top-level list of the request), ``"container"`` (a list in every
#: container definition) or ``"override"`` (a list in every RunTask container override);
#: ``key`` names the key field, or is a function of the item for composite keys.
UNIQUE_KEYS: tuple[tuple[str, str, Any, str], ...] = (
    ("request", "containerDefinitions", "name", "container name"),
    ("request", "volumes", "name", "volume name"),
    ("request", "tags", "key", "tag key"),
    ("request", "capacityProviderStrategy", "capacityProvider", "capacity provider"),
    ("container", "environment", "name", "environment variable"),
    ("container", "secrets", "name", "secret"),
    ("container", "portMappings", _port_key, "port mapping"),
    ("container", "mountPoints", "containerPath", "mount point path"),
    ("container", "dependsOn", "containerName", "dependsOn container"),
    ("container", "volumesFrom", "sourceContainer", "volumesFrom container"),
    ("container", "ulimits", "name", "ulimit"),
    ("container", "resourceRequirements", "type", "resource requirement type"),
    ("container", "systemControls", "namespace", "system control"),
    ("override", "environment", "name", "override environment variable"),
)


def _duplicates(items: Any, key: Any, label: str, path: tuple) -> Iterator[Problem]:
    if not isinstance(items, (list, tuple)) or len(items) < 2:
        return
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        k = item.get(key) if isinstance(key, str) else key(item)
        if not isinstance(k, (str, int, tuple)):
            continue  # absent, or of a wrong type the model check reports
        if k in seen:
            shown = _show_port(k) if label == "port mapping" else repr(k)
            yield _p("duplicate", f"duplicate {label} {shown} (first at index {seen[k]})",
                     path + (i,))
        else:
            seen[k] = i


_REQUEST_KEYS = tuple(row[1:] for row in UNIQUE_KEYS if row[0] == "request")
_CONTAINER_KEYS = tuple(row[1:] for row in UNIQUE_KEYS if row[0] == "container")
_OVERRIDE_KEYS = tuple(row[1:] for row in UNIQUE_KEYS if row[0] == "override")


@rule("duplicate")
def duplicate(req: Mapping) -> Iterator[Problem]:
    for field, key, label in _REQUEST_KEYS:
        yield from _duplicates(req.get(field), key, label, (field,))
    for i, c in _containers(req):
        base = ("containerDefinitions", i)
        for field, key, label in _CONTAINER_KEYS:
            if field in c:
                yield from _duplicates(c[field], key, label, base + (field,))
        log = c.get("logConfiguration")
        if isinstance(log, dict) and "secretOptions" in log:
            yield from _duplicates(log["secretOptions"], "name", "log secret option",
                                   base + ("logConfiguration", "secretOptions"))
        # An env var and a secret of one name: which value the container sees is unspecified.
        if "secrets" in c and "environment" in c:
            env = {e.get("name") for _, e in _items(c["environment"])
                   if isinstance(e.get("name"), str)}
            for j, sec in _items(c["secrets"]):
                name = sec.get("name")
                if isinstance(name, str) and name in env:
                    yield _p("duplicate",
                             f"secret {name!r} has the name of an environment variable of "
                             "this container", base + ("secrets", j, "name"))
    overrides = req.get("overrides")
    if isinstance(overrides, dict):
        cos = overrides.get("containerOverrides")
        yield from _duplicates(cos, "name", "container override",
                               ("overrides", "containerOverrides"))
        for i, co in _items(cos):
            for field, key, label in _OVERRIDE_KEYS:
                if field in co:
                    yield from _duplicates(co[field], key, label,
                                           ("overrides", "containerOverrides", i, field))


@rule("container-ref")
def container_ref(td: Mapping) -> Iterator[Problem]:
    names = _names(td)
    for i, c in _containers(td):
        me = c.get("name")
        base = ("containerDefinitions", i)
        for j, dep in _items(c.get("dependsOn")):
            yield from _ref(dep.get("containerName"), me, names, "dependsOn",
                            base + ("dependsOn", j, "containerName"))
        for j, vf in _items(c.get("volumesFrom")):
            yield from _ref(vf.get("sourceContainer"), me, names, "volumesFrom",
                            base + ("volumesFrom", j, "sourceContainer"))
        links = c.get("links")
        if isinstance(links, (list, tuple)):
            for j, link in enumerate(links):
                if isinstance(link, str):
                    yield from _ref(link.split(":", 1)[0], me, names, "links",
                                    base + ("links", j))


def _ref(target: Any, me: Any, names: set[str], what: str, path: tuple) -> Iterator[Problem]:
    if not isinstance(target, str):
        return
    if target == me:
        yield _p("container-ref", f"{what} names the container itself ({target!r})", path)
    elif target not in names:
        known = ", ".join(sorted(names)) or "none"
        yield _p("container-ref",
                 f"{what} names container {target!r}, which does not exist (containers: {known})",
                 path)


@rule("volume-ref")
def volume_ref(td: Mapping) -> Iterator[Problem]:
    volumes = {v.get("name") for _, v in _items(td.get("volumes"))
               if isinstance(v.get("name"), str)}
    for i, c in _containers(td):
        for j, mp in _items(c.get("mountPoints")):
            src = mp.get("sourceVolume")
            if isinstance(src, str) and src not in volumes:
                known = ", ".join(sorted(volumes)) or "none"
                yield _p("volume-ref",
                         f"mount point uses volume {src!r}, which is not in volumes "
                         f"(volumes: {known})",
                         ("containerDefinitions", i, "mountPoints", j, "sourceVolume"))


@rule("essential")
def essential(td: Mapping) -> Iterator[Problem]:
    containers = list(_containers(td))
    if containers and not any(c.get("essential", True) is not False for _, c in containers):
        yield _p("essential", "at least one container must be essential (essential: true)",
                 ("containerDefinitions",))


MIN_TASK_CPU, MAX_TASK_CPU = 128, 196608


@rule("task-size")
def task_size(td: Mapping) -> Iterator[Problem]:
    cpu_raw, mem_raw = td.get("cpu"), td.get("memory")
    if isinstance(cpu_raw, str):
        cpu = parse_cpu(cpu_raw)
        if cpu is None:
            yield _p("task-size",
                     f"task cpu {cpu_raw!r} is neither CPU units ('1024') nor vCPUs ('1 vCPU') "
                     "of at most 30 digits",
                     ("cpu",))
        elif not MIN_TASK_CPU <= cpu <= MAX_TASK_CPU:
            yield _p("task-size",
                     f"task cpu must be between {MIN_TASK_CPU} and {MAX_TASK_CPU} units, "
                     f"got {cpu}", ("cpu",))
    if isinstance(mem_raw, str):
        mem = parse_memory(mem_raw)
        if mem is None:
            yield _p("task-size",
                     f"task memory {mem_raw!r} is neither MiB ('2048') nor GB ('2 GB') of at most 30 digits",
                     ("memory",))
        elif mem <= 0:
            yield _p("task-size", f"task memory must be positive, got {mem}", ("memory",))


def _windows(td: Mapping) -> bool:
    rp = td.get("runtimePlatform")
    osf = rp.get("operatingSystemFamily") if isinstance(rp, dict) else None
    return isinstance(osf, str) and osf.startswith("WINDOWS")


@rule("fargate-size")
def fargate_size(td: Mapping) -> Iterator[Problem]:
    if not _fargate(td):
        return
    for key in ("cpu", "memory"):
        if key not in td:
            yield _p("fargate-size", f"task-level {key} is required for FARGATE", (key,))
    cpu, mem = parse_cpu(td.get("cpu")), parse_memory(td.get("memory"))
    if not isinstance(td.get("cpu"), str) or not isinstance(td.get("memory"), str):
        return
    if cpu is None or mem is None:
        return  # task-size reports the unreadable value
    row = FARGATE_SIZES.get(cpu)
    if row is None:
        yield _p("fargate-size",
                 f"FARGATE has no task size with cpu {cpu}; use one of: "
                 + ", ".join(str(c) for c in FARGATE_SIZES), ("cpu",))
        return
    if _windows(td) and not row.windows:
        yield _p("fargate-size",
                 f"FARGATE Windows tasks need cpu 1024, 2048 or 4096, got {cpu}", ("cpu",))
    choices = fargate_memory_choices(cpu)
    if mem not in choices:
        allowed = (", ".join(map(str, choices)) if len(choices) <= 4
                   else f"{row.memory_min} to {row.memory_max} in steps of {row.memory_step}")
        yield _p("fargate-size",
                 f"FARGATE cpu {cpu} allows memory {allowed} (MiB), got {mem}", ("memory",))


@rule("fargate-network-mode")
def fargate_network_mode(td: Mapping) -> Iterator[Problem]:
    if _fargate(td) and td.get("networkMode") != "awsvpc":
        got = td.get("networkMode")
        yield _p("fargate-network-mode",
                 "FARGATE needs networkMode 'awsvpc'"
                 + (f", got {got!r}" if got is not None else " (networkMode is not set)"),
                 ("networkMode",))


@rule("fargate-gpu")
def fargate_gpu(td: Mapping) -> Iterator[Problem]:
    if not _fargate(td):
        return
    for i, c in _containers(td):
        for j, req in _items(c.get("resourceRequirements")):
            if req.get("type") == "GPU":
                yield _p("fargate-gpu",
                         "a GPU needs EC2 (or other container-instance) capacity: FARGATE has no GPUs; "
                         "drop FARGATE from requiresCompatibilities",
                         ("containerDefinitions", i, "resourceRequirements", j))


@rule("container-memory")
def container_memory(td: Mapping) -> Iterator[Problem]:
    task_mem = parse_memory(td.get("memory")) if isinstance(td.get("memory"), str) else None
    if task_mem is not None and task_mem <= 0:
        task_mem = None  # task-size reports it; comparing with it would only add noise
    total = 0
    for i, c in _containers(td):
        base = ("containerDefinitions", i)
        hard, soft = _int(c.get("memory")), _int(c.get("memoryReservation"))
        if hard is not None and soft is not None and soft > hard:
            yield _p("container-memory",
                     f"memoryReservation {soft} exceeds the container's memory {hard}",
                     base + ("memoryReservation",))
        if task_mem is not None and hard is not None and hard > task_mem:
            yield _p("container-memory",
                     f"container memory {hard} MiB exceeds the task memory {task_mem} MiB",
                     base + ("memory",))
        if task_mem is None and "memory" not in td and not ("memory" in c or
                                                            "memoryReservation" in c):
            yield _p("container-memory",
                     "without task-level memory, each container needs memory or "
                     "memoryReservation", base)
        total += soft if soft is not None else (hard or 0)
    if task_mem is not None and total > task_mem:
        yield _p("container-memory",
                 f"containers reserve {total} MiB in all, more than the task memory "
                 f"{task_mem} MiB", ("containerDefinitions",))


@rule("container-cpu")
def container_cpu(td: Mapping) -> Iterator[Problem]:
    task_cpu = parse_cpu(td.get("cpu")) if isinstance(td.get("cpu"), str) else None
    if task_cpu is None:
        return
    total = sum(_int(c.get("cpu")) or 0 for _, c in _containers(td))
    if total > task_cpu:
        yield _p("container-cpu",
                 f"containers use {total} CPU units in all, more than the task cpu {task_cpu}",
                 ("containerDefinitions",))


@rule("port-mappings")
def port_mappings(td: Mapping) -> Iterator[Problem]:
    mode = td.get("networkMode")
    for i, c in _containers(td):
        base = ("containerDefinitions", i, "portMappings")
        if mode == "none" and c.get("portMappings"):
            yield _p("port-mappings", "networkMode 'none' allows no port mappings", base)
            continue
        if mode not in ("awsvpc", "host"):
            continue
        for j, pm in _items(c.get("portMappings")):
            host, port = _int(pm.get("hostPort")), _int(pm.get("containerPort"))
            if host is not None and port is not None and host != port:
                yield _p("port-mappings",
                         f"with networkMode {mode!r}, hostPort must be absent or equal "
                         f"containerPort ({port}), got {host}", base + (j, "hostPort"))


_PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
_SECRET_ARN = re.compile(rf"^arn:{_PARTITION}:secretsmanager:{_REGION}:\d{{12}}:secret:[^\s]+$")
_SSM_ARN = re.compile(rf"^arn:{_PARTITION}:ssm:{_REGION}:\d{{12}}:parameter/[^\s]+$")
_SSM_NAME = re.compile(r"^(?:/[A-Za-z0-9_.\-]+)+$|^[A-Za-z0-9_.\-]+$")
SSM_MAX_DEPTH = 15


@lru_cache(maxsize=1024)
def secret_source_problem(value: str) -> str | None:
    """Why ``value`` is not a valid secret ``valueFrom``, or None if it is.

    >>> secret_source_problem("/prod/db/password") is None
    True
    >>> secret_source_problem("prod/db") is not None
    True
    """
    if value.startswith("arn:"):
        if _SECRET_ARN.match(value) or _SSM_ARN.match(value):
            return None
        return ("an ARN here must be a Secrets Manager secret "
                "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or an SSM parameter "
                "(arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)")
    if not _SSM_NAME.match(value):
        if "/" in value and not value.startswith("/"):
            return "an SSM parameter name with '/' must start with '/'"
        return ("not an ARN, nor an SSM parameter name (letters, digits, '_', '.', '-', "
                "'/' between levels)")
    if value.count("/") > SSM_MAX_DEPTH:
        return f"an SSM parameter path has at most {SSM_MAX_DEPTH} levels"
    return None


@rule("secret-ref")
def secret_ref(td: Mapping) -> Iterator[Problem]:
    for i, c in _containers(td):
        base = ("containerDefinitions", i)
        sources = [(base + ("secrets", j), s) for j, s in _items(c.get("secrets"))]
        log = c.get("logConfiguration")
        if isinstance(log, dict):
            sources += [(base + ("logConfiguration", "secretOptions", j), s)
                        for j, s in _items(log.get("secretOptions"))]
        for path, secret in sources:
            value = secret.get("valueFrom")
            if isinstance(value, str):
                why = secret_source_problem(value)
                if why:
                    yield _p("secret-ref", f"valueFrom {value!r}: {why}", path + ("valueFrom",))
        creds = c.get("repositoryCredentials")
        if isinstance(creds, dict):
            value = creds.get("credentialsParameter")
            if isinstance(value, str) and not _SECRET_ARN.match(value):
                yield _p("secret-ref",
                         f"credentialsParameter {value!r} must be a Secrets Manager secret ARN",
                         base + ("repositoryCredentials", "credentialsParameter"))


@rule("tags")
def tags(req: Mapping) -> Iterator[Problem]:
    for i, tag in _items(req.get("tags")):
        key = tag.get("key")
        if "key" not in tag:
            yield _p("tags", "a tag needs a key", ("tags", i, "key"))
        elif isinstance(key, str) and key.lower().startswith("aws:"):
            yield _p("tags", f"tag key {key!r} uses the reserved prefix 'aws:'", ("tags", i, "key"))


#: The task definition rules, in the order they run.
TASK_DEFINITION_RULES: tuple[Rule, ...] = (
    container_count,
    container_name,
    duplicate,
    container_ref,
    volume_ref,
    essential,
    task_size,
    fargate_size,
    fargate_network_mode,
    fargate_gpu,
    container_memory,
    container_cpu,
    port_mappings,
    secret_ref,
    tags,
)


# --- RunTask rules --------------------------------------------------------------------

MAX_CLIENT_TOKEN = 64
MAX_RUN_COUNT = 10


@rule("client-token")
def client_token(req: Mapping, td: Mapping | None) -> Iterator[Problem]:
    token = req.get("clientToken")
    if not isinstance(token, str):
        return
    if not 1 <= len(token) <= MAX_CLIENT_TOKEN:
        yield _p("client-token",
                 f"clientToken must be 1 to {MAX_CLIENT_TOKEN} characters, got {len(token)}",
                 ("clientToken",))
    bad = sorted({ch for ch in token if not 33 <= ord(ch) <= 126})
    if bad:
        yield _p("client-token",
                 "clientToken may hold only printable ASCII without spaces (33-126), found "
                 + ", ".join(repr(ch) for ch in bad), ("clientToken",))


@rule("count")
def count(req: Mapping, td: Mapping | None) -> Iterator[Problem]:
    n = _int(req.get("count"))
    if n is not None and not 1 <= n <= MAX_RUN_COUNT:
        yield _p("count", f"count must be between 1 and {MAX_RUN_COUNT}, got {n}", ("count",))


@rule("launch-type")
def launch_type(req: Mapping, td: Mapping | None) -> Iterator[Problem]:
    if req.get("launchType") is not None and req.get("capacityProviderStrategy"):
        yield _p("launch-type", "set launchType or capacityProviderStrategy, not both",
                 ("capacityProviderStrategy",))


FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
#: Compatibilities that run tasks on a non-Fargate capacity provider.
INSTANCE_PROVIDER_COMPATIBILITIES = ("EC2", "MANAGED_INSTANCES")


def compatibilities(td: Mapping) -> tuple[str, ...]:
    """The task definition's ``requiresCompatibilities``; ``("EC2",)`` when absent or empty.

    >>> compatibilities({"family": "f"})
    ('EC2',)
    >>> compatibilities({"requiresCompatibilities": ["FARGATE"]})
    ('FARGATE',)
    """
    compat = td.get("requiresCompatibilities")
    if isinstance(compat, (list, tuple)):
        named = tuple(c for c in compat if isinstance(c, str))
        if named:
            return named
    return ("EC2",)


def _has(td: Mapping, compat: tuple[str, ...]) -> str:
    listed = td.get("requiresCompatibilities")
    if isinstance(listed, (list, tuple)) and listed:
        return "it has " + ", ".join(compat)
    return "it has none, which means EC2"


@rule("compatibility")
def compatibility(req: Mapping, td: Mapping | None) -> Iterator[Problem]:
    strategy = [(j, item["capacityProvider"]) for j, item in _items(req.get("capacityProviderStrategy"))
                if isinstance(item.get("capacityProvider"), str)]
    fargate = [(j, name) for j, name in strategy if name in FARGATE_PROVIDERS]
    other = [(j, name) for j, name in strategy if name not in FARGATE_PROVIDERS]
    if fargate and other:
        yield _p("compatibility",
                 f"a capacity provider strategy holds Fargate providers or Auto Scaling group providers, "
                 f"not both: {fargate[0][1]} with {other[0][1]}",
                 ("capacityProviderStrategy", other[0][0], "capacityProvider"))
        return
    launch = req.get("launchType")
    if td is None or (launch is not None and strategy):
        return  # without the task definition nothing to compare; both set: launch-type says so
    compat = compatibilities(td)
    if isinstance(launch, str):
        if launch not in compat:
            yield _p("compatibility",
                     f"launchType {launch} needs {launch} in the task definition's requiresCompatibilities "
                     f"({_has(td, compat)})", ("launchType",))
    elif fargate and "FARGATE" not in compat:
        j, name = fargate[0]
        yield _p("compatibility",
                 f"capacity provider {name} runs Fargate tasks: it needs FARGATE in the task definition's "
                 f"requiresCompatibilities ({_has(td, compat)})",
                 ("capacityProviderStrategy", j, "capacityProvider"))
    elif other and not any(c in compat for c in INSTANCE_PROVIDER_COMPATIBILITIES):
        j, name = other[0]
        yield _p("compatibility",
                 f"capacity provider {name} is an Auto Scaling group (or Managed Instances) provider: it "
                 f"needs EC2 (or MANAGED_INSTANCES) in the task definition's requiresCompatibilities "
                 f"({_has(td, compat)})",
                 ("capacityProviderStrategy", j, "capacityProvider"))


@rule("container-override-ref")
def container_override_ref(req: Mapping, td: Mapping | None) -> Iterator[Problem]:
    overrides = req.get("overrides")
    if not isinstance(overrides, dict):
        return
    names = _names(td) if td is not None else None
    for i, co in _items(overrides.get("containerOverrides")):
        path = ("overrides", "containerOverrides", i, "name")
        name = co.get("name")
        if "name" not in co:
            yield _p("container-override-ref", "a container override needs the container's name",
                     path)
        elif names is not None and isinstance(name, str) and name not in names:
            known = ", ".join(sorted(names)) or "none"
            yield _p("container-override-ref",
                     f"override names container {name!r}, which is not in the task definition "
                     f"(containers: {known})", path)


@rule("network-configuration")
def network_configuration(req: Mapping, td: Mapping | None) -> Iterator[Problem]:
    awsvpc = td is not None and td.get("networkMode") == "awsvpc"
    if (awsvpc or req.get("launchType") == "FARGATE") and "networkConfiguration" not in req:
        why = "networkMode 'awsvpc'" if awsvpc else "launchType FARGATE"
        yield _p("network-configuration",
                 f"networkConfiguration.awsvpcConfiguration is required with {why}",
                 ("networkConfiguration",))


def task_definition_family(ref: str) -> str:
    """The family of a RunTask ``taskDefinition``: ``family``, ``family:rev`` or an ARN.

    >>> task_definition_family("arn:aws:ecs:us-east-1:123456789012:task-definition/flow:3")
    'flow'
    """
    if ref.startswith("arn:"):
        ref = ref.rsplit("/", 1)[-1]
    return ref.split(":", 1)[0]


@rule("task-definition-ref")
def task_definition_ref(req: Mapping, td: Mapping | None) -> Iterator[Problem]:
    ref, family = req.get("taskDefinition"), td.get("family") if td is not None else None
    if isinstance(ref, str) and isinstance(family, str) and ref:
        if task_definition_family(ref) != family:
            yield _p("task-definition-ref",
                     f"taskDefinition {ref!r} is not of family {family!r}", ("taskDefinition",))


def _plain(fn: Rule) -> Rule:
    """Adapt a one-argument rule to the (request, task definition) RunTask signature."""

    def adapted(req: Mapping, td: Mapping | None) -> Iterable[Problem]:
        return fn(req)

    adapted.rule_id = fn.rule_id  # type: ignore[attr-defined]
    adapted.__name__ = fn.__name__
    return adapted


#: The RunTask rules, in the order they run; each takes (request, task definition or None).
RUN_TASK_RULES: tuple[Rule, ...] = (
    client_token,
    count,
    launch_type,
    compatibility,
    container_override_ref,
    network_configuration,
    task_definition_ref,
    _plain(duplicate),
    _plain(tags),
)
