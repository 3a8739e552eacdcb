"""A writer in its own OS process.

``python -m cluster.bench.writer PREFIX COUNT`` puts COUNT keys under PREFIX
into the store of ``DATABASE_URL`` (one revision each) and prints the
revisions it got, one a line; the store tests start a few beside writer
threads to check that revisions stay gap-free across processes.

``python -m cluster.bench.writer PREFIX --for SECONDS --start-at EPOCH`` puts
as fast as it can for SECONDS from the wall-clock instant EPOCH (so several
processes start together after their imports) and prints how many it put;
the bench's multi-process figure. A module, not a management command, so it
starts quickly.
"""
from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cluster.bench.writer")
    parser.add_argument("prefix")
    parser.add_argument("count", nargs="?", type=int, default=0)
    parser.add_argument("--for", dest="seconds", type=float, default=0.0)
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kubeviz.settings.dev")
    import django

    django.setup()
    from cluster.store import Store

    store, prefix = Store(), args.prefix.encode()
    if not args.seconds:
        revisions = [store.put(prefix + b"%06d" % i, b"v%d" % i).revision for i in range(args.count)]
        sys.stdout.write("".join(f"{r}\n" for r in revisions))
        return 0
    from .workload import VALUE

    time.sleep(max(0.0, args.start_at - time.time()))  # line up with the other writers
    n, deadline = 0, time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        store.put(prefix + b"%08d" % n, VALUE)
        n += 1
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
