"""One article against its candidate readouts: which readouts it cites, and where.

Each candidate readout is aligned version by version (an article may quote words a readout
has since dropped); the version sharing the most words is the one the article quoted. A passage
counts only if it is long enough (``min_words``) and holds at least one rare n-gram, so
boilerplate and common phrases never make a citation on their own. Then each stretch of the
article goes to one readout: readouts sharing the most words with the article claim their
passages first (a link to the readout breaks ties, then the older readout), and a passage
mostly claimed already is dropped — a sentence of boilerplate shared by two readouts is
attributed to the one the article really quotes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from analysis.citations.align import Block, Passage, align, matched_mask
from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import INSERTION, Words, readout_words, words_of

CURRENT, DRIFTED = "current", "drifted"


@dataclass
class Span:
    article: tuple[int, int]
    readout: tuple[int, int]
    text: str
    status: str = CURRENT

    def as_json(self) -> dict:
        return {
            "article": list(self.article),
            "readout": list(self.readout),
            "text": self.text,
            "status": self.status,
        }


@dataclass
class Citation:
    readout_id: int
    readout_version_id: int | None  # the version quoted (the latest one for a link)
    latest_version_id: int | None
    method: str  # link | quote | republication
    linked: bool
    spans: list[Span] = field(default_factory=list)

    @property
    def matched_chars(self) -> int:
        return sum(span.article[1] - span.article[0] for span in self.spans)

    @property
    def status(self) -> str:
        return DRIFTED if any(span.status == DRIFTED for span in self.spans) else CURRENT


# readout id → its versions, oldest first, as (version id, text)
VersionsOf = Callable[[int], list[tuple[int | None, str]]]


@dataclass
class _Match:
    readout_id: int
    version_id: int | None
    latest_version_id: int | None
    readout: Words
    passages: list[Passage]
    latest_mask: np.ndarray | None  # article words the latest version matches (None: quoted latest)

    @property
    def matched_words(self) -> int:
        return sum(p.matched_words for p in self.passages)


def detect(
    article: Words,
    candidates: dict[int, np.ndarray],
    versions_of: VersionsOf,
    linked: set[int] = frozenset(),
    params: Params = DEFAULT,
) -> list[Citation]:
    """The readouts ``article`` cites; ``candidates`` as ``index.lookup`` returns them."""
    matches = [
        match
        for readout_id, seeds in candidates.items()
        if (match := _best_version(article, readout_id, seeds, versions_of, params))
    ]
    matches.sort(key=lambda m: (-m.matched_words, m.readout_id not in linked, m.readout_id))
    claimed = np.zeros(len(article), dtype=bool)
    found: dict[int, Citation] = {}
    for match in matches:
        kept = []
        for passage in match.passages:
            own = matched_mask([passage], len(article))
            if (own & claimed).sum() * 2 < own.sum():
                kept.append(passage)
                claimed |= own
        if kept:
            found[match.readout_id] = _citation(
                article, match, kept, match.readout_id in linked, params
            )
    for readout_id in sorted(set(linked) - set(found)):
        versions = versions_of(readout_id)
        latest = versions[-1][0] if versions else None
        found[readout_id] = Citation(readout_id, latest, latest, "link", True)
    return [found[readout_id] for readout_id in sorted(found)]


def drifted_spans(
    article_text: str,
    spans: list[dict],
    quoted_text: str,
    latest_text: str,
    params: Params = DEFAULT,
) -> list[bool]:
    """For stored spans: does the latest readout version lack words the article quoted?"""
    article = words_of(article_text)
    quoted = matched_mask(align(article, words_of(quoted_text), params), len(article))
    latest = matched_mask(align(article, words_of(latest_text), params), len(article))
    lost = quoted & ~latest
    result = []
    for span in spans:
        start, end = span["article"]
        first = np.searchsorted(article.starts, start, side="left")
        last = np.searchsorted(article.ends, end, side="right")
        result.append(bool(lost[first:last].any()))
    return result


def _best_version(
    article: Words,
    readout_id: int,
    seeds: np.ndarray,
    versions_of: VersionsOf,
    params: Params,
) -> _Match | None:
    versions = versions_of(readout_id)
    if not versions:
        return None
    latest_id = versions[-1][0]
    best: _Match | None = None
    latest_passages: list[Passage] | None = None
    for version_id, text in reversed(versions):  # newest first: ties go to the latest
        readout = readout_words(text)
        passages = align(article, readout, params)
        if version_id == latest_id:
            latest_passages = passages
        kept = [p for p in passages if _counts(p, seeds, article, params)]
        match = _Match(readout_id, version_id, latest_id, readout, kept, None)
        if kept and (best is None or match.matched_words > best.matched_words):
            best = match
    if best is not None and best.version_id != latest_id:
        best.latest_mask = matched_mask(latest_passages or [], len(article))
    return best


# A quotation mark in the text between two words. An apostrophe glued to a word ("Ukraine’s")
# is neither: an opening mark follows a space, a closing one is followed by one.
_OPENING = re.compile(r"\s[“«„‘\"']\W*$")
_CLOSING = re.compile(r"^[^\w\s]*[”»’\"'][^\w\s]*\s|\([^()]*\b(?:added|mine)\)")
_MARKS = "“”„«»‘’\"'"
_SENTENCE_END = re.compile(r"[.!?]")
_PUNCTUATION = re.compile(r"[^\w\s]")
_QUOTE_MARK_REACH = 3  # words from a passage's end within which a quote mark moves the end


def trim_to_quote_marks(passage: Passage, article: Words, readout: Words) -> None:
    """Start and end a passage at the article's own quotation marks when they are close by.

    The words just outside a quote often match too ("the leaders “discussed…”" against "The
    leaders discussed…"), but the quote is what stands between the marks. A mark the readout
    has at the same place is part of the quoted text (‘…quite natural,” he said’) and stays
    inside. Likewise a passage does not run on for a word or two past the end of a readout
    sentence where the article's sentence goes on (‘…weapons program They signed’).
    """
    reach = min(_QUOTE_MARK_REACH, passage.a1 - passage.a0)
    for k in range(passage.a0 + 1, passage.a0 + reach + 1):
        if _own_mark(_OPENING, _gap(article, k - 1), _readout_gap(passage, readout, k - 1)):
            _cut_head(passage, k)
            break
    reach = min(_QUOTE_MARK_REACH, passage.a1 - passage.a0)
    for k in range(passage.a1 - 1, passage.a1 - reach - 1, -1):
        gap, readout_gap = _gap(article, k), _readout_gap(passage, readout, k)
        closes = _own_mark(_CLOSING, gap, readout_gap)
        runs_on = _SENTENCE_END.search(readout_gap) and not _PUNCTUATION.search(
            INSERTION.sub("", gap)
        )
        if closes or runs_on:
            _cut_tail(passage, k)
            break


def _own_mark(pattern: re.Pattern, gap: str, readout_gap: str) -> bool:
    """Whether the article's gap holds a quotation mark of its own: one the readout's gap at the
    same place does not have (the article may add its mark to the readout's: ‘said: “"Thank’)."""
    if not pattern.search(gap):
        return False
    return _count_marks(gap) > _count_marks(readout_gap)


def _count_marks(text: str) -> int:
    return sum(text.count(mark) for mark in _MARKS)


def _gap(words: Words, k: int) -> str:
    """The text between word ``k`` and the next."""
    return words.text[words.ends[k] : words.starts[k + 1]]


def _readout_gap(passage: Passage, readout: Words, k: int) -> str:
    """The readout's text between the words matched to article words ``k`` and ``k + 1``
    (empty unless one block matches both)."""
    for block in passage.blocks:
        if block.a0 <= k < block.a1:
            return _gap(readout, block.r0 + k - block.a0)
    return ""


def _cut_head(passage: Passage, first: int) -> None:
    blocks = [b for b in passage.blocks if b.a1 >= first]
    head = blocks[0]
    if head.a0 < first:
        blocks[0] = Block(first, head.a1, head.r0 + first - head.a0, head.r1)
    passage.blocks = blocks


def _cut_tail(passage: Passage, last: int) -> None:
    blocks = [b for b in passage.blocks if b.a0 <= last]
    tail = blocks[-1]
    if tail.a1 > last:
        blocks[-1] = Block(tail.a0, last, tail.r0, tail.r1 - (tail.a1 - last))
    passage.blocks = blocks


_MINOR = frozenset("a al an and as at bin by de der for from in of on or s the to von with".split())


def plain_words(article: Words, passage: Passage) -> int:
    """Matched words of a passage that are neither capitalised (names, titles of office) nor
    minor ("of", "the"): what a sentence says rather than who said it. A title of office
    ("Deputy Head of the Office of the President of Ukraine Andriy Yermak") has none; fragments
    of formulas joined by an article's own words ("Advisor Jake Sullivan spoke by phone, while
    National Security Advisor") have few."""
    text = article.text
    return sum(
        1
        for block in passage.blocks
        for i in range(block.a0, block.a1 + 1)
        if article.words[i] not in _MINOR and text[article.starts[i]].islower()
    )


_SENTENCE_GAP = re.compile(r"^[\"'”’»)\]]*[.!?]")


def _sentence_ends(article: Words, first: int, last: int) -> np.ndarray:
    """For words ``first..last``: whether an article sentence ends after the word (not after an
    initial or a short abbreviation: "R. Biden", "Dr. Walensky")."""
    text = article.text
    ends = np.zeros(last - first + 1, dtype=bool)
    for k in range(first, last):
        gap = text[article.ends[k] : article.starts[k + 1]]
        if (
            _SENTENCE_GAP.match(gap)
            and article.ends[k] - article.starts[k] >= 3
            and text[article.starts[k + 1]].isupper()
        ):
            ends[k - first] = True
    return ends


def _counts(passage: Passage, seeds: np.ndarray, article: Words, params: Params) -> bool:
    """Whether a passage is specific to the readout: long enough, with rare n-grams inside one
    of the article's sentences (two formulas side by side, "Thank you very much. Mr President,
    I would like to", share only n-grams across their seam with a transcript), and either
    a sentence that says something (``min_plain_words``) or names and titles with rare n-grams
    enough to be that readout's own (the participants of one meeting: ``min_list_ngrams``, a
    few less for each plain word, "met with …"), where one title of office, or a formula and a
    name, are not."""
    if passage.matched_words < params.min_words:
        return False
    last_seed = passage.a1 - params.index_n + 1
    inside = seeds[(seeds >= passage.a0) & (seeds <= last_seed)]
    ends = _sentence_ends(article, passage.a0, passage.a1)
    # an n-gram starting at word i crosses a sentence end after word i .. i + n - 2
    reach = params.index_n - 1
    crossing = np.convolve(ends, np.ones(reach, dtype=int))[reach - 1 : reach - 1 + len(ends)] > 0
    inside = inside[~crossing[inside - passage.a0]]
    rare = len(np.unique(article.ngram_hashes(params.index_n)[inside]))
    if rare < params.min_rare_ngrams:
        return False
    plain = plain_words(article, passage)
    return (
        plain >= params.min_plain_words
        or rare >= params.min_list_ngrams - params.list_ngrams_per_plain_word * plain
    )


def _citation(
    article: Words, match: _Match, passages: list[Passage], linked: bool, params: Params
) -> Citation:
    spans = []
    readout_chars = 0
    for passage in passages:
        trim_to_quote_marks(passage, article, match.readout)
        a_start, a_end = article.char_span(passage.a0, passage.a1)
        r_start, r_end = match.readout.char_span(passage.r0, passage.r1)
        readout_chars += r_end - r_start
        status = CURRENT
        if match.latest_mask is not None:
            own = matched_mask([passage], len(article))
            status = DRIFTED if (own & ~match.latest_mask).any() else CURRENT
        spans.append(Span((a_start, a_end), (r_start, r_end), article.text[a_start:a_end], status))
    share = readout_chars / max(1, len(match.readout.text.strip()))
    method = "republication" if share >= params.republication_share else "quote"
    return Citation(
        match.readout_id, match.version_id, match.latest_version_id, method, linked, spans
    )
