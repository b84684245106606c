"""Candidate readouts of an article from rare n-gram postings held in memory.

The flag job looks postings up in SQLite; a news-scan worker has no database, only a snapshot
of the same postings as two arrays sorted by hash. Both rank candidates the same way: the
readouts sharing the most rare n-grams with the article first, at most ``max_candidates``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import Words


def rank_candidates(
    article_hashes: np.ndarray,
    postings: dict[int, list[int]],
    params: Params = DEFAULT,
    readouts: int | None = None,
) -> dict[int, np.ndarray]:
    """Readout id → article positions of shared rare n-grams, best candidates first. An n-gram
    is rare when no more readouts hold it than ``params.rare_limit(readouts)`` (``readouts``: the
    archive's; None: a large archive)."""
    limit = params.rare_limit(readouts)
    positions: dict[int, list[int]] = {}
    for position, h in enumerate(article_hashes.tolist()):
        holders = postings.get(h, ())
        if len(holders) > limit:
            continue
        for readout_id in holders:
            positions.setdefault(readout_id, []).append(position)
    ranked = Counter({readout_id: len(p) for readout_id, p in positions.items()})
    return {
        readout_id: np.array(positions[readout_id])
        for readout_id, _ in ranked.most_common(params.max_candidates)
    }


def snapshot_postings(
    article_hashes: np.ndarray, hashes: np.ndarray, readout_ids: np.ndarray
) -> dict[int, list[int]]:
    """The postings of the article's n-grams in arrays sorted by hash (a snapshot holds only
    the n-grams rare in its archive)."""
    wanted = np.unique(article_hashes)
    left = np.searchsorted(hashes, wanted, side="left")
    right = np.searchsorted(hashes, wanted, side="right")
    return {
        int(h): readout_ids[a:b].tolist()
        for h, a, b in zip(wanted.tolist(), left.tolist(), right.tolist())
        if b > a
    }


def snapshot_candidates(
    article: Words, hashes: np.ndarray, readout_ids: np.ndarray, params: Params = DEFAULT
) -> dict[int, np.ndarray]:
    """``rank_candidates`` over a snapshot's postings (rare in its archive already)."""
    article_hashes = article.ngram_hashes(params.index_n)
    if not len(article_hashes) or not len(hashes):
        return {}
    return rank_candidates(
        article_hashes, snapshot_postings(article_hashes, hashes, readout_ids), params
    )
