"""Snapshot save / status / restore, and that a bad file changes nothing."""
from __future__ import annotations

import struct

import pytest

from cluster.store import snapshot
from cluster.store.errors import SnapshotError
from cluster.store.keys import prefix_end


def fill(store) -> None:
    store.lease_grant(60, lease_id=9)
    store.put(b"/a/1", b'{"x":1}')  # 2
    store.put(b"/a/2", b"two", lease=9)  # 3
    store.put(b"/a/1", b'{"x":2}')  # 4
    store.delete_range(b"/a/2")  # 5
    store.put(b"/b", b"\x00\xff binary")  # 6
    store.compact(3)


def content(store):
    """Everything a snapshot must carry, as comparable data."""
    status = store.status()
    events, _ = store.events(status.compact_revision, b"\0", b"\0")
    return (
        status.revision,
        status.compact_revision,
        store.range(b"\0", b"\0").kvs,
        events,
        store.leases(),
    )


def test_round_trip(store, tmp_path):
    fill(store)
    before = content(store)
    path = tmp_path / "snap.db"
    saved = snapshot.save(store, path)
    assert (saved.revision, saved.total_keys, saved.total_size) == (6, 2, path.stat().st_size)
    assert 0 <= saved.hash < 2**32
    assert snapshot.status(path) == saved
    assert not (tmp_path / "snap.db.part").exists()

    store.put(b"/c", b"later")
    store.lease_revoke(9)
    assert snapshot.restore(store, path) == saved
    assert content(store) == before
    # History came back too: reads at past revisions still answer.
    at = lambda rev: [kv.value for kv in store.range(b"/a/", prefix_end(b"/a/"), revision=rev).kvs]  # noqa: E731
    assert (at(4), at(5)) == ([b'{"x":2}', b"two"], [b'{"x":2}'])
    assert store.put(b"/d", b"after").revision == 7


def test_restore_into_an_empty_store(store, tmp_path):
    fill(store)
    path = tmp_path / "snap.db"
    snapshot.save(store, path)
    before = content(store)
    store.delete_range(b"\0", b"\0")
    snapshot.restore(store, path)
    assert content(store) == before


def test_hash_changes_with_content(store, tmp_path):
    store.put(b"a", b"1")
    first = snapshot.save(store, tmp_path / "1.db")
    store.put(b"a", b"2")
    assert snapshot.save(store, tmp_path / "2.db").hash != first.hash


def corrupt(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    return bytes(flipped)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[: len(d) // 2], "truncated"),
        (lambda d: d[:5], "truncated"),
        (lambda d: b"", "truncated"),
        (corrupt, "checksum mismatch"),
        (lambda d: b"NOTASNAP" + d[8:], "bad magic"),
        (lambda d: d[:8] + struct.pack(">I", 99) + d[12:], "unsupported format version 99"),
        (lambda d: d + b"extra", "trailing bytes"),
    ],
)
def test_a_bad_file_changes_nothing(store, tmp_path, damage, message):
    fill(store)
    good = tmp_path / "good.db"
    snapshot.save(store, good)
    store.put(b"/after", b"snapshot")
    before = content(store)
    bad = tmp_path / "bad.db"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(SnapshotError, match=message) as caught:
        snapshot.restore(store, bad)
    assert "\n" not in str(caught.value)
    with pytest.raises(SnapshotError, match=message):
        snapshot.status(bad)
    assert content(store) == before


def test_missing_file(store, tmp_path):
    with pytest.raises(SnapshotError, match="no such file or directory"):
        snapshot.status(tmp_path / "nope.db")


def test_unwritable_path_is_refused_like_etcdctl(store, tmp_path):
    store.put(b"a", b"1")
    path = tmp_path / "missing-dir" / "x.db"
    with pytest.raises(SnapshotError) as caught:
        snapshot.save(store, path)
    part = f"{path}.part"
    assert str(caught.value) == f"could not open {part} (open {part}: no such file or directory)"
    assert store.get(b"a").value == b"1"
