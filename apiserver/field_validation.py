"""Server-side field validation (the `fieldValidation` query parameter): what
happens to fields the kind does not have. Strict refuses the request (400,
Kubernetes' "strict decoding error"), Warn drops them and answers with a
warning per field, Ignore drops them silently, as the client asked. Without
the parameter (kubelite's own clients) validation refuses them as Invalid."""

from __future__ import annotations

import re
from typing import Any

from kubelite import api
from kubelite.errors import BadRequest

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


Parsed = tuple[api.ResourceInfo, api.KubeObject]


def unknown_fields(obj: Any) -> tuple[list[str], Parsed | None]:
    """Field paths (`spec.containers[0].imagee`) of the fields `obj`'s kind
    lacks, and the decoded object when it decoded cleanly (so the pipeline
    decodes it once)."""
    try:
        return [], api.parse_object(obj)
    except api.InvalidObject as err:
        return [c.field for c in err.causes if c.type == "FieldValueNotSupported"
                and c.message.startswith("unknown field")], None
    except api.UnknownKind:
        return [], None


def _drop(obj: Any, path: str) -> None:
    parts: list[str | int] = [int(i) if i else name for name, i in _TOKEN.findall(path)]
    for part in parts[:-1]:
        try:
            obj = obj[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(obj, dict):
        obj.pop(parts[-1], None)


def apply(obj: dict[str, Any], mode: str) -> tuple[list[str], Parsed | None]:
    """Enforce `mode` on `obj` (changed in place): the warnings to send back,
    and the decoded object if it decoded cleanly as it was."""
    if not mode:
        return [], None
    unknown, parsed = unknown_fields(obj)
    if not unknown:
        return [], parsed
    if mode == "Strict":
        kind, version = obj.get("kind", ""), obj.get("apiVersion", "")
        fields = ", ".join(f'unknown field "{f}"' for f in unknown)
        raise BadRequest(f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: '
                         f"{fields}")
    for path in unknown:
        _drop(obj, path)
    return ([f'unknown field "{path}"' for path in unknown] if mode == "Warn" else []), None
