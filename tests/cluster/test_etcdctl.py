"""``manage.py etcdctl`` on its own: formats, bad input, and that a refused command changes nothing."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cluster.etcdctl import run
from cluster.etcdctl.flags import parse_int
from cluster.etcdctl.printers import human_bytes
from cluster.etcdctl.txn import argify, go_unquote


@dataclass
class Out:
    code: int
    stdout: bytes
    stderr: str


def ctl(*argv: str, stdin: bytes = b"") -> Out:
    out, err = io.BytesIO(), io.BytesIO()
    code = run(list(argv), io.BytesIO(stdin), out, err)
    return Out(code, out.getvalue(), err.getvalue().decode())


def test_put_get_del_simple_output(store) -> None:
    assert ctl("put", "foo", "bar").stdout == b"OK\n"
    assert ctl("put", "foo", "baz", "--prev-kv").stdout == b"OK\nfoo\nbar\n"
    assert ctl("get", "foo").stdout == b"foo\nbaz\n"
    assert ctl("get", "foo", "--print-value-only").stdout == b"baz\n"
    assert ctl("get", "f", "--prefix", "--keys-only").stdout == b"foo\n\n"
    assert ctl("get", "f", "--prefix", "--count-only").stdout == b"1\n"
    assert ctl("--hex", "get", "foo").stdout == b"\\x66\\x6f\\x6f\n\\x62\\x61\\x7a\n"
    assert ctl("del", "foo", "--prev-kv").stdout == b"1\nfoo\nbaz\n"
    assert ctl("del", "foo").stdout == b"0\n"


def test_json_shape_omits_zero_fields(store) -> None:
    ctl("put", "a", "1")
    ctl("put", "b", "")
    document = json.loads(ctl("-w", "json", "get", "", "--prefix", "--limit", "1").stdout)
    assert set(document["header"]) == {"cluster_id", "member_id", "revision", "raft_term"}
    assert document["kvs"] == [{"key": "YQ==", "create_revision": 2, "mod_revision": 2, "version": 1, "value": "MQ=="}]
    assert (document["more"], document["count"]) == (True, 2)
    assert list(document) == ["header", "kvs", "more", "count"]
    empty = json.loads(ctl("-w", "json", "get", "b").stdout)
    assert "value" not in empty["kvs"][0]
    assert list(json.loads(ctl("-w", "json", "get", "nope").stdout)) == ["header"]


def test_put_takes_the_value_from_stdin(store) -> None:
    assert ctl("put", "k", stdin=b"line\n").code == 0
    assert store.get(b"k").value == b"line\n"


def test_txn_interactive_prompts_and_result(store) -> None:
    result = ctl("txn", "-i", stdin=b'value("k") = "v"\n\nput k v\n\nput k w\nget k\n\n')
    assert result.stdout == (
        b"compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n"
        b"FAILURE\n\nOK\n\nk\nw\n"
    )


def test_lease_lifecycle(store) -> None:
    granted = ctl("lease", "grant", "30").stdout.decode()
    lease = granted.split()[1]
    assert granted == f"lease {lease} granted with TTL(30s)\n"
    assert ctl("put", "lk", "v", f"--lease={lease}").code == 0
    assert ", attached keys([lk])" in ctl("lease", "timetolive", lease, "--keys").stdout.decode()
    assert ctl("lease", "list").stdout.decode() == f"found 1 leases\n{lease}\n"
    assert ctl("lease", "keep-alive", "--once", lease).stdout.decode() == f"lease {lease} keepalived with TTL(30)\n"
    assert ctl("lease", "revoke", lease).stdout.decode() == f"lease {lease} revoked\n"
    assert store.get(b"lk") is None
    assert ctl("lease", "timetolive", lease).stdout.decode() == f"lease {lease} already expired\n"


def test_watch_stops_after_the_kubeviz_only_event_limit(store, monkeypatch) -> None:
    ctl("put", "w", "1")
    ctl("del", "w")
    monkeypatch.setenv("KUBEVIZ_ETCDCTL_WATCH_EVENTS", "2")
    assert ctl("watch", "w", "--rev", "2", "--prev-kv").stdout == b"PUT\nw\n1\nDELETE\nw\n1\nw\n\n"
    monkeypatch.delenv("KUBEVIZ_ETCDCTL_WATCH_EVENTS")
    monkeypatch.setenv("KUBEVIZ_ETCDCTL_WATCH_IDLE", "0.3")
    assert ctl("watch", "nothing").stdout == b""


def test_compaction_and_endpoint_status(store) -> None:
    for value in "123":
        ctl("put", "c", value)
    assert ctl("compaction", "3").stdout == b"compacted revision 3\n"
    assert ctl("get", "c", "--rev", "2").stderr == "Error: etcdserver: mvcc: required revision has been compacted\n"
    status = ctl("endpoint", "status").stdout.decode()
    assert status.startswith("127.0.0.1:2379, ") and ", true, false, 1, 4, 4, \n" in status
    table = ctl("endpoint", "status", "-w", "table").stdout.decode().splitlines()
    assert table[1].startswith("|    ENDPOINT    |") and len({len(line) for line in table}) == 1


def test_snapshot_save_status_restore(store, tmp_path) -> None:
    ctl("put", "s", "1")
    path = str(tmp_path / "snap.db")
    assert ctl("snapshot", "save", path).stdout == f"Snapshot saved at {path}\n".encode()
    status = json.loads(ctl("-w", "json", "snapshot", "status", path).stdout)
    assert list(status) == ["hash", "revision", "totalKey", "totalSize"] and status["revision"] == 2
    ctl("put", "s", "2")
    assert ctl("snapshot", "restore", path) == Out(0, b"", "")
    assert store.get(b"s").value == b"1"
    missing = ctl("snapshot", "status", str(tmp_path / "nope.db"))
    assert missing.code == 1 and missing.stderr.startswith("Error: ") and missing.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "stdin", "code", "error"),
    [
        (["get"], b"", 128, "get command needs one argument as key and an optional argument as range_end"),
        (["get", "a", "--foo"], b"", 1, "unknown flag: --foo"),
        (["get", "a", "-x"], b"", 1, "unknown shorthand flag: 'x' in -x"),
        (["get", "a", "--rev"], b"", 1, "flag needs an argument: --rev"),
        (["get", "a", "--rev", "x"], b"", 1,
         'invalid argument "x" for "--rev" flag: strconv.ParseInt: parsing "x": invalid syntax'),
        (["get", "a", "--prefix=maybe"], b"", 1,
         'invalid argument "maybe" for "--prefix" flag: strconv.ParseBool: parsing "maybe": invalid syntax'),
        (["get", "a", "-w", "yaml"], b"", 4, "unsupported output format"),
        (["put", "a", "1", "-w", "table"], b"", 4, "table not supported as output format"),
        (["put", "a"], b"", 128, "put command needs 1 argument and input from stdin or 2 arguments"),
        (["put", "", "v"], b"", 1, "etcdserver: key is not provided"),
        (["put", "a", "1", "--lease=zz"], b"", 128,
         'bad lease ID (strconv.ParseInt: parsing "zz": invalid syntax), expecting ID in Hex'),
        (["put", "a", "1", "--lease=abc"], b"", 1, "etcdserver: requested lease not found"),
        (["del", "a", "b", "--prefix"], b"", 128,
         "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"),
        (["txn"], b"\nput a 1\n", 3, "EOF"),
        (["txn"], b"bogus\n\n\n\n", 3, "malformed comparison: bogus"),
        (["txn"], b'mod("a") > "x"\n\n\n\n', 3, 'invalid txn compare request: mod("a") > "x"'),
        (["txn"], b"\nput a 1\nput a 2\n\n\n", 1, "etcdserver: duplicate key given in txn request"),
        (["txn"], b"\nput a 1 --nope\n\n\n", 3, "invalid txn request: put a 1 --nope"),
        (["watch"], b"", 128, "bad number of arguments"),
        (["watch", "a", "--rev", "-1x"], b"", 1,
         'invalid argument "-1x" for "--rev" flag: strconv.ParseInt: parsing "-1x": invalid syntax'),
        (["lease", "grant", "abc"], b"", 128, 'bad TTL (strconv.ParseInt: parsing "abc": invalid syntax)'),
        (["lease", "revoke", "ab"], b"", 1, "failed to revoke lease (etcdserver: requested lease not found)"),
        (["lease", "frob"], b"", 1, 'unknown command "frob" for "etcdctl lease"'),
        (["compaction", "9"], b"", 1, "etcdserver: mvcc: required revision is a future revision"),
        (["compaction", "0"], b"", 1, "etcdserver: mvcc: required revision has been compacted"),
        (["compaction", "1e3"], b"", 1, 'strconv.ParseInt: parsing "1e3": invalid syntax'),
        (["snapshot", "save"], b"", 128, "snapshot save expects one argument"),
        (["frob"], b"", 1, 'unknown command "frob" for "etcdctl"'),
    ],
)  # fmt: skip
def test_bad_input_is_one_error_line_and_changes_nothing(store, argv, stdin, code, error) -> None:
    ctl("put", "keep", "me")
    before = store.range(b"\0", b"\0")
    result = ctl(*argv, stdin=stdin)
    assert (result.code, result.stderr, result.stdout) == (code, f"Error: {error}\n", b"")
    assert store.range(b"\0", b"\0") == before


def test_a_missing_database_table_is_an_error_line_not_a_traceback(store, monkeypatch) -> None:
    from cluster.store import Store

    def broken(self, *args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(Store, "range", broken)
    result = ctl("get", "a")
    assert (result.code, result.stderr) == (1, "Error: RuntimeError: database is locked\n")


def test_call_command_and_help(store, capsys) -> None:
    out = io.StringIO()
    call_command("etcdctl", "put", "cc", "v", stdout=out)
    call_command("etcdctl", "-w", "json", "get", "cc", stdout=out)
    assert out.getvalue().startswith("OK\n{")
    with pytest.raises(CommandError) as failed:
        call_command("etcdctl", "get", stdout=io.StringIO())
    assert failed.value.returncode == 128
    assert ctl("--help").stdout.startswith(b"NAME:\n\tetcdctl")


def test_helpers_follow_go() -> None:
    assert argify('put "a b" \'c d\' e "x\\ny"') == ["put", "a b", "c d", "e", "x\ny"]
    assert go_unquote(r"\x41\101\u00e9\t") == b"AA\xc3\xa9\t"
    assert parse_int("0x10", base=0) == 16 and parse_int("ff", base=16) == 255
    with pytest.raises(ValueError, match="value out of range"):
        parse_int("9223372036854775808")
    assert [human_bytes(n) for n in (5, 24576, 1_500_000)] == ["5 B", "25 kB", "1.5 MB"]
