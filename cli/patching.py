"""The patch types of `kubelite patch`, applied to the object the client read:
JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes' strategic
merge patch for the list fields kubelite's kinds have (lists of objects merge
by their key, e.g. containers by name; `$patch: delete` removes an element)."""

from __future__ import annotations

import copy
from typing import Any

from kubelite.merge_patch import merge_patch

# field name -> the key its list elements merge on (Kubernetes' patchMergeKey)
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "ports": "containerPort",
              "volumeMounts": "mountPath", "volumes": "name", "conditions": "type", "imagePullSecrets": "name",
              "taints": "key", "addresses": "type", "ownerReferences": "uid", "containerStatuses": "name"}
# lists of strings merged as sets (patchStrategy: merge without a key)
SET_LISTS = {"finalizers"}


class PatchError(ValueError):
    """A patch that cannot be applied, worded for the user."""


def strategic_merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if "$patch" in patch or "$retainKeys" in patch:
        raise PatchError(f"unsupported strategic merge directive {patch.get('$patch') or '$retainKeys'!r}")
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif key in MERGE_KEYS and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, MERGE_KEYS[key])
        elif key in SET_LISTS and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = result[key] + [v for v in value if v not in result[key]]
        else:
            result[key] = strategic_merge(result.get(key), value)
    return result


def _merge_list(current: list[Any], patch: list[Any], key: str) -> list[Any]:
    merged = copy.deepcopy(current)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"each element of a list merged by {key!r} needs a {key!r}")
        directive = item.get("$patch")
        at = next((i for i, old in enumerate(merged) if isinstance(old, dict) and old.get(key) == item[key]), None)
        if directive == "delete":
            if at is not None:
                del merged[at]
        elif directive is not None:
            raise PatchError(f"unsupported strategic merge directive {directive!r}")
        elif at is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[at] = strategic_merge(merged[at], item)
    return merged


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}: it must start with /")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        node = _child(node, part, path)
    return node, parts[-1]


def _child(node: Any, part: str, path: str) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise PatchError(f"path {path!r} does not exist")


def _get(doc: Any, path: str) -> Any:
    node = doc
    for part in _pointer(path):
        node = _child(node, part, path)
    return node


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise PatchError("cannot remove the whole document")
    parent, last = _parent(doc, parts, path)
    value = _child(parent, last, path)
    if isinstance(parent, list):
        del parent[int(last)]
    else:
        del parent[last]
    return value


def _add(doc: Any, path: str, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return copy.deepcopy(value)
    parent, last = _parent(doc, parts, path)
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-":
            parent.append(copy.deepcopy(value))
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), copy.deepcopy(value))
        else:
            raise PatchError(f"path {path!r}: index out of range")
    else:
        raise PatchError(f"path {path!r} does not exist")
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 on a copy of `target`."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch is a list of operations")
    doc = copy.deepcopy(target)
    for i, op in enumerate(operations):
        if not isinstance(op, dict) or not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
            raise PatchError(f"operation {i}: needs \"op\" and \"path\"")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {i} ({kind}): needs a \"value\"")
        if kind in ("move", "copy") and not isinstance(op.get("from"), str):
            raise PatchError(f"operation {i} ({kind}): needs \"from\"")
        if kind == "add":
            doc = _add(doc, path, op["value"])
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            if _pointer(path):
                _remove(doc, path)
            doc = _add(doc, path, op["value"])
        elif kind == "move":
            doc = _add(doc, path, _remove(doc, op["from"]))
        elif kind == "copy":
            doc = _add(doc, path, _get(doc, op["from"]))
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise PatchError(f"operation {i} (test): {path} is not {op['value']!r}")
        else:
            raise PatchError(f"operation {i}: unknown op {kind!r}")
    return doc


def apply_patch(target: Any, patch: Any, patch_type: str) -> Any:
    if patch_type == "json":
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise PatchError(f"a {patch_type} merge patch is a JSON object")
    return merge_patch(target, patch) if patch_type == "merge" else strategic_merge(target, patch)
