"""Which Raft entry carried a write, and how long it took to commit.

etcd's ResponseHeader has revision, member and term but no log index, so an
etcdlite member sends these as gRPC trailing metadata on every KV write; etcd
clients ignore metadata they do not know, and kubelite's API server reads it
for `--trace`. The member sets `written` while it handles the request (the
servicer's task owns that context), and the servicer turns it into metadata.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

INDEX_KEY = "etcdlite-raft-index"
LEADER_KEY = "etcdlite-raft-leader"
COMMIT_KEY = "etcdlite-commit-ms"


@dataclass(frozen=True)
class RaftEntry:
    index: int  # the entry's position in the Raft log, the same on every member
    leader_id: int  # member ID of the leader when the entry was applied (0: unknown)
    commit_ms: float  # from proposal to applied on the member that answered

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return ((INDEX_KEY, str(self.index)), (LEADER_KEY, f"{self.leader_id:x}"),
                (COMMIT_KEY, f"{self.commit_ms:.2f}"))

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str | bytes]] | None) -> RaftEntry | None:
        """The entry a response's trailing metadata names; None from a server
        that does not send it (real etcd) or sends something unreadable."""
        values = {key: value for key, value in metadata or () if isinstance(value, str)}
        try:
            return cls(int(values[INDEX_KEY]), int(values[LEADER_KEY], 16), float(values[COMMIT_KEY]))
        except (KeyError, ValueError):
            return None


written: ContextVar[RaftEntry | None] = ContextVar("etcdlite_written_entry", default=None)
