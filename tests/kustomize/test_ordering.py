"""Output order (compose.kustomize.ordering)."""

from __future__ import annotations

import pytest

from compose.kustomize.ordering import sort_resources
from compose.kustomize.resource import Resource


def r(api: str, kind: str, name: str, ns: str = "") -> Resource:
    md = {"name": name, **({"namespace": ns} if ns else {})}
    return Resource({"apiVersion": api, "kind": kind, "metadata": md})


def order(resources: list[Resource], options: dict | None = None) -> list[str]:
    return [f"{x.kind}/{x.namespace}/{x.name}" for x in sort_resources(resources, options)]


def test_legacy_order() -> None:
    items = [
        r("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "v"),
        r("batch/v1", "Job", "b"),
        r("v1", "Pod", "p"),
        r("batch/v1", "CronJob", "c"),
        r("batch/v1", "Job", "a", "z"),
        r("batch/v1", "Job", "a"),
        r("example.com/v1", "Thing", "t"),
        r("v1", "Namespace", "n"),
        r("v1", "ConfigMap", "cm"),
    ]
    assert order(items) == [
        "Namespace//n", "ConfigMap//cm", "CronJob//c",
        "Job/z/a", "Job//a", "Job//b",  # "z|a" < "~X|a": no namespace sorts last
        "Thing//t", "Pod//p",  # batch_ < example.com_ < ~G_ (core group last)
        "ValidatingWebhookConfiguration//v",
    ]


def test_namespace_kinds_with_and_without_group() -> None:
    items = [r("v1", "Namespace", "a"), r("example.com/v1", "Namespace", "b")]
    assert order(items) == ["Namespace//a", "Namespace//b"]


def test_fifo_keeps_build_order() -> None:
    items = [r("batch/v1", "Job", "b"), r("v1", "Namespace", "n")]
    assert order(items, {"order": "fifo"}) == ["Job//b", "Namespace//n"]


def test_custom_legacy_lists() -> None:
    items = [r("v1", "Namespace", "n"), r("batch/v1", "Job", "j"), r("v1", "Pod", "p")]
    opts = {"order": "legacy", "legacySortOptions": {"orderFirst": ["Job"], "orderLast": ["Namespace"]}}
    assert order(items, opts) == ["Job//j", "Pod//p", "Namespace//n"]


@pytest.mark.parametrize("opts", [{"order": "random"}, {"order": "fifo", "legacySortOptions": {"orderFirst": ["Job"]}}])
def test_bad_sort_options(opts: dict) -> None:
    with pytest.raises(ValueError):
        sort_resources([], opts)
