"""The citation index's (n-gram hash, readout) pairs, packed by hash bucket.

A readout's 4-grams are as many as its words, and a ``WITHOUT ROWID`` row per pair cost some
13.6 bytes (4 of hash, 2 of readout id, the rest SQLite's cell and page overhead): more than
the Russian text itself on disk, two and a half times the English. One row per *bucket* of
hashes holds its pairs in 4 bytes each (6 once readout ids pass 65,535). Indexing rewrites each
bucket it adds to and a lookup decodes its buckets whole, so buckets are kept small: when they
hold more than ``SPLIT_AT`` pairs on average, each is split (the shift falls by one or more)
and the index rewritten once, so a bucket's size stays put as the archive grows. Readouts
number thousands, articles millions: the articles' n-grams (``citation_article_ngrams``) keep a
row per pair.

The format, for tools that read the archive: in ``citation_postings``, ``bucket`` is
``hash >> S``, where S is 16 less the ``job_state`` value ``citations.postings_splits`` (0 when
absent); ``postings`` is one byte W (2 or 4, the width of the readout ids), then n
little-endian ``uint16`` (each hash's low S bits), then n little-endian unsigned W-byte readout
ids; the pairs are sorted by hash, then readout, and each is held once.
``hash = bucket << S | low``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np

from storage.database import ArchiveError
from storage.job_state import get_text_state, set_state

TABLE = "citation_postings"
# The bytes whatever their type: a hand edit can leave TEXT that is no UTF-8 (``postings || x'00'``)
_BLOB = "CAST(p.postings AS BLOB)"
SPLITS = "citations.postings_splits"  # job_state: times the buckets were split
FIRST_SHIFT = 16  # 32,768 buckets of 31-bit hashes; the low bits fit a uint16
LAST_SHIFT = 4
SPLIT_AT = 32  # pairs a bucket holds on average before the buckets are split


def create_table(db: Any, name: str = TABLE) -> None:
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {name} (bucket INTEGER PRIMARY KEY, postings BLOB NOT NULL)"
    )


def current_shift(db: Any) -> int:
    value = get_text_state(db, SPLITS)
    splits = int(value) if value is not None and value.isdigit() else -1 if value else 0
    if not 0 <= splits <= FIRST_SHIFT - LAST_SHIFT:
        raise DamagedPostings(
            f"{TABLE} cannot be read: job_state {SPLITS} is {value!r}, not a count of splits"
            f" from 0 to {FIRST_SHIFT - LAST_SHIFT}; `readouts citations --rebuild-index`"
            " rebuilds the citation index"
        )
    shift = FIRST_SHIFT - splits
    first, last = db.execute(  # a seek each
        f"SELECT (SELECT min(bucket) FROM {TABLE}), (SELECT max(bucket) FROM {TABLE})"
    ).fetchone()
    if last is not None and not 0 <= first <= last < 1 << (31 - shift):
        raise DamagedPostings(
            f"{TABLE} cannot be read: it holds bucket {last if last > 0 else first}, which"
            " 31-bit hashes split"
            f" {splits} times cannot make (job_state {SPLITS} lost or changed?);"
            " `readouts citations --rebuild-index` rebuilds the citation index"
        )
    return shift


def shift_for(pairs: int) -> int:
    """The shift that keeps buckets of ``pairs`` pairs at ``SPLIT_AT`` or fewer on average."""
    shift = FIRST_SHIFT
    while shift > LAST_SHIFT and pairs > SPLIT_AT * (1 << (31 - shift)):
        shift -= 1
    return shift


def set_shift(db: Any, shift: int) -> None:
    if shift == FIRST_SHIFT:
        db.execute("DELETE FROM job_state WHERE name = ?", [SPLITS])
    else:
        set_state(db, SPLITS, FIRST_SHIFT - shift)


def clear(db: Any) -> None:
    db.execute(f"DELETE FROM {TABLE}")
    set_shift(db, FIRST_SHIFT)


class DamagedPostings(ArchiveError):
    """A stored bucket that does not decode: only rebuilding the index mends it. An
    ``ArchiveError``, so a command stops on it with one line, not a traceback."""

    reason = "the citation index is damaged"


def decoded(rows: list[tuple[int, bytes]], shift: int) -> np.ndarray:
    """The pairs of stored (bucket, postings) rows, in row order: an array of shape (k, 2).
    All rows are decoded at once (an article's lookup reads a thousand buckets)."""
    if not rows:
        return np.zeros((0, 2), dtype=np.int64)
    buckets, blobs = zip(*rows)
    layout = _Layout(np.array(buckets, dtype=np.int64), blobs)
    if layout.damaged:
        raise DamagedPostings(layout.damaged[0][1])
    return layout.pairs(shift)


def packed(pairs: np.ndarray, shift: int) -> list[tuple[int, bytes]]:
    """(bucket, postings) rows of sorted, distinct (hash, readout) pairs."""
    if not len(pairs):
        return []
    hashes, readouts = pairs[:, 0], pairs[:, 1]
    buckets = hashes >> shift
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    counts = np.diff(np.r_[starts, len(pairs)])
    widths = np.where(np.maximum.reduceat(readouts, starts) > 0xFFFF, 4, 2)
    sizes = 1 + counts * (2 + widths)
    offsets = np.r_[0, np.cumsum(sizes)]
    out = np.zeros(offsets[-1], dtype=np.uint8)
    out[offsets[:-1]] = widths
    row = np.repeat(np.arange(len(starts)), counts)
    at = np.arange(len(pairs)) - starts[row]  # each pair's place in its bucket
    low_at = offsets[row] + 1 + 2 * at
    readout_at = offsets[row] + 1 + 2 * counts[row] + widths[row] * at
    for byte in range(4):
        if byte < 2:
            out[low_at + byte] = ((hashes & ((1 << shift) - 1)) >> (8 * byte)) & 0xFF
        wide = widths[row] > byte
        out[readout_at[wide] + byte] = (readouts[wide] >> (8 * byte)) & 0xFF
    data = out.tobytes()
    return [
        (bucket, data[a:b])
        for bucket, a, b in zip(
            buckets[starts].tolist(), offsets[:-1].tolist(), offsets[1:].tolist()
        )
    ]


class _Layout:
    """Where each stored row's width, low halves and readout ids lie in the rows joined."""

    def __init__(self, buckets: np.ndarray, blobs: tuple[bytes, ...]) -> None:
        self.buckets = buckets
        blobs = tuple(b if isinstance(b, bytes) else b"" for b in blobs)
        self.data = np.frombuffer(b"".join(blobs) + bytes(4), dtype=np.uint8)
        sizes = np.array([len(b) for b in blobs], dtype=np.int64)
        self.offsets = np.r_[0, np.cumsum(sizes)[:-1]]
        self.widths = np.where(sizes > 0, self.data[self.offsets], 0).astype(np.int64)
        self.counts = (sizes - 1) // np.maximum(2 + self.widths, 1)
        whole = np.isin(self.widths, (2, 4)) & (sizes == 1 + self.counts * (2 + self.widths))
        self.damaged = [
            (bucket, _why(bucket, size, width))
            for bucket, size, width in zip(
                buckets[~whole].tolist(), sizes[~whole].tolist(), self.widths[~whole].tolist()
            )
        ]

    def pairs(self, shift: int) -> np.ndarray:
        counts = self.counts
        row = np.repeat(np.arange(len(counts)), counts)
        at = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
        low_at = self.offsets[row] + 1 + 2 * at
        width = self.widths[row]
        readout_at = self.offsets[row] + 1 + 2 * counts[row] + width * at
        pairs = np.empty((len(row), 2), dtype=np.int64)
        pairs[:, 0] = (self.buckets[row] << shift) | self._bytes(low_at, 2)
        pairs[:, 1] = self._bytes(readout_at, 2)
        wide = width == 4
        pairs[wide, 1] |= self._bytes(readout_at[wide] + 2, 2) << 16
        return pairs

    def _bytes(self, at: np.ndarray, count: int) -> np.ndarray:
        """The little-endian numbers of ``count`` bytes at these offsets."""
        value = self.data[at].astype(np.int64)
        for byte in range(1, count):
            value |= self.data[at + byte].astype(np.int64) << (8 * byte)
        return value


def _why(bucket: int, size: int, width: int) -> str:
    if width not in (2, 4):
        return f"bucket {bucket} holds no postings"
    return f"bucket {bucket} holds {size} bytes, not whole pairs of width {width}"


def pairs_for(db: Any, hashes: np.ndarray) -> np.ndarray:
    """The stored (hash, readout) pairs of these hashes, sorted: an array of shape (k, 2)."""
    wanted = np.unique(np.asarray(hashes, dtype=np.int64))
    if not len(wanted):
        return np.zeros((0, 2), dtype=np.int64)
    shift = current_shift(db)
    pairs = pairs_in_buckets(db, buckets_of(wanted, shift), shift)
    found = np.searchsorted(wanted, pairs[:, 0]).clip(max=len(wanted) - 1)
    return pairs[wanted[found] == pairs[:, 0]]


def all_pairs(db: Any) -> np.ndarray:
    """Every stored pair, sorted: an array of shape (k, 2)."""
    parts = list(_all_pairs_in_chunks(db, current_shift(db)))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def add_pairs(
    db: Any, pairs: np.ndarray, shift: int | None = None, held: np.ndarray | None = None
) -> None:
    """Store these (hash, readout) pairs, merged into their buckets (a pair held already is kept
    once). ``held``: every stored pair of those buckets, when the caller has read them
    (``pairs_in_buckets``) in this transaction. The caller owns the transaction: each bucket is
    read, then written whole."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return
    if pairs[:, 1].min() < 0 or pairs[:, 1].max() > 0xFFFFFFFF:
        raise ValueError("readout ids must fit in 32 bits")
    shift = current_shift(db) if shift is None else shift
    if held is None:
        held = pairs_in_buckets(db, buckets_of(pairs[:, 0], shift), shift)
    merged = np.concatenate([held, pairs])
    merged = merged[np.lexsort((merged[:, 1], merged[:, 0]))]
    first = np.r_[True, (merged[1:] != merged[:-1]).any(axis=1)]  # each pair once
    db.executemany(
        f"INSERT INTO {TABLE} (bucket, postings) VALUES (?, ?)"
        " ON CONFLICT (bucket) DO UPDATE SET postings = excluded.postings",
        packed(merged[first], shift),
    )


def buckets_of(hashes: np.ndarray, shift: int) -> np.ndarray:
    """The buckets these hashes fall in, sorted."""
    return np.unique(np.asarray(hashes, dtype=np.int64) >> shift)


def pairs_in_buckets(db: Any, buckets: np.ndarray, shift: int) -> np.ndarray:
    """Every stored pair of these buckets (sorted), sorted."""
    # A join, not ``IN``: the buckets are sorted already, and ``IN`` would copy them into a
    # temporary B-tree first.
    rows = db.execute(
        f"SELECT p.bucket, {_BLOB} FROM json_each(?) j JOIN {TABLE} p ON p.bucket = j.value",
        [json.dumps(np.asarray(buckets).tolist())],
    ).fetchall()
    return _joined(rows, shift)


def split_if_crowded(db: Any, shift: int, held: int, touched: int, added: int) -> None:
    """Split the buckets when they hold more than ``SPLIT_AT`` pairs on average, estimated
    from a batch: the ``held`` pairs the ``touched`` buckets held before it (a fair sample,
    hashes being uniform), and the pairs it ``added``. The whole index is rewritten once, in
    the caller's transaction."""
    buckets = 1 << (31 - shift)
    target = shift_for(int(buckets * held / max(touched, 1)) + added)
    if target < shift:
        conn = getattr(db, "conn", db)
        create_table(conn, f"{TABLE}_split")
        for pairs in _all_pairs_in_chunks(conn, shift):  # an old bucket splits into whole new ones
            conn.executemany(f"INSERT INTO {TABLE}_split VALUES (?, ?)", packed(pairs, target))
        conn.execute(f"DROP TABLE {TABLE}")
        conn.execute(f"ALTER TABLE {TABLE}_split RENAME TO {TABLE}")
        set_shift(conn, target)


def packed_stream(
    rows: Iterable[tuple[int, int]], shift: int, chunk: int = 200_000
) -> Iterator[tuple]:
    """``packed`` for (hash, readout) rows read in key order from a cursor, without holding them
    all: a bucket is written once the rows have moved past it."""
    rows = iter(rows)
    carry = np.zeros((0, 2), dtype=np.int64)
    while True:
        block = list(islice(rows, chunk))
        pairs = np.concatenate([carry, np.array(block, dtype=np.int64).reshape(-1, 2)])
        if not block:
            yield from packed(pairs, shift)
            return
        last = pairs[-1, 0] >> shift
        complete = (pairs[:, 0] >> shift) < last
        yield from packed(pairs[complete], shift)
        carry = pairs[~complete]


def damaged_buckets(db: Any) -> list[tuple[int, str]]:
    """The buckets that do not decode, are no BLOB, or hold their pairs out of order or twice
    (lookups would still read them, but the index's snapshot and the cap rely on the order),
    each with why."""
    rows = db.execute(f"SELECT bucket, {_BLOB}, typeof(postings) FROM {TABLE} p").fetchall()
    if not rows:
        return []
    buckets, blobs, types = zip(*rows)
    layout = _Layout(np.array(buckets, dtype=np.int64), blobs)
    why = dict(layout.damaged)
    for bucket, kind in zip(buckets, types):
        if kind != "blob":
            why.setdefault(bucket, f"bucket {bucket} holds {kind}, not a BLOB")
    if not why:  # whole rows only: their pairs, in order, once each
        row = np.repeat(np.arange(len(buckets)), layout.counts)
        pairs = layout.pairs(FIRST_SHIFT)  # the order within a bucket does not need the shift
        keys = (pairs[:, 0] << 32) | pairs[:, 1]
        unordered = (keys[1:] <= keys[:-1]) & (row[1:] == row[:-1])
        for at in np.unique(row[1:][unordered]).tolist():
            why[buckets[at]] = f"bucket {buckets[at]} holds its pairs out of order or twice"
    return sorted(why.items())


def _all_pairs_in_chunks(db: Any, shift: int) -> Iterator[np.ndarray]:
    cursor = db.execute(f"SELECT bucket, {_BLOB} FROM {TABLE} p ORDER BY bucket")
    for rows in iter(lambda: cursor.fetchmany(4096), []):
        yield _joined(rows, shift)


def _joined(rows: list[tuple[int, bytes]], shift: int) -> np.ndarray:
    try:
        return decoded(rows, shift)
    except DamagedPostings as error:
        raise DamagedPostings(
            f"{TABLE} {error}: the citation index is damaged;"
            " `readouts citations --rebuild-index` rebuilds it"
        ) from error
