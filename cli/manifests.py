"""Manifests from files, directories or stdin (`-f`): every YAML document, and
the one-line error kubectl prints for a missing path, bad YAML (line and
column) or a kind the server does not serve."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from cli.base import fail
from kubelite import api, yamlload

Obj = dict[str, Any]
# where apply keeps what it applied, to compare the next apply with (as kubectl)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def read_manifests(filenames: tuple[str, ...]) -> list[tuple[str, Obj]]:
    docs: list[tuple[str, Obj]] = []
    files: list[Path | None] = []
    for name in filenames:
        if name == "-":
            files.append(None)
            continue
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        elif path.exists():
            files.append(path)
        else:
            fail(f'error: the path "{name}" does not exist')
    for path in files:
        label = "STDIN" if path is None else str(path)
        try:
            text = sys.stdin.read() if path is None else path.read_text()
        except UnicodeDecodeError:
            fail(f"error: error parsing {label}: not a text file (YAML or JSON)")
        except OSError as err:
            fail(f"error: error reading {label}: {err.strerror}")
        try:
            for doc in yamlload.load_all(text, label):
                if doc is None:
                    continue
                if not isinstance(doc, dict):
                    fail(f"error: error validating \"{label}\": a manifest must be a mapping, got "
                         f"{type(doc).__name__}")
                docs.append((label, doc))
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            fail(f"error: error parsing {label}: {where}{err.problem}")
        except yaml.YAMLError as err:  # e.g. a control character the YAML reader refuses
            fail(f"error: error parsing {label}: " + ", ".join(part.strip() for part in str(err).splitlines()))
    return docs


def info_for(label: str, doc: Obj) -> api.ResourceInfo:
    info = api.resource_for_kind(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
    if info is None:
        meta = doc.get("metadata")
        name = meta.get("name", "") if isinstance(meta, dict) else ""
        why = api.UnknownKind(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
        fail(f'error: resource mapping not found for name: "{name}" namespace: "" from "{label}": {why}')
    return info


