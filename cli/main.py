"""`kubelite`: kubectl habits against a kubelite cluster, plus `up`/`down`/`status`.

Every user mistake or server refusal ends in one line and a non-zero exit code,
worded as kubectl words it (`Error from server (NotFound): pods "x" not found`).
The group and its global flags are in cli/base.py; each verbs_* module adds
its verbs to it when imported here.
"""

from __future__ import annotations

from cli import (
    verbs_auth,
    verbs_config,
    verbs_edit,
    verbs_local,
    verbs_metadata,
    verbs_nodes,
    verbs_read,
    verbs_workloads,
    verbs_write,
)
from cli.base import main

__all__ = ["main", "verbs_auth", "verbs_config", "verbs_edit", "verbs_local", "verbs_metadata", "verbs_nodes",
           "verbs_read", "verbs_workloads", "verbs_write"]

if __name__ == "__main__":
    main()
