"""JSON patch (RFC 6902, `application/json-patch+json`) as the API server
applies it: add, remove, replace, move, copy and test on JSON pointers
(RFC 6901: `~1` is `/`, `~0` is `~`, `-` is the end of an array).

Errors carry the wording of evanphx/json-patch, the library Kubernetes uses.
A patch that is not a list of well-formed operations is a `BadRequest` (400);
one that is well-formed but does not apply to the object (a missing path, a
failing test, an index out of range) is `Invalid` (422), as Kubernetes answers
it; more than 10000 operations is `RequestEntityTooLarge` (413). Unlike
evanphx/json-patch, array indexes follow the RFC strictly (no negative
indexes, no leading zeros), `replace` and `test` need their target to exist,
and a `move` into its own child is refused.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from apiserver.patching.values import compact, json_equal, json_kind
from kubelite.errors import BadRequest, Invalid, RequestEntityTooLarge

__all__ = ["MAX_COPY_BYTES", "MAX_OPERATIONS", "OPERATIONS", "Operation", "apply_json_patch", "decode_operations",
           "escape_token", "parse_pointer"]

MAX_OPERATIONS = 10_000          # Kubernetes' maxJSONPatchOperations
MAX_COPY_BYTES = 3 * 1024 * 1024  # Kubernetes' default JSONPatchMaxCopyBytes: what `copy` may add in all
OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")

_INDEX = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE = re.compile(r"~(?![01])")
_ABSENT: Any = object()


@dataclass(frozen=True)
class Operation:
    """One validated operation; `source` is the JSON of what the client sent."""

    op: str
    path: str
    from_: str = ""
    value: Any = None
    source: str = ""


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def parse_pointer(pointer: str) -> list[str] | None:
    """The reference tokens of a JSON pointer ("" is the whole document), or
    None when it is not a pointer (no leading `/`, a `~` not followed by 0 or 1)."""
    if pointer == "":
        return []
    if not pointer.startswith("/") or _BAD_ESCAPE.search(pointer):
        return None
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _member(op: dict[str, Any], name: str) -> Any:
    value = op.get(name)
    return _ABSENT if value is None else value


def _invalid_operation(source: str, what: str) -> BadRequest:
    return BadRequest(f"invalid operation {source}: {what}")


def _pointer_member(op: dict[str, Any], name: str, source: str) -> str:
    value = _member(op, name)
    if value is _ABSENT:
        label = "operation missing path field" if name == "path" else "operation, missing from field"
        raise _invalid_operation(source, f"failed to decode '{name}': {label}: missing value")
    if not isinstance(value, str):
        raise _invalid_operation(source, f"failed to decode '{name}': json: cannot unmarshal {json_kind(value)} "
                                         "into Go value of type string")
    return value


def decode_operations(body: Any) -> list[Operation]:
    """The operations of a decoded JSON patch body, each checked for the
    members its op needs. Raises BadRequest or RequestEntityTooLarge."""
    if not isinstance(body, list):
        raise BadRequest(f"json: cannot unmarshal {json_kind(body)} into Go value of type jsonpatch.Patch")
    if len(body) > MAX_OPERATIONS:
        raise RequestEntityTooLarge(f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, "
                                    f"got {len(body)}")
    operations = []
    for item in body:
        if not isinstance(item, dict):
            raise BadRequest(f"json: cannot unmarshal {json_kind(item)} into Go value of type jsonpatch.Operation")
        source = compact(item)
        kind = item.get("op")
        if kind not in OPERATIONS:
            raise _invalid_operation(source, f"Unexpected kind: {kind if isinstance(kind, str) else 'unknown'}")
        path = _pointer_member(item, "path", source)
        from_ = _pointer_member(item, "from", source) if kind in ("move", "copy") else ""
        if kind in ("add", "replace", "test") and "value" not in item:
            raise _invalid_operation(source, "failed to decode 'value': operation, missing value field: missing value")
        operations.append(Operation(kind, path, from_, item.get("value"), source))
    return operations


def _index(token: str) -> int | None:
    return int(token) if _INDEX.fullmatch(token) else None


def _parent(doc: Any, tokens: list[str]) -> dict[str, Any] | list[Any] | None:
    """The object or array holding the last token's target, if it exists."""
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                return None
            node = node[token]
        elif isinstance(node, list):
            at = _index(token)
            if at is None or at >= len(node):
                return None
            node = node[at]
        else:
            return None
    return node if isinstance(node, dict | list) else None


def _get(doc: Any, tokens: list[str]) -> Any:
    """The value at `tokens`, or _ABSENT."""
    if not tokens:
        return doc
    parent = _parent(doc, tokens)
    key = tokens[-1]
    if isinstance(parent, dict):
        return parent.get(key, _ABSENT)
    if isinstance(parent, list):
        at = _index(key)
        return parent[at] if at is not None and at < len(parent) else _ABSENT
    return _ABSENT


def _missing(op: str, path: str, *, quoted: bool = True, what: str = "path") -> Invalid:
    shown = f'"{path}"' if quoted else path
    return Invalid(f"{op} operation does not apply: doc is missing {what}: {shown}: missing value")


def _bad_index(context: str, key: str) -> Invalid:
    at = _index(key)
    if at is None and key != "-":
        return Invalid(f"{context}: value was not a proper array index: '{key}'")
    return Invalid(f"{context}: Unable to access invalid index: {key}: invalid index referenced")


def _insert(parent: dict[str, Any] | list[Any], key: str, value: Any, context: str) -> None:
    if isinstance(parent, dict):
        parent[key] = value
        return
    if key == "-":
        parent.append(value)
        return
    at = _index(key)
    if at is None or at > len(parent):
        raise _bad_index(context, key)
    parent.insert(at, value)


def _add(doc: Any, op: Operation) -> Any:
    tokens = parse_pointer(op.path)
    if tokens is None:
        raise _missing("add", op.path)
    if not tokens:
        return op.value
    parent = _parent(doc, tokens)
    if parent is None:
        raise _missing("add", op.path)
    _insert(parent, tokens[-1], op.value, f"error in add for path: '{op.path}'")
    return doc


def _detach(doc: Any, tokens: list[str], context: str) -> Any:
    """Remove and return the value at `tokens` (its parent exists)."""
    parent = _parent(doc, tokens)
    key = tokens[-1]
    if isinstance(parent, dict):
        if key not in parent:
            raise Invalid(f"{context}: unable to remove nonexistent key: {key}: missing value")
        return parent.pop(key)
    assert isinstance(parent, list)
    at = _index(key)
    if at is None or at >= len(parent):
        raise _bad_index(context, key)
    return parent.pop(at)


def _remove(doc: Any, op: Operation) -> Any:
    tokens = parse_pointer(op.path)
    if not tokens or _parent(doc, tokens) is None:
        raise _missing("remove", op.path)
    _detach(doc, tokens, f"error in remove for path: '{op.path}'")
    return doc


def _replace(doc: Any, op: Operation) -> Any:
    tokens = parse_pointer(op.path)
    if tokens is None:
        raise _missing("replace", op.path, quoted=False)
    if not tokens:
        return op.value
    parent = _parent(doc, tokens)
    if parent is None:
        raise _missing("replace", op.path, quoted=False)
    if _get(doc, tokens) is _ABSENT:
        raise _missing("replace", op.path, quoted=False, what="key")
    key = tokens[-1]
    if isinstance(parent, dict):
        parent[key] = op.value
    else:
        parent[int(key)] = op.value
    return doc


def _move(doc: Any, op: Operation) -> Any:
    source, target = parse_pointer(op.from_), parse_pointer(op.path)
    if source == []:
        raise Invalid("unable to move entire document to another path: invalid state detected")
    if source is None or _get(doc, source) is _ABSENT:
        raise _missing("move", op.from_, quoted=False, what="from path")
    if target is None:
        raise _missing("move", op.path, quoted=False, what="destination path")
    if target == source:
        return doc
    if target[:len(source)] == source:
        raise Invalid(f"move operation does not apply: from path {op.from_} is a parent of path {op.path}")
    value = _detach(doc, source, f"error in move for path: '{op.from_}'")
    if not target:
        return value
    parent = _parent(doc, target)
    if parent is None:
        raise _missing("move", op.path, quoted=False, what="destination path")
    _insert(parent, target[-1], value, f"error in move for path: '{op.path}'")
    return doc


def _test(doc: Any, op: Operation) -> Any:
    tokens = parse_pointer(op.path)
    if tokens is None or (tokens and _parent(doc, tokens) is None):
        raise Invalid(f"test operation does not apply: is missing path: {op.path}: missing value")
    found = _get(doc, tokens)
    if found is _ABSENT or not json_equal(found, op.value):
        raise Invalid(f"testing value {op.path} failed: test failed")
    return doc


class _Copier:
    """`copy`, with the total size it adds bounded (amplification attacks)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.copied = 0

    def __call__(self, doc: Any, op: Operation) -> Any:
        source, target = parse_pointer(op.from_), parse_pointer(op.path)
        found = _get(doc, source) if source is not None else _ABSENT
        if found is _ABSENT:
            raise _missing("copy", op.from_, what="from path")
        if target is None:
            raise _missing("copy", op.path, quoted=False, what="destination path")
        self.copied += len(compact(found).encode())
        if self.copied > self.limit:
            raise Invalid(f"Unable to complete the copy, the accumulated size increase of {self.copied} "
                          f"is greater than the limit {self.limit}")
        value = copy.deepcopy(found)
        if not target:
            return value
        parent = _parent(doc, target)
        if parent is None:
            raise _missing("copy", op.path, quoted=False, what="destination path")
        _insert(parent, target[-1], value, "error while adding value during copy")
        return doc


def apply_json_patch(document: Any, operations: Any, *, max_copy_bytes: int = MAX_COPY_BYTES) -> Any:
    """`document` with the patch applied, in order, all or nothing; neither
    argument is changed. `operations` is the decoded body (a list of
    operation objects) or what `decode_operations` made of it.
    Raises BadRequest, Invalid or RequestEntityTooLarge (see the module)."""
    if not (isinstance(operations, list) and all(isinstance(op, Operation) for op in operations)):
        operations = decode_operations(operations)
    copier = _Copier(max_copy_bytes)
    steps = {"add": _add, "remove": _remove, "replace": _replace, "move": _move, "copy": copier, "test": _test}
    doc = copy.deepcopy(document)
    for op in operations:
        if op.op in ("add", "replace"):
            op = Operation(op.op, op.path, op.from_, copy.deepcopy(op.value), op.source)
        doc = steps[op.op](doc, op)
    return doc
