"""YAML in and out, with source locations.

Reading mirrors what Kustomize (go-yaml v3, YAML 1.2 core schema) reads, not PyYAML's YAML 1.1:
``yes``/``no``/``on``/``off``/``y``/``n`` stay strings, timestamps stay strings, ``=`` is a
string, while ``0755`` is octal (493) as Kustomize reads it. Duplicate keys are an error.

Every parsed document comes with a side table mapping a field path (a tuple of keys and list
indexes) to the 1-based ``(line, column)`` where its value starts, so that errors and
``compose explain`` can name the file and line without putting anything inside the data.

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
import re
from collections.abc import Iterable, Iterator
from ._record import field
from ._record import record as dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import YAMLSyntaxError

__all__ = [
    "Document",
    "load_documents",
    "load_file",
    "load_single",
    "dump_yaml",
    "dump_documents",
    "dump_json",
    "scalar_is_ambiguous",
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
    """

    data: Any
    file: str
    locations: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    index: int = 0

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


def _resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar."""
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
            return int(text)
        if _INT_OCT_LEGACY.match(text):
            sign = -1 if text[0] == "-" else 1
            return sign * int(text.lstrip("+-"), 8)
        if _INT_OCT.match(text):
            return int(text[2:], 8)
        if _INT_HEX.match(text):
            return int(text[2:], 16)
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
        return _resolve_plain(text)
    if tag == _STR_TAG:
        return text
    if tag == _INT_TAG:
        value = _resolve_plain(text)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _err(f"cannot read {text!r} as an integer", file, node)
    if tag == _FLOAT_TAG:
        value = _resolve_plain(text)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _err(f"cannot read {text!r} as a number", file, node)
    if tag == _BOOL_TAG:
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _err(f"cannot read {text!r} as a boolean", file, node)
    if tag == _NULL_TAG:
        return None
    # Unknown tags (!!binary, custom): keep the text, as kustomize keeps the node's value.
    return text


def _err(message: str, file: str, node: Any) -> YAMLSyntaxError:
    mark = node.start_mark
    return YAMLSyntaxError(message, file=file, line=mark.line + 1, column=mark.column + 1, step="parse")


def _convert(
    node: Any,
    file: str,
    path: Path_,
    locs: dict[Path_, tuple[int, int]] | None,
    depth: int = 0,
    last_key_wins: bool = False,
) -> Any:
    if depth > 200:
        raise _err("document is nested too deeply (or an alias refers to itself)", file, node)
    if locs is not None:
        mark = node.start_mark
        locs[path] = (mark.line + 1, mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar_value(node, file)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, file, path + (i,), locs, depth + 1, last_key_wins) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or (key_node.tag == _PLAIN_TAG and key_node.value == "<<"):
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    value = _convert(src, file, path, None, depth + 1, last_key_wins)
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
                if not last_key_wins:
                    raise _err(f"mapping key {key!r} is already defined", file, key_node)
                del out[key]  # the last wins, in the place it was last written
            out[key] = _convert(value_node, file, path + (key,), locs, depth + 1, last_key_wins)
        for k, v in merged.items():
            out.setdefault(k, v)
        return out
    raise _err(f"unsupported YAML node {type(node).__name__}", file, node)


def load_documents(
    text: str, file: str = "<string>", *, locations: bool = True, last_key_wins: bool = False
) -> list[Document]:
    """Parse every document of a YAML (or JSON) stream.

    Empty documents (only comments, or ``---`` alone) are dropped, as Kustomize drops them.

    Args:
        text: the YAML text.
        file: the name used in error messages and in each Document's ``file``.
        locations: whether to record the ``(line, column)`` side table.
        last_key_wins: a key repeated in one mapping replaces the earlier value (as Kustomize
            reads kustomization files) instead of being an error.

    Raises:
        YAMLSyntaxError: malformed YAML, naming file, line and column.
    """
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
    for index, node in enumerate(nodes):
        if node is None:
            continue
        locs: dict[Path_, tuple[int, int]] | None = {} if locations else None
        data = _convert(node, file, (), locs, 0, last_key_wins)
        if data is None:
            continue
        docs.append(Document(data=data, file=file, locations=locs or {}, index=index))
    return docs


def load_file(path: str | Path, *, display: str | None = None, locations: bool = True) -> list[Document]:
    """Read and parse a YAML file; errors name ``display`` (default: the path)."""
    name = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YAMLSyntaxError("file not found", file=name, step="read") from None
    except IsADirectoryError:
        raise YAMLSyntaxError("is a directory, not a file", file=name, step="read") from None
    except UnicodeDecodeError as exc:
        raise YAMLSyntaxError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=name, step="read") from None
    except OSError as exc:
        raise YAMLSyntaxError(f"cannot read: {exc.strerror}", file=name, step="read") from None
    return load_documents(text, name, locations=locations)


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


def dump_json(data: Any) -> str:
    """A value as indented JSON (documents as a list when ``data`` is a list of them)."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


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
