"""Damage done to a sealed cache file (``rgpd.cache.write_sealed``) by the tests of each
cache that uses the layout: every kind must make the reader build it again."""

from __future__ import annotations

DAMAGES = ["truncate", "flip", "empty", "garbage", "other-key"]


def damaged(data: bytes, how: str, header: bytes) -> bytes:
    """``data`` cut in half, with one bit flipped, emptied, replaced by zeros, or with the
    key after ``header`` changed (built from other sources, another model or Python)."""
    if how == "truncate":
        return data[: len(data) // 2]
    if how == "flip":
        i = len(data) // 3
        return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
    if how == "empty":
        return b""
    if how == "garbage":
        return b"\x00" * 1000
    if how == "other-key":
        head = len(header)
        return data[:head] + bytes(b ^ 0xFF for b in data[head : head + 32]) + data[head + 32 :]
    raise ValueError(how)
