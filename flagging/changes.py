"""What changed between two consecutive versions of a document, computed once and stored.

The flag job's first step: for every new version (readout or commentary) it diffs the text
with the one before, classifies the change and writes one ``changes`` row. The
``edited_readout`` flag, ``readouts diff`` and Datasette all read that row, so a long
transcript is diffed once, not on every look.

Texts are compared as the content hash sees them: typography folded paragraph by paragraph
(``normalize_text``) and the source's ``ignore_patterns`` removed, so the stored diff shows
exactly what counted as a change.
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from analysis.diff import (
    DEFAULT_TIMEOUT,
    DELETE,
    EQUAL,
    INSERT,
    diff_stats,
    expand_diff,
    paragraph_word_diff,
    stored_diff,
)
from flagging.batches import run_in_batches
from storage.changes import (
    delete_changes_to,
    dequeue_rewrite,
    ignore_pattern_lists,
    ignore_patterns_by_source,
    insert_change,
    rewrite_generation,
    rewrite_queue,
)
from storage.database import write_transaction
from storage.normalize import normalize_text, strip_ignored
from storage.queries import source_ignore_patterns, stored_change
from storage.timeutil import utc_now
from storage.versions import history_from, last_version_with_hash, version_number, versions_after

logger = logging.getLogger(__name__)

BATCH = 50  # versions diffed per write transaction: keeps the write lock short
TRUNCATED_SHARE = 0.5  # at least this share of the old words gone, and nothing comparable added
WATERMARK = "changes.last_version_id"
_SENTENCE = re.compile(r"[^\s][^\n]*?(?:[.!?…]+(?=\s|$)|(?=\n)|$)")

# Kinds, in the order they are listed.
REVERTED = "reverted"
TRUNCATED = "truncated"
TEXT_EDITED = "text_edited"
PARAGRAPH_REMOVED = "paragraph_removed"
PARAGRAPH_ADDED = "paragraph_added"
TITLE_CHANGED = "title_changed"
DATE_CHANGED = "date_changed"


@dataclass
class Change:
    """One classified change between two versions; ``summary`` says it in one line."""

    words_added: int
    words_removed: int
    sentences_changed: int
    share_changed: float
    title_changed: bool
    date_changed: bool
    kinds: list[str]
    summary: str
    diff: list[tuple[int, str]] = field(default_factory=list)
    diff_timed_out: bool = False
    reverted_to_version_id: int | None = None


def comparable_text(text: str | None, ignore_patterns: list[str] = ()) -> str:
    """The text as versions are compared: noise removed, typography folded, one line per paragraph."""
    lines = (normalize_text(line) for line in strip_ignored(text, ignore_patterns).splitlines())
    return "\n".join(line for line in lines if line)


def compare_versions(
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    ignore_patterns: list[str] = (),
    reverted_to: dict[str, Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Change:
    """Diff and classify two versions (dicts with ``title``, ``text``, ``published_at``)."""
    old = comparable_text(before["text"], ignore_patterns)
    new = comparable_text(after["text"], ignore_patterns)
    ops, timed_out = paragraph_word_diff(old, new, timeout=timeout)
    stats = diff_stats(ops)
    title_changed = normalize_text(before["title"]) != normalize_text(after["title"])
    date_changed = (before["published_at"] or "") != (after["published_at"] or "")
    removed_paragraphs, added_paragraphs, sentences = _paragraphs_and_sentences(ops)
    if old == new and not title_changed and not date_changed:
        # Back to an earlier version's hash, but the same as the version before once the noise
        # rules apply (a rule dropped, then put back): no change, so no revert either.
        reverted_to = None

    kinds: list[str] = []
    if reverted_to is not None:
        kinds.append(REVERTED)
    elif old != new:
        truncated = (
            stats.words_removed >= TRUNCATED_SHARE * stats.words_before
            and stats.words_after <= TRUNCATED_SHARE * stats.words_before
        )
        kinds.append(TRUNCATED if truncated else TEXT_EDITED)
        if removed_paragraphs:
            kinds.append(PARAGRAPH_REMOVED)
        if added_paragraphs:
            kinds.append(PARAGRAPH_ADDED)
    if reverted_to is None:
        if title_changed:
            kinds.append(TITLE_CHANGED)
        if date_changed:
            kinds.append(DATE_CHANGED)

    change = Change(
        words_added=stats.words_added,
        words_removed=stats.words_removed,
        sentences_changed=sentences,
        share_changed=round(stats.share_changed, 4),
        title_changed=title_changed,
        date_changed=date_changed,
        kinds=kinds,
        summary="",
        diff=ops,
        diff_timed_out=timed_out,
        reverted_to_version_id=reverted_to["id"] if reverted_to else None,
    )
    change.summary = _summary(
        change, stats.words_before, before, after, reverted_to, removed_paragraphs, added_paragraphs
    )
    return change


def _summary(
    change: Change,
    words_before: int,
    before: dict[str, Any],
    after: dict[str, Any],
    reverted_to: dict[str, Any] | None,
    removed_paragraphs: int,
    added_paragraphs: int,
) -> str:
    if reverted_to is not None:
        return (
            f"reverted to version {reverted_to['version']}: the text, title and date are back as"
            f" they were (no new text)"
        )
    parts = []
    if TRUNCATED in change.kinds:
        parts.append(
            f"truncated: {change.words_removed} of {words_before}"
            f" word(s) removed ({_share(change.share_changed)} of the text)"
        )
    elif TEXT_EDITED in change.kinds:
        parts.append(
            f"text edited: {change.words_added} word(s) added, {change.words_removed} removed,"
            f" {change.sentences_changed} sentence(s) changed ({_share(change.share_changed)} of the text)"
        )
    if removed_paragraphs:
        parts.append(f"{removed_paragraphs} paragraph(s) removed")
    if added_paragraphs:
        parts.append(f"{added_paragraphs} paragraph(s) added")
    if change.title_changed:
        parts.append(f"title changed from “{' '.join((before['title'] or '').split())}”")
    if change.date_changed:
        parts.append(
            f"publication date changed from {before['published_at']} to {after['published_at']}"
        )
    return "; ".join(parts) or "no change once the source's noise rules are applied"


def _share(share: float) -> str:
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _paragraphs_and_sentences(ops: list[tuple[int, str]]) -> tuple[int, int, int]:
    """Paragraphs wholly removed, wholly added, and sentences touched by the diff."""
    old_parts: list[tuple[int, str]] = [(op, text) for op, text in ops if op != INSERT]
    new_parts: list[tuple[int, str]] = [(op, text) for op, text in ops if op != DELETE]
    old, old_marks = _marked(old_parts, DELETE)
    new, new_marks = _marked(new_parts, INSERT)
    # Where a deletion happened, seen from the new text: the sentence there was edited.
    cut_points = []
    position = 0
    for op, text in ops:
        if op == DELETE:
            cut_points.append(position)
        elif op in (EQUAL, INSERT):
            position += len(text)

    def wholly(text: str, marks: bytearray, start: int, end: int) -> bool:
        # Stops at the first unmarked character: most paragraphs are not wholly changed.
        found = False
        for char, mark in zip(text[start:end], marks[start:end]):
            if not char.isspace():
                if not mark:
                    return False
                found = True
        return found

    removed = sum(wholly(old, old_marks, m.start(), m.end()) for m in re.finditer(r"[^\n]+", old))
    added = sum(wholly(new, new_marks, m.start(), m.end()) for m in re.finditer(r"[^\n]+", new))
    sentences = 0
    for match in _SENTENCE.finditer(new):
        start, end = match.span()
        if any(new_marks[start:end]) or bisect_right(cut_points, end) > bisect_left(
            cut_points, start + 1
        ):
            sentences += 1
    sentences += sum(wholly(old, old_marks, m.start(), m.end()) for m in _SENTENCE.finditer(old))
    return removed, added, sentences


def _marked(parts: list[tuple[int, str]], changed_op: int) -> tuple[str, bytearray]:
    text = "".join(piece for _, piece in parts)
    marks = bytearray(len(text))
    position = 0
    for op, piece in parts:
        if op == changed_op:
            marks[position : position + len(piece)] = b"\x01" * len(piece)
        position += len(piece)
    return text, marks


# -- the flag-job step --------------------------------------------------------------------------


def record_changes(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Store a ``changes`` row for every version stored since the last run. Raises no flag."""
    patterns = ignore_patterns_by_source(db)

    def handle(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            if record := _change_record(db, row, patterns):
                insert_change(db, record)
        return []

    return run_in_batches(db, WATERMARK, versions_after, handle, batch=BATCH)


def recompute_rewritten_histories(
    db: sqlite_utils.Database,
    on_recomputed: Callable[[sqlite_utils.Database, list[int]], None] = lambda db, ids: None,
) -> list[int]:
    """Recompute the change rows of histories an archive capture reordered; return the ids of
    the versions whose change row was recomputed.

    ``storage.archive`` deleted those rows and queued the document in ``history_rewrites``; the
    versions keep their ids, so the watermark of ``record_changes`` has passed them. A document
    reordered again while its rows were computed keeps its place in the queue for the next run.
    ``on_recomputed(db, version_ids)`` runs in the transaction that stores the new rows (flags
    derived from them commit with them).
    """
    patterns = ignore_patterns_by_source(db)
    recomputed: list[int] = []
    queue = rewrite_queue(db)
    for queued in queue:
        document_id = queued["document_id"]
        rows = history_from(db, document_id, queued["from_version"], queued["source"])
        records = [record for row in rows if (record := _change_record(db, row, patterns))]
        with write_transaction(db):
            if rewrite_generation(db, document_id) != queued["generation"]:
                continue  # done by another process, or reordered again: computed next run
            # Rows a concurrent record_changes may have written from the old order.
            delete_changes_to(db, [row["id"] for row in rows])
            for record in records:
                insert_change(db, record)
            dequeue_rewrite(db, document_id)
            ids = [record["to_version_id"] for record in records]
            if ids:
                on_recomputed(db, ids)
        recomputed += ids
    if queue:
        logger.info(
            "Recomputed %d change row(s) of %d reordered history(ies)", len(recomputed), len(queue)
        )
    return recomputed


def _change_record(
    db: sqlite_utils.Database, row: dict[str, Any], patterns: dict[str, list[str]]
) -> dict[str, Any] | None:
    if row["version"] == 1:
        return None
    previous = version_number(db, row["document_id"], row["version"] - 1)
    if previous is None:
        return None
    reverted_to = last_version_with_hash(
        db, row["document_id"], previous["version"], row["content_hash"]
    )
    change = compare_versions(
        previous, row, ignore_patterns=patterns.get(row["source"], []), reverted_to=reverted_to
    )
    if change.diff_timed_out:
        logger.warning(
            "Diff of document %s v%s → v%s hit its time bound: stored, but not minimal",
            row["document_id"],
            previous["version"],
            row["version"],
        )
    return {
        "document_id": row["document_id"],
        "from_version_id": previous["id"],
        "to_version_id": row["id"],
        "from_version": previous["version"],
        "to_version": row["version"],
        "created_at": utc_now(),
        "words_added": change.words_added,
        "words_removed": change.words_removed,
        "sentences_changed": change.sentences_changed,
        "share_changed": change.share_changed,
        "title_changed": int(change.title_changed),
        "date_changed": int(change.date_changed),
        "kinds": json.dumps(change.kinds),
        "reverted_to_version_id": change.reverted_to_version_id,
        "summary": change.summary,
        "diff": stored_diff(change.diff),
        "diff_timed_out": int(change.diff_timed_out),
    }


def displayed_diff(
    stored: str | None,
    before_text: str | None,
    after_text: str | None,
    pattern_lists: list[list[str]],
) -> list[tuple[int, str]]:
    """The word diff of two versions as compared, for a reader: the stored one rebuilt against
    their texts under the ``ignore_patterns`` it was computed with (the first of
    ``pattern_lists``, today's list then the source's earlier ones, that it fits), or, when
    there is none or it fits none (a hand edit), computed now under today's list."""
    try:
        ops = json.loads(stored) if stored else None
    except (ValueError, RecursionError):
        ops = None
    for patterns in pattern_lists if isinstance(ops, list) else []:
        old = comparable_text(before_text, patterns)
        new = comparable_text(after_text, patterns)
        try:
            expanded = expand_diff(ops, old, new)
        except (TypeError, ValueError):
            expanded = None
        if expanded is not None:
            return expanded
    today = pattern_lists[0] if pattern_lists else []
    ops, _ = paragraph_word_diff(
        comparable_text(before_text, today), comparable_text(after_text, today)
    )
    return ops


def change_for_display(
    db: sqlite_utils.Database, source: str, before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """The change between two versions as ``readouts diff`` shows it, and whether it was stored.

    Consecutive versions read their stored row; any other pair is compared now, the same way.
    """
    row = stored_change(db, before["id"], after["id"])
    if row is not None:
        ops = displayed_diff(
            row["diff"], before["text"], after["text"], ignore_pattern_lists(db, source)
        )
        return {**row, "kinds": json.loads(row["kinds"]), "diff": [list(op) for op in ops]}, True
    reverted_to = None
    if before["content_hash"] != after["content_hash"] and after["version"] > before["version"]:
        reverted_to = last_version_with_hash(
            db, after["document_id"], before["version"], after["content_hash"]
        )
    change = compare_versions(
        before, after, ignore_patterns=source_ignore_patterns(db, source), reverted_to=reverted_to
    )
    if before["content_hash"] == after["content_hash"]:
        change.summary = "the two versions have the same content"
    return {
        "from_version": before["version"],
        "to_version": after["version"],
        "words_added": change.words_added,
        "words_removed": change.words_removed,
        "sentences_changed": change.sentences_changed,
        "share_changed": change.share_changed,
        "title_changed": int(change.title_changed),
        "date_changed": int(change.date_changed),
        "kinds": change.kinds,
        "reverted_to_version_id": change.reverted_to_version_id,
        "summary": change.summary,
        "diff": [list(op) for op in change.diff],
        "diff_timed_out": int(change.diff_timed_out),
    }, False
