"""An archive built through the storage functions, and Datasette over it.

The archive holds the demo site's readouts (one edited, one removed), a commentary article
quoting a readout (one passage since deleted from it: quote drift) and reporting another in its
own words, and a hostile page whose title and text carry script tags, event handlers and
``javascript:`` links. The flag job links the Kremlin's and the White House's readouts of one
call as counterparts; a hostile counterpart link is added by hand. The flag job
records the ``changes``; citation rows are added only where it has not made them already.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest

import storage
from flagging import run_flag_job
from flagging.job import insert_flag, make_flag
from readouts.demo import content
from readouts.web.server import make_datasette
from scheduler.sources import Source
from storage.captures import save_capture
from storage.counterparts import save_counterpart, set_counterpart_status
from storage.documents import Snapshot, mark_gone, save_version
from storage.sources import sync_sources

HOSTILE_TITLE = "<script>alert(1)</script> Readout <img src=x onerror=alert(1)>"
HOSTILE_TEXT = (
    "Official readout.\n"
    'See <a href="javascript:alert(1)">the full text</a> and javascript:alert(1) for details.\n'
    "<img src=x onerror=alert(1)> <script>alert(1)</script>\n"
    "The conversation was businesslike."
)
HOSTILE_TEXT_EDITED = HOSTILE_TEXT.replace("businesslike", "<b onmouseover=alert(1)>frank</b>")
HOSTILE_URL = "http://hostile.example/readout?<script>alert(1)</script>"
KREMLIN = "http://kremlin.example"
SOURCES = [
    Source(
        name="demo-kremlin",
        kind="readout",
        spider="generic",
        base_url=KREMLIN,
        description="The Kremlin's English site <script>alert(1)</script>",
        licence="CC BY 4.0",
    ),
    Source(name="demo-whitehouse", kind="readout", spider="generic", base_url="http://wh.example"),
    Source(
        name="demo-commentary", kind="commentary", spider="generic", base_url="http://blog.example"
    ),
]


def text_of(page: dict) -> str:
    return "\n".join(p.replace(content.NBSP, " ") for p in page["paragraphs"])


def ago(days: float) -> str:
    moment = datetime.now(timezone.utc) - timedelta(days=days)
    return moment.replace(microsecond=0).isoformat()


def snapshot(source, url, kind, page, seen_at, **overrides) -> Snapshot:
    fields = {"title": page["title"], "text": text_of(page), "published_at": page["published_at"]}
    return Snapshot(source, url, kind, **{**fields, **overrides}, language="en", seen_at=seen_at)


def build_archive(path: Path) -> dict[str, int]:
    """Fill the archive at ``path``; return the ids the tests look up."""
    db = storage.open_database(path)
    sync_sources(db, SOURCES)
    kremlin = f"{KREMLIN}{content.KREMLIN_CALL_PATH}"
    ids = {}
    ids["readout"] = save_version(
        db, snapshot("demo-kremlin", kremlin, "readout", content.KREMLIN_CALL, ago(3)), 1
    ).document_id
    save_version(
        db, snapshot("demo-kremlin", kremlin, "readout", content.KREMLIN_CALL_EDITED, ago(2)), 2
    )
    second = f"{KREMLIN}{content.SECOND_READOUT_PATH}"
    ids["removed"] = save_version(
        db, snapshot("demo-kremlin", second, "readout", content.SECOND_READOUT, ago(3)), 1
    ).document_id
    mark_gone(db, second, 2, 404, seen_at=ago(2))
    mark_gone(db, second, 3, 404, seen_at=ago(1))
    ids["whitehouse"] = save_version(
        db,
        snapshot(
            "demo-whitehouse",
            f"http://wh.example{content.WHITEHOUSE_CALL_PATH}",
            "readout",
            content.WHITEHOUSE_CALL,
            ago(3),
        ),
        1,
    ).document_id
    ids["article"] = save_version(
        db,
        snapshot(
            "demo-commentary",
            f"http://blog.example{content.COMMENTARY_PATH}",
            "commentary",
            content.COMMENTARY,
            ago(2.5),
        ),
        1,
    ).document_id
    hostile = {"title": HOSTILE_TITLE, "published_at": "2017-11-23T10:00:00+03:00"}
    ids["hostile"] = save_version(
        db,
        snapshot(
            "demo-kremlin",
            HOSTILE_URL,
            "readout",
            {**hostile, "paragraphs": []},
            ago(2),
            text=HOSTILE_TEXT,
        ),
        2,
    ).document_id
    save_version(
        db,
        snapshot(
            "demo-kremlin",
            HOSTILE_URL,
            "readout",
            {**hostile, "paragraphs": []},
            ago(1),
            text=HOSTILE_TEXT_EDITED,
        ),
        3,
    )
    # Word-based topic alignment, whether or not the embedding model is installed: the pages'
    # expected sentences below depend on it.
    with mock.patch.dict(os.environ, {"READOUTS_NO_EMBEDDINGS": "1"}):
        run_flag_job(db)
    ids["citation"] = _add_citation(db, ids["article"], ids["readout"])
    ids["hostile_citation"] = _add_citation(db, ids["hostile"], ids["readout"], hostile=True)
    ids["reported_citation"] = _add_reported_citation(db, ids["article"], ids["whitehouse"])
    ids["counterpart"] = db.execute(
        "SELECT id FROM counterparts WHERE readout_a_id = ? AND readout_b_id = ?",
        sorted([ids["readout"], ids["whitehouse"]]),
    ).fetchone()[0]
    ids["hostile_counterpart"] = _add_hostile_counterpart(db, ids["whitehouse"], ids["hostile"])
    ids["change"] = db.execute(
        "SELECT id FROM changes WHERE document_id = ? ORDER BY to_version DESC", [ids["readout"]]
    ).fetchone()[0]
    ids["edit_version"] = db.execute(
        "SELECT id FROM versions WHERE document_id = ? AND version = 2", [ids["readout"]]
    ).fetchone()[0]
    ids["hostile_version"] = db.execute(
        "SELECT id FROM versions WHERE document_id = ? AND version = 2", [ids["hostile"]]
    ).fetchone()[0]
    ids["capture"] = save_capture(
        db, url=kremlin, captured_at=ago(1), method="GET",
        request_target=content.KREMLIN_CALL_PATH, protocol="HTTP/1.1", status=304,
        reason="Not Modified", request_headers=[("User-Agent", "readouts"), ("If-None-Match", '"2"')],
        response_headers=[("ETag", '"2"')], body=b"",
    )  # fmt: skip
    db.close()
    return ids


def _add_citation(db, article_id: int, readout_id: int, *, hostile: bool = False) -> int:
    """A citation with spans into both texts (the contract of issue 5), unless one exists."""
    article = db.execute(
        "SELECT id, text FROM versions WHERE document_id = ? ORDER BY version DESC", [article_id]
    ).fetchone()
    readout = db.execute(
        "SELECT id, text FROM versions WHERE document_id = ? AND version = 1", [readout_id]
    ).fetchone()
    if hostile:
        passages = [("<script>alert(1)</script>", "the two presidents discussed in detail")]
    else:
        passages = [
            ("the two presidents discussed in detail current aspects of the Syrian issue", None),
            ("it was noted in this context that the statement received a positive response", None),
        ]
    spans = []
    for quoted, in_readout in passages:
        a = article[1].lower().find(quoted.lower())
        r = readout[1].lower().find((in_readout or quoted).lower())
        drifted = "positive response" in quoted
        spans.append(
            {
                "article": [a, a + len(quoted)],
                "readout": [r, r + len(in_readout or quoted)],
                "text": article[1][a : a + len(quoted)],
                "status": "drifted" if drifted else "current",
            }
        )
    db.execute(
        "INSERT OR IGNORE INTO citations (article_id, readout_id, method, matched_chars, spans,"
        " status, article_version_id, readout_version_id, created_at, updated_at)"
        " VALUES (?, ?, 'quote', ?, ?, ?, ?, ?, ?, ?)",
        [
            article_id,
            readout_id,
            sum(s["article"][1] - s["article"][0] for s in spans),
            json.dumps(spans),
            "current" if hostile else "drifted",
            article[0],
            readout[0],
            ago(1),
            ago(0.5),
        ],
    )
    citation_id = db.execute(
        "SELECT id FROM citations WHERE article_id = ? AND readout_id = ?", [article_id, readout_id]
    ).fetchone()[0]
    kind = "new_citation" if hostile else "quote_drift"
    flag = make_flag(
        kind,
        "demo-commentary",
        article_id,
        article[0],
        f"{kind}: citation {citation_id}",
        related_document_id=readout_id,
        key=f"test:{kind}:{citation_id}",
    )
    insert_flag(db, flag)
    return citation_id


REPORTED_SENTENCE = "Washington's own account stressed the Geneva process instead."
REPORTED_READOUT_WORDS = "supporting the UN-led Geneva process"


def _add_reported_citation(db, article_id: int, readout_id: int) -> int:
    """A ``reported`` citation (the article reports the readout in its own words): the
    contract of issue 9."""
    article = db.execute(
        "SELECT id, text FROM versions WHERE document_id = ? ORDER BY version DESC", [article_id]
    ).fetchone()
    readout = db.execute(
        "SELECT id, text FROM versions WHERE document_id = ? ORDER BY version DESC", [readout_id]
    ).fetchone()
    a, r = article[1].find(REPORTED_SENTENCE), readout[1].find(REPORTED_READOUT_WORDS)
    assert a >= 0 and r >= 0, "the demo texts changed: update REPORTED_*"
    spans = [
        {
            "article": [a, a + len(REPORTED_SENTENCE)],
            "readout": [r, r + len(REPORTED_READOUT_WORDS)],
            "text": REPORTED_SENTENCE,
            "similarity": 0.71,
        }
    ]
    cursor = db.execute(
        "INSERT INTO citations (article_id, readout_id, method, matched_chars, spans, status,"
        " article_version_id, readout_version_id, created_at, updated_at, confidence)"
        " VALUES (?, ?, 'reported', 0, ?, 'current', ?, ?, ?, ?, 0.71)",
        [article_id, readout_id, json.dumps(spans), article[0], readout[0], ago(1), ago(1)],
    )
    return cursor.lastrowid


HOSTILE_SENTENCE = "The sides discussed <script>alert(1)</script> and <img src=x onerror=alert(1)>."


def _add_hostile_counterpart(db, whitehouse_id: int, hostile_id: int) -> int:
    """A counterpart link whose sentences and evidence carry tags (stored as detection would),
    since rejected by a user."""
    whitehouse = content.WHITEHOUSE_CALL["paragraphs"][0]
    a, b = sorted([whitehouse_id, hostile_id])
    sentences = {whitehouse_id: [whitehouse, "Trade was not mentioned."]}
    sentences[hostile_id] = [HOSTILE_SENTENCE, "The conversation was businesslike."]
    topics = {
        "method": "lexical",
        "a_sentences": sentences[a],
        "b_sentences": sentences[b],
        "pairs": [[1, 1, 0.4]],
        "only_a": [0],
        "only_b": [0],
    }
    evidence = {
        "shared_participants": ["<script>alert(1)</script>", "putin"],
        "participant_overlap": 0.6,
        "hours_apart": 12.0,
        "event_days": ["2017-11-21", "<b onmouseover=alert(1)>"],
        "kinds": [["call"], ["call"]],
    }
    save_counterpart(db, a, b, 0.7, evidence, topics)
    return set_counterpart_status(db, a, b, "rejected")


@pytest.fixture(scope="session")
def archive(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("web") / "archive.db"
    return path, build_archive(path)


class Client:
    """Datasette's own test client, driven from synchronous tests through one event loop."""

    def __init__(self, datasette):
        self.datasette = datasette
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(datasette.invoke_startup())

    def get(self, path: str):
        return self.loop.run_until_complete(self.datasette.client.get(path))

    def close(self):
        self.loop.close()


@pytest.fixture(scope="session")
def web(archive):
    client = Client(make_datasette(archive[0]))
    yield client
    client.close()


@pytest.fixture(scope="session")
def ids(archive) -> dict[str, int]:
    return archive[1]
