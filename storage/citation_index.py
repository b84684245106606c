"""The inverted index of rare word n-grams over readouts, kept in SQLite.

The index holds (n-gram hash, readout) pairs, packed by hash bucket in ``citation_postings``
(``storage.citation_postings``): all versions of a readout share its pairs, so an article
quoting words a readout has since dropped still finds it. Boilerplate is kept out by document
frequency: once an n-gram is in more than ``max_readouts_per_ngram`` readouts it takes no
further pairs (its ``max + 1`` pairs mark it as common) and lookups ignore it. The index is
derived data: ``rebuild`` recreates it from ``versions`` at any time, and
``citation_indexed_versions`` records which readout versions it holds.

A lookup is one query per article (the buckets of its n-gram hashes passed as one JSON array);
indexing a batch of readout versions reads and rewrites the buckets its n-grams fall in.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.citations.candidates import rank_candidates
from analysis.citations.links import url_key
from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import Words, index_hashes
from storage.citation_postings import (
    add_pairs,
    all_pairs,
    buckets_of,
    current_shift,
    pairs_for,
    pairs_in_buckets,
    split_if_crowded,
)
from storage.citation_postings import clear as clear_postings
from storage.timeutil import utc_now

logger = logging.getLogger(__name__)
SLICE_BUCKETS = 16_384  # read and rewritten at once: some 500,000 pairs at 32 a bucket


def index_version(
    db: Any,
    readout_id: int,
    version_id: int | None,
    text: str,
    url: str | None = None,
    params: Params = DEFAULT,
) -> int:
    """Add one readout version's n-grams; return the number of new rows (``index_versions``
    for one version; the benchmarks index readouts that are not stored as versions)."""
    added = index_versions(
        db, [{"id": version_id, "document_id": readout_id, "text": text, "url": url}], params
    )
    return len(added.pairs)


@dataclass
class Added:
    """What indexing a batch of readout versions added: the new (n-gram, readout) rows, and the
    readouts whose URL is new to the index."""

    pairs: list[tuple[int, int]] = field(default_factory=list)
    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # pairs' hashes
    url_keys: list[tuple[str, int]] = field(default_factory=list)


def index_versions(db: Any, rows: list[dict[str, Any]], params: Params = DEFAULT) -> Added:
    """Add a batch of readout versions (``id``, ``document_id``, ``text``, ``url``).

    The n-grams of the whole batch are hashed together and compared with the index: an n-gram
    takes a pair for a readout only while fewer than ``max + 1`` readouts have one (readouts of
    the batch count in version order). The buckets the batch falls in are read and rewritten a
    slice of ``SLICE_BUCKETS`` at a time, so a backfill's batch holds a slice of the index in
    memory, not all of it. ``db`` is a sqlite-utils Database or a sqlite3 connection; the
    caller owns the transaction.
    """
    conn = getattr(db, "conn", db)
    per_row = [index_hashes(row["text"] or "", params.index_n) for row in rows]
    hashes = np.concatenate(per_row) if per_row else np.zeros(0, dtype=np.int64)
    readouts = np.repeat([row["document_id"] for row in rows], [len(h) for h in per_row])
    added = Added()
    shift = current_shift(conn)
    touched = buckets_of(hashes, shift)
    new, stored_before = [], 0
    for part in np.array_split(touched, -(-len(touched) // SLICE_BUCKETS)) if len(touched) else []:
        inside = (hashes >> shift >= part[0]) & (hashes >> shift <= part[-1])
        stored = pairs_in_buckets(conn, part, shift)  # read once, for both
        admitted = np.stack(
            _admitted(hashes[inside], readouts[inside], stored, params.max_readouts_per_ngram + 1),
            axis=1,
        )
        add_pairs(conn, admitted, shift, held=stored)
        new.append(admitted)
        stored_before += len(stored)
    if new:  # slices in hash order: the pairs stay sorted by hash
        pairs = np.concatenate(new)
        added.hashes = pairs[:, 0].copy()
        added.pairs = list(map(tuple, pairs.tolist()))
        split_if_crowded(conn, shift, stored_before, len(touched), len(pairs))
    now = utc_now()
    conn.executemany(
        "INSERT OR IGNORE INTO citation_indexed_versions (version_id, readout_id, indexed_at)"
        " VALUES (?, ?, ?)",
        [(row["id"], row["document_id"], now) for row in rows if row["id"] is not None],
    )
    keys = sorted({(url_key(row["url"]), row["document_id"]) for row in rows if row["url"]})
    stored_keys = set(
        conn.execute(
            "SELECT key, readout_id FROM citation_url_keys"
            " WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps([key for key, _ in keys])],
        ).fetchall()
    )
    added.url_keys = [key for key in keys if key not in stored_keys]
    conn.executemany(
        "INSERT INTO citation_url_keys (key, readout_id) VALUES (?, ?)", added.url_keys
    )
    return added


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (so the index is read in key order): a sort, several times
    faster than ``np.unique``'s hash table on the half million hashes of a batch."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _admitted(
    hashes: np.ndarray, readouts: np.ndarray, stored: np.ndarray, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    """The (hash, readout) pairs of a batch that take a row, sorted by hash: not stored yet, and
    fewer than ``cap`` readouts holding the hash before it (those stored, then the batch's in
    version order).

    A pair is one integer (the hash's rank among the batch's distinct hashes, then the
    readout), so finding repeats and stored pairs takes one-key sorts: a late batch of a
    backfill finds a million stored rows, and sorting them on three keys took most of its time.
    """
    keys = _distinct(hashes)
    at = np.searchsorted(keys, hashes)
    stored_at = np.searchsorted(keys, stored[:, 0]).clip(max=max(len(keys) - 1, 0))
    ours = keys[stored_at] == stored[:, 0] if len(keys) else np.zeros(len(stored), dtype=bool)
    stored_at = stored_at[ours]
    span = int(max(readouts.max(initial=0), stored[:, 1].max(initial=0))) + 1
    pairs = at * span + readouts
    new = np.zeros(len(pairs), dtype=bool)
    new[np.unique(pairs, return_index=True)[1]] = True  # a pair's first time in the batch
    stored_pairs = np.sort(stored_at * span + stored[ours, 1])
    found = np.searchsorted(stored_pairs, pairs).clip(max=max(len(stored_pairs) - 1, 0))
    if len(stored_pairs):  # (np.isin is several times slower on a million stored pairs)
        new &= stored_pairs[found] != pairs
    fresh = np.flatnonzero(new)  # in version order
    by_hash = fresh[np.argsort(at[fresh], kind="stable")]
    group = at[by_hash]
    held = np.bincount(stored_at, minlength=len(keys))  # readouts the index holds per hash
    before = held[group] + np.arange(len(group)) - np.searchsorted(group, group, side="left")
    taken = by_hash[before < cap]
    return hashes[taken], readouts[taken]


def index_article(
    db: Any, article_id: int, article: Words, link_keys: list[str], params: Params = DEFAULT
) -> None:
    """Keep an article's n-grams and link keys, so that a readout indexed later finds the
    articles that already quote or link to it (``articles_citing``). The rows of earlier
    versions stay: at worst they make an article a candidate that alignment then rejects."""
    conn = getattr(db, "conn", db)
    hashes = np.unique(article.ngram_hashes(params.index_n)).tolist()
    conn.executemany(
        "INSERT OR IGNORE INTO citation_article_ngrams (hash, article_id) VALUES (?, ?)",
        [(hash_, article_id) for hash_ in hashes],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO citation_article_links (key, article_id) VALUES (?, ?)",
        [(key, article_id) for key in sorted(set(link_keys))],
    )


def articles_citing(db: Any, added: Added, params: Params = DEFAULT) -> dict[int, set[int]]:
    """Stored articles that may quote, republish or link to the readouts just indexed, each with
    the new readouts it may cite: an article holding ``min_rare_ngrams`` of the n-grams new to
    a readout that are still rare (a quote needs as many; boilerplate takes no part), or linking
    to a readout URL new to the index. Its cost follows the new rows, not the archive: each new
    n-gram is one seek in the article index, and only the few an article holds are checked for
    rarity and counted."""
    found: dict[int, set[int]] = {}
    if added.pairs:
        holders: dict[int, list[int]] = {}
        for hash_, article_id in db.execute(
            "SELECT hash, article_id FROM citation_article_ngrams"
            " WHERE hash IN (SELECT value FROM json_each(?))",
            [json.dumps(_distinct(added.hashes).tolist())],
        ).fetchall():
            holders.setdefault(hash_, []).append(article_id)
        held, readouts = np.unique(
            pairs_for(db, np.array(sorted(holders), dtype=np.int64))[:, 0],
            return_counts=True,
        )
        rare = set(held[readouts <= params.max_readouts_per_ngram].tolist())
        shared: Counter = Counter()
        for hash_, readout_id in added.pairs if rare else ():
            if hash_ in rare:
                shared.update((article_id, readout_id) for article_id in holders[hash_])
        for (article_id, readout_id), count in shared.items():
            if count >= params.min_rare_ngrams:
                found.setdefault(article_id, set()).add(readout_id)
    keys = sorted({key for key, _ in added.url_keys})
    if keys:
        for (article_id,) in db.execute(
            "SELECT DISTINCT article_id FROM citation_article_links"
            " WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(keys)],
        ).fetchall():
            found[article_id] = set()  # a link: match the article again, whatever it quotes
    return found


def lookup(
    db: Any, article: Words, params: Params = DEFAULT, readouts: int | None = None
) -> dict[int, np.ndarray]:
    """Candidate readouts of an article: readout id → article positions of shared rare n-grams.

    At most ``max_candidates`` readouts, those sharing the most rare n-grams first. Rare is
    relative to the archive's ``readouts`` (``readout_count``; None: a large archive).
    """
    hashes = article.ngram_hashes(params.index_n)
    if not len(hashes):
        return {}
    postings: dict[int, list[int]] = {}
    for hash_, readout_id in pairs_for(db, hashes).tolist():
        postings.setdefault(hash_, []).append(readout_id)
    return rank_candidates(hashes, postings, params, readouts)


def clear(db: Any) -> None:
    clear_postings(db)
    for table in (
        "citation_indexed_versions",
        "citation_url_keys",
        "citation_article_ngrams",
        "citation_article_links",
    ):
        db.execute(f"DELETE FROM {table}")


def readout_versions_after(db: Any, after: int, limit: int) -> list[dict[str, Any]]:
    """Readout versions past version id ``after``, oldest first, skipping those the index
    already holds (an archive indexed before the step kept a watermark)."""
    cursor = db.execute(
        "SELECT v.id, v.document_id, v.text, d.url FROM versions v"
        " JOIN documents d ON d.id = v.document_id"
        " WHERE d.kind = 'readout' AND v.id > ?"
        " AND v.id NOT IN (SELECT version_id FROM citation_indexed_versions)"
        " ORDER BY v.id LIMIT ?",
        [after, limit],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def readout_count(db: Any) -> int:
    """Readouts the index holds (those indexed from stored versions)."""
    return db.execute(
        "SELECT count(DISTINCT readout_id) FROM citation_indexed_versions"
    ).fetchone()[0]


def index_size(db: Any) -> dict[str, int]:
    pairs = all_pairs(db)
    return {"rows": len(pairs), "readouts": len(np.unique(pairs[:, 1]))}


def linked_readouts(db: Any, links: list[str]) -> set[int]:
    """Ids of the readouts those links point to."""
    keys = sorted({url_key(link) for link in links})
    if not keys:
        return set()
    rows = db.execute(
        "SELECT readout_id FROM citation_url_keys WHERE key IN (SELECT value FROM json_each(?))",
        [json.dumps(keys)],
    ).fetchall()
    return {row[0] for row in rows}
