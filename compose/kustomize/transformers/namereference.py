"""Name references, as Kustomize v5.5's name reference transformer (api/filters/nameref).

Runs once at the end of a build, after the content hashes. For every referrer field in the
NAME_REFERENCE table (pod templates of Pods, workloads, Jobs and CronJobs referring to
ConfigMaps, Secrets, ServiceAccounts and PersistentVolumeClaims; RBAC subjects and roleRefs;
...), a name that some resource of the target kind *had* before namePrefix/nameSuffix,
namespace or the hash renamed it is replaced by that resource's current name. The candidate
is chosen as kustomize chooses it:

1. resources the referrer can see: all when the referrer is cluster-scoped; otherwise
   cluster-scoped ones, those in the referrer's namespace, and for a RoleBinding those in the
   namespaces of its ServiceAccount subjects;
2. of those, the ones with a previous name equal to the reference and a previous identity of
   the target kind (for ``roleRef/name``, also of the roleRef's apiGroup and kind), in the
   referrer's namespace unless cluster-scoped or a ServiceAccount;
3. if several remain, the ones whose prefixes and suffixes end like the referrer's (first
   letting a side without any pass, then strictly); several left with the same new name (and
   namespace) are one; different names are an error.

A map reference (RBAC ``subjects``) also takes the target's namespace, and is matched first
by the namespace it names (the target's original namespace, then its current one). Note that,
like kustomize, a subject of any kind (User, Group) named like a renamed ServiceAccount is
renamed too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...errors import KustomizationError
from ..resource import ResId, Resource
from ._common import affixes, live
from .fieldpath import walk
from .config import default_config
from .fieldspecs import FieldSpec, NameBackReference

__all__ = ["fix"]

_NOT_A_NAMESPACE = "_non_namespaceable_"


def _effective_ns(rid: ResId) -> str:
    if rid.is_cluster_scoped():
        return _NOT_A_NAMESPACE
    return rid.namespace or "default"


def _ns_equal(a: ResId, b: ResId) -> bool:
    return _effective_ns(a) == _effective_ns(b)


def _same_ending(a: list[str], b: list[str]) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if not short:
        return not long_
    return long_[len(long_) - len(short) :] == short


def _affixes_equal(res: Resource, prefixes: list[str], suffixes: list[str], *, allow_empty: bool) -> bool:
    mine_p, mine_s = affixes(res, "prefix"), affixes(res, "suffix")
    ok_p = (allow_empty and (not mine_p or not prefixes)) or _same_ending(mine_p, prefixes)
    ok_s = (allow_empty and (not mine_s or not suffixes)) or _same_ending(mine_s, suffixes)
    return ok_p and ok_s


def _visible_to(referrer: Resource, resources: Sequence[Resource]) -> list[Resource]:
    """SubsetThatCouldBeReferencedByResource."""
    ref_id = referrer.id
    if ref_id.is_cluster_scoped():
        return list(resources)
    binding_namespaces: set[str] = set()
    if referrer.kind == "RoleBinding":
        subjects = referrer.data.get("subjects")
        for subject in subjects if isinstance(subjects, list) else ():
            if isinstance(subject, dict) and "namespace" in subject and subject.get("kind") == "ServiceAccount":
                ns = subject["namespace"]
                if not isinstance(ns, str):
                    raise KustomizationError(
                        f"Invalid Input: namespace is blank for resource {ref_id}", file=referrer.file or None
                    )
                binding_namespaces.add(ns)
    out = []
    for res in resources:
        rid = res.id
        if rid.is_cluster_scoped() or _ns_equal(rid, ref_id) or rid.namespace in binding_namespaces:
            out.append(res)
    return out


class _Reference:
    """One referrer field pointing at one target kind."""

    def __init__(self, referrer: Resource, spec: FieldSpec, target: NameBackReference, candidates: list[Resource]):
        self.referrer = referrer
        self.spec = spec
        self.target = target
        self.candidates = candidates

    # -- choosing the referral ---------------------------------------------------------------
    def _role_ref_ok(self) -> Callable[[Resource], bool]:
        if not self.spec.path.endswith("roleRef/name"):
            return lambda r: True
        role_ref = self.referrer.data.get("roleRef")
        if not isinstance(role_ref, dict) or role_ref.get("apiGroup") is None or role_ref.get("kind") is None:
            return lambda r: True
        group, kind = str(role_ref["apiGroup"]), str(role_ref["kind"])
        return lambda r: any((not group or p.group == group) and (not kind or p.kind == kind) for p in r.previous)

    def _namespace_ok(self) -> Callable[[Resource], bool]:
        ref_id = self.referrer.id
        if ref_id.is_cluster_scoped():
            return lambda r: True
        return lambda r: r.id.is_cluster_scoped() or r.kind == "ServiceAccount" or _ns_equal(ref_id, r.id)

    def select(self, old_name: str, candidates: list[Resource], by_namespace: bool) -> Resource | None:
        t = self.target
        found = [r for r in candidates if any(p.name == old_name for p in r.previous)]
        found = [r for r in found if any(t.selects(p.group, p.version, p.kind) for p in r.previous)]
        role_ok = self._role_ref_ok()
        found = [r for r in found if role_ok(r)]
        ns_ok = self._namespace_ok()
        found = [r for r in found if ns_ok(r)]
        if len(found) == 1:
            return found[0]
        prefixes, suffixes = affixes(self.referrer, "prefix"), affixes(self.referrer, "suffix")
        # First a side with no prefixes (suffixes) at all matches anything, then, if several
        # remain, the affixes must end alike (Resource.PrefixesSuffixesEquals).
        found = [r for r in found if _affixes_equal(r, prefixes, suffixes, allow_empty=True)]
        if len(found) > 1:
            found = [r for r in found if _affixes_equal(r, prefixes, suffixes, allow_empty=False)]
        if len(found) == 1:
            return found[0]
        if not found:
            return None
        first = found[0]
        if all(r.name == first.name and (not by_namespace or r.namespace == first.namespace) for r in found):
            return first
        ids = ", ".join(str(r.id) for r in found)
        raise KustomizationError(
            f"found multiple possible referrals: {ids} (for {old_name!r} at {self.spec.path} of {self.referrer.id})",
            file=self.referrer.file or None,
            step="namereference",
        )

    # -- rewriting ---------------------------------------------------------------------------
    def set_scalar(self, container: Any, key: Any) -> None:
        old = container[key]
        if not isinstance(old, str):
            return
        referral = self.select(old, self.candidates, by_namespace=False)
        if referral is not None and referral.name != old:
            container[key] = referral.name

    def set_mapping(self, node: dict[str, Any]) -> None:
        if "name" not in node:
            raise KustomizationError(
                f"path config error; no 'name' field in node at {self.spec.path} of {self.referrer.id}",
                file=self.referrer.file or None,
                step="namereference",
            )
        candidates = self.candidates
        if "namespace" in node:
            ns = node["namespace"]
            by_original: dict[str, list[Resource]] = {}
            by_current: dict[str, list[Resource]] = {}
            for r in candidates:
                org = _effective_ns(r.original_id())
                if org != _NOT_A_NAMESPACE:
                    by_original.setdefault(org, []).append(r)
                by_current.setdefault(_effective_ns(r.id), []).append(r)
            candidates = by_original[ns] if ns in by_original else by_current.get(ns, [])
        old = node["name"]
        if not isinstance(old, str):
            return
        referral = self.select(old, candidates, by_namespace=True)
        if referral is None:
            return
        if referral.name == old and referral.namespace == "":
            return
        node["name"] = referral.name
        if referral.namespace:
            node["namespace"] = referral.namespace

    def visit(self, container: Any, key: Any) -> None:
        value = container[key]
        if value is None:
            return
        if isinstance(value, dict):
            self.set_mapping(value)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    self.set_mapping(item)
                elif item is not None and not isinstance(item, list):
                    self.set_scalar(value, i)
                else:
                    raise KustomizationError(
                        f"expected a name or a map at {self.spec.path} of {self.referrer.id}",
                        file=self.referrer.file or None,
                        step="namereference",
                    )
        else:
            self.set_scalar(container, key)


def fix(resources: Sequence[Resource], references: Sequence[NameBackReference] | None = None) -> None:
    """Point name references at the current names of renamed resources, in place.

    Args:
        resources: every resource of the build, after all renames (hash included).
        references: the nameReference table (default: Kustomize's).

    Raises:
        KustomizationError: a reference matches several different resources, or a referrer
            field that should hold a map with ``name`` does not.
    """
    items = live(resources)
    table = default_config().name_reference if references is None else references
    for referrer in items:
        org = referrer.original_id()
        refs: list[tuple[FieldSpec, NameBackReference]] = []
        for target in table:
            for spec in target.referrers:
                if spec.selects(org.group, org.version, org.kind):
                    refs.append((spec, target))
        if not refs:
            continue
        candidates = _visible_to(referrer, items)
        for spec, target in refs:
            ref = _Reference(referrer, spec, target, candidates)
            walk(referrer.data, spec.path, ref.visit)
