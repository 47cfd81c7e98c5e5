"""Run the reference tools (kubectl patch --local, kubectl kustomize) on a base/patch pair.

Used by the differential tests and by ``python tests/merge/oracle.py record`` which fills
the expected outputs of the YAML cases (review the diff before committing).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

CASES = Path(__file__).parent / "cases"
KUBECTL = shutil.which("kubectl")
DIRECTIVE_PREFIXES = ("$retainKeys", "$deleteFromPrimitiveList/", "$setElementOrder/")


class OracleError(Exception):
    """The tool refused the patch; the message is its stderr."""


class _Dumper(yaml.SafeDumper):
    """Quotes the strings YAML 1.1 (kubectl's reader) takes for booleans: y, n, ..."""


_YAML11_BOOLS = {"y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"}


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if value in _YAML11_BOOLS else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False)


def kubectl_patch(base: dict, patch: dict) -> dict:
    """What ``kubectl patch --local --type strategic`` gives."""
    with tempfile.TemporaryDirectory() as tmp:
        b, p = Path(tmp, "base.yaml"), Path(tmp, "patch.yaml")
        b.write_text(_dump(base))
        p.write_text(_dump(patch))
        proc = subprocess.run(
            [KUBECTL, "patch", "--local", "-f", str(b), "--type", "strategic", "--patch-file", str(p), "-o", "yaml"],
            capture_output=True, text=True, timeout=60,
        )
    if proc.returncode:
        raise OracleError(proc.stderr.strip())
    return yaml.safe_load(proc.stdout)



def targeted(base: dict, patch: dict) -> dict:
    """The patch with the base's apiVersion, kind and name, as kustomize needs to target it."""
    out = dict(patch)
    out.setdefault("apiVersion", base["apiVersion"])
    out.setdefault("kind", base["kind"])
    meta = dict(out.get("metadata") or {})
    meta.setdefault("name", base["metadata"]["name"])
    out["metadata"] = meta
    return out


def kubectl_kustomize(base: dict, patch: dict) -> dict:
    """What ``kubectl kustomize`` gives for a base resource and one strategic merge patch."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "base.yaml").write_text(_dump(base))
        Path(tmp, "patch.yaml").write_text(_dump(targeted(base, patch)))
        Path(tmp, "kustomization.yaml").write_text("resources: [base.yaml]\npatches:\n- path: patch.yaml\n")
        proc = subprocess.run([KUBECTL, "kustomize", tmp], capture_output=True, text=True, timeout=60)
    if proc.returncode:
        raise OracleError(proc.stderr.strip())
    return yaml.safe_load(proc.stdout)


def kubectl_kustomize_many(pairs: dict[str, tuple[dict, dict]]) -> dict[str, dict]:
    """One ``kubectl kustomize`` build for many base/patch pairs (all must succeed).

    Each base is renamed ``<name>-<case>`` so that every patch targets its own resource;
    the outputs come back under their case name with the original name restored.
    """
    with tempfile.TemporaryDirectory() as tmp:
        resources, patches, names = [], [], {}
        for i, (case, (base, patch)) in enumerate(sorted(pairs.items())):
            unique = f"{base['metadata']['name']}-c{i}"
            names[(base["kind"], unique)] = (case, base["metadata"]["name"])
            b = dict(base, metadata=dict(base["metadata"], name=unique))
            p = targeted(base, patch)
            p["metadata"] = dict(p["metadata"], name=unique)
            Path(tmp, f"b{i}.yaml").write_text(_dump(b))
            Path(tmp, f"p{i}.yaml").write_text(_dump(p))
            resources.append(f"b{i}.yaml")
            patches.append({"path": f"p{i}.yaml"})
        Path(tmp, "kustomization.yaml").write_text(_dump({"resources": resources, "patches": patches}))
        proc = subprocess.run([KUBECTL, "kustomize", tmp], capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise OracleError(proc.stderr.strip())
    out = {}
    for doc in yaml.safe_load_all(proc.stdout):
        case, name = names[(doc["kind"], doc["metadata"]["name"])]
        doc["metadata"]["name"] = name
        out[case] = doc
    return out


def uses_server_only_directives(doc: Any) -> bool:
    """True if the patch holds a directive kustomize copies through unprocessed."""
    if isinstance(doc, dict):
        return any(isinstance(k, str) and k.startswith(DIRECTIVE_PREFIXES) for k in doc) or any(
            uses_server_only_directives(v) for v in doc.values()
        )
    if isinstance(doc, list):
        return any(uses_server_only_directives(v) for v in doc)
    return False


def _message(stderr: str) -> str:
    """The useful line of a tool's error: kubectl kustomize wraps it in a log record."""
    for line in stderr.splitlines():
        line = line.strip()
        if not line or (line.startswith("E") and "command failed" in line and line.endswith("err=<")):
            continue
        if "command failed" in line and 'err="' in line:
            line = line.split('err="', 1)[1]
        return line.strip('"')[:200]
    return ""


def load_cases(kind: str) -> list[tuple[str, dict]]:
    return [(p.stem, yaml.safe_load(p.read_text())) for p in sorted((CASES / kind).glob("*.yaml"))]


def record(names: list[str]) -> None:  # pragma: no cover - maintenance tool
    """Fill expected_server / expected_kustomize (or error_*) of k8s cases from the oracles.

    Where an oracle cannot answer (kubectl refuses unknown kinds; kustomize leaves three
    directives unprocessed) the case says ``server_oracle: false`` / ``kustomize_oracle:
    false`` and the expectation is compose's own output, to be reviewed by hand.
    """
    from compose.merge import strategic_merge

    for path in sorted((CASES / "k8s").glob("*.yaml")):
        if names and path.stem not in names:
            continue
        case = yaml.safe_load(path.read_text())
        base, patch = case["base"], case["patch"]
        for mode in ("server", "kustomize"):
            for k in (f"expected_{mode}", f"error_{mode}"):
                case.pop(k, None)
            use_oracle = case.get(f"{mode}_oracle", True)
            try:
                if not use_oracle:
                    got = strategic_merge(base, patch, order=mode)
                elif mode == "server":
                    got = kubectl_patch(base, patch)
                else:
                    got = kubectl_kustomize(base, patch)
                case[f"expected_{mode}"] = got
            except Exception as exc:  # noqa: BLE001 - record what the tool said
                case[f"error_{mode}"] = _message(str(exc)) or type(exc).__name__
        path.write_text(_dump(case))
        print("recorded", path.name, file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:2] == ["record"]:
        record(sys.argv[2:])
