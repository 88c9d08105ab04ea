"""Strategic merge patch (`application/strategic-merge-patch+json`), the patch
kubectl sends for apply, edit, patch, cordon, taint and set image: a JSON merge
patch whose lists merge the way the kind's schema (`schema.py`) says.

Semantics, after Kubernetes' apimachinery `strategicpatch` (server side):

* objects merge key by key, `null` deletes a key, a value of another type
  replaces; a value with nothing to merge into is merged into nothing (its
  nulls dropped, its directives applied);
* a list with patch strategy `merge` and a merge key merges element by element
  on that key (new elements are added, matching ones merged); a `merge` list
  of scalars is a set (union, duplicates dropped); any other list is replaced;
* the order of a merged list: elements named in the patch keep the patch's
  order, the others keep the order they had, and the two are interleaved so
  that an element that was before a patch element in the live list stays
  before it (an element new to the list goes before the live elements that
  follow it);
* `$patch: replace` in an object replaces the object with the rest of the
  patch object; in a list element it replaces the list with the other patch
  elements;
* `$patch: delete` in an object deletes it (the key goes away); in an element
  of a merge-keyed list it deletes every element with that key;
* `$patch: merge` is the default (accepted and ignored);
* `$retainKeys: [k...]` keeps only those keys of the live object, then merges
  (every key the patch sets must be listed): how clients switch a union such
  as a volume's source or a deployment's strategy;
* `$deleteFromPrimitiveList/<list>: [v...]` removes those values from a list
  of scalars;
* `$setElementOrder/<list>: [...]` (merge keys as `{key: value}`, scalars as
  themselves) orders the final list: listed elements in the listed order,
  interleaved with unlisted live elements by the rule above; the patch's own
  elements must appear in it in the same relative order.

Errors are `BadRequest` (400), with apimachinery's messages, except a list of
lists (`Invalid`, 422, as Kubernetes answers). Where Kubernetes fails with an
internal error (a missing merge key, an unknown `$patch`, mixed element types)
this answers 400 with the same message. Deliberate differences: `$patch:
delete` on an object removes its key (Kubernetes leaves `{}`), `$patch: merge`
is accepted, and `$setElementOrder` on a list of objects with no merge key
(Node `spec.taints`, which Kubernetes replaces whole) is refused instead of
crashing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from apiserver.patching.schema import KindSchema, Path
from apiserver.patching.values import canonical, go_format, go_type, json_kind
from kubelite.errors import BadRequest, Invalid

__all__ = ["DELETE_FROM_PRIMITIVE_LIST", "DIRECTIVE", "RETAIN_KEYS", "SET_ELEMENT_ORDER", "strategic_merge_patch"]

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"

# apimachinery mergepatch's error texts
ERR_PRIMITIVE_LIST = "invalid patch format of primitive list"
ERR_RETAIN_KEYS = "invalid patch format of retainKeys"
ERR_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
ERR_LIST_OF_LISTS = "lists of lists are not supported"


class _Deleted:
    """What `$patch: delete` leaves of an object: its key is removed."""


_DELETED = _Deleted()
_MISSING: Any = object()


def strategic_merge_patch(current: Mapping[str, Any], patch: Mapping[str, Any], schema: KindSchema) -> dict[str, Any]:
    """`current` with the strategic merge `patch` applied under the kind's
    `schema`; neither argument is changed. Raises BadRequest or Invalid."""
    if not isinstance(patch, Mapping):
        raise BadRequest(f"json: cannot unmarshal {json_kind(patch)} into Go value of type map[string]interface {{}}")
    merged = _Merger(schema).merge_map(copy.deepcopy(dict(current)), copy.deepcopy(dict(patch)), ())
    return {} if isinstance(merged, _Deleted) else merged


def _dotted(path: Path) -> str:
    return ".".join(path) or "<root>"


def _no_merge_key(element: Any, key: str) -> BadRequest:
    return BadRequest(f"map: {go_format(element)} does not contain declared merge key: {key}")


def _not_a_list(value: Any) -> BadRequest:
    return BadRequest(f"expected a []interface {{}}, but received a {go_type(value)}")


def _directive_field(key: str, prefix: str, error: str) -> str:
    """The list a `$prefix/<list>` key names."""
    head, slash, name = key.partition("/")
    if not slash or head != prefix:
        raise BadRequest(error)
    return name


def _element_kind(*lists: Sequence[Any]) -> str | None:
    """The one JSON type of all elements (None when there are none)."""
    kind = None
    for items in lists:
        for item in items:
            found = json_kind(item)
            if kind is None:
                if found == "array":
                    raise Invalid(ERR_LIST_OF_LISTS)
                kind = found
            elif found != kind:
                raise BadRequest(f"list element types are not identical: {go_format([list(each) for each in lists])}")
    return kind


def _first_positions(items: Sequence[Any], key_of: Callable[[Any], Hashable]) -> dict[Hashable, int]:
    """Where each key first occurs; items without a key (a live element
    lacking its merge key) take no place."""
    positions: dict[Hashable, int] = {}
    for at, item in enumerate(items):
        try:
            positions.setdefault(key_of(item), at)
        except (KeyError, TypeError):
            continue
    return positions


def _ordered(patch_items: list[Any], server_only: list[Any], order: Sequence[Any], server_order: Sequence[Any],
             key_of: Callable[[Any], Hashable]) -> list[Any]:
    """apimachinery's normalizeElementOrder: patch items sorted by `order`,
    server-only items by `server_order` (the live list), then interleaved: a
    server-only item goes first only when both were in the live list and it
    came first there."""
    wanted = _first_positions(order, key_of)
    live = _first_positions(server_order, key_of)
    patch_items = sorted(patch_items, key=lambda item: wanted.get(key_of(item), len(wanted)))
    server_only = sorted(server_only, key=lambda item: live.get(key_of(item), len(live)))
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) and j < len(patch_items):
        left, right = live.get(key_of(server_only[i])), live.get(key_of(patch_items[j]))
        if left is not None and right is not None and left < right:
            out.append(server_only[i])
            i += 1
        else:
            out.append(patch_items[j])
            j += 1
    return out + server_only[i:] + patch_items[j:]


class _Merger:
    def __init__(self, schema: KindSchema) -> None:
        self.schema = schema

    # objects

    def merge_map(self, original: dict[str, Any] | None, patch: dict[str, Any],
                  path: Path) -> dict[str, Any] | _Deleted:
        if DIRECTIVE in patch:
            directive = patch[DIRECTIVE]
            rest = {key: value for key, value in patch.items() if key != DIRECTIVE}
            if directive == "replace":
                return self.merge_map(None, rest, path)
            if directive == "delete":
                return _DELETED
            if directive != "merge":
                raise BadRequest(f"unknown patch type: {go_format(directive)} in map: {go_format(patch)}")
            patch = rest
        result = original if original is not None else {}
        self._retain_keys(result, patch)
        self._set_element_orders(result, patch, path)
        deletions = []
        for key, value in patch.items():
            if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
                deletions.append((_directive_field(key, DELETE_FROM_PRIMITIVE_LIST, ERR_PRIMITIVE_LIST), value))
            elif value is None:
                result.pop(key, None)
            else:
                self._put(result, key, self.merge_value(result.get(key, _MISSING), value, (*path, key)))
        for name, values in deletions:
            self._delete_from_list(result, name, values)
        return result

    @staticmethod
    def _put(result: dict[str, Any], key: str, value: Any) -> None:
        if isinstance(value, _Deleted):
            result.pop(key, None)
        else:
            result[key] = value

    def merge_value(self, old: Any, new: Any, path: Path) -> Any:
        if isinstance(old, dict) and isinstance(new, dict):
            if self.schema.field(path).replaces:
                return self.merge_map(None, new, path)
            return self.merge_map(old, new, path)
        if isinstance(old, list) and isinstance(new, list):
            return self.merge_list(old, new, path)
        return self.fresh(new, path)

    def fresh(self, value: Any, path: Path) -> Any:
        """A patch value with nothing to merge into."""
        if isinstance(value, dict):
            return self.merge_map(None, value, path)
        if isinstance(value, list):
            return self.merge_list([], value, path)
        return value

    @staticmethod
    def _retain_keys(result: dict[str, Any], patch: dict[str, Any]) -> None:
        if RETAIN_KEYS not in patch:
            return
        keys = patch.pop(RETAIN_KEYS)
        if not isinstance(keys, list):
            raise BadRequest(ERR_RETAIN_KEYS)
        kept = {key for key in keys if isinstance(key, str)}
        for key, value in patch.items():
            if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
                continue
            if key not in kept:
                raise BadRequest(ERR_RETAIN_KEYS)
        for key in [key for key in result if key not in kept]:
            del result[key]

    @staticmethod
    def _delete_from_list(result: dict[str, Any], name: str, values: Any) -> None:
        if not isinstance(values, list):
            raise BadRequest(ERR_PRIMITIVE_LIST)
        current = result.get(name)
        if not isinstance(current, list):
            return
        if _element_kind(current, values) == "object":
            raise BadRequest(ERR_PRIMITIVE_LIST)
        dropped = {canonical(value) for value in values}
        result[name] = [item for item in current if canonical(item) not in dropped]

    # lists

    def merge_list(self, original: list[Any], patch: list[Any], path: Path) -> list[Any]:
        field = self.schema.field(path)
        if not field.merges:
            return self._replacement(patch, path)
        if not original and not patch:
            return []
        if _element_kind(original, patch) != "object":
            unique: dict[Hashable, Any] = {}
            for item in original + patch:
                unique.setdefault(canonical(item), item)
            merged = list(unique.values())
            in_patch = {canonical(item) for item in patch}
            return _ordered([item for item in merged if canonical(item) in in_patch],
                            [item for item in merged if canonical(item) not in in_patch], patch, original, canonical)
        key = field.merge_key
        if not key:
            raise BadRequest(f"cannot merge lists without merge key for {_dotted(path)}")
        return self._merge_keyed(original, patch, key, path)

    def _replacement(self, patch: list[Any], path: Path) -> list[Any]:
        """A list replaced whole: its elements, directive markers dropped."""
        out = []
        for item in patch:
            if isinstance(item, dict) and item.get(DIRECTIVE) == "replace":
                continue
            value = self.fresh(item, path)
            if not isinstance(value, _Deleted):
                out.append(value)
        return out

    def _merge_keyed(self, original: list[Any], patch: list[Any], key: str, path: Path) -> list[Any]:
        remaining, deleted, replace = [], set(), False
        for item in patch:
            if DIRECTIVE not in item:
                remaining.append(item)
                continue
            directive = item[DIRECTIVE]
            if directive == "delete":
                if key not in item:
                    raise _no_merge_key(item, key)
                deleted.add(canonical(item[key]))
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                if rest := {name: value for name, value in item.items() if name != DIRECTIVE}:
                    remaining.append(rest)
            else:
                raise BadRequest(f"unknown patch type: {go_format(directive)} in map: {go_format(item)}")
        for item in remaining:
            if key not in item:
                raise _no_merge_key(item, key)
        if replace:
            return [value for item in remaining if isinstance(value := self.merge_map(None, item, path), dict)]
        base = [item for item in original if not (key in item and canonical(item[key]) in deleted)]
        server_order = list(base)
        positions = {}
        for at, item in enumerate(base):
            if key in item:
                positions.setdefault(canonical(item[key]), at)
        for item in remaining:
            value_key = canonical(item[key])
            at = positions.get(value_key)
            if at is None:
                positions[value_key] = len(base)
                base.append(self.merge_map(None, item, path))
            else:
                base[at] = self.merge_map(base[at], item, path)
        for item in base:
            if key not in item:
                raise _no_merge_key(item, key)
        in_patch = {canonical(item[key]) for item in remaining}

        def key_of(item: dict[str, Any]) -> Hashable:
            return canonical(item[key])
        return _ordered([item for item in base if key_of(item) in in_patch],
                        [item for item in base if key_of(item) not in in_patch], remaining, server_order, key_of)

    # $setElementOrder

    def _set_element_orders(self, result: dict[str, Any], patch: dict[str, Any], path: Path) -> None:
        for directive in [key for key in patch if key.startswith(SET_ELEMENT_ORDER)]:
            order = patch.pop(directive)
            name = _directive_field(directive, SET_ELEMENT_ORDER, ERR_SET_ELEMENT_ORDER)
            if not isinstance(order, list):
                raise _not_a_list(order)
            original, new = result.get(name, _MISSING), patch.get(name, _MISSING)
            for value in (original, new):
                if value is not _MISSING and not isinstance(value, list):
                    raise _not_a_list(value)
            sub = (*path, name)
            merge_key = self.schema.field(sub).merge_key
            if not merge_key and any(isinstance(item, dict | list) for value in (order, original, new)
                                     if isinstance(value, list) for item in value):
                raise BadRequest(f"{directive}: {_dotted(sub)} is not a list merged by key (its patch strategy "
                                 "is replace): there is no key to order its elements by")
            self._check_order(new if new is not _MISSING else [], order, merge_key)
            if original is _MISSING and new is _MISSING:
                continue
            if new is _MISSING:
                merged = original
            else:
                merged = self.merge_list(original if original is not _MISSING else [], new, sub)
            patch.pop(name, None)
            result[name] = self._reorder(merged, order, original if original is not _MISSING else [], merge_key)

    @staticmethod
    def _reorder(merged: list[Any], order: list[Any], live: list[Any], merge_key: str) -> list[Any]:
        if not merged:
            return merged
        key_of: Callable[[Any], Hashable]
        if merge_key:
            for item in (*order, *merged):
                if not isinstance(item, dict):
                    raise BadRequest(f"expected a map[string]interface {{}}, but received a {go_type(item)}")
                if merge_key not in item:
                    raise _no_merge_key(item, merge_key)

            def key_of(item: Any) -> Hashable:
                return canonical(item[merge_key])
        else:
            key_of = canonical
        wanted = {key_of(item) for item in order}
        return _ordered([item for item in merged if key_of(item) in wanted],
                        [item for item in merged if key_of(item) not in wanted], order, live, key_of)

    @staticmethod
    def _check_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
        """The patch's elements must be in the order list, in its order
        (elements carrying a `$patch` directive are not counted)."""
        if not patch_list or not order:
            return
        if merge_key:
            for item in patch_list:
                if not isinstance(item, dict):
                    raise BadRequest(f"expected a map[string]interface {{}}, but received a {go_type(item)}")
        items = [item for item in patch_list if not (isinstance(item, dict) and DIRECTIVE in item)]

        def key_of(item: Any) -> Hashable:
            if not merge_key:
                return canonical(item)
            if not isinstance(item, dict):
                raise BadRequest(f"expected a map[string]interface {{}}, but received a {go_type(item)}")
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            return canonical(item[merge_key])

        at = 0
        for wanted in order:
            if at == len(items):
                break
            if key_of(items[at]) == key_of(wanted):
                at += 1
        if at < len(items):
            raise BadRequest(f"The order in patch list:\n{go_format(patch_list)}\n doesn't match "
                             f"{SET_ELEMENT_ORDER} list:\n{go_format(order)}\n")
