"""The counterparts page's content: why two readouts are linked, and their sentences aligned.

The flag job stores a link's evidence and topic alignment as JSON (flagging/counterparts.py,
flagging/topics.py). This module turns them into what the page shows: the evidence in plain
words, and rows of sentences in which each matched pair sits level across the two columns and
a sentence only one side reported stands out. Pure functions over the stored JSON, no HTML:
the template escapes every sentence.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

SIDES = ("a", "b")


@dataclass
class Sentence:
    side: str  # "a" (left column) or "b" (right column)
    index: int
    text: str
    partners: list[tuple[int, float]] = field(default_factory=list)  # (other side's index, sim)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def label(self) -> str:
        """How the page names it: A3 is the left readout's third sentence."""
        return f"{self.side.upper()}{self.number}"

    @property
    def other_side(self) -> str:
        return "b" if self.side == "a" else "a"

    @property
    def only_here(self) -> bool:
        return not self.partners


@dataclass
class Row:
    """One line of the alignment: a matched pair (one sentence each side), or the sentences
    between two pairs, which the other side reports differently or not at all."""

    a: list[Sentence]
    b: list[Sentence]
    paired: bool


@dataclass
class Alignment:
    method: str
    a: list[Sentence]
    b: list[Sentence]
    rows: list[Row]

    @property
    def only_a(self) -> list[Sentence]:
        return [s for s in self.a if s.only_here]

    @property
    def only_b(self) -> list[Sentence]:
        return [s for s in self.b if s.only_here]


def load_json(raw: str | None, what: str, link_id: int) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        logger.warning("Counterpart link %s has unreadable %s: %.80r", link_id, what, raw)
        return None


def swapped_topics(topics: dict[str, Any]) -> dict[str, Any]:
    """The same alignment seen from the other readout (b on the left)."""
    return {
        **topics,
        "a_sentences": topics.get("b_sentences"),
        "b_sentences": topics.get("a_sentences"),
        "only_a": topics.get("only_b"),
        "only_b": topics.get("only_a"),
        "pairs": [[p[1], p[0], *p[2:]] for p in _pair_list(topics.get("pairs"))],
    }


def swapped_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    flipped = dict(evidence)
    for key in ("event_days", "kinds"):
        value = evidence.get(key)
        if isinstance(value, list) and len(value) == 2:
            flipped[key] = [value[1], value[0]]
    return flipped


def alignment(topics: Any) -> Alignment | None:
    """The stored topic alignment as sentences and rows; None when there is none to show."""
    if not isinstance(topics, dict):
        return None
    sentences = {}
    for side in SIDES:
        texts = topics.get(f"{side}_sentences")
        texts = texts if isinstance(texts, list) else []
        sentences[side] = [Sentence(side, i, str(t)) for i, t in enumerate(texts)]
    pairs = [
        (i, j, s)
        for i, j, s in _pair_list(topics.get("pairs"))
        if i < len(sentences["a"]) and j < len(sentences["b"])
    ]
    for i, j, similarity in pairs:
        sentences["a"][i].partners.append((j, similarity))
        sentences["b"][j].partners.append((i, similarity))
    if not sentences["a"] and not sentences["b"]:
        return None
    method = str(topics.get("method") or "")
    return Alignment(
        method, sentences["a"], sentences["b"], _rows(sentences["a"], sentences["b"], pairs)
    )


def _pair_list(raw: Any) -> list[tuple[int, int, float]]:
    pairs = []
    for pair in raw if isinstance(raw, list) else []:
        if (
            isinstance(pair, list | tuple)
            and len(pair) >= 2
            and all(isinstance(v, int) and v >= 0 for v in pair[:2])
        ):
            similarity = pair[2] if len(pair) > 2 and isinstance(pair[2], int | float) else 0.0
            pairs.append((pair[0], pair[1], float(similarity)))
    return pairs


def anchors(pairs: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """The pairs that can sit level across the columns without reordering either text.

    The longest chain of pairs increasing on both sides (ties: the more similar), so both
    readouts keep their own order; crossing pairs are shown by reference instead (A3 ≈ B1).
    """
    ordered = sorted(pairs)
    best: list[tuple[float, int]] = []  # (chain weight ending here, previous index)
    for k, (i, j, similarity) in enumerate(ordered):
        weight, previous = 1 + similarity, -1
        for m in range(k):
            mi, mj, _ = ordered[m]
            if mi < i and mj < j and best[m][0] + 1 + similarity > weight:
                weight, previous = best[m][0] + 1 + similarity, m
        best.append((weight, previous))
    if not best:
        return []
    k = max(range(len(best)), key=lambda n: best[n][0])
    chain = []
    while k >= 0:
        chain.append(ordered[k][:2])
        k = best[k][1]
    return chain[::-1]


def _rows(a: list[Sentence], b: list[Sentence], pairs) -> list[Row]:
    rows, next_a, next_b = [], 0, 0
    for i, j in [*anchors(pairs), (len(a), len(b))]:
        if next_a < i or next_b < j:
            rows.append(Row(a[next_a:i], b[next_b:j], paired=False))
        if i < len(a) and j < len(b):
            rows.append(Row([a[i]], [b[j]], paired=True))
        next_a, next_b = i + 1, j + 1
    return rows


def evidence_phrases(evidence: Any) -> list[str]:
    """Why two readouts are linked, in words: ["both name Putin and Trump", …]."""
    if not isinstance(evidence, dict):
        return []
    if evidence.get("by") == "user":
        return ["linked by hand with readouts counterparts --confirm"]
    phrases = []
    names = [str(n).title() for n in evidence.get("shared_participants") or []]
    if names:
        overlap = evidence.get("participant_overlap")
        phrase = f"both name {_and(names)}"
        if isinstance(overlap, int | float) and overlap < 1:
            phrase += f" ({overlap:.0%} of the people either names)"
        phrases.append(phrase)
    hours = evidence.get("hours_apart")
    if isinstance(hours, int | float):
        phrases.append(f"published {hours:g} h apart")
    days = evidence.get("event_days")
    if isinstance(days, list) and len(days) == 2 and any(days):
        if days[0] == days[1]:
            phrases.append(f"same event day {days[0]}")
        else:
            phrases.append(f"event days {days[0] or '?'} and {days[1] or '?'}")
    kinds = evidence.get("kinds")
    if isinstance(kinds, list) and len(kinds) == 2 and all(isinstance(k, list) for k in kinds):
        left, right = (" or ".join(str(k).replace("_", " ") for k in side) for side in kinds)
        if left and left == right:
            phrases.append(f"both report a {left}")
        elif left and right:
            phrases.append(f"one reports a {left}, the other a {right}")
    return phrases


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
