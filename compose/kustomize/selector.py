"""Patch targets: which resources a ``target:`` selector picks.

Mirrors Kustomize v5.5's ``resWrangler.Select``: ``group``, ``version``, ``kind``, ``name``
and ``namespace`` are regular expressions anchored at both ends (``^(?:...)$``); name and
namespace match either the resource's original or its current value; a namespace is compared
as Kubernetes sees it (no namespace is ``default``; a cluster-scoped kind has none);
``labelSelector`` and ``annotationSelector`` use the Kubernetes label selector syntax:

>>> sel = parse_label_selector("tier in (batch, ml), !legacy, team != infra")
>>> matches_label_selector(sel, {"tier": "ml", "team": "data"})
True
>>> matches_label_selector(sel, {"tier": "ml", "legacy": "yes"})
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from .._record import record as dataclass
from typing import Any

from ..safe_regex import LinearPattern, RegexError, compile_linear
from .resource import Resource, ResId

__all__ = [
    "Requirement",
    "SelectorSyntaxError",
    "parse_label_selector",
    "matches_label_selector",
    "effective_namespace",
    "select",
    "id_matches",
]

# What Kustomize calls a cluster-scoped resource's namespace when comparing.
NON_NAMESPACEABLE = "_non_namespaceable_"
DEFAULT_NAMESPACE = "default"


class SelectorSyntaxError(ValueError):
    """A label selector or a target regex does not parse (turned into a ComposeError by callers)."""


@dataclass(frozen=True)
class Requirement:
    """One requirement of a label selector: ``key op values``."""

    key: str
    op: str  # "exists", "!exists", "=", "!=", "in", "notin", ">", "<"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        # ">" and "<" compare integers; a value that is not one never matches.
        if not present:
            return False
        try:
            have, want = int(value or ""), int(self.values[0])
        except ValueError:
            return False
        return have > want if self.op == ">" else have < want


_TOKEN = re.compile(r"\s*(==|!=|=|!|\(|\)|,|>|<|[^\s=!(),<>]+)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:  # pragma: no cover - the token regex accepts every non-space character
            raise SelectorSyntaxError(f"unexpected character at {pos} in {text!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse a Kubernetes label selector (``a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1``).

    Raises:
        SelectorSyntaxError: the text is not a label selector.
    """
    toks = _tokens(text)
    reqs: list[Requirement] = []
    i = 0

    def expect_value(j: int) -> tuple[str, int]:
        # A value may be empty ("a=" selects a="").
        if j >= len(toks) or toks[j] == ",":
            return "", j
        if toks[j] in ("(", ")", "=", "==", "!=", "!", ">", "<"):
            raise SelectorSyntaxError(f"expected a value, found {toks[j]!r} in {text!r}")
        return toks[j], j + 1

    while i < len(toks):
        tok = toks[i]
        if tok == "!":
            if i + 1 >= len(toks) or not _is_word(toks[i + 1]):
                raise SelectorSyntaxError(f"expected a key after '!' in {text!r}")
            reqs.append(Requirement(toks[i + 1], "!exists"))
            i += 2
        elif _is_word(tok):
            key = tok
            nxt = toks[i + 1] if i + 1 < len(toks) else ","
            if nxt == ",":
                reqs.append(Requirement(key, "exists"))
                i += 1
            elif nxt in ("=", "==", "!="):
                value, i = expect_value(i + 2)
                reqs.append(Requirement(key, "!=" if nxt == "!=" else "=", (value,)))
            elif nxt in (">", "<"):
                value, i = expect_value(i + 2)
                try:
                    int(value)
                except ValueError:
                    raise SelectorSyntaxError(f"{key}{nxt}{value}: {value!r} is not an integer") from None
                reqs.append(Requirement(key, nxt, (value,)))
            elif nxt in ("in", "notin"):
                j = i + 2
                if j >= len(toks) or toks[j] != "(":
                    raise SelectorSyntaxError(f"expected '(' after '{key} {nxt}' in {text!r}")
                j += 1
                values: list[str] = []
                while True:
                    if j >= len(toks):
                        raise SelectorSyntaxError(f"missing ')' in {text!r}")
                    if toks[j] == ")":
                        j += 1
                        break
                    if toks[j] == ",":
                        values.append("")
                        j += 1
                        continue
                    values.append(toks[j])
                    j += 1
                    if j < len(toks) and toks[j] == ",":
                        j += 1
                if not values:
                    raise SelectorSyntaxError(f"'{key} {nxt} ()' needs at least one value in {text!r}")
                reqs.append(Requirement(key, nxt, tuple(values)))
                i = j
            else:
                raise SelectorSyntaxError(f"unexpected {nxt!r} after {key!r} in {text!r}")
        else:
            raise SelectorSyntaxError(f"unexpected {tok!r} in {text!r}")
        if i < len(toks):
            if toks[i] != ",":
                raise SelectorSyntaxError(f"expected ',' but found {toks[i]!r} in {text!r}")
            i += 1
            if i >= len(toks):
                raise SelectorSyntaxError(f"trailing ',' in {text!r}")
    return reqs


def _is_word(tok: str) -> bool:
    return tok not in ("==", "!=", "=", "!", "(", ")", ",", ">", "<")


def matches_label_selector(requirements: Iterable[Requirement], labels: Mapping[str, str]) -> bool:
    """True when every requirement holds for ``labels`` (an empty selector matches all)."""
    return all(r.matches(labels) for r in requirements)


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for k, v in value.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        out[str(k)] = "" if v is None else str(v)
    return out


def effective_namespace(rid: ResId, cluster_scoped: bool) -> str:
    """The namespace as Kustomize compares it: "default" for none, a marker for cluster scope."""
    if cluster_scoped:
        return NON_NAMESPACEABLE
    return rid.namespace or DEFAULT_NAMESPACE


def _compile(pattern: str | None, what: str) -> LinearPattern | None:
    # Go's regexp (RE2) as Kustomize compiles it, ^(?:pattern)$: linear in the name's length.
    if not pattern:
        return None
    try:
        return compile_linear(pattern)
    except RegexError as exc:
        raise SelectorSyntaxError(f"target {what} {pattern!r} is not a valid regular expression: {exc}") from None


def select(resources: Iterable[Resource], target: Mapping[str, Any]) -> list[Resource]:
    """The resources ``target`` selects, in their order.

    Raises:
        SelectorSyntaxError: a bad regular expression or label selector.
    """
    group = _compile(target.get("group"), "group")
    version = _compile(target.get("version"), "version")
    kind = _compile(target.get("kind"), "kind")
    name = _compile(target.get("name"), "name")
    namespace = _compile(target.get("namespace"), "namespace")
    labels = parse_label_selector(target["labelSelector"]) if target.get("labelSelector") else None
    annotations = parse_label_selector(target["annotationSelector"]) if target.get("annotationSelector") else None

    out = []
    for res in resources:
        cur = res.id
        org = res.original_id()
        scoped = res.is_cluster_scoped()
        if namespace is not None and not (
            namespace.fullmatch(effective_namespace(org, scoped))
            or namespace.fullmatch(effective_namespace(cur, scoped))
        ):
            continue
        if name is not None and not (name.fullmatch(org.name) or name.fullmatch(cur.name)):
            continue
        if group is not None and not group.fullmatch(cur.group):
            continue
        if version is not None and not version.fullmatch(cur.version):
            continue
        if kind is not None and not kind.fullmatch(cur.kind):
            continue
        md = res.data.get("metadata") or {}
        if labels is not None and not matches_label_selector(labels, _string_map(md.get("labels"))):
            continue
        if annotations is not None and not matches_label_selector(
            annotations, _string_map(md.get("annotations"))
        ):
            continue
        out.append(res)
    return out


def id_matches(res: Resource, wanted: ResId, wanted_cluster_scoped: bool) -> bool:
    """True when any identity ``res`` has had equals ``wanted`` (Kustomize's ``GetById``)."""
    want_ns = effective_namespace(wanted, wanted_cluster_scoped)
    scoped = res.is_cluster_scoped()
    for rid in res.all_ids():
        if (
            rid.group == wanted.group
            and rid.version == wanted.version
            and rid.kind == wanted.kind
            and rid.name == wanted.name
            and effective_namespace(rid, scoped) == want_ns
        ):
            return True
    return False
