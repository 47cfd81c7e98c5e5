"""Seeded differential fuzzer of ``strategic_merge`` against kubectl.

``pair(seed, mode)`` generates one valid Kubernetes object (Job, CronJob, Pod, Deployment,
StatefulSet, DaemonSet, Service, ConfigMap or Role) and one strategic merge patch for it,
from ``random.Random(seed)``: the same seed gives the same pair on every machine. Patches
use every directive (``$patch: delete/replace/merge``, and under ``mode="server"``
``$retainKeys``, ``$deleteFromPrimitiveList/<f>``, ``$setElementOrder/<f>``, which kustomize
copies through unprocessed), duplicate keys, type changes, new-only and reorder-only lists.

The oracles: ``kubectl patch --local --type strategic`` (server order; one call per pair)
and ``kubectl kustomize`` (kustomize order; one build for many pairs, bisected when the
build fails). kubectl is not deterministic for a few inputs (Go map order): when compose
disagrees with a first answer, kubectl runs again and its majority answer counts.

The default test run compares compose with kubectl's answers recorded for a fixed range
of seeds (``fuzz_recorded.json``: digests of the canonical JSON of each input and answer);
the slow run asks kubectl live. Maintenance (from the repository root)::

    python tests/merge/fuzz.py record                 # re-record the fixed seeds
    python tests/merge/fuzz.py run server 0 3000       # a live run, prints mismatches
    python tests/merge/fuzz.py minimise server SEED NAME   # shrink a mismatch into
                                                      # tests/merge/cases/k8s/fuzz_NAME.yaml
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).parent))
import oracle  # noqa: E402

from compose.errors import MergeError  # noqa: E402

RECORDED = Path(__file__).with_name("fuzz_recorded.json")
GENERATOR_VERSION = 4
FIXED_SEEDS = {"server": range(0, 300), "kustomize": range(0, 400)}

FEATURES: set[str] | None = None  # when a set, the generator notes what it produced


def note(feature: str) -> None:
    if FEATURES is not None:
        FEATURES.add(feature)


NAMES = ["main", "side", "init", "proxy"]
ENV_NAMES = ["HOME", "PATH", "LEVEL", "MODE"]
VOLUMES = ["config", "data", "cache", "scratch"]
IMAGES = ["flow:1", "flow:2", "busybox", "nginx"]
WORDS = ["alpha", "beta", "gamma", "delta", "omega"]
FINALIZERS = ["a.example.com/x", "b.example.com/y", "c.example.com/z"]


# -- bases ---------------------------------------------------------------------------------
def _env(r: random.Random, dup: bool) -> list:
    names = r.sample(ENV_NAMES, r.randint(1, 3))
    if dup and r.random() < 0.3:
        names.append(names[0])
        note("duplicate key in the base")
    return [{"name": n, "value": r.choice(WORDS)} for n in names]


def _ports(r: random.Random, dup: bool) -> list:
    out = []
    for port in r.sample([80, 443, 8080, 9090], r.randint(1, 2)):
        item: dict = {"containerPort": port}
        if r.random() < 0.5:
            item["protocol"] = r.choice(["TCP", "UDP"])
        if r.random() < 0.3:
            item["name"] = f"p{port}"
        out.append(item)
    if dup and r.random() < 0.2:
        out.append(dict(out[0]))
    return out


def _resources(r: random.Random) -> dict:
    out: dict = {}
    for section in r.sample(["limits", "requests"], r.randint(1, 2)):
        out[section] = {"cpu": r.choice(["500m", "1", 2]), "memory": r.choice(["1Gi", "512Mi"])}
    return out


def _container(r: random.Random, name: str, dup: bool) -> dict:
    c: dict = {"name": name, "image": r.choice(IMAGES)}
    if r.random() < 0.7:
        c["env"] = _env(r, dup)
    if r.random() < 0.4:
        c["ports"] = _ports(r, dup)
    if r.random() < 0.5:
        c["resources"] = _resources(r)
    if r.random() < 0.3:
        c["args"] = r.sample(WORDS, 2)
    if r.random() < 0.3:
        c["volumeMounts"] = [{"name": v, "mountPath": f"/{v}"} for v in r.sample(VOLUMES, r.randint(1, 2))]
    return c


def _volume(r: random.Random, name: str) -> dict:
    kind = r.choice(["emptyDir", "configMap", "secret"])
    if kind == "emptyDir":
        return {"name": name, "emptyDir": {} if r.random() < 0.5 else {"medium": "Memory"}}
    if kind == "configMap":
        return {"name": name, "configMap": {"name": r.choice(WORDS)}}
    return {"name": name, "secret": {"secretName": r.choice(WORDS)}}


def _pod_spec(r: random.Random, dup: bool) -> dict:
    names = r.sample(NAMES, r.randint(1, 3))
    spec: dict = {"containers": [_container(r, n, dup) for n in names]}
    if dup and r.random() < 0.15:
        spec["containers"].append(_container(r, names[0], False))
    if r.random() < 0.5:
        spec["volumes"] = [_volume(r, v) for v in r.sample(VOLUMES, r.randint(1, 3))]
    if r.random() < 0.3:
        spec["initContainers"] = [_container(r, "init", dup)]
    if r.random() < 0.3:
        spec["nodeSelector"] = {"pool": r.choice(WORDS)}
    if r.random() < 0.3:
        spec["tolerations"] = [{"key": r.choice(WORDS), "operator": "Exists"}]
    if r.random() < 0.3:
        spec["imagePullSecrets"] = [{"name": n} for n in r.sample(WORDS, r.randint(1, 2))]
    if r.random() < 0.2:
        spec["topologySpreadConstraints"] = [
            {"maxSkew": 1, "topologyKey": k, "whenUnsatisfiable": r.choice(["DoNotSchedule", "ScheduleAnyway"]),
             "labelSelector": {"matchLabels": {"app": "x"}}}
            for k in r.sample(["zone", "host"], r.randint(1, 2))
        ]
    if r.random() < 0.3:
        spec["hostAliases"] = [{"ip": "10.0.0.1", "hostnames": [r.choice(WORDS)]}]
    return spec


def _metadata(r: random.Random, name: str, dup: bool) -> dict:
    meta: dict = {"name": name}
    if r.random() < 0.5:
        meta["labels"] = {"app": r.choice(WORDS)}
    if r.random() < 0.4:
        meta["annotations"] = {"note": r.choice(WORDS)}
    if r.random() < 0.3:
        fins = r.sample(FINALIZERS, r.randint(1, 3))
        if dup and r.random() < 0.3:
            fins.append(fins[0])
        meta["finalizers"] = fins
    return meta


def _template(r: random.Random, dup: bool, restart: str | None = None) -> dict:
    spec = _pod_spec(r, dup)
    if restart:
        spec["restartPolicy"] = restart
    tpl: dict = {"spec": spec}
    if r.random() < 0.5:
        tpl["metadata"] = {"labels": {"app": "x"}}
    return tpl


def base_object(r: random.Random, dup: bool) -> dict:
    kind = r.choice(["Job", "CronJob", "Pod", "Deployment", "StatefulSet", "DaemonSet", "Service", "ConfigMap",
                     "Role"])
    meta = _metadata(r, "obj", dup)
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": _pod_spec(r, dup)}
    if kind == "Job":
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta,
                "spec": {"backoffLimit": r.randint(0, 3), "template": _template(r, dup, "Never")}}
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta,
                "spec": {"schedule": "*/5 * * * *",
                         "jobTemplate": {"spec": {"template": _template(r, dup, "OnFailure")}}}}
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        spec: dict = {"selector": {"matchLabels": {"app": "x"}}, "template": _template(r, dup)}
        spec["template"].setdefault("metadata", {"labels": {"app": "x"}})
        if kind != "DaemonSet":
            spec["replicas"] = r.randint(1, 3)
        if kind == "StatefulSet":
            spec["serviceName"] = "svc"
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
    if kind == "Service":
        ports = []
        for port in r.sample([80, 443, 8080], r.randint(1, 2)):
            item: dict = {"port": port, "name": f"p{port}"}
            if r.random() < 0.5:
                item["protocol"] = r.choice(["TCP", "UDP"])
            if r.random() < 0.5:
                item["targetPort"] = r.choice([port, "http"])
            ports.append(item)
        return {"apiVersion": "v1", "kind": kind, "metadata": meta,
                "spec": {"selector": {"app": "x"}, "ports": ports}}
    if kind == "ConfigMap":
        return {"apiVersion": "v1", "kind": kind, "metadata": meta,
                "data": {w: r.choice(WORDS + ["1", "true", "2.5"]) for w in r.sample(WORDS, r.randint(1, 3))}}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "rules": [{"apiGroups": [""], "resources": [r.choice(["pods", "secrets"])], "verbs": ["get"]}]}


# -- patches -------------------------------------------------------------------------------
KEYED = {  # list field -> merge key, for lists the server merges by key
    "containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
    "volumeMounts": "mountPath", "imagePullSecrets": "name", "ports": None,
    "topologySpreadConstraints": "topologyKey", "hostAliases": "ip",
}


class Patcher:
    """Builds a random patch over one base, knowing the mode's directive set."""

    def __init__(self, r: random.Random, mode: str) -> None:
        self.r = r
        self.mode = mode

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def scalar_for(self, key: str, old: Any) -> Any:
        r = self.r
        if key in ("cpu", "memory"):
            note("int-or-string change")
            return r.choice(["250m", 1, "2Gi", 4])  # int <-> string: both valid quantities
        if key == "targetPort":
            note("int-or-string change")
            return r.choice([8081, "web"])
        if self.mode == "kustomize" and isinstance(old, str) and self.chance(0.2):
            note("scalar type change")
            return r.choice([3, True, 1.5])  # a scalar of another type (kustomize checks no types)
        if isinstance(old, bool):
            return not old
        if isinstance(old, int):
            return old + r.randint(1, 3)
        return r.choice(WORDS + IMAGES)

    def kind_change(self, old: Any) -> Any:
        """A value of another YAML kind than ``old`` (kubectl kustomize refuses them)."""
        options = [v for v in (7, "text", ["x"], {"k": "v"}) if _yaml_kind(v) != _yaml_kind(old)]
        return self.r.choice(options)

    def map_patch(self, base: dict, key_path: tuple, depth: int = 0) -> dict:
        r = self.r
        out: dict = {}
        keys = list(base)
        for key in r.sample(keys, min(len(keys), r.randint(0 if depth < 2 else 1, 3))):
            if key in ("apiVersion", "kind", "name") and depth <= 1:
                continue
            if key_path[-1:] == ("metadata",) and key == "name":
                continue
            value = self.value_patch(key, base[key], key_path + (key,), depth + 1)
            if value is not _SKIP:
                out[key] = value
        if self.chance(0.15):
            out.update(self.new_field(key_path))
        if self.chance(0.06):
            out["$patch"] = r.choice(["replace", "delete", "merge"])
        if self.mode == "server" and self.chance(0.05) and out:
            listed = [k for k in out if not k.startswith("$") and out[k] is not None]
            extra = r.sample(keys, min(len(keys), r.randint(0, 2)))
            out["$retainKeys"] = sorted(set(listed + [k for k in extra if not k.startswith("$")]))
        return out

    def new_field(self, key_path: tuple) -> dict:
        r = self.r
        last = key_path[-1] if key_path else ""
        if last == "metadata":
            return r.choice([{"annotations": {}}, {"annotations": {"new": "x"}}, {"labels": {"tier": "b"}},
                             {"finalizers": r.sample(FINALIZERS, 2)}])
        if last == "spec" and "template" in key_path:
            return r.choice([
                {"volumes": [{"name": "scratch", "emptyDir": {}}]},
                {"volumes": [{"$patch": "replace"}, {"name": "cache", "emptyDir": {}}]},
                {"volumes": [{"name": "config", "$patch": "delete"}]},
                {"nodeSelector": {"gpu": "yes-please"}},
                {"serviceAccountName": "runner"},
                {"imagePullSecrets": [{"name": "reg"}, {"name": "reg"}]},
                {"securityContext": {"runAsUser": 1000, "$patch": r.choice(["replace", "delete", "merge"])}},
            ])
        if last in NAMES or "containers" in key_path:
            return r.choice([
                {"resources": {"limits": {"cpu": "1"}, "$patch": r.choice(["delete", "replace"])}},
                {"workingDir": "/w"},
                {"env": [{"name": "NEW", "value": "v"}, {"name": "NEW", "value": "w"}]},
                {"command": ["run", "it"]},
            ])
        return {}

    def value_patch(self, key: str, value: Any, key_path: tuple, depth: int) -> Any:
        r = self.r
        roll = r.random()
        if roll < 0.08:
            note("null")
            return None
        if self.mode == "kustomize" and roll < 0.11:
            note("kind change")
            return self.kind_change(value)
        if isinstance(value, dict):
            if not value and r.random() < 0.5:
                return {"medium": "Memory"} if key == "emptyDir" else {}
            sub = self.map_patch(value, key_path, depth)
            return sub if sub else _SKIP
        if isinstance(value, list):
            return self.list_patch(key, value, key_path, depth)
        return self.scalar_for(key, value)

    def list_patch(self, key: str, items: list, key_path: tuple, depth: int) -> Any:
        r = self.r
        if key == "finalizers":
            vals = r.sample(FINALIZERS, r.randint(0, 2))
            if self.chance(0.3):
                vals = list(reversed(items))
            if self.chance(0.2):
                vals = vals + vals[:1]
            return vals
        if key not in KEYED or not items or not all(isinstance(i, dict) for i in items):
            # an atomic list (or one not worth keying): replaced whole, by one of its items,
            # an empty list, a word, or a list holding only a $patch item
            first = items[0] if items else None
            if self.chance(0.1):
                return [{"$patch": "replace"}] if isinstance(first, dict) else [r.choice(WORDS)]
            if items and self.chance(0.5):
                return [copy.deepcopy(first)]
            return [] if isinstance(first, dict) else [r.choice(WORDS)]
        mkey = KEYED[key]
        if mkey is None:  # ports: a container's or a Service's
            mkey = "containerPort" if "containerPort" in items[0] else "port"
        out: list = []
        style = r.random()
        if style < 0.12:  # reorder only
            note("reorder-only list")
            out = [{mkey: i[mkey]} for i in reversed(items) if mkey in i]
        elif style < 0.3:  # new items only
            note("new-only list")
            out = [self.new_item(key, mkey, n) for n in range(r.randint(1, 2))]
        else:
            for item in r.sample(items, r.randint(0, len(items))):
                if mkey not in item:
                    continue
                choice = r.random()
                if choice < 0.15:
                    out.append({mkey: item[mkey], "$patch": "delete"})
                elif choice < 0.2:
                    out.append({mkey: item[mkey], "$patch": r.choice(["replace", "merge"])})
                else:
                    sub = self.map_patch(item, key_path + (item[mkey],), depth)
                    sub.pop("$patch", None)
                    sub.pop("$retainKeys", None)
                    sub[mkey] = item[mkey]
                    if key == "containers" and self.chance(0.3):
                        sub["resources"] = {"limits": {"cpu": self.scalar_for("cpu", None)}}
                    if "port" in item and self.chance(0.3):
                        sub["targetPort"] = self.scalar_for("targetPort", None)
                    if key == "ports" and "protocol" in item and self.chance(0.3):
                        sub["protocol"] = item["protocol"]
                    out.append(sub)
            if self.chance(0.4):
                out.insert(r.randint(0, len(out)), self.new_item(key, mkey, 0))
            if self.chance(0.2) and out:
                out.append(copy.deepcopy(out[0]))
                note("duplicate key in the patch")
        if self.chance(0.08):
            out.insert(r.randint(0, len(out)), {"$patch": "replace"})
        if self.chance(0.03):
            out.append({"image": "keyless"} if key == "containers" else {"value": "keyless"})
        return out

    def new_item(self, key: str, mkey: str, n: int) -> dict:
        r = self.r
        if key in ("containers", "initContainers"):
            item = {"name": f"new{n}", "image": r.choice(IMAGES)}
            if self.chance(0.3):
                item["env"] = [{"name": "X", "value": "y"}, {"$patch": "replace"}] if self.chance(0.3) else \
                    [{"name": "X", "value": "y"}]
            if self.chance(0.2):
                item["resources"] = {"$patch": "delete"} if self.chance(0.5) else {"limits": {"cpu": "1"}}
            return item
        if key == "env":
            return {"name": r.choice(ENV_NAMES + ["NEW"]), "value": r.choice(WORDS)}
        if key == "volumes":
            return {"name": r.choice(VOLUMES), "emptyDir": {}}
        if key == "volumeMounts":
            return {"name": "data", "mountPath": f"/m{n}"}
        if key == "ports":
            item: dict = {mkey: r.choice([80, 443, 9999])}
            if self.chance(0.5):
                item["protocol"] = r.choice(["TCP", "UDP"])
            return item
        if key == "topologySpreadConstraints":
            return {"maxSkew": 2, "topologyKey": r.choice(["zone", "rack"]), "whenUnsatisfiable": "DoNotSchedule"}
        if key == "hostAliases":
            return {"ip": r.choice(["10.0.0.1", "10.0.0.2"]), "hostnames": ["h"]}
        return {mkey: r.choice(WORDS)}


def _yaml_kind(value: Any) -> str:
    return "map" if isinstance(value, dict) else "seq" if isinstance(value, list) else "scalar"


class _Skip:
    pass


_SKIP: Any = _Skip()


def _server_directives(r: random.Random, base: dict, patch: dict) -> None:
    """Add $setElementOrder / $deleteFromPrimitiveList directives (server mode only)."""
    meta = base["metadata"]
    pm = patch.setdefault("metadata", {}) if "finalizers" in meta and r.random() < 0.3 else None
    if isinstance(pm, dict):
        if r.random() < 0.5:
            pm["$deleteFromPrimitiveList/finalizers"] = r.sample(meta["finalizers"], 1)
        else:
            order = list(meta["finalizers"])
            r.shuffle(order)
            pm["$setElementOrder/finalizers"] = order if r.random() < 0.8 else []
            if "finalizers" in pm and isinstance(pm["finalizers"], list):
                pm["finalizers"] = [f for f in order if f in pm["finalizers"]] + [
                    f for f in pm["finalizers"] if f not in order]
    spec = _pod_spec_of(base)
    pspec = _pod_spec_of(patch, create=True) if spec is not None and r.random() < 0.35 else None
    if spec is not None and pspec is not None:
        field = r.choice(["containers", "volumes", "volumes"])
        items = spec.get(field) or []
        names = [i["name"] for i in items]
        r.shuffle(names)
        plist = pspec.get(field) if isinstance(pspec.get(field), list) else None
        style = r.random()
        if style < 0.25:  # an empty order beside the patch's items
            names = []
            if plist is None:
                pspec[field] = [{"name": "extra", "image": "x"} if field == "containers" else
                                {"name": "extra", "emptyDir": {}}]
        elif style < 0.5:  # new items, some carrying directives, in a list the base may lack
            new = [{"name": "extra", "image": "x"} if field == "containers" else {"name": "extra", "emptyDir": {}}]
            extra = r.choice([{"$patch": "replace"}, {"name": "gone", "$patch": "delete"},
                              {"name": "extra2", "emptyDir": {"$patch": "delete"}} if field == "volumes" else
                              {"name": "extra2", "image": "y", "resources": {"$patch": "delete"}}])
            new.insert(r.randint(0, 1), extra)
            pspec[field] = new
            names = names + [i["name"] for i in new if "name" in i and i.get("$patch") != "delete"]
        else:
            pspec.pop(field, None)
        pspec[f"$setElementOrder/{field}"] = [{"name": n} for n in names]


def _pod_spec_of(doc: dict, create: bool = False) -> dict | None:
    kind = doc.get("kind")
    path = {"Pod": ("spec",), "Job": ("spec", "template", "spec"), "Deployment": ("spec", "template", "spec"),
            "StatefulSet": ("spec", "template", "spec"), "DaemonSet": ("spec", "template", "spec"),
            "CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}.get(kind)
    if path is None:
        return None
    node = doc
    for key in path:
        if not isinstance(node, dict):
            return None
        if key not in node:
            if not create:
                return None
            node[key] = {}
        node = node[key]
    return node if isinstance(node, dict) else None


def features(seed: int, mode: str) -> set[str]:
    """What the generator put into one seed's pair (for the coverage test)."""
    global FEATURES
    FEATURES = set()
    try:
        pair(seed, mode)
        return FEATURES
    finally:
        FEATURES = None


def pair(seed: int, mode: str) -> tuple[dict, dict]:
    """The base and patch of one seed (deterministic)."""
    r = random.Random(f"{mode}:{seed}")
    dup = r.random() < 0.3
    base = base_object(r, dup)
    patcher = Patcher(r, mode)
    patch = patcher.map_patch(base, ())
    patch.pop("$patch", None)
    patch.pop("$retainKeys", None)
    for k in ("apiVersion", "kind"):
        patch.pop(k, None)
    if mode == "server":
        _server_directives(r, base, patch)
        if r.random() < 0.02 and isinstance(patch.setdefault("metadata", {}), dict):
            patch["metadata"]["$setElementOrder/labels"] = [{"name": "x"}]
        pspec = _pod_spec_of(patch, create=True) if _pod_spec_of(base) and r.random() < 0.05 else None
        if pspec is not None:
            pspec["$deleteFromPrimitiveList/containers"] = [{"name": "main"}]
    if isinstance(patch.get("metadata"), dict):
        patch["metadata"].pop("name", None)
        if not patch["metadata"]:
            del patch["metadata"]
    elif "metadata" in patch:
        del patch["metadata"]
    if not patch:
        patch = {"metadata": {"labels": {"touched": "yes-it-is"}}}
    if mode == "kustomize":
        patch = oracle.targeted(base, patch)
    return base, patch


# -- comparing -----------------------------------------------------------------------------
def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def answer_digest(status: str, value: Any) -> str:
    return "error" if status == "error" else digest(value)


def ours(base: dict, patch: dict, mode: str) -> tuple[str, Any]:
    """compose's answer; raises AssertionError on a foreign exception or a mutated input."""
    from compose.merge import strategic_merge

    before = copy.deepcopy((base, patch))
    try:
        result: tuple[str, Any] = ("ok", strategic_merge(base, patch, order=mode))
    except MergeError as exc:
        result = ("error", str(exc))
    assert (base, patch) == before, "strategic_merge mutated its input"
    return result


def _call(fn: Callable, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except oracle.OracleError as exc:
        return "error", str(exc)


def kubectl_server(pairs: dict[int, tuple[dict, dict]], workers: int = 2) -> dict[int, tuple[str, Any]]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futs = {s: pool.submit(_call, oracle.kubectl_patch, b, p) for s, (b, p) in pairs.items()}
        return {s: f.result() for s, f in futs.items()}


def kubectl_kustomize(pairs: dict[int, tuple[dict, dict]], alone: set[int] = frozenset(),  # type: ignore[assignment]
                      ) -> dict[int, tuple[str, Any]]:
    """Answers for many pairs: one build, split in halves while a build fails.

    The seeds in ``alone`` (those compose refuses, likely refused by kustomize too) are
    built one by one, so that they do not make the big build fail.
    """
    out: dict[int, tuple[str, Any]] = {s: _call(oracle.kubectl_kustomize, *pairs[s]) for s in sorted(alone)}
    todo = [sorted(set(pairs) - set(alone))]
    while todo:
        seeds = todo.pop()
        if not seeds:
            continue
        if len(seeds) == 1:
            s = seeds[0]
            out[s] = _call(oracle.kubectl_kustomize, *pairs[s])
            continue
        try:
            got = oracle.kubectl_kustomize_many({f"s{s:07d}": pairs[s] for s in seeds})
        except oracle.OracleError:
            mid = len(seeds) // 2
            todo += [seeds[:mid], seeds[mid:]]
            continue
        for name, doc in got.items():
            out[int(name[1:])] = ("ok", doc)
    return out


def majority(mode: str, base: dict, patch: dict, first: tuple[str, Any], runs: int = 11) -> tuple[str, Any]:
    """kubectl's most frequent answer over ``runs`` calls (``first`` counts as one)."""
    fn = oracle.kubectl_patch if mode == "server" else oracle.kubectl_kustomize
    answers = [first] + [_call(fn, base, patch) for _ in range(runs - 1)]
    counts = Counter(answer_digest(*a) for a in answers)
    best = counts.most_common(1)[0][0]
    return next(a for a in answers if answer_digest(*a) == best)


def same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a[0] == b[0] and (a[0] == "error" or a[1] == b[1])


def _graft_replace_lists(theirs: Any, mine: Any) -> Any:
    """kubectl's answer with each ``[{$patch: replace}]`` list taken from compose's answer:
    equal to compose's answer when that list is the only difference."""
    if theirs == [{"$patch": "replace"}]:
        return mine
    if isinstance(theirs, dict) and isinstance(mine, dict):
        return {k: _graft_replace_lists(v, mine.get(k)) for k, v in theirs.items()}
    if isinstance(theirs, list) and isinstance(mine, list) and len(theirs) == len(mine):
        return [_graft_replace_lists(a, b) for a, b in zip(theirs, mine)]
    return theirs


def deliberate(mode: str, mine: tuple[str, Any], theirs: tuple[str, Any]) -> str | None:
    """The documented deliberate difference a disagreement falls under, if any.

    Kustomize-order cases where ``kubectl kustomize`` gives an output no API server
    accepts or one that silently loses items: a ``$patch`` item left in a list
    (``[{$patch: replace}]``, see ``compose/merge/kyaml.py``), and a keyed-list patch item
    without its merge key (kustomize deletes the list's keyed items; compose refuses).
    And one that is no merge difference: kustomize's name-reference transformer, which
    runs after the merge, failing on a field the patch gave the wrong type.
    """
    if mode != "kustomize":
        return None
    if theirs[0] == "ok" and mine[0] == "ok" and _graft_replace_lists(theirs[1], mine[1]) == mine[1]:
        return "[{$patch: replace}] left in kustomize's output"
    if theirs[0] == "ok" and mine[0] == "error" and "does not contain declared merge key" in mine[1]:
        return "patch item without its merge key"
    if theirs[0] == "error" and mine[0] == "ok" and "visit traversal on path" in theirs[1]:
        # Not a merge difference: the merged object has a field of the wrong type where
        # kustomize's name-reference step (after the merge) looks for a name.
        return "kustomize's name-reference step refuses the merged object"
    return None


def live(mode: str, seeds: range | list[int], workers: int = 2, chunk: int = 250,
         ) -> tuple[int, list[int], dict[int, str]]:
    """Compare compose with kubectl on ``seeds``.

    Returns the number of pairs run, the mismatching seeds, and the seeds that differ
    deliberately (with the reason).
    """
    seeds = list(seeds)
    bad: list[int] = []
    known: dict[int, str] = {}
    for lo in range(0, len(seeds), chunk):
        pairs = {s: pair(s, mode) for s in seeds[lo:lo + chunk]}
        mine_all = {s: ours(b, p, mode) for s, (b, p) in pairs.items()}
        if mode == "server":
            answers = kubectl_server(pairs, workers)
        else:
            answers = kubectl_kustomize(pairs, {s for s, m in mine_all.items() if m[0] == "error"})
        for s, (b, p) in pairs.items():
            mine = mine_all[s]
            if same(mine, answers[s]):
                continue
            why = deliberate(mode, mine, answers[s])
            if why:
                known[s] = why
            elif not same(mine, majority(mode, b, p, answers[s])):
                bad.append(s)
    return len(seeds), sorted(bad), known


def record() -> None:  # pragma: no cover - maintenance tool
    """Record kubectl's (majority) answers for the fixed seeds into ``fuzz_recorded.json``."""
    data: dict = {"generator_version": GENERATOR_VERSION, "kubectl": "v1.32.4 / kustomize v5.5.0"}
    for mode, seeds in FIXED_SEEDS.items():
        pairs = {s: pair(s, mode) for s in seeds}
        refused = {s for s, (b, p) in pairs.items() if ours(b, p, mode)[0] == "error"}
        answers = kubectl_server(pairs) if mode == "server" else kubectl_kustomize(pairs, refused)
        rows = {}
        for s, (b, p) in pairs.items():
            ans, mine = answers[s], ours(b, p, mode)
            row = [digest([b, p]), answer_digest(*ans)]
            if not same(mine, ans):
                why = deliberate(mode, mine, ans)
                if why:  # kubectl's answer, then compose's, then why they differ
                    row += [answer_digest(*mine), why]
                else:
                    row[1] = answer_digest(*majority(mode, b, p, ans))
            rows[str(s)] = row
        data[mode] = rows
        print(mode, len(rows), "recorded", file=sys.stderr)
    lines = ["{", f'"generator_version": {GENERATOR_VERSION},', f'"kubectl": {json.dumps(data["kubectl"])},']
    for n, mode in enumerate(FIXED_SEEDS):
        rows = data[mode]
        lines.append(f'"{mode}": {{')
        lines += [f'"{s}": {json.dumps(rows[s])}' + ("," if i < len(rows) - 1 else "") for i, s in enumerate(rows)]
        lines.append("}" + ("," if n < len(FIXED_SEEDS) - 1 else ""))
    lines.append("}")
    RECORDED.write_text("\n".join(lines) + "\n")


# -- minimising ----------------------------------------------------------------------------
def _subtrees(doc: Any, path: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(path + (k,))
            out += _subtrees(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(path + (i,))
            out += _subtrees(v, path + (i,))
    return out


def _without(doc: Any, path: tuple) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return doc


PROTECTED = {("apiVersion",), ("kind",), ("metadata",), ("metadata", "name")}


def minimise(mode: str, base: dict, patch: dict) -> tuple[dict, dict]:  # pragma: no cover - maintenance tool
    """Drop subtrees of the patch, then of the base, while compose still disagrees with kubectl."""
    fn = oracle.kubectl_patch if mode == "server" else oracle.kubectl_kustomize

    def bad(b: dict, p: dict) -> bool:
        try:
            mine = ours(b, p, mode)
        except Exception:  # noqa: BLE001 - a foreign exception is a failure too
            return True
        return not same(mine, _call(fn, b, p))

    assert bad(base, patch), "no mismatch to minimise"
    for which in ("patch", "base"):
        changed = True
        while changed:
            changed = False
            doc = patch if which == "patch" else base
            for path in sorted(_subtrees(doc), key=len):
                if path in PROTECTED:
                    continue
                try:
                    smaller = _without(doc, path)
                except (KeyError, IndexError):
                    continue
                b, p = (base, smaller) if which == "patch" else (smaller, patch)
                if bad(b, p):
                    base, patch = b, p
                    changed = True
                    break
    return base, patch


def main(argv: list[str]) -> None:  # pragma: no cover - maintenance tool
    if argv[:1] == ["record"]:
        record()
    elif argv[:1] == ["run"]:
        mode, lo, hi = argv[1], int(argv[2]), int(argv[3])
        n, bad, known = live(mode, range(lo, hi))
        print(f"{mode}: {n} pairs, {n - len(bad) - len(known)} match, {len(known)} deliberate differences "
              f"({dict(Counter(known.values()))}), {len(bad)} mismatches: {bad}")
        print("deliberate:", sorted(known.items()))
    elif argv[:1] == ["show"]:
        mode, seed = argv[1], int(argv[2])
        b, p = pair(seed, mode)
        fn = oracle.kubectl_patch if mode == "server" else oracle.kubectl_kustomize
        print(oracle._dump({"base": b, "patch": p, "compose": ours(b, p, mode), "kubectl": _call(fn, b, p)}))
    elif argv[:1] == ["minimise"]:
        mode, seed, name = argv[1], int(argv[2]), argv[3]
        b, p = minimise(mode, *pair(seed, mode))
        if mode == "kustomize":
            for k in ("apiVersion", "kind"):
                p.pop(k, None)
            if p.get("metadata") == {"name": b["metadata"]["name"]}:
                del p["metadata"]
        case = {"description": f"fuzz {mode} seed {seed} (generator v{GENERATOR_VERSION}), minimised",
                "base": b, "patch": p}
        out = oracle.CASES / "k8s" / f"fuzz_{name}.yaml"
        out.write_text(oracle._dump(case))
        oracle.record([out.stem])
        print("wrote", out)
    else:
        print(__doc__)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
