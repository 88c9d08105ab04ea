"""How `kubelite` prints objects: kubectl's tables (the columns and cells of kubelite.api.printers, the
ones the API server's Tables serve), `-o wide|json|yaml|name|jsonpath=...`, `--show-labels`, and the rows a
watch adds."""

from __future__ import annotations

import json
from typing import Any

import yaml

from cli import jsonpath
from kubelite import api
from kubelite.api import printers
from kubelite.api.printers import age as age  # re-exported: the CLI modules print ages and roles from here
from kubelite.api.printers import node_roles as node_roles

Obj = dict[str, Any]


def column_widths(rows: list[list[str]], header: list[str]) -> list[int]:
    return [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]


def format_row(row: list[str], widths: list[int]) -> str:
    return "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()


def table(rows: list[list[str]], header: list[str], no_headers: bool = False) -> str:
    """Aligned columns under the header (without it, `no_headers`: widths from the rows alone)."""
    lines = rows if no_headers else [header, *rows]
    widths = [max((len(r[i]) for r in lines), default=0) for i in range(len(header))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in lines)


def qualified(info: api.ResourceInfo) -> str:
    """How kubectl names a kind in its output: "pod", "role.rbac.authorization.k8s.io"."""
    return f"{info.singular}.{info.group}" if info.group else info.singular


def labels_text(obj: Obj) -> str:
    labels = obj.get("metadata", {}).get("labels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def cell_text(cell: Any) -> str:
    """A Table cell as kubectl prints it: strings as they are, numbers and booleans as Go prints them."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)


def table_rows(info: api.ResourceInfo, items: list[Obj], wide: bool, all_ns: bool,
               show_labels: bool = False) -> tuple[list[str], list[list[str]]]:
    """kubectl's columns for the kind, from its printer (NAME and AGE for kinds with none): the priority-1
    columns only when wide, then LABELS with --show-labels, after NAMESPACE with -A."""
    columns = printers.columns(info)
    shown = [i for i, column in enumerate(columns) if wide or column.priority == 0]
    header = [columns[i].header for i in shown]
    rows = [[cell_text(cells[i]) for i in shown] for cells in (printers.cells(info, o) for o in items)]
    if show_labels:
        header = [*header, "LABELS"]
        rows = [[*r, labels_text(o)] for o, r in zip(items, rows, strict=True)]
    if all_ns and info.namespaced:
        header = ["NAMESPACE", *header]
        rows = [[o["metadata"].get("namespace", ""), *r] for o, r in zip(items, rows, strict=True)]
    return header, rows


CUSTOM_COLUMNS = "custom-columns="


def custom_columns(spec: str) -> list[tuple[str, str]]:
    """`NAME:.metadata.name,NODE:.spec.nodeName` as (header, field path) pairs."""
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep or not header.strip() or not path.strip():
            raise jsonpath.JSONPathError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header.strip(), jsonpath.field_path(path)))
    return columns


def _custom_rows(spec: str, items: list[Obj]) -> tuple[list[str], list[list[str]]]:
    columns = custom_columns(spec)
    rows = [[",".join(jsonpath.show(v) for v in jsonpath.evaluate(path, item)) or "<none>" for _, path in columns]
            for item in items]
    return [header for header, _ in columns], rows


def rows_for(info: api.ResourceInfo, items: list[Obj], output: str | None, all_ns: bool,
             show_labels: bool = False) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a table-shaped output: default, wide or custom-columns."""
    if output and output.startswith(CUSTOM_COLUMNS):
        return _custom_rows(output[len(CUSTOM_COLUMNS):], items)
    return table_rows(info, items, output == "wide", all_ns, show_labels)


def sort_items(items: list[Obj], path: str) -> list[Obj]:
    """kubectl --sort-by: by the field's value, numbers by number; objects
    without the field first. A field no object has is an error, as in kubectl."""
    path = jsonpath.field_path(path)
    keys = [jsonpath.evaluate(path, item) for item in items]
    if items and not any(keys):
        raise jsonpath.JSONPathError(f'couldn\'t find any field with path "{{{path}}}" in the list of objects')

    def key(found: list[Any]) -> tuple[int, float, str]:
        if not found:
            return (0, 0.0, "")
        value = found[0]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (1, float(value), "")
        return (2, 0.0, jsonpath.show(value))
    return [item for _, item in sorted(zip(keys, items, strict=True), key=lambda pair: key(pair[0]))]


def dump(doc: Any, output: str) -> str:
    """An object or list as kubectl's -o json (4-space indent) or -o yaml."""
    return json.dumps(doc, indent=4) if output == "json" else yaml.safe_dump(doc, sort_keys=False).rstrip()


def render(info: api.ResourceInfo, items: list[Obj], output: str | None, all_ns: bool, single: bool = False,
           show_labels: bool = False, no_headers: bool = False) -> str:
    """`items` as kubectl prints them; `single` when one object was asked for
    by name (-o json/yaml/jsonpath then show the object, not a List);
    `no_headers` drops a table's header line (default, wide, custom-columns)."""
    doc: Any = items[0] if single and len(items) == 1 else {"apiVersion": "v1", "kind": "List", "items": items,
                                                             "metadata": {"resourceVersion": ""}}
    if output in ("json", "yaml"):
        return dump(doc, output)
    if output and output.startswith("jsonpath="):
        return jsonpath.render(output[len("jsonpath="):], doc)
    if output == "name":
        return "\n".join(f"{qualified(info)}/{o['metadata']['name']}" for o in items)
    header, rows = rows_for(info, items, output, all_ns, show_labels)
    return table(rows, header, no_headers)
