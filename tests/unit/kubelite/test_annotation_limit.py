"""Kubernetes' limit on metadata.annotations: keys and values together at most
256 KiB (262144 bytes, counted in UTF-8), refused as FieldValueTooLong."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite import api
from kubelite.api.validation import ANNOTATIONS_SIZE_LIMIT, annotations_size

TOO_LONG = api.FieldError("metadata.annotations", "FieldValueTooLong", "Too long: must have at most 262144 bytes")


def configmap(annotations: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "annotations": annotations},
            "data": {"k": "v"}}


def test_300_kb_of_annotations_is_too_long() -> None:
    with pytest.raises(api.InvalidObject) as caught:
        api.parse_object(configmap({"example.com/blob": "x" * 300_000}))
    assert caught.value.causes == [TOO_LONG]
    assert str(caught.value) == ('ConfigMap "big" is invalid: metadata.annotations: '
                                 "Too long: must have at most 262144 bytes")


def test_200_kb_of_annotations_is_fine() -> None:
    info, obj = api.parse_object(configmap({"example.com/blob": "x" * 200_000}))
    assert info.kind == "ConfigMap" and len(obj.metadata.annotations["example.com/blob"]) == 200_000


def test_the_limit_is_on_keys_and_values_together() -> None:
    key = "example.com/blob"
    at_limit = {key: "x" * (ANNOTATIONS_SIZE_LIMIT - len(key))}
    assert annotations_size(at_limit) == 262144
    api.parse_object(configmap(at_limit))
    with pytest.raises(api.InvalidObject) as caught:
        api.parse_object(configmap({key: "x" * (ANNOTATIONS_SIZE_LIMIT - len(key) + 1)}))
    assert caught.value.causes == [TOO_LONG]
    # many small ones add up
    many = {f"example.com/a{i}": "y" * 1000 for i in range(300)}
    with pytest.raises(api.InvalidObject) as caught:
        api.parse_object(configmap(many))
    assert caught.value.causes == [TOO_LONG]


def test_the_size_is_counted_in_bytes() -> None:
    # 100,000 three-byte characters: 300,000 bytes, though only 100,000 characters
    with pytest.raises(api.InvalidObject) as caught:
        api.parse_object(configmap({"note": "€" * 100_000}))
    assert caught.value.causes == [TOO_LONG]


def test_the_limit_holds_for_other_kinds_and_comes_with_other_causes() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "Bad_Name", "annotations": {"a": "x" * 300_000}},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    with pytest.raises(api.InvalidObject) as caught:
        api.parse_object(pod)
    assert TOO_LONG in caught.value.causes and len(caught.value.causes) == 2
