"""kubelite.api: the Kubernetes object types every component shares.

Typed models of the kinds kubelite serves (Namespace, Pod, Node, Event,
ConfigMap, Lease, Role, ClusterRole, RoleBinding, ClusterRoleBinding), how a
document becomes one (`parse_object`: every field error at once, Kubernetes'
wording and field paths), defaulting, update rules, quantities, and the
resource registry that maps kubectl names ("po", "pods", "Pod") to kinds.
"""

from kubelite.api import registry
from kubelite.api.defaults import apply_defaults
from kubelite.api.errors import FieldError, InvalidObject, UnknownKind, UnknownResource
from kubelite.api.kind import Kind, Strategy, Subresource
from kubelite.api.meta import KubeObject
from kubelite.api.quantity import bytes_value, cpu_millis, parse_quantity
from kubelite.api.registry import ResourceInfo, all_kinds, in_category, resource_by_name, resource_for_kind
from kubelite.api.serialize import to_json_dict
from kubelite.api.validation import parse_object, validate_object, validate_update

__all__ = [
    "FieldError",
    "InvalidObject",
    "Kind",
    "KubeObject",
    "ResourceInfo",
    "Strategy",
    "Subresource",
    "UnknownKind",
    "UnknownResource",
    "all_kinds",
    "apply_defaults",
    "bytes_value",
    "cpu_millis",
    "in_category",
    "parse_object",
    "parse_quantity",
    "resource_by_name",
    "resource_for_kind",
    "to_json_dict",
    "validate_object",
    "validate_update",
]


def __getattr__(name: str) -> object:
    if name in ("ALL_RESOURCES", "REVIEWS"):
        return getattr(registry, name)
    raise AttributeError(name)
