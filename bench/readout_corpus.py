"""Load the real readout corpora of ../shared/eval/readout-corpus into an archive.

Read at run time, never copied into the repository. Dates are made honest on the way in: the
Kremlin and president.gov.ua scrapes mark local time with a false "Z".
"""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import storage

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


def _unwrap_markdown(body: str) -> str:
    body = re.sub(r"\\([\[\]\.\_\*\(\)#])", r"\1", body)
    body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body)]
    return "\n".join(p for p in paragraphs if p and p != "###")


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
