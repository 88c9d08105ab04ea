"""Decodes Kubernetes protobuf request bodies (`Content-Type:
application/vnd.kubernetes.protobuf`, what kubectl >= 1.32 sends for its typed
commands) into the JSON form of the object, so the REST transport can hand
them to the same handlers as JSON bodies.

A body is the magic ``k8s\\0`` followed by a ``runtime.Unknown`` envelope whose
typeMeta names the kind and whose raw holds the object's own message. The
message class comes from `MESSAGES` (messages generated from proto/k8s/), the
conversion from `json_format.MessageToDict` plus what the Kubernetes JSON
form does differently:

* Time / MicroTime become RFC 3339 text, Quantity its string, IntOrString an
  int or a string, FieldsV1 / RawExtension the embedded JSON, ExtraValue a
  list, int64 a number; fields Go embeds in the parent (volume sources, probe
  handlers, LocalObjectReference, ...) are flattened the way JSON shows them.
* Go's encoder writes every non-pointer field, so zero values JSON would omit
  are dropped: empty strings, lists, maps and messages, zero times, and the
  0 / false of the non-pointer ``omitempty`` numbers and booleans listed in
  `_OMITTED_WHEN_ZERO`. Other numbers and booleans stay, 0 and false included
  (``replicas: 0``, ``allowed: false``). Empty messages whose presence means
  something (``emptyDir: {}``, an empty label selector) stay, and so does the
  object's ``metadata``.

Nothing a client sends is ignored: fields this decoder has no number for,
wrong wire types, invalid UTF-8 and malformed envelopes are refused with
BadRequest; a kind without a protobuf message here with UnsupportedMediaType.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.unknown_fields import UnknownFieldSet

from kubelite.errors import BadRequest, StatusError, UnsupportedMediaType
from kubelite.gen.k8s.io.api.apps.v1 import generated_pb2 as apps_v1
from kubelite.gen.k8s.io.api.authentication.v1 import generated_pb2 as authentication_v1
from kubelite.gen.k8s.io.api.authorization.v1 import generated_pb2 as authorization_v1
from kubelite.gen.k8s.io.api.batch.v1 import generated_pb2 as batch_v1
from kubelite.gen.k8s.io.api.coordination.v1 import generated_pb2 as coordination_v1
from kubelite.gen.k8s.io.api.core.v1 import generated_pb2 as core_v1
from kubelite.gen.k8s.io.api.policy.v1 import generated_pb2 as policy_v1
from kubelite.gen.k8s.io.api.rbac.v1 import generated_pb2 as rbac_v1
from kubelite.gen.k8s.io.apimachinery.pkg.apis.meta.v1 import generated_pb2 as meta_v1
from kubelite.gen.k8s.io.apimachinery.pkg.runtime import generated_pb2 as runtime_pb2

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"

RBAC = "rbac.authorization.k8s.io/v1"
AUTHORIZATION = "authorization.k8s.io/v1"
AUTHENTICATION = "authentication.k8s.io/v1"
COORDINATION = "coordination.k8s.io/v1"

# (apiVersion, kind) -> the message its raw bytes are.
MESSAGES: dict[tuple[str, str], type[Message]] = {
    ("v1", "Namespace"): core_v1.Namespace,
    ("v1", "ConfigMap"): core_v1.ConfigMap,
    ("v1", "Secret"): core_v1.Secret,
    ("v1", "ServiceAccount"): core_v1.ServiceAccount,
    ("v1", "Pod"): core_v1.Pod,
    ("v1", "Node"): core_v1.Node,
    ("v1", "Event"): core_v1.Event,
    ("v1", "Service"): core_v1.Service,
    (RBAC, "Role"): rbac_v1.Role,
    (RBAC, "ClusterRole"): rbac_v1.ClusterRole,
    (RBAC, "RoleBinding"): rbac_v1.RoleBinding,
    (RBAC, "ClusterRoleBinding"): rbac_v1.ClusterRoleBinding,
    (AUTHORIZATION, "SelfSubjectAccessReview"): authorization_v1.SelfSubjectAccessReview,
    (AUTHORIZATION, "SelfSubjectRulesReview"): authorization_v1.SelfSubjectRulesReview,
    (AUTHENTICATION, "SelfSubjectReview"): authentication_v1.SelfSubjectReview,
    (COORDINATION, "Lease"): coordination_v1.Lease,
    ("policy/v1", "Eviction"): policy_v1.Eviction,
    ("policy/v1", "PodDisruptionBudget"): policy_v1.PodDisruptionBudget,
    ("apps/v1", "Deployment"): apps_v1.Deployment,
    ("apps/v1", "ReplicaSet"): apps_v1.ReplicaSet,
    ("apps/v1", "DaemonSet"): apps_v1.DaemonSet,
    ("batch/v1", "Job"): batch_v1.Job,
    ("batch/v1", "CronJob"): batch_v1.CronJob,
}
# DeleteOptions is registered in every group version (a typed client encodes it
# with its own: kubectl drain's pod DELETE says "v1"), and in meta.k8s.io/v1.
for _version in sorted({version for version, _ in MESSAGES} | {"meta.k8s.io/v1"}):
    MESSAGES[(_version, "DeleteOptions")] = meta_v1.DeleteOptions

_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
_CORE = "k8s.io.api.core.v1."

# Fields Go embeds in their parent: JSON shows the embedded message's fields
# directly in the parent object.
_INLINE: frozenset[tuple[str, str]] = frozenset({
    (_CORE + "Volume", "volumeSource"),
    (_CORE + "Probe", "handler"),
    (_CORE + "EphemeralContainer", "ephemeralContainerCommon"),
    *((_CORE + name, "localObjectReference") for name in (
        "ConfigMapKeySelector", "SecretKeySelector", "ConfigMapEnvSource", "SecretEnvSource",
        "ConfigMapVolumeSource", "ConfigMapProjection", "SecretProjection")),
})

# Message types whose presence means something even when they are empty.
_KEEP_EMPTY: frozenset[str] = frozenset({
    _CORE + "EmptyDirVolumeSource",
    _META + "LabelSelector",
    _CORE + "ContainerStateRunning",
    _CORE + "ContainerStateWaiting",
})

# Non-pointer Go numbers and booleans tagged `omitempty`: Go's protobuf
# encoder always writes them, JSON leaves out their 0 / false. (Pointer fields
# are only written when set, and the rest appear in JSON even when zero.)
_OMITTED_WHEN_ZERO: dict[str, frozenset[str]] = {name: frozenset(fields) for name, fields in {
    _META + "ObjectMeta": ("generation",),
    _META + "Condition": ("observedGeneration",),
    _CORE + "PodSpec": ("hostNetwork", "hostPID", "hostIPC"),
    _CORE + "Container": ("stdin", "stdinOnce", "tty"),
    _CORE + "EphemeralContainerCommon": ("stdin", "stdinOnce", "tty"),
    _CORE + "ContainerPort": ("hostPort",),
    _CORE + "VolumeMount": ("readOnly",),
    _CORE + "Probe": ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                      "failureThreshold"),
    _CORE + "PodStatus": ("observedGeneration",),
    _CORE + "PodCondition": ("observedGeneration",),
    _CORE + "ContainerStateTerminated": ("signal",),
    _CORE + "VolumeMountStatus": ("readOnly",),
    _CORE + "NodeSpec": ("unschedulable",),
    _CORE + "ContainerImage": ("sizeBytes",),
    _CORE + "Event": ("count",),
    _CORE + "EventSeries": ("count",),
    _CORE + "ServiceSpec": ("healthCheckNodePort", "publishNotReadyAddresses"),
    _CORE + "ServicePort": ("nodePort",),
    _CORE + "AWSElasticBlockStoreVolumeSource": ("partition", "readOnly"),
    _CORE + "GCEPersistentDiskVolumeSource": ("partition", "readOnly"),
    _CORE + "ISCSIVolumeSource": ("readOnly", "chapAuthDiscovery", "chapAuthSession"),
    _CORE + "ScaleIOVolumeSource": ("sslEnabled", "readOnly"),
    **{_CORE + name: ("readOnly",) for name in (
        "AzureFileVolumeSource", "CephFSVolumeSource", "CinderVolumeSource", "FCVolumeSource", "FlexVolumeSource",
        "GlusterfsVolumeSource", "NFSVolumeSource", "PersistentVolumeClaimVolumeSource", "PortworxVolumeSource",
        "QuobyteVolumeSource", "RBDVolumeSource", "StorageOSVolumeSource")},
    "k8s.io.api.authorization.v1.SubjectAccessReviewStatus": ("denied",),
    "k8s.io.api.apps.v1.DeploymentSpec": ("minReadySeconds", "paused"),
    "k8s.io.api.apps.v1.DeploymentStatus": ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                                            "availableReplicas", "unavailableReplicas"),
    "k8s.io.api.apps.v1.ReplicaSetSpec": ("minReadySeconds",),
    "k8s.io.api.apps.v1.ReplicaSetStatus": ("fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                                            "observedGeneration"),
    "k8s.io.api.apps.v1.DaemonSetSpec": ("minReadySeconds",),
    "k8s.io.api.apps.v1.DaemonSetStatus": ("observedGeneration", "updatedNumberScheduled", "numberAvailable",
                                           "numberUnavailable"),
    "k8s.io.api.batch.v1.JobStatus": ("active", "succeeded", "failed"),
    "k8s.io.api.policy.v1.PodDisruptionBudgetStatus": ("observedGeneration",),
}.items()}

_INT64_TYPES = frozenset({FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64,
                          FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64})
_NOT_UTF8 = "the protobuf body holds a string that is not valid UTF-8"
_MAX_NESTED_ENVELOPES = 4  # RawExtensions holding protobuf envelopes, nested


def decode(data: bytes, expected_api_version: str | None = None, expected_kind: str | None = None) -> dict[str, Any]:
    """The Kubernetes JSON form (apiVersion, kind, metadata, ...) of a protobuf
    request body. When expected_api_version / expected_kind are given the body
    must be that kind. Raises BadRequest for anything malformed or not matching,
    UnsupportedMediaType for a kind this module has no message for."""
    try:
        return _decode(bytes(data), expected_api_version, expected_kind, 0)
    except StatusError:
        raise
    except UnicodeDecodeError:  # proto2 map keys are decoded when first read
        raise BadRequest(_NOT_UTF8) from None
    except Exception as err:  # a last resort: no input may escape as another exception type
        raise BadRequest(f"the protobuf request body could not be decoded: {_one_line(err)}") from None


def _decode(data: bytes, expected_api_version: str | None, expected_kind: str | None, depth: int) -> dict[str, Any]:
    if not data.startswith(MAGIC):
        raise BadRequest(f'the {PROTOBUF} body does not start with the magic bytes "k8s\\x00"')
    envelope = _parse(runtime_pb2.Unknown, data[len(MAGIC):], "the protobuf envelope (runtime.Unknown)")
    _check(envelope, "")
    api_version, kind = envelope.typeMeta.apiVersion, envelope.typeMeta.kind
    if not api_version or not kind:
        raise BadRequest("the protobuf envelope does not name the object's apiVersion and kind")
    if envelope.contentEncoding:
        raise BadRequest(f"the protobuf envelope's contentEncoding {_quote(envelope.contentEncoding)} is not supported")
    if envelope.contentType not in ("", PROTOBUF):
        raise BadRequest(f"the protobuf envelope's contentType {_quote(envelope.contentType)} is not supported")
    if (expected_kind is not None and kind != expected_kind) or (
            expected_api_version is not None and api_version != expected_api_version):
        wanted = ", ".join(f"{what} {value}" for what, value in (("kind", expected_kind),
                                                                  ("apiVersion", expected_api_version)) if value)
        raise BadRequest(f"the protobuf body is kind {_quote(kind)} (apiVersion {_quote(api_version)}); "
                         f"expected {wanted}")
    message_class = MESSAGES.get((api_version, kind))
    if message_class is None:
        raise UnsupportedMediaType(f"the protobuf body of kind {_quote(kind)} (apiVersion {_quote(api_version)}) is "
                                   f"not supported; send JSON")
    message = _parse(message_class, envelope.raw, f"{kind} ({api_version})")
    _check(message, "")
    descriptor = message.DESCRIPTOR
    body = _convert(json_format.MessageToDict(message), descriptor, "", depth)
    result: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    if "metadata" in descriptor.fields_by_name:
        result["metadata"] = {}
    result.update(body)
    return result


def _parse(message_class: type[Message], raw: bytes, what: str) -> Message:
    message = message_class()
    try:
        message.ParseFromString(raw)
    except UnicodeDecodeError:
        raise BadRequest(_NOT_UTF8) from None
    except Exception as err:  # DecodeError and whatever else the parser raises for bad bytes
        raise BadRequest(f"{what} is not a valid protobuf message: {_one_line(err)}") from None
    return message


def _type_name(descriptor: Descriptor) -> str:
    """k8s.io.api.core.v1.Pod -> io.k8s.api.core.v1.Pod (the OpenAPI name users see elsewhere)."""
    name = descriptor.full_name
    return "io.k8s." + name[len("k8s.io."):] if name.startswith("k8s.io.") else name


def _at(path: str) -> str:
    return f" (at {path})" if path else ""


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(message: Message, path: str) -> None:
    """Refuse what protobuf parsing would otherwise keep quietly: unknown
    fields (and fields whose wire type is wrong, which land there too) and
    string fields that are not UTF-8 (proto2 hands those over as bytes)."""
    descriptor = message.DESCRIPTOR
    for unknown in UnknownFieldSet(message):
        number = unknown.field_number
        known = descriptor.fields_by_number.get(number)
        if known is not None:
            raise BadRequest(f"field number {number} ({known.json_name}) in {_type_name(descriptor)} does not parse as "
                             f"its declared type{_at(path)}")
        raise BadRequest(f"unknown field number {number} in {_type_name(descriptor)}{_at(path)}")
    for field, value in message.ListFields():
        where = path if (descriptor.full_name, field.name) in _INLINE else _join(path, field.json_name)
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            for key in sorted(value):
                _check_value(value[key], value_field, f"{where}[{key!r}]")
        elif field.is_repeated:
            for index, item in enumerate(value):
                _check_value(item, field, f"{where}[{index}]")
        else:
            _check_value(value, field, where)


def _check_value(value: Any, field: FieldDescriptor, path: str) -> None:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        _check(value, path)
    elif field.type == FieldDescriptor.TYPE_STRING and not isinstance(value, str):
        raise BadRequest(f"{path}: {_NOT_UTF8}")


def _is_map(field: FieldDescriptor) -> bool:
    return (field.type == FieldDescriptor.TYPE_MESSAGE and field.is_repeated
            and field.message_type.GetOptions().map_entry)


def _convert(value: dict[str, Any], descriptor: Descriptor, path: str, depth: int) -> Any:
    """MessageToDict's output for one message -> its Kubernetes JSON form."""
    special = _SPECIAL.get(descriptor.full_name)
    if special is not None:
        return special(value, path, depth)
    omitted_when_zero = _OMITTED_WHEN_ZERO.get(descriptor.full_name, frozenset())
    out: dict[str, Any] = {}
    for field in descriptor.fields:  # declaration order, which is Go's (and JSON's) field order
        if field.json_name not in value:
            continue
        inline = (descriptor.full_name, field.name) in _INLINE
        where = path if inline else _join(path, field.json_name)
        converted = _convert_field(value[field.json_name], field, where, depth)
        if inline:
            if isinstance(converted, dict):
                out.update(converted)
            continue
        if _omitted(converted, field, omitted_when_zero):
            continue
        out[field.json_name] = converted
    return out


def _omitted(value: Any, field: FieldDescriptor, omitted_when_zero: frozenset[str]) -> bool:
    if value is None or value == "" or value == []:
        return True
    if isinstance(value, bool | int):
        return field.name in omitted_when_zero and not value
    if isinstance(value, dict) and not value:
        kept = field.message_type is not None and not _is_map(field) and (
            field.message_type.full_name in _KEEP_EMPTY or field.message_type.full_name in _SPECIAL)
        return not kept
    return False


def _convert_field(value: Any, field: FieldDescriptor, path: str, depth: int) -> Any:
    if _is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        return {key: _convert_value(value[key], value_field, f"{path}[{key!r}]", depth) for key in sorted(value)}
    if field.is_repeated:
        return [_convert_value(item, field, f"{path}[{index}]", depth) for index, item in enumerate(value)]
    return _convert_value(value, field, path, depth)


def _convert_value(value: Any, field: FieldDescriptor, path: str, depth: int) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return _convert(value, field.message_type, path, depth)
    if field.type in _INT64_TYPES:
        return int(value)  # MessageToDict quotes 64-bit integers; JSON has numbers
    return value  # strings, booleans, 32-bit numbers; bytes are already base64 text


# --- the types whose JSON form is not an object of their fields -------------

def _seconds_nanos(value: dict[str, Any]) -> tuple[int, int]:
    return int(value.get("seconds", 0)), int(value.get("nanos", 0))


def _utc(seconds: int, micros: int, path: str) -> datetime:
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=micros)
    except OverflowError:
        moment = None
    if moment is None or not 1 <= moment.year <= 9999:
        raise BadRequest(f"{path}: the time {seconds}s since 1970 is outside the years 1 to 9999")
    return moment


def _stamp(moment: datetime) -> str:
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")


def _time(value: dict[str, Any], path: str, depth: int) -> str | None:
    seconds, nanos = _seconds_nanos(value)
    if seconds == 0 and nanos == 0:
        return None  # the zero time: JSON null, i.e. not set
    return _stamp(_utc(seconds, 0, path)) + "Z"  # second precision, as metav1.Time keeps it


def _micro_time(value: dict[str, Any], path: str, depth: int) -> str | None:
    seconds, nanos = _seconds_nanos(value)
    if seconds == 0 and nanos == 0:
        return None
    carry, nanos = divmod(nanos, 1_000_000_000)
    moment = _utc(seconds + carry, nanos // 1000, path)
    return f"{_stamp(moment)}.{moment.microsecond:06d}Z"


def _quantity(value: dict[str, Any], path: str, depth: int) -> str:
    return str(value.get("string", "0"))  # Go reads a Quantity without its string as zero


def _int_or_string(value: dict[str, Any], path: str, depth: int) -> int | str:
    kind = int(value.get("type", 0))
    if kind == 0:
        return int(value.get("intVal", 0))
    if kind == 1:
        return str(value.get("strVal", ""))
    raise BadRequest(f"{path}: IntOrString type {kind} is neither 0 (int) nor 1 (string)")


def _embedded_bytes(value: dict[str, Any], key: str, path: str) -> bytes:
    try:
        return base64.b64decode(value.get(key, ""), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{path}: could not read the embedded bytes") from None


def _json(raw: bytes, path: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        return json.loads(raw, parse_constant=refuse)
    except (ValueError, RecursionError) as err:
        raise BadRequest(f"{path}: the embedded JSON does not parse: {_one_line(err)}") from None


def _fields_v1(value: dict[str, Any], path: str, depth: int) -> Any:
    raw = _embedded_bytes(value, "Raw", path)
    return _json(raw, path) if raw else None


def _raw_extension(value: dict[str, Any], path: str, depth: int) -> Any:
    raw = _embedded_bytes(value, "raw", path)
    if not raw:
        return None
    if raw.startswith(MAGIC):
        if depth >= _MAX_NESTED_ENVELOPES:
            raise BadRequest(f"{path}: protobuf objects are nested too deeply")
        return _decode(raw, None, None, depth + 1)
    return _json(raw, path)


def _extra_value(value: dict[str, Any], path: str, depth: int) -> list[str]:
    return list(value.get("items", []))


_SPECIAL: dict[str, Callable[[dict[str, Any], str, int], Any]] = {
    _META + "Time": _time,
    _META + "MicroTime": _micro_time,
    _META + "FieldsV1": _fields_v1,
    "k8s.io.apimachinery.pkg.api.resource.Quantity": _quantity,
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
    "k8s.io.apimachinery.pkg.runtime.RawExtension": _raw_extension,
    "k8s.io.api.authentication.v1.ExtraValue": _extra_value,
}


def _quote(text: str) -> str:
    """A client-supplied string in an error message: quoted, control characters escaped."""
    return json.dumps(text, ensure_ascii=False)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__
