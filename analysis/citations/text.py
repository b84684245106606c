"""Words of a text with their character offsets: the offset map behind every span.

Matching works on folded words (NFKC, case-folded, ё read as е), so curly or straight quotes,
non-breaking spaces, dashes, line breaks, a capital letter at a sentence start and Russian
spelling habits (kremlin.ru writes "ещё", most Russian media "еще") never hide a quote. Each
word keeps its start and end offset in the original text, so a match found on words maps back
to exact character spans of the stored ``versions.text``.

Quoting conventions are read here too: words inside square brackets (``[the UN Security
Council's]``) and notes such as "(emphasis added)" are the quoter's, not the source's, so they
are dropped from the word sequence; an ellipsis marks omitted words, so the next word carries a
``break`` mark that lets alignment skip ahead in the source.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from analysis.citations.ngrams import ngram_hashes, word_hashes

# A word's letters, with the combining marks a decomposed letter carries ("е" + U+0308 is "ё").
WORD = re.compile(r"[\w\u0300-\u036f]+")
# The quoter's insertions: [bracketed words] and notes like "(emphasis added)", "(bold italics
# added)", "(italics mine)".
INSERTION = re.compile(
    r"\[[^\[\]\n]{0,120}\]"
    r"|\((?:[^()\n]{0,30}\b(?:emphasis|italics?|bold|underline|underlining|highlighting)\b"
    r"[^()\n]{0,20}\b(?:added|mine|ours|supplied)\b[^()\n]{0,10})\)",
    re.IGNORECASE,
)
ELLIPSIS = re.compile(r"…|\.\s?\.\s?\.")


@dataclass(frozen=True)
class Words:
    """Folded words of a text and where each one is in the original."""

    text: str
    words: list[str]
    starts: np.ndarray  # character offset of each word in ``text``
    ends: np.ndarray
    breaks: np.ndarray  # True where an ellipsis precedes the word: words were omitted
    _ngrams: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.words)

    def char_span(self, first: int, last: int) -> tuple[int, int]:
        """Character span ``[start, end)`` of words ``first`` to ``last`` inclusive."""
        return int(self.starts[first]), int(self.ends[last])

    def ngram_hashes(self, n: int) -> np.ndarray:
        """Hashes of the word n-grams (see ``analysis.citations.ngrams``), computed once per ``n``:
        an article is looked up and aligned with many readouts, a readout with many articles."""
        if n not in self._ngrams:
            self._ngrams[n] = ngram_hashes(self.words, n, self.word_hashes())
        return self._ngrams[n]

    def word_hashes(self) -> np.ndarray:
        """Each word's 64-bit hash (kept as n-gram size 0): equal exactly when the words are."""
        if 0 not in self._ngrams:
            self._ngrams[0] = word_hashes(self.words)
        return self._ngrams[0]


def fold(word: str) -> str:
    if word.isascii():
        return word.lower()
    return unicodedata.normalize("NFKC", word).casefold().replace("ё", "е")


def _folded_whole(text: str) -> str | None:
    if not unicodedata.is_normalized("NFKC", text):
        return None
    return text.casefold().replace("ё", "е")  # one character for one: offsets still line up


def words_of(text: str) -> Words:
    """The folded words of ``text``, without the quoter's insertions, with ellipsis marks."""
    text = text or ""
    spans = [match.span() for match in WORD.finditer(text)]
    cuts = [match.span() for match in INSERTION.finditer(text)]
    if cuts:
        cut_starts = [start for start, _ in cuts]
        spans = [span for span in spans if not _inside(span[0], cut_starts, cuts)]
    # Lower-case the whole text once and slice it; words with other letters than ASCII are
    # folded one by one (NFKC, case folding). When lower-casing changes the length ("İ"),
    # slices would not line up: fold every word.
    # A text already in NFKC whose case folding keeps every character one character (most
    # Cyrillic, Latin, Greek texts) is folded once, whole, and sliced.
    lowered = text.lower() if text.isascii() else _folded_whole(text)
    if lowered is None or len(lowered) != len(text):
        words = [fold(text[start:end]) for start, end in spans]
    else:
        words = [lowered[start:end] for start, end in spans]
    offsets = np.array(spans, dtype=np.int64).reshape(-1, 2)
    starts, ends = offsets[:, 0].copy(), offsets[:, 1].copy()
    breaks = np.zeros(len(words), dtype=bool)
    ellipses = [match.end() for match in ELLIPSIS.finditer(text)]
    if ellipses and words:
        # The first word after each ellipsis starts a new stretch of quoted text.
        after = np.searchsorted(starts, np.array(ellipses), side="left")
        breaks[after[after < len(words)]] = True
    return Words(text, words, starts, ends, breaks)


def folded_words(text: str) -> list[str]:
    """``words_of(text).words`` without the offsets: what indexing a readout needs.

    A text ``words_of`` folds whole (ASCII, or NFKC whose case folding keeps every character
    one character) and without the quoter's insertions is folded and split in one pass: case
    folding then keeps each character a word character or not, except U+0345 (a combining mark
    that folds to a letter), checked over all of Unicode. Any other goes through ``words_of``.
    """
    text = text or ""
    folded = text.lower() if text.isascii() else _folded_whole(text)
    if (
        folded is not None
        and len(folded) == len(text)
        and "\u0345" not in text
        and not INSERTION.search(text)
    ):
        return WORD.findall(folded)
    return words_of(text).words


def index_hashes(text: str, n: int) -> np.ndarray:
    """The n-gram hashes of ``text``, as ``words_of(text).ngram_hashes(n)`` computes them."""
    return ngram_hashes(folded_words(text), n)


@lru_cache(maxsize=1024)
def readout_words(text: str) -> Words:
    """``words_of`` for readout texts, which are aligned with article after article: the most
    recently used 1,024 are kept (some 40 KB for a readout of 400 words)."""
    return words_of(text)


def _inside(position: int, cut_starts: list[int], cuts: list[tuple[int, int]]) -> bool:
    index = bisect_right(cut_starts, position) - 1
    return index >= 0 and position < cuts[index][1]
