"""The one sentence splitter: where sentences of a readout start and end.

Readouts are formal prose full of titles and initials ("Mr.", "U.S.", "Donald J. Trump"), so
a full stop ends a sentence only when a capital, a digit or an opening quote follows it and
the word before it is not a known abbreviation; a paragraph break always ends one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)»]?\s+(?=[\"“‘«(]?[A-ZА-ЯЁ0-9])")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|U\.S|U\.K|No|Gen|Lt|Col|Sen|Rep|[A-Z])\.$")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def sentence_spans(text: str, min_words: int = 3) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``, each with at least ``min_words`` words of
    three letters or more (the default drops datelines and stray fragments)."""
    return list(iter_sentence_spans(text, min_words))


def iter_sentence_spans(text: str, min_words: int = 3) -> Iterator[tuple[int, int]]:
    """``sentence_spans`` one at a time: a caller wanting the first sentence splits no further."""
    for paragraph in re.finditer(r"[^\n]+", text or ""):
        start = paragraph.start()
        for boundary in _SENTENCE_END.finditer(paragraph.group()):
            end = paragraph.start() + boundary.start()
            if _ABBREVIATION.search(text[start:end]):
                continue
            if _kept(text, start, end, min_words):
                yield start, end
            start = paragraph.start() + boundary.end()
        if _kept(text, start, paragraph.end(), min_words):
            yield start, paragraph.end()


def _kept(text: str, start: int, end: int, min_words: int) -> bool:
    return bool(text[start:end].strip()) and (
        min_words <= 0 or len(_WORD.findall(text[start:end])) >= min_words
    )


def split_sentences(text: str, min_words: int = 3) -> list[str]:
    """Sentences of a text, whitespace folded (see ``sentence_spans``)."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text, min_words)]


def sentences_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the whole sentence(s) holding ``text[start:end]``."""
    spans = sentence_spans(text, min_words=0)
    first = max((s for s, _ in spans if s <= start), default=0)
    last = min((e for _, e in spans if e >= end), default=len(text))
    return first, max(last, end)
