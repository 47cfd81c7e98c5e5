"""``compose validate``: build every overlay set metadata can select, and say what selects it.

For each target, the sets are what :meth:`Composer.warm` builds: each profile's overlays
with every combination of the conditional overlays, the base alone and each overlay alone.
For each set compose looks for **metadata that selects it** (a witness): the profile key set
to each profile, and each key the conditions read set to a value taken from the conditions'
own operands (``memory: {">=": 16Gi}`` tries 16Gi, 32Gi and 8Gi; a boolean tries its other
value), on top of the metadata given (``--set``, ``--metadata``; keys given there stay
fixed). A set is built with the parameter values of every witness found for it (the simplest
first), so a value-dependent problem (a profile plus a condition that conflict, a memory
value no Fargate size has) fails here, not at run time; the report names the metadata. A set no metadata
selects (an overlay alone, when only profiles list it) is built with the defaults.

Reported per failing set: the target, the overlays, the metadata that selects it, and every
nested problem with its file and line. Also reported, as warnings (errors under
``--strict``), the *quiet overlays*: an overlay that a profile or condition selects for a
target it has no part for (unless its ``targets:`` says so); a patch whose target selects
nothing; an atomic list (tolerations, args, command, ...) that one overlay set and a later
overlay replaced; a name defined twice in a merged list (env vars, ports) where the API
server warns. And, as notes, the parameters whose values land in the ECS task definition
and are set per run (one task definition revision per distinct value).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..errors import ComposeError, Problem
from ..spec import select
from ..spec.metadata import MetadataLayer
from ..spec.quantity import Quantity
from ..spec.selection import OverlayDecision, Selection

if TYPE_CHECKING:
    from .core import Composer

__all__ = ["SetReport", "ValidationReport", "validate_all"]

#: At most this many candidate metadata combinations are tried per profile and target.
_MAX_COMBINATIONS = 4096
_ABSENT = object()


@dataclass
class SetReport:
    """One overlay set of one target, as validated.

    Attributes:
        target: ``kubernetes`` or ``ecs``.
        overlays: the overlays of the set, in application order.
        selected_by: the metadata that selects it (``{"job_profile": "gpu", "spot": True}``),
            or None when no metadata does (an overlay alone, built to check it).
        label: how the set is named in messages.
        problems: what failed (empty: the set builds).
        warnings: quiet-overlay and API-server warnings of the set.
    """

    target: str
    overlays: tuple[str, ...]
    selected_by: dict[str, Any] | None
    label: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Everything ``compose validate`` found.

    Attributes:
        sets: every set built, per target.
        problems: every problem of every failing set, its ``source`` naming the set (and the
            metadata that selects it), plus problems of the metadata itself.
        warnings: quiet overlays and API-server warnings, each once.
        notes: facts worth knowing that are not problems (per-run values in the ECS task
            definition).
    """

    sets: list[SetReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[SetReport]:
        return [s for s in self.sets if s.problems]

    def ok(self, strict: bool = False) -> bool:
        return not self.problems and not (strict and self.warnings)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe_metadata(md: Mapping[str, Any] | None) -> str:
    if md is None:
        return "no metadata selects it; built alone with the defaults"
    return " ".join(f"{k}={_show(v)}" for k, v in md.items()) or "(the given metadata)"


def validate_all(composer: Composer, layers: Sequence[MetadataLayer | tuple[str, Mapping[str, Any]]], *,
                 targets: Sequence[str] | None = None, context: Any = None) -> ValidationReport:
    """Validate every selectable overlay set of ``targets`` (default: all); see the module docstring."""
    report = ValidationReport()
    spec = composer.spec
    try:
        base = select(spec, layers)
    except ComposeError as exc:
        report.problems.extend(_nested(exc, "the given metadata"))
        return report
    fixed = set(base.params.metadata.data)
    seen_warnings: dict[str, Problem] = {}
    for w in base.warnings:
        seen_warnings.setdefault(str(w), w)
    chosen = list(targets or composer.targets)
    all_witnesses = _witnesses(composer, chosen, layers, fixed)
    for target in chosen:
        witnesses = all_witnesses[target]
        reachable = composer._reachable_sets(target) or []  # noqa: SLF001 - same package
        order = dict.fromkeys([*witnesses, *composer._interesting_sets(target), *reachable])  # noqa: SLF001
        for names in order:
            # every metadata found for the set, the simplest first: the values differ, and a
            # value-dependent problem (a Fargate size, a format) shows with some of them only
            tries: list[tuple[dict[str, Any] | None, Selection]] = list(witnesses.get(names) or [])
            if not tries:
                tries = [(None, _forced(base, names, target))]
            failed: list[Problem] = []
            for md, selection in tries:
                try:
                    composer._build_selected(target, selection, context)  # noqa: SLF001
                except ComposeError as exc:
                    failed = _nested(exc, f"{target} [{', '.join(names) or 'base only'}] ({describe_metadata(md)})")
                    break
            md = md if failed else tries[0][0]
            label = f"{target} [{', '.join(names) or 'base only'}] ({describe_metadata(md)})"
            rep = SetReport(target=target, overlays=names, selected_by=md, label=label, problems=failed)
            compiled = composer._compiled(target, names)  # noqa: SLF001
            rep.warnings = list(getattr(compiled, "warnings", []))
            for w in rep.warnings:
                seen_warnings.setdefault(str(w), w)
            report.problems.extend(rep.problems)
            report.sets.append(rep)
        for w in _quiet(composer, target, [s.overlays for s in report.sets if s.target == target and not s.problems]):
            seen_warnings.setdefault(str(w), w)
    report.warnings = list(seen_warnings.values()) + _missing_parts(composer)
    report.notes = per_run_notes(composer, layers)
    return report


def _nested(exc: ComposeError, label: str) -> list[Problem]:
    problems = getattr(exc, "problems", None)
    if problems:
        return [Problem(p.message, file=p.file, line=p.line, path=p.path,
                        source=label + (f"; {p.source}" if p.source else "")) for p in problems]
    return [Problem(exc.message, file=exc.file, line=exc.line, path=exc.path, source=label)]


def _forced(base: Selection, names: tuple[str, ...], target: str) -> Selection:
    chosen = set(names)
    decisions = tuple(OverlayDecision(d.overlay, d.overlay.name in chosen, "validate" if d.overlay.name in chosen else None)
                      for d in base.decisions)
    return Selection(profile=base.profile, params=base.params, decisions=decisions)


# --- finding metadata that selects each set ---------------------------------------------------------


def _candidates(composer: Composer, key: str, tests: list[tuple[str, Any]]) -> list[Any]:
    decl = composer.spec.parameters.get(key)
    out: list[Any] = [_ABSENT]
    # a value equal to the default builds what absence builds, unless a profile sets the key
    redundant = decl is not None and not any(key in p.parameters for p in composer.spec.profiles.values())
    if decl is not None and decl.type == "boolean":
        return [_ABSENT] + [v for v in (True, False) if not (redundant and decl.default is v)]
    if decl is not None and decl.type == "enum" and decl.values is not None and len(decl.values) <= 8:
        return [_ABSENT, *decl.values]
    for op, operand in tests:
        if op == "exists":
            if decl is not None and decl.default is not None and not isinstance(decl.default, bool):
                out.append(_plain(decl.default))
            else:
                out.append("x")
            continue
        if isinstance(operand, Quantity):
            for factor in (Fraction(1), Fraction(2), Fraction(1, 2)):
                q = Quantity(operand.value * factor, operand.format)
                out.append(str(q) if decl is None or decl.type == "quantity" else _number(q, decl.type))
        elif isinstance(operand, (int, float)) and not isinstance(operand, bool):
            out += [operand, operand + 1, operand - 1]
        else:
            out.append(operand)
    uniq: list[Any] = []
    for v in out:
        if not any(v is u or (type(v) is type(u) and v == u) for u in uniq):
            uniq.append(v)
    return uniq


def _number(q: Quantity, kind: str) -> Any:
    v = q.value
    return int(v) if kind == "integer" or v.denominator == 1 else float(v)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Quantity) else value


def _witnesses(composer: Composer, targets: Sequence[str], layers: Sequence[Any], fixed: set[str]
               ) -> dict[str, dict[tuple[str, ...], list[tuple[dict[str, Any], Selection]]]]:
    """Per target, per overlay set: the metadata found to select it (simplest first)."""
    spec = composer.spec
    tests: dict[str, list[tuple[str, Any]]] = {}
    for o in spec.overlays:
        # every target's conditions: a value chosen for one target's overlay (memory >= 16Gi)
        # reaches the other target's spec too
        if o.when is not None:
            for key, pairs in o.when.operands().items():
                if key not in fixed and key.split(".")[0] not in fixed and key != spec.profile_key:
                    tests.setdefault(key, []).extend(pairs)
    keys = sorted(tests)
    options = [_candidates(composer, k, tests[k]) for k in keys]
    combos: list[tuple[Any, ...]] = []
    total = 1
    for opts in options:
        total *= len(opts)
    if total <= _MAX_COMBINATIONS:
        combos = sorted(itertools.product(*options), key=lambda c: sum(v is not _ABSENT for v in c))
    else:  # one key at a time
        combos = [tuple(_ABSENT for _ in keys)]
        for i, opts in enumerate(options):
            for v in opts[1:]:
                c = [_ABSENT] * len(keys)
                c[i] = v
                combos.append(tuple(c))
    if spec.profile_key in fixed or not spec.profiles:
        profiles: list[Any] = [_ABSENT]
    else:
        profiles = list(spec.profiles)
    found: dict[str, dict[tuple[str, ...], list[tuple[dict[str, Any], Selection]]]] = {t: {} for t in targets}
    seen: set[tuple[Any, ...]] = set()
    for profile in profiles:
        for combo in combos:
            md: dict[str, Any] = {} if profile is _ABSENT else {spec.profile_key: profile}
            nested: dict[str, Any] = {}
            for k, v in zip(keys, combo):
                if v is _ABSENT:
                    continue
                if "." in k:
                    _put(nested, k.split("."), v)
                else:
                    md[k] = v
            try:
                selection = select(spec, [*layers, MetadataLayer("validate", {**nested, **md})])
            except ComposeError:
                continue
            values = (selection.profile.name if selection.profile else None,
                      tuple(sorted((k, repr(v)) for k, v in selection.params.values.items())))
            shown = dict(md)
            shown.update({k: v for k, v in zip(keys, combo) if v is not _ABSENT and "." in k})
            for target in targets:
                names = tuple(o.name for o in selection.overlays_for(target))
                if (target, names, values) in seen:
                    continue  # the same build as one already found
                seen.add((target, names, values))
                found[target].setdefault(names, []).append((shown, selection))
    return found


def _put(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
    tree[parts[-1]] = value


# --- quiet overlays --------------------------------------------------------------------------------


def _missing_parts(composer: Composer) -> list[Problem]:
    """Overlays a profile or condition selects for a target they have no part for."""
    spec = composer.spec
    out: list[Problem] = []
    for o in spec.overlays:
        missing = [t for t in spec.targets if t not in o.targets()]
        if not missing or o.declared_targets is not None:
            continue
        how = [f"profile {p.name}" for p in spec.profiles.values() if o.name in p.overlays]
        if o.when is not None:
            how.append(f"when {o.when.describe()}")
        if not how:
            continue
        for t in missing:
            part = "ecs.yaml" if t == "ecs" else "kustomization.yaml (kind: Component)"
            out.append(Problem(
                f"overlay {o.name!r} has no {t} part (no {part}), yet {', '.join(how)} selects it for {t} builds, "
                f"where it changes nothing; add the part, or say `targets: [{', '.join(o.targets())}]` on the overlay",
                file=spec.file, line=o.line))
    return out


def _quiet(composer: Composer, target: str, sets: list[tuple[str, ...]]) -> list[Problem]:
    """Quiet overlays over the sets that built: each overlay alone, and each ordered pair of
    overlays that some set holds together (an atomic list one sets and a later one replaces
    shows in the pair). A patch selecting nothing is reported only when it selects nothing in
    every analysed set holding its overlay."""
    singles = {n for s in sets for n in s}
    order = [o.name for o in composer.spec.overlays]
    pairs = {(a, b) for s in sets for i, a in enumerate(s) for b in s[i + 1:]}
    groups = [(n,) for n in order if n in singles] + sorted(pairs, key=lambda p: (order.index(p[0]), order.index(p[1])))
    out: dict[str, Problem] = {}
    idle: dict[tuple[Any, ...], tuple[Problem, int]] = {}
    holding: dict[str, int] = {}
    for group in groups:
        for n in group:
            holding[n] = holding.get(n, 0) + 1
        for w in quiet_warnings(composer, target, group):
            if w.path and w.path[0] == "patches":
                key = (w.file, w.line)
                prev = idle.get(key)
                idle[key] = (w, (prev[1] if prev else 0) + 1)
            else:
                out.setdefault(str(w), w)
    for w, count in idle.values():
        owner = w.message.split("'")[1]
        if count >= holding.get(owner, 0):
            out.setdefault(str(w), w)
    return list(out.values())


def quiet_warnings(composer: Composer, target: str, names: tuple[str, ...]) -> list[Problem]:
    """Patches that select nothing and atomic lists a later overlay replaced, in one set."""
    if target == "kubernetes":
        from .kubernetes import quiet_k8s

        return quiet_k8s(composer, names)
    from .ecs import quiet_ecs

    return quiet_ecs(composer, names)


# --- per-run values in the ECS task definition -----------------------------------------------------


_PER_RUN_LAYERS = ("run", "--set")


def per_run_notes(composer: Composer, layers: Sequence[Any]) -> list[str]:
    """Parameters in the ECS task definition whose value is per run (required, or given per run)."""
    spec = composer.spec
    if "ecs" not in spec.targets:
        return []
    try:
        compiled = composer._compiled("ecs", ())  # noqa: SLF001
    except ComposeError:
        return []
    names = set(getattr(compiled.td, "names", ()))
    for o in spec.overlays:
        if "ecs" in o.targets():
            c = composer._compiled("ecs", (o.name,))  # noqa: SLF001
            if getattr(c, "error", None) is None:
                names |= set(c.td.names)
    try:
        given = select(spec, layers).params.sources
    except ComposeError:
        given = {}
    out = []
    for name in sorted(names):
        decl = spec.parameters.get(name)
        if decl is None:
            continue
        source = given.get(name, "")
        if decl.required or source in _PER_RUN_LAYERS or source.startswith("--metadata"):
            why = "it is required (so set per run)" if decl.required else f"it is set by {source}"
            out.append(f"${{{name}}} lands in the ECS task definition and {why}: RunTask overrides cannot change "
                       "it, so each distinct value registers a new task definition revision")
    return out


def explain_notes(composer: Composer, target: str, compiled: Any, selection: Selection, context: Any) -> list[str]:
    """Notes for ``compose explain``: a Fargate size rounded up; per-run values in the task definition."""
    if target != "ecs":
        return []
    from ..spec import substitution_values
    from .ecs import round_fargate_size

    out = []
    if composer.spec.targets["ecs"].fargate_sizes == "roundUp":
        td = compiled.td.render(substitution_values(selection.params, composer._context(context)), fresh=True)  # noqa: SLF001
        changed = round_fargate_size(td)
        if changed is not None:
            (c0, m0), (c1, m1) = changed
            out.append(f"task cpu/memory {c0}/{m0} is no Fargate size; rounded up to {c1}/{m1} "
                       "(targets.ecs.fargateSizes: roundUp)")
    sources = selection.params.sources
    for name in sorted(compiled.td.names):
        source = sources.get(name, "")
        if name in composer.spec.parameters and (source in _PER_RUN_LAYERS or source.startswith("--metadata")):
            out.append(f"${{{name}}} (from {source}) lands in the ECS task definition: RunTask overrides cannot change "
                       "it, so each distinct value registers a new task definition revision")
    return out
