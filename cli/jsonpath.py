"""`-o jsonpath=TEMPLATE`: kubectl's JSONPath templates over the objects a verb
prints.

Supported, as kubectl reads them: literal text, `{.a.b}` fields, `{.a[0]}`
and `{.a[-1]}` indexes, `{.a[*]}` and `{.a[0:2]}` (results joined by a space),
`{..name}` recursive descent, `{.a[?(@.type=="Ready")].status}` filters,
`{range EXPR}...{end}`, `{"\\n"}` string literals and `{@}` (the current node).
A field missing from an object prints nothing, as in kubectl.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


class JSONPathError(ValueError):
    """A template kubectl would refuse, with its wording where it has one."""


@dataclass
class _Node:
    kind: str  # "text", "expr", "range"
    value: str = ""
    body: list[_Node] = field(default_factory=list)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def _unquote(literal: str) -> str:
    inner = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), inner)


def _tokens(template: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(template):
        start = template.find("{", i)
        if start < 0:
            out.append(("text", template[i:]))
            break
        if start > i:
            out.append(("text", template[i:start]))
        depth, j, quote = 0, start, ""
        while j < len(template):
            ch = template[j]
            if quote:
                if ch == "\\":
                    j += 1
                elif ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(template):
            raise JSONPathError(f"unclosed action in template {template!r}")
        out.append(("expr", template[start + 1:j].strip()))
        i = j + 1
    return out


def parse(template: str) -> list[_Node]:
    root: list[_Node] = []
    stack: list[list[_Node]] = [root]
    for kind, value in _tokens(template):
        if kind == "text":
            stack[-1].append(_Node("text", value))
        elif value.startswith("range "):
            node = _Node("range", value[len("range "):].strip())
            stack[-1].append(node)
            stack.append(node.body)
        elif value == "end":
            if len(stack) == 1:
                raise JSONPathError("not in range, nothing to end")
            stack.pop()
        elif value[:1] in "\"'" and value[-1:] == value[:1] and len(value) >= 2:
            stack[-1].append(_Node("text", _unquote(value)))
        else:
            stack[-1].append(_Node("expr", value))
    if len(stack) != 1:
        raise JSONPathError("range without end")
    return root


_STEP = re.compile(r"\.\.(?P<deep>[A-Za-z0-9_\-]+|\*)?"
                   r"|\.(?P<key>(?:\\.|[A-Za-z0-9_\-/])+|\*)"
                   r"|\[(?P<bracket>[^\]]*)\]")


def _steps(expr: str) -> list[tuple[str, str]]:
    expr = expr.strip()
    if expr in ("@", "$", ""):
        return []
    if expr.startswith(("$", "@")):
        expr = expr[1:]
    if not expr.startswith((".", "[")):
        expr = "." + expr
    steps: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        match = _STEP.match(expr, pos)
        if match is None:
            raise JSONPathError(f"unrecognized character in action: {expr[pos:]!r}")
        if match.group(0).startswith(".."):
            steps.append(("deep", match.group("deep") or "*"))
        elif match.group("key") is not None:
            steps.append(("key", re.sub(r"\\(.)", r"\1", match.group("key"))))
        else:
            steps.append(("bracket", match.group("bracket").strip()))
        pos = match.end()
    return steps


def _descend(value: Any) -> list[Any]:
    found = [value]
    if isinstance(value, dict):
        for v in value.values():
            found += _descend(v)
    elif isinstance(value, list):
        for v in value:
            found += _descend(v)
    return found


def _filter_matches(item: Any, condition: str) -> bool:
    match = re.fullmatch(r"@((?:\.[A-Za-z0-9_\-]+)+)\s*(==|!=)\s*(.+)|@((?:\.[A-Za-z0-9_\-]+)+)", condition.strip())
    if match is None:
        raise JSONPathError(f"unsupported filter: {condition!r}")
    path = match.group(1) or match.group(4)
    values = evaluate(path, item)
    if match.group(4):
        return bool(values)
    literal = match.group(3).strip()
    want: Any = _unquote(literal) if literal[:1] in "\"'" else json.loads(literal)
    equal = any(v == want for v in values)
    return equal if match.group(2) == "==" else not equal


def _bracket(current: list[Any], spec: str) -> list[Any]:
    out: list[Any] = []
    for value in current:
        if spec.startswith("?(") and spec.endswith(")"):
            items = value if isinstance(value, list) else [value]
            out += [item for item in items if _filter_matches(item, spec[2:-1])]
        elif spec[:1] in "\"'":
            if isinstance(value, dict) and _unquote(spec) in value:
                out.append(value[_unquote(spec)])
        elif spec == "*":
            out += list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, list) else []
        elif ":" in spec:
            if isinstance(value, list):
                parts = [int(p) if p.strip() else None for p in spec.split(":")]
                out += value[slice(*parts)]
        else:
            try:
                index = int(spec)
            except ValueError:
                raise JSONPathError(f"unsupported index: [{spec}]") from None
            if isinstance(value, list):
                if not -len(value) <= index < len(value):
                    raise JSONPathError(f"array index out of bounds: index {index}, length {len(value)}")
                out.append(value[index])
    return out


def evaluate(expr: str, data: Any) -> list[Any]:
    current = [data]
    for kind, arg in _steps(expr):
        if kind == "key":
            if arg == "*":
                current = [v for c in current if isinstance(c, dict) for v in c.values()]
            else:
                current = [c[arg] for c in current if isinstance(c, dict) and arg in c]
        elif kind == "deep":
            found = [d for c in current for d in _descend(c)]
            current = found if arg == "*" else [d[arg] for d in found if isinstance(d, dict) and arg in d]
        else:
            current = _bracket(current, arg)
    return current


def field_path(path: str) -> str:
    """A single field expression as --sort-by and custom-columns take it:
    `{.a.b}`, `.a.b` or `a.b`, checked here so a bad one fails before any request."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1].strip()
    if not path.startswith("."):
        path = "." + path
    _steps(path)
    return path


def show(value: Any) -> str:
    """One value as kubectl prints it in a template or column."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _render(nodes: list[_Node], data: Any) -> str:
    out: list[str] = []
    for node in nodes:
        if node.kind == "text":
            out.append(node.value)
        elif node.kind == "expr":
            out.append(" ".join(show(v) for v in evaluate(node.value, data)))
        else:
            for item in evaluate(node.value, data):
                out.append(_render(node.body, item))
    return "".join(out)


def render(template: str, data: Any) -> str:
    """The template applied to `data` (an object, or a List of items)."""
    return _render(parse(template), data)
