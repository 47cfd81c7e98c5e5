"""Label selector syntax and target selection (compose.kustomize.selector)."""

from __future__ import annotations

import pytest

from compose.kustomize.resource import Resource, ResId
from compose.kustomize.selector import (
    SelectorSyntaxError,
    id_matches,
    matches_label_selector,
    parse_label_selector,
    select,
)

LABELS = {"tier": "gpu", "team": "ml", "size": "3", "empty": ""}

# (selector, matches LABELS)
TABLE = [
    ("", True),
    ("tier=gpu", True),
    ("tier==gpu", True),
    ("tier = gpu", True),
    ("tier=cpu", False),
    ("tier!=cpu", True),
    ("tier!=gpu", False),
    ("missing!=x", True),
    ("tier in (cpu, gpu)", True),
    ("tier in (cpu,tpu)", False),
    ("missing in (a)", False),
    ("tier notin (cpu)", True),
    ("tier notin (gpu, cpu)", False),
    ("missing notin (a)", True),
    ("team", True),
    ("missing", False),
    ("!missing", True),
    ("!team", False),
    ("tier=gpu,team=ml", True),
    ("tier=gpu, team=data", False),
    ("size>2", True),
    ("size<3", False),
    ("tier>1", False),
    ("empty=", True),
    ("empty in (, x)", True),
    ("tier=gpu,!legacy,team in (ml),size", True),
]


@pytest.mark.parametrize(("selector", "expected"), TABLE)
def test_label_selector(selector: str, expected: bool) -> None:
    assert matches_label_selector(parse_label_selector(selector), LABELS) is expected


@pytest.mark.parametrize("bad", ["tier in gpu", "tier in (gpu", "=gpu", "tier=gpu,", "tier>x", "!", "a b", "tier in ()"])
def test_bad_label_selectors(bad: str) -> None:
    with pytest.raises(SelectorSyntaxError):
        parse_label_selector(bad)


def res(kind: str, name: str, namespace: str = "", api: str = "batch/v1", labels: dict | None = None) -> Resource:
    md: dict = {"name": name}
    if namespace:
        md["namespace"] = namespace
    if labels:
        md["labels"] = labels
    return Resource({"apiVersion": api, "kind": kind, "metadata": md})


RESOURCES = [
    res("Job", "train"),
    res("Job", "train-2", "ml"),
    res("CronJob", "nightly", "default"),
    res("ServiceAccount", "runner", api="v1", labels={"a": True}),
    res("ClusterRole", "reader", api="rbac.authorization.k8s.io/v1"),
]


@pytest.mark.parametrize(
    ("target", "names"),
    [
        ({}, ["train", "train-2", "nightly", "runner", "reader"]),
        ({"kind": "Job"}, ["train", "train-2"]),
        ({"kind": "Job|CronJob"}, ["train", "train-2", "nightly"]),
        ({"kind": "Jo"}, []),  # anchored
        ({"name": "train"}, ["train"]),
        ({"name": "train.*"}, ["train", "train-2"]),
        ({"group": "batch"}, ["train", "train-2", "nightly"]),
        ({"version": "v1", "group": ""}, ["train", "train-2", "nightly", "runner", "reader"]),
        ({"namespace": "default"}, ["train", "nightly", "runner"]),  # no namespace is "default"
        ({"namespace": "ml"}, ["train-2"]),
        ({"labelSelector": "a=true"}, ["runner"]),  # a boolean label value compares as its text
        ({"kind": "ClusterRole", "namespace": "default"}, []),  # cluster-scoped: no namespace
    ],
)
def test_select(target: dict, names: list[str]) -> None:
    assert [r.name for r in select(RESOURCES, target)] == names


def test_select_matches_original_name_and_namespace() -> None:
    r = res("Job", "train")
    r.rename("prod-train")
    r.set_namespace("prod")
    assert select([r], {"name": "train"}) == [r]
    assert select([r], {"name": "prod-train"}) == [r]
    assert select([r], {"namespace": "default"}) == [r]
    assert select([r], {"namespace": "prod"}) == [r]


def test_id_matches_any_previous_identity() -> None:
    r = res("Job", "train")
    r.rename("p-train")
    assert id_matches(r, ResId("batch", "v1", "Job", "train"), False)
    assert id_matches(r, ResId("batch", "v1", "Job", "p-train", "default"), False)
    assert not id_matches(r, ResId("batch", "v2", "Job", "train"), False)
    assert not id_matches(r, ResId("batch", "v1", "Job", "train", "other"), False)
