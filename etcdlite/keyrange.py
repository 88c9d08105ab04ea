"""Key-range arithmetic of the etcd v3 API: [key, range_end) with etcd's
conventions ("\\0" = to the end, prefix end = last byte + 1). Pure functions used
by the store, the watch hub and the client."""

from __future__ import annotations

ALL_KEYS = b"\x00"


def prefix_end(prefix: bytes) -> bytes:
    """The range_end that selects every key starting with `prefix` ("a" -> "b")."""
    end = bytearray(prefix)
    for i in range(len(end) - 1, -1, -1):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return ALL_KEYS  # every byte is 0xff: no upper bound


def in_range(candidate: bytes, key: bytes, range_end: bytes) -> bool:
    """Whether `candidate` is selected by (key, range_end) under etcd's rules."""
    if not range_end:
        return candidate == key
    if range_end == ALL_KEYS:
        return candidate >= key
    return key <= candidate < range_end


def bounds(key: bytes, range_end: bytes) -> tuple[bytes, bytes | None, bool]:
    """(min key, max key or None for unbounded, whether max is inclusive)."""
    if not range_end:
        return key, key, True
    if range_end == ALL_KEYS:
        return key, None, False
    return key, range_end, False
