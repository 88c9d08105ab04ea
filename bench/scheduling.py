"""Scheduling benchmark: how fast pods get placed and started.

Starts three etcdlite replicas, the API server and a real `kubelite-scheduler`
process on loopback; registers N fake nodes (100 and 1,000 by default) and
runs a fleet simulator that plays the fake runtime for all of them (one watch
on bound pods, each reported Running at once, as `--runtime fake` agents do).
Then it creates P pods (default 5,000) with 64 concurrent clients and
measures:

* scheduling throughput: bound pods per second, from the first create to the
  last binding seen,
* pod startup latency: create sent -> Running observed, p50/p99, measured
  the way the Kubernetes SLO (p99 <= 5 s) is: pods created at a steady rate the
  cluster can absorb (`--rate`, default 50 pods/s, `--rate-pods` of them), plus
  the same figures for the unthrottled burst, where the backlog dominates.

Numbers are printed, never asserted.

    .venv/bin/python bench/scheduling.py [--nodes 100,1000] [--pods 5000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from etcdlite.localcluster import LocalCluster
from kubelite.api import to_json_dict
from kubelite.api.testing import make_node
from kubelite.client import ApiClient
from kubelite.errors import StatusError
from kubelite.localapiserver import LocalApiServer
from kubelite.processes import ManagedProcess

CLIENTS = 64


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


async def register_nodes(c: ApiClient, prefix: str, count: int) -> None:
    sem = asyncio.Semaphore(CLIENTS)

    async def one(i: int) -> None:
        async with sem:
            await c.create("nodes", to_json_dict(make_node(f"{prefix}-{i:04d}", cpu="32", memory="128Gi",
                                                           pods="110", labels={"fleet": prefix})))
    await asyncio.gather(*(one(i) for i in range(count)))


async def fake_fleet(c: ApiClient, namespace: str, sent: dict[str, float], bound: dict[str, float],
                     running: dict[str, float], total: int) -> None:
    """Every pod bound to a fake node is reported Running right away."""
    sem = asyncio.Semaphore(CLIENTS)
    tasks: set[asyncio.Task[None]] = set()
    failures: list[str] = []
    all_running = asyncio.Event()
    start = (await c.list("pods", namespace, limit=1))["metadata"]["resourceVersion"]

    async def mark(name: str) -> None:
        async with sem:
            for attempt in range(10):
                try:
                    await c.patch("pods", name, {"status": {"phase": "Running", "conditions": [
                        {"type": "Ready", "status": "True"}]}}, namespace, status=True)
                    break
                except StatusError as err:  # e.g. 503 while etcdlite is saturated: a kubelet retries
                    failures.append(err.reason)
                    await asyncio.sleep(0.1 * (attempt + 1))
            else:
                return
        running[name] = time.perf_counter()
        if len(running) >= total:
            all_running.set()

    async def follow() -> None:
        async for kind, pod in c.watch("pods", namespace, resource_version=start):
            name = pod["metadata"]["name"]
            if kind == "MODIFIED" and pod["spec"].get("nodeName") and name not in bound:
                bound[name] = time.perf_counter()
                task = asyncio.create_task(mark(name))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

    watcher = asyncio.create_task(follow())
    await all_running.wait()  # set by the last status update, not by a watch event that may precede it
    watcher.cancel()


async def run_case(server: LocalApiServer, nodes: int, pods: int, rate: float = 0.0,
                   register: bool = True) -> dict[str, float]:
    """Create `pods` pods (at `rate` per second; 0 = as fast as 64 clients can)."""
    namespace = f"bench-{nodes}-{'steady' if rate else 'burst'}"
    async with server.client() as c:
        await c.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        if register:
            await register_nodes(c, f"fake{nodes}", nodes)
            await asyncio.sleep(1.0)  # let the scheduler's node cache catch up
        sent: dict[str, float] = {}
        bound: dict[str, float] = {}
        running: dict[str, float] = {}
        fleet = asyncio.create_task(fake_fleet(c, namespace, sent, bound, running, pods))
        await asyncio.sleep(0.3)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(pods):
            queue.put_nowait(i)

        began = time.perf_counter()

        async def creator() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                if rate:
                    await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
                name = f"p{i:05d}"
                body: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                        "spec": {"nodeSelector": {"fleet": f"fake{nodes}"}, "containers": [
                                            {"name": "c", "image": "pause", "resources": {"requests": {
                                                "cpu": "10m", "memory": "16Mi"}}}]}}
                sent[name] = time.perf_counter()
                await c.create("pods", body, namespace)

        await asyncio.gather(*(creator() for _ in range(CLIENTS)))
        created = time.perf_counter()
        await asyncio.wait_for(fleet, timeout=600)
        last_bound = max(bound.values())
        startup = [running[n] - sent[n] for n in running]
        return {"pods_per_second": pods / (last_bound - began), "create_per_second": pods / (created - began),
                "startup_p50_s": percentile(startup, 50), "startup_p99_s": percentile(startup, 99)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", default="100,1000", help="comma-separated node counts")
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=50.0, help="pods/s for the steady startup-latency run")
    parser.add_argument("--rate-pods", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",") if n.strip()]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scheduling-") as tmp:
        base = Path(tmp)
        cluster = LocalCluster(base / "etcdlite")
        server = LocalApiServer(base / "apiserver", [])
        scheduler: ManagedProcess | None = None
        try:
            cluster.start()
            server.etcd_endpoints = cluster.endpoints
            server.start()
            pki = server.pki
            scheduler = ManagedProcess.module("scheduler", "scheduler", [
                "--server", server.endpoint, "--certificate-authority", str(pki / "ca.crt"),
                "--client-certificate", str(pki / "scheduler.crt"), "--client-key", str(pki / "scheduler.key"),
                "--leader-elect-retry-period", "0.5"], base).start()
            for count in counts:
                print(f"{count} nodes, {args.pods} pods ...", flush=True)
                burst = asyncio.run(run_case(server, count, args.pods))
                print(f"{count} nodes, {args.rate_pods} pods at {args.rate:g}/s ...", flush=True)
                steady = asyncio.run(run_case(server, count, args.rate_pods, args.rate, register=False))
                results[str(count)] = {"pods_per_second": burst["pods_per_second"],
                                       "create_per_second": burst["create_per_second"],
                                       "startup_p50_s": steady["startup_p50_s"],
                                       "startup_p99_s": steady["startup_p99_s"],
                                       "burst_startup_p50_s": burst["startup_p50_s"],
                                       "burst_startup_p99_s": burst["startup_p99_s"]}
        finally:
            if scheduler is not None:
                scheduler.stop()
            server.stop()
            cluster.stop()
    print(f"\n{'nodes':>6} {'pods/s scheduled':>17} {'creates/s':>10} {'startup p50/p99 (s)':>20} "
          f"{'burst p50/p99 (s)':>18}")
    for count, r in results.items():
        print(f"{count:>6} {r['pods_per_second']:>17.1f} {r['create_per_second']:>10.1f} "
              f"{r['startup_p50_s']:>9.2f} /{r['startup_p99_s']:>7.2f} "
              f"{r['burst_startup_p50_s']:>8.2f} /{r['burst_startup_p99_s']:>7.2f}")
    print(f"startup latency at a steady {args.rate:g} pods/s; burst = all {args.pods} created at once")
    print("\ntargets: >= 300 pods/s at 1,000 nodes; startup p99 <= 5 s")
    if args.json:
        print(json.dumps({count: {k: round(v, 3) for k, v in r.items()} for count, r in results.items()},
                         sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
