"""The inverted index of rare word n-grams over readouts, kept in SQLite.

``citation_ngrams`` holds one row per (n-gram hash, readout): all versions of a readout share
its rows, so an article quoting words a readout has since dropped still finds it. Boilerplate is
kept out by document frequency: once an n-gram is in more than ``max_readouts_per_ngram``
readouts it takes no further rows (its ``max + 1`` rows mark it as common) and lookups ignore
it. The index is derived data: ``rebuild`` recreates it from ``versions`` at any time, and
``citation_indexed_versions`` records which readout versions it holds.

A lookup is one query per article (the article's n-gram hashes passed as one JSON array);
indexing a new readout version is one ``INSERT … SELECT`` that skips the common ones.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import numpy as np

from analysis.citations.links import url_key
from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import Words, words_of
from storage.timeutil import utc_now

logger = logging.getLogger(__name__)

_IN_HASHES = "hash IN (SELECT value FROM json_each(?))"


def index_version(
    db: Any,
    readout_id: int,
    version_id: int | None,
    text: str,
    url: str | None = None,
    params: Params = DEFAULT,
) -> int:
    """Add one readout version's n-grams; return the number of new rows.

    ``db`` is a sqlite-utils Database or a sqlite3 connection (both have ``execute``); the
    caller owns the transaction.
    """
    hashes = np.unique(words_of(text).ngram_hashes(params.index_n))
    added = 0
    if len(hashes):
        # One statement: each hash gets a row unless ``max + 1`` readouts already have it.
        cursor = getattr(db, "conn", db).execute(
            "INSERT OR IGNORE INTO citation_ngrams (hash, readout_id)"
            " SELECT value, :readout FROM json_each(:hashes) WHERE (SELECT count(*) FROM"
            " (SELECT 1 FROM citation_ngrams WHERE hash = value LIMIT :cap)) < :cap",
            {
                "readout": readout_id,
                "hashes": json.dumps(hashes.tolist()),
                "cap": params.max_readouts_per_ngram + 1,
            },
        )
        added = cursor.rowcount
    if version_id is not None:
        db.execute(
            "INSERT OR IGNORE INTO citation_indexed_versions (version_id, readout_id, indexed_at)"
            " VALUES (?, ?, ?)",
            [version_id, readout_id, utc_now()],
        )
    if url:
        db.execute(
            "INSERT OR IGNORE INTO citation_url_keys (key, readout_id) VALUES (?, ?)",
            [url_key(url), readout_id],
        )
    return added


def lookup(db: Any, article: Words, params: Params = DEFAULT) -> dict[int, np.ndarray]:
    """Candidate readouts of an article: readout id → article positions of shared rare n-grams.

    At most ``max_candidates`` readouts, those sharing the most rare n-grams first.
    """
    hashes = article.ngram_hashes(params.index_n)
    if not len(hashes):
        return {}
    rows = db.execute(
        f"SELECT hash, readout_id FROM citation_ngrams WHERE {_IN_HASHES}",
        [json.dumps(np.unique(hashes).tolist())],
    ).fetchall()
    postings: dict[int, list[int]] = {}
    for hash_, readout_id in rows:
        postings.setdefault(hash_, []).append(readout_id)
    rare = {h: ids for h, ids in postings.items() if len(ids) <= params.max_readouts_per_ngram}
    if not rare:
        return {}
    positions: dict[int, list[int]] = {}
    for position, h in enumerate(hashes.tolist()):
        for readout_id in rare.get(h, ()):
            positions.setdefault(readout_id, []).append(position)
    ranked = Counter({readout_id: len(p) for readout_id, p in positions.items()})
    return {
        readout_id: np.array(positions[readout_id])
        for readout_id, _ in ranked.most_common(params.max_candidates)
    }


def clear(db: Any) -> None:
    for table in ("citation_ngrams", "citation_indexed_versions", "citation_url_keys"):
        db.execute(f"DELETE FROM {table}")


def unindexed_readout_versions(db: Any, limit: int, after: int = 0) -> list[dict[str, Any]]:
    """Readout versions not in the index yet, oldest first, from version id ``after`` on (a
    caller going batch by batch passes the last id it saw, so no batch rescans the ones before)."""
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


def index_size(db: Any) -> dict[str, int]:
    rows = db.execute("SELECT count(*), count(DISTINCT readout_id) FROM citation_ngrams").fetchone()
    return {"rows": rows[0], "readouts": rows[1]}


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
