"""The node agent's log service (kubelite.v1.NodeLogs): a container's output,
whole, its last N lines, or followed as it grows; the previous instance of a
restarted container. Only the API server's kubelet client certificate may
call it: users reach logs through the API server's authorized pods/log."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc

from kubelite.gen.kubelite.v1 import api_pb2, api_pb2_grpc
from kubelite.pki import KUBELET_CLIENT_CN, identity_from_cert
from nodeagent.runtime.base import ContainerRuntime

CHUNK = 64 * 1024
FOLLOW_POLL = 0.2


def tail(path: Path, lines: int) -> bytes:
    with open(path, "rb") as f:
        return b"".join(deque(f, maxlen=lines)) if lines > 0 else b""


class LogServicer(api_pb2_grpc.NodeLogsServicer):
    def __init__(self, runtime: ContainerRuntime) -> None:
        self.runtime = runtime

    async def ContainerLog(self, request: api_pb2.ContainerLogRequest,
                           context: Any) -> AsyncIterator[api_pb2.LogChunk]:
        pems = (context.auth_context() or {}).get("x509_pem_cert") or []
        if not pems or identity_from_cert(pems[0])[0] != KUBELET_CLIENT_CN:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "only the API server may read logs here")
        path = self.runtime.log_path(request.pod_uid, request.container, request.previous)
        if path is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"the {self.runtime.name} runtime keeps no logs")
        assert path is not None
        if not path.exists():
            what = "previous terminated container" if request.previous else "container"
            await context.abort(grpc.StatusCode.NOT_FOUND, f'{what} "{request.container}" has no logs')
        with open(path, "rb") as f:
            if request.HasField("tail_lines"):
                data = tail(path, request.tail_lines)
                f.seek(0, 2)
                if data:
                    yield api_pb2.LogChunk(data=data)
            else:
                while chunk := f.read(CHUNK):
                    yield api_pb2.LogChunk(data=chunk)
            # a previous instance never writes again; the current one until it stops
            writing = request.follow and not request.previous
            while writing:
                writing = self.runtime.writing(request.pod_uid, request.container)
                chunk = f.read(CHUNK)
                while chunk:  # what it wrote before it stopped is sent too
                    yield api_pb2.LogChunk(data=chunk)
                    chunk = f.read(CHUNK)
                if writing:
                    await asyncio.sleep(FOLLOW_POLL)  # like `tail -f`: the file is the only source
