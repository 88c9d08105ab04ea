"""Decoding and validation of API objects: from a JSON/YAML document to a typed
object, or to every field error at once with its path and Kubernetes' wording."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from kubelite.api import coordination, core, rbac
from kubelite.api.errors import (
    FieldError,
    InvalidObject,
    UnknownKind,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from kubelite.api.kind import Kind as ResourceInfo
from kubelite.api.meta import KubeObject, ObjectMeta
from kubelite.api.names import dns1123_label, label_value, qualified_name
from kubelite.api.quantity import parse_quantity

# apimachinery's TotalAnnotationSizeLimitB: keys and values of all annotations together, in bytes
ANNOTATIONS_SIZE_LIMIT = 256 * 1024

_EXPECTED = {"int": "an integer", "string": "a string", "bool": "a boolean", "float": "a number",
             "dict": "an object", "model": "an object", "list": "a list"}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _from_pydantic(err: ValidationError) -> list[FieldError]:
    causes = []
    for e in err.errors(include_url=False):
        path = _path(tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))))
        kind = e["type"]
        if kind == "missing":
            causes.append(required(path))
        elif kind == "extra_forbidden":
            causes.append(FieldError(path, "FieldValueNotSupported", f'unknown field "{path}"'))
        else:
            expected = next((text for key, text in _EXPECTED.items() if kind.startswith(key)), None)
            detail = f"must be {expected}" if expected else e["msg"]
            causes.append(invalid(path, e.get("input"), detail))
    return causes


def causes_of(err: ValidationError | None, message: str = "") -> list[FieldError]:
    """The field errors of a pydantic failure (or one message for the whole object)."""
    if err is None:
        return [FieldError("", "FieldValueInvalid", message)]
    return _from_pydantic(err)


def parse_object(data: Any) -> tuple[ResourceInfo, KubeObject]:
    """Decode a document into its typed object, validated. Raises UnknownKind
    for an unknown apiVersion/kind and InvalidObject with every cause."""
    if not isinstance(data, dict):
        raise InvalidObject("Object", "", [FieldError("", "FieldValueInvalid", "the object must be a mapping")])
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        raise UnknownKind(api_version if isinstance(api_version, str) else "", kind if isinstance(kind, str) else "")
    from kubelite.api.registry import resource_for_kind  # the registry loads the kinds, which use this module

    info = resource_for_kind(api_version, kind)
    if info is None:
        raise UnknownKind(api_version, kind)
    meta = data.get("metadata")
    name = str(meta.get("name") or meta.get("generateName") or "") if isinstance(meta, dict) else ""
    try:
        obj = info.model.model_validate(data)
    except ValidationError as err:
        raise InvalidObject(kind, name, _from_pydantic(err)) from None
    causes = validate_object(info, obj)
    if causes:
        raise InvalidObject(kind, name, causes)
    return info, obj


# ------------------------------------------------------------------ semantics
def validate_object(info: ResourceInfo, obj: KubeObject) -> list[FieldError]:
    causes = _validate_meta(info, obj.metadata)
    if info.validate is not None:
        causes += info.validate(obj)
    return causes


def _validate_meta(info: ResourceInfo, meta: ObjectMeta) -> list[FieldError]:
    causes: list[FieldError] = []
    if not info.stored:
        return causes
    if not meta.name and not meta.generateName:
        causes.append(FieldError("metadata.name", "FieldValueRequired",
                                 "Required value: name or generateName is required"))
    elif meta.name:
        why = info.name_rule(meta.name)
        if why:
            causes.append(invalid("metadata.name", meta.name, why))
    if info.namespaced and meta.namespace:
        why = dns1123_label(meta.namespace)
        if why:
            causes.append(invalid("metadata.namespace", meta.namespace, why))
    for key, value in (meta.labels or {}).items():
        why = qualified_name(key)
        if why:
            causes.append(invalid("metadata.labels", key, why))
        why = label_value(value)
        if why:
            causes.append(invalid("metadata.labels", value, why))
    for key in meta.annotations or {}:
        why = qualified_name(key.lower())
        if why:
            causes.append(invalid("metadata.annotations", key, why))
    if annotations_size(meta.annotations) > ANNOTATIONS_SIZE_LIMIT:
        causes.append(FieldError("metadata.annotations", "FieldValueTooLong",
                                 f"Too long: must have at most {ANNOTATIONS_SIZE_LIMIT} bytes"))
    return causes


def annotations_size(annotations: dict[str, str] | None) -> int:
    """The bytes (UTF-8) of every key and value, as Kubernetes counts them."""
    return sum(len(k.encode("utf-8", "surrogatepass")) + len(v.encode("utf-8", "surrogatepass"))
               for k, v in (annotations or {}).items())


def path_segment(value: str) -> str | None:
    """RBAC objects may be named like "system:node" (any path segment)."""
    if value in (".", ".."):
        return f"may not be '{value}'"
    for bad in ("/", "%"):
        if bad in value:
            return f"may not contain '{bad}'"
    return None


def _quantities(path: str, values: dict[str, str] | None) -> tuple[list[FieldError], dict[str, Any]]:
    causes, parsed = [], {}
    for resource, text in (values or {}).items():
        try:
            amount = parse_quantity(text)
        except ValueError as err:
            causes.append(invalid(f"{path}[{resource}]", text, str(err)))
            continue
        if amount < 0:
            causes.append(invalid(f"{path}[{resource}]", text, "must be greater than or equal to 0"))
        parsed[resource] = amount
    return causes, parsed


def _validate_container(path: str, c: core.Container) -> list[FieldError]:
    causes = []
    why = dns1123_label(c.name)
    if why:
        causes.append(invalid(f"{path}.name", c.name, why))
    if not c.image:
        causes.append(required(f"{path}.image"))
    for i, port in enumerate(c.ports or []):
        if not 1 <= port.containerPort <= 65535:
            causes.append(invalid(f"{path}.ports[{i}].containerPort", port.containerPort,
                                  "must be between 1 and 65535, inclusive"))
        if port.hostPort is not None and not 0 <= port.hostPort <= 65535:
            causes.append(invalid(f"{path}.ports[{i}].hostPort", port.hostPort,
                                  "must be between 0 and 65535, inclusive"))
        if port.protocol is not None and port.protocol not in ("TCP", "UDP", "SCTP"):
            causes.append(not_supported(f"{path}.ports[{i}].protocol", port.protocol, ["SCTP", "TCP", "UDP"]))
    for i, env in enumerate(c.env or []):
        if not env.name:
            causes.append(required(f"{path}.env[{i}].name"))
    if c.imagePullPolicy is not None and c.imagePullPolicy not in ("Always", "IfNotPresent", "Never"):
        causes.append(not_supported(f"{path}.imagePullPolicy", c.imagePullPolicy,
                                    ["Always", "IfNotPresent", "Never"]))
    if c.resources is not None:
        bad_requests, requests = _quantities(f"{path}.resources.requests", c.resources.requests)
        bad_limits, limits = _quantities(f"{path}.resources.limits", c.resources.limits)
        causes += bad_requests + bad_limits
        for resource, amount in requests.items():
            if resource in limits and amount > limits[resource]:
                causes.append(invalid(f"{path}.resources.requests", str(c.resources.requests[resource]),  # type: ignore[index]
                                      f"must be less than or equal to {resource} limit of "
                                      f"{c.resources.limits[resource]}"))  # type: ignore[index]
    return causes


_OPERATORS = ["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"]


def _validate_requirement(path: str, req: core.NodeSelectorRequirement, fields: bool) -> list[FieldError]:
    causes = []
    if fields and req.key != "metadata.name":
        causes.append(not_supported(f"{path}.key", req.key, ["metadata.name"]))
    elif not fields:
        why = qualified_name(req.key)
        if why:
            causes.append(invalid(f"{path}.key", req.key, why))
    values = req.values or []
    if req.operator not in _OPERATORS:
        causes.append(not_supported(f"{path}.operator", req.operator, _OPERATORS))
    elif req.operator in ("In", "NotIn") and not values:
        causes.append(FieldError(f"{path}.values", "FieldValueRequired",
                                 "Required value: must be specified when `operator` is 'In' or 'NotIn'"))
    elif req.operator in ("Exists", "DoesNotExist") and values:
        causes.append(forbidden(f"{path}.values", "may not be specified when `operator` is 'Exists' or "
                                "'DoesNotExist'"))
    elif req.operator in ("Gt", "Lt"):
        if len(values) != 1:
            causes.append(FieldError(f"{path}.values", "FieldValueRequired",
                                     "Required value: must be specified single value when `operator` is 'Lt' or "
                                     "'Gt'"))
        elif not values[0].lstrip("-").isdigit():
            causes.append(invalid(f"{path}.values[0]", values[0], "must be an integer"))
    return causes


def _validate_term(path: str, term: core.NodeSelectorTerm) -> list[FieldError]:
    causes = []
    for i, req in enumerate(term.matchExpressions or []):
        causes += _validate_requirement(f"{path}.matchExpressions[{i}]", req, False)
    for i, req in enumerate(term.matchFields or []):
        causes += _validate_requirement(f"{path}.matchFields[{i}]", req, True)
    return causes


def _validate_toleration(path: str, t: core.Toleration) -> list[FieldError]:
    causes = []
    if t.key:
        why = qualified_name(t.key)
        if why:
            causes.append(invalid(f"{path}.key", t.key, why))
    operator = t.operator or "Equal"
    if operator not in ("Exists", "Equal"):
        causes.append(not_supported(f"{path}.operator", operator, ["Equal", "Exists"]))
    if not t.key and operator != "Exists":
        causes.append(invalid(f"{path}.operator", operator, "operator must be Exists when `key` is empty, which "
                              "means \"match all values and all keys\""))
    if operator == "Exists" and t.value:
        causes.append(invalid(f"{path}.operator", t.value, "value must be empty when `operator` is 'Exists'"))
    if t.effect is not None and t.effect not in ("", "NoSchedule", "PreferNoSchedule", "NoExecute"):
        causes.append(not_supported(f"{path}.effect", t.effect, ["NoExecute", "NoSchedule", "PreferNoSchedule"]))
    if t.tolerationSeconds is not None and t.effect != "NoExecute":
        causes.append(invalid(f"{path}.effect", t.effect or "", "effect must be 'NoExecute' when "
                              "`tolerationSeconds` is set"))
    return causes


def validate_pod_spec(spec: core.PodSpec, root: str = "spec") -> list[FieldError]:
    """Every problem of a pod spec; `root` is its path (a template's is "spec.template.spec")."""
    causes: list[FieldError] = []
    if not spec.containers:
        causes.append(required(f"{root}.containers"))
    seen: set[str] = set()
    for field_name, containers in (("containers", spec.containers), ("initContainers", spec.initContainers or [])):
        for i, container in enumerate(containers):
            path = f"{root}.{field_name}[{i}]"
            causes += _validate_container(path, container)
            if container.name in seen:
                causes.append(duplicate(f"{path}.name", container.name))
            seen.add(container.name)
    if spec.restartPolicy is not None and spec.restartPolicy not in ("Always", "OnFailure", "Never"):
        causes.append(not_supported(f"{root}.restartPolicy", spec.restartPolicy, ["Always", "OnFailure", "Never"]))
    if spec.terminationGracePeriodSeconds is not None and spec.terminationGracePeriodSeconds < 0:
        causes.append(invalid(f"{root}.terminationGracePeriodSeconds", spec.terminationGracePeriodSeconds,
                              "must be greater than or equal to 0"))
    if spec.activeDeadlineSeconds is not None and spec.activeDeadlineSeconds < 1:
        causes.append(invalid(f"{root}.activeDeadlineSeconds", spec.activeDeadlineSeconds,
                              "must be between 1 and 2147483647, inclusive"))
    for key, value in (spec.nodeSelector or {}).items():
        why = qualified_name(key) or label_value(value)
        if why:
            causes.append(invalid(f"{root}.nodeSelector[{key}]", value, why))
    node_affinity = spec.affinity.nodeAffinity if spec.affinity else None
    if node_affinity is not None:
        required_terms = node_affinity.requiredDuringSchedulingIgnoredDuringExecution
        base = f"{root}.affinity.nodeAffinity"
        if required_terms is not None:
            path = f"{base}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
            if not required_terms.nodeSelectorTerms:
                causes.append(FieldError(path, "FieldValueRequired", "Required value: must have at least one "
                                         "node selector term"))
            for i, term in enumerate(required_terms.nodeSelectorTerms):
                causes += _validate_term(f"{path}[{i}]", term)
        for i, pref in enumerate(node_affinity.preferredDuringSchedulingIgnoredDuringExecution or []):
            path = f"{base}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
            if not 1 <= pref.weight <= 100:
                causes.append(invalid(f"{path}.weight", pref.weight, "must be in the range 1-100"))
            causes += _validate_term(f"{path}.preference", pref.preference)
    for i, toleration in enumerate(spec.tolerations or []):
        causes += _validate_toleration(f"{root}.tolerations[{i}]", toleration)
    for i, tsc in enumerate(spec.topologySpreadConstraints or []):
        path = f"{root}.topologySpreadConstraints[{i}]"
        if tsc.maxSkew < 1:
            causes.append(invalid(f"{path}.maxSkew", tsc.maxSkew, "must be greater than zero"))
        if not tsc.topologyKey:
            causes.append(required(f"{path}.topologyKey"))
        if tsc.whenUnsatisfiable not in ("DoNotSchedule", "ScheduleAnyway"):
            causes.append(not_supported(f"{path}.whenUnsatisfiable", tsc.whenUnsatisfiable,
                                        ["DoNotSchedule", "ScheduleAnyway"]))
    return causes


def validate_pod(pod: KubeObject) -> list[FieldError]:
    assert isinstance(pod, core.Pod)
    return validate_pod_spec(pod.spec)


def validate_node(node: KubeObject) -> list[FieldError]:
    assert isinstance(node, core.Node)
    causes = []
    for i, taint in enumerate(node.spec.taints or []):
        why = qualified_name(taint.key)
        if why:
            causes.append(invalid(f"spec.taints[{i}].key", taint.key, why))
        if taint.effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            causes.append(not_supported(f"spec.taints[{i}].effect", taint.effect,
                                        ["NoExecute", "NoSchedule", "PreferNoSchedule"]))
    if node.status is not None:
        for field_name in ("capacity", "allocatable"):
            bad, _ = _quantities(f"status.{field_name}", getattr(node.status, field_name))
            causes += bad
    return causes


def validate_lease(lease: KubeObject) -> list[FieldError]:
    assert isinstance(lease, coordination.Lease)
    duration = lease.spec.leaseDurationSeconds
    if duration is not None and duration < 1:
        return [invalid("spec.leaseDurationSeconds", duration, "must be greater than 0")]
    return []


def validate_rules(obj: KubeObject) -> list[FieldError]:
    causes = []
    for i, rule in enumerate(getattr(obj, "rules", None) or []):
        if not rule.verbs:
            causes.append(required(f"rules[{i}].verbs"))
        if not rule.nonResourceURLs and not rule.resources:
            causes.append(FieldError(f"rules[{i}].resources", "FieldValueRequired",
                                     "Required value: resource rules must supply at least one resource"))
        if rule.resources and rule.apiGroups is None:
            causes.append(FieldError(f"rules[{i}].apiGroups", "FieldValueRequired",
                                     "Required value: resource rules must supply at least one api group"))
    return causes


def validate_rbac_binding(obj: KubeObject) -> list[FieldError]:
    assert isinstance(obj, rbac.RoleBinding | rbac.ClusterRoleBinding)
    causes = []
    allowed = ["ClusterRole"] if isinstance(obj, rbac.ClusterRoleBinding) else ["ClusterRole", "Role"]
    if obj.roleRef.kind not in allowed:
        causes.append(not_supported("roleRef.kind", obj.roleRef.kind, allowed))
    if obj.roleRef.apiGroup != "rbac.authorization.k8s.io":
        causes.append(not_supported("roleRef.apiGroup", obj.roleRef.apiGroup, ["rbac.authorization.k8s.io"]))
    if not obj.roleRef.name:
        causes.append(required("roleRef.name"))
    for i, subject in enumerate(obj.subjects or []):
        if subject.kind not in ("User", "Group", "ServiceAccount"):
            causes.append(not_supported(f"subjects[{i}].kind", subject.kind, ["Group", "ServiceAccount", "User"]))
        if subject.kind == "ServiceAccount" and not subject.namespace and isinstance(obj, rbac.ClusterRoleBinding):
            causes.append(required(f"subjects[{i}].namespace"))
        if not subject.name:
            causes.append(required(f"subjects[{i}].name"))
    return causes


def validate_configmap(obj: KubeObject) -> list[FieldError]:
    assert isinstance(obj, core.ConfigMap)
    causes = []
    for key in [*(obj.data or {}), *(obj.binaryData or {})]:
        if not key or len(key) > 253 or not all(ch.isalnum() or ch in "-._" for ch in key):
            causes.append(invalid("data", key, "a valid config key must consist of alphanumeric characters, '-', "
                                  "'_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                                  "validation is '[-._a-zA-Z0-9]+')"))
    return causes


# -------------------------------------------------------------------- updates
_POD_MUTABLE = ("`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                "`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds`")


def validate_update(info: ResourceInfo, old: KubeObject, new: KubeObject) -> list[FieldError]:
    """What may not change between the stored object and its replacement."""
    causes = []
    for field_name in ("name", "namespace", "uid", "creationTimestamp"):
        before, after = getattr(old.metadata, field_name), getattr(new.metadata, field_name)
        if before and after != before:
            causes.append(invalid(f"metadata.{field_name}", after, "field is immutable"))
    if info.validate_update is not None:
        causes += info.validate_update(old, new)
    return causes


def configmap_update(old: core.ConfigMap, new: core.ConfigMap) -> list[FieldError]:
    """An immutable ConfigMap (or Secret) keeps its data."""
    causes = []
    if old.immutable:
        if old.data != new.data or old.binaryData != new.binaryData:
            causes.append(forbidden("data", "field is immutable when `immutable` is set"))
        if not new.immutable:
            causes.append(forbidden("immutable", "field is immutable when `immutable` is set"))
    return causes


def pod_update(old: core.Pod, new: core.Pod) -> list[FieldError]:
    before = old.spec.model_copy(deep=True)
    after = new.spec.model_copy(deep=True)
    for spec_copy in (before, after):
        for container in [*spec_copy.containers, *(spec_copy.initContainers or [])]:
            container.image = None
        spec_copy.activeDeadlineSeconds = None
        spec_copy.terminationGracePeriodSeconds = None
    old_tolerations = before.tolerations or []
    new_tolerations = after.tolerations or []
    tolerations_ok = new_tolerations[:len(old_tolerations)] == old_tolerations
    before.tolerations = after.tolerations = None
    if before != after or not tolerations_ok or len(old.spec.containers) != len(new.spec.containers):
        return [forbidden("spec", f"pod updates may not change fields other than {_POD_MUTABLE}")]
    return []
