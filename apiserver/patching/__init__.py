"""The patches the API server applies to a stored object for PATCH, one pure
library for every handler (REST and gRPC) to share:

* `json_patch` - RFC 6902 JSON patch (`application/json-patch+json`);
* `kubelite.merge_patch` - RFC 7386 JSON merge patch (`application/merge-patch+json`);
* `strategic` - Kubernetes' strategic merge patch
  (`application/strategic-merge-patch+json`) with all its directives;
* `schema` - the table of how each field of each built-in kind merges (patch
  strategy and merge key, list type and list-map keys), shared with
  server-side apply;
* `dispatch` - the content types a kind accepts and `apply_patch`, which parses
  a body and applies it, raising Kubernetes' errors (400, 413, 415, 422).

`application/apply-patch+yaml` (server-side apply) is accepted by
`patch_type_of` but applied by server-side apply's own code, which reads the
same schema table (`schema.list_keys`, `FieldSchema.list_map_keys`).
"""

from apiserver.patching.dispatch import (
    APPLY_PATCH,
    CUSTOM_RESOURCE_PATCH_TYPES,
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_TYPES,
    STRATEGIC_MERGE_PATCH,
    KindRef,
    accepted_patch_types,
    apply_patch,
    patch_type_of,
)
from apiserver.patching.json_patch import apply_json_patch, decode_operations, parse_pointer
from apiserver.patching.schema import FieldSchema, KindSchema, field_schema, kind_schema, list_keys
from apiserver.patching.strategic import strategic_merge_patch
from kubelite.merge_patch import merge_patch

__all__ = ["APPLY_PATCH", "CUSTOM_RESOURCE_PATCH_TYPES", "JSON_PATCH", "MERGE_PATCH", "PATCH_TYPES",
           "STRATEGIC_MERGE_PATCH", "FieldSchema", "KindRef", "KindSchema", "accepted_patch_types", "apply_json_patch",
           "apply_patch", "decode_operations", "field_schema", "kind_schema", "list_keys", "merge_patch",
           "parse_pointer", "patch_type_of", "strategic_merge_patch"]
