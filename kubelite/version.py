"""The Kubernetes version kubelite's API follows, as every component reports
it (kubectl version, the node's kubeletVersion, the API server's /version)."""

from __future__ import annotations

import platform
import sys
from typing import Any

MAJOR, MINOR, PATCH = 1, 30, 0
GIT_VERSION = f"v{MAJOR}.{MINOR}.{PATCH}-kubelite"


def info() -> dict[str, Any]:
    """The document kube-apiserver serves at /version, with Python in Go's place."""
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {"major": str(MAJOR), "minor": str(MINOR), "gitVersion": GIT_VERSION,
            "pythonVersion": platform.python_version(), "compiler": sys.implementation.name,
            "platform": f"{sys.platform}/{machine}"}
