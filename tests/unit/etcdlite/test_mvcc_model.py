"""The MVCC state machine against a reference model, with hypothesis.

The model is deliberately naive: it keeps a complete copy of the key space for
every revision and derives everything (ranges at any revision, versions, the
event of each revision) from those copies. Random sequences of put, delete,
txn and compact must give the same revisions, the same responses, the same
reads at every retained revision and the same watch event stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etcdlite.errors import Compacted, EtcdliteError, FutureRevision
from etcdlite.keyrange import in_range
from etcdlite.mvcc import MvccStore
from kubelite.gen.etcdlite.v1 import command_pb2
from kubelite.gen.etcdserverpb import rpc_pb2
from kubelite.gen.mvccpb import kv_pb2

KEYS = [b"a", b"ab", b"b", b"c", b"d"]
RANGES = [(b"a", b""), (b"a", b"b"), (b"b", b"\x00"), (b"ab", b"c"), (b"d", b"")]
Record = tuple[bytes, int, int, int]  # value, create_revision, mod_revision, version


@dataclass
class Model:
    states: list[dict[bytes, Record]] = field(default_factory=lambda: [{}, {}])  # index = revision
    compact: int = 0
    events: list[tuple[int, list[tuple[int, bytes, bytes, bytes | None]]]] = field(default_factory=list)

    @property
    def revision(self) -> int:
        return len(self.states) - 1

    def read(self, revision: int = 0) -> dict[bytes, Record]:
        revision = revision or self.revision
        if revision > self.revision:
            raise FutureRevision()
        if revision < self.compact:
            raise Compacted(self.compact)
        return self.states[revision]

    def commit(self, view: dict[bytes, Record], changed: list[bytes]) -> None:
        if not changed:
            return
        before, rev = self.states[-1], self.revision + 1
        batch = []
        for key in changed:
            old = before.get(key)
            if key in view:
                batch.append((kv_pb2.Event.PUT, key, view[key][0], old[0] if old else None))
            else:
                batch.append((kv_pb2.Event.DELETE, key, b"", old[0] if old else None))
        self.states.append(view)
        self.events.append((rev, batch))


def apply_model(model: Model, op: tuple[Any, ...]) -> Any:
    """Apply one op to the model; returns a comparable summary or the error class."""
    kind = op[0]
    if kind == "compact":
        revision = op[1]
        if revision <= model.compact:
            return Compacted
        if revision > model.revision:
            return FutureRevision
        model.compact = revision
        return "compacted"
    view = dict(model.states[-1])
    rev = model.revision + 1
    changed: list[bytes] = []

    def put(key: bytes, value: bytes) -> None:
        old = view.get(key)
        view[key] = (value, old[1] if old else rev, rev, old[3] + 1 if old else 1)
        if key in changed:
            changed.remove(key)
        changed.append(key)

    def delete(key: bytes, end: bytes) -> int:
        doomed = sorted(k for k in view if in_range(k, key, end))
        for k in doomed:
            del view[k]
            if k in changed:
                changed.remove(k)
            changed.append(k)
        return len(doomed)

    if kind == "put":
        put(op[1], op[2])
        result: Any = ("put",)
    elif kind == "delete":
        result = ("delete", delete(op[1], op[2]))
    else:
        _, compare_key, target, expected, success, failure = op
        record = view.get(compare_key)
        if target == "value":
            ok = record is not None and record[0] == expected
        else:
            ok = (record[3] if record else 0) == expected
        outcome = []
        for sub in success if ok else failure:
            if sub[0] == "put":
                put(sub[1], sub[2])
                outcome.append(("put",))
            elif sub[0] == "delete":
                outcome.append(("delete", delete(sub[1], sub[2])))
            else:
                outcome.append(("range", sorted((k, v[0]) for k, v in view.items() if in_range(k, sub[1], sub[2]))))
        result = ("txn", ok, outcome)
    model.commit(view, changed)
    return result


def to_command(op: tuple[Any, ...]) -> command_pb2.Command:
    kind = op[0]
    if kind == "compact":
        return command_pb2.Command(compaction=rpc_pb2.CompactionRequest(revision=op[1]))
    if kind == "put":
        return command_pb2.Command(put=rpc_pb2.PutRequest(key=op[1], value=op[2]))
    if kind == "delete":
        return command_pb2.Command(delete_range=rpc_pb2.DeleteRangeRequest(key=op[1], range_end=op[2]))
    _, compare_key, target, expected, success, failure = op
    compare = rpc_pb2.Compare(key=compare_key, result=rpc_pb2.Compare.EQUAL)
    if target == "value":
        compare.target, compare.value = rpc_pb2.Compare.VALUE, expected
    else:
        compare.target, compare.version = rpc_pb2.Compare.VERSION, expected

    def request_op(sub: tuple[Any, ...]) -> rpc_pb2.RequestOp:
        if sub[0] == "put":
            return rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=sub[1], value=sub[2]))
        if sub[0] == "delete":
            return rpc_pb2.RequestOp(request_delete_range=rpc_pb2.DeleteRangeRequest(key=sub[1], range_end=sub[2]))
        return rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=sub[1], range_end=sub[2]))

    return command_pb2.Command(txn=rpc_pb2.TxnRequest(compare=[compare], success=[request_op(s) for s in success],
                                                      failure=[request_op(s) for s in failure]))


def summarize(response: Any) -> Any:
    if isinstance(response, rpc_pb2.PutResponse):
        return ("put",)
    if isinstance(response, rpc_pb2.DeleteRangeResponse):
        return ("delete", response.deleted)
    if isinstance(response, rpc_pb2.CompactionResponse):
        return "compacted"
    outcome = []
    for r in response.responses:
        which = r.WhichOneof("response")
        if which == "response_put":
            outcome.append(("put",))
        elif which == "response_delete_range":
            outcome.append(("delete", r.response_delete_range.deleted))
        else:
            outcome.append(("range", [(kv.key, kv.value) for kv in r.response_range.kvs]))
    return ("txn", response.succeeded, outcome)


class Recorder:
    """A store observer that keeps the event stream a watcher would get."""

    def __init__(self) -> None:
        self.events: list[tuple[int, list[tuple[int, bytes, bytes, bytes | None]]]] = []

    def on_events(self, revision: int, events: list[kv_pb2.Event]) -> None:
        self.events.append((revision, [(e.type, e.kv.key, e.kv.value,
                                        e.prev_kv.value if e.HasField("prev_kv") else None) for e in events]))

    def on_lease_granted(self, lease_id: int, ttl: int) -> None: ...
    def on_lease_renewed(self, lease_id: int, ttl: int) -> None: ...
    def on_lease_removed(self, lease_id: int) -> None: ...
    def on_restored(self) -> None: ...


keys = st.sampled_from(KEYS)
values = st.sampled_from([b"", b"1", b"2", b"xyz"])
ranges = st.sampled_from(RANGES)
put_ops = st.tuples(st.just("put"), keys, values)
delete_ops = st.builds(lambda r: ("delete", r[0], r[1]), ranges)
range_ops = st.builds(lambda r: ("range", r[0], r[1]), ranges)


@st.composite
def txn_ops(draw: st.DrawFn) -> tuple[Any, ...]:
    # one write per key per branch, as etcd requires (no duplicate keys in a txn)
    def branch() -> list[tuple[Any, ...]]:
        ops = draw(st.lists(st.one_of(put_ops, range_ops), max_size=3))
        seen: set[bytes] = set()
        unique = []
        for o in ops:
            if o[0] == "put" and o[1] in seen:
                continue
            seen.add(o[1])
            unique.append(o)
        return unique

    target = draw(st.sampled_from(["value", "version"]))
    expected = draw(values) if target == "value" else draw(st.integers(0, 3))
    return ("txn", draw(keys), target, expected, branch(), branch())


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 30))):
        choice = draw(st.sampled_from(["put", "put", "delete", "txn", "compact"]))
        if choice == "put":
            ops.append(draw(put_ops))
        elif choice == "delete":
            ops.append(draw(delete_ops))
        elif choice == "txn":
            ops.append(draw(txn_ops()))
        else:
            ops.append(("compact", draw(st.integers(0, len(ops) + 2))))
    return ops


def kv_record(kv: kv_pb2.KeyValue) -> tuple[bytes, Record]:
    return kv.key, (kv.value, kv.create_revision, kv.mod_revision, kv.version)


def check_reads(store: MvccStore, model: Model) -> None:
    assert store.revision == model.revision
    assert store.compact_revision == model.compact
    for revision in range(max(1, model.compact), model.revision + 1):
        got = store.range(rpc_pb2.RangeRequest(key=b"\x00", range_end=b"\x00", revision=revision))
        assert dict(kv_record(kv) for kv in got.kvs) == model.states[revision], f"read at revision {revision}"
    if model.compact > 1:
        try:
            store.range(rpc_pb2.RangeRequest(key=b"a", revision=model.compact - 1))
        except Compacted:
            pass
        else:
            raise AssertionError("a read below the compaction revision must fail")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts())
def test_store_matches_the_reference_model(script: list[tuple[Any, ...]]) -> None:
    store, model, recorder = MvccStore(), Model(), Recorder()
    store.add_observer(recorder)
    for op in script:
        expected = apply_model(model, op)
        try:
            got: Any = summarize(store.apply(to_command(op)))
        except EtcdliteError as err:
            got = type(err)
        assert got == expected, f"{op}: store {got} != model {expected}"
        check_reads(store, model)
    assert recorder.events == model.events


@settings(max_examples=80, deadline=None)
@given(script=scripts())
def test_watch_history_replays_every_event_since_any_retained_revision(script: list[tuple[Any, ...]]) -> None:
    store, model = MvccStore(), Model()
    for op in script:
        apply_model(model, op)
        try:
            store.apply(to_command(op))
        except EtcdliteError:
            pass
    for start in range(max(1, model.compact), model.revision + 2):
        history = [(rev, [(e.type, e.kv.key) for e in events]) for rev, events in store.events_since(start)]
        expected = [(rev, [(t, k) for t, k, _, _ in batch]) for rev, batch in model.events
                    if rev >= start and not (rev == model.compact and all(t == kv_pb2.Event.DELETE
                                                                            for t, *_ in batch))]
        expected = [(rev, [(t, k) for t, k in batch if not (rev == model.compact and t == kv_pb2.Event.DELETE)])
                    for rev, batch in expected]
        assert history == expected, f"events since {start}"


def replay(script: list[tuple[Any, ...]]) -> MvccStore:
    """A store after `script`, commands that fail included (they change nothing)."""
    store = MvccStore()
    for op in script:
        try:
            store.apply(to_command(op))
        except EtcdliteError:
            pass
    return store


@settings(max_examples=60, deadline=None)
@given(script=scripts())
def test_snapshot_restore_round_trips_state_and_digest(script: list[tuple[Any, ...]]) -> None:
    store = replay(script)
    copy = MvccStore()
    copy.restore(store.snapshot())
    assert copy.hash_kv() == store.hash_kv()
    everything = rpc_pb2.RangeRequest(key=b"\x00", range_end=b"\x00")
    assert copy.range(everything) == store.range(everything)
    assert copy.events_since(store.compact_revision or 1) == store.events_since(store.compact_revision or 1)


@settings(max_examples=60, deadline=None)
@given(script=scripts(), key=keys)
def test_failed_commands_leave_revision_and_digest_unchanged(script: list[tuple[Any, ...]], key: bytes) -> None:
    store = replay(script)
    before = (store.revision, store.hash_kv())
    for bad in (rpc_pb2.PutRequest(key=key + b"-missing", ignore_value=True),
                rpc_pb2.PutRequest(key=key, value=b"v", lease=987654)):
        try:
            store.apply(command_pb2.Command(put=bad))
        except EtcdliteError:
            pass
        else:
            raise AssertionError(f"{bad} should have failed")
        assert (store.revision, store.hash_kv()) == before
