"""The files a spec repo reads, and the one load restrictor they all pass.

Kustomize refuses to read a file whose real path (symlinks resolved) is not in or below the
kustomization's root (``LoadRestrictionsRootOnly``). A spec repo applies the same rule with
the repo's directory as the root, to **every** file it reads: ``compose.yaml``, the bases'
and overlays' kustomization files and the resources, patches and generator sources they
name, the ECS base's ``task-definition.yaml`` / ``run-task.yaml`` and each overlay's
``ecs.yaml``. A symlink that leads out of the repo, or into a loop, is an error naming the
file (and, for a kustomization entry, its line); nothing outside the repo is opened.

Only files that are used are read. An overlay's Kubernetes part is the files its
kustomization names (followed as ``kubectl kustomize`` follows them: resources, directories
with their own kustomization, components, patches, generator sources); its ECS part is
``ecs.yaml``; an ECS base directory's files are the two it defines. Other files in those
directories (notes, drafts, a stray ``secrets.yaml``) are never opened.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "kustomization.yaml").write_text("kind: Component\\npatches: [{path: p.yaml}]\\n")
>>> _ = (d / "p.yaml").write_text("kind: Job\\n")
>>> _ = (d / "notes.yaml").write_text("never read\\n")
>>> [(f.real.name, f.kind) for f in RepoFiles(d).kustomization_files(d)]
[('kustomization.yaml', 'yaml'), ('p.yaml', 'yaml')]
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compose.errors import ComposeError, Problem, SpecError

__all__ = ["RepoFiles", "UsedFile", "GENERATOR_FIELDS"]

#: Kustomization fields whose entries take content from files (not YAML to parse).
GENERATOR_FIELDS = ("configMapGenerator", "secretGenerator")
_REMOTE = ("http://", "https://", "git@", "git::", "ssh://", "github.com/", "gitlab.com/", "bitbucket.org/", "file://")


@dataclass(frozen=True)
class UsedFile:
    """One file a spec repo reads.

    Attributes:
        real: its real path (inside the repo).
        shown: how messages name it (as the user named the repo).
        kind: ``"yaml"`` (a kustomization, resource or patch: parsed), ``"generator"``
            (content for a ConfigMap or Secret: not parsed).
        generator: for ``"generator"`` files, ``(kustomization shown, field path of the
            generator entry)``.
    """

    real: Path
    shown: str
    kind: str = "yaml"
    generator: tuple[str, tuple[Any, ...]] | None = None


class RepoFiles:
    """The load restrictor of one spec repo (the repo's directory is the root)."""

    def __init__(self, root: Path, shown_root: Path | None = None) -> None:
        self.root = Path(os.path.realpath(root))
        self.shown_root = shown_root if shown_root is not None else Path(root)
        self.problems: list[Problem] = []
        self._walked: set[Path] = set()  # each directory once: a diamond of references is not a tree

    # -- the restrictor ----------------------------------------------------------------------------

    def display(self, real: Path) -> str:
        """``real`` as the user named the repo: ``myrepo/overlays/gpu/patch.yaml``."""
        try:
            return str(self.shown_root / real.relative_to(self.root))
        except ValueError:
            return str(real)

    def resolve(self, path: Path | str, shown: str) -> Path:
        """The real path of ``path``, which must exist inside the repo.

        Raises:
            SpecError: ``path`` is missing, is (or passes through) a symlink loop, or resolves
                outside the repo.
        """
        try:
            real = Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:
            raise SpecError(f"{shown} does not exist", file=shown, step="load") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise SpecError(f"{shown} is a symlink loop", file=shown, step="load") from None
            raise SpecError(f"cannot resolve {shown}: {exc.strerror}", file=shown, step="load") from None
        if real != self.root and self.root not in real.parents:
            lexical = Path(os.path.normpath(os.path.join(self.root, path)))
            how = " through a symlink" if lexical == self.root or self.root in lexical.parents else ""
            raise SpecError(
                f"{shown} leads outside the spec repo ({self.shown_root}){how}: "
                "every file a spec repo reads must be in it",
                file=shown, step="load",
            )
        return real

    def lookup(self, rel: str) -> Path:
        """``rel`` (relative to the root, as compose.yaml writes paths) resolved and checked.

        Raises:
            SpecError: ``'rel' is outside the spec repo`` (by its name), ``'rel' does not
                exist``, or the errors of :meth:`resolve` (a symlink out, a loop).
        """
        joined = os.path.normpath(os.path.join(self.root, rel))
        if joined != str(self.root) and not joined.startswith(str(self.root) + os.sep):
            raise SpecError(f"{rel!r} is outside the spec repo", step="load")
        if not os.path.lexists(joined):
            raise SpecError(f"{rel!r} does not exist", step="load")
        return self.resolve(joined, rel)

    # -- what a kustomization uses ---------------------------------------------------------------

    def kustomization_files(self, directory: Path) -> list[UsedFile]:
        """The files the kustomization (or Component) in ``directory`` uses, itself first.

        Problems (an unreadable kustomization, an entry outside the repo or in a symlink loop)
        are collected in :attr:`problems`; what can be read is returned.
        """
        out: list[UsedFile] = []
        self._walk(Path(directory), [], out)
        seen: set[Path] = set()
        unique = []
        for f in out:
            if f.real not in seen:
                seen.add(f.real)
                unique.append(f)
        return unique

    def _problem(self, exc: ComposeError) -> None:
        self.problems.append(Problem(exc.message, file=exc.file, line=exc.line))

    def _walk(self, directory: Path, chain: list[Path], out: list[UsedFile]) -> None:
        from compose.kustomize.loader import find_kustomization_file, load_kustomization

        try:
            real_dir = self.resolve(directory, self.display(Path(os.path.abspath(directory))))
        except ComposeError as exc:
            self._problem(exc)
            return
        if real_dir in chain or real_dir in self._walked:
            return  # a cycle (the build reports it with the whole chain), or walked already
        self._walked.add(real_dir)
        shown_dir = self.display(real_dir)
        try:
            kfile = find_kustomization_file(real_dir, shown_dir)
            real_kfile = self.resolve(kfile, os.path.join(shown_dir, kfile.name))
            if real_dir not in real_kfile.parents:
                raise SpecError(
                    f"{os.path.join(shown_dir, kfile.name)} is a symlink to a file outside its directory "
                    "(Kustomize refuses it: files must be in or below the kustomization's directory)",
                    file=os.path.join(shown_dir, kfile.name), step="load",
                )
            k = load_kustomization(real_dir, shown_dir)
        except ComposeError as exc:
            self._problem(exc)
            return
        out.append(UsedFile(real_kfile, k.file))
        chain = chain + [real_dir]

        def entry_path(rel: str, field_path: tuple[Any, ...]) -> Path | None:
            shown = os.path.normpath(os.path.join(shown_dir, rel))
            try:
                return self.resolve(real_dir / rel, shown)
            except SpecError as exc:
                self.problems.append(Problem(exc.message, file=k.file, line=k.line_of(field_path)))
                return None

        for entry, field_path in k.resources:
            if entry.startswith(_REMOTE) or "://" in entry:
                continue  # refused by the build, with its reason
            real = entry_path(entry, field_path)
            if real is None:
                continue
            if real.is_dir():
                self._walk(real, chain, out)
            else:
                out.append(UsedFile(real, self.display(real)))
        for entry, field_path in k.components:
            real = entry_path(entry, field_path)
            if real is not None and real.is_dir():
                self._walk(real, chain, out)
        for spec in [*k.patches, *k.patches_json6902]:
            if spec.path:
                real = entry_path(spec.path, spec.field_path + ("path",))
                if real is not None:
                    out.append(UsedFile(real, self.display(real)))
        for spec in k.patches_strategic_merge:
            raw = spec.patch or ""
            if not _inline_patch(raw, k.file):  # as the build decides: else a file name
                real = entry_path(raw.strip(), spec.field_path)
                if real is not None:
                    out.append(UsedFile(real, self.display(real)))
        for field in GENERATOR_FIELDS:
            for i, entry in enumerate(k.data.get(field) or []):
                if not isinstance(entry, dict):
                    continue
                sources = [(s.split("=", 1)[-1], "files") for s in entry.get("files") or [] if isinstance(s, str)]
                sources += [(s, "envs") for s in entry.get("envs") or [] if isinstance(s, str)]
                contents: list[str] = [s for s in entry.get("literals") or [] if isinstance(s, str)]
                for rel, key in sources:
                    real = entry_path(rel, (field, i, key))
                    if real is not None and real.is_file():
                        out.append(UsedFile(real, self.display(real), "generator", (k.file, (field, i))))
                        contents.append(_text_of(real, self.display(real)))
                self._check_generated(k, field, i, entry, contents)

    def _check_generated(self, k: Any, field: str, index: int, entry: dict[str, Any], contents: list[str]) -> None:
        """Placeholders in generated content: refused where they would give a wrong spec.

        A ConfigMap's name gets a hash of its content when the build runs, before placeholders
        are substituted per run: two runs with different values would get one name (and the
        cluster's object would keep the first run's content). A Secret's content is base64,
        where a placeholder is never found at all.
        """
        from .placeholders import find_placeholders

        names = sorted({u.name for text in contents if "${" in text for u in find_placeholders(text)[0]})
        if not names:
            return
        shown = ", ".join("${" + n + "}" for n in names)
        line = k.line_of((field, index))
        if field == "secretGenerator":
            message = (
                f"secretGenerator {entry.get('name', '')!r}: placeholders ({shown}) are not substituted in "
                "Secret content (it is base64-encoded when generated); reference a Secret that exists, "
                "or set the value in the Job (env) instead"
            )
        else:
            options = {**(k.data.get("generatorOptions") or {}), **(entry.get("options") or {})}
            if options.get("disableNameSuffixHash") is True:
                return  # no content hash: substituting after generation is right
            message = (
                f"configMapGenerator {entry.get('name', '')!r}: placeholders ({shown}) in generated content "
                "would be substituted after the name's content hash is computed, so runs with different "
                "values would share one ConfigMap name; set options: {disableNameSuffixHash: true} on "
                "this generator, or set the value in the Job (env) instead"
            )
        self.problems.append(Problem(message, file=k.file, line=line))


def _inline_patch(raw: str, file: str) -> bool:
    from compose.yamlio import load_documents

    try:
        docs = load_documents(raw, file)
    except ComposeError:
        return False
    return bool(docs) and all(isinstance(d.data, dict) for d in docs)


def _text_of(real: Path, shown: str) -> str:
    """A generator source's text for the placeholder check ("" when it is not UTF-8 text)."""
    from compose.yamlio import read_bytes

    try:
        return read_bytes(real, shown).decode("utf-8")
    except (ComposeError, UnicodeDecodeError):
        return ""  # binaryData, or an error the build reports
