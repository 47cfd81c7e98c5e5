"""configMapGenerator and secretGenerator, as Kustomize v5.5 (api/internal/generators, api/kv).

Each generator entry makes one ConfigMap or Secret (``apiVersion: v1``) named ``name`` (in
``namespace`` if given) from, in this order: env files (``envs``, and the legacy ``env``
after them), ``literals`` and ``files``. A key given twice is an error.

- literal ``KEY=VALUE``: split at the first ``=``; one pair of matching surrounding quotes
  (``"`` or ``'``) is removed from the value.
- file ``path`` (key: the file's base name) or ``key=path``: the file's bytes.
- env file: one ``KEY=VALUE`` per line; leading whitespace is dropped, blank lines and lines
  starting with ``#`` are skipped, a UTF-8 BOM on the first line is dropped, a line without
  ``=`` gives an empty value; the value is kept verbatim (quotes and trailing spaces included).

ConfigMap values that are not UTF-8 go to ``binaryData`` (base64); Secret values are all
base64 in ``data`` (base64 of 70 characters or more is cut into lines of 70, each ending in a
newline, as kustomize writes it), and ``type`` defaults to ``Opaque``. ``options`` (``labels``,
``annotations``, ``disableNameSuffixHash``, ``immutable``) are merged with the
kustomization's ``generatorOptions`` (a key in both: the entry's value wins; a true flag in
either is true). Unless the hash is disabled the resource is marked ``needs_hash``, and
:mod:`.hashing` appends the content hash at the end of the build.

``behavior`` (``create``, the default, ``merge`` or ``replace``) says what happens when a
resource with the same kind, name and namespace already exists (matching any name it has had,
so an overlay names a base's generator by its unprefixed name): ``merge`` keeps the old data
and adds/overrides the new, ``replace`` keeps only the new; both keep the old resource's name,
namespace and place in the list, merge labels and annotations (new wins), and get a content
hash only if both generators want one.
"""

from __future__ import annotations

import base64
import posixpath
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import ComposeError, KustomizationError
from ..resource import Resource
from ._common import affixes

__all__ = ["generate", "parse_env", "parse_literal", "parse_file_source", "encode_base64"]

_BOM = b"\xef\xbb\xbf"


def parse_literal(source: str) -> tuple[str, str]:
    """``"KEY=VALUE"`` -> ``("KEY", "VALUE")``, one pair of surrounding quotes removed.

    >>> parse_literal("B='x=y'")
    ('B', 'x=y')
    """
    if not isinstance(source, str) or "=" not in source or source.startswith("="):
        raise KustomizationError(f"invalid literal source {source}, expected key=value")
    key, value = source.split("=", 1)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key, value


def parse_file_source(source: str) -> tuple[str, str]:
    """``"path"`` -> (base name, path); ``"key=path"`` -> (key, path).

    >>> parse_file_source("conf/app.ini"), parse_file_source("k=conf/app.ini")
    (('app.ini', 'conf/app.ini'), ('k', 'conf/app.ini'))
    """
    if "=" not in source:
        return posixpath.basename(source.rstrip("/")) or source, source
    if source.startswith("="):
        raise KustomizationError(f"missing key name for file path {source[1:]!r} in source {source!r}")
    key, path = source.split("=", 1)
    if "=" in path:
        raise KustomizationError(f"source {source!r} key name or file path contains '='")
    if not path:
        raise KustomizationError(f"missing file path for key name {key!r} in source {source!r}")
    return key, path


def parse_env(content: bytes) -> list[tuple[str, str]]:
    """The ``KEY=VALUE`` pairs of an env file, as kustomize reads them.

    >>> parse_env(b"# c\\n\\n  A=1\\nB=\\"q\\"\\nC\\n")
    [('A', '1'), ('B', '"q"'), ('C', '')]
    """
    pairs: list[tuple[str, str]] = []
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if number == 0 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise KustomizationError(f"line {number + 1} has invalid utf8 bytes") from None
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        pairs.append((key, value if sep else ""))
    return pairs


def _options(entry: Mapping[str, Any], global_opts: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge an entry's options with generatorOptions (MergeGlobalOptionsIntoLocal)."""
    local = dict(entry.get("options") or {})
    glob = dict(global_opts or {})
    labels = {**(glob.get("labels") or {}), **(local.get("labels") or {})}
    annotations = {**(glob.get("annotations") or {}), **(local.get("annotations") or {})}
    return {
        "labels": labels,
        "annotations": annotations,
        "disableNameSuffixHash": bool(local.get("disableNameSuffixHash") or glob.get("disableNameSuffixHash")),
        "immutable": bool(local.get("immutable") or glob.get("immutable")),
    }


def _pairs(
    entry: Mapping[str, Any], kind: str, read_file: Callable[[str], bytes]
) -> list[tuple[str, bytes | str]]:
    out: list[tuple[str, bytes | str]] = []
    envs = list(entry.get("envs") or [])
    if entry.get("env"):
        envs.append(entry["env"])
    for env in envs:
        out.extend(parse_env(read_file(str(env))))
    for literal in entry.get("literals") or []:
        out.append(parse_literal(literal))
    for source in entry.get("files") or []:
        key, path = parse_file_source(str(source))
        out.append((key, read_file(path)))
    return out


def encode_base64(value: bytes | str) -> str:
    """Base64 as kustomize writes it: 70-character lines, each ending in a newline, once the
    encoding is 70 characters or longer (kyaml's encodeBase64).

    >>> encode_base64("hi"), encode_base64("x" * 54)[-6:]
    ('aGk=', 'eH\\nh4\\n')
    """
    raw = value.encode("utf-8") if isinstance(value, str) else value
    text = base64.b64encode(raw).decode("ascii")
    if len(text) < 70:
        return text
    return "".join(text[i : i + 70] + "\n" for i in range(0, len(text), 70))


def _make(
    entry: Mapping[str, Any], kind: str, global_opts: Mapping[str, Any] | None, read_file: Callable[[str], bytes]
) -> Resource:
    name = entry.get("name")
    if not name:
        raise KustomizationError(f"a {kind.lower()} must have a name")
    name = str(name)
    data: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
    if entry.get("namespace"):
        data["metadata"]["namespace"] = str(entry["namespace"])
    if kind == "Secret":
        data["type"] = str(entry.get("type") or "Opaque")
    seen: dict[str, bool] = {}
    text: dict[str, str] = {}
    binary: dict[str, str] = {}
    for key, value in _pairs(entry, kind, read_file):
        if key in seen:
            raise KustomizationError(f"configmap {name} illegally repeats the key `{key}`")
        seen[key] = True
        if kind == "Secret":
            text[key] = encode_base64(value)
        elif isinstance(value, bytes):
            try:
                text[key] = value.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = encode_base64(value)
        else:
            text[key] = value
    if kind == "Secret" or text:
        data["data"] = text
    if binary:
        data["binaryData"] = binary
    opts = _options(entry, global_opts)
    if opts["labels"]:
        data["metadata"]["labels"] = {str(k): str(v) for k, v in opts["labels"].items()}
    if opts["annotations"]:
        data["metadata"]["annotations"] = {str(k): str(v) for k, v in opts["annotations"].items()}
    if opts["immutable"]:
        data["immutable"] = True
    behavior = str(entry.get("behavior") or "create")
    return Resource(data=data, needs_hash=not opts["disableNameSuffixHash"], generator_behavior=behavior)


def _same_id(a: Any, b: Any) -> bool:
    return (
        (a.group, a.version, a.kind, a.name) == (b.group, b.version, b.kind, b.name)
        and (a.namespace or "default") == (b.namespace or "default")
    )


def _absorb(out: list[Resource], new: Resource) -> None:
    """Add ``new`` to ``out`` by its behavior (kustomize's appendReplaceOrMerge)."""
    new_id = new.id
    matches = [i for i, r in enumerate(out) if any(_same_id(new_id, rid) for rid in r.all_ids())]
    behavior = new.generator_behavior
    if not matches:
        if behavior in ("merge", "replace"):
            raise KustomizationError(f"id {new_id} does not exist; cannot merge or replace")
        out.append(new)
        return
    if len(matches) > 1:
        ids = ", ".join(str(out[i].id) for i in matches)
        raise KustomizationError(f"found multiple objects {ids} that could accept merge of {new_id}")
    index = matches[0]
    old = out[index]
    if behavior not in ("merge", "replace"):
        raise KustomizationError(f"id {new_id} exists; behavior must be merge or replace")
    merged = new.data
    old_md = old.data.get("metadata") if isinstance(old.data.get("metadata"), dict) else {}
    md = merged["metadata"]
    for field in ("labels", "annotations"):
        combined = {**(old_md.get(field) or {}), **(md.get(field) or {})}
        if combined:
            md[field] = combined
        else:
            md.pop(field, None)
    md["name"] = old.name
    if old.namespace:
        md["namespace"] = old.namespace
    else:
        md.pop("namespace", None)
    if behavior == "merge":
        for field in ("data", "binaryData"):
            combined = {**(old.data.get(field) or {}), **(merged.get(field) or {})}
            if combined or field in merged or field in old.data:
                merged[field] = combined
    replacement = Resource(
        data=merged,
        file=old.file,
        doc_index=old.doc_index,
        locations=old.locations,
        previous=list(old.previous),
        # Observed in kustomize v5.5: the name gets a hash only if both the old and the new
        # generator want one (disableNameSuffixHash on either side wins).
        needs_hash=old.needs_hash and new.needs_hash,
        generator_behavior=old.generator_behavior,
    )
    for which in ("prefix", "suffix"):
        affixes(replacement, which).extend(affixes(old, which))
    if behavior == "merge" and getattr(old, "build_origin", None) is not None:
        # buildMetadata: a merged resource keeps its origin, a replaced one takes the new one's.
        replacement.build_origin = old.build_origin  # type: ignore[attr-defined]
    out[index] = replacement


def generate(
    kustomization: Mapping[str, Any],
    root: Path,
    *,
    file: str,
    existing: Sequence[Resource],
    read_file: Callable[[str], bytes],
) -> list[Resource]:
    """Run a kustomization's configMapGenerator and secretGenerator entries.

    Args:
        kustomization: the parsed kustomization (``configMapGenerator``, ``secretGenerator``,
            ``generatorOptions`` are read).
        root: the kustomization's directory (file paths are relative to it; reading goes
            through ``read_file``).
        file: the kustomization file, named in errors.
        existing: the resources accumulated so far (not changed).
        read_file: reads a path relative to ``root`` as bytes, enforcing the load
            restrictor; it raises the errors for missing or forbidden files.

    Returns:
        ``existing`` with merged/replaced resources swapped in place, then the new ones.

    Raises:
        KustomizationError: bad literal or file source, repeated key, missing name, or a
            behavior that does not fit what exists.
    """
    out = list(existing)
    global_opts = kustomization.get("generatorOptions")
    for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for index, entry in enumerate(kustomization.get(field) or []):
            path = (field, index)
            try:
                if not isinstance(entry, Mapping):
                    raise KustomizationError(f"each {field} entry must be a map")
                _absorb(out, _make(entry, kind, global_opts, read_file))
            except ComposeError as exc:
                raise exc.with_context(file=file, path=path, step="generate")
    return out
