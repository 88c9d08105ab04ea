from kubelite.gen.etcdserverpb import rpc_pb2 as _rpc_pb2
from kubelite.gen.mvccpb import kv_pb2 as _kv_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LeaseRenew(_message.Message):
    __slots__ = ("ID",)
    ID_FIELD_NUMBER: _ClassVar[int]
    ID: int
    def __init__(self, ID: _Optional[int] = ...) -> None: ...

class MemberAttributes(_message.Message):
    __slots__ = ("name", "client_urls")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_URLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    client_urls: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., client_urls: _Optional[_Iterable[str]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("request_id", "put", "delete_range", "txn", "compaction", "lease_grant", "lease_revoke", "lease_renew", "member_attributes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PUT_FIELD_NUMBER: _ClassVar[int]
    DELETE_RANGE_FIELD_NUMBER: _ClassVar[int]
    TXN_FIELD_NUMBER: _ClassVar[int]
    COMPACTION_FIELD_NUMBER: _ClassVar[int]
    LEASE_GRANT_FIELD_NUMBER: _ClassVar[int]
    LEASE_REVOKE_FIELD_NUMBER: _ClassVar[int]
    LEASE_RENEW_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    put: _rpc_pb2.PutRequest
    delete_range: _rpc_pb2.DeleteRangeRequest
    txn: _rpc_pb2.TxnRequest
    compaction: _rpc_pb2.CompactionRequest
    lease_grant: _rpc_pb2.LeaseGrantRequest
    lease_revoke: _rpc_pb2.LeaseRevokeRequest
    lease_renew: LeaseRenew
    member_attributes: MemberAttributes
    def __init__(self, request_id: _Optional[str] = ..., put: _Optional[_Union[_rpc_pb2.PutRequest, _Mapping]] = ..., delete_range: _Optional[_Union[_rpc_pb2.DeleteRangeRequest, _Mapping]] = ..., txn: _Optional[_Union[_rpc_pb2.TxnRequest, _Mapping]] = ..., compaction: _Optional[_Union[_rpc_pb2.CompactionRequest, _Mapping]] = ..., lease_grant: _Optional[_Union[_rpc_pb2.LeaseGrantRequest, _Mapping]] = ..., lease_revoke: _Optional[_Union[_rpc_pb2.LeaseRevokeRequest, _Mapping]] = ..., lease_renew: _Optional[_Union[LeaseRenew, _Mapping]] = ..., member_attributes: _Optional[_Union[MemberAttributes, _Mapping]] = ...) -> None: ...

class CommandBatch(_message.Message):
    __slots__ = ("version", "commands")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    version: int
    commands: _containers.RepeatedCompositeFieldContainer[Command]
    def __init__(self, version: _Optional[int] = ..., commands: _Optional[_Iterable[_Union[Command, _Mapping]]] = ...) -> None: ...

class StoreSnapshot(_message.Message):
    __slots__ = ("revision", "compact_revision", "keys", "leases", "members")
    class Entry(_message.Message):
        __slots__ = ("kv", "sub")
        KV_FIELD_NUMBER: _ClassVar[int]
        SUB_FIELD_NUMBER: _ClassVar[int]
        kv: _kv_pb2.KeyValue
        sub: int
        def __init__(self, kv: _Optional[_Union[_kv_pb2.KeyValue, _Mapping]] = ..., sub: _Optional[int] = ...) -> None: ...
    class KeyHistory(_message.Message):
        __slots__ = ("key", "entries")
        KEY_FIELD_NUMBER: _ClassVar[int]
        ENTRIES_FIELD_NUMBER: _ClassVar[int]
        key: bytes
        entries: _containers.RepeatedCompositeFieldContainer[StoreSnapshot.Entry]
        def __init__(self, key: _Optional[bytes] = ..., entries: _Optional[_Iterable[_Union[StoreSnapshot.Entry, _Mapping]]] = ...) -> None: ...
    class LeaseRecord(_message.Message):
        __slots__ = ("ID", "TTL")
        ID_FIELD_NUMBER: _ClassVar[int]
        TTL_FIELD_NUMBER: _ClassVar[int]
        ID: int
        TTL: int
        def __init__(self, ID: _Optional[int] = ..., TTL: _Optional[int] = ...) -> None: ...
    REVISION_FIELD_NUMBER: _ClassVar[int]
    COMPACT_REVISION_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    LEASES_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    revision: int
    compact_revision: int
    keys: _containers.RepeatedCompositeFieldContainer[StoreSnapshot.KeyHistory]
    leases: _containers.RepeatedCompositeFieldContainer[StoreSnapshot.LeaseRecord]
    members: _containers.RepeatedCompositeFieldContainer[MemberAttributes]
    def __init__(self, revision: _Optional[int] = ..., compact_revision: _Optional[int] = ..., keys: _Optional[_Iterable[_Union[StoreSnapshot.KeyHistory, _Mapping]]] = ..., leases: _Optional[_Iterable[_Union[StoreSnapshot.LeaseRecord, _Mapping]]] = ..., members: _Optional[_Iterable[_Union[MemberAttributes, _Mapping]]] = ...) -> None: ...
