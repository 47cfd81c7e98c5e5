"""A fast writer for the common shape of Kubernetes manifests, byte-identical to
:func:`compose.yamlio.dump_yaml` (PyYAML's representer and libyaml's emitter, as configured
there) on what it accepts, and declining the rest.

PyYAML spends most of a large dump in its pure-Python representer (one node object, a
resolver call and an alias check per value). Manifests are plain trees of maps with string
keys, lists, strings, numbers, booleans and nulls, and almost every string is written plain,
double-quoted (one that would read back as another type), single-quoted (an indicator such as
``: `` or a leading ``*``) or as a literal block (``|``, several lines): this module writes
those directly. Whenever a value needs anything it does not model (a key that is not a
string or is 128 characters or longer, a control character, a string that needs escapes, a
literal block ending in several line breaks, a scalar document), :func:`dump` returns None
and the caller uses PyYAML, so the output never changes. ``tests/test_yamlemit.py`` compares
the two writers on generated documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["dump"]


class _Decline(Exception):
    """The value needs PyYAML."""


# Printable for libyaml with unicode output allowed (its IS_PRINTABLE: no line breaks, tab,
# BOM, nor anything beyond U+FFFD, which libyaml escapes; U+2028/2029 are line breaks): written as they are in every style
# used here.
_UNSAFE_PATTERN = "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]"
_ASCII_UNSAFE = re.compile("[^\x20-\x7e]")
_unicode_unsafe: re.Pattern[str] | None = None  # compiled on first use: about 4 ms


def _unsafe(s: str) -> bool:
    """Whether ``s`` holds a character written differently than as itself (or a line break)."""
    global _unicode_unsafe
    if s.isascii():
        return _ASCII_UNSAFE.search(s) is not None
    if _unicode_unsafe is None:
        _unicode_unsafe = re.compile(_UNSAFE_PATTERN)
    return _unicode_unsafe.search(s) is not None
_LEADING_INDICATOR = set("#,[]{}&*!|>'\"%@`")


def _plain_allowed(s: str) -> bool:
    """libyaml's analysis allows a plain block scalar (``s`` single-line, no unsafe chars)."""
    first = s[0]
    if first in _LEADING_INDICATOR:
        return False
    if first in "?:-" and (len(s) == 1 or s[1] == " "):
        return False
    if s.startswith(("---", "...")):
        return False
    if s[0] == " " or s[-1] == " " or s[-1] == ":":
        return False
    return ": " not in s and " #" not in s


# First characters after which no check below can find anything: not an indicator, a space,
# or the start of anything either YAML reader (compose's, PyYAML's) resolves to another type.
_RISKY_FIRST = frozenset("#,[]{}&*!|>'\"%@`?:- yYnNtTfFoO+0123456789.<~=")


class _Writer:
    def __init__(self, ambiguous: Callable[[str], bool], implicit_str: Callable[[str], bool],
                 float_text: Callable[[float], str], resolver_firsts: frozenset[str]) -> None:
        self.risky = _RISKY_FIRST | resolver_firsts
        self.ambiguous = ambiguous
        self.implicit_str = implicit_str
        self.float_text = float_text
        self.out: list[str] = []

    # -- scalars -------------------------------------------------------------------------------
    def inline_str(self, s: str, key: bool) -> str:
        """A single-line string as written after ``key: `` or ``- `` (or as a key)."""
        if (
            s
            and s[0] not in self.risky
            and s[-1] not in " :"
            and ": " not in s
            and " #" not in s
            and not _unsafe(s)
        ):
            return s  # the common case: plain, and read back as this string by every reader
        if _unsafe(s):
            raise _Decline
        if self.ambiguous(s):
            if '"' in s or "\\" in s:
                raise _Decline
            return f'"{s}"'
        if self.implicit_str(s) and _plain_allowed(s):
            return s
        # Not plain: PyYAML's resolver would read it as another type (``0b101``, ``*``), or an
        # indicator forbids it; a single line of safe characters is then single-quoted.
        if key and len(s) >= 128:
            raise _Decline
        return "'" + s.replace("'", "''") + "'"

    def scalar(self, value: Any) -> str:
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        t = type(value)
        if t is int:
            return str(value)
        if t is float:
            text = self.float_text(value)
            if "." not in text:
                raise _Decline  # 1e+20: PyYAML tags what its resolver would not read as a float
            return text
        raise _Decline

    # -- block literals --------------------------------------------------------------------------
    def literal(self, s: str, indent: int) -> str:
        """``|`` block text (header, then lines at ``indent``), as libyaml writes it."""
        if _unsafe(s.replace("\n", "")):
            raise _Decline
        lines = s.split("\n")
        if any(line.endswith(" ") for line in lines):
            raise _Decline  # the representer picks another style
        if s.endswith("\n\n") or s == "\n":
            raise _Decline  # keep chomping ("|+") makes libyaml end the document with "..."
        header = "|"
        if s[0] in " \n":
            header += "2"
        if not s.endswith("\n"):
            header += "-"
        else:
            lines.pop()
        pad = " " * indent
        return header + "\n" + "".join((pad + line if line else "") + "\n" for line in lines)

    # -- collections -------------------------------------------------------------------------------
    def value_after_key(self, value: Any, indent: int) -> None:
        """Write ``value`` following ``key:`` (no space written yet) at block ``indent``."""
        out = self.out
        t = type(value)
        if t is str:
            if "\n" in value:
                out.append(" " + self.literal(value, indent + 2))
            else:
                out.append(" " + self.inline_str(value, False) + "\n")
        elif t is dict:
            if not value:
                out.append(" {}\n")
            else:
                out.append("\n")
                self.mapping(value, indent + 2)
        elif t is list:
            if not value:
                out.append(" []\n")
            else:
                out.append("\n")
                self.sequence(value, indent)  # indentless, as PyYAML writes lists in maps
        else:
            out.append(" " + self.scalar(value) + "\n")

    def mapping(self, data: dict[Any, Any], indent: int, first_inline: bool = False) -> None:
        pad = " " * indent
        keys = list(data)
        for k in keys:
            if type(k) is not str:
                raise _Decline
        keys.sort()
        out = self.out
        for i, k in enumerate(keys):
            if "\n" in k or not k:
                raise _Decline
            text = self.inline_str(k, True)
            if len(k) >= 128:
                raise _Decline
            out.append((text if first_inline and i == 0 else pad + text) + ":")
            self.value_after_key(data[k], indent)

    def sequence(self, items: list[Any], indent: int) -> None:
        pad = " " * indent
        out = self.out
        for item in items:
            t = type(item)
            if t is str:
                if "\n" in item:
                    out.append(pad + "- " + self.literal(item, indent + 2))
                else:
                    out.append(pad + "- " + self.inline_str(item, False) + "\n")
            elif t is dict:
                if not item:
                    out.append(pad + "- {}\n")
                else:
                    out.append(pad + "- ")
                    self.mapping(item, indent + 2, first_inline=True)
            elif t is list:
                if not item:
                    out.append(pad + "- []\n")
                else:
                    out.append(pad + "- ")
                    self.nested_sequence(item, indent + 2)
            else:
                out.append(pad + "- " + self.scalar(item) + "\n")

    def nested_sequence(self, items: list[Any], indent: int) -> None:
        # The first item follows the parent's "- " on the same line.
        start = len(self.out)
        self.sequence(items, indent)
        first = self.out[start]
        self.out[start] = first[indent:]


def dump(data: Any, ambiguous: Callable[[str], bool], implicit_str: Callable[[str], bool],
         float_text: Callable[[float], str], resolver_firsts: frozenset[str]) -> str | None:
    """``data`` (a mapping) as :func:`compose.yamlio.dump_yaml` writes it, or None to decline.

    Args:
        data: the document.
        ambiguous: whether a string written plain would read back as another type.
        implicit_str: whether PyYAML's resolver reads a plain string as a string.
        float_text: how a float is written.
        resolver_firsts: the first characters PyYAML's implicit resolvers look at.
    """
    if type(data) is not dict or not data:
        return None
    writer = _Writer(ambiguous, implicit_str, float_text, resolver_firsts)
    try:
        writer.mapping(data, 0)
    except (_Decline, RecursionError):
        return None
    return "".join(writer.out)
