"""The same etcdctl command lines through a real etcd and through ``manage.py etcdctl``.

Both sides start empty at revision 1 and run the same operations in the same
order, so every revision, create/mod revision, version, value, count and watch
event must agree. What legitimately differs is masked: cluster and member IDs,
the raft term, and lease IDs (each side grants its own; a ``{lease}`` in a
step is replaced by the lease that side granted).

The tests share one etcd and one database per module and run in file order,
each under its own key prefix; compaction is last because it cannot be undone.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest

from tests.etcd_server import EtcdServer

pytestmark = pytest.mark.etcd

ROOT = Path(__file__).resolve().parents[2]
MASKED = {"cluster_id", "member_id", "raft_term"}


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: bytes

    @property
    def error(self) -> str:
        """The first ``Error:`` line (etcdctl may add client log lines and usage text)."""
        for line in self.stderr.decode(errors="replace").splitlines():
            if line.startswith("Error:"):
                return line
        return ""

    def json(self) -> Any:
        return json.loads(self.stdout)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


# One long-lived Python process runs ``manage.py etcdctl`` command lines through
# Django's own ManagementUtility (argv parsing, run_from_argv, sys.exit), so
# each step costs milliseconds instead of a Django start-up.
_WORKER = r"""
import base64, io, json, os, sys
import django
django.setup()
from django.core.management import ManagementUtility
requests, replies = sys.stdin.buffer, sys.stdout.buffer
for line in requests:
    request = json.loads(line)
    saved = sys.stdin, sys.stdout, sys.stderr
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(base64.b64decode(request["stdin"])))
    sys.stdout, sys.stderr = io.TextIOWrapper(out), io.TextIOWrapper(err)
    os.environ.update(request["env"])
    try:
        ManagementUtility(["manage.py", "etcdctl", *request["argv"]]).execute()
        code = 0
    except SystemExit as exit:
        code = exit.code or 0
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        written = out.getvalue(), err.getvalue()
        sys.stdin, sys.stdout, sys.stderr = saved
        for name in request["env"]:
            os.environ.pop(name, None)
    reply = {"code": code, "stdout": base64.b64encode(written[0]).decode(),
             "stderr": base64.b64encode(written[1]).decode()}
    replies.write(json.dumps(reply).encode() + b"\n")
    replies.flush()
"""


class KubeViz:
    """``manage.py etcdctl`` on its own fresh SQLite database (migrated by a real
    ``manage.py migrate`` subprocess), run by a worker process or a subprocess."""

    def __init__(self, tmp: Path) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp / 'differential.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "kubeviz.settings.dev",
        }
        self.subprocess("migrate", "--skip-checks", "-v0", manage=True)
        self.worker = subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.env,
            cwd=ROOT,
        )

    def subprocess(self, *args: str, stdin: bytes = b"", manage: bool = False) -> Result:
        """A real ``python manage.py etcdctl …`` process (``manage=True``: any command)."""
        command = list(args) if manage else ["etcdctl", *args]
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *command],
            input=stdin,
            capture_output=True,
            env=self.env,
            cwd=ROOT,
            timeout=60,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def etcdctl(self, *args: str, stdin: bytes = b"", extra_env: dict[str, str] | None = None) -> Result:
        assert self.worker.stdin is not None and self.worker.stdout is not None
        request = {"argv": list(args), "stdin": base64.b64encode(stdin).decode(), "env": extra_env or {}}
        self.worker.stdin.write(json.dumps(request).encode() + b"\n")
        self.worker.stdin.flush()
        reply = json.loads(self.worker.stdout.readline())
        return Result(reply["code"], base64.b64decode(reply["stdout"]), base64.b64decode(reply["stderr"]))

    def close(self) -> None:
        if self.worker.stdin is not None:
            self.worker.stdin.close()
        self.worker.wait(timeout=10)


class Both:
    def __init__(self, etcd: EtcdServer, kubeviz: KubeViz) -> None:
        self.etcd = etcd
        self.kubeviz = kubeviz
        self.leases: dict[str, str] = {"etcd": "", "kubeviz": ""}

    def run(self, *args: str, stdin: bytes = b"") -> tuple[Result, Result]:
        real = self.etcd.etcdctl(*self._for("etcd", args), stdin=self._for_bytes("etcd", stdin))
        ours = self.kubeviz.etcdctl(*self._for("kubeviz", args), stdin=self._for_bytes("kubeviz", stdin))
        return Result(real.returncode, real.stdout, real.stderr), ours

    def same(self, *args: str, stdin: bytes = b"") -> tuple[Any, Any]:
        """Run on both; the outputs must agree once masked. Returns both parsed (json) or raw."""
        real, ours = self.run(*args, stdin=stdin)
        context = f"etcdctl {' '.join(args)}\nreal: {real}\nours: {ours}"
        assert ours.code == real.code, context
        assert ours.error == real.error, context
        if real.code != 0:
            return real, ours
        if "json" in args:
            real_doc, our_doc = mask(real.json()), mask(ours.json())
            assert our_doc == real_doc, context
            return real_doc, our_doc
        assert ours.stdout == real.stdout, context
        return real.stdout, ours.stdout

    def _for(self, side: str, args: tuple[str, ...]) -> list[str]:
        return [a.replace("{lease}", self.leases[side]) for a in args]

    def _for_bytes(self, side: str, data: bytes) -> bytes:
        return data.replace(b"{lease}", self.leases[side].encode())


def mask(document: Any) -> Any:
    """Drop what two honest etcds may disagree on; a lease ID becomes a marker."""
    if isinstance(document, list):
        return [mask(d) for d in document]
    if isinstance(document, dict):
        return {
            k: ("<lease>" if k == "lease" else mask(v)) for k, v in document.items() if k not in MASKED
        }
    return document


def revision(document: dict[str, Any]) -> int:
    return int(document["header"]["revision"])


@pytest.fixture(scope="module")
def both(etcd_server: EtcdServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Both]:
    kubeviz = KubeViz(tmp_path_factory.mktemp("kubeviz"))
    yield Both(etcd_server, kubeviz)
    kubeviz.close()


def test_both_start_empty_at_revision_1_and_agree_through_a_real_subprocess(both: Both) -> None:
    real, _ = both.same("-w", "json", "get", "", "--prefix")
    assert revision(real) == 1
    real_put = both.etcd.etcdctl("put", "/first", "key")
    ours = both.kubeviz.subprocess("put", "/first", "key")
    assert (ours.code, ours.stdout, ours.stderr) == (real_put.returncode, real_put.stdout, b"") == (0, b"OK\n", b"")
    real_get = both.etcd.etcdctl("-w", "json", "get", "/first")
    ours = both.kubeviz.subprocess("-w", "json", "get", "/first")
    assert mask(json.loads(ours.stdout)) == mask(json.loads(real_get.stdout))
    assert revision(json.loads(ours.stdout)) == 2


def test_puts_overwrites_and_reads_at_past_revisions(both: Both) -> None:
    first, _ = both.same("-w", "json", "put", "/p/a", "1")
    both.same("put", "/p/a", "2", "--prev-kv")
    both.same("-w", "json", "put", "/p/a", "3", "--prev-kv")
    both.same("put", "/p/b", "", "-w", "json")  # an empty value is omitted from JSON
    both.same("put", "/p/c/d", "four")
    both.same("put", "/q", "outside")
    both.same("get", "/p/a")
    both.same("-w", "json", "get", "/p/a")
    both.same("-w", "json", "get", "/p/", "--prefix")
    both.same("get", "/p/", "--prefix")
    both.same("get", "/p/", "--prefix", "--keys-only")
    both.same("get", "/p/", "--prefix", "--print-value-only")
    both.same("-w", "json", "get", "/p/", "--prefix", "--limit", "2")
    both.same("-w", "json", "get", "/p/", "--prefix", "--keys-only", "--limit=1")
    both.same("-w", "json", "get", "/p/a", "/p/c")  # explicit range_end
    both.same("-w", "json", "get", "/p/b", "--from-key")
    both.same("-w", "json", "get", "/nope")
    at = revision(first)
    both.same("-w", "json", "get", "/p/", "--prefix", "--rev", str(at))
    both.same("get", "/p/a", f"--rev={at + 1}")
    both.same("-w", "json", "get", "/p/", "--prefix", "--rev", "999")  # a future revision


def test_deletes_by_key_range_and_prefix(both: Both) -> None:
    for key in ("/d/a", "/d/b", "/d/c", "/d/e/f", "/d/g"):
        both.same("put", key, key.upper())
    before, _ = both.same("-w", "json", "get", "/d/", "--prefix")
    both.same("del", "/d/a")
    both.same("del", "/d/zzz")  # nothing to delete: 0, and no new revision
    both.same("-w", "json", "del", "/d/b", "/d/d", "--prev-kv")
    both.same("del", "/d/e", "--prefix", "--prev-kv")
    both.same("-w", "json", "del", "/d/", "--prefix")
    both.same("-w", "json", "get", "/d/", "--prefix")
    both.same("-w", "json", "get", "/d/", "--prefix", "--rev", str(revision(before)))


def test_txn_success_failure_and_reads_inside(both: Both) -> None:
    both.same("put", "/t/k1", "v1")
    script = b'value("/t/k1") = "v1"\n\nput /t/k2 v2\nget /t/k1\ndel /t/none\n\nput /t/k3 v3\n\n'
    both.same("txn", stdin=script)
    both.same("-w", "json", "txn", stdin=script)
    both.same("txn", stdin=b'mod("/t/k1") > "1000"\n\nput /t/k2 x\n\nput /t/k3 "quoted value"\nget /t/k3\n\n')
    both.same(
        "-w", "json", "txn",
        stdin=b'version("/t/k2") = "2"\ncreate("/t/k1") < "1000"\nvalue("/t/missing") != "x"\n\n'
        b"put /t/k1 y --prev-kv\nget /t/ --prefix --keys-only\n\ndel /t/ --prefix --prev-kv\n\n",
    )  # fmt: skip
    both.same("txn", "-i", stdin=b'value("/t/k1") = "y"\n\nput /t/k4 "a b"\n\n\n')
    both.same("-w", "json", "txn", stdin=b"\n\n\n")  # an empty txn succeeds without a revision
    both.same("txn", stdin=b"\nput /t/dup a\nput /t/dup b\n\n\n")  # duplicate key: refused
    both.same("txn", stdin=b'value("/t/k1") = "y"\n\nput /t/k9 v\n')  # no final blank line: EOF
    both.same("-w", "json", "get", "/t/", "--prefix")


def test_leases_attach_keys_and_revoke_deletes_them(both: Both) -> None:
    real, ours = both.run("-w", "json", "lease", "grant", "60")
    for side, granted in (("etcd", real), ("kubeviz", ours)):
        assert granted.code == 0, granted
        assert granted.json()["TTL"] == 60
        both.leases[side] = f"{granted.json()['ID']:x}"
    both.same("put", "/l/a", "1", "--lease={lease}")
    both.same("put", "/l/b", "2", "--lease", "{lease}")
    both.same("put", "/l/c", "3")
    both.same("-w", "json", "get", "/l/", "--prefix")
    real, ours = both.run("-w", "json", "lease", "timetolive", "{lease}", "--keys")
    real_ttl, our_ttl = real.json(), ours.json()
    # etcd lists a lease's keys in map order: compare them as a set.
    assert (our_ttl["granted-ttl"], sorted(our_ttl["keys"])) == (real_ttl["granted-ttl"], sorted(real_ttl["keys"]))
    assert abs(our_ttl["ttl"] - real_ttl["ttl"]) <= 3
    real, ours = both.run("lease", "revoke", "{lease}")
    assert (real.code, ours.code) == (0, 0)
    assert real.stdout.replace(both.leases["etcd"].zfill(16).encode(), b"ID") == ours.stdout.replace(
        both.leases["kubeviz"].zfill(16).encode(), b"ID"
    )
    both.same("-w", "json", "get", "/l/", "--prefix")  # the revoke deleted both keys at one revision
    both.same("lease", "revoke", "{lease}")  # again: not found
    real, ours = both.run("-w", "json", "lease", "timetolive", "{lease}")
    assert (mask(real.json())["ttl"], mask(ours.json())["ttl"]) == (-1, -1)
    both.same("put", "/l/d", "4", "--lease={lease}")  # a revoked lease cannot take keys


def _real_watch(both: Both, args: list[str], events: int, timeout: float = 10) -> list[Any]:
    """Run the real ``etcdctl watch`` until ``events`` events arrived, then stop it."""
    process = subprocess.Popen(
        both.etcd.etcdctl_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ETCDCTL_API": "3"},
    )
    responses: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while sum(len(r["Events"]) for r in responses) < events and time.monotonic() < deadline:
            line = process.stdout.readline() if process.stdout else b""
            if not line:
                break
            responses.append(json.loads(line))
    finally:
        process.kill()
        process.wait()
    return responses


def _watch_both(both: Both, args: list[str], events: int) -> None:
    real = [e for r in _real_watch(both, args, events) for e in r["Events"]]
    ours = both.kubeviz.etcdctl(*args, extra_env={"KUBEVIZ_ETCDCTL_WATCH_EVENTS": str(events)})
    assert ours.code == 0, ours
    assert [mask(e) for r in ours.json_lines() for e in r["Events"]] == [mask(e) for e in real]
    assert len(real) == events


def test_watch_from_a_past_revision_with_and_without_prev_kv(both: Both) -> None:
    start, _ = both.same("-w", "json", "put", "/w/a", "1")
    both.same("put", "/w/a", "2")
    both.same("put", "/w/b", "3")
    both.same("put", "/x/outside", "ignored")
    both.same("del", "/w/a")
    both.same("txn", stdin=b"\nput /w/c 4\nput /w/d 5\ndel /w/b\n\n\n")  # three events, one revision
    rev = str(revision(start))
    _watch_both(both, ["-w", "json", "watch", "/w/", "--prefix", "--rev", rev], 7)
    _watch_both(both, ["-w", "json", "watch", "/w/", "--prefix", "--rev", rev, "--prev-kv"], 7)
    _watch_both(both, ["-w", "json", "watch", "/w/a", "--rev", rev, "--prev-kv"], 3)
    _watch_both(both, ["-w", "json", "watch", "/w/b", "/w/d", "--rev", str(int(rev) + 2)], 3)


def test_the_same_errors_for_the_same_mistakes(both: Both) -> None:
    for args in (
        ["get"],
        ["get", "a", "--prefix", "--from-key"],
        ["get", "a", "b", "--prefix"],
        ["get", "a", "--rev", "abc"],
        ["get", "a", "--limit=x"],
        ["get", "a", "--foo"],
        ["get", "a", "-x"],
        ["get", "a", "-w", "bogus"],
        ["get", "a", "-w", "table"],
        ["put"],
        ["put", "", "v"],
        ["put", "k", "v", "--lease=zz"],
        ["put", "k", "v", "--lease=1234"],
        ["del"],
        ["del", "a", "b", "--from-key"],
        ["txn", "extra"],
        ["watch"],
        ["watch", "a", "b", "--prefix"],
        ["lease", "grant"],
        ["lease", "grant", "abc"],
        ["lease", "revoke"],
        ["lease", "revoke", "zz"],
        ["lease", "revoke", "1234"],
        ["lease", "timetolive"],
        ["lease", "keep-alive", "--once", "1234"],
        ["compaction"],
        ["compaction", "abc"],
        ["compaction", "100000"],
        ["snapshot", "status"],
        ["nosuchcommand"],
    ):
        both.same(*args)
    both.same("put", "k")  # no value and an empty stdin
    both.same("txn", stdin=b"bogus\n\n\n\n")
    both.same("txn", stdin=b'version("k") = "x"\n\n\n\n')
    both.same("txn", stdin=b"\nfrobnicate k\n\n\n")
    both.same("-w", "json", "get", "", "--prefix", "--keys-only")  # and nothing changed


def test_put_reads_its_value_from_stdin(both: Both) -> None:
    both.same("put", "/s/a", stdin=b"from stdin\n")
    both.same("-w", "json", "get", "/s/a")
    both.same("--hex", "get", "/s/a")


def test_compaction_then_reads_and_watches_below_it(both: Both) -> None:
    for value in ("1", "2", "3"):
        both.same("put", "/c/k", value)
    now, _ = both.same("-w", "json", "get", "/c/k")
    compact_at = revision(now) - 1
    both.same("compaction", str(compact_at))
    both.same("compaction", str(compact_at))  # already compacted
    both.same("compaction", "--physical", str(compact_at - 1))
    both.same("-w", "json", "get", "/c/k", "--rev", str(compact_at - 1))
    both.same("-w", "json", "get", "/c/k", "--rev", str(compact_at))
    both.same("-w", "json", "get", "", "--prefix", "--rev", str(compact_at))  # every key survives
    real, ours = both.run("-w", "json", "watch", "/c/k", "--rev", str(compact_at - 1))
    assert (ours.code, ours.error) == (real.code, real.error) == (5, "Error: watch is canceled by the server")
    assert mask(ours.json()) == mask(real.json())
    assert b"watch was canceled (etcdserver: mvcc: required revision has been compacted)" in ours.stderr
    _watch_both(both, ["-w", "json", "watch", "/c/k", "--rev", str(compact_at), "--prev-kv"], 2)
