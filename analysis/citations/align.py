"""Exact span boundaries of the passages an article shares with one readout.

Seed and extend, as text-reuse detectors do: every word n-gram the two texts share is a seed
(found with numpy on hashed n-grams, then checked word by word); seeds on one diagonal are
joined into runs and each run is extended word by word while the words agree; runs close to
each other (a changed word, an inserted word, or an ellipsis standing for omitted ones) are
chained into one passage; last, rapidfuzz's Indel alignment looks a few words past each end of
a passage for a tail that a seed could not reach (``[its] nuclear programme``). Passages are
reported in word positions; ``Words.char_span`` turns them into character offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Indel

from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import Words

_EDGE_WINDOW = 8  # words looked at past each end of a passage
_MIN_TAIL = 2  # words a tail found past a gap must have
_QUOTE_MARKS = '“”„«»"'


@dataclass
class Block:
    """Words ``a0..a1`` of the article equal words ``r0..r1`` of the readout (inclusive)."""

    a0: int
    a1: int
    r0: int
    r1: int

    @property
    def size(self) -> int:
        return self.a1 - self.a0 + 1


@dataclass
class Passage:
    """One quoted passage: matching blocks in order, with small gaps between them."""

    blocks: list[Block] = field(default_factory=list)

    @property
    def a0(self) -> int:
        return self.blocks[0].a0

    @property
    def a1(self) -> int:
        return self.blocks[-1].a1

    @property
    def r0(self) -> int:
        return self.blocks[0].r0

    @property
    def r1(self) -> int:
        return self.blocks[-1].r1

    @property
    def matched_words(self) -> int:
        return sum(block.size for block in self.blocks)


def align(article: Words, readout: Words, params: Params = DEFAULT) -> list[Passage]:
    """Passages of ``article`` that ``readout`` contains, in article order."""
    runs = _extend(_seed_runs(article, readout, params.seed_n), article, readout)
    passages = _chain(_without_overlaps(runs), article, params)
    for passage in passages:
        _extend_edges(passage, article, readout, params)
    return passages


def matched_mask(passages: list[Passage], length: int) -> np.ndarray:
    """Which article words the passages match exactly."""
    mask = np.zeros(length, dtype=bool)
    for passage in passages:
        for block in passage.blocks:
            mask[block.a0 : block.a1 + 1] = True
    return mask


def _seed_runs(article: Words, readout: Words, n: int) -> list[Block]:
    article_hashes = article.ngram_hashes(n)
    readout_hashes = readout.ngram_hashes(n)
    if not len(article_hashes) or not len(readout_hashes):
        return []
    order = np.argsort(readout_hashes, kind="stable")
    ordered = readout_hashes[order]
    left = np.searchsorted(ordered, article_hashes, side="left")
    right = np.searchsorted(ordered, article_hashes, side="right")
    counts = right - left
    if not counts.any():
        return []
    a_pos = np.repeat(np.arange(len(article_hashes)), counts)
    starts = np.repeat(left, counts)
    within = np.arange(len(a_pos)) - np.repeat(np.cumsum(counts) - counts, counts)
    r_pos = order[starts + within]
    # Equal 31-bit hashes may be two different n-grams: a seed stands only if its words agree.
    article_words, readout_words = article.word_hashes(), readout.word_hashes()
    same = np.ones(len(a_pos), dtype=bool)
    for offset in range(n):
        same &= article_words[a_pos + offset] == readout_words[r_pos + offset]
    a_pos, r_pos = a_pos[same], r_pos[same]
    if not len(a_pos):
        return []
    diagonal = a_pos - r_pos
    sort = np.lexsort((a_pos, diagonal))
    a_pos, r_pos, diagonal = a_pos[sort], r_pos[sort], diagonal[sort]
    new_run = np.ones(len(a_pos), dtype=bool)
    new_run[1:] = (diagonal[1:] != diagonal[:-1]) | (a_pos[1:] != a_pos[:-1] + 1)
    first = np.flatnonzero(new_run)
    last = np.append(first[1:], len(a_pos)) - 1
    return [
        Block(int(a_pos[s]), int(a_pos[e]) + n - 1, int(r_pos[s]), int(r_pos[e]) + n - 1)
        for s, e in zip(first, last)
    ]


def _extend(runs: list[Block], article: Words, readout: Words) -> list[Block]:
    """Grow each run word by word while both texts agree (seeds miss the last n-1 words)."""
    a, r = article.words, readout.words
    for run in runs:
        while run.a0 > 0 and run.r0 > 0 and a[run.a0 - 1] == r[run.r0 - 1]:
            run.a0 -= 1
            run.r0 -= 1
        while run.a1 + 1 < len(a) and run.r1 + 1 < len(r) and a[run.a1 + 1] == r[run.r1 + 1]:
            run.a1 += 1
            run.r1 += 1
    unique = {(run.a0, run.a1, run.r0, run.r1): run for run in runs}
    return list(unique.values())


def _without_overlaps(runs: list[Block]) -> list[Block]:
    """Longest runs first; a shorter run overlapping a kept one in the article is trimmed."""
    kept: list[Block] = []
    taken: list[tuple[int, int]] = []
    for run in sorted(runs, key=lambda b: (-b.size, b.a0, b.r0)):
        for start, end in taken:
            if run.a0 > end or run.a1 < start:
                continue
            if run.a0 >= start and run.a1 <= end:
                run = None
                break
            if run.a0 < start:  # keep the part before the kept run
                cut = run.a1 - start + 1
                run = Block(run.a0, run.a1 - cut, run.r0, run.r1 - cut)
            else:  # keep the part after it
                cut = end - run.a0 + 1
                run = Block(run.a0 + cut, run.a1, run.r0 + cut, run.r1)
            if run.size <= 0:
                run = None
                break
        if run is not None:
            kept.append(run)
            taken.append((run.a0, run.a1))
    return sorted(kept, key=lambda b: b.a0)


def _chain(runs: list[Block], article: Words, params: Params) -> list[Passage]:
    passages: list[Passage] = []
    for run in runs:
        if passages and _continues(passages[-1].blocks[-1], run, article, params):
            passages[-1].blocks.append(run)
        else:
            passages.append(Passage([run]))
    return passages


def _continues(last: Block, run: Block, article: Words, params: Params) -> bool:
    article_gap = run.a0 - last.a1 - 1
    readout_gap = run.r0 - last.r1 - 1
    if article_gap < 0 or readout_gap < 0 or article_gap > params.max_gap:
        return False
    if _quote_mark_between(article, last.a1, run.a0):
        return False  # two quotes, one after the other
    if readout_gap <= params.max_gap:
        return True
    # The ellipsis may sit a word or two inside either run: a run grows across it when the
    # words on both sides happen to follow each other in the readout too ("the … the talks").
    near = article.breaks[
        max(last.a0 + 1, last.a1 + 1 - params.max_gap) : run.a0 + params.max_gap + 1
    ]
    omitted = near.any()
    return bool(omitted) and readout_gap <= params.ellipsis_gap


def _extend_edges(passage: Passage, article: Words, readout: Words, params: Params) -> None:
    """Look past each end for more of the quote after a small gap (or an ellipsis), until
    nothing more is found."""
    a, r = article.words, readout.words
    while True:
        end = passage.blocks[-1]
        omitted = end.a1 + 1 < len(a) and bool(article.breaks[end.a1 + 1])
        reach = params.ellipsis_gap if omitted else params.max_gap
        tail = _tail(
            a[end.a1 + 1 : end.a1 + 1 + _EDGE_WINDOW],
            r[end.r1 + 1 : end.r1 + 1 + _EDGE_WINDOW + (reach if omitted else 0)],
            params.max_gap,
            reach,
        )
        if not tail or _quote_mark_between(article, end.a1, end.a1 + 1 + tail[0]):
            break
        passage.blocks.append(
            Block(end.a1 + 1 + tail[0], end.a1 + tail[1], end.r1 + 1 + tail[2], end.r1 + tail[3])
        )
    while True:
        start = passage.blocks[0]
        omitted = bool(article.breaks[start.a0])
        reach = params.ellipsis_gap if omitted else params.max_gap
        a_before = a[max(0, start.a0 - _EDGE_WINDOW) : start.a0][::-1]
        r_window = _EDGE_WINDOW + (reach if omitted else 0)
        r_before = r[max(0, start.r0 - r_window) : start.r0][::-1]
        head = _tail(a_before, r_before, params.max_gap, reach)
        if not head or _quote_mark_between(article, start.a0 - 1 - head[0], start.a0):
            break
        passage.blocks.insert(
            0,
            Block(
                start.a0 - head[1],
                start.a0 - 1 - head[0],
                start.r0 - head[3],
                start.r0 - 1 - head[2],
            ),
        )


def _quote_mark_between(article: Words, first: int, second: int) -> bool:
    """Whether a double quotation mark stands between two article words."""
    gap = article.text[article.ends[first] : article.starts[second]]
    return any(mark in gap for mark in _QUOTE_MARKS)


def _tail(
    a: list[str], r: list[str], article_gap: int, readout_gap: int
) -> tuple[int, int, int, int] | None:
    """The first equal stretch of ≥ 2 words after a gap of at most ``article_gap`` and
    ``readout_gap`` words, as ``(a_start, a_end, r_start, r_end)`` (end exclusive) relative
    to the windows."""
    if not a or not r:
        return None
    for op in Indel.opcodes(a, r):
        if op.tag != "equal":
            continue
        if op.src_start > article_gap or op.dest_start > readout_gap:
            return None
        # Past a word of the article's own, two matching words may be chance ("to the").
        if op.src_end - op.src_start >= _MIN_TAIL + (op.src_start > 0):
            return op.src_start, op.src_end, op.dest_start, op.dest_end
    return None
