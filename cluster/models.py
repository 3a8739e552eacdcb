"""Tables behind the etcd-shaped store.

Only ``cluster.store`` writes these (and only the API server calls the store).
The shape follows etcd's MVCC: ``KeyValue`` is the current keyspace,
``ChangeEvent`` is the revision history — one row per key change, which is both
the change-data-capture log the dashboard and watchers follow and the index
that answers reads at a past revision.
"""
from __future__ import annotations

from django.db import models


class StoreMeta(models.Model):
    """The single row holding the store's clocks.

    Every write transaction locks and bumps this row, which is what makes
    revision order equal commit order on every database backend.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    revision = models.BigIntegerField(default=1)
    compact_revision = models.BigIntegerField(default=0)
    cluster_id = models.BigIntegerField(default=0)
    member_id = models.BigIntegerField(default=0)

    class Meta:
        db_table = "store_meta"


class KeyValueQuerySet(models.QuerySet):
    def range(self, key: bytes, range_end: bytes | None) -> "KeyValueQuerySet":
        """etcd's [key, range_end) interval; ``range_end=None`` means the one key,
        ``b"\\0"`` means every key from ``key`` on."""
        if range_end is None:
            return self.filter(key=key)
        if range_end == b"\0":
            return self.filter(key__gte=key)
        return self.filter(key__gte=key, key__lt=range_end)

    def prefix(self, prefix: bytes) -> "KeyValueQuerySet":
        from cluster.store.keys import prefix_end

        return self.range(prefix, prefix_end(prefix))


class KeyValue(models.Model):
    """A live key, as etcd's ``mvccpb.KeyValue``."""

    key = models.BinaryField(primary_key=True)
    value = models.BinaryField()
    create_revision = models.BigIntegerField()
    mod_revision = models.BigIntegerField()
    version = models.BigIntegerField()
    lease = models.BigIntegerField(default=0, db_index=True)

    objects = KeyValueQuerySet.as_manager()

    class Meta:
        db_table = "store_kv"


class ChangeEvent(models.Model):
    """One key change at one revision: the change-data-capture row.

    ``sub`` orders the changes inside one transaction (etcd's sub-revision).
    A DELETE row keeps the key and revision only; the ``prev_*`` columns keep
    the key-value it replaced so a watcher can ask for ``prev_kv`` and the
    dashboard can show what changed (``diff``, for JSON values).
    """

    PUT = 0
    DELETE = 1
    TYPES = [(PUT, "PUT"), (DELETE, "DELETE")]

    revision = models.BigIntegerField()
    sub = models.IntegerField()
    type = models.SmallIntegerField(choices=TYPES)
    key = models.BinaryField()
    value = models.BinaryField(default=b"")
    create_revision = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)
    lease = models.BigIntegerField(default=0)
    prev_value = models.BinaryField(null=True)
    prev_create_revision = models.BigIntegerField(default=0)
    prev_mod_revision = models.BigIntegerField(default=0)
    prev_version = models.BigIntegerField(default=0)
    prev_lease = models.BigIntegerField(default=0)
    diff = models.JSONField(null=True)

    class Meta:
        db_table = "store_change"
        constraints = [
            models.UniqueConstraint(fields=["revision", "sub"], name="store_change_revision_sub")
        ]
        indexes = [models.Index(fields=["key", "revision"], name="store_change_key_rev")]


class Lease(models.Model):
    """An etcd lease: keys attached to it are deleted when it expires or is revoked.

    ``expires_at`` is seconds on the store's clock, so every process sharing the
    database agrees on when a lease runs out.
    """

    id = models.BigIntegerField(primary_key=True)
    ttl = models.BigIntegerField()
    expires_at = models.FloatField(db_index=True)

    class Meta:
        db_table = "store_lease"


class ApiToken(models.Model):
    """A bearer token the API server accepts, like a line of kube-apiserver's
    static token file: who the token speaks for and in which groups.
    Only the SHA-256 of the token is kept."""

    token_sha256 = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=253, db_index=True)
    groups = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "api_token"
