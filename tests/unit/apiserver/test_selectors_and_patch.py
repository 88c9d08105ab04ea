"""Label/field selectors and JSON merge patch."""

from __future__ import annotations

from typing import Any

import pytest

from apiserver.selectors import Selector
from kubelite.errors import BadRequest
from kubelite.merge_patch import merge_patch

FIELDS = frozenset({"metadata.name", "spec.nodeName", "status.phase"})


def obj(labels: dict[str, str], node: str = "", phase: str = "Pending") -> dict[str, Any]:
    return {"metadata": {"name": "p", "labels": labels}, "spec": {"nodeName": node}, "status": {"phase": phase}}


@pytest.mark.parametrize(("selector", "labels", "matches"), [
    ("app=web", {"app": "web"}, True), ("app==web", {"app": "db"}, False), ("app!=web", {}, True),
    ("env in (a,b)", {"env": "b"}, True), ("env notin (a,b)", {"env": "a"}, False), ("canary", {"canary": ""}, True),
    ("!canary", {"canary": "x"}, False), ("app=web,tier in (fe)", {"app": "web", "tier": "fe"}, True),
], ids=["eq", "eq-miss", "neq-absent", "in", "notin", "exists", "not-exists", "and"])
def test_label_selectors(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert Selector.parse(selector, "", FIELDS).matches(obj(labels)) is matches


def test_field_selectors_and_unsupported_fields() -> None:
    selector = Selector.parse("", "spec.nodeName=n1,status.phase!=Succeeded", FIELDS)
    assert selector.matches(obj({}, "n1")) and not selector.matches(obj({}, "n2"))
    assert selector.field_equals("spec.nodeName") == "n1"
    with pytest.raises(BadRequest, match=r"field label not supported: spec\.colour"):
        Selector.parse("", "spec.colour=blue", FIELDS)
    with pytest.raises(BadRequest, match="unable to parse requirement"):
        Selector.parse("a in (", "", FIELDS)


def test_merge_patch_merges_objects_deletes_nulls_and_replaces_lists() -> None:
    target = {"a": {"b": 1, "c": 2}, "l": [1, 2], "keep": True}
    assert merge_patch(target, {"a": {"b": None, "d": 3}, "l": [9]}) == {"a": {"c": 2, "d": 3}, "l": [9],
                                                                          "keep": True}
    assert target == {"a": {"b": 1, "c": 2}, "l": [1, 2], "keep": True}
