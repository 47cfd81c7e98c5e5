"""Linear-time regular expressions for patterns that meet untrusted text.

Two kinds of pattern in compose are matched against text an attacker (or a careless flow
author) controls:

* Kustomize patch ``target`` fields (``name``, ``namespace``, ``kind``, ``group``,
  ``version``). Kustomize compiles them with Go's ``regexp`` package as
  ``^(?:PATTERN)$``; Go's engine is RE2, which runs in time linear in the text.
* Spec-author parameter ``pattern``\\ s (JSON Schema ``pattern``), matched against metadata
  values.

Python's :mod:`re` backtracks: ``(a+)+`` against 30 ``a`` and a ``!`` takes minutes. So both
kinds are compiled with RE2 (the ``google-re2`` binding, imported on first use only) and
matched as a whole (:meth:`LinearPattern.fullmatch`). A third kind, the ``[k=v]`` parts of
Kustomize replacement target field paths, is matched unanchored, as Go's ``MatchString``
(:meth:`LinearPattern.search`). RE2's syntax is Go's: no
backreferences and no lookaround; a pattern that uses them is refused with the reason.

Repetition counts are checked as Go checks them: a count over 1000 (``a{4294967296}``) is an
error (RE2's C++ parser would read such a brace as literal text). A pattern made only of
literal characters (``my-job``, ``Job``, ``v1``) is compared as text without loading RE2.

>>> compile_linear("flow-(a|b)+").fullmatch("flow-abba")
True
>>> compile_linear("(a+)+").fullmatch("a" * 100_000 + "!") is None
True
>>> try:
...     compile_linear("a{4294967296}")
... except RegexError as exc:
...     print(exc)
invalid repeat count {4294967296}: at most 1000
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["RegexError", "LinearPattern", "compile_linear", "MAX_REPEAT", "MAX_PATTERN_LENGTH"]

#: The largest repetition count (``{n}``, ``{n,m}``), as in Go's regexp and RE2.
MAX_REPEAT = 1000
#: The longest pattern compiled, in characters.
MAX_PATTERN_LENGTH = 10_000
# RE2's memory budget for one compiled pattern (its default is 8 MiB).
_MAX_MEM = 8 << 20

# Characters with a meaning in RE2 syntax; a pattern free of them is literal text.
_META = frozenset("\\.+*?()|[]{}^$")
_REPEAT = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")

_re2: Any = None
_options: Any = None


class RegexError(ValueError):
    """A pattern is not a valid linear-time (RE2) regular expression."""


def _engine() -> tuple[Any, Any]:
    # No lock (threading is not imported on the click-free build path): two threads racing
    # here import the module once (the import lock) and make equal Options; either is fine.
    global _re2, _options
    if _re2 is None:
        import re2  # the google-re2 binding: ~2-7 ms, paid only by builds with real patterns

        options = re2.Options()
        options.log_errors = False  # RE2 would print its own message on stderr
        options.max_mem = _MAX_MEM
        _options = options
        _re2 = re2
    return _re2, _options


class LinearPattern:
    """A compiled pattern that matches in time linear in the text.

    Attributes:
        pattern: the pattern as written.
    """

    __slots__ = ("pattern", "_literal", "_compiled")

    def __init__(self, pattern: str, literal: str | None, compiled: Any) -> None:
        self.pattern = pattern
        self._literal = literal
        self._compiled = compiled

    def fullmatch(self, text: str) -> bool | None:
        """True when the whole of ``text`` matches, else None.

        None rather than False, so that code written for :mod:`re` (``p.fullmatch(t) is
        None``) reads the same with either engine.
        """
        if self._literal is not None:
            return True if text == self._literal else None
        return True if self._compiled.fullmatch(text) is not None else None

    def search(self, text: str) -> bool | None:
        """True when the pattern matches somewhere in ``text`` (Go's ``MatchString``), else None.

        >>> compile_linear("main").search("xmainly"), compile_linear("^ma.x$").search("ma-x")
        (True, True)
        >>> compile_linear("^main$").search("main\\n") is None   # $ is the end of the text, as in Go
        True
        """
        if self._literal is not None:
            return True if self._literal in text else None
        return True if self._compiled.search(text) is not None else None

    def __repr__(self) -> str:
        return f"LinearPattern({self.pattern!r})"


def _check_repeats(pattern: str) -> None:
    """Refuse repetition counts over MAX_REPEAT, skipping escapes and character classes."""
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            i += 1
            continue
        if c == "[":
            in_class = True
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":  # a leading ] is a literal member
                i += 1
            continue
        if c == "{":
            m = _REPEAT.match(pattern, i)
            if m is not None:
                lo, comma, hi = m.group(1), m.group(2), m.group(3)
                too_big = len(lo) > 4 or int(lo) > MAX_REPEAT or bool(hi) and (len(hi) > 4 or int(hi) > MAX_REPEAT)
                if too_big:
                    raise RegexError(f"invalid repeat count {m.group(0)}: at most {MAX_REPEAT}")
                if comma and hi and int(hi) < int(lo):
                    raise RegexError(f"invalid repeat count {m.group(0)}: the maximum is below the minimum")
                i = m.end()
                continue
        i += 1


def compile_linear(pattern: str) -> LinearPattern:
    """Compile ``pattern`` (RE2 / Go syntax) for whole-text matching.

    Raises:
        RegexError: the pattern is too long, has a repeat count over 1000, uses syntax RE2
            does not have (backreferences, lookaround), or is otherwise invalid.
    """
    if not isinstance(pattern, str):
        raise RegexError(f"a pattern must be a string, got {type(pattern).__name__}")
    return _compile(pattern)


@lru_cache(maxsize=512)
def _compile(pattern: str) -> LinearPattern:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"the pattern is too long ({len(pattern)} characters; at most {MAX_PATTERN_LENGTH})")
    if not any(c in _META for c in pattern):
        return LinearPattern(pattern, pattern, None)
    _check_repeats(pattern)
    re2, options = _engine()
    try:
        compiled = re2.compile(pattern, options)
    except Exception as exc:  # re2.error carries RE2's reason as bytes
        raw = exc.args[0] if exc.args else exc
        reason = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        hint = " (patterns use RE2 syntax: no backreferences or lookaround)" if "perl" in reason or "escape" in reason else ""
        raise RegexError(f"{reason}{hint}") from None
    return LinearPattern(pattern, None, compiled)
