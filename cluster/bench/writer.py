"""A writer in its own OS process: ``python -m cluster.bench.writer PREFIX COUNT``.

Puts COUNT keys under PREFIX into the store of ``DATABASE_URL`` (one revision
each) and prints the revisions it got, one a line. The store tests start a few
of these beside writer threads to check that revisions stay gap-free across
processes; it is a module, not a management command, so it starts quickly.
"""
from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    prefix, count = argv[0].encode(), int(argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kubeviz.settings.dev")
    import django

    django.setup()
    from cluster.store import Store

    store = Store()
    revisions = [store.put(prefix + b"%06d" % i, b"v%d" % i).revision for i in range(count)]
    sys.stdout.write("".join(f"{r}\n" for r in revisions))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
