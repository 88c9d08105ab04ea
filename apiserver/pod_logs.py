"""pods/log: after the pipeline authorized the user's `get pods/log`, find the
node running the pod and relay the container's output from that node agent's
log service, authenticating with the API server's kubelet client certificate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from kubelite.errors import BadRequest, NotFound, ServiceUnavailable, StatusError
from kubelite.gen.kubelite.v1 import api_pb2, api_pb2_grpc

Obj = dict[str, Any]


def choose_container(pod: Obj, wanted: str) -> str:
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    name = pod["metadata"]["name"]
    if wanted:
        if wanted not in names:
            raise BadRequest(f"container {wanted} is not valid for pod {name}")
        return wanted
    if len(names) != 1:
        raise BadRequest(f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]")
    return names[0]


def node_endpoint(node: Obj) -> str:
    status = node.get("status") or {}
    port = (((status.get("daemonEndpoints") or {}).get("kubeletEndpoint")) or {}).get("Port") or 0
    address = next((a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"), "")
    if not port or not address:
        raise BadRequest(f'node "{node["metadata"]["name"]}" does not serve logs')
    return f"{address}:{port}"


async def stream(pod: Obj, node: Obj, request: Any,
                 credentials: grpc.ChannelCredentials | None) -> AsyncIterator[bytes]:
    """The container's output; `request` is the handlers' LogOptions."""
    if credentials is None:
        raise ServiceUnavailable("this API server has no kubelet client certificate "
                                 "(--kubelet-client-certificate) to fetch logs with")
    container = choose_container(pod, request.container)
    ask = api_pb2.ContainerLogRequest(pod_uid=pod["metadata"].get("uid", ""), container=container,
                                      follow=request.follow, previous=request.previous)
    if request.tail_lines is not None:
        ask.tail_lines = request.tail_lines
    left = request.limit_bytes
    async with grpc.aio.secure_channel(node_endpoint(node), credentials) as channel:
        call = api_pb2_grpc.NodeLogsStub(channel).ContainerLog(ask)
        try:
            async for chunk in call:
                if left is None:
                    yield chunk.data
                    continue
                yield chunk.data[:left]
                left -= len(chunk.data)
                if left <= 0:
                    call.cancel()
                    return
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                what = "previous terminated container" if request.previous else "container"
                raise NotFound(f'{what} "{container}" in pod "{pod["metadata"]["name"]}" not found') from None
            if err.code() == grpc.StatusCode.CANCELLED:
                return
            raise StatusError(f"reading logs from node {node['metadata']['name']}: {err.details()}") from None
