"""Server-side printing for the REST transport: whether an Accept header asks for a `meta.k8s.io` Table, and the
Table itself (kubectl's `get` without `-o`, or with `-o wide`).

The columns and cells come from `kubelite.api.printers`, the same definitions `kubelite get` prints from. The
Table is what kube-apiserver sends, on the wire: every column (kubectl hides the priority-1 ones unless `-o wide`),
each row's object as a PartialObjectMetadata (`includeObject=Metadata`, the default), the full object (`Object`)
or null (`None`), and `columnDefinitions: null` when `with_columns` is off (the watch events after the first, as
kube-apiserver's NoHeaders)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kubelite.api import printers
from kubelite.api.registry import ResourceInfo
from kubelite.errors import BadRequest

Obj = dict[str, Any]

META_GROUP = "meta.k8s.io"
TABLE_VERSIONS = ("v1", "v1beta1")
INCLUDE_OBJECT = ("None", "Metadata", "Object")


def _go_quote(value: str) -> str:
    """A string quoted as Go's %q quotes it (for error messages in Kubernetes' wording)."""
    return json.dumps(value, ensure_ascii=False)


def _row_object(info: ResourceInfo, obj: Obj, include_object: str, version: str) -> Obj | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return {"apiVersion": info.api_version, "kind": info.kind, **obj}
    return {"kind": "PartialObjectMetadata", "apiVersion": f"{META_GROUP}/{version}",
            "metadata": obj.get("metadata") or {}}


def table(info: ResourceInfo, items: list[Obj], resource_version: str, include_object: str = "Metadata",
          continue_token: str = "", with_columns: bool = True, version: str = "v1") -> Obj:
    """`items` of the kind as a meta.k8s.io Table (`version` "v1" or "v1beta1"): a row per object with a cell
    per column, each row carrying the object as `include_object` asks ("Metadata" when empty). Raises
    BadRequest, in kube-apiserver's words, for any other includeObject value."""
    include_object = include_object or "Metadata"
    if include_object not in INCLUDE_OBJECT:
        raise BadRequest(f"unrecognized includeObject value: {_go_quote(include_object)}")
    if version not in TABLE_VERSIONS:
        raise ValueError(f"no Table exists in group version {META_GROUP}/{version}")
    rows = []
    for obj in items:
        row: Obj = {"cells": printers.cells(info, obj)}
        conditions = printers.row_conditions(info, obj)
        if conditions:
            row["conditions"] = conditions
        row["object"] = _row_object(info, obj, include_object, version)
        rows.append(row)
    metadata: Obj = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    definitions = [column.definition() for column in printers.columns(info)] if with_columns else None
    return {"kind": "Table", "apiVersion": f"{META_GROUP}/{version}", "metadata": metadata,
            "columnDefinitions": definitions, "rows": rows}


def table_content_type(version: str = "v1") -> str:
    """The Content-Type of a Table response."""
    return f"application/json;as=Table;v={version};g={META_GROUP}"


# ------------------------------------------------------------------------------------------------ Accept header


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: type/subtype (lower-cased), its parameters (names lower-cased, values
    unquoted) without q, and its quality."""

    type: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict)
    q: float = 1.0

    def matches(self, media_type: str) -> bool:
        """Whether the range admits a concrete media type such as "application/json"."""
        kind, _, subtype = media_type.lower().partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", subtype)


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator`, except inside quoted strings."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        out, escaped = [], False
        for char in value[1:-1]:
            if escaped or char != "\\":
                out.append(char)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value


def _media_range(text: str) -> MediaRange | None:
    pieces = _split(text, ";")
    full = pieces[0].strip().lower()
    if full == "*":
        full = "*/*"
    kind, slash, subtype = full.partition("/")
    if not slash or not kind or not subtype:
        return None
    params: dict[str, str] = {}
    q = 1.0
    for piece in pieces[1:]:
        name, equals, value = piece.partition("=")
        name = name.strip().lower()
        if not name or not equals:
            continue
        value = _unquote(value.strip())
        if name == "q":
            try:
                q = min(max(float(value), 0.0), 1.0)
            except ValueError:
                q = 0.0
        else:
            params[name] = value
    return MediaRange(kind, subtype, params, q)


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header, most preferred first: by quality, then concrete types before
    wildcards, otherwise in the order written. Malformed entries are left out."""
    ranges = [r for part in _split(header or "", ",") if part.strip() and (r := _media_range(part)) is not None]
    return sorted(ranges, key=lambda r: (-r.q, r.type == "*", r.subtype == "*"))


def wants_table(accept: str, produces: Sequence[str] = ("application/json",)) -> str | None:
    """The Table version ("v1" or "v1beta1") when the first media range of `accept` the server can answer asks
    for a meta.k8s.io Table, None when it asks for the plain object (or nothing answerable does).

    As kube-apiserver negotiates: ranges in preference order, q=0 never; a range must admit one of the types
    the server `produces`; `as`, `g` and `v` ask for a conversion, and one other than to a Table (a
    PartialObjectMetadata, an unknown group or version) is not answerable, so the next range is tried; other
    parameters (profile, stream, pretty) do not matter."""
    for media_range in parse_accept(accept):
        if media_range.q <= 0 or not any(media_range.matches(t) for t in produces):
            continue
        params = media_range.params
        if not any(name in params for name in ("as", "g", "v")):
            return None
        if params.get("as") == "Table" and params.get("g") == META_GROUP and params.get("v") in TABLE_VERSIONS:
            return params["v"]
    return None
