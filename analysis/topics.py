"""Topic alignment of two accounts of one event: what each side reports that the other omits.

Each readout is split into sentences; each sentence of one side is matched to the most similar
sentence of the other. Similarity is the cosine of sentence embeddings when the model is
installed, else the overlap of content words (a weaker, lexical fallback). Sentences left
without a match are the topics that side reports alone — what a journalist looks for first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from analysis import embeddings
from analysis.events import name_key
from analysis.sentences import sentence_spans, split_sentences  # noqa: F401 (reported step)

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOPWORDS = frozenset(
    """the and for that with this from have has had was were are their they them which also
    about into over between both two its his her our your who whom will would shall should
    could can may might must not but than then there these those such very more most other
    some any all each during while after before under upon within without against among
    stated noted said says expressed discussed president prime minister leaders sides side
    parties conversation call telephone meeting talks""".split()
)
EMBEDDING_THRESHOLD = 0.55
LEXICAL_THRESHOLD = 0.3


@dataclass
class Alignment:
    method: str  # "embeddings" or "lexical"
    a_sentences: list[str]
    b_sentences: list[str]
    pairs: list[tuple[int, int, float]]  # (index in a, index in b, similarity)

    @property
    def only_a(self) -> list[int]:
        matched = {i for i, _, _ in self.pairs}
        return [i for i in range(len(self.a_sentences)) if i not in matched]

    @property
    def only_b(self) -> list[int]:
        matched = {j for _, j, _ in self.pairs}
        return [j for j in range(len(self.b_sentences)) if j not in matched]

    def to_json(self) -> dict:
        data = asdict(self)
        data["only_a"], data["only_b"] = self.only_a, self.only_b
        return data


def align(
    a_text: str, b_text: str, *, people: Iterable[str] = (), use_embeddings: bool | None = None
) -> Alignment:
    """Match the sentences of two accounts of an event.

    ``people`` (name keys, see ``events.name_key``) are the event's participants: they appear
    in sentences of both sides whatever the topic, so they are masked before comparing.
    """
    a, b = split_sentences(a_text), split_sentences(b_text)
    keys = set(people)
    masked_a = [mask_people(sentence, keys) for sentence in a]
    masked_b = [mask_people(sentence, keys) for sentence in b]
    if use_embeddings is None:
        use_embeddings = embeddings.available()
    if not a or not b:
        return Alignment("embeddings" if use_embeddings else "lexical", a, b, [])
    if use_embeddings:
        similarity = embeddings.encode(masked_a) @ embeddings.encode(masked_b).T
        scores = [[float(x) for x in row] for row in similarity]
        method, threshold = "embeddings", EMBEDDING_THRESHOLD
    else:
        words_a = [_content(s) for s in masked_a]
        words_b = [_content(s) for s in masked_b]
        scores = [[_overlap(x, y) for y in words_b] for x in words_a]
        method, threshold = "lexical", LEXICAL_THRESHOLD
    return Alignment(method, a, b, _best_pairs(scores, threshold))


def _best_pairs(scores: list[list[float]], threshold: float) -> list[tuple[int, int, float]]:
    """Each sentence of either side keeps its best partner above the threshold (many-to-one
    allowed: one long sentence on one side often covers two short ones on the other)."""
    pairs = set()
    for i, row in enumerate(scores):
        j = max(range(len(row)), key=row.__getitem__)
        if row[j] >= threshold:
            pairs.add((i, j, round(row[j], 3)))
    for j in range(len(scores[0])):
        i = max(range(len(scores)), key=lambda k: scores[k][j])
        if scores[i][j] >= threshold:
            pairs.add((i, j, round(scores[i][j], 3)))
    return sorted(pairs)


def mask_people(sentence: str, keys: set[str]) -> str:
    """Replace each participant's name (with the first names and initials before it) by
    "the leader"."""
    if not keys:
        return sentence
    tokens = sentence.split(" ")
    out: list[str] = []
    for token in tokens:
        bare = re.sub(r"['’]s$|[^\w'’-]+$", "", token)
        if bare and name_key(bare) in keys:
            while out and out[-1][:1].isupper() and out[-1].lower() not in ("the", "president"):
                out.pop()  # first names and initials belong to the name
            out.append("the leader" + token[len(bare) :])
        else:
            out.append(token)
    return " ".join(out)


def _content(sentence: str) -> set[str]:
    return {w.lower()[:6] for w in _WORD.findall(sentence) if w.lower() not in _STOPWORDS}


def _overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b)) ** 0.5 / max(len(a), len(b)) ** 0.5
