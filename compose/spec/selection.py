"""From metadata to a build's inputs: profile, parameters, and the overlays that apply.

:func:`select` is the per-build step before any manifest is touched:

1. merge the metadata layers (:mod:`compose.spec.metadata`);
2. pick the profile: the value of ``profileKey`` (default ``job_profile``) in the merged
   metadata; when the key is absent, the profile named by the key's declared ``default``,
   else the profile named ``default``, else none (:attr:`SpecRepo.default_profile`). A value
   that names no profile is an error when the repo declares profiles;
3. resolve the parameters (:mod:`compose.spec.params`) with the profile's ``parameters`` as a
   layer below all metadata (named ``profile NAME``);
4. decide each overlay, in the order of ``overlays:``: it applies when the profile lists it or
   its ``when`` holds. An overlay without ``when`` applies only through profiles;
5. find the metadata keys nothing reads (:meth:`SpecRepo.known_keys`): each is a warning with a
   did-you-mean (:attr:`Selection.warnings`), or an error under ``metadata.unknownKeys: error``
   or ``strict=True``.

Everything here is pure and reads only the loaded :class:`~compose.spec.repo.SpecRepo`: no file
I/O, safe to call from many threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose.errors import Problem, SpecError

from ._problems import raise_problems, render_show
from .metadata import MergedMetadata, MetadataLayer, merge_layers
from .params import ParameterError, ResolvedParams, render_value, resolve
from .repo import Overlay, Profile, SpecRepo
from ..suggest import did_you_mean

__all__ = ["OverlayDecision", "Selection", "select", "DEFAULT_PROFILE"]

#: The profile used when the metadata names none.
DEFAULT_PROFILE = "default"
#: Unknown metadata keys reported one by one at most (then a count).
_MAX_REPORTED = 20


@dataclass(frozen=True)
class OverlayDecision:
    """Whether one overlay applies, and why.

    Attributes:
        overlay: the overlay.
        applied: whether it applies to this build.
        by: ``"profile"``, ``"condition"`` or ``None`` (not applied).
        reason: why (empty unless :func:`select` was called with ``explain=True``).
    """

    overlay: Overlay
    applied: bool
    by: str | None
    reason: str = ""


@dataclass(frozen=True)
class Selection:
    """The inputs of one build.

    Attributes:
        profile: the selected profile, or None.
        params: the resolved parameters (values, sources, undeclared keys, merged metadata).
        decisions: one per overlay, in application order.
        warnings: unknown metadata keys (each with its layer's file and line and a
            did-you-mean), when the policy is ``warn``.
        profile_source: why this profile when the metadata names none: ``"the default of KEY"``
            or ``"the profile named default"``; ``""`` otherwise.
    """

    profile: Profile | None
    params: ResolvedParams
    decisions: tuple[OverlayDecision, ...]
    warnings: tuple[Problem, ...] = ()
    profile_source: str = ""

    @property
    def overlays(self) -> tuple[Overlay, ...]:
        """The overlays that apply, in application order."""
        return tuple(d.overlay for d in self.decisions if d.applied)

    def overlays_for(self, target: str) -> tuple[Overlay, ...]:
        """The applied overlays that have a part for ``target``."""
        return tuple(o for o in self.overlays if target in o.targets())

    def explain(self, target: str | None = None) -> list[str]:
        """Lines for ``compose explain``: profile, parameters with sources, overlays with reasons
        (with ``target``, an applied overlay without a part for it says so)."""
        via = f"  (from {self.profile_source})" if self.profile and self.profile_source else ""
        lines = [f"profile: {self.profile.name if self.profile else '(none)'}{via}", "parameters:"]
        read = {k.split(".")[0] for d in self.decisions if d.overlay.when is not None for k in d.overlay.when.keys}
        for line in self.params.explain():
            key = line.split(":", 1)[0]
            if key in self.params.undeclared and key in read:
                line += " (read by overlay conditions)"
            lines.append(f"  {line}")
        lines.append("overlays:")
        for d in self.decisions:
            mark = "+" if d.applied else "-"
            line = f"  {mark} {d.overlay.name}: {d.reason}" if d.reason else f"  {mark} {d.overlay.name}"
            if d.applied and target is not None and target not in d.overlay.targets():
                line += f" (it has no {target} part: nothing to apply)"
            lines.append(line)
        return lines


def select(
    spec: SpecRepo,
    layers: Sequence[MetadataLayer | tuple[str, Mapping[str, Any]]],
    *,
    explain: bool = False,
    strict: bool = False,
) -> Selection:
    """Pick the profile, resolve the parameters and decide the overlays for one build.

    Args:
        spec: the loaded spec repo.
        layers: metadata layers, lowest first (agent, deployment, run, --metadata, --set).
        explain: build a reason for every overlay decision (slower; for ``compose explain``).
        strict: unknown metadata keys are errors whatever ``metadata.unknownKeys`` says.

    Returns:
        The selection.

    Raises:
        SpecError: the profile key names no profile, or a parameter value is invalid
            (``SpecInvalid`` with every problem when there are several).
    """
    merged = merge_layers(layers)
    profile, profile_source = _profile(spec, merged)
    params = resolve(
        spec.parameters,
        merged,
        consumed=(spec.profile_key,) if spec.profiles else (),
        profile=(f"profile {profile.name}", profile.parameters) if profile is not None and profile.parameters else None,
    )
    values = params.values
    data = merged.data
    listed = frozenset(profile.overlays) if profile else frozenset()
    decisions = []
    for overlay in spec.overlays:
        in_profile = overlay.name in listed
        if not explain:
            if in_profile:
                decisions.append(OverlayDecision(overlay, True, "profile"))
            elif overlay.when is not None and overlay.when.matches(values, data):
                decisions.append(OverlayDecision(overlay, True, "condition"))
            else:
                decisions.append(OverlayDecision(overlay, False, None))
            continue
        decisions.append(_explained(overlay, in_profile, profile, values, data))
    warnings = _unknown_keys(spec, params, strict)
    return Selection(profile=profile, params=params, decisions=tuple(decisions), warnings=warnings,
                     profile_source=profile_source)


def _unknown_keys(spec: SpecRepo, params: ResolvedParams, strict: bool) -> tuple[Problem, ...]:
    if not params.undeclared or (spec.unknown_keys == "ignore" and not strict):
        return ()
    known = spec.known_keys()
    unknown = [k for k in params.undeclared if k not in known]
    if not unknown:
        return ()
    candidates = sorted(set(spec.parameters) | {spec.profile_key})
    problems = []
    for key in unknown[:_MAX_REPORTED]:
        layer = params.metadata.origins.get(key)
        source = f" (from {layer.name})" if layer is not None else ""
        shown = key if len(key) <= 60 else key[:57] + "..."
        hint = did_you_mean(key, candidates) if len(key) <= 100 else ""
        problems.append(Problem(
            f"metadata key {shown!r}{source} is not a declared parameter and nothing reads it{hint}",
            file=layer.file if layer is not None else None, line=layer.line_of(key) if layer is not None else None))
    if len(unknown) > _MAX_REPORTED:
        problems.append(Problem(f"... and {len(unknown) - _MAX_REPORTED} more metadata keys nothing reads"))
    if strict or spec.unknown_keys == "error":
        raise_problems(problems, "run metadata", step="select")
    return tuple(problems)


def _explained(overlay: Overlay, in_profile: bool, profile: Profile | None, values: Any, data: Any) -> OverlayDecision:
    if overlay.when is not None:
        held, why = overlay.when.evaluate(values, data)
        cond = f"when {overlay.when.describe()}: {why}"
    else:
        held, cond = False, "no condition"
    if in_profile:
        return OverlayDecision(overlay, True, "profile", f"in profile {profile.name}" + (f"; {cond}" if overlay.when is not None else ""))  # type: ignore[union-attr]
    where = f"not in profile {profile.name}" if profile else "no profile"
    if held:
        return OverlayDecision(overlay, True, "condition", cond)
    return OverlayDecision(overlay, False, None, f"{cond}; {where}")


def _profile(spec: SpecRepo, merged: MergedMetadata) -> tuple[Profile | None, str]:
    key = spec.profile_key
    if key not in merged.data:
        name = spec.default_profile
        if name is None:
            return None, ""
        decl = spec.parameters.get(key)
        via = f"the default of {key}" if decl is not None and decl.default == name else f"the profile named {DEFAULT_PROFILE}"
        return spec.profiles.get(name), via
    value = merged.data[key]
    layer = merged.origins[key]
    decl = spec.parameters.get(key)
    if decl is not None:
        try:
            value = decl.accept(value, layer.name, strings=layer.strings)
        except ParameterError as exc:
            raise exc.with_context(file=layer.file, line=layer.line_of(key)) from None
    if not spec.profiles:
        return None, ""
    name = render_value(value) if not isinstance(value, str) else value
    profile = spec.profiles.get(name)
    if profile is None:
        raise SpecError(
            f"{key}={render_show(value)} (from {layer.name}) names no profile; profiles: {', '.join(spec.profiles)}",
            file=layer.file,
            line=layer.line_of(key),
            step="select",
        )
    return profile, ""
