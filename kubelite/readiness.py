"""Is a node Ready, and waiting until enough are: what `kubelite up`, the
container lab and the node lifecycle controller ask. The wait lists once and
then follows a watch; it only lists again when the API server was not there yet
or the watch broke."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from kubelite.client import ApiClient
from kubelite.errors import StatusError

Obj = dict[str, Any]


def node_is_ready(node: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


async def wait_nodes_ready(client: ApiClient, count: int, timeout: float,
                           on_serving: Callable[[], None] | None = None) -> int:
    """Return the number of Ready nodes once it reaches `count`; `on_serving`
    is called once, when the API server first answers. TimeoutError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.01)):
                listed = await client.list("nodes")
                if on_serving is not None:
                    on_serving()
                    on_serving = None
                ready = {n["metadata"]["name"] for n in listed["items"] if node_is_ready(n)}
                if len(ready) >= count:
                    return len(ready)
                async for kind, node in client.watch("nodes",
                                                     resource_version=listed["metadata"]["resourceVersion"]):
                    if kind != "DELETED" and node_is_ready(node):
                        ready.add(node["metadata"]["name"])
                    else:
                        ready.discard(node["metadata"]["name"])
                    if len(ready) >= count:
                        return len(ready)
        except StatusError:
            pass  # not serving yet, or the watch broke: list again
        except TimeoutError:
            break
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.3)
    raise TimeoutError(f"fewer than {count} nodes Ready after {timeout:.0f}s")
