"""Key ranges the way etcd spells them."""
from __future__ import annotations


def prefix_end(prefix: bytes) -> bytes:
    """The ``range_end`` that makes ``[prefix, range_end)`` cover every key with
    the prefix: the prefix with its last byte below 0xff incremented
    (``clientv3.GetPrefixRangeEnd``). An all-0xff prefix means "to the end"."""
    end = bytearray(prefix)
    for i in range(len(end) - 1, -1, -1):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return b"\0"


def in_range(key: bytes, start: bytes, range_end: bytes | None) -> bool:
    """Whether ``key`` falls in etcd's interval ``[start, range_end)``; ``None``
    means the single key ``start`` and ``b"\\0"`` means every key from ``start``."""
    if range_end is None:
        return key == start
    if range_end == b"\0":
        return key >= start
    return start <= key < range_end
