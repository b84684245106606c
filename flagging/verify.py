"""``readouts verify``: does the archive hold everything the flag job should have derived?

The checks are ``storage.verify``'s; this module runs them against the flag job's watermarks and
decides the repairs. A repair never writes derived rows itself: it makes the flag job's own steps
handle the affected versions again — a watermark moved back to just before them, index or
citation rows marked as not done — and runs the job. Every step is idempotent (``INSERT OR
IGNORE``, flags with unique keys), so what exists is kept and what is missing is derived once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from analysis.citations.params import DEFAULT, Params
from flagging import citations as citation_steps
from flagging.changes import WATERMARK as CHANGES_WATERMARK
from flagging.job import STATUS_WATERMARK, run_flag_job
from flagging.reported import READOUT_WATERMARK as REPORTED_READOUTS_WATERMARK
from storage import verify as checks
from storage.database import write_transaction
from storage.job_state import get_state, set_state
from storage.verify import Finding

logger = logging.getLogger(__name__)

# Watermarks of the steps whose work ``verify`` checks (the names the steps keep them under).
VERSIONS_WATERMARK = "flags.last_version_id"
COUNTERPARTS_WATERMARK = "counterparts.last_version_id"
UNREPAIRABLE = {
    checks.INTEGRITY,
    checks.FOREIGN_KEYS,
    checks.STORED_BODIES,
    checks.CAPTURES,
    checks.CONTENT_HASHES,
    checks.DANGLING_FLAGS,
    checks.DUPLICATE_FLAG_KEYS,
}
MAX_ROUNDS = 3  # a repaired index can reveal citations to re-match: one more round finds them
EDITED = (
    "a version no longer matches its content hash, and the flag job would index, match and flag"
    " its text as it now reads; put back the stored text (from a backup) first"
)


@dataclass
class Repair:
    """What ``repair`` found first, what it left, the flags it raised, and why it re-derived
    nothing (``withheld``) when it would not."""

    found: list[Finding]
    left: list[Finding]
    flags: list[dict[str, Any]] = field(default_factory=list)
    withheld: str | None = None


def verify(db: sqlite_utils.Database, params: Params = DEFAULT) -> list[Finding]:
    """Every check; an empty list means nothing is missing or wrong."""
    state = {
        name: get_state(db, name)
        for name in (
            CHANGES_WATERMARK,
            VERSIONS_WATERMARK,
            citation_steps.INDEX_WATERMARK,
            citation_steps.ARTICLE_WATERMARK,
            COUNTERPARTS_WATERMARK,
            STATUS_WATERMARK,
        )
    }
    findings = checks.integrity(db) + checks.stored_bodies(db) + checks.captures(db)
    findings += checks.content_hashes(db)
    damaged = checks.damaged_postings(db)  # the index checks below would fail on them
    findings += damaged
    for step, name, kind in (
        ("changes", CHANGES_WATERMARK, None),
        ("flags", VERSIONS_WATERMARK, None),
        ("citation index", citation_steps.INDEX_WATERMARK, "readout"),
        ("citations", citation_steps.ARTICLE_WATERMARK, "commentary"),
        ("counterparts", COUNTERPARTS_WATERMARK, "readout"),
    ):
        findings += checks.pending_versions(
            db, step, state[name], kind, indexed_count=name == citation_steps.INDEX_WATERMARK
        )
    findings += checks.missing_changes(db, state[CHANGES_WATERMARK])
    if not damaged:
        findings += checks.missing_index_rows(db, state[citation_steps.INDEX_WATERMARK], params)
    findings += checks.citation_spans(db)
    matched = checks.matched_articles(db, state[citation_steps.ARTICLE_WATERMARK])
    for article in [] if damaged else matched:
        found = {c.readout_id for c in citation_steps.find_citations(db, article, params)}
        findings += checks.citation_findings(article, found)
    findings += checks.missing_profiles(db, state[COUNTERPARTS_WATERMARK])
    findings += checks.missing_flags(db, state[VERSIONS_WATERMARK])
    findings += checks.missing_status_flags(db, state[STATUS_WATERMARK])
    findings += checks.flag_problems(db)
    findings += checks.full_text(db)
    return findings


def repair(db: sqlite_utils.Database, params: Params = DEFAULT) -> Repair:
    """Re-derive what ``verify`` finds missing, then check again.

    Nothing is re-derived while a version no longer matches its content hash: every step
    derives from the stored texts, so a repair would index, match and flag the edited text."""
    found = findings = verify(db, params)
    if any(f.check == checks.CONTENT_HASHES for f in found):
        logger.info("Repair withheld: %s", EDITED)
        return Repair(found, found, withheld=EDITED)
    raised: list[dict[str, Any]] = []
    for _ in range(MAX_ROUNDS):
        repairable = [f for f in findings if f.check not in UNREPAIRABLE]
        if not repairable:
            break
        _prepare(db, repairable)
        raised += run_flag_job(db)
        findings = verify(db, params)
    logger.info(
        "Repair: %d finding(s), %d left, %d flag(s) raised", len(found), len(findings), len(raised)
    )
    return Repair(found, findings, raised)


def _prepare(db: sqlite_utils.Database, findings: list[Finding]) -> None:
    """Set up the flag job to redo what ``findings`` name, in one transaction."""

    def first(*kinds: str) -> int | None:
        ids = [i for f in findings if f.check in kinds for i in f.ids]
        return min(ids) if ids else None

    with write_transaction(db):
        if any(f.check == checks.POSTINGS for f in findings):
            citation_steps.clear_index(db)  # the steps index and match everything again
        if any(f.check == checks.FULL_TEXT for f in findings):
            checks.rebuild_full_text(db)
        index = [i for f in findings if f.check == checks.INDEX for i in f.ids]
        if index:
            checks.forget_indexed(db, index)
        if any(f.check == checks.FLAGS for f in findings):
            checks.forget_unflagged_citations(db)
        checks.restore_drifted_citation_ids(
            db, [i for f in findings if f.check == checks.CITATIONS for i in f.ids]
        )
        rewinds = {
            CHANGES_WATERMARK: first(checks.CHANGES),
            citation_steps.INDEX_WATERMARK: first(checks.INDEX),
            VERSIONS_WATERMARK: first(checks.CHANGES, checks.FLAGS),
            citation_steps.ARTICLE_WATERMARK: first(
                checks.CITATIONS, checks.CITATION_SPANS, checks.FLAGS
            ),
            COUNTERPARTS_WATERMARK: first(checks.PROFILES),
            # The readouts profiled again: the articles that may report them are matched again.
            REPORTED_READOUTS_WATERMARK: first(checks.PROFILES),
            STATUS_WATERMARK: first(checks.STATUS_FLAGS),  # ids: status events
        }
        for name, version_id in rewinds.items():
            if version_id is not None and get_state(db, name) >= version_id:
                set_state(db, name, version_id - 1)
