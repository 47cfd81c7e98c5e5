"""Generate ``k8s_schema.json``, the compact patch-metadata table, from kubernetes-validate.

Run ``python -m compose.merge.gen_schema [--version 1.32] [--output PATH]``. The
Kubernetes OpenAPI definitions that the ``kubernetes-validate`` package ships keep the
patch extensions (``x-kubernetes-patch-merge-key``, ``x-kubernetes-patch-strategy``,
``x-kubernetes-list-type``, ``x-kubernetes-list-map-keys``); this walks them once and keeps
only what a strategic merge needs, so a merge never reads the 1.3 MB definitions file.

Output shape (definition names lose their ``io.k8s.`` prefix)::

    {"version": "1.32",
     "kinds": {"batch/v1/Job": "api.batch.v1.Job", "v1/Pod": "api.core.v1.Pod", ...},
     "defs": {"api.batch.v1.Job": {"apiVersion": 0, "metadata": {"t": "o", "r": "..."}, ...}}}

A field is ``0`` when it holds a scalar (or anything without properties: Quantity,
IntOrString, Time); otherwise a dict with ``t`` (``o`` object, ``l`` list, ``m`` map with
free keys), ``r`` (the definition of the object, of the list items or of the map values;
absent for primitives), and when the schema says so ``s`` (patch strategy, e.g.
``"merge,retainKeys"``), ``k`` (patch merge key), ``lt`` (list type) and ``mk`` (list map
keys). ``kustomize_atomic`` lists ``definition.field`` names of keyed lists that
kustomize v5.5 replaces whole because its older embedded schema does not know them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_VERSION = "1.32"
#: Oldest schema kubernetes-validate ships; stands in for kustomize v5.5's embedded 1.21.2.
KUSTOMIZE_VERSION = "1.25"
OUTPUT = Path(__file__).with_name("k8s_schema.json")


def definitions_path(version: str) -> Path:
    """Where kubernetes-validate keeps the (non-strict) definitions of ``version``."""
    import kubernetes_validate  # lazy: only the generator and its test need it

    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return root / f"v{version}.0-local" / "_definitions.json"


def _short(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    return name[len("io.k8s.") :] if name.startswith("io.k8s.") else name


def _is_object_def(defs: dict[str, Any], ref: str) -> bool:
    return bool(defs.get(ref.rsplit("/", 1)[-1], {}).get("properties"))


def _field(defs: dict[str, Any], prop: dict[str, Any]) -> Any:
    types = prop.get("type")
    types = [types] if isinstance(types, str) else (types or [])
    out: dict[str, Any] = {}
    if "$ref" in prop:
        if not _is_object_def(defs, prop["$ref"]):
            return 0
        out = {"t": "o", "r": _short(prop["$ref"])}
    elif "array" in types:
        out = {"t": "l"}
        items = prop.get("items") or {}
        if "$ref" in items and _is_object_def(defs, items["$ref"]):
            out["r"] = _short(items["$ref"])
    elif "object" in types and isinstance(prop.get("additionalProperties"), dict):
        values = prop["additionalProperties"]
        out = {"t": "m"}
        if "$ref" in values and _is_object_def(defs, values["$ref"]):
            out["r"] = _short(values["$ref"])
    else:
        return 0
    for src, dst in (
        ("x-kubernetes-patch-strategy", "s"),
        ("x-kubernetes-patch-merge-key", "k"),
        ("x-kubernetes-list-type", "lt"),
        ("x-kubernetes-list-map-keys", "mk"),
    ):
        if src in prop:
            out[dst] = prop[src]
    return out


def build_table(
    definitions: dict[str, Any], version: str, kustomize_definitions: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Turn the OpenAPI ``$defs`` mapping into the compact table (pure).

    ``kustomize_definitions`` are those of the oldest version kubernetes-validate ships
    (1.25), standing in for the Kubernetes 1.21 schema that kustomize v5.5 embeds: list
    fields that merge by key in ``definitions`` but not there go to ``kustomize_atomic``,
    because kustomize replaces such lists whole (seen: ``schedulingGates``,
    ``resourceClaims``).
    """
    kinds: dict[str, str] = {}
    table: dict[str, dict[str, Any]] = {}
    for name in sorted(definitions):
        schema = definitions[name]
        props = schema.get("properties")
        if not props:
            continue
        table[_short(name)] = {f: _field(definitions, p) for f, p in sorted(props.items())}
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            # A kind listed by several definitions (e.g. meta DeleteOptions) is not a
            # resource anyone patches; keep the first, deterministically.
            kinds.setdefault(f"{api}/{gvk['kind']}", _short(name))
    out: dict[str, Any] = {"version": version, "kinds": dict(sorted(kinds.items())), "defs": table}
    if kustomize_definitions is not None:
        old = build_table(kustomize_definitions, "")["defs"]
        atomic = []
        for name, fields in table.items():
            for fname, spec in fields.items():
                if isinstance(spec, dict) and spec["t"] == "l" and "merge" in spec.get("s", ""):
                    prev = old.get(name, {}).get(fname)
                    if not isinstance(prev, dict) or "merge" not in prev.get("s", ""):
                        atomic.append(f"{name}.{fname}")
        out["kustomize_atomic"] = atomic
    return out


def render(table: dict[str, Any]) -> str:
    """Serialize the table the way it is committed: one definition per line."""
    lines = ["{", f'"version": {json.dumps(table["version"])},']
    lines.append('"kinds": ' + json.dumps(table["kinds"], separators=(",", ":")) + ",")
    if "kustomize_atomic" in table:
        lines.append('"kustomize_atomic": ' + json.dumps(table["kustomize_atomic"], separators=(",", ":")) + ",")
    lines.append('"defs": {')
    items = list(table["defs"].items())
    for i, (name, fields) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(json.dumps(name) + ":" + json.dumps(fields, separators=(",", ":")) + comma)
    lines.append("}}")
    return "\n".join(lines) + "\n"


def _load(version: str) -> dict[str, Any]:
    with open(definitions_path(version), encoding="utf-8") as fh:
        return json.load(fh)["$defs"]


def generate(version: str = DEFAULT_VERSION, kustomize_version: str = KUSTOMIZE_VERSION) -> str:
    """Read kubernetes-validate's definitions for ``version`` and return the table text."""
    return render(build_table(_load(version), version, _load(kustomize_version)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compose.merge.gen_schema", description=__doc__.split("\n")[0])
    parser.add_argument("--version", default=DEFAULT_VERSION, help="Kubernetes minor version, e.g. 1.32")
    parser.add_argument(
        "--kustomize-version", default=KUSTOMIZE_VERSION, help="schema standing in for kustomize's embedded one"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="file to write (default: the committed table)")
    args = parser.parse_args(argv)
    text = generate(args.version, args.kustomize_version)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
