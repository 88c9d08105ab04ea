"""JSON values as the patch code handles them: decoding a request body the way
Go's encoding/json accepts it, typed equality (RFC 6902's "equal": `true` is
not `1`, `1` is `1.0`), hashable keys for set and merge-key lookups, and Go's
`%v` rendering of decoded JSON, which Kubernetes' patch error messages use."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from typing import Any

__all__ = ["canonical", "compact", "decode_json", "go_format", "go_type", "json_equal", "json_kind"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} out of range")
    return value


def decode_json(body: bytes | bytearray | memoryview | str) -> Any:
    """The JSON value of a request body. Raises ValueError (bad encoding, bad
    syntax, NaN/Infinity, numbers out of range) or RecursionError (nesting
    deeper than Python's stack)."""
    if isinstance(body, memoryview | bytearray):
        body = bytes(body)
    return json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)


def json_kind(value: Any) -> str:
    """The JSON type name of a decoded value, as Go's json errors spell it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def canonical(value: Any) -> Hashable:
    """A hashable stand-in for a JSON value: equal exactly when the values are
    equal as JSON (object member order ignored, booleans never numbers)."""
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(canonical(item) for item in value))
    return ("object", frozenset((key, canonical(item)) for key, item in value.items()))


def json_equal(left: Any, right: Any) -> bool:
    return canonical(left) == canonical(right)


def compact(value: Any) -> str:
    """Compact JSON with sorted keys (how Go marshals a decoded object)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


_GO_TYPES = {"null": "<nil>", "bool": "bool", "string": "string", "array": "[]interface {}",
             "object": "map[string]interface {}"}


def go_type(value: Any) -> str:
    """The Go type a decoded JSON value has (for "expected a X, but received a Y")."""
    kind = json_kind(value)
    if kind == "number":
        return "float64" if isinstance(value, float) else "int64"
    return _GO_TYPES[kind]


def _go_float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def go_format(value: Any) -> str:
    """Go's `%v` of a decoded JSON value: `map[image:x name:main]`, `[a b]`, `<nil>`."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(go_format(item) for item in value) + "]"
    return "map[" + " ".join(f"{key}:{go_format(value[key])}" for key in sorted(value)) + "]"
