"""Real readout texts for the benchmarks, read from ../shared/eval/readout-corpus at run time
(never copied into the repository): White House readout-like items, Kremlin news items,
president.gov.ua news items."""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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


# -- the three overlapping 2021–22 sets, as archive documents (counterparts benchmark) --

ROOT = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path | None:
    for candidate in (ROOT.parent / "shared", Path("/work/shared")):
        path = candidate / "eval" / "readout-corpus"
        if path.is_dir():
            return path
    return None


def _local(value: str, zone: str) -> str:
    naive = datetime.fromisoformat(value.replace("Z", ""))
    return naive.replace(tzinfo=ZoneInfo(zone)).isoformat()


def documents(since: str = "2021-10-24", until: str = "2022-06-24") -> list[dict]:
    """The three overlapping 2021–22 sets as dicts: source, url, title, published_at, text."""
    base = corpus_dir()
    if base is None:
        return []
    csv.field_size_limit(sys.maxsize)
    docs = []
    for line in open(base / "whitehouse-briefing-room" / "whitehouse.jsonl", encoding="utf-8"):
        item = json.loads(line)
        if since <= item["date"] <= until:
            docs.append(
                {
                    "source": "whitehouse",
                    "url": item["url"],
                    "title": item["title"],
                    "published_at": datetime.fromisoformat(item["published_time"]).isoformat(),
                    "text": _unwrap_markdown(item["body"]),
                }
            )
    with open(base / "kremlin-en-2021-22" / "putin.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            docs.append(
                {
                    "source": "kremlin",
                    "url": row["link"],
                    "title": row["headline"],
                    "published_at": _local(row["date"], "Europe/Moscow"),
                    "text": "\n".join(p for p in (row["summary"], row["body"]) if p and p != "NA"),
                }
            )
    with open(base / "president-ua-en-2021-22" / "zelenskyy.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            docs.append(
                {
                    "source": "president-ua",
                    "url": row["link"],
                    "title": row["headline"],
                    "published_at": _local(row["date"], "Europe/Kyiv"),
                    "text": row["body"],
                }
            )
    return [d for d in docs if d["title"] and d["text"].strip()]


def load_archive(db_path: str | Path, docs: list[dict]) -> None:
    import storage

    db = storage.open_database(db_path)
    with storage.write_transaction(db):
        for doc in docs:
            storage.save_version(
                db,
                storage.Snapshot(
                    source=doc["source"],
                    url=doc["url"],
                    kind="readout",
                    title=doc["title"],
                    text=doc["text"],
                    published_at=doc["published_at"],
                ),
                run_id=None,
            )
    db.close()
