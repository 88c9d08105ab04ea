"""The PATCH verb's entry point: which content types the API server accepts for
a kind, and applying a patch body of one of the three patch types this package
implements (server-side apply, `application/apply-patch+yaml`, is accepted
too but handled by its own code: route it there before calling `apply_patch`).

Kubernetes' answers: an unknown content type is 415 `UnsupportedMediaType`
naming the accepted ones; a kind without a strategic merge schema (served like
a custom resource) does not accept `application/strategic-merge-patch+json`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from apiserver.patching.json_patch import apply_json_patch
from apiserver.patching.schema import KindSchema, kind_schema
from apiserver.patching.strategic import strategic_merge_patch
from apiserver.patching.values import decode_json, json_kind
from kubelite.errors import BadRequest, Invalid, UnsupportedMediaType
from kubelite.merge_patch import merge_patch

__all__ = ["APPLY_PATCH", "CUSTOM_RESOURCE_PATCH_TYPES", "JSON_PATCH", "MERGE_PATCH", "PATCH_TYPES",
           "STRATEGIC_MERGE_PATCH", "KindRef", "accepted_patch_types", "apply_patch", "patch_type_of"]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
# in Kubernetes' order (the 415 message lists them so)
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)
CUSTOM_RESOURCE_PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)


class KindRef(Protocol):
    """Anything naming a kind: `kubelite.api.registry.ResourceInfo`, `KindSchema`."""

    @property
    def api_version(self) -> str: ...

    @property
    def kind(self) -> str: ...


Kind = KindRef | tuple[str, str]


def _schema(kind: Kind) -> KindSchema | None:
    if isinstance(kind, KindSchema):
        return kind
    if isinstance(kind, tuple):
        return kind_schema(*kind)
    return kind_schema(kind.api_version, kind.kind)


def accepted_patch_types(kind: Kind) -> tuple[str, ...]:
    """The patch content types the server accepts for `kind`."""
    return PATCH_TYPES if _schema(kind) is not None else CUSTOM_RESOURCE_PATCH_TYPES


def _unsupported(accepted: tuple[str, ...]) -> UnsupportedMediaType:
    return UnsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                                + ", ".join(accepted))


def _bare(content_type: str | None) -> str:
    # Kubernetes drops the parameters ("; charset=utf-8") and compares the rest exactly
    return (content_type or "").split(";", 1)[0].strip()


def patch_type_of(content_type: str | None, kind: Kind) -> str:
    """The patch type of a PATCH request's Content-Type header (parameters
    dropped). Raises UnsupportedMediaType (415) when the kind does not accept it."""
    patch_type = _bare(content_type)
    accepted = accepted_patch_types(kind)
    if patch_type not in accepted:
        raise _unsupported(accepted)
    return patch_type


def apply_patch(patch_type: str, current: Mapping[str, Any], patch_bytes: bytes | bytearray | memoryview | str,
                kind: Kind) -> dict[str, Any]:
    """The object `current` becomes under the patch body `patch_bytes` of
    `patch_type` (a content type, parameters allowed): JSON patch, JSON merge
    patch, or strategic merge patch under `kind`'s schema. `current` is not
    changed.

    Raises UnsupportedMediaType (415) for any other type, and for strategic
    merge patch on a kind without a schema; BadRequest (400) for a body that is
    not JSON, not the shape the type needs (a JSON array of operations for
    JSON patch, a JSON object otherwise) or a malformed patch; Invalid (422)
    for a well-formed patch that does not apply (JSON patch: missing path,
    failed test...) or that leaves something other than an object;
    RequestEntityTooLarge (413) for a JSON patch of more than 10000 operations.
    """
    patch_type = _bare(patch_type)
    schema = _schema(kind)
    accepted = PATCH_TYPES if schema is not None else CUSTOM_RESOURCE_PATCH_TYPES
    if patch_type not in (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH) or patch_type not in accepted:
        raise _unsupported(accepted)
    try:
        body = decode_json(patch_bytes)
    except RecursionError:
        raise BadRequest("error decoding patch: exceeded max depth") from None
    except ValueError as err:
        raise BadRequest(f"error decoding patch: {err}") from None
    try:
        if patch_type == JSON_PATCH:
            result = apply_json_patch(current, body)
        elif not isinstance(body, dict):
            raise BadRequest(f"error decoding patch: json: cannot unmarshal {json_kind(body)} into Go value of type "
                             "map[string]interface {}")
        elif patch_type == MERGE_PATCH:
            result = merge_patch(current, body)
        else:
            assert schema is not None
            result = strategic_merge_patch(current, body, schema)
    except RecursionError:
        raise BadRequest("error decoding patch: exceeded max depth") from None
    if not isinstance(result, dict):
        raise Invalid(f"the patched document is a JSON {json_kind(result)}, not an object")
    return result
