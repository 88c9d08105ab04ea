"""Controller benchmark: how fast the workload controllers converge.

Starts three etcdlite replicas, the API server, a real `kubelite-scheduler`
and a real `kubelite-controller-manager` on loopback, registers N fake nodes
(100 by default) and plays the fake runtime for all of them (bound pods are
reported Running and Ready at once; pods marked for deletion are removed, as
`--runtime fake` agents do). Then, for a Deployment of R replicas (1,000 by
default):

* scale_up_s: create -> status.availableReplicas == R,
* rollout_s: a new image with maxSurge 25% -> every replica updated and
  available, no old pod left,
* gc_s: delete the Deployment (background cascade) -> its last pod gone,

each also as pods/s. The reference, in the same run: the same R pods created
straight through the API by 64 clients (what the controllers' creates cost
at best). Numbers are printed, never asserted.

    .venv/bin/python bench/controllers.py [--nodes 100] [--replicas 1000] [--json]
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
from kubelite.errors import NotFound, StatusError
from kubelite.localapiserver import LocalApiServer
from kubelite.processes import ManagedProcess

CLIENTS = 64
NAMESPACE = "bench"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


async def register_nodes(c: ApiClient, count: int) -> None:
    sem = asyncio.Semaphore(CLIENTS)

    async def one(i: int) -> None:
        async with sem:
            await c.create("nodes", to_json_dict(make_node(f"fake-{i:04d}", cpu="64", memory="256Gi", pods="250",
                                                           labels={"fleet": "fake"})))
    await asyncio.gather(*(one(i) for i in range(count)))


async def fake_fleet(c: ApiClient, stop: asyncio.Event) -> None:
    """Bound pods start at once; pods being deleted are removed at once."""
    sem = asyncio.Semaphore(CLIENTS)
    started: set[str] = set()
    tasks: set[asyncio.Task[None]] = set()

    async def retry(call: Any) -> None:
        async with sem:
            for attempt in range(10):
                try:
                    await call()
                    return
                except NotFound:
                    return
                except StatusError:
                    await asyncio.sleep(0.1 * (attempt + 1))

    def spawn(call: Any) -> None:
        task = asyncio.create_task(retry(call))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    start = (await c.list("pods", NAMESPACE, limit=1))["metadata"]["resourceVersion"]
    watch = c.watch("pods", NAMESPACE, resource_version=start)
    async for kind, pod in watch:
        if stop.is_set():
            break
        meta = pod["metadata"]
        name, uid = meta["name"], meta["uid"]
        if kind == "DELETED":
            started.discard(uid)
            continue
        if meta.get("deletionTimestamp"):
            spawn(lambda name=name, uid=uid: c.delete("pods", name, NAMESPACE, grace_period_seconds=0,
                                                      precondition_uid=uid))
        elif pod["spec"].get("nodeName") and uid not in started:
            started.add(uid)
            status = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True",
                                                          "lastTransitionTime": now()}]}
            spawn(lambda name=name, status=status: c.patch("pods", name, {"status": status}, NAMESPACE,
                                                           status=True))


def deployment(replicas: int, image: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "bench"}},
                     "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                     "template": {"metadata": {"labels": {"app": "bench"}}, "spec": {
                         "nodeSelector": {"fleet": "fake"},
                         "containers": [{"name": "c", "image": image,
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}}


async def until(check: Any, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("the controllers did not converge in time")
        await asyncio.sleep(0.2)


async def measure(server: LocalApiServer, nodes: int, replicas: int) -> dict[str, float]:
    async with server.client() as c:
        await c.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        await register_nodes(c, nodes)
        await asyncio.sleep(1.0)
        stop = asyncio.Event()
        fleet = asyncio.create_task(fake_fleet(c, stop))
        await asyncio.sleep(0.3)

        async def status() -> dict[str, Any]:
            return dict((await c.get("deployments", "bench", NAMESPACE)).get("status") or {})

        async def pod_count() -> int:
            return len((await c.list("pods", NAMESPACE, label_selector="app=bench"))["items"])

        began = time.perf_counter()
        await c.create("deployments", deployment(replicas, "v1"), NAMESPACE)

        async def available() -> bool:
            return (await status()).get("availableReplicas") == replicas
        await until(available)
        scale_up = time.perf_counter() - began

        current = await c.get("deployments", "bench", NAMESPACE)
        current["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
        began = time.perf_counter()
        await c.update("deployments", current, NAMESPACE)

        async def rolled() -> bool:
            s = await status()
            return (s.get("observedGeneration", 0) >= 2 and s.get("updatedReplicas") == replicas
                    and s.get("availableReplicas") == replicas and s.get("replicas") == replicas)
        await until(rolled)
        rollout = time.perf_counter() - began

        began = time.perf_counter()
        await c.delete("deployments", "bench", NAMESPACE)

        async def gone() -> bool:
            return await pod_count() == 0
        await until(gone)
        gc = time.perf_counter() - began
        stop.set()
        fleet.cancel()

        # the reference: the same pods created straight through the API
        sem = asyncio.Semaphore(CLIENTS)
        began = time.perf_counter()

        async def one(i: int) -> None:
            async with sem:
                await c.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"direct-{i:05d}"},
                                        "spec": {"containers": [{"name": "c", "image": "v1"}],
                                                 "nodeName": f"fake-{i % nodes:04d}"}}, NAMESPACE)
        await asyncio.gather(*(one(i) for i in range(replicas)))
        direct = time.perf_counter() - began
    return {"scale_up_s": scale_up, "rollout_s": rollout, "gc_s": gc, "direct_create_s": direct}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-controllers-") as tmp:
        base = Path(tmp)
        cluster = LocalCluster(base / "etcdlite")
        server = LocalApiServer(base / "apiserver", [])
        components: list[ManagedProcess] = []
        try:
            cluster.start()
            server.etcd_endpoints = cluster.endpoints
            server.start()
            pki = server.pki
            for name, module, cert in (("scheduler", "scheduler", "scheduler"),
                                       ("controller-manager", "controllers", "controller-manager")):
                components.append(ManagedProcess.module(name, module, [
                    "--server", server.endpoint, "--certificate-authority", str(pki / "ca.crt"),
                    "--client-certificate", str(pki / f"{cert}.crt"), "--client-key", str(pki / f"{cert}.key"),
                    "--leader-elect-retry-period", "0.5"], base).start())
            print(f"{args.nodes} fake nodes, a Deployment of {args.replicas} replicas ...", flush=True)
            result = asyncio.run(measure(server, args.nodes, args.replicas))
        finally:
            for component in components:
                component.stop()
            server.stop()
            cluster.stop()
    n = args.replicas
    print(f"\n{'phase':<34} {'seconds':>8} {'pods/s':>8}")
    for label, key in (("scale up to all available", "scale_up_s"), ("rolling update (maxSurge 25%)", "rollout_s"),
                       ("delete until the last pod is gone", "gc_s"),
                       ("reference: the pods created directly", "direct_create_s")):
        print(f"{label:<34} {result[key]:>8.2f} {n / result[key]:>8.1f}")
    if args.json:
        summary = {**{k: round(v, 3) for k, v in result.items()},
                   **{k.replace("_s", "_pods_per_s"): round(n / v, 1) for k, v in result.items()}}
        print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
