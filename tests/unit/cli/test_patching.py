"""kubectl patch's three types on plain objects: strategic merge patch merges
lists of objects by key, JSON patch follows RFC 6902, and garbage patches end
in PatchError only."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.patching import PatchError, apply_patch, json_patch, strategic_merge

POD: dict[str, Any] = {"metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a"]},
                       "spec": {"containers": [{"name": "main", "image": "python:3.11",
                                                "env": [{"name": "A", "value": "1"}]},
                                               {"name": "side", "image": "busybox"}]}}


def test_strategic_merge_merges_lists_by_key_and_deletes_with_the_directive() -> None:
    patched = strategic_merge(POD, {"metadata": {"labels": {"tier": "front"}, "finalizers": ["b"]},
                                    "spec": {"containers": [
                                        {"name": "main", "image": "python:3.12", "env": [{"name": "B", "value": "2"}]},
                                        {"name": "side", "$patch": "delete"}]}})
    assert patched["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert patched["metadata"]["finalizers"] == ["a", "b"]
    assert patched["spec"]["containers"] == [{"name": "main", "image": "python:3.12",
                                              "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]
    assert POD["spec"]["containers"][0]["image"] == "python:3.11"  # the input is not changed
    # a merge patch replaces the list instead
    merged = apply_patch(POD, {"spec": {"containers": [{"name": "main", "image": "x"}]}}, "merge")
    assert merged["spec"]["containers"] == [{"name": "main", "image": "x"}]


def test_json_patch_operations() -> None:
    ops = [{"op": "add", "path": "/metadata/labels/a~1b", "value": "1"},
           {"op": "replace", "path": "/spec/containers/0/image", "value": "python:3.12"},
           {"op": "add", "path": "/metadata/finalizers/-", "value": "z"},
           {"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/name"},
           {"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/was"},
           {"op": "remove", "path": "/spec/containers/1"},
           {"op": "test", "path": "/metadata/labels/was", "value": "web"}]
    patched = json_patch(POD, ops)
    assert patched["metadata"]["labels"] == {"a/b": "1", "name": "web", "was": "web"}
    assert patched["metadata"]["finalizers"] == ["a", "z"]
    assert [c["image"] for c in patched["spec"]["containers"]] == ["python:3.12"]


@pytest.mark.parametrize(("patch", "kind", "message"), [
    ([{"op": "remove", "path": "/nope"}], "json", "path '/nope' does not exist"),
    ([{"op": "test", "path": "/metadata/name", "value": "db"}], "json", "is not 'db'"),
    ({"op": "add"}, "json", "a JSON patch is a list of operations"),
    (["x"], "merge", "a merge merge patch is a JSON object"),
    ({"spec": {"containers": [{"image": "x"}]}}, "strategic", "needs a 'name'"),
    ({"$patch": "replace"}, "strategic", "unsupported strategic merge directive"),
])
def test_bad_patches_say_why(patch: Any, kind: str, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        apply_patch(POD, patch, kind)


json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                           max_leaves=12)


@given(json_values, st.sampled_from(["json", "merge", "strategic"]))
def test_any_patch_applies_or_raises_patch_error(patch: Any, kind: str) -> None:
    try:
        apply_patch(POD, patch, kind)
    except PatchError:
        pass


@given(st.lists(st.fixed_dictionaries({"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]),
                                       "path": st.sampled_from(["", "/", "/metadata", "/metadata/name", "/spec/x",
                                                                "/spec/containers/0", "/spec/containers/-",
                                                                "/spec/containers/9", "x"]),
                                       "from": st.sampled_from(["/metadata", "/nope", "/spec/containers/1"]),
                                       "value": json_values}), max_size=4))
def test_any_json_patch_operations_apply_or_raise_patch_error(ops: list[dict[str, Any]]) -> None:
    try:
        json_patch(POD, ops)
    except PatchError:
        pass
