"""``compose.yaml``: the spec repo model, loaded and validated in one pass.

A spec repo is a directory with ``compose.yaml`` at its root::

    apiVersion: compose.dev/v1alpha1
    kind: SpecRepo
    description: Flow-run Jobs and ECS tasks      # optional
    flowContainer: flow                           # the container that runs the flow (default: flow)
    profileKey: job_profile                       # metadata key that picks a profile (default)
    merge:
      order: server                               # server (as kubectl patch / the API server) | kustomize
    targets:
      kubernetes:
        base: bases/kubernetes                    # a kustomization directory, or a list of manifest files
        version: "1.32"                           # Kubernetes version for strict schema validation (a string)
      ecs:
        base: bases/ecs                           # a directory or a list of files
    parameters:                                   # see compose.spec.params
      memory: {type: quantity, default: 2Gi, minimum: 512Mi}
      gpus: {type: integer, default: 0, minimum: 0, maximum: 8}
    overlays:                                     # ordered: matching overlays apply in this order
      - name: gpu
        path: overlays/gpu                        # default: overlays/<name>
        description: One NVIDIA GPU and the GPU node pool
        when: {gpus: {">": 0}}                    # see compose.spec.conditions; absent: only via profiles
      - name: highmem
        when: {memory: {">=": 16Gi}}
      - spot                                      # short form: just the name
    metadata:                                     # how run metadata keys nothing reads are treated
      unknownKeys: warn                           # warn (default) | error | ignore
      rawKeys: [team, labels]                     # metadata keys conditions read without a declaration
    profiles:                                     # profileKey's value -> overlays (+ parameter defaults)
      default: []                                 # used when the metadata names no profile
      gpu:
        overlays: [gpu, spot]
        parameters: {gpus: 1, memory: 16Gi}
        description: GPU training on spot capacity
      batch: [spot]                               # short form: just the overlays

**Profile fallback.** The profile is, in this order: the profile named by the profile key's
value in the metadata (an error when none has that name); else the profile named by the
profile key's declared ``default`` (a load error when none has that name); else the profile
named ``default``; else none (only conditions select overlays).

**Metadata keys.** A metadata key that is neither a declared parameter, nor the profile
key, nor read by a condition, nor listed in ``metadata.rawKeys`` is *unknown*: reported with
a did-you-mean (``--set memroy=8Gi``: did you mean 'memory'?) as a warning, or as an error
under ``unknownKeys: error`` or ``--strict``. A condition that reads a key that is neither a
declared parameter, the profile key, nor listed in ``rawKeys`` is reported at load the same
way (``when: {spto: true}``). An overlay may say which targets it means to serve
(``targets: [kubernetes]``); without it, an overlay that lacks a part for a declared target
is reported by ``compose validate``.

**Overlay layout.** An overlay directory holds a part for each target it supports:

* ``kustomization.yaml`` (or ``.yml``, ``Kustomization``) with ``kind: Component``: the
  Kubernetes part, written exactly as a Kustomize Component (patches, labels, images, ...);
* ``ecs.yaml``: the ECS part (strategic-merge patches for the task definition and RunTask).

An overlay must provide a part for at least one declared target.

**Selection** (:mod:`compose.spec.selection`): an overlay applies when its ``when`` holds or
when the selected profile lists it; applied overlays keep the order of ``overlays:``.

**Validation at load** reports every problem at once, each naming ``compose.yaml`` (or the
manifest) and the line: unknown fields, wrong header, missing or misplaced directories and
files, duplicate names, profiles naming unknown overlays or parameters, malformed conditions,
bad parameter declarations, defaults failing their own declaration, and placeholders (in the
YAML files the bases and overlays use) that name nothing declared. Every file is read through
one load restrictor (:mod:`compose.spec.files`): inside the repo, symlinks resolved, and only
the files that are used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compose.constants import DEFAULT_FLOW_CONTAINER, SPEC_FILE
from compose.errors import ComposeError, Problem, SpecError
from compose.yamlio import Document, load_documents, read_text

from ._problems import problem_at, raise_problems, show, type_name
from .conditions import Condition, parse_condition
from .files import RepoFiles, UsedFile
from .names import is_dns1123_label
from .metadata import MISSING
from .params import ParamDecl, ParameterError, parse_parameters
from .placeholders import PlaceholderUse, check_placeholders, find_placeholders

__all__ = [
    "API_VERSION",
    "KIND",
    "SPEC_FILE",
    "TARGETS",
    "Target",
    "Overlay",
    "Profile",
    "SpecRepo",
    "load_spec",
    "parse_spec",
]

API_VERSION = "compose.dev/v1alpha1"
KIND = "SpecRepo"
#: The targets a spec repo may declare.
TARGETS = ("kubernetes", "ecs")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ECS_OVERLAY_FILE = "ecs.yaml"
#: The files an ECS base directory provides (its other files are not read).
ECS_BASE_FILES = ("task-definition.yaml", "run-task.yaml")

_TOP_FIELDS = ("apiVersion", "kind", "description", "flowContainer", "profileKey", "merge", "targets", "parameters",
               "metadata", "overlays", "profiles")
_METADATA_FIELDS = ("unknownKeys", "rawKeys")
#: How unknown metadata keys (and conditions on undeclared keys) are treated.
UNKNOWN_KEY_POLICIES = ("warn", "error", "ignore")
_TARGET_FIELDS = {"kubernetes": ("base", "version"), "ecs": ("base", "fargateSizes")}
#: ``targets.ecs.fargateSizes``: refuse an invalid Fargate cpu/memory pair, or round it up.
FARGATE_SIZE_MODES = ("exact", "roundUp")
_OVERLAY_FIELDS = ("name", "path", "when", "description", "targets")
_PROFILE_FIELDS = ("overlays", "parameters", "description")
_MERGE_ORDERS = ("server", "kustomize")
_OVERLAY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VERSION = re.compile(r"1\.[0-9]+")


@dataclass(frozen=True)
class Target:
    """One output target.

    Attributes:
        name: ``"kubernetes"`` or ``"ecs"``.
        base: the base: one directory, or manifest files (absolute paths).
        base_is_dir: whether ``base`` is a single directory.
        version: the Kubernetes version for strict validation (kubernetes only), e.g. ``"1.32"``.
        line: its line in compose.yaml.
    """

    name: str
    base: tuple[Path, ...]
    base_is_dir: bool
    version: str | None = None
    line: int | None = None
    fargate_sizes: str = "exact"


@dataclass(frozen=True)
class Overlay:
    """One overlay.

    Attributes:
        name: unique name.
        path: its directory (absolute).
        when: the compiled condition, or None (applies only through profiles).
        description: free text.
        kubernetes: the Component directory when the overlay has a Kubernetes part, else None.
        ecs: the ECS part's file when it has one, else None.
        index: position in ``overlays:`` (the order of application).
        line: its line in compose.yaml.
        declared_targets: the targets compose.yaml says it serves (``targets:``), or None.
    """

    name: str
    path: Path
    when: Condition | None
    description: str = ""
    kubernetes: Path | None = None
    ecs: Path | None = None
    index: int = 0
    line: int | None = None
    declared_targets: tuple[str, ...] | None = None
    index_in_file: int = field(default=0, compare=False, repr=False)

    def targets(self) -> tuple[str, ...]:
        """The targets this overlay has a part for."""
        return tuple(t for t, p in (("kubernetes", self.kubernetes), ("ecs", self.ecs)) if p is not None)


@dataclass(frozen=True)
class Profile:
    """A named selection of overlays, with parameter defaults.

    Attributes:
        name: the value of the profile key that selects it.
        overlays: overlay names, as listed (application order is still ``overlays:``'s).
        parameters: typed parameter values this profile sets (below metadata, above defaults).
        raw_parameters: the same as written in compose.yaml.
        description: free text.
        line: its line in compose.yaml.
    """

    name: str
    overlays: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    raw_parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class SpecRepo:
    """A loaded, validated spec repo. Immutable; safe to share between threads.

    Attributes:
        root: the repo directory (absolute).
        file: compose.yaml's path as shown in messages.
        description: free text.
        targets: target name -> :class:`Target`, for the declared targets.
        parameters: name -> :class:`~compose.spec.params.ParamDecl`, in declared order.
        overlays: in declared (application) order.
        profiles: name -> :class:`Profile`.
        profile_key: the metadata key that selects a profile.
        merge_order: ``"server"`` or ``"kustomize"``.
        flow_container: the configured flow container name.
        placeholders: every placeholder found in the bases and overlays, as (file, use).
        document: the parsed compose.yaml (with its line table).
        unknown_keys: ``metadata.unknownKeys``: ``"warn"``, ``"error"`` or ``"ignore"``.
        raw_keys: ``metadata.rawKeys``: metadata keys read without a declaration.
        warnings: problems found at load that are not errors under ``unknownKeys: warn``
            (conditions on undeclared keys); errors under ``--strict``.
        default_profile: the profile used when the metadata names none (see "Profile
            fallback"), or None.
    """

    root: Path
    file: str
    description: str
    targets: dict[str, Target]
    parameters: dict[str, ParamDecl]
    overlays: tuple[Overlay, ...]
    profiles: dict[str, Profile]
    profile_key: str = "job_profile"
    merge_order: str = "server"
    flow_container: str = DEFAULT_FLOW_CONTAINER
    placeholders: tuple[tuple[str, PlaceholderUse], ...] = ()
    document: Document | None = field(default=None, compare=False, repr=False)
    unknown_keys: str = "warn"
    raw_keys: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()
    default_profile: str | None = None

    def known_keys(self) -> frozenset[str]:
        """Metadata keys compose reads: parameters, the profile key, condition keys, raw keys."""
        keys = set(self.parameters) | {self.profile_key} | {"run", "flow", "deployment"}
        keys.update(k.split(".", 1)[0] for k in self.raw_keys)
        for o in self.overlays:
            if o.when is not None:
                keys.update(k.split(".", 1)[0] for k in o.when.keys)
        return frozenset(keys)

    def overlay(self, name: str) -> Overlay:
        """The overlay called ``name``.

        Raises:
            SpecError: there is none.
        """
        for o in self.overlays:
            if o.name == name:
                return o
        raise SpecError(f"no overlay named {name!r} (overlays: {', '.join(o.name for o in self.overlays) or 'none'})", file=self.file)

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """The line of a field of compose.yaml."""
        return self.document.line_of(path) if self.document else None


def load_spec(root: str | Path, *, check_files: bool = True) -> SpecRepo:
    """Load and validate the spec repo at ``root``.

    Args:
        root: the directory holding compose.yaml.
        check_files: also parse the YAML files of the bases and overlays and check their
            placeholders (the default; off only for tests of compose.yaml alone).

    Returns:
        The spec repo.

    Raises:
        SpecError: compose.yaml is missing, or has exactly one problem.
        SpecInvalid: several problems, all listed with file and line.
        YAMLSyntaxError: compose.yaml is not valid YAML.
    """
    if not isinstance(root, (str, os.PathLike)):
        from .arguments import ArgumentError

        raise ArgumentError(f"root must be a path (str or os.PathLike), got {type(root).__name__}")
    root_path = Path(root)
    spec_path = root_path / SPEC_FILE
    display = str(spec_path)
    if not os.path.lexists(spec_path):
        raise SpecError(f"no {SPEC_FILE} in {root_path} (is this a spec repo? `compose init DIR` makes one)", file=display, step="load")
    real = RepoFiles(root_path).resolve(spec_path, display)  # a symlink out of the repo or a loop: refused
    if not real.is_file():
        raise SpecError(f"{SPEC_FILE} is not a file", file=display, step="load")
    text = read_text(real, display)
    docs = load_documents(text, display)
    if len(docs) != 1:
        raise SpecError(f"{SPEC_FILE} must hold exactly one YAML document, found {len(docs)}", file=display, step="load")
    return parse_spec(docs[0], root_path, check_files=check_files)


def parse_spec(doc: Document, root: Path, *, check_files: bool = True) -> SpecRepo:
    """Validate a parsed compose.yaml (``doc``) of the repo at ``root``; see :func:`load_spec`."""
    return _Loader(doc, root, check_files).load()


class _Loader:
    def __init__(self, doc: Document, root: Path, check_files: bool) -> None:
        self.doc = doc
        self.shown_root = root
        self.restrictor = RepoFiles(root)
        self.root = self.restrictor.root
        self.file = doc.file
        self.check_files = check_files
        self.problems: list[Problem] = []

    def bad(self, message: str, path: tuple[Any, ...], file: str | None = None) -> None:
        self.problems.append(problem_at(message, file or self.file, self.doc.locations if file is None else None, path))

    def unknown_fields(self, raw: Mapping[str, Any], known: tuple[str, ...], path: tuple[Any, ...], what: str) -> None:
        for key in raw:
            if key not in known:
                self.bad(f"unknown field {key!r} in {what} (known: {', '.join(known)})", path + (key,))

    def string(self, raw: Mapping[str, Any], key: str, path: tuple[Any, ...], default: str = "") -> str:
        value = raw.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            self.bad(f"{key} must be a string, got {type_name(value)}", path + (key,))
            return default
        return value

    def mapping(self, raw: Any, path: tuple[Any, ...], what: str) -> dict[str, Any] | None:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.bad(f"{what} must be a mapping, got {type_name(raw)}", path)
            return None
        return raw

    def inside(self, rel: Any, path: tuple[Any, ...]) -> Path | None:
        if not isinstance(rel, str) or not rel:
            self.bad(f"a path must be a non-empty string, got {type_name(rel)}", path)
            return None
        try:
            return self.restrictor.lookup(rel)
        except SpecError as exc:
            if "does not exist" in exc.message:
                return self.root / rel  # the caller says what should have been there
            self.bad(exc.message, path)
            return None

    def part(self, path: Path, at: tuple[Any, ...]) -> Path | None:
        """A file in a base or overlay directory (``ecs.yaml``, ``task-definition.yaml``), checked."""
        if not os.path.lexists(path):
            return None
        try:
            real = self.restrictor.resolve(path, self.restrictor.display(path))
        except SpecError as exc:
            self.bad(exc.message, at)
            return None
        return path if real.is_file() else None

    # -- sections ---------------------------------------------------------------------------------

    def load(self) -> SpecRepo:
        raw = self.doc.data
        if not isinstance(raw, dict):
            raise SpecError(f"{SPEC_FILE} must be a mapping, got {type_name(raw)}", file=self.file, line=1, step="load")
        self.unknown_fields(raw, _TOP_FIELDS, (), SPEC_FILE)
        api = raw.get("apiVersion")
        if api != API_VERSION:
            self.bad(f"apiVersion must be {API_VERSION!r}" + (f", got {show(api)}" if api is not None else " (missing)"), ("apiVersion",))
        kind = raw.get("kind")
        if kind != KIND:
            self.bad(f"kind must be {KIND!r}" + (f", got {show(kind)}" if kind is not None else " (missing)"), ("kind",))
        description = self.string(raw, "description", ())
        flow_container = self.string(raw, "flowContainer", (), DEFAULT_FLOW_CONTAINER)
        if not is_dns1123_label(flow_container):
            self.bad(f"flowContainer {flow_container!r} is not a valid container name (DNS-1123 label)", ("flowContainer",))
        profile_key = self.string(raw, "profileKey", (), "job_profile") or "job_profile"
        merge_order = self.merge(raw.get("merge"))
        targets = self.targets(raw.get("targets"))
        params, param_problems = parse_parameters(raw.get("parameters"), file=self.file, locations=self.doc.locations)
        raw_params = raw.get("parameters")
        self.attempted = {k for k in raw_params if isinstance(k, str)} if isinstance(raw_params, dict) else set()
        self.problems.extend(param_problems)
        overlays = self.overlays(raw.get("overlays"), params, targets)
        profiles = self.profiles(raw.get("profiles"), params, overlays, profile_key)
        unknown_keys, raw_keys = self.metadata(raw.get("metadata"))
        warnings = self.condition_keys(overlays, params, profile_key, raw_keys)
        if unknown_keys == "error":
            self.problems.extend(warnings)
            warnings = []
        elif unknown_keys == "ignore":
            warnings = []
        default_profile = self.default_profile(params, profiles, profile_key)
        placeholders = self.files(targets, overlays, params) if self.check_files else ()
        raise_problems(self.problems, SPEC_FILE)
        return SpecRepo(
            root=self.root,
            file=self.file,
            description=description,
            targets=targets,
            parameters=params,
            overlays=tuple(overlays),
            profiles=profiles,
            profile_key=profile_key,
            merge_order=merge_order,
            flow_container=flow_container,
            placeholders=placeholders,
            document=self.doc,
            unknown_keys=unknown_keys,
            raw_keys=raw_keys,
            warnings=tuple(warnings),
            default_profile=default_profile,
        )

    def metadata(self, raw: Any) -> tuple[str, tuple[str, ...]]:
        m = self.mapping(raw, ("metadata",), "metadata")
        if not m:
            return "warn", ()
        self.unknown_fields(m, _METADATA_FIELDS, ("metadata",), "metadata")
        policy = m.get("unknownKeys", "warn")
        if policy not in UNKNOWN_KEY_POLICIES:
            self.bad(f"metadata.unknownKeys must be one of {', '.join(UNKNOWN_KEY_POLICIES)}, got {show(policy)}",
                     ("metadata", "unknownKeys"))
            policy = "warn"
        keys = m.get("rawKeys") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            self.bad("metadata.rawKeys must be a list of metadata key names", ("metadata", "rawKeys"))
            keys = []
        return policy, tuple(keys)

    def condition_keys(self, overlays: list[Overlay], params: dict[str, ParamDecl], profile_key: str,
                       raw_keys: tuple[str, ...]) -> list[Problem]:
        """Conditions that read a key nothing declares: a typo (``spto``) or a raw key to list."""
        from ..suggest import did_you_mean

        known = set(params) | {profile_key} | set(raw_keys)
        out: list[Problem] = []
        for o in overlays:
            if o.when is None:
                continue
            for key in sorted(o.when.keys):
                root = key.split(".", 1)[0]
                if root in known or key in known:
                    continue
                at = _find_key(self.doc.data, ("overlays", o.index_in_file, "when"), key)
                out.append(problem_at(
                    f"overlay {o.name!r}: the condition reads {key!r}, which is not a declared parameter"
                    f"{did_you_mean(root, sorted(set(params) | {profile_key}))}; declare it under parameters, "
                    f"or list it under metadata.rawKeys if it is a raw metadata key",
                    self.file, self.doc.locations, at))
        return out

    def default_profile(self, params: dict[str, ParamDecl], profiles: dict[str, Profile], key: str) -> str | None:
        decl = params.get(key)
        if decl is not None and decl.default is not MISSING and profiles:
            name = decl.default if isinstance(decl.default, str) else str(decl.default)
            if name not in profiles:
                self.bad(f"parameter {key!r} selects the profile and defaults to {show(decl.default)}, which names no "
                         f"profile (profiles: {', '.join(profiles)})", ("parameters", key, "default"))
                return None
            return name
        return "default" if "default" in profiles else None

    def merge(self, raw: Any) -> str:
        m = self.mapping(raw, ("merge",), "merge")
        if not m:
            return "server"
        self.unknown_fields(m, ("order",), ("merge",), "merge")
        order = m.get("order", "server")
        if order not in _MERGE_ORDERS:
            self.bad(f"merge.order must be one of {', '.join(_MERGE_ORDERS)}, got {show(order)}", ("merge", "order"))
            return "server"
        return order

    def targets(self, raw: Any) -> dict[str, Target]:
        out: dict[str, Target] = {}
        if raw is None:
            self.bad(f"targets is missing: declare at least one of {', '.join(TARGETS)}", ())
            return out
        m = self.mapping(raw, ("targets",), "targets")
        if m is None:
            return out
        if not m:
            self.bad(f"targets is empty: declare at least one of {', '.join(TARGETS)}", ("targets",))
        for name, spec in m.items():
            at = ("targets", name)
            if name not in TARGETS:
                self.bad(f"unknown target {name!r} (known: {', '.join(TARGETS)})", at)
                continue
            spec = self.mapping(spec, at, f"targets.{name}")
            if spec is None:
                continue
            self.unknown_fields(spec, _TARGET_FIELDS[name], at, f"targets.{name}")
            version = None
            if "version" in spec:
                v = spec["version"]
                if isinstance(v, float):
                    self.bad(f"version must be a string: write \"{v}\" in quotes (YAML reads 1.30 as the number 1.3)", at + ("version",))
                elif not isinstance(v, str) or not _VERSION.fullmatch(v):
                    self.bad(f"version must look like \"1.32\", got {show(v)}", at + ("version",))
                else:
                    version = v
            sizes = spec.get("fargateSizes", "exact")
            if sizes not in FARGATE_SIZE_MODES:
                self.bad(f"targets.ecs.fargateSizes must be one of {', '.join(FARGATE_SIZE_MODES)}, got {show(sizes)}",
                         at + ("fargateSizes",))
                sizes = "exact"
            base = self.base(name, spec.get("base"), at + ("base",))
            if base is None:
                continue
            paths, is_dir = base
            out[name] = Target(name, paths, is_dir, version, self.doc.line_of(at), fargate_sizes=sizes)
        return out

    def base(self, target: str, raw: Any, at: tuple[Any, ...]) -> tuple[tuple[Path, ...], bool] | None:
        if raw is None:
            self.bad(f"targets.{target}.base is missing: a directory or a list of files", at)
            return None
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            self.bad(f"targets.{target}.base is an empty list", at)
            return None
        paths: list[Path] = []
        for i, item in enumerate(items):
            item_at = at + (i,) if isinstance(raw, list) else at
            full = self.inside(item, item_at)
            if full is None:
                continue
            if not full.exists():
                self.bad(f"base {item!r} does not exist", item_at)
                continue
            if full.is_dir():
                if isinstance(raw, list):
                    self.bad(f"base {item!r} is a directory: give one directory, or a list of files", item_at)
                    continue
                if target == "kubernetes" and not _kustomization_in(full):
                    self.bad(f"base {item!r} has no kustomization.yaml (add one, or list the manifest files)", item_at)
                    continue
                if target == "ecs":
                    n_before = len(self.problems)
                    for name in ECS_BASE_FILES:
                        self.part(full / name, item_at)
                    if len(self.problems) > n_before:
                        continue
            paths.append(full)
        if len(paths) != len(items):
            return None
        return tuple(paths), len(paths) == 1 and paths[0].is_dir()

    def overlays(self, raw: Any, params: dict[str, ParamDecl], targets: dict[str, Target]) -> list[Overlay]:
        out: list[Overlay] = []
        if raw is None:
            return out
        if not isinstance(raw, list):
            self.bad(f"overlays must be a list, got {type_name(raw)}", ("overlays",))
            return out
        seen: set[str] = set()
        for i, spec in enumerate(raw):
            at = ("overlays", i)
            if isinstance(spec, str):
                spec = {"name": spec}
            if not isinstance(spec, dict):
                self.bad(f"an overlay must be a mapping with a name, got {type_name(spec)}", at)
                continue
            self.unknown_fields(spec, _OVERLAY_FIELDS, at, "an overlay")
            name = spec.get("name")
            if not isinstance(name, str) or not _OVERLAY_NAME.fullmatch(name):
                self.bad(f"overlay name must be letters, digits, '.', '_' or '-', got {show(name)}", at + ("name",))
                continue
            if name in seen:
                self.bad(f"overlay {name!r} is declared twice", at + ("name",))
                continue
            seen.add(name)
            when = None
            if "when" in spec:
                when, problems = parse_condition(spec["when"], params, file=self.file, locations=self.doc.locations, path=at + ("when",))
                self.problems.extend(problems)
            rel = spec.get("path", f"overlays/{name}")
            full = self.inside(rel, at + ("path",))
            if full is None:
                continue
            if not full.is_dir():
                self.bad(f"overlay {name!r}: directory {rel!r} does not exist" if not full.exists() else f"overlay {name!r}: {rel!r} is not a directory", at + ("path",))
                continue
            k8s = full if _kustomization_in(full) else None
            ecs = self.part(full / ECS_OVERLAY_FILE, at + ("path",))
            if k8s is None and ecs is None:
                self.bad(f"overlay {name!r}: {rel!r} has neither a kustomization.yaml (kind: Component) nor an {ECS_OVERLAY_FILE}", at + ("path",))
                continue
            if targets and not any(t in targets for t, p in (("kubernetes", k8s), ("ecs", ecs)) if p is not None):
                self.bad(f"overlay {name!r} has no part for the declared targets ({', '.join(targets)})", at + ("path",))
            declared_targets = None
            if "targets" in spec:
                raw_t = spec["targets"]
                if not isinstance(raw_t, list) or not raw_t or any(t not in TARGETS for t in raw_t):
                    self.bad(f"overlay {name!r}: targets must be a non-empty list of {', '.join(TARGETS)}", at + ("targets",))
                else:
                    declared_targets = tuple(raw_t)
                    for t in declared_targets:
                        part = k8s if t == "kubernetes" else ecs
                        if part is None:
                            self.bad(f"overlay {name!r} says it serves {t} but {rel!r} has no "
                                     f"{'kustomization.yaml' if t == 'kubernetes' else ECS_OVERLAY_FILE}", at + ("targets",))
            out.append(
                Overlay(
                    name=name,
                    path=full,
                    when=when,
                    description=self.string(spec, "description", at),
                    kubernetes=k8s,
                    ecs=ecs,
                    index=len(out),
                    line=self.doc.line_of(at),
                    declared_targets=declared_targets,
                    index_in_file=i,
                )
            )
        return out

    def profiles(self, raw: Any, params: dict[str, ParamDecl], overlays: list[Overlay], key: str) -> dict[str, Profile]:
        out: dict[str, Profile] = {}
        m = self.mapping(raw, ("profiles",), "profiles")
        if not m:
            return out
        known = {o.name for o in overlays}
        declared_raw = self.doc.data.get("overlays") if isinstance(self.doc.data, dict) else None
        declared_names = {
            (s if isinstance(s, str) else s.get("name")) for s in (declared_raw or []) if isinstance(s, (str, dict))
        }
        key_decl = params.get(key)
        if key_decl is not None and key_decl.type not in ("string", "enum"):
            self.bad(f"parameter {key!r} selects the profile and must be a string or enum, not {key_decl.type}", ("parameters", key))
        for name, spec in m.items():
            at = ("profiles", name)
            if not isinstance(name, str) or not name:
                self.bad(f"a profile name must be a non-empty string, got {name!r}", at)
                continue
            if isinstance(spec, list) or spec is None:
                spec = {"overlays": spec or []}
                list_at = at
            elif isinstance(spec, dict):
                self.unknown_fields(spec, _PROFILE_FIELDS, at, f"profile {name!r}")
                list_at = at + ("overlays",)
            else:
                self.bad(f"profile {name!r} must be a list of overlay names or a mapping, got {type_name(spec)}", at)
                continue
            names = spec.get("overlays") or []
            if not isinstance(names, list):
                self.bad(f"profile {name!r}: overlays must be a list of names", list_at)
                names = []
            for j, o in enumerate(names):
                if not isinstance(o, str) or o not in declared_names:
                    self.bad(f"profile {name!r} names unknown overlay {show(o)} (overlays: {', '.join(sorted(known)) or 'none'})", list_at + (j,))
            if len(set(map(str, names))) != len(names):
                self.bad(f"profile {name!r} lists an overlay twice", list_at)
            if key_decl is not None and key_decl.values is not None and name not in key_decl.values:
                self.bad(f"profile {name!r} is not among the values of parameter {key!r} ({show(list(key_decl.values))})", at)
            typed: dict[str, Any] = {}
            raw_params = spec.get("parameters") or {}
            if not isinstance(raw_params, dict):
                self.bad(f"profile {name!r}: parameters must be a mapping", at + ("parameters",))
                raw_params = {}
            for pname, value in raw_params.items():
                p_at = at + ("parameters", pname)
                if pname == key:
                    self.bad(f"profile {name!r} cannot set the profile key {key!r}", p_at)
                elif pname not in params:
                    self.bad(f"profile {name!r} sets undeclared parameter {pname!r} (declare it under parameters)", p_at)
                else:
                    try:
                        typed[pname] = params[pname].check(value, f"profile {name}")
                    except ParameterError as exc:
                        self.bad(exc.message, p_at)
            out[name] = Profile(
                name=name,
                overlays=tuple(o for o in names if isinstance(o, str)),
                parameters=typed,
                raw_parameters=dict(raw_params),
                description=self.string(spec, "description", at),
                line=self.doc.line_of(at),
            )
        return out

    def files(self, targets: dict[str, Target], overlays: list[Overlay], params: dict[str, ParamDecl]) -> tuple[tuple[str, PlaceholderUse], ...]:
        """Parse the YAML files the bases and overlays use; check placeholders and Components.

        Only used files are read (:mod:`compose.spec.files`): what each kustomization names,
        the ECS base's two files, each overlay's ecs.yaml; all through the load restrictor.
        """
        found: list[tuple[str, PlaceholderUse]] = []
        restrictor = self.restrictor
        used: list[UsedFile] = []
        for t in targets.values():
            for p in t.base:
                if t.name == "kubernetes" and p.is_dir():
                    used.extend(restrictor.kustomization_files(p))
                elif p.is_dir():
                    used.extend(UsedFile(p / n, restrictor.display(p / n)) for n in ECS_BASE_FILES if (p / n).is_file())
                else:
                    used.append(UsedFile(p, restrictor.display(p)))
        for o in overlays:
            if o.kubernetes is not None and "kubernetes" in targets:
                used.extend(restrictor.kustomization_files(o.kubernetes))
            if o.ecs is not None:
                used.append(UsedFile(o.ecs, restrictor.display(o.ecs)))
        self.problems.extend(restrictor.problems)
        restrictor.problems = []
        seen: set[Path] = set()
        for f in used:
            path = f.real
            if path in seen or f.kind != "yaml":
                continue
            seen.add(path)
            display = f.shown
            try:
                docs = load_documents(read_text(path, display), display)
            except ComposeError as exc:
                self.problems.append(Problem(exc.message, file=exc.file, line=exc.line))
                continue
            except (OSError, UnicodeDecodeError) as exc:
                self.problems.append(Problem(f"cannot read: {exc}", file=display))
                continue
            for d in docs:
                self.problems.extend(check_placeholders(d.data, params, file=display, locations=d.locations, also_known=self.attempted))
                found.extend((display, u) for u in find_placeholders(d.data)[0])
        for o in overlays:
            if o.kubernetes is not None:
                self.component(o)
        return tuple(found)

    def component(self, overlay: Overlay) -> None:
        kfile = _kustomization_in(overlay.path)
        assert kfile is not None
        display = _display(kfile, self.root, self.shown_root)
        if Path(os.path.realpath(overlay.path)) not in Path(os.path.realpath(kfile)).parents:
            return  # a symlink out of the overlay: files() reported it, and it is not read
        try:
            docs = load_documents(read_text(kfile, display), display)
        except (ComposeError, OSError, UnicodeDecodeError):
            return  # already reported by files()
        data = docs[0].data if docs else None
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind != "Component":
            line = docs[0].line_of(("kind",)) if docs else None
            self.problems.append(
                Problem(
                    f"overlay {overlay.name!r}: the Kubernetes part must be a Kustomize Component "
                    f"(apiVersion: kustomize.config.k8s.io/v1alpha1, kind: Component), got kind {show(kind)}",
                    file=display,
                    line=line,
                )
            )


def _find_key(tree: Any, at: tuple[Any, ...], key: str) -> tuple[Any, ...]:
    """The path of the first mapping key ``key`` under ``at`` in ``tree`` (for its line), else ``at``."""
    node = tree
    for part in at:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return at
    stack: list[tuple[tuple[Any, ...], Any]] = [(at, node)]
    while stack:
        path, n = stack.pop(0)
        if isinstance(n, dict):
            for k, v in n.items():
                if k == key:
                    return path + (k,)
                stack.append((path + (k,), v))
        elif isinstance(n, list):
            stack.extend((path + (i,), v) for i, v in enumerate(n))
    return at


def _kustomization_in(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        p = directory / name
        if p.is_file():
            return p
    return None


def _display(path: Path, root: Path, shown_root: Path) -> str:
    # Name files the way the user named the repo: "myrepo/overlays/gpu/patch.yaml".
    try:
        return str(shown_root / path.relative_to(root))
    except ValueError:
        return str(path)
