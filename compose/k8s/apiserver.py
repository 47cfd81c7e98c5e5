"""What the API server checks in a pod template beyond the OpenAPI schema.

The strict schema check (:mod:`compose.k8s.validate`) says which fields exist and their
types. The API server also runs hand-written validation that no schema carries, and a spec
that passes the first can still be refused ("Required value", "Not found") or warned about
at create time. These rules follow, by name:

* kubernetes/kubernetes ``pkg/apis/core/validation/validation.go``:
  ``validateContainerCommon`` (a container has a ``name``, a DNS-1123 label, and an
  ``image``), ``validateContainers`` / ``validateInitContainers`` (names unique across
  containers and init containers), ``ValidateVolumes`` (a volume has a unique DNS-1123 label
  ``name`` and exactly one source: "must specify a volume type" / "may not specify more than
  1 volume type"), ``ValidateVolumeMounts`` (a mount's ``name`` is a volume of the pod,
  "Not found"; ``mountPath`` is set and unique within the container), ``ValidateEnv`` /
  ``validateEnvVarValueFrom`` (a variable has a ``name`` without ``=``; ``valueFrom`` names
  exactly one source and "may not be specified when `value` is not empty";
  ``configMapKeyRef``/``secretKeyRef`` have a ``name`` and a ``key``), ``ValidateEnvFrom``
  (exactly one of ``configMapRef``/``secretRef``, with a ``name``), and the name validators
  ``ValidateSecretName`` / ``ValidateConfigMapName`` / ``ValidateServiceAccountName``
  (``NameIsDNSSubdomain``), applied to ``secretRef``, ``configMapRef``, ``secretKeyRef``,
  ``configMapKeyRef``, secret and configMap volumes, ``imagePullSecrets`` and
  ``serviceAccountName``; ``nodeSelector`` and labels through ``ValidateLabels``.
* kubernetes/apimachinery ``pkg/util/validation/validation.go``: the format rules those
  call: ``IsDNS1123Label`` (63, ``[a-z0-9]([-a-z0-9]*[a-z0-9])?``), ``IsDNS1123Subdomain``
  (253), ``IsValidLabelValue`` (63, ``(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?``),
  ``IsQualifiedName`` (label keys), ``IsConfigMapKey`` (``[-._a-zA-Z0-9]+``, 253).
* kubernetes/kubernetes ``pkg/api/pod/warnings.go``: the create-time *warnings* for a
  variable defined twice in one container ("hides previous definition") and a port listed
  twice; compose reports them as warnings.

PVC ``claimName`` is checked as a DNS-1123 subdomain (a PersistentVolumeClaim's object name).

:func:`check_pod_template` returns ``(errors, warnings)`` for one object (a Job, a CronJob,
or any object with a pod template). Fields at ``skip`` paths (placeholders not filled yet)
are left out; :func:`format_rule` says which format a filled value must have, for the
per-build check of substituted values.

>>> job = {"kind": "Job", "spec": {"template": {"spec": {"containers": [
...     {"name": "flow", "image": "x", "volumeMounts": [{"name": "data", "mountPath": "/d"}]},
...     {"name": "flwo", "env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}]}}}}
>>> errors, warnings = check_pod_template(job)
>>> [str(p) for p in errors]
["volume mount 'data' names no volume of the pod (Not found) (at spec.template.spec.containers[0].volumeMounts[0].name)", "container 'flwo' has no image (Required value) (at spec.template.spec.containers[1].image)"]
>>> [str(p) for p in warnings]
["env var 'A' is defined twice in container 'flwo': the later hides the previous definition (at spec.template.spec.containers[1].env[1])"]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import Problem
from ..formats import is_dns1123_label, is_dns1123_subdomain, is_label_value

__all__ = ["check_pod_template", "pod_spec_path", "format_rule", "check_format", "FORMATS"]

Path = tuple[Any, ...]

_CONFIG_MAP_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def _dns_label(v: str) -> str | None:
    if len(v) > 63:
        return "must be no more than 63 characters (a DNS-1123 label)"
    if not is_dns1123_label(v):
        return ("must be a DNS-1123 label: lower case letters, digits and '-', starting and "
                "ending with a letter or digit")
    return None


def _dns_subdomain(v: str) -> str | None:
    if len(v) > 253:
        return "must be no more than 253 characters (a DNS-1123 subdomain)"
    if not is_dns1123_subdomain(v):
        return ("must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', starting "
                "and ending with a letter or digit")
    return None


def _label_value(v: str) -> str | None:
    if len(v) > 63:
        return "must be no more than 63 characters (a label value)"
    if not is_label_value(v):
        return ("must be a valid label value: empty, or letters, digits, '-', '_' and '.', "
                "starting and ending with a letter or digit")
    return None


def _label_key(v: str) -> str | None:
    prefix, _, name = v.rpartition("/")
    if prefix and _dns_subdomain(prefix):
        return "the prefix of a label key must be a DNS-1123 subdomain"
    if not name or not is_label_value(name):
        return "must be a qualified name (letters, digits, '-', '_', '.'; at most 63; an optional DNS prefix and '/')"
    return None


def _config_map_key(v: str) -> str | None:
    if len(v) > 253 or not _CONFIG_MAP_KEY.fullmatch(v):
        return "must be a valid config key: letters, digits, '-', '_' and '.' (at most 253)"
    return None


def _env_name(v: str) -> str | None:
    if not v:
        return "must not be empty"
    if "=" in v:
        return "must not contain '='"
    return None


#: Format rules by name: a function returning a reason when the string is invalid.
FORMATS: dict[str, Callable[[str], str | None]] = {
    "dns1123-label": _dns_label,
    "dns1123-subdomain": _dns_subdomain,
    "label-value": _label_value,
    "label-key": _label_key,
    "config-map-key": _config_map_key,
    "env-name": _env_name,
}

# Field path suffixes (``*``: any key or index) and the format their string must have.
_FORMAT_TABLE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("containers", "*", "name"), "dns1123-label"),
    (("initContainers", "*", "name"), "dns1123-label"),
    (("volumes", "*", "name"), "dns1123-label"),
    (("volumeMounts", "*", "name"), "dns1123-label"),
    (("nodeSelector", "*"), "label-value"),
    (("labels", "*"), "label-value"),
    (("matchLabels", "*"), "label-value"),
    (("serviceAccountName",), "dns1123-subdomain"),
    (("serviceAccount",), "dns1123-subdomain"),
    (("configMapRef", "name"), "dns1123-subdomain"),
    (("secretRef", "name"), "dns1123-subdomain"),
    (("configMapKeyRef", "name"), "dns1123-subdomain"),
    (("secretKeyRef", "name"), "dns1123-subdomain"),
    (("configMapKeyRef", "key"), "config-map-key"),
    (("secretKeyRef", "key"), "config-map-key"),
    (("secret", "secretName"), "dns1123-subdomain"),
    (("configMap", "name"), "dns1123-subdomain"),
    (("persistentVolumeClaim", "claimName"), "dns1123-subdomain"),
    (("imagePullSecrets", "*", "name"), "dns1123-subdomain"),
    (("env", "*", "name"), "env-name"),
)

_BY_LAST: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {}
for _suffix, _rule in _FORMAT_TABLE:
    _BY_LAST[_suffix[-1]] = _BY_LAST.get(_suffix[-1], ()) + ((_suffix, _rule),)
_BY_LAST.setdefault("*", ())

_VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs",
    "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
    "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
    "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral",
    "image",
)
_ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")


def format_rule(path: Sequence[Any]) -> str | None:
    """The format (a key of :data:`FORMATS`) a string at ``path`` must have, or None.

    >>> format_rule(("spec", "template", "spec", "nodeSelector", "pool"))
    'label-value'
    >>> format_rule(("spec", "template", "spec", "containers", 0, "envFrom", 0, "secretRef", "name"))
    'dns1123-subdomain'
    """
    if not path:
        return None
    last = path[-1]
    for suffix, rule in (_BY_LAST.get(last, ()) if isinstance(last, str) else ()) + _BY_LAST["*"]:
        n = len(suffix)
        if len(path) < n:
            continue
        tail = path[-n:]
        if all(s == "*" or s == t for s, t in zip(suffix, tail)):
            if suffix[0] == "labels" and (len(path) < n + 1 or path[-n - 1] != "metadata"):
                continue
            return rule
    return None


def check_format(rule: str, value: Any) -> str | None:
    """Why ``value`` fails format ``rule`` (None when it passes or is not a string)."""
    if not isinstance(value, str):
        return None
    return FORMATS[rule](value)


def pod_spec_path(obj: Mapping[str, Any]) -> Path | None:
    """The path of the pod spec inside ``obj`` (a Job, CronJob, Pod or workload), or None."""
    kind = obj.get("kind")
    if kind == "Pod":
        return ("spec",)
    if kind == "CronJob":
        path: Path = ("spec", "jobTemplate", "spec", "template", "spec")
    else:
        path = ("spec", "template", "spec")
    node: Any = obj
    for part in path:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return None
        node = node[part]
    return path


def _skipped(path: Path, skip: frozenset[Path]) -> bool:
    return any(path[: len(s)] == s for s in skip) if skip else False


def _dicts(value: Any) -> Iterable[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def check_pod_template(obj: Mapping[str, Any], *, skip: Iterable[Sequence[Any]] = ()) -> tuple[list[Problem], list[Problem]]:
    """Check the pod template of ``obj`` as the API server would; ``(errors, warnings)``.

    Args:
        obj: a Job, CronJob or other object with a pod template (others give no problems).
        skip: field paths (from the object root) whose values are not known yet
            (placeholders): their formats are not checked, and a missing name or image
            there is not reported.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    skipped = frozenset(tuple(p) for p in skip)
    base = pod_spec_path(obj)
    _check_formats(obj, (), skipped, errors)
    if base is None:
        return errors, warnings
    spec: dict[str, Any] = obj
    for part in base:
        spec = spec[part]

    def err(message: str, *path: Any) -> None:
        errors.append(Problem(message, path=base + path))

    volumes: set[str] = set()
    for i, vol in _dicts(spec.get("volumes")):
        name = vol.get("name")
        if not name:
            err("a volume needs a name (Required value)", "volumes", i, "name")
        elif name in volumes:
            err(f"volume {name!r} is declared twice (Duplicate value)", "volumes", i, "name")
        else:
            volumes.add(name)
        sources = [k for k in vol if k in _VOLUME_SOURCES]
        if not sources:
            err(f"volume {name!r} must specify a volume type (one of emptyDir, secret, configMap, "
                "persistentVolumeClaim, ...)", "volumes", i)
        elif len(sources) > 1:
            err(f"volume {name!r} may not specify more than 1 volume type ({', '.join(sources)})", "volumes", i)
    if isinstance(spec.get("volumes"), str):
        volumes = set()
    seen_names: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, c in _dicts(spec.get(group)):
            at = (group, i)
            name = c.get("name")
            if not name:
                if not _skipped(base + at + ("name",), skipped):
                    err("a container needs a name (Required value)", *at, "name")
            elif name in seen_names:
                err(f"container name {name!r} is used twice (Duplicate value)", *at, "name")
            else:
                seen_names.add(name)
            if not c.get("image") and not _skipped(base + at + ("image",), skipped):
                err(f"container {name!r} has no image (Required value)", *at, "image")
            _check_mounts(c, name, volumes, base + at, skipped, errors)
            _check_env(c, name, base + at, skipped, errors, warnings)
            _check_ports(c, name, base + at, warnings)
    return errors, warnings


def _check_mounts(c: Mapping[str, Any], cname: Any, volumes: set[str], at: Path, skipped: frozenset[Path],
                  errors: list[Problem]) -> None:
    paths: set[Any] = set()
    for j, m in _dicts(c.get("volumeMounts")):
        here = at + ("volumeMounts", j)
        name = m.get("name")
        if not name:
            errors.append(Problem("a volume mount needs a name (Required value)", path=here + ("name",)))
        elif name not in volumes and not _skipped(here + ("name",), skipped):
            errors.append(Problem(f"volume mount {name!r} names no volume of the pod (Not found)", path=here + ("name",)))
        mount_path = m.get("mountPath")
        if not mount_path:
            errors.append(Problem("a volume mount needs a mountPath (Required value)", path=here + ("mountPath",)))
        elif mount_path in paths:
            errors.append(Problem(f"mountPath {mount_path!r} is mounted twice in container {cname!r} (must be unique)",
                                  path=here + ("mountPath",)))
        else:
            paths.add(mount_path)


def _check_env(c: Mapping[str, Any], cname: Any, at: Path, skipped: frozenset[Path], errors: list[Problem],
               warnings: list[Problem]) -> None:
    names: dict[Any, int] = {}
    for j, e in _dicts(c.get("env")):
        here = at + ("env", j)
        name = e.get("name")
        if not name and not _skipped(here + ("name",), skipped):
            errors.append(Problem("an env var needs a name (Required value)", path=here + ("name",)))
        if name in names and not _skipped(here, skipped):
            warnings.append(Problem(f"env var {name!r} is defined twice in container {cname!r}: the later hides the "
                                    "previous definition", path=here))
        names[name] = j
        source = e.get("valueFrom")
        if isinstance(source, dict):
            if e.get("value") not in (None, ""):
                errors.append(Problem(f"env var {name!r}: valueFrom may not be specified when `value` is not empty "
                                      "(null the old value in the patch)", path=here + ("valueFrom",)))
            kinds = [k for k in source if k in _ENV_SOURCES]
            if len(kinds) != 1:
                what = "must specify one of: fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef" if not kinds \
                    else "may not have more than one field specified at a time"
                errors.append(Problem(f"env var {name!r}: valueFrom {what}", path=here + ("valueFrom",)))
            for ref in ("configMapKeyRef", "secretKeyRef"):
                sel = source.get(ref)
                if isinstance(sel, dict):
                    for key in ("name", "key"):
                        if not sel.get(key) and not _skipped(here + ("valueFrom", ref, key), skipped):
                            errors.append(Problem(f"env var {name!r}: {ref}.{key} is required (Required value)",
                                                  path=here + ("valueFrom", ref, key)))
    for j, e in _dicts(c.get("envFrom")):
        here = at + ("envFrom", j)
        refs = [k for k in ("configMapRef", "secretRef") if isinstance(e.get(k), dict)]
        if len(refs) != 1:
            errors.append(Problem("an envFrom entry must name exactly one of configMapRef or secretRef", path=here))
        for ref in refs:
            if not e[ref].get("name") and not _skipped(here + (ref, "name"), skipped):
                errors.append(Problem(f"envFrom {ref}.name is required (Required value)", path=here + (ref, "name")))


def _check_ports(c: Mapping[str, Any], cname: Any, at: Path, warnings: list[Problem]) -> None:
    seen: set[tuple[Any, Any]] = set()
    for j, p in _dicts(c.get("ports")):
        key = (p.get("containerPort"), p.get("protocol") or "TCP")
        if key in seen:
            warnings.append(Problem(f"port {key[0]}/{key[1]} is listed twice in container {cname!r}",
                                    path=at + ("ports", j)))
        seen.add(key)


def _check_formats(node: Any, path: Path, skipped: frozenset[Path], out: list[Problem]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            here = path + (k,)
            if isinstance(v, str):
                if here in skipped:
                    continue
                rule = format_rule(here)
                if rule is not None and v != "":
                    why = FORMATS[rule](v)
                    if why:
                        out.append(Problem(f"{v!r} {why}", path=here))
                if rule is not None and isinstance(k, str) and path[-1:] in (("labels",), ("matchLabels",), ("nodeSelector",)):
                    why = _label_key(k)
                    if why:
                        out.append(Problem(f"label key {k!r} {why}", path=here))
            else:
                _check_formats(v, here, skipped, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            here = path + (i,)
            if isinstance(v, str):
                if here in skipped:
                    continue
                rule = format_rule(here)
                if rule is not None and v != "":
                    why = FORMATS[rule](v)
                    if why:
                        out.append(Problem(f"{v!r} {why}", path=here))
            else:
                _check_formats(v, here, skipped, out)
