"""Resident memory of a process tree, read from /proc (Linux)."""
from __future__ import annotations

import os
from pathlib import Path


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and every descendant still alive."""
    seen, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo += _children(current)
    return seen


def rss_bytes(pid: int) -> int:
    """VmRSS of one process; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss_bytes(pid: int) -> int:
    return sum(rss_bytes(p) for p in tree(pid))


def own_rss_bytes() -> int:
    return rss_bytes(os.getpid())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in tree(pid))
