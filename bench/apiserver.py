"""API server benchmark: the full pipeline over both transports (gRPC and the
Kubernetes REST API) next to raw etcdlite, same run.

Starts a three-replica etcdlite and one kubelite-apiserver (TLS, client
certificates, RBAC, audit log) on loopback, then with 64 concurrent clients:

* pod creates/s and create latency p50/p99 (authenticate, authorize, default,
  validate, compare-and-swap into etcdlite), gRPC and REST in alternating
  rounds (the median round of each is reported),
* gets/s and lists/s (50-pod namespace), with p50/p99,
* watch delivery latency p50/p99 (create sent -> ADDED event received),

the same workload over the REST transport (HTTPS, aiohttp's client with a
keep-alive connection per concurrent client, as kubectl and client libraries
connect), and the same shapes against etcdlite directly (txn create-if-absent,
get, prefix range, watch), printing the pipeline's overhead as a ratio.
Numbers are printed, never asserted.

    .venv/bin/python bench/apiserver.py [--duration 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from etcdlite.client import EtcdClient
from etcdlite.localcluster import LocalCluster
from kubelite.client import ApiClient
from kubelite.gen.etcdserverpb import rpc_pb2
from kubelite.localapiserver import LocalApiServer

CLIENTS = 64
CREATE_ROUNDS = 3
TARGETS = {"create_throughput": (">=", 1000.0), "create_p99_ms": ("<=", 100.0), "watch_p99_ms": ("<=", 100.0)}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


async def closed_loop(duration: float, op: Callable[[int, int], Awaitable[Any]]) -> tuple[float, float, float]:
    """CLIENTS workers calling op(worker, i) for `duration`: (ops/s, p50 ms, p99 ms)."""
    samples: list[float] = []
    stop_at = time.perf_counter() + duration

    async def worker(n: int) -> None:
        i = 0
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            await op(n, i)
            samples.append((time.perf_counter() - began) * 1000)
            i += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(CLIENTS)))
    return len(samples) / (time.perf_counter() - began), percentile(samples, 50), percentile(samples, 99)


def pod(name: str, stamp: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app": "bench"}}
    if stamp is not None:
        meta["annotations"] = {"sent": repr(stamp)}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "10m"}}}]}}


async def bench_apiserver(server: LocalApiServer, duration: float, events: int) -> dict[str, float]:
    out: dict[str, float] = {}
    async with server.client() as c:
        for ns in ("bench-list", "bench-watch"):
            await c.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for i in range(50):
            await c.create("pods", pod(f"l{i:02d}"), "bench-list")
        out["get_throughput"], out["get_p50_ms"], out["get_p99_ms"] = await closed_loop(
            duration, lambda n, i: c.get("pods", f"l{(n + i) % 50:02d}", "bench-list"))
        out["list_throughput"], out["list_p50_ms"], out["list_p99_ms"] = await closed_loop(
            duration, lambda n, i: c.list("pods", "bench-list"))
        out["watch_p50_ms"], out["watch_p99_ms"] = await watch_latency(c, events)
    return out


async def watch_latency(c: ApiClient, events: int) -> tuple[float, float]:
    start = (await c.list("pods", "bench-watch"))["metadata"]["resourceVersion"]
    samples: list[float] = []

    async def receive() -> None:
        async for kind, obj in c.watch("pods", "bench-watch", resource_version=start):
            if kind == "ADDED":
                samples.append((time.perf_counter() - float(obj["metadata"]["annotations"]["sent"])) * 1000)
                if len(samples) >= events:
                    return

    receiver = asyncio.create_task(receive())
    await asyncio.sleep(0.3)
    for i in range(events):
        await c.create("pods", pod(f"e{i:05d}", time.perf_counter()), "bench-watch")
        await asyncio.sleep(0.002)
    await asyncio.wait_for(receiver, 60)
    return percentile(samples, 50), percentile(samples, 99)


def rest_session(server: LocalApiServer) -> aiohttp.ClientSession:
    context = ssl.create_default_context(cafile=str(server.pki / "ca.crt"))
    context.load_cert_chain(str(server.pki / "admin.crt"), str(server.pki / "admin.key"))
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=CLIENTS),
                                 headers={"Accept": "application/json"})


async def rest_send(http: aiohttp.ClientSession, base: str, method: str, path: str, body: Any = None,
                    expect: int = 200) -> Any:
    async with http.request(method, base + path, json=body) as response:
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
        return await response.json()


NAMESPACE = {"apiVersion": "v1", "kind": "Namespace"}


async def grpc_creates(server: LocalApiServer, duration: float, ns: str) -> tuple[float, float, float]:
    async with server.client() as c:
        await c.create("namespaces", {**NAMESPACE, "metadata": {"name": ns}})
        return await closed_loop(duration, lambda n, i: c.create("pods", pod(f"w{n:02d}-{i:06d}"), ns))


async def rest_creates(server: LocalApiServer, duration: float, ns: str) -> tuple[float, float, float]:
    async with rest_session(server) as http:
        await rest_send(http, server.rest_url, "POST", "/api/v1/namespaces", {**NAMESPACE, "metadata": {"name": ns}},
                        201)
        return await closed_loop(duration, lambda n, i: rest_send(
            http, server.rest_url, "POST", f"/api/v1/namespaces/{ns}/pods", pod(f"w{n:02d}-{i:06d}"), 201))


def creates_interleaved(server: LocalApiServer, duration: float) -> tuple[dict[str, float], dict[str, float]]:
    """Pod creates over gRPC and over REST in alternating rounds, each
    transport's median round reported: on a 2-core machine a single round of
    each, one after the other, mostly measures what else the machine did."""
    rounds: dict[str, list[tuple[float, float, float]]] = {"grpc": [], "rest": []}
    for r in range(CREATE_ROUNDS):
        rounds["grpc"].append(asyncio.run(grpc_creates(server, duration, f"bench-grpc-{r}")))
        rounds["rest"].append(asyncio.run(rest_creates(server, duration, f"bench-rest-{r}")))
    out = []
    for transport in ("grpc", "rest"):
        throughput, p50, p99 = sorted(rounds[transport])[CREATE_ROUNDS // 2]
        print(f"{transport} create rounds: " + ", ".join(f"{t:.0f}/s" for t, _, _ in rounds[transport]),
              flush=True)
        out.append({"create_throughput": throughput, "create_p50_ms": p50, "create_p99_ms": p99})
    return out[0], out[1]


async def bench_rest(server: LocalApiServer, duration: float, events: int) -> dict[str, float]:
    """The gRPC workload over the Kubernetes REST transport."""
    base = server.rest_url
    out: dict[str, float] = {}
    async with rest_session(server) as http:

        async def send(method: str, path: str, body: Any = None, expect: int = 200) -> Any:
            return await rest_send(http, base, method, path, body, expect)

        for ns in ("rest-list", "rest-watch"):
            await send("POST", "/api/v1/namespaces", {**NAMESPACE, "metadata": {"name": ns}}, 201)
        for i in range(50):
            await send("POST", "/api/v1/namespaces/rest-list/pods", pod(f"l{i:02d}"), 201)
        out["get_throughput"], out["get_p50_ms"], out["get_p99_ms"] = await closed_loop(
            duration, lambda n, i: send("GET", f"/api/v1/namespaces/rest-list/pods/l{(n + i) % 50:02d}"))
        out["list_throughput"], out["list_p50_ms"], out["list_p99_ms"] = await closed_loop(
            duration, lambda n, i: send("GET", "/api/v1/namespaces/rest-list/pods"))
        start = (await send("GET", "/api/v1/namespaces/rest-watch/pods"))["metadata"]["resourceVersion"]
        samples: list[float] = []

        async def receive() -> None:
            async with http.get(f"{base}/api/v1/namespaces/rest-watch/pods?watch=true&resourceVersion={start}",
                                timeout=aiohttp.ClientTimeout(total=None)) as response:
                async for line in response.content:
                    event = json.loads(line)
                    if event["type"] == "ADDED":
                        sent = float(event["object"]["metadata"]["annotations"]["sent"])
                        samples.append((time.perf_counter() - sent) * 1000)
                        if len(samples) >= events:
                            return

        receiver = asyncio.create_task(receive())
        await asyncio.sleep(0.3)
        for i in range(events):
            await send("POST", "/api/v1/namespaces/rest-watch/pods", pod(f"e{i:05d}", time.perf_counter()), 201)
            await asyncio.sleep(0.002)
        await asyncio.wait_for(receiver, 60)
        out["watch_p50_ms"], out["watch_p99_ms"] = percentile(samples, 50), percentile(samples, 99)
    return out


async def bench_etcdlite(endpoints: list[str], duration: float, events: int) -> dict[str, float]:
    """The same shapes straight against etcdlite, through the same gRPC stack."""
    out: dict[str, float] = {}
    value = json.dumps(pod("x")).encode()
    async with EtcdClient(endpoints[:1]) as etcd:
        for i in range(50):
            await etcd.put(f"/raw/list/l{i:02d}", value)

        async def create(n: int, i: int) -> Any:
            key = f"/raw/pods/w{n:02d}-{i:06d}".encode()
            return await etcd.txn(rpc_pb2.TxnRequest(
                compare=[rpc_pb2.Compare(key=key, target=rpc_pb2.Compare.CREATE, create_revision=0)],
                success=[rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key, value=value))]))

        out["create_throughput"], out["create_p50_ms"], out["create_p99_ms"] = await closed_loop(duration, create)
        out["get_throughput"], out["get_p50_ms"], out["get_p99_ms"] = await closed_loop(
            duration, lambda n, i: etcd.get(f"/raw/list/l{(n + i) % 50:02d}"))
        out["list_throughput"], out["list_p50_ms"], out["list_p99_ms"] = await closed_loop(
            duration, lambda n, i: etcd.get("/raw/list/", prefix=True))
        samples: list[float] = []
        watch = etcd.watch("/raw/watch/", prefix=True)

        async def receive() -> None:
            async for response in watch:
                now = time.perf_counter()
                samples.extend((now - float(e.kv.value)) * 1000 for e in response.events)
                if len(samples) >= events:
                    return

        receiver = asyncio.create_task(receive())
        await asyncio.wait_for(watch.created.wait(), 10)
        for i in range(events):
            await etcd.put(f"/raw/watch/{i:05d}", repr(time.perf_counter()))
            await asyncio.sleep(0.002)
        await asyncio.wait_for(receiver, 60)
        watch.cancel()
        out["watch_p50_ms"], out["watch_p99_ms"] = percentile(samples, 50), percentile(samples, 99)
    return out


def report(grpc: dict[str, float], rest: dict[str, float], raw: dict[str, float]) -> dict[str, float]:
    flat: dict[str, float] = {}
    print(f"\n{'figure':<20} {'gRPC':>9} {'REST':>9} {'etcdlite':>9} {'gRPC/raw':>9} {'REST/raw':>9}  target")
    for key in grpc:
        mine, http, base = grpc[key], rest.get(key, float("nan")), raw.get(key, float("nan"))
        throughput = key.endswith("throughput")

        def overhead(value: float, base: float = base, throughput: bool = throughput) -> float:
            return (base / value) if throughput else (value / base)
        flat[f"apiserver.{key}"], flat[f"rest.{key}"], flat[f"etcdlite.{key}"] = (
            round(mine, 3), round(http, 3), round(base, 3))
        flat[f"overhead.{key}"], flat[f"rest_overhead.{key}"] = round(overhead(mine), 3), round(overhead(http), 3)
        target = ""
        if key in TARGETS:
            op, bound = TARGETS[key]
            met = [("gRPC", mine), ("REST", http)]
            target = f"{op} {bound:g}: " + ", ".join(
                f"{name} {'met' if (v >= bound if op == '>=' else v <= bound) else 'NOT met'}" for name, v in met)
        print(f"{key:<20} {mine:>9.1f} {http:>9.1f} {base:>9.1f} {overhead(mine):>8.2f}x {overhead(http):>8.2f}x"
              f"  {target}")
    return flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--watch-events", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-apiserver-") as tmp:
        cluster = LocalCluster(Path(tmp) / "etcdlite")
        server = LocalApiServer(Path(tmp) / "apiserver", [])
        try:
            cluster.start()
            server.etcd_endpoints = cluster.endpoints
            server.start()
            print(f"etcdlite on {', '.join(cluster.endpoints)}; apiserver on {server.endpoint} (gRPC), "
                  f"{server.rest_url} (REST)", flush=True)
            grpc_creates_figures, rest_creates_figures = creates_interleaved(server, args.duration)
            api_figures = {**grpc_creates_figures,
                           **asyncio.run(bench_apiserver(server, args.duration, args.watch_events))}
            rest_figures = {**rest_creates_figures,
                            **asyncio.run(bench_rest(server, args.duration, args.watch_events))}
            raw_figures = asyncio.run(bench_etcdlite(cluster.endpoints, args.duration, args.watch_events))
        finally:
            server.stop()
            cluster.stop()
    flat = report(api_figures, rest_figures, raw_figures)
    print(f"\n{CLIENTS} concurrent clients (gRPC: one connection; REST: a keep-alive connection each); "
          "overhead = latency / etcdlite latency (throughput: etcdlite / transport)")
    if args.json:
        print(json.dumps(flat, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
