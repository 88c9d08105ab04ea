"""`make demo`: bring a whole kubelite cluster up on this machine, apply the
example pod, wait until it runs, and show it; the cluster keeps running for
you to explore (`kubelite down --purge` stops it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def main() -> None:
    show("up", "--state-dir", str(STATE))
    show("apply", "-f", "examples/pod.yaml")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pod = json.loads(kubelite("get", "pod", "hello", "-o", "json").stdout or "{}")
        if pod.get("status", {}).get("phase") == "Running":
            break
        time.sleep(0.5)
    show("get", "pods", "-o", "wide")
    show("get", "nodes")
    print(f"\nThe cluster keeps running. Try:\n  export KUBECONFIG={(STATE / 'kubeconfig').resolve()}\n"
          "  .venv/bin/kubelite get pods\n  .venv/bin/kubelite down --purge")


if __name__ == "__main__":
    main()
