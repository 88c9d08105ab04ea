"""The container lab's driver: `make lab-up`, `make lab-down` and the lab tests
call it.

    python docker/lab.py build   # wheelhouse, base image (offline if need be), kubelite:lab image
    python docker/lab.py up      # build, PKI + kubeconfig in docker/lab/, compose up, wait until healthy
    python docker/lab.py down    # compose down, volumes included

It works with `docker compose` (v2) and `docker-compose` (1.29), whichever the
machine has, under the project name kubelite-lab.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the project's modules, when run as `python docker/lab.py`
LAB = ROOT / "docker" / "lab"
PROJECT = "kubelite-lab"
IMAGE = os.environ.get("KUBELITE_IMAGE", "kubelite:lab")
OFFLINE_BASE = "kubelite-base:bookworm"
NODES = ("node-1", "node-2", "node-3")
ETCD = {"etcd-1": ("10.57.0.11", 12371), "etcd-2": ("10.57.0.12", 12372), "etcd-3": ("10.57.0.13", 12373)}
APISERVERS = {"apiserver-1": ("10.57.0.21", 16443), "apiserver-2": ("10.57.0.22", 16444)}
REST_PORTS = (17443, 17444)  # the Kubernetes REST API of apiserver-1 and -2, published on the host
SERVICES = (*ETCD, *APISERVERS, "scheduler-1", "scheduler-2", "controller-manager", *NODES)
SANS = ("apiserver-1", "apiserver-2", "10.57.0.21", "10.57.0.22", *NODES, "10.57.0.51", "10.57.0.52", "10.57.0.53")

Echo = Callable[[str], None]


def container(service: str) -> str:
    return f"kubelite-{service}"


def run(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {(result.stderr or result.stdout)[-2000:]}")
    return result


def docker_reachable() -> str:
    """"" when a Docker engine answers, else why not."""
    try:
        result = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                                text=True, timeout=20)
    except FileNotFoundError:
        return "no docker command on this machine"
    except subprocess.TimeoutExpired:
        return "docker info did not answer within 20s"
    if result.returncode != 0:
        return f"no Docker engine answers: {result.stderr.strip().splitlines()[-1] if result.stderr else '?'}"
    return ""


def compose_command() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


def compose(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(*compose_command(), "-p", PROJECT, "-f", str(ROOT / "compose.yaml"), *args, check=check)


def _image_present(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def build(echo: Echo = print) -> None:
    wheelhouse = ROOT / "docker" / "wheelhouse"
    echo("building the wheelhouse (the project and its dependencies, from the host)")
    for old in wheelhouse.glob("kubelite-*.whl"):
        old.unlink()
    run(sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheelhouse), str(ROOT))
    base = os.environ.get("KUBELITE_BASE_IMAGE", "")
    if not base:
        base = "python:3.11-slim" if _image_present("python:3.11-slim") else OFFLINE_BASE
    if base == OFFLINE_BASE and not _image_present(OFFLINE_BASE):
        echo(f"no python:3.11-slim here: building {OFFLINE_BASE} offline (debootstrap, about a minute)")
        run("bash", str(ROOT / "docker" / "build-base-image.sh"), OFFLINE_BASE, timeout=1200)
    echo(f"building {IMAGE} on {base}")
    run("docker", "build", "-q", "-f", "docker/Dockerfile", "--build-arg", f"BASE_IMAGE={base}", "-t", IMAGE, ".",
        timeout=1200)
    # each build of changed code leaves the previous image untagged: remove those
    run("docker", "image", "prune", "-f", "--filter", "label=org.kubelite.image=kubelite", check=False)


def make_pki(echo: Echo = print) -> Path:
    from kubelite import kubeconfig
    from kubelite.pki import DEFAULT_SANS, init_pki

    pki = LAB / "pki"
    created = init_pki(pki, (*DEFAULT_SANS, *SANS), NODES)
    if created:
        echo(f"generated the lab's PKI in {pki} ({len(created)} certificates)")
    servers = ",".join(f"https://127.0.0.1:{port}" for _, port in APISERVERS.values())
    config = LAB / "kubeconfig"
    # real kubectl talks to one REST endpoint; kubelite's CLI fails over between both gRPC ones
    kubeconfig.write(config, f"https://127.0.0.1:{REST_PORTS[0]}", pki / "ca.crt", pki / "admin.crt",
                     pki / "admin.key", cluster="kubelite-lab", context="kubelite-lab", grpc=servers)
    return config


def health(service: str) -> str:
    result = run("docker", "inspect", "--format", "{{json .State}}", container(service), check=False)
    if result.returncode != 0:
        return "missing"
    state = json.loads(result.stdout)
    if not state.get("Running"):
        return "stopped"
    return str((state.get("Health") or {}).get("Status", "running"))


def wait_healthy(services: tuple[str, ...] = SERVICES, timeout: float = 180, echo: Echo = print) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = {s: health(s) for s in services}
        if all(v == "healthy" for v in states.values()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"lab not healthy after {timeout:.0f}s: {states}")
        time.sleep(1)


async def _nodes_ready(config: Path, count: int, timeout: float) -> None:
    from kubelite import kubeconfig
    from kubelite.client import ApiClient
    from kubelite.readiness import wait_nodes_ready

    conn = kubeconfig.resolve(kubeconfig.load(str(config)))
    async with ApiClient(conn.server, conn.credentials, timeout=5) as client:
        await wait_nodes_ready(client, count, timeout)


def up(echo: Echo = print) -> Path:
    reason = docker_reachable()
    if reason:
        raise RuntimeError(reason)
    build(echo)
    config = make_pki(echo)
    echo("starting the lab (compose project kubelite-lab)")
    compose("up", "-d")
    wait_healthy(echo=echo)
    asyncio.run(_nodes_ready(config, len(NODES), 120))
    echo(f"the lab is up: every container healthy, {len(NODES)} nodes Ready.\n"
         f"  kubelite --kubeconfig {config.relative_to(ROOT)} get nodes\n"
         f"  ETCDCTL_API=3 etcdctl --endpoints 127.0.0.1:12371 endpoint status -w table")
    return config


def down(echo: Echo = print) -> None:
    compose("down", "-v", "--remove-orphans", "-t", "5", check=False)
    echo("the lab is down (containers, network and etcd volumes removed)")


def main() -> None:
    verbs = {"build": build, "up": up, "down": down, "pki": make_pki}
    if len(sys.argv) != 2 or sys.argv[1] not in verbs:
        print(f"usage: {sys.argv[0]} {'|'.join(verbs)}", file=sys.stderr)
        sys.exit(2)
    try:
        verbs[sys.argv[1]]()
    except (RuntimeError, TimeoutError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
