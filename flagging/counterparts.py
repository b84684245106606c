"""The counterparts step: link readouts of one event published by different sources.

For each new readout version: profile it (participants, kind of event, day), look up readouts of
other sources published within two days (an indexed range query, never all against all), score
each candidate, store the links with their evidence and topic alignment, and flag each new link
once as ``counterpart_found``. A link a user rejected is never flagged again.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from analysis import events, topics
from storage.counterparts import save_counterpart, save_event_profile
from storage.database import write_transaction
from storage.flags import insert_flag, make_flag
from storage.job_state import get_state, set_state

logger = logging.getLogger(__name__)

PRINCIPAL_SHARE = 0.3  # a name in this share of a source's readouts is that source's own leader
PRINCIPAL_MIN_READOUTS = 10
BATCH = 200


def counterparts_step(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    raised: list[dict[str, Any]] = []
    while True:
        watermark = get_state(db, "counterparts.last_version_id")
        rows = list(
            db.query(
                """
            SELECT v.id AS version_id, v.document_id, v.title, v.text, v.published_at, d.source
            FROM versions v JOIN documents d ON d.id = v.document_id
            WHERE v.id > ? AND d.kind = 'readout' ORDER BY v.id LIMIT ?
            """,
                [watermark, BATCH],
            )
        )
        last = db.execute("SELECT max(id) FROM versions").fetchone()[0] or 0
        if not rows:
            with write_transaction(db):
                set_state(db, "counterparts.last_version_id", max(watermark, last))
            return raised
        for row in rows:
            save_event_profile(db, profile_row(row))
        principals = source_principals(db)
        for row in rows:
            raised += link_counterparts(db, row, principals)
        with write_transaction(db):
            set_state(db, "counterparts.last_version_id", rows[-1]["version_id"])


def profile_row(row: dict[str, Any]) -> dict[str, Any]:
    found = events.profile(row["title"] or "", row["text"] or "", row["published_at"])
    return {
        "document_id": row["document_id"],
        "version_id": row["version_id"],
        "source": row["source"],
        "participants": json.dumps(sorted(found.participants)),
        "kinds": json.dumps(sorted(found.kinds)),
        "published_utc": events.utc_text(found.published),
        "event_day": found.event_day.isoformat() if found.event_day else None,
        "announcement": int(found.announcement),
    }


def source_principals(db: sqlite_utils.Database) -> dict[str, set[str]]:
    """Each source's own leader(s): names in a large share of its readouts."""
    counts: dict[str, Counter] = {}
    totals: Counter = Counter()
    for row in db.query("SELECT source, participants FROM event_profiles"):
        totals[row["source"]] += 1
        counts.setdefault(row["source"], Counter()).update(json.loads(row["participants"]))
    return {
        source: {name for name, n in names.items() if n >= PRINCIPAL_SHARE * totals[source]}
        for source, names in counts.items()
        if totals[source] >= PRINCIPAL_MIN_READOUTS
    }


def link_counterparts(
    db: sqlite_utils.Database, row: dict[str, Any], principals: dict[str, set[str]]
) -> list[dict[str, Any]]:
    mine = _stored_profile(db, row["document_id"])
    if mine is None or mine["published_utc"] is None:
        return []
    start, end = _window(mine["published_utc"])
    candidates = list(
        db.query(
            "SELECT * FROM event_profiles WHERE published_utc BETWEEN ? AND ? AND source != ?",
            [start, end, mine["source"]],
        )
    )
    raised = []
    me = events.with_principals(_as_profile(mine), principals.get(mine["source"], set()))
    for other in candidates:
        them = events.with_principals(_as_profile(other), principals.get(other["source"], set()))
        found = events.match_events(me, them)
        if found is None:
            continue
        a_text, b_text = _texts(db, mine["version_id"], other["version_id"])
        people = set(found.evidence["shared_participants"])
        alignment = topics.align(a_text, b_text, people=people)
        if mine["document_id"] > other["document_id"]:  # stored with a = the lower id
            alignment = topics.Alignment(
                alignment.method,
                alignment.b_sentences,
                alignment.a_sentences,
                [(j, i, s) for i, j, s in alignment.pairs],
            )
        link_id, created = save_counterpart(
            db,
            mine["document_id"],
            other["document_id"],
            found.confidence,
            found.evidence,
            alignment.to_json(),
        )
        if created:
            flag = make_flag(
                "counterpart_found",
                mine["source"],
                mine["document_id"],
                mine["version_id"],
                f"Counterpart ({found.confidence:.0%}): {row['title']} ↔ {other['source']} "
                f"document {other['document_id']}",
                related_document_id=other["document_id"],
                key=f"counterpart_found:{min(mine['document_id'], other['document_id'])}:"
                f"{max(mine['document_id'], other['document_id'])}",
            )
            with write_transaction(db):
                if insert_flag(db, flag):
                    raised.append(flag)
    return raised


def _stored_profile(db, document_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM event_profiles WHERE document_id = ?", [document_id]))
    return rows[0] if rows else None


def _as_profile(row: dict[str, Any]) -> events.EventProfile:
    return events.EventProfile(
        participants=frozenset(json.loads(row["participants"])),
        kinds=frozenset(json.loads(row["kinds"])),
        published=datetime.fromisoformat(row["published_utc"]) if row["published_utc"] else None,
        event_day=datetime.fromisoformat(row["event_day"]).date() if row["event_day"] else None,
        announcement=bool(row["announcement"]),
    )


def _texts(db, version_a: int, version_b: int) -> tuple[str, str]:
    texts = dict(
        db.execute(
            "SELECT id, text FROM versions WHERE id IN (?, ?)", [version_a, version_b]
        ).fetchall()
    )
    return texts[version_a], texts[version_b]


def _window(published_utc: str) -> tuple[str, str]:
    instant = datetime.fromisoformat(published_utc)
    span = timedelta(hours=events.MAX_HOURS_APART)
    return events.utc_text(instant - span), events.utc_text(instant + span)
