"""The Kubernetes version kubelite's API follows, as every component reports
it (kubectl version, the node's kubeletVersion, the API server's /version)."""

from __future__ import annotations

import platform
import sys
from typing import Any

# within kubectl's +/-1 minor skew of the kubectl the tests drive (1.37)
MAJOR, MINOR, PATCH = 1, 36, 0
GIT_VERSION = f"v{MAJOR}.{MINOR}.{PATCH}-kubelite"


def info() -> dict[str, Any]:
    """The document kube-apiserver serves at /version, with Python in Go's place."""
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    # kube-apiserver's fields, all of which client libraries require; an
    # unversioned build has no commit or tree state, as a Go build without
    # git information reports them
    return {"major": str(MAJOR), "minor": str(MINOR), "gitVersion": GIT_VERSION, "gitCommit": "",
            "gitTreeState": "", "buildDate": "1970-01-01T00:00:00Z",
            "goVersion": f"{sys.implementation.name}{platform.python_version()}",
            "pythonVersion": platform.python_version(), "compiler": sys.implementation.name,
            "platform": f"{sys.platform}/{machine}"}
