"""Words of a text with their character offsets: the offset map behind every span.

Matching works on folded words (NFKC, case-folded), so curly or straight quotes, non-breaking
spaces, dashes, line breaks and a capital letter at a sentence start never hide a quote. Each
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
from dataclasses import dataclass

import numpy as np

WORD = re.compile(r"\w+")
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

    def __len__(self) -> int:
        return len(self.words)

    def char_span(self, first: int, last: int) -> tuple[int, int]:
        """Character span ``[start, end)`` of words ``first`` to ``last`` inclusive."""
        return int(self.starts[first]), int(self.ends[last])


def fold(word: str) -> str:
    if word.isascii():
        return word.lower()
    return unicodedata.normalize("NFKC", word).casefold()


def words_of(text: str) -> Words:
    """The folded words of ``text``, without the quoter's insertions, with ellipsis marks."""
    text = text or ""
    cut = np.zeros(len(text) + 1, dtype=bool)
    for match in INSERTION.finditer(text):
        cut[match.start() : match.end()] = True
    ellipses = [match.end() for match in ELLIPSIS.finditer(text)]
    words, starts, ends = [], [], []
    for match in WORD.finditer(text):
        if cut[match.start()]:
            continue
        words.append(fold(match.group()))
        starts.append(match.start())
        ends.append(match.end())
    starts_array = np.array(starts, dtype=np.int64)
    breaks = np.zeros(len(words), dtype=bool)
    if ellipses and words:
        # The first word after each ellipsis starts a new stretch of quoted text.
        after = np.searchsorted(starts_array, np.array(ellipses), side="left")
        breaks[after[after < len(words)]] = True
    return Words(text, words, starts_array, np.array(ends, dtype=np.int64), breaks)
