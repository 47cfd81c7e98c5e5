"""Transformer configurations: which fields each transformer touches, as Kustomize's
``TransformerConfig`` (api/internal/plugins/builtinconfig).

The default configuration is Kustomize v5.5.0's own, kept verbatim in ``defaultconfig.yaml``
beside this module and compiled into ``_defaultconfig.py`` (regenerate with ``python -m
compose.kustomize.transformers.config``; a test checks the two agree). A kustomization's
``configurations:`` files use the same format and are merged into it:

.. code-block:: yaml

    nameReference:            # Widgets' spec/configName names a ConfigMap
    - kind: ConfigMap
      version: v1
      fieldSpecs:
      - {path: spec/configName, kind: Widget}
    commonLabels:             # labels also go to Widgets' spec/selector
    - {path: spec/selector, kind: Widget, create: true}
    namePrefix: [...]         # also nameSuffix, namespace, templateLabels, commonAnnotations,
                              # varReference, images, replicas

Merging follows Kustomize (FsSlice.MergeAll, then sortFields): a field spec is dropped when
one with the same path is already there whose group/version/kind the new one selects (a
different ``create`` is an error); ``nameReference`` entries for the same target kind pool their
referrers; each list is then sorted by group/version/kind (the legacy kind order, then
``group_version_kind``). Kustomize merges every level's configuration into an empty one, so the
sort decides what is dropped: a custom spec for a kind sorts before Kustomize's kind-less
default for the same path, which is then dropped. ``namePrefix: [{path: metadata/name, kind:
Widget}]`` therefore limits namePrefix to Widgets, as ``kubectl kustomize`` does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ..._record import record

from ...errors import KustomizationError
from ..ordering import DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST
from .fieldspecs import FieldSpec, NameBackReference

__all__ = ["EMPTY", "TransformerConfig", "default_config", "parse_config"]

# YAML key -> attribute
_FS_FIELDS = {
    "namePrefix": "name_prefix",
    "nameSuffix": "name_suffix",
    "namespace": "namespace",
    "commonLabels": "common_labels",
    "labels": "labels",
    "templateLabels": "template_labels",
    "commonAnnotations": "common_annotations",
    "varReference": "var_reference",
    "images": "images",
    "replicas": "replicas",
}
_YAML_KEYS = {attr: key for key, attr in _FS_FIELDS.items()}


@record(frozen=True)
class TransformerConfig:
    """The field specs of every built-in transformer (empty tuples: none)."""

    name_prefix: tuple[FieldSpec, ...] = ()
    name_suffix: tuple[FieldSpec, ...] = ()
    namespace: tuple[FieldSpec, ...] = ()
    common_labels: tuple[FieldSpec, ...] = ()
    labels: tuple[FieldSpec, ...] = ()
    template_labels: tuple[FieldSpec, ...] = ()
    common_annotations: tuple[FieldSpec, ...] = ()
    var_reference: tuple[FieldSpec, ...] = ()
    images: tuple[FieldSpec, ...] = ()
    replicas: tuple[FieldSpec, ...] = ()
    name_reference: tuple[NameBackReference, ...] = ()

    def merge(self, other: TransformerConfig) -> TransformerConfig:
        """This configuration with ``other``'s entries added (Kustomize's Merge).

        Raises:
            KustomizationError: the same field spec with different ``create`` flags.
        """
        return _merge(self, other)

    def _merge(self, other: TransformerConfig) -> TransformerConfig:
        values: dict[str, Any] = {}
        for name in _NAMES:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "name_reference":
                refs = _merge_refs(mine, theirs)
                values[name] = tuple(sorted(refs, key=lambda r: _gvk_key(r.group, r.version, r.kind)))
            else:
                merged = merge_specs(mine, theirs, _YAML_KEYS[name])
                values[name] = tuple(sorted(merged, key=lambda f: _gvk_key(f.group, f.version, f.kind)))
        return TransformerConfig(**values)

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in _NAMES)


_NAMES: tuple[str, ...] = tuple(TransformerConfig.__annotations__)  # the fields, in order

# Every kustomization level merges the defaults into an empty configuration: the few distinct
# merges of a build are remembered by the identity of their (immutable) operands, which the
# entries keep alive.
_MERGES: dict[tuple[int, int], tuple[TransformerConfig, TransformerConfig, TransformerConfig]] = {}


def _merge(a: TransformerConfig, b: TransformerConfig) -> TransformerConfig:
    key = (id(a), id(b))
    hit = _MERGES.get(key)
    if hit is not None:
        return hit[2]
    result = a._merge(b)
    if len(_MERGES) >= 256:
        _MERGES.clear()
    _MERGES[key] = (a, b, result)
    return result


#: The empty configuration a kustomization level starts from.
EMPTY = TransformerConfig()
# Kustomize's legacy kind order (resid typeOrders), for sorting field specs.
_TYPE_ORDER = {
    **{k: -len(DEFAULT_ORDER_FIRST) + i for i, k in enumerate(DEFAULT_ORDER_FIRST)},
    **{k: 1 + i for i, k in enumerate(DEFAULT_ORDER_LAST)},
}


def _gvk_key(group: str, version: str, kind: str) -> tuple[int, str]:
    """Gvk.IsLessThan as a sort key: the kind's legacy rank, then ``group_version_kind``."""
    return _TYPE_ORDER.get(kind, 0), f"{group or '~G'}_{version or '~V'}_{kind or '~K'}"


def _sorted(specs: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    return tuple(sorted(specs, key=lambda f: _gvk_key(f.group, f.version, f.kind)))


def merge_specs(have: tuple[FieldSpec, ...], new: tuple[FieldSpec, ...], what: str = "") -> tuple[FieldSpec, ...]:
    """``have`` plus the specs of ``new`` not already in it (FsSlice.MergeAll)."""
    out = list(have)
    for spec in new:
        # Already there: one with the same path whose group/version/kind the new one selects
        # (FieldSpec.effectivelyEquals: a kind-less spec counts as a copy of any spec).
        same = next((s for s in out if s.path == spec.path and spec.selects(s.group, s.version, s.kind)), None)
        if same is None:
            out.append(spec)
        elif same.create != spec.create:
            raise KustomizationError(
                f"conflicting fieldspecs for {what or 'a transformer'}: path {spec.path!r}"
                f"{' of kind ' + spec.kind if spec.kind else ''} given with create true and false",
                step="configurations",
            )
    return tuple(out)


def _merge_refs(
    have: tuple[NameBackReference, ...], new: tuple[NameBackReference, ...]
) -> tuple[NameBackReference, ...]:
    out = list(have)
    for ref in new:
        for i, cur in enumerate(out):
            if (cur.group, cur.version, cur.kind) == (ref.group, ref.version, ref.kind):
                out[i] = NameBackReference(
                    cur.kind, cur.group, cur.version, merge_specs(cur.referrers, ref.referrers, "nameReference")
                )
                break
        else:
            out.append(ref)
    return tuple(out)


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise KustomizationError(f"{what} must be a string, found {type(value).__name__}", step="configurations")
    return value


def _field_spec(raw: Any, what: str) -> FieldSpec:
    if not isinstance(raw, Mapping):
        raise KustomizationError(f"each entry of {what} must be a map with 'path'", step="configurations")
    create = raw.get("create", False)
    if not isinstance(create, bool) and create is not None:
        raise KustomizationError(f"'create' in {what} must be a boolean", step="configurations")
    return FieldSpec(
        path=_text(raw.get("path"), f"'path' in {what}"),
        kind=_text(raw.get("kind"), f"'kind' in {what}"),
        group=_text(raw.get("group"), f"'group' in {what}"),
        version=_text(raw.get("version"), f"'version' in {what}"),
        create=bool(create),
    )


def _spec_list(raw: Any, what: str) -> tuple[FieldSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise KustomizationError(f"{what} must be a list of field specs", step="configurations")
    return _sorted(tuple(_field_spec(item, what) for item in raw))


def parse_config(data: Any) -> TransformerConfig:
    """A TransformerConfig from a parsed configuration document (fields as in Kustomize).

    Raises:
        KustomizationError: a field of the wrong shape or type.
    """
    if data is None:
        return TransformerConfig()
    if not isinstance(data, Mapping):
        raise KustomizationError("a transformer configuration must be a mapping", step="configurations")
    # Kustomize decodes these files strictly, matching field names in any case.
    known = {k.lower(): k for k in (*_FS_FIELDS, "nameReference")}
    canonical: dict[str, Any] = {}
    for key in sorted(data, key=str):
        name = known.get(str(key).lower())
        if name is None:
            raise KustomizationError(f"unknown field {key!r} in a transformer configuration", step="configurations")
        canonical[name] = data[key]
    data = canonical
    values: dict[str, Any] = {}
    for key, attr in _FS_FIELDS.items():
        values[attr] = _spec_list(data.get(key), key)
    refs: list[NameBackReference] = []
    raw_refs = data.get("nameReference")
    if raw_refs is not None and not isinstance(raw_refs, list):
        raise KustomizationError("nameReference must be a list", step="configurations")
    for raw in raw_refs or ():
        if not isinstance(raw, Mapping):
            raise KustomizationError("each nameReference entry must be a map", step="configurations")
        refs.append(
            NameBackReference(
                kind=_text(raw.get("kind"), "'kind' in nameReference"),
                group=_text(raw.get("group"), "'group' in nameReference"),
                version=_text(raw.get("version"), "'version' in nameReference"),
                referrers=_spec_list(raw.get("fieldSpecs"), "nameReference fieldSpecs"),
            )
        )
    values["name_reference"] = tuple(sorted(refs, key=lambda r: _gvk_key(r.group, r.version, r.kind)))
    return TransformerConfig(**values)


@functools.cache
def default_config() -> TransformerConfig:
    """Kustomize v5.5.0's default configuration, as read (sorted, not yet merged: each
    kustomization level merges it into its own), the same object every call."""
    from ._defaultconfig import DEFAULT_CONFIG

    return parse_config(DEFAULT_CONFIG)


def _regenerate() -> None:  # pragma: no cover - a maintenance tool
    import pprint
    from pathlib import Path

    import yaml

    here = Path(__file__).parent
    data = yaml.safe_load((here / "defaultconfig.yaml").read_text(encoding="utf-8"))
    text = (
        '"""Generated from defaultconfig.yaml by ``python -m compose.kustomize.transformers.config``:'
        ' do not edit."""\n\n'
        "from typing import Any\n\nDEFAULT_CONFIG: dict[str, Any] = "
        + pprint.pformat(data, width=110, sort_dicts=False)
        + "\n"
    )
    (here / "_defaultconfig.py").write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    _regenerate()
