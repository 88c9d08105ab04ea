"""How each field of the built-in kinds merges: the one table strategic merge
patch (and server-side apply) consult, transcribed from the struct tags and
markers of k8s.io/api and k8s.io/apimachinery (`patchStrategy`,
`patchMergeKey`, `+listType`, `+listMapKey`, `+mapType`, `+default`).

The table is data keyed by kind and field path, never by a bare field name:
`imagePullSecrets` merges by name in a PodSpec but is atomic in a
ServiceAccount, `finalizers` is a set in ObjectMeta but atomic in a
NamespaceSpec, `ports` merges by containerPort in a Container and by port in a
ServiceSpec. A path is the tuple of field names from the object's root with
list positions left out: `("spec", "containers", "ports")` is the ports of
every container of a Pod.

Fields that are not in the table get Kubernetes' defaults: objects merge key
by key, lists are replaced whole by strategic merge patch and are atomic to
server-side apply, maps are granular.

Lookups:

* `kind_schema(api_version, kind)` -> `KindSchema` or None (no schema: a kind
  Kubernetes would serve like a custom resource, without strategic merge patch);
* `KindSchema.field(path)` / `field_schema(api_version, kind, path)` ->
  `FieldSchema` (the defaults when the path is not listed);
* `list_keys(api_version, kind, path)` -> the list-map keys, `()` for a set,
  None for an atomic list: the plain shape server-side apply asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ATOMIC", "ATOMIC_MAP", "CONTAINER", "DEFAULT", "KINDS", "MERGE", "OBJECT_META", "POD_SPEC", "POD_STATUS",
           "REPLACE", "RETAIN_KEYS", "SET", "FieldSchema", "KindSchema", "Path", "field_schema", "kind_schema",
           "list_keys"]

Path = tuple[str, ...]

MERGE = "merge"              # patchStrategy: lists merge (by patchMergeKey, or as a set of scalars)
REPLACE = "replace"          # patchStrategy: the value is replaced whole (no built-in field of ours uses it)
RETAIN_KEYS = "retainKeys"   # patchStrategy: clients send `$retainKeys` (union types: volumes, deployment strategy)


@dataclass(frozen=True)
class FieldSchema:
    """What Kubernetes declares about one field.

    `patch_strategy` and `merge_key` are the strategic merge patch tags
    (`patchStrategy:"merge,retainKeys" patchMergeKey:"name"`); `list_type`,
    `list_map_keys` and `map_type` are the server-side apply markers
    (`x-kubernetes-list-type` atomic|set|map, `x-kubernetes-list-map-keys`,
    `x-kubernetes-map-type`); `key_defaults` holds the OpenAPI defaults of
    list-map key fields (a container port's protocol is "TCP"). Empty values
    mean "not declared": Kubernetes' defaults apply."""

    patch_strategy: tuple[str, ...] = ()
    merge_key: str = ""
    list_type: Literal["", "atomic", "set", "map"] = ""
    list_map_keys: tuple[str, ...] = ()
    map_type: Literal["", "atomic", "granular"] = ""
    key_defaults: tuple[tuple[str, Any], ...] = ()

    @property
    def merges(self) -> bool:
        """A list merged by key (maps) or as a set (scalars), not replaced."""
        return MERGE in self.patch_strategy

    @property
    def replaces(self) -> bool:
        """An object replaced whole by strategic merge patch instead of merged."""
        return REPLACE in self.patch_strategy

    @property
    def retains_keys(self) -> bool:
        return RETAIN_KEYS in self.patch_strategy


DEFAULT = FieldSchema()
ATOMIC = FieldSchema(list_type="atomic")
SET = FieldSchema(patch_strategy=(MERGE,), list_type="set")
ATOMIC_MAP = FieldSchema(map_type="atomic")


def _keyed(merge_key: str, *map_keys: str, retain_keys: bool = False, list_type: Literal["map", "atomic"] = "map",
           **key_defaults: Any) -> FieldSchema:
    """A list of objects strategic merge patch merges by `merge_key`;
    server-side apply keys it by `map_keys` (default: the merge key)."""
    strategy = (MERGE, RETAIN_KEYS) if retain_keys else (MERGE,)
    return FieldSchema(patch_strategy=strategy, merge_key=merge_key, list_type=list_type,
                       list_map_keys=(map_keys or (merge_key,)) if list_type == "map" else (),
                       key_defaults=tuple(sorted(key_defaults.items())))


def _list_map(*keys: str) -> FieldSchema:
    """A list-map for server-side apply that strategic merge patch replaces."""
    return FieldSchema(list_type="map", list_map_keys=keys)


def _under(prefix: Sequence[str], table: Mapping[Path, FieldSchema]) -> dict[Path, FieldSchema]:
    return {(*prefix, *path): schema for path, schema in table.items()}


def _merged(*tables: Mapping[Path, FieldSchema]) -> dict[Path, FieldSchema]:
    out: dict[Path, FieldSchema] = {}
    for table in tables:
        out.update(table)
    return out


# k8s.io/apimachinery meta/v1 ObjectMeta
OBJECT_META: dict[Path, FieldSchema] = {
    ("finalizers",): SET,
    ("ownerReferences",): _keyed("uid"),
    ("managedFields",): ATOMIC,
}

_PROBE: dict[Path, FieldSchema] = {
    ("exec", "command"): ATOMIC,
    ("httpGet", "httpHeaders"): ATOMIC,
}

# core/v1 Container and EphemeralContainerCommon (the same tags)
CONTAINER: dict[Path, FieldSchema] = _merged({
    ("command",): ATOMIC,
    ("args",): ATOMIC,
    ("ports",): _keyed("containerPort", "containerPort", "protocol", protocol="TCP"),
    ("envFrom",): ATOMIC,
    ("env",): _keyed("name"),
    ("resources", "claims"): _list_map("name"),
    ("resizePolicy",): ATOMIC,
    ("restartPolicyRules",): ATOMIC,
    ("volumeMounts",): _keyed("mountPath"),
    ("volumeDevices",): _keyed("devicePath"),
    ("securityContext", "capabilities", "add"): ATOMIC,
    ("securityContext", "capabilities", "drop"): ATOMIC,
    ("lifecycle", "postStart", "exec", "command"): ATOMIC,
    ("lifecycle", "preStop", "exec", "command"): ATOMIC,
}, *(_under((probe,), _PROBE) for probe in ("livenessProbe", "readinessProbe", "startupProbe")))

_NODE_SELECTOR: dict[Path, FieldSchema] = {
    ("nodeSelectorTerms",): ATOMIC,
    ("nodeSelectorTerms", "matchExpressions"): ATOMIC,
    ("nodeSelectorTerms", "matchFields"): ATOMIC,
}

_POD_AFFINITY: dict[Path, FieldSchema] = {
    ("requiredDuringSchedulingIgnoredDuringExecution",): ATOMIC,
    ("preferredDuringSchedulingIgnoredDuringExecution",): ATOMIC,
}

# core/v1 PodSpec
POD_SPEC: dict[Path, FieldSchema] = _merged({
    ("volumes",): _keyed("name", retain_keys=True),
    ("initContainers",): _keyed("name"),
    ("containers",): _keyed("name"),
    ("ephemeralContainers",): _keyed("name"),
    ("nodeSelector",): ATOMIC_MAP,
    ("imagePullSecrets",): _keyed("name"),
    ("tolerations",): ATOMIC,
    ("hostAliases",): _keyed("ip"),
    ("hostAliases", "hostnames"): ATOMIC,
    ("readinessGates",): ATOMIC,
    ("topologySpreadConstraints",): _keyed("topologyKey", "topologyKey", "whenUnsatisfiable"),
    ("topologySpreadConstraints", "matchLabelKeys"): ATOMIC,
    ("schedulingGates",): _keyed("name"),
    ("resourceClaims",): _keyed("name", retain_keys=True),
    ("securityContext", "supplementalGroups"): ATOMIC,
    ("securityContext", "sysctls"): ATOMIC,
    ("dnsConfig", "nameservers"): ATOMIC,
    ("dnsConfig", "searches"): ATOMIC,
    ("dnsConfig", "options"): ATOMIC,
    ("affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"): ATOMIC,
},
    _under(("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"), _NODE_SELECTOR),
    _under(("affinity", "podAffinity"), _POD_AFFINITY),
    _under(("affinity", "podAntiAffinity"), _POD_AFFINITY),
    *(_under((name,), CONTAINER) for name in ("initContainers", "containers", "ephemeralContainers")),
)

# core/v1 PodStatus: the container statuses have no patch strategy (atomic):
# strategic merge patch replaces them whole
POD_STATUS: dict[Path, FieldSchema] = {
    ("conditions",): _keyed("type"),
    ("hostIPs",): _keyed("ip", list_type="atomic"),
    ("podIPs",): _keyed("ip"),
    ("initContainerStatuses",): ATOMIC,
    ("containerStatuses",): ATOMIC,
    ("ephemeralContainerStatuses",): ATOMIC,
    ("resourceClaimStatuses",): _keyed("name", retain_keys=True),
}

POD_TEMPLATE: dict[Path, FieldSchema] = _merged(_under(("metadata",), OBJECT_META), _under(("spec",), POD_SPEC))

NODE_SPEC: dict[Path, FieldSchema] = {
    ("podCIDRs",): SET,
    ("taints",): ATOMIC,   # no patchStrategy: `kubectl taint` sends the whole list
}

NODE_STATUS: dict[Path, FieldSchema] = {
    ("conditions",): _keyed("type"),
    ("addresses",): _keyed("type"),
    ("images",): ATOMIC,
    ("images", "names"): ATOMIC,
    ("volumesInUse",): ATOMIC,
    ("volumesAttached",): ATOMIC,
    ("runtimeHandlers",): ATOMIC,
}

_POLICY_RULES: dict[Path, FieldSchema] = {
    ("rules",): ATOMIC,
    **{("rules", name): ATOMIC for name in ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")},
}


def _kind(*tables: Mapping[Path, FieldSchema]) -> dict[Path, FieldSchema]:
    """A kind's table: its ObjectMeta plus its own fields."""
    return _merged(_under(("metadata",), OBJECT_META), *tables)


_APPS = "apps/v1"
_WORKLOAD_STATUS: dict[Path, FieldSchema] = {("status", "conditions"): _keyed("type")}
_RBAC = "rbac.authorization.k8s.io/v1"

# (apiVersion, kind) -> field path -> FieldSchema; a kind listed here supports
# strategic merge patch, even with nothing but its ObjectMeta
KINDS: dict[tuple[str, str], dict[Path, FieldSchema]] = {
    ("v1", "Pod"): _kind(_under(("spec",), POD_SPEC), _under(("status",), POD_STATUS)),
    ("v1", "Node"): _kind(_under(("spec",), NODE_SPEC), _under(("status",), NODE_STATUS)),
    ("v1", "Namespace"): _kind({("spec", "finalizers"): ATOMIC, ("status", "conditions"): _keyed("type")}),
    ("v1", "Event"): _kind(),
    ("v1", "ConfigMap"): _kind(),
    ("v1", "Service"): _kind({
        ("spec", "ports"): _keyed("port", "port", "protocol", protocol="TCP"),
        ("spec", "selector"): ATOMIC_MAP,
        ("spec", "clusterIPs"): ATOMIC,
        ("spec", "externalIPs"): ATOMIC,
        ("spec", "loadBalancerSourceRanges"): ATOMIC,
        ("spec", "ipFamilies"): ATOMIC,
        ("status", "conditions"): _keyed("type"),
        ("status", "loadBalancer", "ingress"): ATOMIC,
        ("status", "loadBalancer", "ingress", "ports"): ATOMIC,
    }),
    ("v1", "ServiceAccount"): _kind({("secrets",): _keyed("name"), ("imagePullSecrets",): ATOMIC}),
    ("coordination.k8s.io/v1", "Lease"): _kind(),
    (_RBAC, "Role"): _kind(_POLICY_RULES),
    (_RBAC, "ClusterRole"): _kind(_POLICY_RULES, {("aggregationRule", "clusterRoleSelectors"): ATOMIC}),
    (_RBAC, "RoleBinding"): _kind({("subjects",): ATOMIC}),
    (_RBAC, "ClusterRoleBinding"): _kind({("subjects",): ATOMIC}),
    ("v1", "Secret"): _kind(),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): _kind(),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): _kind({
        ("status", "resourceRules"): ATOMIC,
        ("status", "nonResourceRules"): ATOMIC,
    }),
    ("authorization.k8s.io/v1", "SubjectAccessReview"): _kind({("spec", "groups"): ATOMIC}),
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): _kind({("spec", "groups"): ATOMIC}),
    ("authentication.k8s.io/v1", "SelfSubjectReview"): _kind(),
    ("authentication.k8s.io/v1", "TokenReview"): _kind({("spec", "audiences"): ATOMIC,
                                                         ("status", "audiences"): ATOMIC}),
    ("autoscaling/v1", "Scale"): _kind(),
    (_APPS, "Deployment"): _kind(_under(("spec", "template"), POD_TEMPLATE), {
        ("spec", "strategy"): FieldSchema(patch_strategy=(RETAIN_KEYS,)),
        ("status", "conditions"): _keyed("type"),
    }),
    (_APPS, "ReplicaSet"): _kind(_under(("spec", "template"), POD_TEMPLATE), _WORKLOAD_STATUS),
    (_APPS, "DaemonSet"): _kind(_under(("spec", "template"), POD_TEMPLATE), _WORKLOAD_STATUS),
    ("batch/v1", "Job"): _kind(_under(("spec", "template"), POD_TEMPLATE), {
        ("status", "conditions"): ATOMIC,  # +listType=atomic
    }),
    ("batch/v1", "CronJob"): _kind(_under(("spec", "jobTemplate", "spec", "template"), POD_TEMPLATE), {
        ("status", "active"): ATOMIC,
    }),
    ("policy/v1", "PodDisruptionBudget"): _kind({("status", "conditions"): _keyed("type")}),
    (_APPS, "StatefulSet"): _kind(_under(("spec", "template"), POD_TEMPLATE), {
        ("spec", "volumeClaimTemplates"): ATOMIC,
        ("status", "conditions"): _keyed("type"),
    }),
}


@dataclass(frozen=True)
class KindSchema:
    """The field table of one kind."""

    api_version: str
    kind: str
    fields: Mapping[Path, FieldSchema]

    def field(self, path: Iterable[str]) -> FieldSchema:
        """The schema of the field at `path` (list positions left out);
        `DEFAULT` for a field the table does not list."""
        return self.fields.get(tuple(path), DEFAULT)


_SCHEMAS = {key: KindSchema(key[0], key[1], table) for key, table in KINDS.items()}


def kind_schema(api_version: str, kind: str) -> KindSchema | None:
    """The table of a built-in kind; None for a kind without one (served like
    a custom resource: no strategic merge patch)."""
    return _SCHEMAS.get((api_version, kind))


def field_schema(api_version: str, kind: str, path: Iterable[str]) -> FieldSchema:
    schema = kind_schema(api_version, kind)
    return schema.field(path) if schema is not None else DEFAULT


def list_keys(api_version: str, kind: str, path: Iterable[str]) -> tuple[str, ...] | None:
    """Server-side apply's view of a list: its list-map keys, () for a set of
    scalars, None for an atomic list (also any list the table does not list).
    Fits `fieldset.list_schema_from_keys`."""
    found = field_schema(api_version, kind, path)
    if found.list_type == "map":
        return found.list_map_keys
    if found.list_type == "set":
        return ()
    return None
