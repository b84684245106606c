"""Real readout texts for the citation benchmarks, read from ../shared/eval/readout-corpus at run
time (never copied into the repository): White House readout-like items, Kremlin news items,
president.gov.ua news items."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

_ESCAPE = re.compile(r"\\(.)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
SENTENCE = re.compile(r"(?<=[.!?])[\"'”’]?\s+(?=[A-Z“\"])")


def _unwrap_markdown(body: str) -> str:
    """Pandoc Markdown → plain paragraphs: unwrap lines, drop escapes, links and the ### mark."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", body):
        text = " ".join(line.strip() for line in block.splitlines())
        text = _MD_LINK.sub(r"\1", _ESCAPE.sub(r"\1", text)).replace("###", "").strip()
        if text:
            paragraphs.append(text)
    return "\n".join(paragraphs)


def load_readouts(root: Path) -> list[dict]:
    """Readouts as ``{"title", "url", "text"}``, texts of at least 200 characters."""
    csv.field_size_limit(sys.maxsize)
    readouts = []
    with open(root / "whitehouse-briefing-room" / "whitehouse.jsonl", encoding="utf-8") as file:
        for line in file:
            item = json.loads(line)
            if item.get("is_readout_like"):
                readouts.append(
                    {
                        "title": item["title"],
                        "url": item["url"],
                        "text": _unwrap_markdown(item["body"]),
                    }
                )
    for path in ("kremlin-en-2021-22/putin.csv", "president-ua-en-2021-22/zelenskyy.csv"):
        with open(root / path, encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                readouts.append({"title": row["headline"], "url": row["link"], "text": row["body"]})
    return [r for r in readouts if len(r["text"]) >= 200]


def sentences(text: str) -> list[str]:
    return [s.strip() for line in text.split("\n") for s in SENTENCE.split(line) if s.strip()]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (paragraph breaks end a sentence too)."""
    spans = []
    for paragraph in re.finditer(r"[^\n]+", text):
        start = paragraph.start()
        for boundary in SENTENCE.finditer(paragraph.group()):
            spans.append((start, paragraph.start() + boundary.start()))
            start = paragraph.start() + boundary.end()
        spans.append((start, paragraph.end()))
    return [(s, e) for s, e in spans if text[s:e].strip()]
