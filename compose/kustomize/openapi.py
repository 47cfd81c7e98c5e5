"""``openapi:`` and ``crds:``: schema information about custom resources, as Kustomize v5.5 uses it.

``openapi: {path: schema.json}`` names an OpenAPI v2 document (JSON or YAML, a
``definitions`` map; each kind's definition carries ``x-kubernetes-group-version-kind``).
As in Kustomize (kyaml's ``openapi.SetSchema``), it *replaces* the built-in Kubernetes schema
for every strategic merge of the build: lists merge by ``x-kubernetes-patch-merge-key`` (or
by ``x-kubernetes-list-map-keys`` when there are several) where
``x-kubernetes-patch-strategy`` says ``merge``; kinds it does not define, the built-in ones
included, merge maps key by key and replace lists. The top kustomization's schema wins;
without one, the first base or component (in build order) that names one sets it, from then
on. ``openapi: {version: ...}`` (Kustomize's built-in schema versions) is refused.

``crds: [file]`` names files of the same OpenAPI form whose properties carry Kustomize's
extensions; they add field specs to the transformer configuration:
``x-kubernetes-object-ref-kind`` / ``-api-version`` (and ``-name-key``, default ``name``) a
name reference, ``x-kubernetes-label-selector`` a commonLabels field,
``x-kubernetes-annotation`` a commonAnnotations field, ``x-kubernetes-identity`` a namePrefix
field (each extension's value must be a string, as Kustomize reads them).

The merge itself is :mod:`compose.merge`'s walker and rules; this module only supplies the
shapes (which fields are maps, keyed lists, atomic lists) from the custom schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import KustomizationError, MergeError
from ..merge.k8s import merge_shaped
from ..merge.walker import ATOMIC_LIST, MAP_VALUES, SCALAR, SCHEMALESS, Field, ListSpec, Shape
from .transformers.config import TransformerConfig, merge_specs
from .transformers.fieldspecs import FieldSpec, NameBackReference

__all__ = ["CustomSchema", "crd_config"]


def _error(message: str, file: str) -> KustomizationError:
    return KustomizationError(message, file=file, step="openapi")


class _DefShape(Shape):
    __slots__ = ("schema", "props", "name")

    def __init__(self, schema: CustomSchema, name: str, props: Mapping[str, Any]) -> None:
        self.schema = schema
        self.name = name
        self.props = props

    def struct_name(self) -> str:
        return self.name.rsplit(".", 1)[-1] or "object"

    def field(self, name: str) -> Field | None:
        prop = self.props.get(name)
        if not isinstance(prop, Mapping):
            return None
        return self.schema.field_of(prop)


class CustomSchema:
    """A parsed ``openapi:`` schema: merge shapes for the kinds it defines."""

    def __init__(self, data: Any, file: str) -> None:
        if not isinstance(data, Mapping) or not isinstance(data.get("definitions"), Mapping):
            raise _error("an openapi schema must be a mapping with 'definitions'", file)
        self.file = file
        self.defs: Mapping[str, Any] = data["definitions"]
        self.kinds: dict[tuple[str, str], str] = {}
        for name, definition in self.defs.items():
            if not isinstance(definition, Mapping):
                continue
            for gvk in definition.get("x-kubernetes-group-version-kind") or ():
                if not isinstance(gvk, Mapping):
                    continue
                group, version, kind = (str(gvk.get(k) or "") for k in ("group", "version", "kind"))
                api_version = f"{group}/{version}" if group else version
                self.kinds.setdefault((api_version, kind), str(name))
        self._shapes: dict[str, Shape] = {}

    def _resolve(self, prop: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        seen = 0
        name = ""
        while isinstance(prop.get("$ref"), str) and seen < 50:
            ref = prop["$ref"]
            name = ref.rsplit("/", 1)[-1] if ref.startswith("#/") else ref
            target = self.defs.get(name)
            if not isinstance(target, Mapping):
                return name, {}
            prop = target
            seen += 1
        return name, prop

    def shape(self, name: str, definition: Mapping[str, Any]) -> Shape:
        props = definition.get("properties")
        if not isinstance(props, Mapping):
            extra = definition.get("additionalProperties")
            if isinstance(extra, Mapping):
                return MAP_VALUES(self._value_shape(extra))
            return SCHEMALESS
        key = name or str(id(definition))
        cached = self._shapes.get(key)
        if cached is None:
            cached = self._shapes[key] = _DefShape(self, name, props)
        return cached

    def _value_shape(self, prop: Mapping[str, Any]) -> Shape | None:
        name, resolved = self._resolve(prop)
        if resolved.get("type") == "object" or isinstance(resolved.get("properties"), Mapping):
            return self.shape(name, resolved)
        return None

    def field_of(self, prop: Mapping[str, Any]) -> Field:
        strategy = [s for s in str(prop.get("x-kubernetes-patch-strategy") or "").split(",") if s]
        name, resolved = self._resolve(prop)
        kind = resolved.get("type")
        if kind == "array" or isinstance(resolved.get("items"), Mapping):
            items = resolved.get("items") if isinstance(resolved.get("items"), Mapping) else {}
            sub = self._value_shape(items)
            map_keys = [str(k) for k in prop.get("x-kubernetes-list-map-keys") or ()]
            merge_key = prop.get("x-kubernetes-patch-merge-key")
            if "merge" not in strategy:
                return Field("list", shape=sub, list=ATOMIC_LIST)
            keys: tuple[str, ...] = ()
            if len(map_keys) > 1:
                keys = tuple(map_keys)
            elif merge_key:
                keys = (str(merge_key),)
            return Field("list", shape=sub, list=ListSpec(merge=True, keys=keys))
        if isinstance(resolved.get("properties"), Mapping):
            return Field("object", shape=self.shape(name, resolved), replace="replace" in strategy)
        if isinstance(resolved.get("additionalProperties"), Mapping):
            extra = resolved["additionalProperties"]
            return Field("map", shape=MAP_VALUES(self._value_shape(extra)), replace="replace" in strategy)
        if kind == "object":
            return Field("object", shape=SCHEMALESS, replace="replace" in strategy)
        return SCALAR

    def merge(self, base: Mapping[str, Any], patch: Mapping[str, Any], *, order: str = "kustomize",
              styles: Any = None) -> dict:
        """A strategic merge with this schema in place of Kubernetes' (same rules otherwise)."""
        if not isinstance(base, Mapping):
            raise MergeError("the base of a strategic merge must be a mapping")
        name = self.kinds.get((str(base.get("apiVersion") or ""), str(base.get("kind") or "")))
        root: Shape = SCHEMALESS
        if name is not None and isinstance(self.defs.get(name), Mapping):
            root = self.shape(name, self.defs[name])
        return merge_shaped(base, patch, root, order=order, known=name is not None,  # type: ignore[arg-type]
                            styles=styles)


# --- crds: ------------------------------------------------------------------------------------------

_X_ANNOTATION = "x-kubernetes-annotation"
_X_LABEL_SELECTOR = "x-kubernetes-label-selector"
_X_IDENTITY = "x-kubernetes-identity"
_X_VERSION = "x-kubernetes-object-ref-api-version"
_X_KIND = "x-kubernetes-object-ref-kind"
_X_NAME_KEY = "x-kubernetes-object-ref-name-key"


def _looks_like_k8s_type(definition: Mapping[str, Any]) -> bool:
    props = definition.get("properties")
    return isinstance(props, Mapping) and all(k in props for k in ("kind", "apiVersion", "metadata"))


def _ext(prop: Mapping[str, Any], key: str) -> str | None:
    lowered = {str(k).lower(): v for k, v in prop.items()}
    value = lowered.get(key)
    return value if isinstance(value, str) else None


def _schema_of(api: Mapping[str, Any]) -> Any:
    """An OpenAPIDefinition's ``Schema`` (Go's JSON decoder matches the name in any case)."""
    for key, value in api.items():
        if str(key).lower() == "schema":
            return value
    return {}


def crd_config(data: Any, file: str) -> TransformerConfig:
    """The transformer configuration a ``crds:`` file adds (LoadConfigFromCRDs).

    Raises:
        KustomizationError: the file is not a map of OpenAPI definitions.
    """
    if not isinstance(data, Mapping):
        raise _error("unable to parse open API definition: expected a map of definitions", file)
    out: dict[str, list[Any]] = {"common_annotations": [], "common_labels": [], "name_prefix": [], "refs": []}

    def load(kind: str, type_name: str, path: list[str], depth: int) -> None:
        api = data.get(type_name)
        if not isinstance(api, Mapping) or depth > 50:
            return
        schema = _schema_of(api)
        props = schema.get("properties") if isinstance(schema, Mapping) else None
        for prop_name, prop in (props or {}).items():
            if not isinstance(prop, Mapping):
                continue
            here = [*path, str(prop_name)]
            spec = FieldSpec("/".join(here), kind=kind)
            if _ext(prop, _X_ANNOTATION) is not None:
                out["common_annotations"].append(spec)
            if _ext(prop, _X_LABEL_SELECTOR) is not None:
                out["common_labels"].append(spec)
            if _ext(prop, _X_IDENTITY) is not None:
                out["name_prefix"].append(spec)
            version, ref_kind = _ext(prop, _X_VERSION), _ext(prop, _X_KIND)
            if version is not None and ref_kind is not None:
                name_key = _ext(prop, _X_NAME_KEY) or "name"
                out["refs"].append(
                    NameBackReference(ref_kind, "", version, (FieldSpec("/".join([*here, name_key]), kind=kind),))
                )
            ref = prop.get("$ref")
            if isinstance(ref, str) and ref:
                load(kind, ref, here, depth + 1)

    for name, api in data.items():
        if not isinstance(api, Mapping):
            continue
        schema = _schema_of(api)
        if isinstance(schema, Mapping) and _looks_like_k8s_type(schema):
            load(str(name).split(".")[-1], str(name), [], 0)
    config = TransformerConfig(
        common_annotations=merge_specs((), tuple(out["common_annotations"])),
        common_labels=merge_specs((), tuple(out["common_labels"])),
        name_prefix=merge_specs((), tuple(out["name_prefix"])),
    )
    for ref in out["refs"]:
        config = config.merge(TransformerConfig(name_reference=(ref,)))
    return config
