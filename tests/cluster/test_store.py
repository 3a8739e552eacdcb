"""The store's etcd semantics: range, put, delete, txn, compaction, leases, status."""
from __future__ import annotations

import pytest

from cluster.store import errors
from cluster.store.keys import prefix_end
from cluster.store.kv import Store
from cluster.store.types import Compare, DeleteOp, PutOp, RangeOp


def keys(result) -> list[bytes]:
    return [kv.key for kv in result.kvs]


# --- put and range ---------------------------------------------------------------


def test_empty_store_is_at_revision_1(store):
    assert store.revision() == 1
    assert store.range(b"a").kvs == []


def test_put_bumps_the_revision_and_versions_the_key(store):
    assert store.put(b"a", b"1").revision == 2
    assert store.put(b"a", b"2").revision == 3
    kv = store.get(b"a")
    assert (kv.value, kv.create_revision, kv.mod_revision, kv.version) == (b"2", 2, 3, 2)


def test_put_returns_prev_kv_only_when_asked(store):
    store.put(b"a", b"1")
    assert store.put(b"a", b"2").prev_kv is None
    assert store.put(b"a", b"3", prev_kv=True).prev_kv.value == b"2"


def test_range_prefix_from_key_and_single_key(store):
    for key in (b"/a/1", b"/a/2", b"/b/1", b"/a0"):
        store.put(key, b"x")
    assert keys(store.range(b"/a/", prefix_end(b"/a/"))) == [b"/a/1", b"/a/2"]
    assert keys(store.range(b"/a/2", b"\0")) == [b"/a/2", b"/a0", b"/b/1"]
    assert keys(store.range(b"/a/1")) == [b"/a/1"]


def test_range_limit_count_keys_only_and_count_only(store):
    for i in range(5):
        store.put(b"k%d" % i, b"v")
    limited = store.range(b"k", prefix_end(b"k"), limit=2)
    assert (keys(limited), limited.count, limited.more) == ([b"k0", b"k1"], 5, True)
    assert store.range(b"k", prefix_end(b"k"), keys_only=True).kvs[0].value == b""
    counted = store.range(b"k", prefix_end(b"k"), count_only=True)
    assert (counted.kvs, counted.count) == ([], 5)


def test_range_at_a_past_revision(store):
    store.put(b"a", b"1")  # 2
    store.put(b"b", b"1")  # 3
    store.put(b"a", b"2")  # 4
    store.delete_range(b"b")  # 5
    at3 = store.range(b"a", b"c", revision=3)
    assert [(kv.key, kv.value, kv.mod_revision) for kv in at3.kvs] == [(b"a", b"1", 2), (b"b", b"1", 3)]
    assert at3.revision == 5  # the header is the current revision, as in etcd
    assert [kv.value for kv in store.range(b"a", b"c", revision=5).kvs] == [b"2"]
    assert store.range(b"a", b"c", revision=1).kvs == []


def test_future_revision_is_refused(store):
    store.put(b"a", b"1")
    with pytest.raises(errors.FutureRevision):
        store.range(b"a", revision=3)


def test_empty_key_is_refused(store):
    with pytest.raises(errors.EmptyKey):
        store.put(b"", b"x")


# --- delete ----------------------------------------------------------------------


def test_delete_range_is_one_revision_for_many_keys(store):
    for key in (b"/a/1", b"/a/2", b"/b"):
        store.put(key, b"x")
    result = store.delete_range(b"/a/", prefix_end(b"/a/"), prev_kv=True)
    assert (result.revision, result.deleted) == (5, 2)
    assert [kv.key for kv in result.prev_kvs] == [b"/a/1", b"/a/2"]
    events, _ = store.events(5, b"\0", b"\0")
    assert [(e.type, e.kv.key) for e in events] == [("DELETE", b"/a/1"), ("DELETE", b"/a/2")]


def test_deleting_nothing_does_not_bump_the_revision(store):
    store.put(b"a", b"1")
    assert store.delete_range(b"zzz").deleted == 0
    assert store.revision() == 2


def test_recreated_key_starts_a_new_generation(store):
    store.put(b"a", b"1")
    store.delete_range(b"a")
    store.put(b"a", b"2")
    kv = store.get(b"a")
    assert (kv.create_revision, kv.version) == (4, 1)


# --- txn ---------------------------------------------------------------------------


def test_txn_compare_and_swap(store):
    store.put(b"a", b"1")
    swap = store.txn([Compare("value", b"a", "=", b"1")], [PutOp(b"a", b"2")], [RangeOp(b"a")])
    assert swap.succeeded and store.get(b"a").value == b"2"
    again = store.txn([Compare("value", b"a", "=", b"1")], [PutOp(b"a", b"3")], [RangeOp(b"a")])
    assert not again.succeeded
    assert again.responses[0].kvs[0].value == b"2"
    assert again.revision == 3  # a read-only branch does not bump the revision


@pytest.mark.parametrize(
    ("target", "result", "operand", "expected"),
    [
        ("version", "=", 0, True),  # a missing key has version 0
        ("create", "=", 0, True),
        ("mod", "<", 1, True),
        ("value", "=", b"", False),  # etcd: a value compare on a missing key is false
        ("value", "!=", b"x", False),
        ("lease", "=", 0, True),
    ],
)
def test_compare_on_a_missing_key(store, target, result, operand, expected):
    txn = store.txn([Compare(target, b"nope", result, operand)], [], [])
    assert txn.succeeded is expected


def test_compares_on_mod_version_and_create(store):
    store.put(b"a", b"1")  # 2
    store.put(b"a", b"2")  # 3
    assert store.txn([Compare("mod", b"a", "=", 3), Compare("create", b"a", "=", 2)], [], []).succeeded
    assert store.txn([Compare("version", b"a", ">", 1)], [], []).succeeded
    assert not store.txn([Compare("version", b"a", "<", 2)], [], []).succeeded
    assert store.txn([Compare("value", b"a", ">", b"1")], [], []).succeeded


def test_txn_writes_several_keys_at_one_revision(store):
    result = store.txn([], [PutOp(b"a", b"1"), PutOp(b"b", b"1"), RangeOp(b"a")], [])
    assert result.revision == 2
    assert {store.get(b"a").mod_revision, store.get(b"b").mod_revision} == {2}
    # A range after a write in the same txn sees the write (etcd reads its own txn).
    assert result.responses[2].kvs[0].value == b"1"
    events, _ = store.events(2, b"\0", b"\0")
    assert [e.kv.key for e in events] == [b"a", b"b"]


def test_txn_refuses_to_write_one_key_twice(store):
    with pytest.raises(errors.DuplicateKey):
        store.txn([], [PutOp(b"a", b"1"), DeleteOp(b"0", b"b")], [])
    assert store.revision() == 1


def test_failed_txn_applies_nothing(store):
    with pytest.raises(errors.LeaseNotFound):
        store.txn([], [PutOp(b"a", b"1"), PutOp(b"b", b"1", lease=42)], [])
    assert store.get(b"a") is None and store.revision() == 1


# --- compaction --------------------------------------------------------------------


def test_compaction_keeps_the_event_at_the_compaction_revision(store):
    store.put(b"a", b"1")  # 2
    store.put(b"a", b"2")  # 3
    store.put(b"b", b"1")  # 4
    store.compact(3)
    events, _ = store.events(3, b"\0", b"\0")
    assert [(e.revision, e.kv.key) for e in events] == [(3, b"a"), (4, b"b")]
    assert [kv.value for kv in store.range(b"a", revision=3).kvs] == [b"2"]
    with pytest.raises(errors.Compacted):
        store.events(2, b"\0", b"\0")
    with pytest.raises(errors.Compacted):
        store.range(b"a", revision=2)


def test_compaction_keeps_the_newest_put_below_it(store):
    store.put(b"old", b"1")  # 2, never touched again
    store.put(b"x", b"1")  # 3
    store.put(b"x", b"2")  # 4
    store.compact(4)
    assert [kv.key for kv in store.range(b"\0", b"\0", revision=4).kvs] == [b"old", b"x"]


def test_compaction_errors(store):
    store.put(b"a", b"1")
    with pytest.raises(errors.FutureRevision):
        store.compact(5)
    store.compact(2)
    with pytest.raises(errors.Compacted):
        store.compact(2)
    assert store.status().compact_revision == 2


# --- leases ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked(transactional_db):
    clock = Clock()
    return Store(clock=clock), clock


def test_lease_grant_attach_and_time_to_live(clocked):
    store, clock = clocked
    lease = store.lease_grant(10, lease_id=7)
    store.put(b"a", b"1", lease=7)
    clock.now += 4
    info = store.lease_time_to_live(7, keys=True)
    assert (info.ttl, info.granted_ttl, info.keys) == (6, 10, [b"a"])
    assert store.get(b"a").lease == lease.id == 7
    assert store.leases() == [7]


def test_lease_expiry_deletes_its_keys_in_one_revision(clocked):
    store, clock = clocked
    store.lease_grant(5, lease_id=1)
    store.put(b"a", b"1", lease=1)
    store.put(b"b", b"1", lease=1)
    store.put(b"c", b"1")
    clock.now += 4
    assert store.expire_leases() == 0
    clock.now += 2
    assert store.expire_leases() == 1
    assert keys(store.range(b"a", b"z")) == [b"c"]
    events, _ = store.events(5, b"\0", b"\0")
    assert [(e.type, e.revision) for e in events] == [("DELETE", 5), ("DELETE", 5)]
    assert store.lease_time_to_live(1).ttl == -1


def test_keep_alive_extends_a_lease(clocked):
    store, clock = clocked
    store.lease_grant(5, lease_id=1)
    clock.now += 4
    store.lease_keep_alive(1)
    clock.now += 4
    assert store.expire_leases() == 0
    clock.now += 2
    with pytest.raises(errors.LeaseNotFound):
        store.lease_keep_alive(1)


def test_lease_errors(clocked):
    store, _ = clocked
    store.lease_grant(5, lease_id=1)
    with pytest.raises(errors.LeaseExists):
        store.lease_grant(5, lease_id=1)
    with pytest.raises(errors.LeaseNotFound):
        store.lease_revoke(2)
    with pytest.raises(errors.LeaseNotFound):
        store.put(b"a", b"1", lease=2)


def test_revoke_of_a_lease_without_keys_does_not_bump_the_revision(clocked):
    store, _ = clocked
    store.lease_grant(5, lease_id=1)
    assert store.lease_revoke(1) == 1
    assert store.leases() == []


# --- status ------------------------------------------------------------------------------


def test_status(store):
    store.put(b"a", b"1")
    store.put(b"b", b"1")
    store.delete_range(b"a")
    status = store.status()
    assert (status.revision, status.compact_revision, status.key_count) == (4, 0, 1)
    assert status.db_size > 0 and status.cluster_id and status.member_id
