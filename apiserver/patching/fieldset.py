"""Field sets for server-side apply: which fields of an object a manager owns,
as the paths Kubernetes' structured-merge-diff uses, and their `fieldsV1`
encoding in `metadata.managedFields`.

A path is a tuple of path elements, each spelled as its `fieldsV1` key:
`f:<name>` a field of an object (struct field or map key), `k:{"name":"main"}`
an element of an associative list (a list-map, keyed by its key fields, sorted
by name), `v:<json>` an element of a set-list of scalars, `i:<n>` a list
element by position (read and printed, never produced: Kubernetes' lists are
atomic, list-maps or sets). A set holds leaves (scalars, atomic lists, empty
objects) and the list elements and map entries that were set themselves; in
`fieldsV1` an owned node with owned children carries `".": {}`.

How a list merges is the schema's business: a `ListSchema` maps (apiVersion,
kind, path of field names) to a `ListType`; `kubernetes_list_type` reads the one
table of apiserver/patching/schema.py; `list_schema_from_keys` adapts a plain
`ListKeys` lookup (keys, () for a set, None for atomic) to the same shape.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apiserver.patching.schema import DEFAULT, OBJECT_META, field_schema, kind_schema

__all__ = ["ATOMIC", "SET", "FieldPathError", "ListKeys", "ListSchema", "ListType", "Path", "element_of",
           "element_order", "from_fields_v1", "index_list", "kubernetes_list_type", "list_schema_from_keys",
           "object_field_set", "path_string", "to_fields_v1"]

Path = tuple[str, ...]


@dataclass(frozen=True)
class ListType:
    """How a list field merges and is owned: atomic (replaced whole, owned as
    one leaf), a set of scalars (`v:` elements) or a list-map keyed by `keys`
    (`k:` elements); `defaults` stands in for a key field an element omits
    (a port's protocol is "TCP"), as the OpenAPI default does in Kubernetes."""

    keys: tuple[str, ...] = ()
    is_set: bool = False
    defaults: tuple[tuple[str, Any], ...] = ()

    @property
    def atomic(self) -> bool:
        return not self.keys and not self.is_set


ATOMIC = ListType()
SET = ListType(is_set=True)


# (apiVersion, kind, field names from the object's root, list positions left out) -> the list's type
ListSchema = Callable[[str, str, tuple[str, ...]], ListType]
# the plainer lookup: the list-map keys, () for a set of scalars, None for an atomic list
ListKeys = Callable[[str, str, tuple[str, ...]], tuple[str, ...] | None]


def list_schema_from_keys(keys: ListKeys) -> ListSchema:
    """A ListSchema over a ListKeys lookup (no key defaults)."""
    def lookup(api_version: str, kind: str, names: tuple[str, ...]) -> ListType:
        found = keys(api_version, kind, names)
        if found is None:
            return ATOMIC
        return ListType(keys=tuple(found)) if found else SET
    return lookup


def kubernetes_list_type(api_version: str, kind: str, names: tuple[str, ...]) -> ListType:
    """The list type apiserver/patching/schema.py declares for a field (with
    its key defaults); atomic for a list it does not list, as Kubernetes.
    A kind the table lacks (a custom resource) still has ObjectMeta's lists."""
    if names[:1] == ("metadata",) and kind_schema(api_version, kind) is None:
        found = OBJECT_META.get(names[1:], DEFAULT)
    else:
        found = field_schema(api_version, kind, names)
    if found.list_type == "map" and found.list_map_keys:
        return ListType(keys=found.list_map_keys, defaults=found.key_defaults)
    if found.list_type == "set":
        return SET
    return ATOMIC


class FieldPathError(ValueError):
    """An object that has no field set under its schema (a list-map element
    without its key, duplicate keys...); the message starts with the path."""


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int | float)


def _canonical(value: Any) -> Any:
    # Go decodes an integral JSON number as an integer, so 80.0 and 80 are the same key
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


# encoding/json's HTML-safe escapes, which Kubernetes' fieldsV1 keys carry
_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json(value: Any) -> str:
    return json.dumps(_canonical(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True,
                      allow_nan=False).translate(_GO_ESCAPES)


def element_of(item: Any, list_type: ListType) -> str:
    """The path element of one element of a set or list-map; FieldPathError
    (with no path prefix) if it has none."""
    if list_type.keys:
        if not isinstance(item, dict):
            raise FieldPathError("associative list with keys has an element that is not an object")
        defaults = dict(list_type.defaults)
        key: dict[str, Any] = {}
        for name in list_type.keys:
            value = item.get(name, defaults.get(name))
            if value is None:
                raise FieldPathError("associative list with keys has an element that omits key field "
                                     f"{json.dumps(name)} (and doesn't have default value)")
            if not _is_scalar(value):
                raise FieldPathError(f"associative list key field {json.dumps(name)} is not a scalar")
            key[name] = value
        return "k:" + _json(key)
    if list_type.is_set:
        if not _is_scalar(item):
            raise FieldPathError("associative list without keys has an element that is not a scalar")
        return "v:" + _json(item)
    raise FieldPathError("an atomic list has no elements of its own")


def index_list(items: list[Any], list_type: ListType, where: Path = ()) -> dict[str, Any]:
    """A set's or list-map's elements by path element, in list order.
    FieldPathError if an element has no key or two share one."""
    out: dict[str, Any] = {}
    for position, item in enumerate(items):
        try:
            element = element_of(item, list_type)
        except FieldPathError as err:
            raise FieldPathError(f"{path_string(where)}[{position}]: {err}") from None
        if element in out:
            raise FieldPathError(f"{path_string(where)}: duplicate entries for key {path_string((element,))}")
        out[element] = item
    return out


def object_field_set(obj: Mapping[str, Any], list_type_at: Callable[[tuple[str, ...]], ListType]) -> set[Path]:
    """Every path `obj` sets, as structured-merge-diff's ToFieldSet: scalars,
    atomic lists, empty objects and nulls are leaves; a non-empty object is
    owned only through its fields; each set or list-map element is owned
    itself and through its fields. FieldPathError for a malformed list."""
    out: set[Path] = set()
    _walk_object(obj, (), (), list_type_at, out)
    return out


def _walk_object(obj: Mapping[str, Any], path: Path, names: tuple[str, ...],
                 list_type_at: Callable[[tuple[str, ...]], ListType], out: set[Path]) -> None:
    for name, value in obj.items():
        child = (*path, f"f:{name}")
        if isinstance(value, dict) and value:
            _walk_object(value, child, (*names, name), list_type_at, out)
        elif isinstance(value, list):
            _walk_list(value, child, (*names, name), list_type_at, out)
        else:
            out.add(child)


def _walk_list(items: list[Any], path: Path, names: tuple[str, ...],
               list_type_at: Callable[[tuple[str, ...]], ListType], out: set[Path]) -> None:
    list_type = list_type_at(names)
    if list_type.atomic:
        out.add(path)
        return
    for element, item in index_list(items, list_type, path).items():
        out.add((*path, element))
        if isinstance(item, dict):
            _walk_object(item, (*path, element), names, list_type_at, out)


def element_order(element: str) -> tuple[Any, ...]:
    """structured-merge-diff's PathElement order: fields, then keys, values, indexes."""
    kind, _, text = element.partition(":")
    if kind == "f":
        return (0, text)
    if kind == "k":
        key = json.loads(text)
        return (1, len(key), [(name, _value_order(value)) for name, value in sorted(key.items())])
    if kind == "v":
        return (2, _value_order(json.loads(text)))
    return (3, int(text))


def _value_order(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (3, json.dumps(value, sort_keys=True))


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """The `fieldsV1` document of a set: one nested object per path element,
    `{}` for an owned leaf, `".": {}` for an owned node that has children."""
    tree: dict[str, Any] = {}
    members: set[int] = set()
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
        if path:
            members.add(id(node))
    return _emit(tree, members)


def _emit(node: dict[str, Any], members: set[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if id(node) in members and node:
        out["."] = {}
    for element in sorted(node, key=element_order):
        out[element] = _emit(node[element], members)
    return out


def from_fields_v1(doc: Any) -> set[Path]:
    """The set a `fieldsV1` document encodes, its elements respelled
    canonically; ValueError if it is not one."""
    if not isinstance(doc, dict):
        raise ValueError("fieldsV1 must be an object")
    out: set[Path] = set()
    todo: list[tuple[Path, dict[str, Any]]] = [((), doc)]
    while todo:
        path, node = todo.pop()
        for key, child in node.items():
            if not isinstance(child, dict):
                raise ValueError(f"fieldsV1 entry {key!r} must be an object")
            if key == ".":
                if not path or child:
                    raise ValueError("fieldsV1 '.' must be an empty object inside an element")
                out.add(path)
                continue
            element = (*path, _parse_element(key))
            if not child:
                out.add(element)
            else:
                todo.append((element, child))
    return out


def _parse_element(key: str) -> str:
    kind, colon, text = key.partition(":")
    if not colon or kind not in ("f", "k", "v", "i"):
        raise ValueError(f"fieldsV1 key {key!r} is not a path element")
    if kind == "f":
        return key
    if kind == "i":
        if not text.isdigit():
            raise ValueError(f"fieldsV1 key {key!r} has a bad index")
        return f"i:{int(text)}"
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError(f"fieldsV1 key {key!r} is not JSON after its prefix") from None
    if kind == "k" and not (isinstance(value, dict) and value and all(map(_is_scalar, value.values()))):
        raise ValueError(f"fieldsV1 key {key!r} must name scalar key fields")
    if kind == "v" and not _is_scalar(value):
        raise ValueError(f"fieldsV1 key {key!r} must hold a scalar")
    return f"{kind}:{_json(value)}"


def _to_string(value: Any) -> str:
    """structured-merge-diff's value.ToString: strings quoted, the rest as JSON."""
    return json.dumps(value, ensure_ascii=False)


def path_string(path: Path) -> str:
    """A path as Kubernetes prints it: `.spec.containers[name="main"].image`,
    `.spec.ports[port=80,protocol="TCP"]`, `.metadata.finalizers[="x"]`, `.a[0]`."""
    parts: list[str] = []
    for element in path:
        kind, _, text = element.partition(":")
        if kind == "f":
            parts.append("." + text)
        elif kind == "k":
            key = json.loads(text)
            parts.append("[" + ",".join(f"{name}={_to_string(key[name])}" for name in sorted(key)) + "]")
        elif kind == "v":
            parts.append(f"[={_to_string(json.loads(text))}]")
        else:
            parts.append(f"[{text}]")
    return "".join(parts)
