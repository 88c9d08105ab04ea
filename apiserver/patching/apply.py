"""Server-side apply (`PATCH` with `Content-Type: application/apply-patch+yaml`)
and the field ownership every write records in `metadata.managedFields`, as
Kubernetes' structured-merge-diff does it.

The API server's patch handler decodes the body with `parse_applied` and
calls `apply` on the stored object (None to create it); every other write
(create, update, merge/strategic/JSON patch) calls `record_update` on the
object it is about to store. Pure functions: no I/O, the clock is `now`.

Rules (kubernetes.io "Server-Side Apply", structured-merge-diff `merge/update.go`):
- A manager's Apply entry is exactly the field set of its last applied
  configuration; an Update entry gathers the fields its writes changed.
  Entries are keyed by manager, operation, subresource and, for Update only,
  apiVersion.
- Apply merges the configuration into the object (objects field by field,
  list-maps and sets element by element, atomic lists whole; null removes).
  A field the manager applied last time but no longer does is removed from
  the object unless another manager owns it (or, for an object field,
  something under it; a list element goes whole unless the element itself
  is owned).
- A field that the apply changes (or adds) and that another manager owns is
  a conflict; `force` takes it over instead. Applying the same value as
  another manager shares the field. Removed fields leave every entry.
- An update takes the fields it changes away from every other manager.
- Never owned: apiVersion, kind, metadata's name, namespace, uid,
  resourceVersion, generation, creationTimestamp, selfLink, managedFields;
  `status` on the main resource (everything but `status` on the status
  subresource), which the strategy resets anyway.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import yaml

from apiserver.patching.fieldset import (
    FieldPathError,
    ListSchema,
    ListType,
    Path,
    element_of,
    element_order,
    index_list,
    kubernetes_list_type,
    object_field_set,
    path_string,
)
from apiserver.patching.managed_fields import (
    ANCIENT_CHANGES,
    APPLY,
    MAX_UPDATE_MANAGERS,
    UPDATE,
    Entry,
    cap_updates,
    decode_lenient,
    decode_strict,
    encode,
)
from apiserver.patching.values import decode_json, json_equal, json_kind
from kubelite import yamlload
from kubelite.errors import BadRequest, Conflict

__all__ = ["ANCIENT_CHANGES", "APPLY", "BEFORE_FIRST_APPLY", "MAX_UPDATE_MANAGERS", "UPDATE", "apply",
           "parse_applied", "record_update"]

# who owns what an object had when its first apply found no managedFields (Kubernetes' name)
BEFORE_FIRST_APPLY = "before-first-apply"
# deeper documents are refused before any recursive walk can run out of stack
MAX_DEPTH = 128

_SUBRESOURCES = ("", "status")
_STRIPPED: frozenset[Path] = frozenset({
    ("f:apiVersion",), ("f:kind",), ("f:metadata",),
    *(("f:metadata", f"f:{name}") for name in ("name", "namespace", "uid", "resourceVersion", "generation",
                                                 "creationTimestamp", "selfLink", "clusterName", "managedFields")),
})
# metadata the server keeps: an apply configuration never sets these
_SYSTEM_METADATA = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
                    "deletionTimestamp", "deletionGracePeriodSeconds")

# top-level fields Kubernetes' typed objects always have (non-pointer structs)
_ALWAYS_THERE = ("metadata", "spec", "status")

_ListsAt = Callable[[tuple[str, ...]], ListType]


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_MISSING = _Sentinel("MISSING")  # no such field on this side
_DELETE = _Sentinel("DELETE")  # a merge result: drop the field


# --- values ------------------------------------------------------------------------------------------------------

def _json_copy(value: Any, where: str, depth: int = 0) -> Any:
    """A fresh copy of a JSON document; BadRequest for anything JSON has not
    (YAML timestamps become their ISO 8601 text)."""
    if depth > MAX_DEPTH:
        raise BadRequest(f"{where}: object nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadRequest(f"{where}: object keys must be strings, got {key!r}")
            out[key] = _json_copy(item, where, depth + 1)
        return out
    if isinstance(value, list):
        return [_json_copy(item, where, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(f"{where}: {value} is not a JSON number")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise BadRequest(f"{where}: a {type(value).__name__} is not a JSON value")


def _elements(items: Any, list_type: ListType) -> dict[str, Any] | None:
    """A set's or list-map's elements by path element; None for an atomic
    list, or one whose elements have no distinct keys (treated as atomic)."""
    if list_type.atomic or not isinstance(items, list):
        return None
    try:
        return index_list(items, list_type)
    except FieldPathError:
        return None


def _in_scope(path: Path, subresource: str) -> bool:
    """Whether a write to `subresource` may own `path`."""
    if path in _STRIPPED:
        return False
    is_status = path[:1] == ("f:status",)
    return is_status if subresource == "status" else not is_status


def _tracked(paths: Iterable[Path], subresource: str) -> frozenset[Path]:
    return frozenset(path for path in paths if _in_scope(path, subresource))


def _view(obj: dict[str, Any], subresource: str) -> dict[str, Any]:
    """The part of an object whose changes a write to `subresource` owns
    (without managedFields); shares structure with `obj`."""
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    view = {key: value for key, value in obj.items() if key != "status"}
    if isinstance(view.get("metadata"), dict):
        view["metadata"] = {key: value for key, value in view["metadata"].items() if key != "managedFields"}
    return view


# --- comparing ---------------------------------------------------------------------------------------------------

@dataclass
class _Diff:
    added: set[Path]
    modified: set[Path]
    removed: set[Path]


def _nodes(value: Any, path: Path, names: tuple[str, ...], lists_at: _ListsAt, out: set[Path]) -> None:
    """`path` and every field and element under it (one side of a comparison missing)."""
    out.add(path)
    if isinstance(value, dict):
        for name, item in value.items():
            _nodes(item, (*path, f"f:{name}"), (*names, name), lists_at, out)
    elif isinstance(value, list):
        elements = _elements(value, lists_at(names))
        for element, item in (elements or {}).items():
            _nodes(item, (*path, element), names, lists_at, out)


def _compare(lhs: Any, rhs: Any, path: Path, names: tuple[str, ...], lists_at: _ListsAt, diff: _Diff) -> None:
    """structured-merge-diff's Compare: leaves added, removed or modified, and
    every object, entry or element that only one side has."""
    if isinstance(lhs, dict) and isinstance(rhs, dict):
        for name in lhs.keys() | rhs.keys():
            _compare_child(lhs.get(name, _MISSING), rhs.get(name, _MISSING), (*path, f"f:{name}"), (*names, name),
                           lists_at, diff)
        return
    if isinstance(lhs, list) and isinstance(rhs, list) and (lhs or rhs):
        list_type = lists_at(names)
        left, right = _elements(lhs, list_type), _elements(rhs, list_type)
        if left is not None and right is not None:
            for element in left.keys() | right.keys():
                _compare_child(left.get(element, _MISSING), right.get(element, _MISSING), (*path, element), names,
                               lists_at, diff)
            return
    if json_equal(lhs, rhs):
        return
    diff.modified.add(path)
    if _container(lhs) != _container(rhs):  # an object became a list or scalar, or the other way round
        for side, into in ((lhs, diff.removed), (rhs, diff.added)):
            below: set[Path] = set()
            _nodes(side, path, names, lists_at, below)
            into |= below - {path}


def _container(value: Any) -> str:
    return "object" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"


def _compare_child(lhs: Any, rhs: Any, path: Path, names: tuple[str, ...], lists_at: _ListsAt, diff: _Diff) -> None:
    if rhs is _MISSING:
        _nodes(lhs, path, names, lists_at, diff.removed)
    elif lhs is _MISSING:
        _nodes(rhs, path, names, lists_at, diff.added)
    else:
        _compare(lhs, rhs, path, names, lists_at, diff)


def _diff(old: dict[str, Any], new: dict[str, Any], lists_at: _ListsAt, subresource: str) -> _Diff:
    """What changed from `old` to `new`, in what `subresource` owns. As in
    Kubernetes' typed objects, whose metadata, spec and status are always
    there, one of those only one side has counts as there but empty: its
    fields are added or removed, not the object itself."""
    left, right = _view(old, subresource), _view(new, subresource)
    for name in _ALWAYS_THERE:
        for one, other in ((left, right), (right, left)):
            if isinstance(one.get(name), dict) and name not in other:
                other[name] = {}
    diff = _Diff(set(), set(), set())
    _compare(left, right, (), (), lists_at, diff)
    return _Diff(set(_tracked(diff.added, subresource)), set(_tracked(diff.modified, subresource)),
                 set(_tracked(diff.removed, subresource)))


# --- merging and pruning -----------------------------------------------------------------------------------------

def _merged_order(left: list[str], right: list[str]) -> list[str]:
    """The elements of a merged list: the applied ones in applied order, each
    element only the live list has kept where it stood among them."""
    in_right, in_left = set(right), set(left)
    shared = [element for element in right if element in in_left]
    out: list[str] = []
    i = j = s = 0
    while i < len(left) or j < len(right):
        next_shared = shared[s] if s < len(shared) else None
        if i < len(left) and j < len(right) and left[i] == right[j]:
            out.append(left[i])
            i, j, s = i + 1, j + 1, s + 1
            continue
        if i < len(left):
            if left[i] not in in_right:
                out.append(left[i])
                i += 1
                continue
            if left[i] != next_shared:  # applied later on: it goes where the applied list has it
                i += 1
                continue
        if j < len(right):
            out.append(right[j])
            if right[j] == next_shared:
                s += 1
            j += 1
    return out


def _merge(lhs: Any, rhs: Any, names: tuple[str, ...], lists_at: _ListsAt) -> Any:
    """`rhs` (applied) merged into `lhs` (live, reused in place); _DELETE for a null."""
    if rhs is None:
        return _DELETE
    if isinstance(rhs, dict):
        out = lhs if isinstance(lhs, dict) else {}
        for name, value in rhs.items():
            merged = _merge(out.get(name, _MISSING), value, (*names, name), lists_at)
            if merged is _DELETE:
                out.pop(name, None)
            else:
                out[name] = merged
        return out
    if isinstance(rhs, list):
        list_type = lists_at(names)
        if list_type.atomic:
            return rhs
        right = index_list(rhs, list_type)  # checked when the applied field set was taken
        left = _elements(lhs, list_type) or {}  # a live list without distinct keys is replaced
        items: list[Any] = []
        for element in _merged_order(list(left), list(right)):
            if element in right:
                merged = _merge(left.get(element, _MISSING), right[element], names, lists_at)
                if merged is not _DELETE:
                    items.append(merged)
            else:
                items.append(left[element])
        return items
    return rhs


def _locate(obj: dict[str, Any], path: Path, lists_at: _ListsAt) -> list[tuple[Any, Any]] | None:
    """The (container, key or index) steps from the root to `path`, or None if the object has no such field."""
    steps: list[tuple[Any, Any]] = []
    node: Any = obj
    names: tuple[str, ...] = ()
    for element in path:
        kind, _, text = element.partition(":")
        if kind == "f":
            if not isinstance(node, dict) or text not in node:
                return None
            steps.append((node, text))
            node, names = node[text], (*names, text)
            continue
        if not isinstance(node, list):
            return None
        position = _position(node, element, lists_at(names))
        if position is None:
            return None
        steps.append((node, position))
        node = node[position]
    return steps


def _position(items: list[Any], element: str, list_type: ListType) -> int | None:
    if element.startswith("i:"):
        index = int(element[2:])
        return index if index < len(items) else None
    if list_type.atomic:
        return None
    for position, item in enumerate(items):
        try:
            if element_of(item, list_type) == element:
                return position
        except FieldPathError:
            continue
    return None


def _prune(obj: dict[str, Any], stale: Iterable[Path], owned: frozenset[Path], lists_at: _ListsAt) -> None:
    """Remove each stale path (applied last time, not now) that no manager owns.
    As structured-merge-diff: a field stays while a manager owns something
    under it; a list element goes whole unless a manager owns the element
    itself; a kept element keeps its key fields. An object or list left empty
    goes too, unless owned (Kubernetes leaves it null, which the typed object
    then drops)."""
    under_owned = {path[:depth] for path in owned for depth in range(1, len(path))}
    for path in sorted(stale, key=len):
        if path in owned or (path[-1].startswith("f:") and (path in under_owned or _is_key_field(path))):
            continue
        steps = _locate(obj, path, lists_at)
        if steps is None:
            continue
        container, key = steps[-1]
        del container[key]
        for depth in range(len(steps) - 1, 0, -1):
            container, key = steps[depth - 1]
            if container[key] or path[:depth] in owned or path[:depth] == ("f:metadata",):
                break
            del container[key]


def _is_key_field(path: Path) -> bool:
    """Whether `path` is a key field of the list-map element it is in."""
    return len(path) >= 2 and path[-2].startswith("k:") and path[-1][2:] in json.loads(path[-2][2:])


# --- conflicts ---------------------------------------------------------------------------------------------------

def _iteration_order(path: Path) -> tuple[Any, ...]:
    """The order a structured-merge-diff set iterates: a node's own members before its children's."""
    return (*((1, element_order(element)) for element in path[:-1]), (0, element_order(path[-1])))


def _conflict_error(conflicts: dict[Entry, frozenset[Path]], kind: str, name: str) -> Conflict:
    """Kubernetes' apply conflict (apimachinery managedfields/internal/conflict.go)."""
    ordered = [(entry, sorted(conflicts[entry], key=_iteration_order))
               for entry in sorted(conflicts, key=Entry.identifier_json)]
    total = sum(len(paths) for _, paths in ordered)
    if total == 1:
        entry, (path,) = ordered[0]
        message = f"Apply failed with 1 conflict: conflict with {entry.described()}: {path_string(path)}"
    else:
        lines: list[str] = []
        for entry, paths in ordered:
            lines.append(f"conflicts with {entry.described()}:")
            lines.extend(f"- {path_string(path)}" for path in paths)
        message = f"Apply failed with {total} conflicts: " + "\n".join(lines)
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {entry.described()}",
               "field": path_string(path)} for entry, paths in ordered for path in paths]
    return Conflict(message, kind=kind, name=name, causes=causes)


# --- the body ----------------------------------------------------------------------------------------------------

def _parse(body: bytes) -> Any:
    """The one place an apply body is decoded: JSON (what kubectl sends), else
    YAML through kubelite.yamlload (bounded aliasing). BadRequest if neither."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("error decoding YAML: the body is not UTF-8") from None
    try:
        return decode_json(text)
    except RecursionError:
        raise BadRequest(f"error decoding YAML: {yamlload.TOO_DEEP}") from None
    except ValueError:
        pass
    try:
        return yamlload.load(text, "apply patch")
    except yaml.YAMLError as err:
        raise BadRequest("error decoding YAML: " + " ".join(str(err).split())) from None


def _check_shape(applied: Any) -> dict[str, Any]:
    if not isinstance(applied, dict):
        raise BadRequest(f"an apply patch must be an object, not {json_kind(applied)}")
    for name, label in (("apiVersion", "apiVersion"), ("kind", "Kind")):
        if not isinstance(applied.get(name), str) or not applied[name]:
            raise BadRequest(f"Object '{label}' is missing in the apply patch")
    metadata = applied.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise BadRequest("metadata.name is required in an apply patch")
    return applied


def parse_applied(body: bytes) -> dict[str, Any]:
    """An apply-patch body (YAML or JSON) as the configuration `apply` takes.
    BadRequest (one line) if it is not YAML, not an object, or lacks
    apiVersion, kind or metadata.name."""
    return _check_shape(_json_copy(_parse(body), "apply patch"))


def _gvk(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={kind}"


def _check_subresource(subresource: str) -> None:
    if subresource not in _SUBRESOURCES:
        raise ValueError(f"field ownership is tracked for the main resource and status, not {subresource!r}")


def _configuration(applied: dict[str, Any], subresource: str) -> dict[str, Any]:
    """What of an apply configuration is merged: no server-kept metadata, and
    no status on the main resource (only status on the status subresource)."""
    config = _json_copy(applied, "apply patch")
    metadata = config["metadata"]
    if subresource == "status":
        config = {key: config[key] for key in ("apiVersion", "kind", "status") if key in config}
        config["metadata"] = {key: metadata[key] for key in ("name", "namespace") if key in metadata}
    else:
        config.pop("status", None)
        for name in _SYSTEM_METADATA:
            metadata.pop(name, None)
    return config


def _check_target(current: dict[str, Any], applied: dict[str, Any]) -> None:
    if applied["apiVersion"] != current.get("apiVersion"):
        raise BadRequest(f"Incorrect version specified in apply patch. Specified patch version: "
                         f"{applied['apiVersion']}, expected: {current.get('apiVersion')}")
    if applied["kind"] != current.get("kind"):
        raise BadRequest(f"apply patch kind {applied['kind']!r} does not match the object's kind "
                         f"{current.get('kind')!r}")
    metadata, live = applied["metadata"], current.get("metadata") or {}
    if metadata["name"] != live.get("name"):
        raise BadRequest(f"the name of the object ({metadata['name']}) does not match the name on the URL "
                         f"({live.get('name')})")
    if metadata.get("namespace") and live.get("namespace") and metadata["namespace"] != live["namespace"]:
        raise BadRequest(f"the namespace of the object ({metadata['namespace']}) does not match the namespace on "
                         f"the URL ({live['namespace']})")


def _stored_managed_fields(obj: dict[str, Any] | None) -> Any:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata.get("managedFields") if isinstance(metadata, dict) else None


# --- the two operations ------------------------------------------------------------------------------------------

def apply(current: dict[str, Any] | None, applied: dict[str, Any], manager: str, force: bool, now: str, *,
          lists: ListSchema = kubernetes_list_type, subresource: str = "") -> dict[str, Any]:
    """The object after `manager` applies `applied` to `current` (None: create
    it), with its managedFields; `now` (RFC 3339) stamps the applier's entry.
    Returns a fresh object, equal to `current` if the apply changes nothing.

    Raises BadRequest for a configuration that is not an object with
    apiVersion, kind and metadata.name, that names another object, carries
    metadata.managedFields, or has a list-map element without its key or a
    duplicate key (as Kubernetes: `failed to create typed patch object`);
    Conflict (409, causes FieldManagerConflict) if it changes fields another
    manager owns and `force` is false.

    `lists` says how each list merges (see fieldset.ListSchema);
    `subresource` is "" or "status"."""
    _check_subresource(subresource)
    if not manager:
        raise BadRequest("fieldManager is required for apply patch")
    _check_shape(applied)
    if applied["metadata"].get("managedFields") is not None:
        raise BadRequest("metadata.managedFields must be nil")
    if current is not None:
        _check_target(current, applied)
    api_version, kind, name = applied["apiVersion"], applied["kind"], applied["metadata"]["name"]
    config = _configuration(applied, subresource)

    def lists_at(names: tuple[str, ...]) -> ListType:
        return lists(api_version, kind, names)

    try:
        applied_set = _tracked(object_field_set(config, lists_at), subresource)
    except FieldPathError as err:
        raise BadRequest(f"failed to create typed patch object ({_gvk(api_version, kind)}): {err}") from None

    if current is None:
        created = _merge({}, config, (), lists_at)
        if applied_set:
            entry = Entry(manager, APPLY, api_version, subresource, now, applied_set)
            created["metadata"]["managedFields"] = encode([entry])
        return created

    live = _json_copy(current, "stored object")
    live_metadata = live.setdefault("metadata", {})
    entries = decode_lenient(live_metadata.pop("managedFields", None))
    before = set(entries)
    if not entries:  # an object no write has tracked yet: what it has, it had before this apply
        existing = _diff({}, live, lists_at, subresource).added
        if existing:
            entries = [Entry(BEFORE_FIRST_APPLY, UPDATE, str(live.get("apiVersion", "")), subresource, now,
                              frozenset(existing))]
    mine_identity = (manager, APPLY, "", subresource)
    last = next((entry for entry in entries if entry.identity == mine_identity), None)
    others = [entry for entry in entries if entry.identity != mine_identity]

    merged = _merge(copy.deepcopy(live), config, (), lists_at)
    if last is not None:
        owned = applied_set.union(*(entry.fields for entry in others))
        _prune(merged, last.fields - applied_set, owned, lists_at)

    diff = _diff(live, merged, lists_at, subresource)
    changed = diff.added | diff.modified
    conflicts = {entry: entry.fields & changed for entry in others if entry.fields & changed}
    if conflicts and not force:
        raise _conflict_error(conflicts, kind, name)

    object_changed = not json_equal(merged, live)
    time = now if object_changed or last is None else last.time
    after = [replace(entry, fields=entry.fields - changed - diff.removed) for entry in others]
    after.append(Entry(manager, APPLY, api_version, subresource, time, applied_set))
    after = cap_updates([entry for entry in after if entry.fields])
    if not object_changed and set(after) == before:
        return _json_copy(current, "stored object")
    if after:
        merged.setdefault("metadata", {})["managedFields"] = encode(after)
    return merged


def record_update(old: dict[str, Any] | None, new: dict[str, Any], manager: str, now: str, *,
                  lists: ListSchema = kubernetes_list_type, subresource: str = "") -> dict[str, Any]:
    """`new` with the managedFields a non-apply write by `manager` leaves:
    the fields it adds or changes against `old` (None: a create) join the
    manager's Update entry (one per manager, apiVersion and subresource) and
    leave every other entry; removed fields leave every entry.

    As Kubernetes: managedFields sent in `new` are taken as the starting
    point if they decode, else `old`'s are; `[{}]` clears them; an existing
    object that has none stays untracked until its first apply. Raises
    BadRequest only for a `new` that is not a JSON object."""
    _check_subresource(subresource)
    result = _json_copy(new, "object")
    if not isinstance(result, dict) or not isinstance(result.get("metadata"), dict):
        raise BadRequest("an object with metadata is required")
    metadata = result["metadata"]
    provided = metadata.pop("managedFields", None)
    if provided == [{}]:
        return result
    entries: list[Entry] | None = None
    if provided:
        try:
            entries = decode_strict(provided)
        except ValueError:
            entries = None
    if entries is None:
        entries = decode_lenient(_stored_managed_fields(old))
    if old is not None and not entries:
        return result
    api_version = str(result.get("apiVersion", ""))

    def lists_at(names: tuple[str, ...]) -> ListType:
        return lists(api_version, str(result.get("kind", "")), names)

    diff = _diff(old or {}, result, lists_at, subresource)
    changed = diff.added | diff.modified
    identity = (manager, UPDATE, api_version, subresource)
    mine = next((entry for entry in entries if entry.identity == identity), None)
    after = [replace(entry, fields=entry.fields - changed - diff.removed) for entry in entries if entry is not mine]
    if mine is not None or changed:
        kept = mine.fields - diff.removed if mine is not None else frozenset()
        time = now if changed or mine is None else mine.time
        after.append(Entry(manager, UPDATE, api_version, subresource, time, kept | changed))
    after = cap_updates([entry for entry in after if entry.fields])
    if after:
        metadata["managedFields"] = encode(after)
    return result
