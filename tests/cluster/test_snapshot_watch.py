"""A restore under live watchers: marked compacted (etcdutl ``--bump-revision --mark-compacted``),
every watcher hears "compacted" — even when new writes carry the revision back up to where the
watch hub was before it looked again, which a check for "the revision went back" cannot see."""
from __future__ import annotations

import pytest

from cluster.store import WatchHub, snapshot
from cluster.store.errors import Compacted
from cluster.store.keys import prefix_end
from cluster.store.watch import Watcher


def test_a_restore_marked_compacted_ends_every_watch_even_after_the_revision_catches_up(store, tmp_path):
    path = tmp_path / "s.db"
    store.put(b"/a", b"1")
    saved = snapshot.save(store, path)
    store.put(b"/a", b"2")  # the change the restore undoes
    hub = WatchHub(store)  # not started: pulled by hand, so nothing races the test
    hub.pull()
    watcher = Watcher(hub, b"/", prefix_end(b"/"), hub.revision + 1, False, None)
    assert watcher.poll(0) == []

    snapshot.restore(store, path, mark_compacted=True)
    assert store.revision() == store.status().compact_revision > saved.revision + 1
    store.put(b"/b", b"new")  # a write lands before the hub looks again
    hub.pull()
    with pytest.raises(Compacted):
        watcher.poll(0)
    # a relist at the new revision watches on from there, in the restored world
    fresh = Watcher(hub, b"/", prefix_end(b"/"), store.revision() + 1, False, None)
    store.put(b"/a", b"3")
    hub.pull()
    assert [(e.kv.key, e.kv.value) for e in fresh.poll(0)] == [(b"/a", b"3")]
    assert store.get(b"/a").mod_revision == store.revision()


def test_a_plain_restore_keeps_its_revision(store, tmp_path):
    """Without the mark (``etcdctl snapshot restore`` as before) the snapshot's revision is kept."""
    path = tmp_path / "s.db"
    store.put(b"/a", b"1")
    saved = snapshot.save(store, path)
    store.put(b"/a", b"2")
    snapshot.restore(store, path)
    assert store.revision() == saved.revision and store.get(b"/a").value == b"1"
