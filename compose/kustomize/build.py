"""The build pipeline: a kustomization directory in, the list of resources out.

Mirrors Kustomize v5.5's ``KustTarget``. For each kustomization, depth first:

1. ``resources`` in order: files (every document; ``kind: *List`` documents are expanded)
   and directories holding their own kustomization, built recursively. A resource whose
   identity is already present is an error ("may not add resource with an already
   registered id"). Each directory's transformer configuration (Kustomize's defaults plus
   ``configurations:`` and ``crds:``) is merged into its parent's.
2. ``configMapGenerator`` / ``secretGenerator``.
3. ``components`` in order: each adds its resources to this kustomization's list and runs its
   own generators, components and transformers over the whole list.
4. The transformers, in Kustomize's order: ``patchesStrategicMerge``, ``patches``,
   ``namespace``, ``namePrefix``/``nameSuffix``, ``labels`` (then ``commonLabels``),
   ``commonAnnotations``, ``patchesJson6902``, ``replicas``, ``images``, ``replacements``;
   then the level's ``vars`` are bound to its resources.

Then, once for the whole build: content hashes are appended to generated names, name
references are fixed, vars are expanded, resources annotated
``config.kubernetes.io/local-config: "true"`` are dropped, ``buildMetadata`` annotations and
label are written, and the output is sorted as ``kubectl kustomize`` sorts it
(``sortOptions`` of the top kustomization, default ``legacy``). An ``openapi:`` schema, once
met, replaces the Kubernetes schema for the strategic merges that follow.

Safety, as Kustomize's default load restrictor (``LoadRestrictionsRootOnly``): a file a
kustomization names (resource, patch, generator source, configuration, schema) must be in or
below that kustomization's directory (``load_restrictor="LoadRestrictionsNone"`` lifts
this); a directory with its own kustomization may be anywhere, but not the directory of a
kustomization being built or one of its parents (that is a cycle).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import ComposeError, KustomizationError, YAMLSyntaxError
from ..yamlio import load_documents, read_bytes as _read_bytes, read_text as _read_text
from .loader import Kustomization, check_replacements_file, load_kustomization
from .ordering import sort_resources
from .patches import (
    LoadedPatch,
    OnPatch,
    apply_patches,
    load_json6902_entry,
    load_patch,
    load_strategic_merge_entry,
)
from .resource import Resource
from .transformers.config import EMPTY, TransformerConfig, default_config, parse_config
from .selector import effective_namespace

__all__ = ["build", "build_documents", "LOAD_RESTRICTORS"]

LOCAL_CONFIG_ANNOTATION = "config.kubernetes.io/local-config"
ROOT_ONLY = "LoadRestrictionsRootOnly"
#: kustomize's --load-restrictor values.
LOAD_RESTRICTORS = (ROOT_ONLY, "LoadRestrictionsNone")

_REMOTE_PREFIXES = ("http://", "https://", "git@", "git::", "ssh://", "github.com/", "gitlab.com/",
                    "bitbucket.org/", "file://")


def _is_remote(entry: str) -> bool:
    return entry.startswith(_REMOTE_PREFIXES) or "://" in entry or "?ref=" in entry


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class _Builder:
    def __init__(
        self,
        merge_order: str,
        on_patch: OnPatch | None,
        restrict: bool = True,
    ) -> None:
        self.restrict = restrict
        self.merge_order = merge_order
        self.on_patch = on_patch
        self.metadata: list[str] = []  # the top kustomization's buildMetadata
        self.vars: dict[str, Any] = {}  # every level's vars, by name
        self.schema: Any = None  # an openapi: schema replacing Kubernetes' for strategic merges
        self.top_dir = ""

    # --- loading files under the restrictor ---------------------------------------------------
    def _resolve_file(self, k: Kustomization, rel: str, field_path: tuple[Any, ...], what: str) -> tuple[Path, str]:
        """(real path, shown path) of a file ``k`` names, enforcing the load restrictor."""
        shown = os.path.normpath(os.path.join(k.dir, rel))
        real = Path(os.path.realpath(os.path.join(k.root, rel)))
        if self.restrict and not _within(real, k.root):
            raise k.error(
                f"{what} '{rel}' is outside the kustomization root '{k.dir}': files must be in or "
                "below the directory of the kustomization that names them",
                field_path, step="load",
            )
        if not real.exists():
            raise k.error(f"{what} '{rel}' not found (looked for {shown})", field_path, step="load")
        if not real.is_file():
            raise k.error(f"{what} '{rel}' is not a file ({shown})", field_path, step="load")
        return real, shown

    def _reader(self, k: Kustomization) -> Callable[[str, tuple[Any, ...]], tuple[str, str]]:
        def read_text(rel: str, field_path: tuple[Any, ...]) -> tuple[str, str]:
            real, shown = self._resolve_file(k, rel, field_path, "patch file")
            try:
                return _read_text(real, shown), shown
            except UnicodeDecodeError as exc:
                raise YAMLSyntaxError(f"not UTF-8 text ({exc.reason})", file=shown, step="read") from None
            except OSError as exc:
                raise k.error(f"cannot read '{rel}': {exc.strerror}", field_path, step="load") from None

        return read_text

    def _bytes_reader(self, k: Kustomization) -> Callable[[str], bytes]:
        def read_file(rel: str) -> bytes:
            real, shown = self._resolve_file(k, rel, (), "file")
            try:
                return _read_bytes(real, shown)
            except OSError as exc:
                raise KustomizationError(f"cannot read '{rel}': {exc.strerror}", file=shown, step="load") from None

        return read_file

    # --- resources ----------------------------------------------------------------------------
    def _load_resource_file(self, real: Path, shown: str) -> list[Resource]:
        try:
            text = _read_text(real, shown)
        except UnicodeDecodeError as exc:
            raise YAMLSyntaxError(f"not UTF-8 text ({exc.reason})", file=shown, step="read") from None
        out: list[Resource] = []
        nodes: list[Any] = []  # the YAML nodes, composed again only for non-string annotations
        for doc in load_documents(text, shown):
            data = doc.data
            if not isinstance(data, dict):
                raise KustomizationError(
                    f"a resource must be a mapping, found {type(data).__name__}",
                    file=shown, line=doc.line_of(()), step="load",
                )
            kind = data.get("kind")
            items = data.get("items")
            if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
                for i, item in enumerate(items):
                    if not isinstance(item, dict):
                        raise KustomizationError(
                            "an item of a List must be a mapping", file=shown, line=doc.line_of(("items", i)), step="load"
                        )
                    prefix = ("items", i)
                    locs = {p[2:]: v for p, v in doc.locations.items() if p[:2] == prefix}
                    _annotations_as_text(item, text, doc.index, prefix, nodes)
                    quoted = {p[2:] for p in doc.quoted if p[:2] == prefix}
                    out.append(self._checked(Resource(item, shown, doc.index, locs, quoted=quoted),
                                             doc.line_of(prefix)))
                continue
            _annotations_as_text(data, text, doc.index, (), nodes)
            out.append(self._checked(Resource(data, shown, doc.index, doc.locations, quoted=doc.quoted),
                                     doc.line_of(())))
        if self.metadata:
            from .transformers import buildmetadata

            for res in out:
                buildmetadata.file_origin(res, buildmetadata.relative(shown, self.top_dir))
        return out

    @staticmethod
    def _checked(res: Resource, line: int | None) -> Resource:
        if not res.kind:
            raise KustomizationError("missing 'kind' in a resource", file=res.file, line=line, step="load")
        md = res.data.get("metadata")
        if not isinstance(md, dict) or not md.get("name"):
            raise KustomizationError(
                f"missing 'metadata.name' in a {res.kind} resource", file=res.file, line=line, step="load"
            )
        if not isinstance(md.get("name"), str):
            md["name"] = str(md["name"])
        return res

    @staticmethod
    def _append(resources: list[Resource], new: Sequence[Resource], k: Kustomization, field_path: tuple[Any, ...]) -> None:
        seen = {_id_key(r): r for r in resources}
        for res in new:
            key = _id_key(res)
            other = seen.get(key)
            if other is not None:
                raise k.error(
                    f"may not add resource with an already registered id: {res.id} "
                    f"(from {res.where()}; already added from {other.where()})",
                    field_path, step="load",
                )
            seen[key] = res
            resources.append(res)

    def _directory(self, k: Kustomization, rel: str, field_path: tuple[Any, ...], what: str) -> tuple[Path, str]:
        shown = os.path.normpath(os.path.join(k.dir, rel))
        real = Path(os.path.realpath(os.path.join(k.root, rel)))
        if not real.exists():
            if os.path.islink(os.path.join(k.root, rel)):
                raise k.error(f"{what} '{rel}' is a symlink loop or a link to nothing ({shown})", field_path, step="load")
            if _is_remote(rel):
                raise k.error(f"remote {what} '{rel}' is not supported by compose (use a local path)",
                              field_path, step="load")
            raise k.error(f"{what} '{rel}' not found (looked for {shown})", field_path, step="load")
        return real, shown

    # --- one kustomization ------------------------------------------------------------------
    def accumulate(
        self,
        real: Path,
        shown: str,
        chain: list[tuple[Path, str]],
        *,
        component: bool | None,
        into: list[Resource] | None,
        extra_components: Sequence[tuple[Path, str]] = (),
        referrer: tuple[Kustomization, tuple[Any, ...]] | None = None,
        config: TransformerConfig | None = None,
    ) -> tuple[list[Resource], Kustomization, TransformerConfig]:
        """Resources, kustomization and transformer configuration of one directory.

        A Component adds to ``into`` and to ``config`` (its parent's); a Kustomization starts
        its own, and its parent merges the configuration it returns (as Kustomize's
        accumulator does), so that the configuration at the top holds every level's.
        """
        for root, root_shown in chain:
            if _within(root, real):
                cycle = " -> ".join([s for _, s in chain[chain.index((root, root_shown)):]] + [shown])
                msg = f"cycle detected: '{shown}' is, or contains, a kustomization being built ({cycle})"
                if referrer is not None:
                    raise referrer[0].error(msg, referrer[1], step="load")
                raise KustomizationError(msg, file=shown, step="load")
        k = load_kustomization(real, shown, restrict=self.restrict)
        if k.data.get("openapi") and (not chain or self.schema is None):
            self.schema = self.openapi(k)
        if not chain and k.data.get("buildMetadata"):
            from .transformers import buildmetadata

            try:
                buildmetadata.check(k.data["buildMetadata"])
            except ComposeError as exc:
                raise exc.with_context(file=k.file, line=k.line_of(("buildMetadata",)))
            self.metadata = list(k.data["buildMetadata"])
            self.top_dir = k.dir
        # component None: the directory built at the top, which kubectl builds either way.
        if component is True and not k.is_component:
            raise _expected_kind(referrer, shown, f"'{shown}' is listed in 'components' but is a {k.kind}, not a Component")
        if component is False and k.is_component:
            raise _expected_kind(referrer, shown, f"'{shown}' is a Component: list it in 'components', not 'resources'")
        chain = chain + [(k.root, k.dir)]
        resources: list[Resource] = into if into is not None else []
        # A Kustomization starts an empty configuration (Kustomize's accumulator), a Component
        # adds to its parent's.
        cfg = config if config is not None else EMPTY

        for entry, field_path in k.resources:
            if _is_remote(entry) and not os.path.exists(os.path.join(k.root, entry)):
                raise k.error(f"remote resource '{entry}' is not supported by compose (use a local path)",
                              field_path, step="load")
            target, target_shown = self._directory(k, entry, field_path, "resource")
            if target.is_dir():
                sub, _, sub_cfg = self.accumulate(target, target_shown, chain, component=False, into=None,
                                                  referrer=(k, field_path))
                self._append(resources, sub, k, field_path)
                cfg = cfg.merge(sub_cfg)
            else:
                real_file, shown_file = self._resolve_file(k, entry, field_path, "resource")
                self._append(resources, self._load_resource_file(real_file, shown_file), k, field_path)

        cfg = self.own_config(k, cfg)
        if k.data.get("configMapGenerator") or k.data.get("secretGenerator"):
            from .transformers import generators

            before = {id(r) for r in resources}
            resources[:] = generators.generate(
                k.data, k.root, file=k.file, existing=list(resources), read_file=self._bytes_reader(k)
            )
            if self.metadata:
                from .transformers import buildmetadata

                for res in resources:
                    if id(res) not in before and getattr(res, "build_origin", None) is None:
                        kind = "ConfigMapGenerator" if res.kind == "ConfigMap" else "SecretGenerator"
                        buildmetadata.generator_origin(res, buildmetadata.relative(k.file, self.top_dir), kind)

        comps = [(self._directory(k, entry, fp, "component"), fp) for entry, fp in k.components]
        for (comp_real, comp_shown), field_path in comps:
            if not comp_real.is_dir():
                raise k.error(f"component '{comp_shown}' must be a directory", field_path, step="load")
            resources, _, cfg = self.accumulate(comp_real, comp_shown, chain, component=True, into=resources,
                                                referrer=(k, field_path), config=cfg)
        for comp_real, comp_shown in extra_components:
            resources, _, cfg = self.accumulate(comp_real, comp_shown, chain, component=True, into=resources,
                                                config=cfg)

        resources = self.transform(k, resources, cfg)
        if k.data.get("vars"):
            from .transformers import vars as vars_

            try:
                vars_.bind(resources, k.data["vars"], self.vars)
            except ComposeError as exc:
                raise exc.with_context(file=k.file, line=k.line_of(("vars",)))
        if into is not None and resources is not into:
            into[:] = resources
            resources = into
        return resources, k, cfg

    def replacements(self, k: Kustomization) -> list[dict[str, Any]]:
        """The kustomization's replacements, ``path:`` entries read (one replacement or a list)."""
        out: list[dict[str, Any]] = []
        for i, entry in enumerate(k.data.get("replacements") or ()):
            entry = entry or {}
            path = entry.get("path")
            if not path:
                out.append(entry)
                continue
            if entry.get("source") is not None or entry.get("targets"):
                raise k.error("cannot specify both path and inline replacement", ("replacements", i))
            real, shown = self._resolve_file(k, path, ("replacements", i, "path"), "replacements file")
            try:
                text = real.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise YAMLSyntaxError(f"not UTF-8 text ({exc.reason})", file=shown, step="read") from None
            for doc in load_documents(text, shown):
                out.extend(check_replacements_file(doc))
        return out

    def _yaml_file(self, k: Kustomization, rel: str, field_path: tuple[Any, ...], what: str) -> list[Any]:
        real, shown = self._resolve_file(k, rel, field_path, what)
        try:
            text = real.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise YAMLSyntaxError(f"not UTF-8 text ({exc.reason})", file=shown, step="read") from None
        return [(doc, shown) for doc in load_documents(text, shown)]

    def openapi(self, k: Kustomization) -> Any:
        """The custom schema of ``k``'s ``openapi:`` field."""
        from .openapi import CustomSchema

        spec = k.data["openapi"]
        if "version" in spec:
            raise k.error("openapi 'version' (Kustomize's built-in schema versions) is not supported by compose; "
                          "give a schema file with 'path'", ("openapi", "version"))
        if not spec.get("path"):
            raise k.error("openapi needs 'path': a schema file", ("openapi",))
        docs = self._yaml_file(k, spec["path"], ("openapi", "path"), "openapi schema")
        if len(docs) != 1:
            raise k.error(f"the openapi schema '{spec['path']}' must hold one document", ("openapi", "path"))
        doc, shown = docs[0]
        return CustomSchema(doc.data, shown)

    def own_config(self, k: Kustomization, cfg: TransformerConfig) -> TransformerConfig:
        """``cfg`` with Kustomize's defaults and the kustomization's ``configurations:`` and
        ``crds:`` files merged in, in Kustomize's order (MakeTransformerConfig, then the CRDs)."""
        # Kustomize merges the CRDs' configuration even when there is none.
        if not k.configurations and not k.data.get("crds"):
            return cfg.merge(default_config()).merge(EMPTY)
        custom = EMPTY
        for rel, field_path in k.configurations:
            for doc, shown in self._yaml_file(k, rel, field_path, "configuration file"):
                try:
                    custom = custom.merge(parse_config(doc.data))
                except ComposeError as exc:
                    raise exc.with_context(file=shown, step="configurations")
        cfg = cfg.merge(default_config().merge(custom) if k.configurations else default_config())
        crds = EMPTY
        for i, rel in enumerate(k.data.get("crds") or ()):
            from .openapi import crd_config

            for doc, shown in self._yaml_file(k, rel, ("crds", i), "crds file"):
                try:
                    crds = crds.merge(crd_config(doc.data, shown))
                except ComposeError as exc:
                    raise exc.with_context(file=shown, step="crds")
        return cfg.merge(crds)

    def transform(self, k: Kustomization, resources: list[Resource], cfg: TransformerConfig) -> list[Resource]:
        resources = self._transform(k, resources, cfg)
        if self.metadata:
            from .transformers import buildmetadata

            where = buildmetadata.relative(k.file, self.top_dir)
            for kind, times in _configured_transformers(k):
                buildmetadata.record(resources, where, kind, times)
        return resources

    def _transform(self, k: Kustomization, resources: list[Resource], cfg: TransformerConfig) -> list[Resource]:
        read_text = self._reader(k)
        patch_kwargs: dict[str, Any] = {"merge_order": self.merge_order, "on_patch": self.on_patch,
                                        "schema": self.schema}
        if k.patches_strategic_merge:
            loaded = [load_strategic_merge_entry(k, s, read_text) for s in k.patches_strategic_merge]
            resources = apply_patches(resources, loaded, **patch_kwargs)
        if k.patches:
            loaded2: list[LoadedPatch] = [load_patch(k, s, read_text) for s in k.patches]
            resources = apply_patches(resources, loaded2, **patch_kwargs)
        if k.namespace:
            from .transformers import namespace

            namespace.apply(resources, k.namespace, cfg.namespace)
        if k.name_prefix or k.name_suffix:
            from .transformers import names

            names.apply(resources, k.name_prefix, k.name_suffix, cfg)
        if k.labels:
            from .transformers import labels

            labels.apply(resources, k.labels, cfg)
        if k.annotations:
            from .transformers import annotations

            annotations.apply(resources, k.annotations, cfg.common_annotations)
        if k.patches_json6902:
            loaded3 = [load_json6902_entry(k, s, read_text) for s in k.patches_json6902]
            resources = apply_patches(resources, loaded3, **patch_kwargs)
        if k.data.get("replicas"):
            from .transformers import replicas

            try:
                replicas.apply(resources, k.data["replicas"], cfg.replicas)
            except ComposeError as exc:
                raise exc.with_context(file=k.file, line=k.line_of(("replicas",)))
        if k.images:
            from .transformers import images

            images.apply(resources, k.images, cfg.images)
        if k.data.get("replacements"):
            from .transformers import replacements

            try:
                replacements.apply(resources, self.replacements(k))
            except ComposeError as exc:
                raise exc.with_context(file=k.file, line=k.line_of(("replacements",)))
        return resources


def _configured_transformers(k: Kustomization) -> list[tuple[str, int]]:
    """The built-in transformers ``k`` configures, in Kustomize's order, with their counts."""
    counts = [
        ("PatchStrategicMergeTransformer", 1 if k.patches_strategic_merge else 0),
        ("PatchTransformer", len(k.patches)),
        ("NamespaceTransformer", 1 if k.namespace else 0),
        ("PrefixTransformer", 1 if k.name_prefix else 0),
        ("SuffixTransformer", 1 if k.name_suffix else 0),
        ("LabelTransformer", len(k.labels)),
        ("AnnotationsTransformer", 1 if k.annotations else 0),
        ("PatchJson6902Transformer", len(k.patches_json6902)),
        ("ReplicaCountTransformer", len(k.data.get("replicas") or ())),
        ("ImageTagTransformer", len(k.images)),
        ("ReplacementTransformer", 1 if k.data.get("replacements") else 0),
    ]
    return [(kind, n) for kind, n in counts if n]


def _annotations_as_text(data: dict[str, Any], text: str, index: int, prefix: tuple[Any, ...], nodes: list[Any]) -> None:
    """Annotation values that are not strings become the text written in the file, as in
    Kustomize (``b: true`` -> ``"true"``, ``port: 0x1F`` -> ``"0x1F"``; a list or map -> ``""``).
    Labels are left alone, as Kustomize leaves them."""
    md = data.get("metadata")
    annotations = md.get("annotations") if isinstance(md, dict) else None
    if not isinstance(annotations, dict) or all(isinstance(v, str) for v in annotations.values()):
        return
    if not nodes:
        nodes.extend(yaml.compose_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    for key, value in annotations.items():
        if not isinstance(value, str):
            node = _node_at(nodes[index], (*prefix, "metadata", "annotations", key))
            annotations[key] = node.value if isinstance(node, yaml.ScalarNode) else ""


def _node_at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = None
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    found = value_node
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def _expected_kind(referrer: tuple[Kustomization, tuple[Any, ...]] | None, shown: str, message: str) -> ComposeError:
    if referrer is not None:
        return referrer[0].error(message, referrer[1], step="load")
    return KustomizationError(message, file=shown, step="load")


def _id_key(res: Resource) -> tuple[str, str, str, str, str]:
    rid = res.id
    return (rid.group, rid.version, rid.kind, rid.name, effective_namespace(rid, res.is_cluster_scoped()))


def _is_local_config(res: Resource) -> bool:
    md = res.data.get("metadata")
    ann = md.get("annotations") if isinstance(md, dict) else None
    return isinstance(ann, dict) and str(ann.get(LOCAL_CONFIG_ANNOTATION)).lower() == "true"


def build(
    path: str | os.PathLike[str],
    *,
    merge_order: Literal["kustomize", "server"] = "kustomize",
    extra_components: Sequence[str | os.PathLike[str]] = (),
    on_patch: OnPatch | None = None,
    load_restrictor: str = ROOT_ONLY,
) -> list[Resource]:
    """Build the kustomization in directory ``path`` as ``kubectl kustomize`` does.

    Args:
        path: the kustomization directory.
        merge_order: list order of strategic merges: ``"kustomize"`` (what ``kubectl
            kustomize`` gives) or ``"server"`` (what the API server gives).
        extra_components: component directories applied after the kustomization's own
            ``components``, as if listed there (each is its own root for the restrictor).
        on_patch: called as ``on_patch(resource, patch_file, patch_locations, before)`` after
            each patch is applied to a resource (for provenance).
        load_restrictor: ``"LoadRestrictionsRootOnly"`` (the default: files a kustomization
            names must be in or below its directory) or ``"LoadRestrictionsNone"`` (anywhere),
            as kustomize's ``--load-restrictor``.

    Returns:
        The resources, in output order; each keeps the file and line table it came from.

    Raises:
        ComposeError: any problem, with the file (and line) where it is.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "kustomization.yaml").write_text("resources: [cm.yaml]\\nnamePrefix: p-\\n")
    >>> _ = (d / "cm.yaml").write_text("apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: c}\\n")
    >>> [r.name for r in build(d)]
    ['p-c']
    """
    shown = os.path.normpath(str(path))
    real = Path(os.path.realpath(path))
    if not real.exists():
        raise KustomizationError(f"no such directory: {shown}", file=shown, step="load")
    if not real.is_dir():
        raise KustomizationError("must build at a directory holding a kustomization", file=shown, step="load")
    extras: list[tuple[Path, str]] = []
    for comp in extra_components:
        comp_real = Path(os.path.realpath(comp))
        if not comp_real.is_dir():
            raise KustomizationError("extra component must be a directory", file=str(comp), step="load")
        extras.append((comp_real, os.path.normpath(str(comp))))
    if load_restrictor not in LOAD_RESTRICTORS:
        raise KustomizationError(
            f"unknown load restrictor {load_restrictor!r} (use {' or '.join(LOAD_RESTRICTORS)})", step="load"
        )
    builder = _Builder(merge_order, on_patch, restrict=load_restrictor == ROOT_ONLY)
    resources, top, config = builder.accumulate(real, shown, [], component=None, into=None, extra_components=extras)

    if any(r.needs_hash for r in resources):
        from .transformers import hashing

        hashing.apply(resources)
    if any(old != r.id for r in resources for old in r.previous) or any(r.kind == "RoleBinding" for r in resources):
        # Only a rename can leave a reference stale; RoleBinding subjects are checked always.
        from .transformers import namereference

        namereference.fix(resources, config.name_reference)
    if builder.vars:
        from .transformers import vars as vars_

        try:
            vars_.expand(resources, vars_.resolve(resources, builder.vars), config.var_reference)
        except ComposeError as exc:
            raise exc.with_context(file=top.file)
    resources = [r for r in resources if r.data and not _is_local_config(r)]
    if builder.metadata:
        from .transformers import buildmetadata

        buildmetadata.finish(resources, builder.metadata)
    try:
        return sort_resources(resources, top.sort_options)
    except ValueError as exc:
        raise top.error(str(exc), ("sortOptions",)) from None


def build_documents(
    path: str | os.PathLike[str],
    *,
    merge_order: Literal["kustomize", "server"] = "kustomize",
    extra_components: Sequence[str | os.PathLike[str]] = (),
    on_patch: OnPatch | None = None,
    load_restrictor: str = ROOT_ONLY,
) -> list[dict[str, Any]]:
    """Like :func:`build`, returning the manifests only (plain dicts, in output order)."""
    resources = build(path, merge_order=merge_order, extra_components=extra_components, on_patch=on_patch,
                      load_restrictor=load_restrictor)
    return [r.data for r in resources]
