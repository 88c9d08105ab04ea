"""Garbage at the API server's own parsers: selectors, quantities, the token
file and merge patches either parse or fail with their one documented error."""

from __future__ import annotations

import string
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apiserver.selectors import Selector, parse_field_selector, parse_label_selector
from kubelite.api.quantity import parse_quantity
from kubelite.errors import BadRequest
from kubelite.merge_patch import merge_patch
from kubelite.tokens import load_token_file

FIELDS = frozenset({"metadata.name", "spec.nodeName", "status.phase"})
selector_text = st.one_of(st.text(max_size=30), st.text(alphabet=string.ascii_lowercase + "=!,() in", max_size=30))
json_trees = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                          max_leaves=15)


@settings(max_examples=300)
@given(selector_text, selector_text, st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))
def test_selectors_parse_or_refuse_with_bad_request(labels: str, fields: str, obj_labels: dict[str, str]) -> None:
    try:
        parse_label_selector(labels)
        parse_field_selector(fields, FIELDS)
        selector = Selector.parse(labels, fields, FIELDS)
    except BadRequest:
        return
    selector.matches({"metadata": {"name": "x", "labels": obj_labels}, "spec": {}, "status": {}})


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(allow_nan=True)))
def test_quantities_parse_or_raise_value_error(text: Any) -> None:
    try:
        parse_quantity(text)
    except ValueError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=80), st.text(max_size=80).map(str.encode)))
def test_token_files_load_or_raise_value_error(content: bytes) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "tokens.csv"
        path.write_bytes(content)
        try:
            load_token_file(str(path))
        except ValueError as err:
            assert str(path) in str(err)


@given(json_trees, json_trees)
def test_merge_patch_applies_any_patch_and_is_idempotent(target: Any, patch: Any) -> None:
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once
    if isinstance(target, dict):
        assert merge_patch(target, {}) == target
