"""Generate the compact validation schemas under ``compose/k8s/schemas/``.

Run::

    python -m compose.k8s.gen_schemas --versions 1.30 1.31 1.32 1.33

This needs ``kubernetes-validate`` (the ``schema`` extra), which ships the Kubernetes
OpenAPI definitions as JSON schemas, strict flavour (unknown fields rejected), one
directory per minor version. For each version the generator keeps only what validation
needs (types, nullability, properties, required fields, items, map values, enums,
int-or-string, quantities, integer formats), folds in the checks of ``rules.yaml`` that
the schemas cannot express, and writes ``schemas/v<version>.json.gz`` (about 30 kB).

To add a Kubernetes version: install a kubernetes-validate that ships it, run the command
above with the new version added, check the enum ranges in ``rules.yaml`` against the
new version's API types (widen ``versions`` where the values did not change), regenerate,
and commit the new file. ``tests/k8s/test_schemas.py`` regenerates every committed file
and compares, whenever kubernetes-validate is importable.

Compact format (definition names lose their ``io.k8s.`` prefix)::

    {"format": 1, "version": "1.32",
     "kinds": {"batch/v1": {"Job": "api.batch.v1.Job", ...}, "v1": {...}},
     "defs": {"api.batch.v1.Job": {"p": {"spec": "@api.batch.v1.JobSpec", ...}, "r": [...]}},
     "rules": {"batch/v1/Job": [{"path": [...], "required": true, "enum": [...]}]}}

A node is a string code, ``"@<definition>"`` or a dict. Codes: ``s`` string, ``i`` /
``i32`` / ``i64`` integer, ``n`` number, ``b`` boolean, ``q`` quantity (string or
number), ``ios`` int-or-string, ``t`` date-time string, ``y`` base64 string, ``o*`` an
object with any fields, ``*`` anything; a trailing ``?`` allows null. Dicts: ``{"a": node}``
a list, ``{"m": node}`` a map with free keys (``"k"``: a key rule), ``{"t": code, "e":
[...]}`` an enum, ``{"p": {...}, "r": [...]}`` an object; ``"?": 1`` allows null and
``"x": 1`` on an object allows fields it does not list. Definitions are objects.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_VERSIONS = ("1.30", "1.31", "1.32", "1.33")
SCHEMA_DIR = Path(__file__).with_name("schemas")
RULES = Path(__file__).with_name("rules.yaml")
FORMAT = 1

_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# Keywords the generator understands; anything else in a new schema release stops it.
_KNOWN = {
    "description", "type", "$ref", "properties", "additionalProperties", "items", "required",
    "enum", "format", "oneOf", "$schema", "$id",
}
_FORMATS = {"int32": "i32", "int64": "i64", "date-time": "t", "byte": "y"}


class GenerateError(Exception):
    """The source schema holds something the compact format cannot express."""


def definitions_path(version: str) -> Path:
    """Where kubernetes-validate keeps the strict definitions of ``version``."""
    import kubernetes_validate  # lazy: only the generator and its test need it

    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return root / f"v{version}.0-local-strict" / "_definitions.json"


def short(name: str) -> str:
    """``#/$defs/io.k8s.api.batch.v1.Job`` -> ``api.batch.v1.Job``."""
    name = name.rsplit("/", 1)[-1]
    return name[len("io.k8s.") :] if name.startswith("io.k8s.") else name


def _types(frag: Mapping[str, Any]) -> tuple[str | None, bool]:
    t = frag.get("type")
    if t is None:
        return None, True
    types = [t] if isinstance(t, str) else list(t)
    nullable = "null" in types
    rest = [x for x in types if x != "null"]
    if len(rest) != 1:
        raise GenerateError(f"unsupported type list {types}")
    return rest[0], nullable


def _node(frag: Mapping[str, Any], defs: Mapping[str, Any], where: str) -> Any:
    unknown = set(frag) - _KNOWN
    unknown = {k for k in unknown if not k.startswith("x-kubernetes-")}
    if unknown:
        raise GenerateError(f"{where}: unknown schema keywords {sorted(unknown)}")
    if "$ref" in frag:
        full = frag["$ref"].rsplit("/", 1)[-1]
        target = defs.get(full)
        if target is None:
            raise GenerateError(f"{where}: dangling $ref {frag['$ref']}")
        if full in (_INT_OR_STRING, _QUANTITY):
            return _node(target, defs, full)
        if "properties" in target:
            return "@" + short(full)
        return _node(target, defs, full)
    if "oneOf" in frag:
        kinds = sorted(_types(alt)[0] or "" for alt in frag["oneOf"])
        # null matches no alternative, or several: then oneOf rejects it (as
        # kubernetes-validate does for a null quantity or int-or-string).
        nullable = sum(_types(alt)[1] for alt in frag["oneOf"]) == 1
        code = {("integer", "string"): "ios", ("number", "string"): "q"}.get(tuple(kinds))
        if code is None:
            raise GenerateError(f"{where}: unsupported oneOf {kinds}")
        return code + ("?" if nullable else "")
    base, nullable = _types(frag)
    q = "?" if nullable else ""
    if base is None:
        if set(frag) - {"description"}:
            raise GenerateError(f"{where}: untyped schema with {sorted(frag)}")
        return "*"
    if base == "object":
        if "properties" in frag:
            return _object(frag, defs, where)
        extra = frag.get("additionalProperties")
        if isinstance(extra, Mapping):
            out: dict[str, Any] = {"m": _node(extra, defs, where + "{}")}
            if nullable:
                out["?"] = 1
            return out
        if extra is False:
            return {"p": {}, **({"?": 1} if nullable else {})}
        return "o*" + q
    if base == "array":
        out = {"a": _node(frag.get("items") or {}, defs, where + "[]")}
        if nullable:
            out["?"] = 1
        return out
    fmt = frag.get("format")
    if base == "string":
        code = _FORMATS.get(fmt, "s") if fmt in ("date-time", "byte") else "s"
    elif base == "integer":
        code = _FORMATS.get(fmt, "i") if fmt in ("int32", "int64") else "i"
    elif base == "number":
        code = "n"
    elif base == "boolean":
        code = "b"
    else:
        raise GenerateError(f"{where}: unsupported type {base}")
    if "enum" in frag:
        return {"t": code + q, "e": list(frag["enum"])}
    return code + q


def _object(frag: Mapping[str, Any], defs: Mapping[str, Any], where: str) -> dict[str, Any]:
    props = frag.get("properties") or {}
    out: dict[str, Any] = {"p": {k: _node(v, defs, f"{where}.{k}") for k, v in sorted(props.items())}}
    required = [r for r in frag.get("required", []) if r in props]
    if required:
        out["r"] = sorted(required)
    if frag.get("additionalProperties") is not False:
        out["x"] = 1
    if _types(frag)[1]:
        out["?"] = 1
    return out


def _in_range(version: str, spec: str) -> bool:
    lo, _, hi = spec.partition("-")

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in v.split("."))

    return key(lo) <= key(version) <= key(hi or lo)


def _apply_rules(table: dict[str, Any], rules: Mapping[str, Any], version: str, seen: set[str]) -> None:
    defs = table["defs"]
    for key, spec in (rules.get("enums") or {}).items():
        name, _, field = key.rpartition(".")
        items = field.endswith("[]")
        field = field.removesuffix("[]")
        node = defs.get(name, {}).get("p", {}).get(field)
        if node is None:
            continue
        seen.add(key)
        if not _in_range(version, spec["versions"]):
            continue
        if items:
            if not (isinstance(node, dict) and "a" in node and isinstance(node["a"], str)):
                raise GenerateError(f"rules.yaml: {key} is not a list of scalars")
            node["a"] = {"t": node["a"], "e": list(spec["values"])}
        else:
            if not isinstance(node, str) or node.rstrip("?") != "s":
                raise GenerateError(f"rules.yaml: {key} is not a plain string field")
            defs[name]["p"][field] = {"t": node, "e": list(spec["values"])}
    for key in rules.get("defaulted") or ():
        # Required in the OpenAPI document, but the server fills the field in before it
        # validates: absent is valid.
        name, _, field = key.rpartition(".")
        definition = defs.get(name)
        if definition is None or field not in definition.get("p", {}):
            continue
        seen.add(key)
        if field in definition.get("r", ()):
            definition["r"] = [r for r in definition["r"] if r != field]
            if not definition["r"]:
                del definition["r"]
    for key, rule in (rules.get("map_keys") or {}).items():
        name, _, field = key.rpartition(".")
        node = defs.get(name, {}).get("p", {}).get(field)
        if node is None:
            continue
        seen.add(key)
        if not (isinstance(node, dict) and "m" in node):
            raise GenerateError(f"rules.yaml: {key} is not a map")
        node["k"] = rule
    out: dict[str, list[dict[str, Any]]] = {}
    for gvk, entries in (rules.get("kinds") or {}).items():
        api, _, kind = gvk.rpartition("/")
        if kind not in table["kinds"].get(api, {}):
            continue
        seen.add(gvk)
        out[gvk] = []
        for entry in entries:
            item: dict[str, Any] = {"path": entry["path"].split(".")}
            if entry.get("required"):
                item["required"] = True
            if "enum" in entry:
                item["enum"] = list(entry["enum"])
            out[gvk].append(item)
    table["rules"] = out


def build(definitions: Mapping[str, Any], version: str, rules: Mapping[str, Any] | None = None,
          seen: set[str] | None = None) -> dict[str, Any]:
    """Turn kubernetes-validate's ``$defs`` into the compact table of one version (pure).

    Args:
        definitions: the ``$defs`` mapping of ``_definitions.json``.
        version: the Kubernetes minor version, e.g. ``"1.32"``.
        rules: the parsed ``rules.yaml``; ``None`` for none.
        seen: collects the rule keys that matched a definition (to catch typos).
    """
    kinds: dict[str, dict[str, str]] = {}
    defs: dict[str, Any] = {}
    for full in sorted(definitions):
        frag = definitions[full]
        if "properties" not in frag:
            continue
        defs[short(full)] = _object(frag, definitions, short(full))
        for gvk in frag.get("x-kubernetes-group-version-kind", []):
            api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            kinds.setdefault(api, {}).setdefault(gvk["kind"], short(full))
    table: dict[str, Any] = {
        "format": FORMAT,
        "version": version,
        "kinds": {api: dict(sorted(k.items())) for api, k in sorted(kinds.items())},
        "defs": defs,
    }
    _apply_rules(table, rules or {}, version, seen if seen is not None else set())
    return table


def load_rules(path: Path = RULES) -> dict[str, Any]:
    """The parsed ``rules.yaml``."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def encode(table: Mapping[str, Any]) -> bytes:
    """The committed bytes: sorted compact JSON, gzip without a timestamp."""
    text = json.dumps(table, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def generate(versions: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Build the tables of ``versions``; fail on a rule that matches nothing in any."""
    rules = load_rules()
    seen: set[str] = set()
    out = {}
    for version in versions:
        with open(definitions_path(version), encoding="utf-8") as fh:
            definitions = json.load(fh)["$defs"]
        out[version] = build(definitions, version, rules, seen)
    versions = list(out)
    enums = rules.get("enums") or {}
    declared = {k for k, spec in enums.items() if any(_in_range(v, spec["versions"]) for v in versions)}
    declared |= set(rules.get("map_keys") or {}) | set(rules.get("kinds") or {}) | set(rules.get("defaulted") or ())
    if declared - seen:
        raise GenerateError(f"rules.yaml entries match no definition: {sorted(declared - seen)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compose.k8s.gen_schemas", description=__doc__.split("\n")[0])
    parser.add_argument("--versions", nargs="+", default=list(DEFAULT_VERSIONS), help="minor versions, e.g. 1.32")
    parser.add_argument("--output-dir", type=Path, default=SCHEMA_DIR, help="where to write v<version>.json.gz")
    args = parser.parse_args(argv)
    try:
        tables = generate(args.versions)
    except (GenerateError, OSError) as exc:
        print(f"gen_schemas: {exc}", file=sys.stderr)
        return 1
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for version, table in tables.items():
        data = encode(table)
        target = args.output_dir / f"v{version}.json.gz"
        target.write_bytes(data)
        print(f"wrote {target} ({len(data)} bytes, {len(table['defs'])} definitions)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
