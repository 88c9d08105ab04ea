"""Store benchmark: etcdlite next to real etcd 3.4, same client, same run.

Drives etcd v3 endpoints with our own asyncio client (etcdlite.client) and
prints, for each system:

* single-client sequential put latency (p50/p99 ms),
* put throughput with 64 concurrent clients spread over all endpoints,
* linearizable and serializable range throughput (64 clients),
* watch delivery latency (p50/p99 ms): a writer stamps time.perf_counter() into
  each value, a watcher on another member measures arrival.

It starts a local three-replica etcdlite (or uses --endpoints) and a three-member
etcd 3.4 (Debian etcd-server, installed by `make tools`) on free loopback ports,
and stops every process it started by PID. Numbers are printed, never asserted.

    make bench-store                  # or: .venv/bin/python bench/store.py [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from etcdlite.client import EtcdClient
from etcdlite.localcluster import LocalCluster, free_port

CLIENTS = 64
VALUE = b"x" * 100
TARGETS = {"put_throughput": (">=", 5000.0), "put_p50_ms": ("<=", 10.0), "watch_p99_ms": ("<=", 50.0)}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def put_latency(endpoints: list[str], count: int) -> tuple[float, float]:
    async with EtcdClient(endpoints) as client:
        for i in range(20):  # warm up the channel
            await client.put(f"/bench/warm/{i}", VALUE)
        samples = []
        for i in range(count):
            began = time.perf_counter()
            await client.put(f"/bench/seq/{i:06d}", VALUE)
            samples.append((time.perf_counter() - began) * 1000)
    return percentile(samples, 50), percentile(samples, 99)


async def _closed_loop(endpoints: list[str], duration: float, op: str) -> float:
    """CLIENTS concurrent workers, one channel per endpoint, round-robin like
    etcd's own benchmark tool; returns completed operations per second."""
    clients = [EtcdClient([ep]) for ep in endpoints]
    done = 0
    stop_at = 0.0

    async def worker(n: int) -> None:
        nonlocal done
        client = clients[n % len(clients)]
        i = 0
        while time.perf_counter() < stop_at:
            if op == "put":
                await client.put(f"/bench/par/{n:03d}/{i:06d}", VALUE)
            else:
                await client.get(f"/bench/seq/{i % 500:06d}", serializable=(op == "serializable"))
            i += 1
            done += 1

    try:
        for client in clients:
            await client.get("/bench/warm/0")
        began = time.perf_counter()
        stop_at = began + duration
        await asyncio.gather(*(worker(n) for n in range(CLIENTS)))
        return done / (time.perf_counter() - began)
    finally:
        for client in clients:
            await client.close()


async def watch_latency(writer_ep: str, watcher_ep: str, events: int) -> tuple[float, float]:
    async with EtcdClient([writer_ep]) as writer, EtcdClient([watcher_ep]) as watcher:
        watch = watcher.watch("/bench/watch/", prefix=True)
        samples: list[float] = []

        async def receive() -> None:
            async for response in watch:
                now = time.perf_counter()
                for event in response.events:
                    samples.append((now - float(event.kv.value)) * 1000)
                if len(samples) >= events:
                    return

        receiver = asyncio.create_task(receive())
        await asyncio.wait_for(watch.created.wait(), 10)
        for i in range(events):
            await writer.put(f"/bench/watch/{i:06d}", repr(time.perf_counter()))
            await asyncio.sleep(0.002)
        await asyncio.wait_for(receiver, 30)
        watch.cancel()
    return percentile(samples, 50), percentile(samples, 99)


async def run_workloads(endpoints: list[str], leader_first: list[str], args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    p50, p99 = await put_latency(leader_first[:1], args.puts)
    figures["put_p50_ms"], figures["put_p99_ms"] = p50, p99
    figures["put_throughput"] = await _closed_loop(endpoints, args.duration, "put")
    figures["range_linearizable_throughput"] = await _closed_loop(endpoints, args.duration, "linearizable")
    figures["range_serializable_throughput"] = await _closed_loop(endpoints, args.duration, "serializable")
    watcher = leader_first[1] if len(leader_first) > 1 else leader_first[0]
    p50, p99 = await watch_latency(leader_first[0], watcher, args.watch_events)
    figures["watch_p50_ms"], figures["watch_p99_ms"] = p50, p99
    return figures


@contextmanager
def etcd_reference(base: Path) -> Iterator[list[str]]:
    """A real three-member etcd 3.4 cluster on loopback, stopped by PID."""
    names = ["e1", "e2", "e3"]
    client_ports = {n: free_port() for n in names}
    peer_ports = {n: free_port() for n in names}
    initial = ",".join(f"{n}=http://127.0.0.1:{peer_ports[n]}" for n in names)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name in names:
            log = open(base / f"{name}.log", "wb")
            procs.append(subprocess.Popen([
                "etcd", "--name", name, "--data-dir", str(base / name),
                "--listen-client-urls", f"http://127.0.0.1:{client_ports[name]}",
                "--advertise-client-urls", f"http://127.0.0.1:{client_ports[name]}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer_ports[name]}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_ports[name]}",
                "--initial-cluster", initial, "--initial-cluster-state", "new",
                "--initial-cluster-token", "kubelite-bench", "--log-level", "error",
            ], stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            log.close()
        endpoints = [f"127.0.0.1:{client_ports[n]}" for n in names]
        asyncio.run(_wait_for_leader(endpoints))
        yield endpoints
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _wait_for_leader(endpoints: list[str], timeout: float = 30.0) -> None:
    async with EtcdClient(endpoints, timeout=2) as client:
        deadline = time.monotonic() + timeout
        while True:
            try:
                leaders = {(await client.status(ep)).leader for ep in endpoints}
                if len(leaders) == 1 and 0 not in leaders:
                    return
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no leader among {endpoints} after {timeout}s")
            await asyncio.sleep(0.2)


async def leader_first(endpoints: list[str]) -> list[str]:
    async with EtcdClient(endpoints) as client:
        statuses = {ep: await client.status(ep) for ep in endpoints}
    leaders = [ep for ep, st in statuses.items() if st.leader == st.header.member_id]
    return leaders + [ep for ep in endpoints if ep not in leaders]


def measure(endpoints: list[str], args: argparse.Namespace) -> dict[str, float]:
    ordered = asyncio.run(leader_first(endpoints))
    return asyncio.run(run_workloads(endpoints, ordered, args))


def report(ours: dict[str, float], ref: dict[str, float] | None) -> dict[str, float]:
    rows = [("put_p50_ms", "single-client put p50 (ms)"), ("put_p99_ms", "single-client put p99 (ms)"),
            ("put_throughput", f"put throughput, {CLIENTS} clients (/s)"),
            ("range_linearizable_throughput", "linearizable range (/s)"),
            ("range_serializable_throughput", "serializable range (/s)"),
            ("watch_p50_ms", "watch delivery p50 (ms)"), ("watch_p99_ms", "watch delivery p99 (ms)")]
    flat: dict[str, float] = {}
    print(f"\n{'figure':<36} {'etcdlite':>12} {'etcd 3.4':>12} {'ratio':>8}  target")
    for key, label in rows:
        mine = ours[key]
        flat[f"etcdlite.{key}"] = round(mine, 3)
        other = ref[key] if ref else None
        ratio = mine / other if other else None
        if other is not None:
            flat[f"etcd.{key}"] = round(other, 3)
            flat[f"ratio.{key}"] = round(ratio, 3) if ratio is not None else 0.0
        target = ""
        if key in TARGETS:
            op, bound = TARGETS[key]
            met = mine >= bound if op == ">=" else mine <= bound
            target = f"{op} {bound:g}: {'met' if met else 'NOT met'}"
        print(f"{label:<36} {mine:>12.1f} {other if other is not None else float('nan'):>12.1f} "
              f"{ratio if ratio is not None else float('nan'):>8.2f}  {target}")
    return flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", help="benchmark these etcd v3 endpoints instead of a local etcdlite")
    parser.add_argument("--no-reference", action="store_true", help="skip the real etcd 3.4 reference run")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per throughput workload")
    parser.add_argument("--puts", type=int, default=1000, help="sequential puts for the latency figure")
    parser.add_argument("--watch-events", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of every figure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        base = Path(tmp)
        if args.endpoints:
            ours = measure([e.strip() for e in args.endpoints.split(",") if e.strip()], args)
        else:
            cluster = LocalCluster(base / "etcdlite")
            try:
                cluster.start()
                print(f"etcdlite: 3 replicas on {', '.join(cluster.endpoints)}", flush=True)
                ours = measure(cluster.endpoints, args)
            finally:
                cluster.stop()
        ref = None
        if not args.no_reference:
            if shutil.which("etcd") is None:
                print("reference skipped: real etcd not installed (`make tools` installs etcd-server)")
            else:
                (base / "etcd").mkdir()
                with etcd_reference(base / "etcd") as endpoints:
                    print(f"etcd 3.4: 3 members on {', '.join(endpoints)}", flush=True)
                    ref = measure(endpoints, args)
    flat = report(ours, ref)
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    print(f"\n{cores} cores; client: etcdlite.client (Python asyncio gRPC), {CLIENTS} concurrent clients; one run")
    if args.json:
        print(json.dumps(flat, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
