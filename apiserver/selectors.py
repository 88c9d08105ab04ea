"""Label and field selectors of List and Watch, parsed once per request and
matched against stored objects (Kubernetes syntax and wording)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kubelite.errors import BadRequest

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s+(?P<op>in|notin)\s+\((?P<values>[^)]*)\)\s*$")
_EQ_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s*(?P<op>==|=|!=)\s*(?P<value>{_VALUE})\s*$")
_EXISTS_RE = re.compile(rf"^\s*(?P<neg>!?)\s*(?P<key>{_KEY})\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse `app=web,tier!=db,env in (a,b),!canary`; raises BadRequest."""
    requirements = []
    for part in _split_top_level(text or ""):
        if m := _SET_RE.match(part):
            values = tuple(v.strip() for v in m["values"].split(",") if v.strip())
            requirements.append(Requirement(m["key"], m["op"], values))
        elif m := _EQ_RE.match(part):
            requirements.append(Requirement(m["key"], "!=" if m["op"] == "!=" else "=", (m["value"],)))
        elif m := _EXISTS_RE.match(part):
            requirements.append(Requirement(m["key"], "!" if m["neg"] else "exists"))
        else:
            raise BadRequest(f'unable to parse requirement: found "{part.strip()}", expected a label selector '
                             'like key=value, key!=value, key in (a,b), key or !key')
    return requirements


def _path(obj: dict[str, Any], dotted: str) -> str:
    value: Any = obj
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def parse_field_selector(text: str, supported: frozenset[str]) -> list[tuple[str, str, str]]:
    """Parse `spec.nodeName=n1,status.phase!=Running` into (field, op, value)."""
    out = []
    for part in _split_top_level(text or ""):
        if "!=" in part:
            field, value = part.split("!=", 1)
            op = "!="
        elif "==" in part:
            field, value = part.split("==", 1)
            op = "="
        elif "=" in part:
            field, value = part.split("=", 1)
            op = "="
        else:
            raise BadRequest(f'invalid selector: \'{part.strip()}\'; can\'t understand \'{part.strip()}\'')
        field = field.strip()
        if field not in supported:
            raise BadRequest(f'field label not supported: {field}')
        out.append((field, op, value.strip()))
    return out


@dataclass(frozen=True)
class Selector:
    """A parsed label + field selector; `matches(obj)` on stored JSON dicts."""

    labels: tuple[Requirement, ...] = ()
    fields: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def parse(cls, label_selector: str, field_selector: str, supported_fields: frozenset[str]) -> Selector:
        return cls(tuple(parse_label_selector(label_selector)),
                   tuple(parse_field_selector(field_selector, supported_fields)))

    @property
    def empty(self) -> bool:
        return not self.labels and not self.fields

    def matches(self, obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if not all(r.matches(labels) for r in self.labels):
            return False
        for field, op, value in self.fields:
            actual = _path(obj, field)
            if (actual == value) != (op == "="):
                return False
        return True

    def field_equals(self, field: str) -> str | None:
        """The value an equality requirement pins `field` to, if any."""
        for name, op, value in self.fields:
            if name == field and op == "=":
                return value
        return None


