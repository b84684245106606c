"""The archive's own checks (``readouts verify``): what is missing or wrong, in plain words.

Each check is one query (or one query per row where the expected rows must be derived, as the
citation index's n-grams) and returns ``Finding``s: a check name, a sentence a user can read and
the ids involved, so ``flagging.verify`` can decide the repair and ``--json`` can list them.
Nothing here writes. Watermark values are passed in by the caller: they belong to the flag job.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import words_of
from storage.bodies import DamagedBody
from storage.captures import restore_payload, unreadable_captures
from storage.changes import ignore_pattern_history
from storage.citation_postings import (
    TABLE,
    DamagedPostings,
    all_pairs,
    current_shift,
    damaged_buckets,
)
from storage.citations import REPORTED
from storage.database import read_snapshot
from storage.normalize import content_hash
from storage.pages import restore_page
from storage.schema import ARCHIVE, REPROCESS
from storage.versions import latest_version_id

# Checks whose findings no flag-job step can re-derive: the rows they need are gone or broken.
INTEGRITY = "integrity"
FOREIGN_KEYS = "foreign_keys"
STORED_BODIES = "stored_bodies"
CAPTURES = "captures"
CONTENT_HASHES = "content_hashes"
DANGLING_FLAGS = "dangling_flags"
DUPLICATE_FLAG_KEYS = "duplicate_flag_keys"
# Derived rows a step (or the FTS ``rebuild``) re-creates.
PENDING = "pending"
CHANGES = "changes"
INDEX = "citation_index"
POSTINGS = "citation_postings"
CITATION_SPANS = "citation_spans"
CITATIONS = "citations"
PROFILES = "event_profiles"
FLAGS = "flags"
STATUS_FLAGS = "status_flags"
FULL_TEXT = "full_text"


@dataclass
class Finding:
    """One thing missing or wrong; ``ids`` are the versions a repair has the flag job redo
    (the rows named, for the checks no repair can fix)."""

    check: str
    message: str
    ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"check": self.check, "message": self.message, "ids": self.ids}


def _ids(ids: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def integrity(db: Any) -> list[Finding]:
    """SQLite's own checks of the file and of the declared foreign keys."""
    problems = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
    findings = []
    if problems != ["ok"]:
        findings.append(Finding(INTEGRITY, "SQLite integrity check: " + "; ".join(problems[:5])))
    broken = db.execute("PRAGMA foreign_key_check").fetchall()
    by_table = Counter(row[0] for row in broken)
    for table, count in sorted(by_table.items()):
        rowids = [row[1] for row in broken if row[0] == table]
        findings.append(
            Finding(
                FOREIGN_KEYS,
                f"{count} row(s) of {table} point to rows that do not exist (rowid {_ids(rowids)})",
                rowids,
            )
        )
    return findings


def stored_bodies(db: Any) -> list[Finding]:
    """Capture payloads and raw pages whose stored bytes no longer decompress or no longer have
    the digest they are stored under (a damaged disk, a hand edit): the one check that reads
    every body, as an export or a re-extraction would, which refuse them.

    A body a hand edit turned into TEXT (``body || x'00'``, ``replace()``) is read as the bytes
    it holds, which Python could not decode as text, and is damaged even if they are intact:
    every reader expects a BLOB."""
    findings = []
    for bodies, restore, name, holders, holder in (
        (
            "SELECT digest, compression, CAST(body AS BLOB), typeof(body) FROM capture_payloads"
            " ORDER BY rowid",
            restore_payload,
            "payload",
            "SELECT id FROM captures WHERE payload_digest = ? ORDER BY id",
            "capture",
        ),
        (
            "SELECT hash, compression, CAST(body AS BLOB), typeof(body) FROM pages"
            " WHERE compression IS NOT 'payload' ORDER BY rowid",
            restore_page,
            "page",
            "SELECT id FROM versions WHERE page_hash = ? ORDER BY id",
            "version",
        ),
    ):
        for digest, compression, stored, stored_as in db.execute(bodies):
            try:
                restore(db, digest, compression, stored or b"")
                problem = (
                    f"{name} {digest}: its stored bytes were turned into text (a hand edit)"
                    if stored_as == "text"
                    else None
                )
            except DamagedBody as error:
                problem = error.args[0]
            if problem:
                ids = [row[0] for row in db.execute(holders, [digest])]
                findings.append(Finding(STORED_BODIES, f"{problem} ({holder} {_ids(ids)})", ids))
    return findings


def captures(db: Any) -> list[Finding]:
    """Captures an export would refuse: their payload or a header list is gone, or the header
    values kept with the capture do not fit its lists (a hand edit)."""
    return [
        Finding(CAPTURES, problem, [capture_id]) for capture_id, problem in unreadable_captures(db)
    ]


def content_hashes(db: Any) -> list[Finding]:
    """Versions whose title, date or text no longer give the ``content_hash`` stored with them:
    changed after they were stored (a hand edit), so no step may derive anything from them.

    The hash is taken as storage takes it, with the source's ``ignore_patterns``: today's, or
    a list it had before (``source_ignore_patterns``), or none for a version stored before it
    had any."""
    history = ignore_pattern_history(db)
    findings = []
    for version_id, source, title, published_at, text, stored in db.execute(
        "SELECT v.id, d.source, v.title, v.published_at, v.text, v.content_hash FROM versions v"
        " JOIN documents d ON d.id = v.document_id ORDER BY v.id"
    ):
        if all(
            stored != content_hash(title, published_at, text, ignored)
            for ignored in [*history.get(source, []), []]
        ):
            findings.append(
                Finding(
                    CONTENT_HASHES,
                    f"version {version_id}: its title, date or text no longer give its"
                    " content_hash (changed after it was stored)",
                    [version_id],
                )
            )
    return findings


def pending_versions(
    db: Any, step: str, watermark: int, kind: str | None = None, *, indexed_count: bool = False
) -> list[Finding]:
    """Versions (of documents of ``kind``) stored after the step's watermark: not through it yet.
    ``indexed_count``: a version in ``citation_indexed_versions`` is through (the index step
    skips those, so its watermark stays behind them after a repair re-indexes older ones)."""
    where = " AND d.kind = ?" if kind else ""
    if indexed_count:
        where += " AND v.id NOT IN (SELECT version_id FROM citation_indexed_versions)"
    ids = [
        row[0]
        for row in db.execute(
            "SELECT v.id FROM versions v JOIN documents d ON d.id = v.document_id"
            f" WHERE v.id > ?{where} ORDER BY v.id",
            [watermark, kind] if kind else [watermark],
        ).fetchall()
    ]
    if not ids:
        return []
    return [
        Finding(
            PENDING,
            f"{len(ids)} version(s) not yet through the flag job's {step} step"
            f" (version {_ids(ids)})",
            ids,
        )
    ]


def missing_changes(db: Any, watermark: int) -> list[Finding]:
    """Versions the changes step has passed whose change row (from the version before) is missing.

    A history an archive capture reordered is skipped: its rows are being recomputed.
    """
    ids = [
        row[0]
        for row in db.execute(
            "SELECT v.id FROM versions v JOIN versions p"
            " ON p.document_id = v.document_id AND p.version = v.version - 1"
            " WHERE v.id <= ? AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.to_version_id = v.id)"
            " AND v.document_id NOT IN (SELECT document_id FROM history_rewrites) ORDER BY v.id",
            [watermark],
        ).fetchall()
    ]
    return [
        Finding(
            CHANGES, f"version {i} has no changes row (what changed since the version before)", [i]
        )
        for i in ids
    ]


def damaged_postings(db: Any) -> list[Finding]:
    """Citation-index rows that do not decode (``storage.citation_postings``): lookups and
    indexing fail on them, and which pairs they held is unknown, so a repair rebuilds the
    index. ``ids`` are the buckets."""
    findings = [
        Finding(POSTINGS, f"{TABLE} {reason}", [bucket]) for bucket, reason in damaged_buckets(db)
    ]
    try:
        current_shift(db)
    except DamagedPostings as error:  # every bucket would be misread
        findings.append(Finding(POSTINGS, str(error)))
    return findings


def missing_index_rows(db: Any, watermark: int, params: Params = DEFAULT) -> list[Finding]:
    """Readout versions missing from the citation index, wholly or in part.

    A version the index step has not reached (above its ``watermark``) is pending, not missing:
    ``pending_versions`` names it. A version's n-grams are derived again and looked up; one
    absent for its readout is missing unless the n-gram is common (already ``max + 1`` readouts
    have it, so indexing skipped it). A stored pair that no readout version's n-grams give is a
    ``POSTINGS`` finding: the index was misread or edited, and a repair rebuilds it.
    """
    findings = []
    unindexed = [
        row[0]
        for row in db.execute(
            "SELECT v.id FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE d.kind = 'readout' AND v.id <= ? AND v.id NOT IN"
            " (SELECT version_id FROM citation_indexed_versions) ORDER BY v.id",
            [watermark],
        ).fetchall()
    ]
    for version_id in unindexed:
        findings.append(
            Finding(
                INDEX, f"readout version {version_id} is not in the citation index", [version_id]
            )
        )
    cap = params.max_readouts_per_ngram + 1
    with read_snapshot(db):  # a flag job indexing meanwhile adds versions and pairs together
        readout_versions = db.execute(
            "SELECT v.id, v.document_id, v.text, d.url, EXISTS (SELECT 1 FROM citation_url_keys"
            " k WHERE k.readout_id = d.id), i.version_id IS NOT NULL FROM versions v"
            " JOIN documents d ON d.id = v.document_id"
            " LEFT JOIN citation_indexed_versions i ON i.version_id = v.id"
            " WHERE d.kind = 'readout' OR i.version_id IS NOT NULL ORDER BY v.id"
        ).fetchall()
        stored = all_pairs(db)
    stored_keys = (stored[:, 0] << 32) | stored[:, 1]  # sorted, as the pairs are
    held, holders = np.unique(stored[:, 0], return_counts=True)
    common = held[holders >= cap]
    expected = []
    for version_id, readout_id, text, url, has_url_key, indexed in readout_versions:
        hashes = np.unique(words_of(text or "").ngram_hashes(params.index_n))
        keys = (hashes << 32) | readout_id
        expected.append(keys)
        if not indexed:
            continue
        missing = int((~_among(keys, stored_keys) & ~_among(hashes, common)).sum())
        if missing:
            findings.append(
                Finding(
                    INDEX,
                    f"readout version {version_id} lacks {missing} of its {len(hashes)}"
                    " n-grams in the citation index",
                    [version_id],
                )
            )
        elif url and not has_url_key:
            findings.append(
                Finding(
                    INDEX,
                    f"readout version {version_id} lacks its URL in the citation index",
                    [version_id],
                )
            )
    given = np.unique(np.concatenate(expected)) if expected else np.zeros(0, dtype=np.int64)
    stray = int((~_among(stored_keys, given)).sum())
    if stray:
        # Pairs no readout's text gives: misread (a hand edit, a lost bucket shift) or of no
        # readout at all. They count towards an n-gram's cap: a repair rebuilds the index.
        findings.append(
            Finding(POSTINGS, f"{TABLE} holds {stray} pairs that no readout's text gives")
        )
    return findings


def _among(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_values``."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_values, values).clip(max=len(sorted_values) - 1)
    return sorted_values[at] == values


def citation_spans(db: Any) -> list[Finding]:
    """Citations whose spans fall outside their versions' texts or do not say what they say.

    The article span must be exactly the span's stored ``text``; the readout span must start and
    end on the quote's first and last words and hold most of its words in order (alignment
    tolerates an ellipsis or a changed word, not a shift). A reported citation's readout span is
    the passage the article restates in other words: it must lie within the readout's text.
    """
    findings = []
    rows = db.execute(
        "SELECT c.id, c.method, c.spans, av.text, rv.text, c.article_version_id,"
        " c.readout_version_id,"
        f" {latest_version_id('c.article_id')} FROM citations c"
        " LEFT JOIN versions av ON av.id = c.article_version_id"
        " LEFT JOIN versions rv ON rv.id = c.readout_version_id ORDER BY c.id"
    ).fetchall()
    for (
        citation_id,
        method,
        spans_json,
        article,
        readout,
        article_version,
        readout_version,
        latest,
    ) in rows:
        try:
            spans = json.loads(spans_json or "[]")
        except ValueError:
            findings.append(
                Finding(CITATION_SPANS, f"citation {citation_id} has unreadable spans", [latest])
            )
            continue
        if spans and (article is None or readout is None):
            findings.append(
                Finding(
                    CITATION_SPANS,
                    f"citation {citation_id} names versions that do not exist"
                    f" (article version {article_version}, readout version {readout_version})",
                    [latest],
                )
            )
            continue
        for number, span in enumerate(spans, 1):
            problem = _span_problem(span, article, readout, reported=method == REPORTED)
            if problem:
                findings.append(
                    Finding(
                        CITATION_SPANS,
                        f"citation {citation_id}, span {number}: {problem}",
                        [latest],
                    )
                )
                break
    return findings


def _span_problem(span: dict, article: str, readout: str, *, reported: bool) -> str | None:
    try:
        a0, a1 = span["article"]
        r0, r1 = span["readout"]
    except (KeyError, TypeError, ValueError):
        return "offsets are missing"
    if not (0 <= a0 < a1 <= len(article)):
        return f"article offsets {a0}–{a1} lie outside its text ({len(article)} characters)"
    if not (0 <= r0 < r1 <= len(readout)):
        return f"readout offsets {r0}–{r1} lie outside its text ({len(readout)} characters)"
    if article[a0:a1] != span.get("text"):
        return "the article's text at its offsets is not the quoted text"
    if reported:  # the article says it in its own words: no word of the readout need recur
        return None
    quoted = words_of(article[a0:a1]).words
    source = words_of(readout[r0:r1]).words
    same = sum(block.size for block in SequenceMatcher(None, quoted, source).get_matching_blocks())
    if (
        not quoted
        or quoted[:1] != source[:1]
        or quoted[-1:] != source[-1:]
        or 2 * same < len(quoted)
    ):
        return "the readout's text at its offsets does not say what the article quotes"
    return None


def flag_problems(db: Any) -> list[Finding]:
    """Flags pointing to documents or versions that do not exist, and keys stored twice."""
    findings = []
    dangling = db.execute(
        "SELECT f.id FROM flags f WHERE"
        " (f.document_id IS NOT NULL AND f.document_id NOT IN (SELECT id FROM documents))"
        " OR (f.related_document_id IS NOT NULL"
        "     AND f.related_document_id NOT IN (SELECT id FROM documents))"
        " OR (f.version_id IS NOT NULL AND f.version_id NOT IN (SELECT id FROM versions))"
        " ORDER BY f.id"
    ).fetchall()
    for (flag_id,) in dangling:
        findings.append(
            Finding(
                DANGLING_FLAGS,
                f"flag {flag_id} points to a document or version that does not exist",
                [flag_id],
            )
        )
    for key, count in db.execute(
        "SELECT key, count(*) FROM flags GROUP BY key HAVING count(*) > 1 ORDER BY key"
    ).fetchall():
        findings.append(Finding(DUPLICATE_FLAG_KEYS, f"flag key {key!r} is stored {count} times"))
    return findings


def missing_flags(db: Any, versions_watermark: int) -> list[Finding]:
    """Flags the versions step should have raised: a ``new_readout`` for each readout it has
    passed, an ``edited_readout`` for each change it has passed that lists a change (for a web
    archive capture, only the document's latest version raises one, and none if it is the
    version that announced the readout; a re-extraction raises none), and a ``new_citation``
    for each citation."""
    findings = []
    for document_id, version_id in db.execute(
        "SELECT d.id, max(v.id) FROM documents d JOIN versions v ON v.document_id = d.id"
        " WHERE d.kind = 'readout' AND d.id NOT IN (SELECT document_id FROM history_rewrites)"
        " AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.document_id = d.id"
        " AND f.kind = 'new_readout') GROUP BY d.id HAVING max(v.id) <= ? ORDER BY d.id",
        [versions_watermark],
    ).fetchall():
        findings.append(
            Finding(FLAGS, f"readout {document_id} has no new_readout flag", [version_id])
        )
    for (version_id,) in db.execute(
        "SELECT v.id FROM changes c JOIN versions v ON v.id = c.to_version_id"
        " JOIN documents d ON d.id = v.document_id"
        " WHERE d.kind = 'readout' AND v.id <= ? AND c.kinds NOT IN ('[]', '') AND"
        " v.origin IS NOT ? AND (v.origin IS NOT ? OR v.version ="
        "  (SELECT max(version) FROM versions WHERE document_id = v.document_id))"
        " AND d.id NOT IN (SELECT document_id FROM history_rewrites)"
        # the version that announced the readout (an archive's latest capture) raised that
        " AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.kind = 'new_readout'"
        " AND f.version_id = v.id)"
        " AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.key = 'edited_readout:version:' || v.id)"
        " ORDER BY v.id",
        [versions_watermark, REPROCESS, ARCHIVE],
    ).fetchall():
        findings.append(
            Finding(FLAGS, f"version {version_id} has no edited_readout flag", [version_id])
        )
    for citation_id, article_version_id in db.execute(
        f"SELECT c.id, {latest_version_id('c.article_id')}"
        " FROM citations c WHERE NOT EXISTS (SELECT 1 FROM flags f"
        " WHERE f.key = 'new_citation:article:' || c.article_id || ':readout:' || c.readout_id)"
        " ORDER BY c.id"
    ).fetchall():
        findings.append(
            Finding(FLAGS, f"citation {citation_id} has no new_citation flag", [article_version_id])
        )
    return findings


def missing_status_flags(db: Any, watermark: int) -> list[Finding]:
    """Removals and returns of readouts the status step has passed (events up to ``watermark``)
    without their ``removed_readout`` or ``restored_readout`` flag."""
    return [
        Finding(
            STATUS_FLAGS,
            f"readout {document_id} has no {kind} flag (status event {event})",
            [event],
        )
        for event, document_id, kind in db.execute(
            "SELECT e.id, e.document_id, CASE e.new_status WHEN 'removed' THEN 'removed_readout'"
            " ELSE 'restored_readout' END AS kind FROM status_events e"
            " JOIN documents d ON d.id = e.document_id WHERE d.kind = 'readout' AND e.id <= ?"
            " AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.key = kind || ':event:' || e.id)"
            " ORDER BY e.id",
            [watermark],
        ).fetchall()
    ]


def missing_profiles(db: Any, watermark: int) -> list[Finding]:
    """Readouts the counterparts step has passed (all their versions) whose current version has
    no event profile."""
    return [
        Finding(
            PROFILES,
            f"readout {document_id} has no event profile of its current version (id {version_id})",
            [version_id],
        )
        for document_id, version_id in db.execute(
            f"SELECT d.id, v.id FROM documents d JOIN versions v ON v.id = {latest_version_id('d.id')}"
            " WHERE d.kind = 'readout' AND (SELECT max(id) FROM versions WHERE document_id = d.id)"
            " <= ? AND NOT EXISTS (SELECT 1 FROM"
            " event_profiles p WHERE p.document_id = d.id AND p.version_id = v.id) ORDER BY d.id",
            [watermark],
        ).fetchall()
    ]


def full_text(db: Any) -> list[Finding]:
    """The full-text index of ``versions`` against the table: a row per version, nothing else,
    and FTS5's own check that the indexed words are those of the stored texts."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'versions_fts'").fetchone():
        return [Finding(FULL_TEXT, "the full-text index of versions is missing")]
    findings = []
    missing = [
        row[0]
        for row in db.execute(
            "SELECT id FROM versions WHERE id NOT IN (SELECT id FROM versions_fts_docsize) ORDER BY id"
        ).fetchall()
    ]
    if missing:
        findings.append(
            Finding(FULL_TEXT, f"version {_ids(missing)} missing from the full-text index", missing)
        )
    extra = [
        row[0]
        for row in db.execute(
            "SELECT id FROM versions_fts_docsize WHERE id NOT IN (SELECT id FROM versions) ORDER BY id"
        ).fetchall()
    ]
    if extra:
        findings.append(
            Finding(
                FULL_TEXT,
                f"the full-text index holds version {_ids(extra)}, which no longer exist",
                extra,
            )
        )
    if not findings:
        try:
            db.execute(
                "INSERT INTO versions_fts (versions_fts, rank) VALUES ('integrity-check', 1)"
            )
        except Exception as error:  # sqlite3.DatabaseError: the index disagrees with the texts
            findings.append(
                Finding(FULL_TEXT, f"the full-text index disagrees with the stored texts ({error})")
            )
    return findings


def rebuild_full_text(db: Any) -> None:
    """Re-derive the full-text index of ``versions`` from the stored texts."""
    db.execute("INSERT INTO versions_fts (versions_fts) VALUES ('rebuild')")


def matched_articles(db: Any, watermark: int) -> list[dict[str, Any]]:
    """The latest version of each article the citations step has passed, as it matches them,
    with the readouts its stored verbatim citations name (``reported`` ones are another step's)."""
    cursor = db.execute(
        "SELECT v.id, v.document_id, v.text, v.metadata, v.page_hash, d.url, d.title, d.source,"
        " (SELECT json_group_array(readout_id) FROM citations c WHERE c.article_id = d.id"
        "  AND c.method IS NOT 'reported') AS cited"
        f" FROM documents d JOIN versions v ON v.id = {latest_version_id('d.id')}"
        " WHERE d.kind = 'commentary' AND v.id <= ? ORDER BY v.id",
        [watermark],
    )
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    for row in rows:
        row["cited"] = set(json.loads(row["cited"]))
    return rows


def citation_findings(article: dict[str, Any], found: set[int]) -> list[Finding]:
    """What differs between the readouts an article cites by today's matching (``found``) and its
    stored citations."""
    return [
        Finding(
            CITATIONS,
            f"article {article['document_id']} cites readout {readout_id}"
            " but has no citations row for it",
            [article["id"]],
        )
        for readout_id in sorted(found - article["cited"])
    ] + [
        Finding(
            CITATIONS,
            f"article {article['document_id']} has a citations row for readout {readout_id}"
            " that matching no longer finds",
            [article["id"]],
        )
        for readout_id in sorted(article["cited"] - found)
    ]


def forget_indexed(db: Any, version_ids: list[int]) -> None:
    """Mark versions as not indexed, so the index step indexes them again (its inserts ignore
    the rows already there)."""
    db.execute(
        "DELETE FROM citation_indexed_versions WHERE version_id IN (SELECT value FROM json_each(?))",
        [json.dumps(version_ids)],
    )


def forget_unflagged_citations(db: Any) -> None:
    """Delete the citations whose ``new_citation`` flag is missing: matching the article again
    re-creates each one and raises its flag once."""
    db.execute(
        "DELETE FROM citations WHERE method IS NOT 'reported' AND NOT EXISTS (SELECT 1 FROM flags f WHERE"
        " f.key = 'new_citation:article:' || citations.article_id || ':readout:'"
        " || citations.readout_id)"
    )


def restore_drifted_citation_ids(db: Any, version_ids: list[int]) -> None:
    """Put back, as empty rows, the lost citations of these article versions that a
    ``quote_drift`` flag names by id.

    Matching the article again then fills the row in place: the citation keeps the id its flag
    was raised under, so the drift is not flagged a second time under a new id.
    """
    for key, article_id, readout_id in db.execute(
        "SELECT f.key, f.document_id, f.related_document_id FROM flags f"
        " JOIN versions v ON v.document_id = f.document_id"
        " WHERE f.kind = 'quote_drift' AND v.id IN (SELECT value FROM json_each(?))"
        " ORDER BY f.id DESC",
        [json.dumps(version_ids)],
    ).fetchall():
        citation_id = int(key.split(":")[2])  # quote_drift:citation:ID:readout_version:V
        db.execute(
            "INSERT INTO citations (id, article_id, readout_id, method, spans, status)"
            " SELECT ?, ?, ?, 'quote', '[]', 'drifted' WHERE NOT EXISTS (SELECT 1 FROM citations"
            " WHERE id = ? OR (article_id = ? AND readout_id = ?))",
            [citation_id, article_id, readout_id, citation_id, article_id, readout_id],
        )
