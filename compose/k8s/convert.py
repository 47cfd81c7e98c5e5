"""Turn built Kubernetes objects into ``kubernetes.client`` models, and back.

The objects go through the client's own deserializer (the one ``BatchV1Api`` uses on
server responses), so the models are exactly what the client would build. That
deserializer silently drops fields its models do not know; :func:`to_model` first walks
the object against the models' ``openapi_types`` and reports every such field as a
problem instead (a field newer than the installed client, or a typo that validation was
told to skip).

``ApiClient().sanitize_for_serialization(to_v1job(d)) == d`` for a valid Job ``d``, with
these differences, all of which keep the meaning (:func:`client_form` computes the
expected form):

* a quantity given as a number (``cpu: 2``) becomes a string (``"2"``): the client types
  quantities as strings;
* a field set to ``null`` disappears: the serializer omits unset fields;
* a date-time (``metadata.creationTimestamp``) comes back in Python's ISO format
  (``2024-05-01T12:00:00+00:00`` for ``...Z``).

Int-or-string fields (``port``, ``maxUnavailable``), free-form objects (RawExtension),
empty objects (``emptyDir: {}``), empty lists and maps keep their value and type.
``kubernetes`` is imported on first use, never at module import.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..errors import Problem, ValidationError
from .validate import DEFAULT_VERSION, validate_object

__all__ = ["to_model", "to_v1job", "from_model", "client_form", "model_class_name"]

_lock = threading.Lock()
_client: Any = None
_fields_cache: dict[type, dict[str, str]] = {}


def _api_client() -> Any:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                from kubernetes.client import ApiClient  # lazy: ~330 ms, not on the build path

                _client = ApiClient()
    return _client


def _client_version() -> str:
    import kubernetes

    return str(getattr(kubernetes, "__version__", "?"))


def model_class_name(api_version: str, kind: str) -> str | None:
    """The ``kubernetes.client`` model class name for apiVersion/kind, or None.

    The client prefixes the group to names that several groups share
    (``CoreV1Event``, ``EventsV1Event``) and not otherwise (``V1Job``).

    >>> model_class_name("batch/v1", "Job"), model_class_name("v1", "Event")
    ('V1Job', 'CoreV1Event')
    """
    import kubernetes.client.models as models

    group, _, ver = api_version.rpartition("/")
    if not ver or not kind:
        return None
    ver_part = ver[:1].upper() + ver[1:]
    prefix = (group.split(".")[0] or "core").capitalize()
    for name in (f"{prefix}{ver_part}{kind}", f"{ver_part}{kind}"):
        if isinstance(getattr(models, name, None), type):
            return name
    return None


def _fields(klass: type) -> dict[str, str]:
    """JSON field name -> the client's type string, for a model class."""
    out = _fields_cache.get(klass)
    if out is None:
        types = getattr(klass, "openapi_types", {}) or {}
        names = getattr(klass, "attribute_map", {}) or {}
        out = {names[attr]: t for attr, t in types.items()}
        _fields_cache[klass] = out
    return out


def _plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists (the deserializer keeps free-form values by reference)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _check_client(type_str: str, value: Any, path: tuple[Any, ...], out: list[Problem]) -> None:
    """Report what the client's deserializer would drop or garble at ``path``."""
    if value is None:
        return
    if type_str.startswith("list["):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _check_client(type_str[5:-1], item, path + (i,), out)
        else:
            out.append(Problem(f"expected a list for the client's {type_str}", path=path))
        return
    if type_str.startswith(("dict[", "dict(")):
        inner = type_str[type_str.index(",") + 1 : -1].strip()
        if isinstance(value, dict):
            for k, item in value.items():
                _check_client(inner, item, path + (k,), out)
        else:
            out.append(Problem(f"expected a map for the client's {type_str}", path=path))
        return
    if type_str in ("str", "object", "datetime", "date"):
        return  # str(number) is the quantity's string form; objects are kept as they are
    if type_str in ("int", "float", "bool"):
        want = {"int": int, "float": (int, float), "bool": bool}[type_str]
        if not isinstance(value, want) or (type_str != "bool" and isinstance(value, bool)):
            out.append(Problem(f"the client types this field {type_str}, got {type(value).__name__}", path=path))
        return
    import kubernetes.client.models as models

    klass = getattr(models, type_str, None)
    if klass is None:
        out.append(Problem(f"the client has no model {type_str}", path=path))
        return
    if not isinstance(value, dict):
        out.append(Problem(f"expected an object for the client's {type_str}", path=path))
        return
    fields = _fields(klass)
    for key, item in value.items():
        sub = fields.get(key)
        if sub is None:
            out.append(Problem(
                f"field {key!r} is unknown to the installed kubernetes client ({_client_version()}); "
                "it would be dropped", path=path + (key,)))
        else:
            _check_client(sub, item, path + (key,), out)


def _what(obj: Mapping[str, Any]) -> str:
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else "Kubernetes object"
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return f"{kind} {name!r}" if name else str(kind)


def to_model(obj: Mapping[str, Any], *, version: str | None = DEFAULT_VERSION) -> Any:
    """Build the ``kubernetes.client`` model of a Kubernetes object (``V1Job``, ``V1CronJob``, ...).

    Args:
        obj: the object as plain data; not modified, and the model shares nothing with it.
        version: validate ``obj`` against this Kubernetes version's schema first;
            None to skip (the client-model check below still runs).

    Raises:
        ValidationError: the object is invalid for ``version``, the client has no model for
            its kind, or it holds fields the client's models would silently drop.
    """
    if version is not None:
        problems = validate_object(obj, version=version)
        if problems:
            raise ValidationError(problems, what=_what(obj), step="validate")
    if not isinstance(obj, Mapping):
        raise ValidationError([Problem("expected a Kubernetes object (a mapping)")], step="convert")
    api, kind = obj.get("apiVersion"), obj.get("kind")
    name = model_class_name(api, kind) if isinstance(api, str) and isinstance(kind, str) else None
    if name is None:
        problem = Problem(f"the installed kubernetes client ({_client_version()}) has no model for "
                          f"apiVersion {api!r} kind {kind!r}", path=("kind",), source="kubernetes client")
        raise ValidationError([problem], what=_what(obj), step="convert")
    data = _plain(obj)
    problems = []
    _check_client(name, data, (), problems)
    if problems:
        for p in problems:
            p.source = "kubernetes client"
        raise ValidationError(problems, what=_what(obj), step="convert")
    client = _api_client()
    try:
        return client._ApiClient__deserialize(data, name)
    except (ValueError, TypeError) as exc:  # the models' own required-field checks
        problem = Problem(f"the kubernetes client rejected the object: {exc}", source="kubernetes client")
        raise ValidationError([problem], what=_what(obj), step="convert") from exc


def to_v1job(obj: Mapping[str, Any], *, version: str | None = DEFAULT_VERSION) -> Any:
    """Build a ``kubernetes.client.V1Job`` from a ``batch/v1`` Job (see :func:`to_model`).

    Raises:
        ValidationError: ``obj`` is not a valid ``batch/v1`` Job.
    """
    if not isinstance(obj, Mapping) or obj.get("apiVersion") != "batch/v1" or obj.get("kind") != "Job":
        got = (obj.get("apiVersion"), obj.get("kind")) if isinstance(obj, Mapping) else type(obj).__name__
        raise ValidationError([Problem(f"expected a batch/v1 Job, got {got}", path=("kind",))],
                              what="Job", step="convert")
    return to_model(obj, version=version)


def from_model(model: Any) -> Any:
    """The plain-data form of a client model, as the client sends it to the API server."""
    return _api_client().sanitize_for_serialization(model)


def client_form(obj: Any, *, version: str = DEFAULT_VERSION) -> Any:
    """What :func:`from_model` returns for ``to_model(obj)``, computed from the schema alone.

    Drops null fields of objects (not null values inside maps or free-form objects) and
    turns numeric quantities into strings, as the client does; leaves date-time strings
    as they are (the client reformats them). For tests, and for callers that compare a
    model with the object it came from.

    >>> client_form({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": None}})
    {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {}}
    """
    from . import schema as _schema
    from .validate import _resolve_kind

    def walk(value: Any, node: Any) -> Any:
        if isinstance(value, Mapping):
            if node is not None and node.tag == _schema.OBJECT and not node.extra:
                return {k: walk(v, node.child(k)) for k, v in value.items() if v is not None}
            return {k: walk(v, node.child(k) if node is not None else None) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            items = node.items if node is not None and node.tag == _schema.ARRAY else None
            return [walk(v, items) for v in value]
        if node is not None and node.tag == _schema.QUANTITY and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            return str(value)
        return value

    root, _ = _resolve_kind(obj, _schema.load(version))
    return walk(obj, root)
