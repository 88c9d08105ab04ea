"""metadata.managedFields entries, as server-side apply keeps them: one per
manager, operation, subresource (and, for Update, apiVersion), each with the
set of fields it owns as FieldsV1; decoded from and encoded to the stored
form in Kubernetes' order, with Kubernetes' cap on how many Update entries an
object keeps."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from apiserver.patching.fieldset import Path, from_fields_v1, to_fields_v1

APPLY = "Apply"
UPDATE = "Update"
# past this many Update entries the oldest merge into one per apiVersion, under this name
MAX_UPDATE_MANAGERS = 10
ANCIENT_CHANGES = "ancient-changes"


@dataclass(frozen=True)
class Entry:
    manager: str
    operation: str
    api_version: str
    subresource: str
    time: str | None
    fields: frozenset[Path]

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Kubernetes' manager identifier: appliers are one entry whatever apiVersion they apply."""
        return (self.manager, self.operation, "" if self.operation == APPLY else self.api_version, self.subresource)

    def identifier_json(self) -> str:
        """The identifier as Kubernetes spells it (BuildManagerIdentifier), which orders conflicts."""
        manager, operation, api_version, subresource = self.identity
        doc = {"manager": manager, "operation": operation}
        if api_version:
            doc["apiVersion"] = api_version
        if subresource:
            doc["subresource"] = subresource
        return json.dumps(doc, separators=(",", ":"))

    def described(self) -> str:
        """As conflict messages name a manager: `"kubectl-client-side-apply" using v1`."""
        text = json.dumps(self.manager, ensure_ascii=False)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource, ensure_ascii=False)}"
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text


def decode_entry(raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise ValueError("a managedFields entry must be an object")
    manager, operation = raw.get("manager", ""), raw.get("operation")
    api_version, subresource, time = raw.get("apiVersion", ""), raw.get("subresource", ""), raw.get("time")
    if operation not in (APPLY, UPDATE):
        raise ValueError(f"managedFields operation must be Apply or Update, not {operation!r}")
    if not all(isinstance(value, str) for value in (manager, api_version, subresource)):
        raise ValueError("managedFields manager, apiVersion and subresource must be strings")
    if time is not None and not isinstance(time, str):
        raise ValueError("managedFields time must be a string")
    if raw.get("fieldsType", "FieldsV1") != "FieldsV1":
        raise ValueError(f"managedFields fieldsType must be FieldsV1, not {raw.get('fieldsType')!r}")
    fields = from_fields_v1(raw.get("fieldsV1") or {})
    return Entry(manager, operation, api_version, subresource, time, frozenset(fields))


def merge_duplicates(entries: Iterable[Entry]) -> list[Entry]:
    by_identity: dict[tuple[str, str, str, str], Entry] = {}
    for entry in entries:
        seen = by_identity.get(entry.identity)
        if seen is None:
            by_identity[entry.identity] = entry
        else:
            newer = entry if seconds(entry.time) >= seconds(seen.time) else seen
            by_identity[entry.identity] = replace(newer, fields=seen.fields | entry.fields)
    return list(by_identity.values())


def decode_strict(raw: Any) -> list[Entry]:
    """Every entry of a managedFields list; ValueError if any is malformed."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("managedFields must be a list")
    return merge_duplicates(decode_entry(item) for item in raw)


def decode_lenient(raw: Any) -> list[Entry]:
    """The well-formed entries of a stored object's managedFields."""
    entries: list[Entry] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            entries.append(decode_entry(item))
        except ValueError:
            continue
    return merge_duplicates(entries)


def seconds(time: str | None) -> float:
    if not time:
        return 0.0
    try:
        return datetime.fromisoformat(time).timestamp() // 1
    except ValueError:
        return 0.0


def encode(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """Kubernetes' order: Apply before Update, then by time, manager, apiVersion, subresource."""
    out: list[dict[str, Any]] = []
    for entry in sorted(entries, key=lambda e: (e.operation, seconds(e.time), e.manager, e.api_version,
                                                e.subresource)):
        doc: dict[str, Any] = {"manager": entry.manager, "operation": entry.operation,
                               "apiVersion": entry.api_version}
        if entry.time is not None:
            doc["time"] = entry.time
        doc["fieldsType"] = "FieldsV1"
        doc["fieldsV1"] = to_fields_v1(entry.fields)
        if entry.subresource:
            doc["subresource"] = entry.subresource
        out.append(doc)
    return out


def cap_updates(entries: list[Entry]) -> list[Entry]:
    """Past MAX_UPDATE_MANAGERS Update entries, fold the oldest into an
    ancient-changes entry per apiVersion (Kubernetes' capManagersManager)."""
    updates = sorted((e for e in entries if e.operation == UPDATE), key=lambda e: (seconds(e.time), e.identity))
    if len(updates) <= MAX_UPDATE_MANAGERS:
        return entries
    kept: list[Entry] = [e for e in entries if e.operation != UPDATE]
    first_of: dict[tuple[str, str], int] = {}  # (apiVersion, subresource) -> its oldest entry's place in kept
    count = len(updates)
    for position, entry in enumerate(updates):
        if count <= MAX_UPDATE_MANAGERS:
            kept.extend(updates[position:])
            break
        bucket = (entry.api_version, entry.subresource)
        if bucket in first_of:
            at = first_of[bucket]
            kept[at] = replace(kept[at], manager=ANCIENT_CHANGES, time=entry.time,
                               fields=kept[at].fields | entry.fields)
            count -= 1
        else:
            first_of[bucket] = len(kept)
            kept.append(entry)
    return merge_duplicates(kept)
