"""The counterparts step: link readouts of one event published by different sources.

For each new readout version: profile it (participants, kind of event, day), look up readouts of
other sources published within two days (an indexed range query, never all against all), score
each candidate, store the links with their evidence and topic alignment, and flag each new link
once as ``counterpart_found``, in the transaction that stores it. A link a user rejected is
never flagged again.

A source's own leader is implied in its readouts (``events.with_principals``), counted from its
stored profiles. When that count changes a source's principals, every readout of the source is
linked again under the new ones: otherwise which links exist would depend on the order the
readouts were crawled and flagged in (with ten readouts stored, a guest in three of them passes
for the source's own leader until more arrive).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from analysis import events, topics
from flagging.batches import run_in_batches
from storage.counterparts import (
    drop_stale_suggestions,
    profile_participants,
    profiles_between,
    profiles_of_sources,
    save_counterpart,
    save_event_profile,
)
from storage.flags import insert_flag, make_flag
from storage.job_state import get_text_state, set_text_state
from storage.versions import (
    current_readout_versions,
    readout_versions_after,
    version_texts,
    version_title,
)

logger = logging.getLogger(__name__)

PRINCIPAL_SHARE = 0.3  # a name in this share of a source's readouts is that source's own leader
PRINCIPAL_MIN_READOUTS = 10
BATCH = 200
WATERMARK = "counterparts.last_version_id"
PRINCIPALS = "counterparts.principals"  # the principals the stored links were made under


def counterparts_step(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Profile and link every readout version stored since the last run.

    A batch's profiles, links and ``counterpart_found`` flags commit with its watermark. The
    sources' principals are counted once and kept up to date batch by batch, recounted only
    when another process moved the watermark meanwhile (it stored profiles this one has not
    counted).
    """
    counts = _PrincipalCounts()

    def fetch(db: sqlite_utils.Database, after: int, limit: int) -> list[dict[str, Any]]:
        if counts.after != after:
            counts.recount(db)
        return readout_versions_after(db, after, limit)

    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A document keeps the profile of its current version (the highest version number: an
        # archive capture older than the versions stored comes later, with a later id), and its
        # links follow that profile: each document with versions in the batch once.
        current = current_readout_versions(db, sorted({row["document_id"] for row in rows}))
        profiles = {}
        for row in current:
            profiles[row["document_id"]] = profile = profile_row(row)
            counts.replace(save_event_profile(db, profile), profile)
        principals = counts.principals()
        raised = []
        for row in current:
            raised += link_counterparts(db, row["title"], profiles[row["document_id"]], principals)
        raised += _relink_on_new_principals(db, principals, linked=set(profiles))
        counts.after = rows[-1]["id"]
        return raised

    return run_in_batches(db, WATERMARK, fetch, handle, batch=BATCH)


class _PrincipalCounts:
    """How many of each source's profiles name each participant (``source_principals``)."""

    def __init__(self) -> None:
        self.after: int | None = None  # the watermark these counts are up to date with
        self.names: dict[str, Counter] = {}
        self.totals: Counter = Counter()

    def recount(self, db: sqlite_utils.Database) -> None:
        self.names, self.totals = {}, Counter()
        for source, participants in profile_participants(db):
            self._add(source, participants, 1)

    def replace(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if old is not None:
            self._add(old["source"], old["participants"], -1)
        self._add(new["source"], new["participants"], 1)

    def _add(self, source: str, participants: str, sign: int) -> None:
        self.totals[source] += sign
        self.names.setdefault(source, Counter()).update(
            {name: sign for name in json.loads(participants)}
        )

    def principals(self) -> dict[str, set[str]]:
        """Names in ``PRINCIPAL_SHARE`` of a source's readouts and in at least half as many as
        its most named: a guest met often in a small archive (Putin in 7 of 16 White House
        readouts of winter 2021–22, Biden in all) is not the source's own leader."""
        found = {}
        for source, names in self.names.items():
            total = self.totals[source]
            if total < PRINCIPAL_MIN_READOUTS or not names:
                continue
            top = max(names.values())
            found[source] = {
                name
                for name, count in names.items()
                if count >= PRINCIPAL_SHARE * total and count >= top / 2
            }
        return found


def _relink_on_new_principals(
    db: sqlite_utils.Database, principals: dict[str, set[str]], linked: set[int]
) -> list[dict[str, Any]]:
    """Link again the readouts (but those just ``linked``) of every source whose principals
    differ from the ones its links were made under."""
    before = {
        source: set(names)
        for source, names in json.loads(get_text_state(db, PRINCIPALS) or "{}").items()
    }
    changed = sorted(
        source
        for source in before.keys() | principals.keys()
        if before.get(source, set()) != principals.get(source, set())
    )
    if not changed:
        return []
    set_text_state(
        db, PRINCIPALS, json.dumps({source: sorted(names) for source, names in principals.items()})
    )
    raised = []
    for profile in profiles_of_sources(db, changed):
        if profile["document_id"] not in linked:
            raised += link_counterparts(db, profile["title"], profile, principals)
    return raised


def profile_row(row: dict[str, Any]) -> dict[str, Any]:
    found = events.profile(row["title"] or "", row["text"] or "", row["published_at"])
    return {
        "document_id": row["document_id"],
        "version_id": row["version_id"],
        "source": row["source"],
        "participants": json.dumps(sorted(found.participants)),
        "kinds": json.dumps(sorted(found.kinds)),
        "published_utc": events.utc_text(found.published),
        # The lead's date, else the publication's day where it was published: the profile keeps
        # the instant in UTC only, and 22:55 in Washington is already tomorrow in UTC.
        "event_day": day.isoformat() if (day := events.day_of(found)) else None,
        "announcement": int(found.announcement),
    }


def source_principals(db: sqlite_utils.Database) -> dict[str, set[str]]:
    """Each source's own leader(s): names in a large share of its readouts."""
    counts = _PrincipalCounts()
    counts.recount(db)
    return counts.principals()


def link_counterparts(
    db: sqlite_utils.Database,
    title: str | None,
    mine: dict[str, Any],
    principals: dict[str, set[str]],
) -> list[dict[str, Any]]:
    """Link the readout profiled as ``mine`` (titled ``title``) to the readouts of other sources
    describing the same event; flag each new link. Its links that no longer match (its text
    was corrected to name another leader, or its source's principals changed) are dropped
    unless a user confirmed or rejected them."""
    candidates = []
    if mine["published_utc"] is not None:
        candidates = profiles_between(db, *_window(mine["published_utc"]), mine["source"])
    raised, matched = [], set()
    me = events.with_principals(_as_profile(mine), principals.get(mine["source"], set()))
    for other in candidates:
        them = events.with_principals(_as_profile(other), principals.get(other["source"], set()))
        found = events.match_events(me, them)
        if found is None:
            continue
        matched.add(other["document_id"])
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
            # Filed under the account published second, whichever was crawled first: users
            # following one source see the same links whatever the crawl order.
            second, first = (other, mine) if _published_later(other, mine) else (mine, other)
            named = title if second is mine else version_title(db, second["version_id"])
            flag = make_flag(
                "counterpart_found",
                second["source"],
                second["document_id"],
                second["version_id"],
                f"Counterpart ({found.confidence:.0%}): {named} ↔ {first['source']} "
                f"document {first['document_id']}",
                related_document_id=first["document_id"],
                key=f"counterpart_found:{min(mine['document_id'], other['document_id'])}:"
                f"{max(mine['document_id'], other['document_id'])}",
            )
            if insert_flag(db, flag):
                raised.append(flag)
    drop_stale_suggestions(db, mine["document_id"], matched)
    return raised


def _published_later(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether profile ``a`` was published after ``b`` (ties: the higher document id)."""
    return (a["published_utc"] or "", a["document_id"]) > (
        b["published_utc"] or "",
        b["document_id"],
    )


def _as_profile(row: dict[str, Any]) -> events.EventProfile:
    return events.EventProfile(
        participants=frozenset(json.loads(row["participants"])),
        kinds=frozenset(json.loads(row["kinds"])),
        published=datetime.fromisoformat(row["published_utc"]) if row["published_utc"] else None,
        event_day=datetime.fromisoformat(row["event_day"]).date() if row["event_day"] else None,
        announcement=bool(row["announcement"]),
    )


def _texts(db, version_a: int, version_b: int) -> tuple[str, str]:
    texts = version_texts(db, [version_a, version_b])
    return texts[version_a], texts[version_b]


def _window(published_utc: str) -> tuple[str, str]:
    instant = datetime.fromisoformat(published_utc)
    span = timedelta(hours=events.MAX_HOURS_APART)
    return events.utc_text(instant - span), events.utc_text(instant + span)
