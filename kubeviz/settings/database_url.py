"""Turn a ``DATABASE_URL`` into a Django ``DATABASES`` entry.

Two schemes are understood: ``sqlite:///relative/or/absolute/path`` and
``postgres://user:password@host:port/name`` (also ``postgresql://``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
# BEGIN so two writers queue on the busy timeout instead of failing with
# "database is locked" when one upgrades a read lock. synchronous=FULL fsyncs
# the WAL on every commit: a committed revision survives power loss, as in etcd.
SQLITE_INIT = "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON"


def parse(url: str, base_dir: Path) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw = unquote(parts.path)
        # sqlite:///var/db.sqlite3 is relative to the project; sqlite:////tmp/x is absolute.
        path = Path(raw[1:]) if raw.startswith("/") else Path(raw)
        if not path.is_absolute():
            path = base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": SQLITE_INIT,
            },
            "TEST": {"NAME": str(path.with_name(path.stem + "-test.sqlite3"))},
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 0,
        }
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use sqlite:// or postgres://)")
