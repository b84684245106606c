"""The few numbers that decide what counts as a citation, in one place.

Defaults were fixed on the even-numbered PAN 2013 pairs and on the even seeds of the planted-
quote benchmark (bench/citations_*.py; figures in docs/citations.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    index_n: int = 4
    """Words per indexed n-gram: a quote must share one rare n-gram of this size to be found."""
    max_readouts_per_ngram: int = 8
    """An n-gram in more readouts than this is boilerplate ("agreed to maintain contacts")."""
    boilerplate_share: float = 0.008
    """In a small archive, an n-gram in more than this share of the readouts is boilerplate too
    (3 of 250 readouts share "National Security Advisor Jake Sullivan spoke by phone today")."""
    min_rare_ngrams: int = 2
    """Distinct rare n-grams a passage must hold: one can be chance (an English phrase no other
    readout happens to use), and a readout indexed after an article looks for this many."""
    max_candidates: int = 40
    """Readouts aligned per article, those sharing the most rare n-grams first."""
    seed_n: int = 3
    """Words per seed when aligning one article with one readout."""
    max_gap: int = 3
    """Words skipped on either side inside one quoted passage (a changed or inserted word)."""
    ellipsis_gap: int = 80
    """Source words an ellipsis in the article may stand for."""
    min_words: int = 8
    """Matched words a passage needs to count as a quote: shorter runs are common phrases."""
    min_plain_words: int = 3
    """Matched words a passage needs that are not names, titles or minor words..."""
    min_list_ngrams: int = 15
    """...unless it holds this many distinct rare n-grams: a list of the people at one meeting
    is that readout's own, a title of office with a name is not."""
    list_ngrams_per_plain_word: int = 3
    """Rare n-grams each plain word of such a passage stands for ("met with", "spoke")."""
    republication_share: float = 0.5
    """Share of the readout's characters an article must reproduce to be a republication."""

    def rare_limit(self, readouts: int | None) -> int:
        """Readouts an n-gram may be in and still be specific to them, in an archive of
        ``readouts`` (None: a large one)."""
        if readouts is None:
            return self.max_readouts_per_ngram
        # Two readouts may always share a passage (a readout and its re-issue, a joint statement).
        return max(2, min(self.max_readouts_per_ngram, int(readouts * self.boilerplate_share)))


DEFAULT = Params()
