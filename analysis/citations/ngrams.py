"""Hashed word n-grams: the keys of the index and the seeds of alignment.

Each word is hashed once with xxHash (XXH3, 64 bits); the hash of an n-gram is a polynomial
combination of its words' hashes computed for all positions at once with numpy (unsigned
64-bit arithmetic wraps, as the polynomial needs). Of the result the index keeps 31 bits (bits
32-62): SQLite stores an integer below 2**31 in 4 bytes rather than 8, a quarter off every row
of the index. Archives indexed with the 63-bit values (bits 0-62) were rewritten with
``hash >> 32`` (``storage.schema``). Distinct n-grams share a value more often at 31 bits, so
alignment checks the words of every seed (``analysis.citations.align``).
"""

from __future__ import annotations

import numpy as np
import xxhash

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (the golden ratio)
_SHIFT = np.uint64(32)
_MASK31 = np.uint64((1 << 31) - 1)


def word_hashes(words: list[str]) -> np.ndarray:
    return np.fromiter(
        (xxhash.xxh3_64_intdigest(word) for word in words), dtype=np.uint64, count=len(words)
    )


def ngram_hashes(words: list[str], n: int, hashed: np.ndarray | None = None) -> np.ndarray:
    """Hash of the n-gram starting at each position (``len(words) - n + 1`` values in
    ``[0, 2**31)``, int64)."""
    if len(words) < n:
        return np.zeros(0, dtype=np.int64)
    hashed = word_hashes(words) if hashed is None else hashed
    count = len(words) - n + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(n):
            combined = combined * _MULTIPLIER + hashed[offset : offset + count]
        combined ^= combined >> np.uint64(29)
    return ((combined >> _SHIFT) & _MASK31).astype(np.int64)
