"""YAML in and out, with source locations.

Reading mirrors what Kustomize (go-yaml v3, YAML 1.2 core schema) reads, not PyYAML's YAML 1.1:
``yes``/``no``/``on``/``off``/``y``/``n`` stay strings, timestamps stay strings, ``=`` is a
string, while ``0755`` is octal (493) as Kustomize reads it. Duplicate keys are an error.

Every parsed document comes with a side table mapping a field path (a tuple of keys and list
indexes) to the 1-based ``(line, column)`` where its value starts, so that errors and
``compose explain`` can name the file and line without putting anything inside the data.
Two more side tables keep what the plain data cannot show and a Kustomize patch step needs
(kyaml keeps the style of a value it overwrites, see compose/merge/kyaml.py): the paths of
scalars written quoted or as a block (``quoted``), and the source text of plain scalars read
as numbers or booleans (``plain_texts``: ``2.50``, ``0755``, ``True``).

Writing produces Kustomize-style YAML: keys sorted, sequences not indented under their key,
strings that would read back as another type double-quoted, multi-line strings as literal
blocks.

>>> docs = load_documents("a: 1\\nb: [x, 'y']\\n", "f.yaml")
>>> docs[0].data, docs[0].line_of(("b", 1))
({'a': 1, 'b': ['x', 'y']}, 2)
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator
from ._record import field
from ._record import record as dataclass
from pathlib import Path
from typing import Any

import yaml

from . import limits as _limits
from .errors import OutputError, YAMLSyntaxError

__all__ = [
    "Document",
    "load_documents",
    "load_file",
    "load_single",
    "read_bytes",
    "read_text",
    "dump_yaml",
    "dump_documents",
    "dump_json",
    "check_output",
    "scalar_is_ambiguous",
    "count_values",
]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

Path_ = tuple[Any, ...]


@dataclass
class Document:
    """One parsed YAML document.

    Attributes:
        data: the plain value (dicts, lists, str, int, float, bool, None).
        file: the file it came from (as given to the loader).
        locations: field path -> (line, column) of the value, both 1-based.
        index: position of the document in its file (0-based).
        quoted: paths of the scalars written quoted (``'a'``, ``"a"``) or as a block (``|``, ``>``).
        plain_texts: path -> source text of each plain scalar read as a number or boolean.
        keys: field path -> (line, column, plain) of its key (``plain``: written unquoted);
            filled only when the loader is asked (``keys=True``).
    """

    data: Any
    file: str
    locations: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    index: int = 0
    quoted: set[Path_] = field(default_factory=set)
    plain_texts: dict[Path_, str] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int, bool]] = field(default_factory=dict)

    def line_of(self, path: Iterable[Any]) -> int | None:
        """Line of the value at ``path``, or of its nearest located ancestor."""
        p = tuple(path)
        while True:
            loc = self.locations.get(p)
            if loc is not None:
                return loc[0]
            if not p:
                return None
            p = p[:-1]


# --- scalar resolution (YAML 1.2 core schema, as go-yaml v3 reads untyped values) -----------

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT_DEC = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_INT_OCT_LEGACY = re.compile(r"^[-+]?0[0-7]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")


#: Python refuses to turn longer digit strings into integers (and back), see
#: ``sys.get_int_max_str_digits``; Go's YAML readers would not keep them exact either.
_MAX_INT_DIGITS = 4300
_TOO_MANY_DIGITS: Any = object()


def _bounded(value: int) -> Any:
    """``value``, or ``_TOO_MANY_DIGITS`` when its decimal form would be too long to write."""
    return _TOO_MANY_DIGITS if value.bit_length() > 14_000 else value


def _resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar (``_TOO_MANY_DIGITS`` for a too long integer)."""
    if text in _NULL:
        return None
    first = text[0]
    if first in "tTfF":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if first in "0123456789-+.":
        if _INT_DEC.match(text):
            if len(text) > _MAX_INT_DIGITS:
                return _TOO_MANY_DIGITS
            return int(text)
        if _INT_OCT_LEGACY.match(text):
            sign = -1 if text[0] == "-" else 1
            return _bounded(sign * int(text.lstrip("+-"), 8))
        if _INT_OCT.match(text):
            return _bounded(int(text[2:], 8))
        if _INT_HEX.match(text):
            return _bounded(int(text[2:], 16))
        if _FLOAT.match(text):
            return float(text)
        if _INF.match(text):
            return -math.inf if text[0] == "-" else math.inf
        if _NAN.match(text):
            return math.nan
    return text


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BINARY_TAG = "tag:yaml.org,2002:binary"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SET_TAG = "tag:yaml.org,2002:set"


_PLAIN_TAG = "!compose-plain"


class _NoImplicitLoader(_Loader):  # type: ignore[misc, valid-type]
    """A loader that tags untagged plain scalars for us to resolve (PyYAML's rules are YAML 1.1)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)


def _scalar_value(node: yaml.ScalarNode, file: str) -> Any:
    tag = node.tag
    text = node.value
    if tag == _PLAIN_TAG:
        return _checked(_resolve_plain(text), text, file, node)
    if tag == _STR_TAG:
        return text
    if tag == _INT_TAG:
        value = _checked(_resolve_plain(text), text, file, node)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _err(f"cannot read {_short(text)} as an integer", file, node)
    if tag == _FLOAT_TAG:
        value = _checked(_resolve_plain(text), text, file, node)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                raise _err(f"{_short(text)} is out of the range of a 64-bit number", file, node) from None
        raise _err(f"cannot read {_short(text)} as a number", file, node)
    if tag == _BOOL_TAG:
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _err(f"cannot read {_short(text)} as a boolean", file, node)
    if tag == _NULL_TAG:
        return None
    if tag == _BINARY_TAG:
        return _binary(text, file, node)
    if tag == _TIMESTAMP_TAG:
        return _timestamp(text, file, node)
    # Unknown tags (custom ones such as !foo): keep the text, as kustomize keeps the node's value.
    return text


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _checked(value: Any, text: str, file: str, node: Any) -> Any:
    """``value`` (``_resolve_plain(text)``), refused when it cannot be written back as read."""
    if value is _TOO_MANY_DIGITS:
        raise _err(
            f"an integer of more than {_MAX_INT_DIGITS:,} digits cannot be read (quote it if it is a string)",
            file, node)
    if isinstance(value, float) and math.isinf(value) and not _INF.match(text):
        raise _err(f"{_short(text)} is out of the range of a 64-bit number (quote it if it is a string)", file, node)
    return value


def _binary(text: str, file: str, node: Any) -> str:
    """A ``!!binary`` scalar, as kubectl kustomize writes it: the decoded bytes as text."""
    import binascii

    compact = "".join(text.split())
    try:
        raw = binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise _err("a !!binary value is not valid base64", file, node) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _err(
            "a !!binary value that is not UTF-8 text cannot be written to a manifest "
            "(kubectl kustomize writes its raw bytes); use a Secret's data or a ConfigMap's binaryData "
            "with the base64 text as a plain string", file, node) from None


# The forms go-yaml v3 (Kustomize) accepts for !!timestamp: a date; a date, "T" or "t", a time
# and a zone ("Z" or +hh:mm); a date, one space and a time with no zone (UTC).
_TIMESTAMP_PATTERN = (
    r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?(Z|[-+][0-9]{2}:[0-9]{2})"
    r"| ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?)?$"
)


def _timestamp(text: str, file: str, node: Any) -> str:
    """A ``!!timestamp`` scalar as kubectl kustomize writes it: an RFC 3339 string with the
    fraction cut to nanoseconds and its trailing zeros dropped (``2001-12-14t21:59:43.10-05:00``
    becomes ``2001-12-14T21:59:43.1-05:00``; no zone, or +00:00, is ``Z``)."""
    import datetime as dt

    m = re.match(_TIMESTAMP_PATTERN, text.strip())  # compiled on first use (re caches it)
    if m is None:
        raise _err(f"cannot read {_short(text)} as a timestamp (kubectl kustomize reads 2001-12-14, "
                   "2001-12-14T21:59:43.1-05:00 and 2001-12-14 21:59:43.1)", file, node)
    year, month, day, hour, minute, second, frac, zone, hour2, minute2, second2, frac2 = m.groups()
    if hour is None:
        hour, minute, second, frac = hour2, minute2, second2, frac2
    try:
        dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError as exc:
        raise _err(f"cannot read {_short(text)} as a timestamp: {exc}", file, node) from None
    out = f"{int(year):04d}-{int(month):02d}-{int(day):02d}T{int(hour or 0):02d}:{int(minute or 0):02d}:{int(second or 0):02d}"
    digits = (frac or "")[:9].rstrip("0")
    if digits:
        out += "." + digits
    if not zone or zone == "Z" or zone[1:] == "00:00":
        return out + "Z"
    return out + zone


def _err(message: str, file: str, node: Any) -> YAMLSyntaxError:
    mark = node.start_mark
    return YAMLSyntaxError(message, file=file, line=mark.line + 1, column=mark.column + 1, step="parse")


class _Converter:
    """Turns composed nodes into plain values within the budgets of :mod:`compose.limits`.

    Aliases and merge keys are expanded (each use is a copy). Before converting a document,
    :meth:`measure` computes how many values it expands to and how deep it nests, once per
    distinct node, so a billion-laughs document is refused in microseconds, at the line of the
    innermost mapping or list whose expansion overruns ``max_nodes``. While converting, every
    value produced counts again (a second guard). ``where`` is the last mapping or list met for
    the first time (not through an alias): where an overrun found while converting started.
    """

    __slots__ = ("file", "last_key_wins", "max_nodes", "max_depth", "nodes", "seen", "where", "sizes", "quoted",
                 "plain_texts", "keys")

    def __init__(self, file: str, last_key_wins: bool = False) -> None:
        budget = _limits.current()
        self.file = file
        self.last_key_wins = last_key_wins
        self.max_nodes = budget.max_nodes
        self.max_depth = budget.max_depth
        self.nodes = 0
        self.seen: set[int] = set()
        self.where: Any = None
        self.sizes: dict[int, tuple[int, int]] = {}
        self.quoted: set[Path_] = set()  # of the document being converted (with locations only)
        self.plain_texts: dict[Path_, str] = {}
        self.keys: dict[Path_, tuple[int, int, bool]] | None = None

    def too_deep(self, node: Any) -> YAMLSyntaxError:
        return _err(f"nested deeper than {self.max_depth} levels (limit {_limits.ENV['max_depth']}), "
                    "or an alias refers to itself", self.file, node)

    def measure(self, node: Any, depth: int = 0) -> tuple[int, int]:
        """``(values, levels)`` of ``node`` once expanded; raises when over a budget."""
        if isinstance(node, yaml.ScalarNode):
            return 1, 0
        key = id(node)
        known = self.sizes.get(key)
        if known is not None:
            if known[0] < 0 or depth + known[1] > self.max_depth:
                raise self.too_deep(node)
            return known
        if depth >= self.max_depth:
            raise self.too_deep(node)
        self.sizes[key] = (-1, 0)  # in progress: meeting it again means an alias refers to itself
        total, height = 1, 0
        if isinstance(node, yaml.SequenceNode):
            children: Any = node.value
        else:
            children = []
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG or (key_node.tag == _PLAIN_TAG and key_node.value == "<<"):
                    children.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                else:
                    children.append(value_node)
        for child in children:
            size, levels = self.measure(child, depth + 1)
            total += size
            if levels >= height:
                height = levels + 1
            if total > self.max_nodes:
                raise self.over_budget(node, node)
        self.sizes[key] = (total, height)
        return total, height

    def over_budget(self, node: Any, at: Any = None) -> YAMLSyntaxError:
        at = at if at is not None else self.where if self.where is not None else node
        return _err(
            f"more than {self.max_nodes:,} values after expanding YAML aliases and merge keys "
            f"(limit {_limits.ENV['max_nodes']})", self.file, at)

    def convert(self, node: Any, path: Path_, locs: dict[Path_, tuple[int, int]] | None, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.over_budget(node)
        if locs is not None:
            mark = node.start_mark
            locs[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _PLAIN_TAG:  # _scalar_value's first case, inline: most values are plain
                text = node.value
                value = _checked(_resolve_plain(text), text, self.file, node)
                if locs is not None and value.__class__ is not str and value is not None:
                    self.plain_texts[path] = text
                return value
            if locs is not None and node.style:
                self.quoted.add(path)
            return _scalar_value(node, self.file)
        if depth >= self.max_depth:
            raise self.too_deep(node)
        key = id(node)
        if key not in self.seen:
            self.seen.add(key)
            self.where = node
        if isinstance(node, yaml.SequenceNode):
            convert = self.convert
            return [convert(item, path + (i,), locs, depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, locs, depth)
        raise _err(f"unsupported YAML node {type(node).__name__}", self.file, node)

    def mapping(self, node: Any, path: Path_, locs: dict[Path_, tuple[int, int]] | None, depth: int) -> Any:
        if node.tag == _SET_TAG:
            raise _err("a !!set has no form Kubernetes or ECS reads; write a list or a mapping", self.file, node)
        file = self.file
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or (key_node.tag == _PLAIN_TAG and key_node.value == "<<"):
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    value = self.convert(src, path, None, depth + 1)
                    if not isinstance(value, dict):
                        raise _err("a merge key (<<) must refer to a mapping", file, src)
                    for k, v in value.items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _err("mapping keys must be scalars", file, key_node)
            key = _scalar_value(key_node, file)
            if isinstance(key, float) or key is None or isinstance(key, bool):
                key = key_node.value
            if key in out:
                if not self.last_key_wins:
                    raise _err(f"mapping key {_short(str(key))} is already defined", file, key_node)
                del out[key]  # the last wins, in the place it was last written
            if self.keys is not None and locs is not None:
                mark = key_node.start_mark
                self.keys[path + (key,)] = (mark.line + 1, mark.column + 1, not key_node.style)
            out[key] = self.convert(value_node, path + (key,), locs, depth + 1)
        for k, v in merged.items():
            out.setdefault(k, v)
        return out


def _nul_error(text: str, file: str) -> YAMLSyntaxError:
    at = text.index("\x00")
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return YAMLSyntaxError("a NUL character (\\0): YAML text cannot hold one (is this a binary file?)",
                           file=file, line=line, column=column, step="parse")


def load_documents(
    text: str, file: str = "<string>", *, locations: bool = True, last_key_wins: bool = False,
    keys: bool = False,
) -> list[Document]:
    """Parse every document of a YAML (or JSON) stream.

    Empty documents (only comments, or ``---`` alone) are dropped, as Kustomize drops them.
    The text must fit the budgets of :mod:`compose.limits`: ``max_file_bytes`` (counted in
    characters here), ``max_nodes`` values after aliases and merge keys are expanded (for the
    whole stream), ``max_depth`` levels of nesting.

    Args:
        text: the YAML text.
        file: the name used in error messages and in each Document's ``file``.
        locations: whether to record the ``(line, column)`` side table.
        last_key_wins: a key repeated in one mapping replaces the earlier value (as Kustomize
            reads kustomization files) instead of being an error.
        keys: also record where each key is and whether it is quoted (``Document.keys``;
            needs ``locations``).

    Raises:
        YAMLSyntaxError: malformed YAML, a budget exceeded, a NUL character, a number that
            cannot be written back as read (an integer of more than 4,300 digits, ``1e400``),
            a ``!!binary`` value that is not UTF-8 text, a ``!!set``; naming file, line and
            column.
    """
    budget = _limits.current()
    if len(text) > budget.max_file_bytes:
        raise YAMLSyntaxError(
            f"{len(text):,} characters: more than the {budget.max_file_bytes:,} bytes allowed "
            f"(limit {_limits.ENV['max_file_bytes']})", file=file, step="read")
    if "\x00" in text:
        raise _nul_error(text, file)
    docs: list[Document] = []
    try:
        nodes = list(yaml.compose_all(text, Loader=_NoImplicitLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise YAMLSyntaxError(
            f"invalid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            step="parse",
        ) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(f"invalid YAML: {exc}", file=file, step="parse") from None
    except RecursionError:
        raise YAMLSyntaxError(f"nested too deeply (limit {_limits.ENV['max_depth']})", file=file, step="parse") from None
    converter = _Converter(file, last_key_wins)
    try:
        for node in nodes:
            if node is not None and not isinstance(node, yaml.ScalarNode):
                converter.measure(node)
        for index, node in enumerate(nodes):
            if node is None:
                continue
            locs: dict[Path_, tuple[int, int]] | None = {} if locations else None
            converter.quoted, converter.plain_texts = set(), {}
            key_locs: dict[Path_, tuple[int, int, bool]] = {}
            converter.keys = key_locs if keys else None
            data = converter.convert(node, (), locs)
            if data is None:
                continue
            docs.append(Document(data=data, file=file, locations=locs or {}, index=index, quoted=converter.quoted,
                                 plain_texts=converter.plain_texts, keys=key_locs))
    except RecursionError:
        raise YAMLSyntaxError(f"nested too deeply (limit {_limits.ENV['max_depth']})", file=file, step="parse") from None
    return docs


def read_bytes(path: str | Path, display: str | None = None) -> bytes:
    """The bytes of an input file, read within ``max_file_bytes`` (:mod:`compose.limits`).

    Raises:
        YAMLSyntaxError: missing, a directory, unreadable or too large.
    """
    name = display or str(path)
    limit = _limits.current().max_file_bytes
    try:
        # Opened without blocking, so a named pipe nobody writes to reads as empty instead of
        # hanging; then read blocking (a pipe with a writer, such as /dev/stdin, is waited for).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as fh:
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                raise IsADirectoryError
            os.set_blocking(fd, True)
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise YAMLSyntaxError("file not found", file=name, step="read") from None
    except IsADirectoryError:
        raise YAMLSyntaxError("is a directory, not a file", file=name, step="read") from None
    except OSError as exc:
        raise YAMLSyntaxError(f"cannot read: {exc.strerror}", file=name, step="read") from None
    if len(raw) > limit:
        raise YAMLSyntaxError(
            f"larger than {limit:,} bytes (limit {_limits.ENV['max_file_bytes']})", file=name, step="read")
    return raw


def read_text(path: str | Path, display: str | None = None) -> str:
    """The text of an input file, read within ``max_file_bytes`` (:mod:`compose.limits`).

    At most one byte more than the budget is read, so ``/dev/zero`` or a 100 MB file ends
    at once. The bytes must be UTF-8; an error names the line and column of the first that
    is not.

    Raises:
        YAMLSyntaxError: missing, a directory, unreadable, too large, or not UTF-8.
    """
    name = display or str(path)
    raw = read_bytes(path, name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YAMLSyntaxError(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} ({exc.reason}); save the file as UTF-8",
            file=name, line=line, column=column, step="read") from None


def load_file(path: str | Path, *, display: str | None = None, locations: bool = True) -> list[Document]:
    """Read (see :func:`read_text`) and parse a YAML file; errors name ``display`` (default: the path)."""
    name = display or str(path)
    return load_documents(read_text(path, name), name, locations=locations)


def load_single(text: str, file: str = "<string>", *, locations: bool = True) -> Document:
    """Parse a stream that must hold exactly one document (an empty one gives ``{}``)."""
    docs = load_documents(text, file, locations=locations)
    if not docs:
        return Document(data={}, file=file)
    if len(docs) > 1:
        raise YAMLSyntaxError(f"expected one YAML document, found {len(docs)}", file=file, step="parse")
    return docs[0]


# --- writing ---------------------------------------------------------------------------------

_YAML11_AMBIGUOUS = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?[0-9][0-9_:]*|[-+]?[0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|=|<<)$"
)


def scalar_is_ambiguous(text: str) -> bool:
    """True when ``text`` written plain would read back as something other than that string.

    Checked against both YAML 1.2 (Kustomize) and YAML 1.1 (kubectl, PyYAML) readers, so that
    what compose writes reads the same everywhere.
    """
    if not isinstance(_resolve_plain(text), str) if text else True:
        return True
    return bool(_YAML11_AMBIGUOUS.match(text))


class _KustomizeDumper(_Dumper):  # type: ignore[misc, valid-type]
    pass


def _represent_str(dumper: Any, data: str) -> Any:
    if "\n" in data and not _has_trailing_space_lines(data):
        return dumper.represent_scalar(_STR_TAG, data, style="|")
    if scalar_is_ambiguous(data):
        return dumper.represent_scalar(_STR_TAG, data, style='"')
    return dumper.represent_scalar(_STR_TAG, data)


def _has_trailing_space_lines(data: str) -> bool:
    return any(line != line.rstrip(" \t") for line in data.split("\n"))


def _float_text(data: float) -> str:
    if math.isnan(data):
        return ".nan"
    if math.isinf(data):
        return ".inf" if data > 0 else "-.inf"
    return repr(data)  # keeps the ".0" of 2.0 so it reads back as a float


def _represent_float(dumper: Any, data: float) -> Any:
    return dumper.represent_scalar(_FLOAT_TAG, _float_text(data))


def _resolver_firsts() -> frozenset[str]:
    """The first characters PyYAML's implicit resolvers key on (all of them if any is a wildcard)."""
    table = _KustomizeDumper.yaml_implicit_resolvers
    if None in table:
        return frozenset(chr(i) for i in range(0x110000))
    return frozenset(k for k in table if k)


def _implicit_str(text: str) -> bool:
    """True when PyYAML's resolver reads ``text`` written plain as a string (no implicit tag)."""
    table = _KustomizeDumper.yaml_implicit_resolvers
    for _tag, regexp in table.get(text[0] if text else "", ()):
        if regexp.match(text):
            return False
    return all(not regexp.match(text) for _tag, regexp in table.get(None, ()))


_KustomizeDumper.add_representer(str, _represent_str)
_KustomizeDumper.add_representer(float, _represent_float)


def dump_yaml(data: Any) -> str:
    """One value as Kustomize-style YAML."""
    # Manifests of the usual shape take a direct writer, byte-identical and several times
    # faster than PyYAML's representer (compose/_yamlemit.py); anything else goes to PyYAML.
    from ._yamlemit import dump as fast_dump

    text = fast_dump(data, scalar_is_ambiguous, _implicit_str, _float_text, _resolver_firsts())
    if text is not None:
        return text
    return yaml.dump(
        data,
        Dumper=_KustomizeDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=1 << 30,
    )


def dump_documents(docs: Iterable[Any]) -> str:
    """Several values as a ``---``-separated YAML stream, as ``kustomize build`` prints."""
    return "---\n".join(dump_yaml(d) for d in docs)


_JSON_UNSAFE = "[\x7f-\x9f\u2028\u2029]"  # compiled on first use (re caches it)


def dump_json(data: Any) -> str:
    """A value as indented JSON (documents as a list when ``data`` is a list of them).

    Always valid JSON: a NaN or infinite number, or a string that is not Unicode text (a lone
    surrogate), is an :class:`~compose.errors.OutputError` naming where it is (see
    :func:`check_output`). DEL, the C1 control characters and U+2028/U+2029 are written as
    ``\\u`` escapes, as the C0 ones are.

    >>> "\\\\u009b" in dump_json({"a": "x\\u009b"})
    True
    """
    check_output(data if isinstance(data, list) else [data])
    return json_escape_controls(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n")


def json_escape_controls(text: str) -> str:
    """JSON text with DEL, the C1 controls and U+2028/U+2029 written as ``\\u`` escapes
    (``json.dumps(..., ensure_ascii=False)`` escapes only the C0 ones)."""
    if re.search(_JSON_UNSAFE, text):
        return re.sub(_JSON_UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def check_output(docs: list[Any]) -> None:
    """Check that ``docs`` can be written as YAML and JSON within the output budget.

    Refused: more than ``max_nodes`` values, or about ``max_output_bytes`` characters of keys
    and strings (:mod:`compose.limits`); a NaN or infinite number (JSON cannot hold one, and
    ``kubectl kustomize`` fails on it: ``json: unsupported value: NaN``); a string that is not
    Unicode text (a lone surrogate, such as a command-line argument that was not UTF-8). One
    pass over the values, with no paths kept unless something is wrong.

    Raises:
        OutputError: naming the document (kind and name) and the field path.
    """
    budget = _limits.current()
    max_nodes, max_bytes = budget.max_nodes, budget.max_output_bytes
    nodes = size = 0
    stack: list[Any] = list(docs)
    bad: Any = None
    while stack:
        value = stack.pop()
        nodes += 1
        kind = type(value)
        if kind is str:
            size += len(value) + 4
            if not value.isascii() and not _is_text(value):
                bad = value
                break
        elif kind is dict:
            stack.extend(value.values())
            for key in value:
                if type(key) is str:
                    size += len(key) + 4
                    if not key.isascii() and not _is_text(key):
                        bad = key
                        break
                else:
                    size += 8
            if bad is not None:
                break
        elif kind is list:
            stack.extend(value)
        elif kind is float:
            size += 24
            if not math.isfinite(value):
                bad = value
                break
        else:
            size += 8
        if nodes > max_nodes or size > max_bytes:
            which = (f"more than {max_nodes:,} values (limit {_limits.ENV['max_nodes']})" if nodes > max_nodes
                     else f"more than {max_bytes:,} bytes (limit {_limits.ENV['max_output_bytes']})")
            raise OutputError(f"the result is too large to write: {which}", step="output")
    if bad is None:
        return
    for index, doc in enumerate(docs):
        path = _find(doc, bad)
        if path is not None:
            what = (f"the number {_nonfinite_text(bad)}, which JSON and the API server cannot carry"
                    if isinstance(bad, float) else "a string that is not Unicode text (bytes that were not UTF-8?)")
            raise OutputError(f"{_doc_name(doc, index)} holds {what}", path=path, step="output")
    raise OutputError("the result holds a value that cannot be written", step="output")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _nonfinite_text(value: float) -> str:
    return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")


def _doc_name(doc: Any, index: int) -> str:
    if isinstance(doc, dict) and isinstance(doc.get("kind"), str):
        meta = doc.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return f"{doc['kind']} {name}" if isinstance(name, str) else doc["kind"]
    return f"document {index + 1}"


def _find(data: Any, target: Any) -> Path_ | None:
    """The path of the first occurrence of ``target`` (compared by identity, or NaN-ness)."""
    stack: list[tuple[Path_, Any]] = [((), data)]
    is_nan = isinstance(target, float) and math.isnan(target)
    while stack:
        path, value = stack.pop()
        if value is target or (is_nan and isinstance(value, float) and math.isnan(value)) or (
                type(value) is type(target) and value == target):
            return path
        if isinstance(value, dict):
            for k, v in value.items():
                if k is target or (type(k) is type(target) and k == target):
                    return path + (k,)
                stack.append((path + (k,), v))
        elif isinstance(value, list):
            stack.extend((path + (i,), v) for i, v in enumerate(value))
    return None


def count_values(data: Any, limit: int) -> int:
    """How many values ``data`` holds (itself included, shared parts counted each time they
    occur), counting no further than ``limit + 1``: cheap even on an alias-bomb-sized tree.

    >>> count_values({"a": [1, 2], "b": None}, 100), count_values(list(range(50)), 10)
    (5, 11)
    """
    count = 0
    stack = [data]
    while stack:
        value = stack.pop()
        count += 1
        if count > limit:
            return count
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return count


def iter_paths(data: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, leaf value) of a tree, depth first; empty maps/lists count as leaves."""
    if isinstance(data, dict) and data:
        for k, v in data.items():
            yield from iter_paths(v, prefix + (k,))
    elif isinstance(data, list) and data:
        for i, v in enumerate(data):
            yield from iter_paths(v, prefix + (i,))
    else:
        yield prefix, data
