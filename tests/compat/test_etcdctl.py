"""Real etcdctl 3.4 (Debian etcd-client) against a three-replica etcdlite: the
commands an etcd user types work unchanged, with etcd's output and exit codes."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable

import pytest

from etcdlite.localcluster import LocalCluster

pytestmark = [
    pytest.mark.compat,
    pytest.mark.skipif(shutil.which("etcdctl") is None,
                       reason="etcdctl (Debian etcd-client) not installed; `make tools` installs it"),
]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def etcdctl(shared_etcdlite: LocalCluster) -> Run:
    env = {**os.environ, "ETCDCTL_API": "3"}

    def run(*args: str, endpoints: list[str] | None = None, stdin: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        eps = ",".join(endpoints or shared_etcdlite.endpoints)
        result = subprocess.run(["etcdctl", f"--endpoints={eps}", *args], input=stdin, capture_output=True,
                                text=True, env=env, timeout=30)
        if check:
            assert result.returncode == 0, f"etcdctl {' '.join(args)} failed: {result.stderr}"
        return result

    return run


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def test_put_then_get_prints_key_and_value(etcdctl: Run) -> None:
    assert etcdctl("put", "/c/put/k", "v1").stdout.strip() == "OK"
    assert lines(etcdctl("get", "/c/put/k")) == ["/c/put/k", "v1"]


def test_get_prefix_lists_keys_in_order(etcdctl: Run) -> None:
    for key in ("b", "a", "c"):
        etcdctl("put", f"/c/prefix/{key}", key.upper())
    etcdctl("put", "/c/prefixed-not", "x")
    assert lines(etcdctl("get", "/c/prefix/", "--prefix", "--keys-only")) == [
        "/c/prefix/a", "", "/c/prefix/b", "", "/c/prefix/c", ""]


def test_get_at_an_old_revision_returns_the_old_value(etcdctl: Run) -> None:
    etcdctl("put", "/c/rev/k", "old")
    revision = json.loads(etcdctl("get", "/c/rev/k", "-w", "json").stdout)["header"]["revision"]
    etcdctl("put", "/c/rev/k", "new")
    assert lines(etcdctl("get", "/c/rev/k", f"--rev={revision}")) == ["/c/rev/k", "old"]


def test_json_output_has_etcd_header_and_base64_key_values(etcdctl: Run) -> None:
    etcdctl("put", "/c/json/k", "value")
    doc = json.loads(etcdctl("get", "/c/json/k", "-w", "json").stdout)
    header = doc["header"]
    assert {"cluster_id", "member_id", "revision", "raft_term"} <= set(header)
    kv = doc["kvs"][0]
    assert base64.b64decode(kv["key"]) == b"/c/json/k" and base64.b64decode(kv["value"]) == b"value"
    assert kv["version"] == 1 and kv["create_revision"] == kv["mod_revision"] <= header["revision"]


def test_del_prints_the_number_deleted(etcdctl: Run) -> None:
    etcdctl("put", "/c/del/a", "1")
    etcdctl("put", "/c/del/b", "2")
    assert etcdctl("del", "/c/del/a").stdout.strip() == "1"
    assert etcdctl("del", "/c/del/", "--prefix").stdout.strip() == "1"
    assert etcdctl("get", "/c/del/", "--prefix").stdout == ""


@pytest.mark.parametrize(("current", "expected_branch", "value"), [
    ("v", "SUCCESS", "v2"), ("other", "FAILURE", "nope"),
], ids=["compare-true-runs-success", "compare-false-runs-failure"])
def test_txn_runs_the_branch_its_compare_selects(etcdctl: Run, current: str, expected_branch: str,
                                                 value: str) -> None:
    key = f"/c/txn/{expected_branch.lower()}"
    etcdctl("put", key, current)
    script = f'value("{key}") = "v"\n\nput {key} v2\n\nput {key} nope\n\n'
    out = etcdctl("txn", stdin=script).stdout.splitlines()
    assert out[0] == expected_branch and "OK" in out
    assert lines(etcdctl("get", key, "--print-value-only")) == [value]


def test_watch_prints_puts_and_deletes(etcdctl: Run, shared_etcdlite: LocalCluster) -> None:
    env = {**os.environ, "ETCDCTL_API": "3"}
    watcher = subprocess.Popen(["etcdctl", f"--endpoints={shared_etcdlite.endpoints[1]}", "watch", "/c/watch/",
                                "--prefix"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(1.0)  # let the watch be created before the writes
        etcdctl("put", "/c/watch/a", "1")
        etcdctl("del", "/c/watch/a")
        time.sleep(1.0)
    finally:
        watcher.terminate()
        out, _ = watcher.communicate(timeout=10)
    assert out.splitlines()[:5] == ["PUT", "/c/watch/a", "1", "DELETE", "/c/watch/a"]


def test_watch_from_a_revision_replays_history(etcdctl: Run, shared_etcdlite: LocalCluster) -> None:
    first = json.loads(etcdctl("put", "/c/replay/k", "1", "-w", "json").stdout)["header"]["revision"]
    etcdctl("put", "/c/replay/k", "2")
    replay = subprocess.run(["timeout", "3", "etcdctl", f"--endpoints={shared_etcdlite.endpoints[2]}", "watch",
                             "/c/replay/k", f"--rev={first}"], capture_output=True, text=True,
                            env={**os.environ, "ETCDCTL_API": "3"}, timeout=20)
    assert replay.stdout.splitlines()[:6] == ["PUT", "/c/replay/k", "1", "PUT", "/c/replay/k", "2"]


def test_lease_lifecycle_grant_attach_ttl_keepalive_list_revoke(etcdctl: Run) -> None:
    granted = etcdctl("lease", "grant", "60").stdout
    lease_id = granted.split()[1]
    assert f"lease {lease_id} granted with TTL(60s)" in granted
    etcdctl("put", "/c/lease/k", "v", f"--lease={lease_id}")
    ttl = etcdctl("lease", "timetolive", lease_id, "--keys").stdout
    assert f"lease {lease_id} granted with TTL(60s)" in ttl and "attached keys([/c/lease/k])" in ttl
    assert f"lease {lease_id} keepalived with TTL(60)" in etcdctl("lease", "keep-alive", "--once", lease_id).stdout
    assert lease_id in etcdctl("lease", "list").stdout
    assert f"lease {lease_id} revoked" in etcdctl("lease", "revoke", lease_id).stdout
    assert etcdctl("get", "/c/lease/k").stdout == ""


def test_expired_lease_takes_its_key_with_it(etcdctl: Run) -> None:
    lease_id = etcdctl("lease", "grant", "2").stdout.split()[1]
    etcdctl("put", "/c/expire/k", "v", f"--lease={lease_id}")
    deadline = time.monotonic() + 20
    while etcdctl("get", "/c/expire/k").stdout:
        assert time.monotonic() < deadline, "the key outlived its lease"
        time.sleep(0.5)
    assert "already expired" in etcdctl("lease", "timetolive", lease_id).stdout


def test_member_list_shows_three_started_members(etcdctl: Run, shared_etcdlite: LocalCluster) -> None:
    members = json.loads(etcdctl("member", "list", "-w", "json").stdout)["members"]
    assert sorted(m["name"] for m in members) == ["etcd-1", "etcd-2", "etcd-3"]
    client_urls = sorted(url for m in members for url in m["clientURLs"])
    assert client_urls == sorted(f"http://{ep}" for ep in shared_etcdlite.endpoints)
    table = etcdctl("member", "list").stdout
    assert table.count("started") == 3


def test_endpoint_status_agrees_on_one_leader(etcdctl: Run) -> None:
    statuses = json.loads(etcdctl("endpoint", "status", "-w", "json").stdout)
    leaders = {s["Status"]["leader"] for s in statuses}
    members = {s["Status"]["header"]["member_id"] for s in statuses}
    assert len(statuses) == 3 and len(leaders) == 1 and leaders <= members
    assert all(s["Status"]["raftTerm"] >= 1 and s["Status"]["raftIndex"] >= 1 for s in statuses)


def test_endpoint_health_reports_every_member_healthy(etcdctl: Run) -> None:
    result = etcdctl("endpoint", "health")
    assert (result.stdout + result.stderr).count("is healthy") == 3


def test_hashkv_is_equal_on_every_member(etcdctl: Run) -> None:
    etcdctl("put", "/c/hash/k", "v")
    time.sleep(0.5)
    revision = json.loads(etcdctl("get", "/c/hash/k", "-w", "json").stdout)["header"]["revision"]
    hashes = json.loads(etcdctl("endpoint", "hashkv", f"--rev={revision}", "-w", "json").stdout)
    assert len({h["HashKV"]["hash"] for h in hashes}) == 1 and len(hashes) == 3


def test_compaction_makes_old_revisions_unreadable(etcdctl: Run) -> None:
    first = json.loads(etcdctl("put", "/c/compact/k", "1", "-w", "json").stdout)["header"]["revision"]
    second = json.loads(etcdctl("put", "/c/compact/k", "2", "-w", "json").stdout)["header"]["revision"]
    assert f"compacted revision {second}" in etcdctl("compaction", str(second)).stdout
    old = etcdctl("get", "/c/compact/k", f"--rev={first}", check=False)
    assert old.returncode != 0 and "required revision has been compacted" in old.stderr


def test_put_with_an_empty_key_is_refused(etcdctl: Run) -> None:
    result = etcdctl("put", "", "v", check=False)
    assert result.returncode != 0 and "key is not provided" in result.stderr


def test_write_to_a_follower_is_readable_from_another_member(etcdctl: Run, shared_etcdlite: LocalCluster) -> None:
    leader = shared_etcdlite.leader()
    followers = [m.endpoint for n, m in shared_etcdlite.members.items() if n != leader]
    etcdctl("put", "/c/follower/k", "via-follower", endpoints=[followers[0]])
    assert lines(etcdctl("get", "/c/follower/k", endpoints=[followers[1]])) == ["/c/follower/k", "via-follower"]
