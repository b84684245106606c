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
from dataclasses import dataclass, field
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
    url_keys: list[tuple[str, int]] = field(default_factory=list)


def index_versions(db: Any, rows: list[dict[str, Any]], params: Params = DEFAULT) -> Added:
    """Add a batch of readout versions (``id``, ``document_id``, ``text``, ``url``).

    The n-grams of the whole batch are hashed together and compared with the index in one
    query: an n-gram takes a row for a readout only while fewer than ``max + 1`` readouts have
    one (readouts of the batch count in version order), and the new rows go in sorted, in one
    ``executemany``. ``db`` is a sqlite-utils Database or a sqlite3 connection; the caller owns
    the transaction.
    """
    conn = getattr(db, "conn", db)
    cap = params.max_readouts_per_ngram + 1
    pairs: dict[tuple[int, int], None] = {}  # (hash, readout) in version order, once each
    for row in rows:
        readout_id = row["document_id"]
        for hash_ in np.unique(words_of(row["text"] or "").ngram_hashes(params.index_n)).tolist():
            pairs.setdefault((hash_, readout_id), None)
    added = Added()
    if pairs:
        hashes = sorted({hash_ for hash_, _ in pairs})
        stored: dict[int, set[int]] = {}
        for hash_, readout_id in conn.execute(
            f"SELECT hash, readout_id FROM citation_ngrams WHERE {_IN_HASHES}",
            [json.dumps(hashes)],
        ):
            stored.setdefault(hash_, set()).add(readout_id)
        for hash_, readout_id in pairs:
            holders = stored.setdefault(hash_, set())
            if readout_id not in holders and len(holders) < cap:
                holders.add(readout_id)
                added.pairs.append((hash_, readout_id))
        added.pairs.sort()
        conn.executemany(
            "INSERT OR IGNORE INTO citation_ngrams (hash, readout_id) VALUES (?, ?)", added.pairs
        )
    now = utc_now()
    conn.executemany(
        "INSERT OR IGNORE INTO citation_indexed_versions (version_id, readout_id, indexed_at)"
        " VALUES (?, ?, ?)",
        [(row["id"], row["document_id"], now) for row in rows if row["id"] is not None],
    )
    keys = sorted({(url_key(row["url"]), row["document_id"]) for row in rows if row["url"]})
    for key in keys:
        if conn.execute(
            "INSERT OR IGNORE INTO citation_url_keys (key, readout_id) VALUES (?, ?)", key
        ).rowcount:
            added.url_keys.append(key)
    return added


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


def articles_citing(db: Any, added: Added, params: Params = DEFAULT) -> set[int]:
    """Stored articles that may quote, republish or link to the readouts just indexed: those
    holding one of the n-grams new to a readout that is still rare (boilerplate takes no part),
    and those linking to a readout URL new to the index. Its cost follows the new rows, not
    the archive: each hash is one seek in the article index."""
    hashes = sorted({hash_ for hash_, _ in added.pairs})
    cap = params.max_readouts_per_ngram + 1
    found: set[int] = set()
    if hashes:
        found.update(
            row[0]
            for row in db.execute(
                "SELECT DISTINCT a.article_id FROM json_each(?) j"
                " JOIN citation_article_ngrams a ON a.hash = j.value"
                " WHERE (SELECT count(*) FROM (SELECT 1 FROM citation_ngrams"
                " WHERE hash = j.value LIMIT ?)) <= ?",
                [json.dumps(hashes), cap, params.max_readouts_per_ngram],
            ).fetchall()
        )
    keys = sorted({key for key, _ in added.url_keys})
    if keys:
        found.update(
            row[0]
            for row in db.execute(
                "SELECT DISTINCT article_id FROM citation_article_links"
                " WHERE key IN (SELECT value FROM json_each(?))",
                [json.dumps(keys)],
            ).fetchall()
        )
    return found


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
    for table in (
        "citation_ngrams",
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
