"""Find, parse, check and normalize one kustomization (or component) file.

Mirrors how Kustomize v5.5 reads a kustomization: one of ``kustomization.yaml``,
``kustomization.yml`` or ``Kustomization`` must exist in the directory (several is an error);
unknown fields are an error at any depth (Kustomize decodes with ``DisallowUnknownFields``),
fields of the wrong type are an error, and a file with nothing but ``apiVersion``/``kind`` is
"empty". Fields Kustomize knows but compose does not implement (``replicas``, ``replacements``,
``vars``, ``helmCharts``, plugins, ...) are refused by name instead of being ignored.

Legacy fields are normalized once, as Kustomize's ``FixKustomization`` does: ``bases`` are
appended to ``resources``, ``imageTags`` to ``images``, a generator's ``env`` to its ``envs``.
``commonLabels`` becomes the last ``labels`` entry with ``includeSelectors: true`` (Kustomize
runs it after every ``labels`` entry with the selector field specs). ``patchesStrategicMerge``
and ``patchesJson6902`` stay apart from ``patches`` because Kustomize runs them at other
points of the pipeline (see :mod:`compose.kustomize.build`).
"""

from __future__ import annotations

import os
from .._record import field
from .._record import record as dataclass
from pathlib import Path
from typing import Any

from ..errors import KustomizationError, YAMLSyntaxError
from ..yamlio import Document, load_documents, read_text, scalar_is_ambiguous

__all__ = [
    "KUSTOMIZATION_FILE_NAMES",
    "Kustomization",
    "PatchSpec",
    "find_kustomization_file",
    "load_kustomization",
]

#: The names Kustomize recognizes, in its order.
KUSTOMIZATION_FILE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

KUSTOMIZATION_API_VERSION = "kustomize.config.k8s.io/v1beta1"
COMPONENT_API_VERSION = "kustomize.config.k8s.io/v1alpha1"

# --- the schema, as data ------------------------------------------------------------------
# A spec is: "str", "bool", "strlist", "strmap", "boolmap", ("list", spec), or a dict of
# field -> spec (a struct; unknown fields are refused).

_STR, _BOOL, _INT, _STRLIST, _STRMAP, _BOOLMAP = "str", "bool", "int", "strlist", "strmap", "boolmap"

_SELECTOR = {
    "group": _STR,
    "version": _STR,
    "kind": _STR,
    "name": _STR,
    "namespace": _STR,
    "labelSelector": _STR,
    "annotationSelector": _STR,
}
_PATCH = {"path": _STR, "patch": _STR, "target": _SELECTOR, "options": _BOOLMAP}
_GENERATOR_OPTIONS = {
    "labels": _STRMAP,
    "annotations": _STRMAP,
    "disableNameSuffixHash": _BOOL,
    "immutable": _BOOL,
}
_GENERATOR_ARGS = {
    "namespace": _STR,
    "name": _STR,
    "behavior": _STR,
    "immutable": _BOOL,
    "literals": _STRLIST,
    "files": _STRLIST,
    "envs": _STRLIST,
    "env": _STR,
    "options": _GENERATOR_OPTIONS,
}
_IMAGE = {"name": _STR, "newName": _STR, "newTag": _STR, "digest": _STR, "tagSuffix": _STR}
_FIELD_SPEC = {"path": _STR, "kind": _STR, "group": _STR, "version": _STR, "create": _BOOL}
_LABEL = {"pairs": _STRMAP, "includeSelectors": _BOOL, "includeTemplates": _BOOL, "fields": ("list", _FIELD_SPEC)}
_REPLICA = {"name": _STR, "count": _INT}
_RES_ID = {"group": _STR, "version": _STR, "kind": _STR, "name": _STR, "namespace": _STR}
_FIELD_OPTIONS = {"delimiter": _STR, "index": _INT, "encoding": _STR, "create": _BOOL}
_REPLACEMENT = {
    "source": {**_RES_ID, "fieldPath": _STR, "options": _FIELD_OPTIONS},
    "targets": ("list", {"select": _SELECTOR, "reject": ("list", _SELECTOR), "fieldPaths": _STRLIST, "options": _FIELD_OPTIONS}),
}
_VAR = {
    "name": _STR,
    "objref": {"kind": _STR, "name": _STR, "apiVersion": _STR, "group": _STR, "version": _STR, "namespace": _STR},
    "fieldref": {"fieldpath": _STR},
}

_SCHEMA: dict[str, Any] = {
    "apiVersion": _STR,
    "kind": _STR,
    "metadata": {"name": _STR, "namespace": _STR, "labels": _STRMAP, "annotations": _STRMAP},
    "namePrefix": _STR,
    "nameSuffix": _STR,
    "namespace": _STR,
    "commonLabels": _STRMAP,
    "labels": ("list", _LABEL),
    "commonAnnotations": _STRMAP,
    "patchesStrategicMerge": _STRLIST,
    "patchesJson6902": ("list", _PATCH),
    "patches": ("list", _PATCH),
    "images": ("list", _IMAGE),
    "imageTags": ("list", _IMAGE),
    "resources": _STRLIST,
    "components": _STRLIST,
    "bases": _STRLIST,
    "configMapGenerator": ("list", _GENERATOR_ARGS),
    "secretGenerator": ("list", {**_GENERATOR_ARGS, "type": _STR}),
    "generatorOptions": _GENERATOR_OPTIONS,
    "sortOptions": {
        "order": _STR,
        "legacySortOptions": {"orderFirst": _STRLIST, "orderLast": _STRLIST},
    },
    "replicas": ("list", _REPLICA),
    "replacements": ("list", {"path": _STR, **_REPLACEMENT}),
    "configurations": _STRLIST,
    "crds": _STRLIST,
    "openapi": _STRMAP,
    "buildMetadata": _STRLIST,
    "vars": ("list", _VAR),
}

#: Kustomization fields Kustomize v5.5 knows that compose does not implement.
UNSUPPORTED_FIELDS = {
    "helmGlobals": "Helm charts are not implemented",
    "helmCharts": "Helm charts are not implemented",
    "helmChartInflationGenerator": "Helm charts are not implemented",
    "generators": "plugins are not implemented",
    "transformers": "plugins are not implemented",
    "validators": "plugins are not implemented",
    "inventory": "inventory objects are not implemented",
}

_TYPE_NAMES = {
    _STR: "a string",
    _BOOL: "a boolean",
    _INT: "an integer",
    _STRLIST: "a list of strings",
    _STRMAP: "a map of strings",
    _BOOLMAP: "a map of booleans",
}


@dataclass
class PatchSpec:
    """One patch entry of a kustomization, before its content is read.

    Attributes:
        path: the ``path:`` value (relative to the kustomization root), or None.
        patch: the inline ``patch:`` text (or the inline entry of patchesStrategicMerge), or None.
        target: the ``target:`` selector, or None.
        options: the ``options:`` map (``allowNameChange``, ``allowKindChange``).
        field_path: where the entry is in the kustomization file (for line numbers).
    """

    path: str | None
    patch: str | None
    target: dict[str, str] | None
    options: dict[str, bool]
    field_path: tuple[Any, ...]


@dataclass
class Kustomization:
    """A parsed, checked and normalized kustomization file.

    Attributes:
        file: the kustomization file, as shown in messages.
        dir: the directory, as shown in messages.
        root: the directory with symlinks resolved (the load restrictor's root).
        kind: ``"Kustomization"`` or ``"Component"``.
        data: the normalized mapping (generators read ``configMapGenerator``,
            ``secretGenerator`` and ``generatorOptions`` from here).
        doc: the parsed document, for line numbers.
    """

    file: str
    dir: str
    root: Path
    kind: str
    data: dict[str, Any]
    doc: Document
    resources: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    components: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    configurations: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    patches_strategic_merge: list[PatchSpec] = field(default_factory=list)
    patches: list[PatchSpec] = field(default_factory=list)
    patches_json6902: list[PatchSpec] = field(default_factory=list)
    namespace: str = ""
    name_prefix: str = ""
    name_suffix: str = ""
    labels: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    images: list[dict[str, str]] = field(default_factory=list)
    sort_options: dict[str, Any] | None = None

    @property
    def is_component(self) -> bool:
        return self.kind == "Component"

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """Line of the field at ``path`` in the kustomization file."""
        return self.doc.line_of(path)

    def error(self, message: str, path: tuple[Any, ...] = (), *, step: str = "kustomization") -> KustomizationError:
        """A KustomizationError located at ``path`` of this file."""
        return KustomizationError(message, file=self.file, line=self.line_of(path), step=step)


def find_kustomization_file(directory: str | os.PathLike[str], display: str | None = None) -> Path:
    """The kustomization file of ``directory``.

    Raises:
        KustomizationError: none or several recognized files are present.
    """
    d = Path(directory)
    shown = display if display is not None else str(directory)
    found = [d / name for name in KUSTOMIZATION_FILE_NAMES if (d / name).is_file()]
    if not found:
        names = ", ".join(f"'{n}'" for n in KUSTOMIZATION_FILE_NAMES)
        raise KustomizationError(
            f"unable to find one of {names} in directory '{shown}'", file=shown, step="load"
        )
    if len(found) > 1:
        raise KustomizationError(
            "found multiple kustomization files: " + ", ".join(p.name for p in found),
            file=shown,
            step="load",
        )
    return found[0]


def load_kustomization(directory: str | os.PathLike[str], display: str | None = None, *, restrict: bool = True) -> Kustomization:
    """Read, check and normalize the kustomization in ``directory``.

    Args:
        directory: the kustomization directory.
        display: how to name the directory in messages (default: as given).
        restrict: refuse a kustomization file that is a symlink to a file outside
            ``directory``, as Kustomize's default ``LoadRestrictionsRootOnly`` does.

    Raises:
        KustomizationError: no or several kustomization files, an empty one, an unknown or
            unsupported field, a field of the wrong type, a bad kind/apiVersion.
        YAMLSyntaxError: the file is not well-formed YAML.
    """
    shown_dir = display if display is not None else str(directory)
    path = find_kustomization_file(directory, shown_dir)
    shown = os.path.join(shown_dir, path.name)
    real_dir = os.path.realpath(directory)
    if restrict and not os.path.realpath(path).startswith(real_dir.rstrip(os.sep) + os.sep):  # LoadRestrictionsRootOnly
        raise KustomizationError(
            f"the kustomization file is a symlink to {os.path.realpath(path)}, outside '{shown_dir}': "
            "files must be in or below the kustomization's directory",
            file=shown, step="load",
        )
    try:
        text = read_text(path, shown)
    except UnicodeDecodeError as exc:
        raise YAMLSyntaxError(f"not UTF-8 text ({exc.reason})", file=shown, step="read") from None
    except OSError as exc:
        raise KustomizationError(f"cannot read: {exc.strerror}", file=shown, step="read") from None
    docs = load_documents(text, shown, last_key_wins=True, keys=True)
    if len(docs) > 1:
        raise KustomizationError(
            f"a kustomization file holds one YAML document, found {len(docs)}", file=shown, step="load"
        )
    doc = docs[0] if docs else Document(data={}, file=shown)
    data = doc.data
    if not isinstance(data, dict):
        raise KustomizationError("a kustomization must be a mapping", file=shown, line=doc.line_of(()), step="load")
    _refuse_yaml11_keys(doc, shown)
    data = canonical_fields(doc)
    k = Kustomization(
        file=shown,
        dir=shown_dir,
        root=Path(os.path.realpath(directory)),
        kind="",
        data={},
        doc=doc,
    )
    _check(k, data)
    _refuse_yaml11_booleans(doc, text, shown)
    _normalize(k, data)
    return k


# --- field names, as Go's JSON decoder matches them ---------------------------------------------


def _all_fields(spec: dict[str, Any]) -> dict[str, str]:
    return {name.lower(): name for name in spec}


_TOP_FIELDS = {**_all_fields(_SCHEMA), **_all_fields(dict.fromkeys(UNSUPPORTED_FIELDS))}


def canonical_fields(doc: Document) -> dict[str, Any]:
    """The kustomization mapping with field names as Kustomize's Go decoder reads them.

    Kustomize turns the YAML into JSON (a repeated key: the last wins; keys sorted) and decodes
    that into its structs, where a key matches a field name case-insensitively (``nameprefix``
    is ``namePrefix``). When two spellings of one field are present, the one sorting last wins;
    maps and structs given twice are merged, other values replaced. The document's line table
    is re-keyed to the canonical names.
    """
    renames: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    data = _canonical(doc.data, _SCHEMA, (), (), renames, top=True)
    if any(old != new for old, new in renames.items()):
        moved: dict[tuple[Any, ...], tuple[int, int]] = {}
        for path, loc in doc.locations.items():
            for i in range(len(path), 0, -1):
                new = renames.get(path[:i])
                if new is not None:
                    path = new + path[i:]
                    break
            moved[path] = loc
        doc.locations = moved
    return data


def _canonical(
    value: Any, spec: Any, old: tuple[Any, ...], new: tuple[Any, ...], renames: dict[tuple[Any, ...], tuple[Any, ...]],
    top: bool = False,
) -> Any:
    if isinstance(spec, dict) and isinstance(value, dict):
        names = _TOP_FIELDS if top else _all_fields(spec)
        out: dict[Any, Any] = {}
        for key in sorted(value, key=str):
            name = names.get(key.lower(), key) if isinstance(key, str) else key
            renames[old + (key,)] = new + (name,)
            item = _canonical(value[key], spec.get(name), old + (key,), new + (name,), renames)
            out[name] = _json_merge(out[name], item, spec.get(name)) if name in out else item
        return {k: out[k] for k in value.keys() if k in out} | out  # keep the file's order where possible
    if isinstance(spec, tuple) and isinstance(value, list):
        return [_canonical(v, spec[1], old + (i,), new + (i,), renames) for i, v in enumerate(value)]
    return value


def _json_merge(old: Any, new: Any, spec: Any) -> Any:
    """Decoding a second value into a Go field: structs and maps merge, the rest is replaced."""
    if isinstance(old, dict) and isinstance(new, dict) and (isinstance(spec, dict) or spec in (_STRMAP, _BOOLMAP)):
        merged = dict(old)
        for key, item in new.items():
            merged[key] = _json_merge(old[key], item, spec.get(key) if isinstance(spec, dict) else None) if key in old else item
        return merged
    return new


def check_replacements_file(doc: Document) -> list[dict[str, Any]]:
    """The replacements of a ``replacements: [{path: FILE}]`` file (one, or a list), checked
    as inline ones are (field names in any case, unknown fields and wrong types refused).

    Raises:
        KustomizationError: naming the file and line.
    """
    data = doc.data
    many = isinstance(data, list)
    spec: Any = ("list", _REPLACEMENT) if many else _REPLACEMENT
    if not isinstance(data, (list, dict)):
        raise KustomizationError(
            "a replacements file holds a replacement or a list of them", file=doc.file, line=doc.line_of(()),
            step="replacements",
        )
    renames: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    data = _canonical(data, spec, (), (), renames)
    holder = Kustomization(file=doc.file, dir="", root=Path("."), kind="", data={}, doc=doc)
    _check_value(holder, data, spec, ())
    return data if many else [data]


# kubectl reads kustomization files as YAML 1.1 (its YAML-to-JSON step), where these plain
# words are booleans; compose's reader keeps them strings. A string field given one is refused
# by kubectl ("cannot unmarshal bool"): refuse it too rather than build what kubectl would not.
_YAML11_BOOLEANS = frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF".split())


def _refuse_yaml11_keys(doc: Document, shown: str) -> None:
    """Refuse map keys kubectl kustomize fails on ("json: unsupported type" or "unsupported map
    key"), where compose's reader would keep the text:

    - an unquoted key that kubectl's YAML 1.1 reading makes a boolean, number, date or null
      (``on:``, ``n:``, ``true:``, ``1:``, ``~:``), in any map of the file;
    - a label or annotation key whose text reads as a number, date, null or ``true``/``false``
      even when quoted (``"1":``, ``"null":``): Kustomize writes such keys into the resources
      unquoted and reads them back as that type. The YAML 1.1-only words (``"on"``, ``"y"``)
      are quoted on the way and stay strings.
    """
    for path, (line, _column, plain) in doc.keys.items():
        key = path[-1]
        text = key if isinstance(key, str) else str(key)
        if text in ("=", "<<") or (isinstance(key, str) and not scalar_is_ambiguous(text)):
            continue
        boolean = text in _YAML11_BOOLEANS or text.lower() in ("true", "false")
        if not plain and (text in _YAML11_BOOLEANS or len(path) < 2 or path[-2] not in _STRING_MAPS):
            continue
        what = "a boolean" if boolean else "a number, date or null" if text else "null"
        where = ".".join(str(p) for p in path[:-1])
        how = "reads as" if plain else "is written back unquoted by kubectl kustomize and reads as"
        fix = f"quote it (\"{text}\") if you mean the string" if plain else "use another key"
        raise KustomizationError(
            f"the key '{text}' in {where or 'the kustomization'} {how} {what} (YAML 1.1), "
            f"and kubectl fails on it; {fix}",
            file=shown, line=line, step="load",
        )


# Fields whose maps Kustomize copies into resources as labels or annotations.
_STRING_MAPS = frozenset(("commonLabels", "commonAnnotations", "labels", "annotations", "pairs"))


def _refuse_yaml11_booleans(doc: Document, text: str, shown: str) -> None:
    lines: list[str] | None = None
    for path, (line, column) in doc.locations.items():
        if not path:
            continue
        value: Any = doc.data
        for part in path:
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                value = value[part]
            else:
                value = None
                break
        if not isinstance(value, str) or value not in _YAML11_BOOLEANS:
            continue
        if lines is None:
            lines = text.split("\n")
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        if source[column - 1 : column] in ("'", '"'):
            continue
        where = ".".join(str(p) for p in path)
        raise KustomizationError(
            f"'{where}: {value}' reads as a boolean where kubectl reads kustomization files (YAML 1.1); "
            f"quote it (\"{value}\") if you mean the string",
            file=shown, line=line, step="load",
        )


# --- checking -------------------------------------------------------------------------------


def _check(k: Kustomization, data: dict[str, Any]) -> None:
    if not any(key not in ("apiVersion", "kind") for key in data):
        raise k.error(f"{Path(k.file).name} is empty", step="load")
    for key, value in data.items():
        if key in UNSUPPORTED_FIELDS:
            if value in (None, [], {}, ""):
                continue
            raise k.error(f"field '{key}' is not supported by compose ({UNSUPPORTED_FIELDS[key]})", (key,))
    _check_value(k, data, _SCHEMA, (), allow_extra=frozenset(UNSUPPORTED_FIELDS))
    kind = data.get("kind") or "Kustomization"
    if kind not in ("Kustomization", "Component"):
        raise k.error("kind should be Kustomization or Component", ("kind",))
    api_version = data.get("apiVersion")
    required = COMPONENT_API_VERSION if kind == "Component" else KUSTOMIZATION_API_VERSION
    if api_version and api_version != required:
        raise k.error(f"apiVersion for {kind} should be {required}", ("apiVersion",))
    k.kind = kind


def _check_value(
    k: Kustomization, value: Any, spec: Any, path: tuple[Any, ...], allow_extra: frozenset[str] = frozenset()
) -> None:
    if value is None:
        return  # null is the zero value in Go's decoder
    where = ".".join(str(p) for p in path) or "kustomization"
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise k.error(f"'{where}' must be a mapping", path)
        for key, item in value.items():
            if key not in spec:
                if key in allow_extra:
                    continue
                raise k.error(f"unknown field '{key}'" + (f" in '{where}'" if path else ""), path + (key,))
            _check_value(k, item, spec[key], path + (key,))
        return
    if isinstance(spec, tuple):
        if not isinstance(value, list):
            raise k.error(f"'{where}' must be a list", path)
        for i, item in enumerate(value):
            _check_value(k, item, spec[1], path + (i,))
        return
    ok: bool
    if spec == _STR:
        ok = isinstance(value, str)
    elif spec == _BOOL:
        ok = isinstance(value, bool)
    elif spec == _INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec == _STRLIST:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif spec == _STRMAP:
        ok = isinstance(value, dict) and all(isinstance(v, str) or v is None for v in value.values())
    elif spec == _BOOLMAP:
        ok = isinstance(value, dict) and all(isinstance(v, bool) or v is None for v in value.values())
    else:  # pragma: no cover - the schema is ours
        raise AssertionError(spec)
    if not ok:
        raise k.error(f"'{where}' must be {_TYPE_NAMES[spec]} (quote values such as 1 or true)", path)


# --- normalizing ----------------------------------------------------------------------------


def _normalize(k: Kustomization, data: dict[str, Any]) -> None:
    k.namespace = data.get("namespace") or ""
    k.name_prefix = data.get("namePrefix") or ""
    k.name_suffix = data.get("nameSuffix") or ""
    k.resources = [(v, ("resources", i)) for i, v in enumerate(data.get("resources") or [])]
    k.resources += [(v, ("bases", i)) for i, v in enumerate(data.get("bases") or [])]
    k.components = [(v, ("components", i)) for i, v in enumerate(data.get("components") or [])]
    k.configurations = [(v, ("configurations", i)) for i, v in enumerate(data.get("configurations") or [])]

    for i, entry in enumerate(data.get("patchesStrategicMerge") or []):
        # Kustomize reads an entry that parses as a resource as inline patch content,
        # anything else as a file path; build.py decides, as it needs the file system.
        k.patches_strategic_merge.append(PatchSpec(None, entry, None, {}, ("patchesStrategicMerge", i)))
    for name in ("patches", "patchesJson6902"):
        out = k.patches if name == "patches" else k.patches_json6902
        for i, entry in enumerate(data.get(name) or []):
            entry = entry or {}
            out.append(
                PatchSpec(
                    path=entry.get("path") or None,
                    patch=entry.get("patch") or None,
                    target=entry.get("target") or None,
                    options={key: bool(v) for key, v in (entry.get("options") or {}).items()},
                    field_path=(name, i),
                )
            )

    labels: list[dict[str, Any]] = []
    for entry in data.get("labels") or []:
        entry = entry or {}
        labels.append(
            {
                "pairs": {key: v or "" for key, v in (entry.get("pairs") or {}).items()},
                "includeSelectors": bool(entry.get("includeSelectors")),
                "includeTemplates": bool(entry.get("includeTemplates")),
                "fieldSpecs": [dict(f or {}) for f in entry.get("fields") or []],
            }
        )
    common = data.get("commonLabels") or {}
    if common:
        labels.append(
            {
                "pairs": {key: v or "" for key, v in common.items()},
                "includeSelectors": True,
                "includeTemplates": False,
            }
        )
    k.labels = labels
    k.annotations = {key: v or "" for key, v in (data.get("commonAnnotations") or {}).items()}
    k.images = [dict(e or {}) for e in (data.get("images") or [])]
    k.images += [dict(e or {}) for e in (data.get("imageTags") or [])]
    k.sort_options = data.get("sortOptions")

    normalized = dict(data)
    for gen in ("configMapGenerator", "secretGenerator"):
        entries = []
        for entry in data.get(gen) or []:
            entry = dict(entry or {})
            if entry.get("env"):
                entry["envs"] = list(entry.get("envs") or []) + [entry["env"]]
            entry.pop("env", None)
            entries.append(entry)
        if gen in normalized:
            normalized[gen] = entries
    normalized.pop("bases", None)
    normalized.pop("imageTags", None)
    normalized["resources"] = [v for v, _ in k.resources]
    normalized["images"] = k.images
    k.data = normalized
