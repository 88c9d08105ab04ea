"""`make demo`: bring a whole kubelite cluster up on this machine, apply the
example pod, wait until it runs, and show it; the cluster keeps running for
you to explore (`kubelite down --purge` stops it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STATE = Path(".kubelite")


def kubelite(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(STATE / "kubeconfig")}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          timeout=180)


def show(*args: str) -> None:
    print(f"$ kubelite {' '.join(args)}")
    result = kubelite(*args)
    print((result.stdout + result.stderr).rstrip())
    if result.returncode != 0:
        sys.exit(result.returncode)


def show_kubectl(*args: str) -> None:
    """The same cluster through the real kubectl (the dev extras install it), when it is there."""
    kubectl = Path(sys.executable).parent / "kubectl"
    if not kubectl.exists():
        return
    print(f"$ kubectl {' '.join(args)}")
    env = {**os.environ, "KUBECONFIG": str(STATE / "kubeconfig")}
    result = subprocess.run([str(kubectl), *args], capture_output=True, text=True, env=env, timeout=60)
    print((result.stdout + result.stderr).rstrip())


def main() -> None:
    show("up", "--state-dir", str(STATE))
    # --trace: the request's journey through the API server, then the
    # scheduler's binding and the node agent's start, as they happen
    show("--trace", "apply", "-f", "examples/pod.yaml")
    show("wait", "--for=condition=Ready", "pod/hello", "--timeout", "60s")
    show("get", "pods", "-o", "wide")
    show("get", "nodes")
    show("trace", "pod/hello")
    show_kubectl("get", "pods", "-o", "wide")
    print(f"\nThe cluster keeps running. Try:\n  export KUBECONFIG={(STATE / 'kubeconfig').resolve()}\n"
          "  .venv/bin/kubelite get pods\n  .venv/bin/kubectl get pods     # the real kubectl, same kubeconfig\n"
          "  .venv/bin/kubelite down --purge")


if __name__ == "__main__":
    main()
