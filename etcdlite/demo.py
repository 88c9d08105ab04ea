"""`make demo` for now: start a local three-replica etcdlite, write a few keys
through the failover client, and print an `etcdctl endpoint status`-style table.
Every process it starts is stopped again before it returns."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from etcdlite.client import EtcdClient
from etcdlite.localcluster import LocalCluster


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    fmt = "|" + "|".join(f" {{:^{w}}} " for w in widths) + "|"
    return "\n".join([line, fmt.format(*header), line, *(fmt.format(*r) for r in rows), line])


async def _exercise(cluster: LocalCluster) -> None:
    async with EtcdClient(cluster.endpoints) as client:
        for i in range(5):
            put = await client.put(f"/demo/key-{i}", f"value-{i}")
            print(f"put /demo/key-{i} -> revision {put.header.revision}")
        got = await client.get("/demo/", prefix=True)
        print(f"get /demo/ --prefix -> {got.count} keys at revision {got.header.revision}\n")
        members = {m.ID: m.name for m in (await client.member_list()).members}
        rows = []
        for endpoint in cluster.endpoints:
            st = await client.status(endpoint)
            rows.append([endpoint, f"{st.header.member_id:x}", members.get(st.header.member_id, "?"), st.version,
                         f"{st.dbSize} B", str(st.leader == st.header.member_id).lower(), str(st.raftTerm),
                         str(st.raftIndex), str(st.raftAppliedIndex), str(st.header.revision)])
        print(_table(rows, ["ENDPOINT", "ID", "NAME", "VERSION", "DB SIZE", "IS LEADER", "RAFT TERM",
                            "RAFT INDEX", "RAFT APPLIED INDEX", "REVISION"]))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="etcdlite-demo-") as tmp:
        cluster = LocalCluster(Path(tmp))
        print(f"starting 3 etcdlite replicas: {', '.join(cluster.endpoints)}")
        try:
            cluster.start()
            print(f"leader elected: {cluster.leader()}\n")
            asyncio.run(_exercise(cluster))
        finally:
            cluster.stop()
        print("\nstopped every replica (by PID)")


if __name__ == "__main__":
    main()
