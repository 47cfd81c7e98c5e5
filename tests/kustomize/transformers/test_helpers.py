"""Unit tests of the transformers' helpers: image references, generator sources, the hash,
the field-path walker and shared label values. Expected values were checked with kubectl."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from compose.errors import KustomizationError
from compose.kustomize.resource import Resource
from compose.kustomize.transformers import aliases, generators, hashing, images, labels
from compose.kustomize.transformers.fieldpath import locations, split_path, walk


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ("nginx", "", "")),
        ("nginx:1.25", ("nginx", "1.25", "")),
        ("nginx@sha256:ab", ("nginx", "", "sha256:ab")),
        ("nginx:1.25@sha256:ab", ("nginx", "1.25", "sha256:ab")),
        ("registry.local:5000/team/tool", ("registry.local:5000/team/tool", "", "")),
        ("registry.local:5000/team/tool:1.0", ("registry.local:5000/team/tool", "1.0", "")),
        ("localhost:5000/x@sha256:cd", ("localhost:5000/x", "", "sha256:cd")),
        ("docker.io/library/nginx:1.0", ("docker.io/library/nginx", "1.0", "")),
    ],
)
def test_split(image: str, expected: tuple[str, str, str]) -> None:
    assert images.split(image) == expected


@pytest.mark.parametrize(
    ("image", "name", "matched"),
    [
        ("nginx", "nginx", True),
        ("nginx:1.25", "nginx", True),
        ("nginx@sha256:ab", "nginx", True),
        ("nginx:1.25@sha256:ab", "nginx", True),
        ("nginx-exporter:0.1", "nginx", False),
        ("docker.io/library/nginx:1.0", "nginx", False),
        ("n.inx", "nginx", False),
        ("nginx", "n.inx", True),  # the name is a regular expression, as in kustomize
        ("nginx", "ngin(", False),  # an invalid expression matches nothing
    ],
)
def test_matches(image: str, name: str, matched: bool) -> None:
    assert images.matches(image, name) is matched


@pytest.mark.parametrize(
    ("image", "entry", "result"),
    [
        ("nginx@sha256:ab", {"name": "nginx", "newTag": "1.27"}, "nginx:1.27"),
        ("nginx:1", {"name": "nginx", "digest": "sha256:cd"}, "nginx@sha256:cd"),
        ("nginx", {"name": "nginx", "newTag": "1", "digest": "sha256:cd"}, "nginx:1@sha256:cd"),
        ("redis:7", {"name": "redis", "newName": "valkey"}, "valkey:7"),
        ("nginx", {"name": "nginx", "tagSuffix": "-debug"}, "nginx:-debug"),
        ("nginx:1@sha256:ab", {"name": "nginx", "tagSuffix": "-d"}, "nginx:1-d"),
        ("nginx:1", {"name": "nginx", "newTag": "2", "tagSuffix": "-d"}, "nginx:2"),
        ("nginx:1", {"name": "nginx", "newTag": 2}, "nginx:2"),
        ("other", {"name": "nginx", "newTag": "2"}, "other"),
    ],
)
def test_update(image: str, entry: dict[str, object], result: str) -> None:
    assert images.update(image, entry) == result


def test_parse_literal_and_file_source() -> None:
    assert generators.parse_literal('a="x"') == ("a", "x")
    assert generators.parse_literal("a='x") == ("a", "'x")
    assert generators.parse_literal("a=") == ("a", "")
    assert generators.parse_file_source("d/f.txt") == ("f.txt", "d/f.txt")
    assert generators.parse_file_source("k=d/f.txt") == ("k", "d/f.txt")
    for bad in ("=v", "novalue"):
        with pytest.raises(KustomizationError):
            generators.parse_literal(bad)
    for bad in ("=f", "k=", "k=a=b"):
        with pytest.raises(KustomizationError):
            generators.parse_file_source(bad)


def test_parse_env() -> None:
    content = b"\xef\xbb\xbfA=1\r\n  # c\n\nB = 2\nC\nD=\"q\" \n"
    assert generators.parse_env(content) == [("A", "1"), ("B ", " 2"), ("C", ""), ("D", '"q" ')]
    with pytest.raises(KustomizationError, match="invalid utf8"):
        generators.parse_env(b"A=\xff\n")


def test_encode_base64_wraps_at_70() -> None:
    assert generators.encode_base64(b"x" * 51) == "eHh4" * 17  # 68 characters: one line
    wrapped = generators.encode_base64(b"x" * 54)
    assert wrapped.split("\n") == ["eHh4" * 17 + "eH", "h4", ""]


@pytest.mark.parametrize(
    ("data", "suffix"),
    [  # hashes that kubectl kustomize v5.5 printed for these generated resources
        ({"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}, "4h2mbtbbt6"),
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "6ct58987ht"),
        (
            {
                "kind": "ConfigMap",
                "metadata": {"name": "files"},
                "data": {"config.txt": "line1\nline2\n", "renamed": "line1\nline2\n"},
                "binaryData": {"blob.bin": "AAH//g=="},
            },
            "b4tt2h87kd",
        ),
        ({"kind": "ConfigMap", "metadata": {"name": "i"}, "data": {"x": "y"}, "immutable": True}, "6gc9d749f7"),
        ({"kind": "Secret", "type": "Opaque", "metadata": {"name": "e"}, "data": {}}, "46f8b28mk5"),
        (
            {
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": {"name": "tls"},
                "data": {"tls.crt": "bGluZTEKbGluZTIK", "tls.key": "bGluZTEKbGluZTIK"},
            },
            "2266k5kdb4",
        ),
    ],
)
def test_content_hash(data: dict[str, object], suffix: str) -> None:
    assert hashing.content_hash(data) == suffix


def test_go_json_escapes_like_go() -> None:
    assert hashing.go_json({"b": "<&>", "a": "\u2028\n"}) == '{"a":"\\u2028\\n","b":"\\u003c\\u0026\\u003e"}'


def test_hash_apply_records_rename() -> None:
    res = Resource(data={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, needs_hash=True)
    other = Resource(data={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}})
    hashing.apply([res, other])
    assert res.name == "c-6ct58987ht" and res.previous[-1].name == "c"
    assert other.name == "d" and not other.previous


def test_split_path_and_walk() -> None:
    assert split_path("metadata/annotations/a.io\\/b") == ["metadata", "annotations", "a.io/b"]
    doc = {"spec": {"volumes": [{"configMap": {"name": "a"}}, {"secret": {}}, {"configMap": {"name": "b"}}]}}
    seen: list[str] = []
    walk(doc, "spec/volumes/configMap/name", lambda c, k: seen.append(c[k]))
    assert seen == ["a", "b"]
    found = locations(doc, "spec/volumes[]/configMap/name")
    assert [path for _, _, path in found] == [("spec", "volumes", 0, "configMap", "name"), ("spec", "volumes", 2, "configMap", "name")]
    created: dict[str, object] = {}
    walk(created, "a/b/c", lambda c, k: c[k].update(x=1), create=True, make_leaf=dict)
    assert created == {"a": {"b": {"c": {"x": 1}}}}
    untouched: dict[str, object] = {}
    walk(untouched, "a/b[]/c", lambda c, k: None, create=True, make_leaf=dict)
    assert untouched == {"a": {}}  # a list is never created
    with pytest.raises(KustomizationError, match="expected a map or a list"):
        walk({"spec": "text"}, "spec/template", lambda c, k: None)


def _service() -> Resource:
    return Resource(data={"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {}}})


def test_aliases_strategic_patch_updates_group() -> None:
    res = _service()
    labels.apply([res], [{"pairs": {"k": "v"}, "includeSelectors": True}])
    before = copy.deepcopy(res.data)
    res.data["metadata"]["labels"]["k"] = "patched"
    aliases.after_patch(res, before, strategic=True)
    assert res.data["spec"]["selector"]["k"] == "patched"


def test_aliases_json6902_ends_sharing() -> None:
    res = _service()
    labels.apply([res], [{"pairs": {"k": "v"}, "includeSelectors": True}])
    aliases.after_patch(res, copy.deepcopy(res.data), strategic=False)
    labels.apply([res], [{"pairs": {"k": "new"}}])
    assert res.data["metadata"]["labels"]["k"] == "new"
    assert res.data["spec"]["selector"]["k"] == "v"


def test_generate_does_not_change_existing() -> None:
    old = Resource(data={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}})
    snapshot = copy.deepcopy(old.data)
    existing = [old]
    out = generators.generate(
        {"configMapGenerator": [{"name": "c", "behavior": "merge", "literals": ["b=2"]}]},
        Path("."),
        file="k.yaml",
        existing=existing,
        read_file=lambda rel: b"",
    )
    assert existing == [old] and old.data == snapshot
    assert out[0] is not old and out[0].data["data"] == {"a": "1", "b": "2"}


def test_generator_error_names_file_and_entry() -> None:
    with pytest.raises(KustomizationError) as info:
        generators.generate(
            {"secretGenerator": [{"name": "s", "literals": ["a=1"]}, {"name": "t", "literals": ["bad"]}]},
            Path("."),
            file="kustomization.yaml",
            existing=[],
            read_file=lambda rel: b"",
        )
    assert info.value.file == "kustomization.yaml" and info.value.path == ("secretGenerator", 1)
