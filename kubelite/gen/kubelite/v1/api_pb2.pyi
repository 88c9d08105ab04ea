from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JourneyRequest(_message.Message):
    __slots__ = ("audit_id",)
    AUDIT_ID_FIELD_NUMBER: _ClassVar[int]
    audit_id: str
    def __init__(self, audit_id: _Optional[str] = ...) -> None: ...

class VersionRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PodLogRequest(_message.Message):
    __slots__ = ("namespace", "name", "container", "follow", "tail_lines", "previous")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    TAIL_LINES_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    name: str
    container: str
    follow: bool
    tail_lines: int
    previous: bool
    def __init__(self, namespace: _Optional[str] = ..., name: _Optional[str] = ..., container: _Optional[str] = ..., follow: _Optional[bool] = ..., tail_lines: _Optional[int] = ..., previous: _Optional[bool] = ...) -> None: ...

class ContainerLogRequest(_message.Message):
    __slots__ = ("pod_uid", "container", "follow", "tail_lines", "previous")
    POD_UID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    TAIL_LINES_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    pod_uid: str
    container: str
    follow: bool
    tail_lines: int
    previous: bool
    def __init__(self, pod_uid: _Optional[str] = ..., container: _Optional[str] = ..., follow: _Optional[bool] = ..., tail_lines: _Optional[int] = ..., previous: _Optional[bool] = ...) -> None: ...

class LogChunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class ResourceRef(_message.Message):
    __slots__ = ("group", "resource", "namespace", "subresource")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SUBRESOURCE_FIELD_NUMBER: _ClassVar[int]
    group: str
    resource: str
    namespace: str
    subresource: str
    def __init__(self, group: _Optional[str] = ..., resource: _Optional[str] = ..., namespace: _Optional[str] = ..., subresource: _Optional[str] = ...) -> None: ...

class Object(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: bytes
    def __init__(self, json: _Optional[bytes] = ...) -> None: ...

class CreateRequest(_message.Message):
    __slots__ = ("resource", "object", "dry_run")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    resource: ResourceRef
    object: bytes
    dry_run: bool
    def __init__(self, resource: _Optional[_Union[ResourceRef, _Mapping]] = ..., object: _Optional[bytes] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("resource", "name")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    resource: ResourceRef
    name: str
    def __init__(self, resource: _Optional[_Union[ResourceRef, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class ListRequest(_message.Message):
    __slots__ = ("resource", "label_selector", "field_selector", "limit", "continue_token", "resource_version")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    LABEL_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    FIELD_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    resource: ResourceRef
    label_selector: str
    field_selector: str
    limit: int
    continue_token: str
    resource_version: str
    def __init__(self, resource: _Optional[_Union[ResourceRef, _Mapping]] = ..., label_selector: _Optional[str] = ..., field_selector: _Optional[str] = ..., limit: _Optional[int] = ..., continue_token: _Optional[str] = ..., resource_version: _Optional[str] = ...) -> None: ...

class UpdateRequest(_message.Message):
    __slots__ = ("resource", "object", "dry_run")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    resource: ResourceRef
    object: bytes
    dry_run: bool
    def __init__(self, resource: _Optional[_Union[ResourceRef, _Mapping]] = ..., object: _Optional[bytes] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class PatchRequest(_message.Message):
    __slots__ = ("resource", "name", "patch", "status", "dry_run", "patch_type", "field_manager", "force")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATCH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    PATCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    FIELD_MANAGER_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    resource: ResourceRef
    name: str
    patch: bytes
    status: bool
    dry_run: bool
    patch_type: str
    field_manager: str
    force: bool
    def __init__(self, resource: _Optional[_Union[ResourceRef, _Mapping]] = ..., name: _Optional[str] = ..., patch: _Optional[bytes] = ..., status: _Optional[bool] = ..., dry_run: _Optional[bool] = ..., patch_type: _Optional[str] = ..., field_manager: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("resource", "name", "grace_period_seconds", "precondition_uid", "precondition_resource_version", "propagation_policy", "dry_run")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GRACE_PERIOD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_UID_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_RESOURCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROPAGATION_POLICY_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    resource: ResourceRef
    name: str
    grace_period_seconds: int
    precondition_uid: str
    precondition_resource_version: str
    propagation_policy: str
    dry_run: bool
    def __init__(self, resource: _Optional[_Union[ResourceRef, _Mapping]] = ..., name: _Optional[str] = ..., grace_period_seconds: _Optional[int] = ..., precondition_uid: _Optional[str] = ..., precondition_resource_version: _Optional[str] = ..., propagation_policy: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("resource", "label_selector", "field_selector", "resource_version", "allow_bookmarks")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    LABEL_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    FIELD_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALLOW_BOOKMARKS_FIELD_NUMBER: _ClassVar[int]
    resource: ResourceRef
    label_selector: str
    field_selector: str
    resource_version: str
    allow_bookmarks: bool
    def __init__(self, resource: _Optional[_Union[ResourceRef, _Mapping]] = ..., label_selector: _Optional[str] = ..., field_selector: _Optional[str] = ..., resource_version: _Optional[str] = ..., allow_bookmarks: _Optional[bool] = ...) -> None: ...

class WatchEvent(_message.Message):
    __slots__ = ("type", "object")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    type: str
    object: bytes
    def __init__(self, type: _Optional[str] = ..., object: _Optional[bytes] = ...) -> None: ...

class BindRequest(_message.Message):
    __slots__ = ("namespace", "binding")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    BINDING_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    binding: bytes
    def __init__(self, namespace: _Optional[str] = ..., binding: _Optional[bytes] = ...) -> None: ...

class StatusDetails(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: bytes
    def __init__(self, json: _Optional[bytes] = ...) -> None: ...
