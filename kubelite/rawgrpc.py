"""Registers a gRPC servicer whose handlers receive raw bytes and parse them
themselves, so a request that does not even decode gets a deliberate
INVALID_ARGUMENT-style answer from the service (gRPC's own deserializer would
answer INTERNAL or UNKNOWN). Used by etcdlite and the API server alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError, Message

# Called when a request does not decode; must abort the call (raise).
OnMalformed = Callable[[grpc.aio.ServicerContext, str], Awaitable[None]]


def _handler(method: MethodDescriptor, impl: Callable[..., Any], on_malformed: OnMalformed) -> grpc.RpcMethodHandler:
    request_class = message_factory.GetMessageClass(method.input_type)
    serialize = message_factory.GetMessageClass(method.output_type).SerializeToString

    async def parse(raw: bytes, context: grpc.aio.ServicerContext) -> Message:
        try:
            return request_class.FromString(raw)
        except DecodeError:
            await on_malformed(context, request_class.DESCRIPTOR.name)
            raise

    if not method.client_streaming and not method.server_streaming:
        async def unary(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
            return await impl(await parse(raw, context), context)

        return grpc.unary_unary_rpc_method_handler(unary, response_serializer=serialize)

    if not method.client_streaming:
        async def unary_stream(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
            request = await parse(raw, context)
            async for response in impl(request, context):
                yield response

        return grpc.unary_stream_rpc_method_handler(unary_stream, response_serializer=serialize)

    async def stream(raw_requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> Any:
        async def parsed() -> AsyncIterator[Message]:
            async for raw in raw_requests:
                yield await parse(raw, context)

        async for response in impl(parsed(), context):
            yield response

    return grpc.stream_stream_rpc_method_handler(stream, response_serializer=serialize)


def add_raw_servicer(server: grpc.aio.Server, service: ServiceDescriptor, servicer: Any,
                     on_malformed: OnMalformed) -> None:
    handlers = {m.name: _handler(m, getattr(servicer, m.name), on_malformed) for m in service.methods}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))
