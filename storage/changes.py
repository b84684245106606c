"""Change rows (one per pair of consecutive versions) and the queue of reordered histories.

The flag job's ``record_changes`` step computes the rows; ``storage.archive`` deletes them and
queues the document in ``history_rewrites`` when an archive capture reorders a history.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from storage.sources import ignore_patterns_of


def insert_change(db: sqlite_utils.Database, record: dict[str, Any]) -> None:
    db.execute(
        "INSERT OR IGNORE INTO changes (document_id, from_version_id, to_version_id,"
        " from_version, to_version, created_at, words_added, words_removed,"
        " sentences_changed, share_changed, title_changed, date_changed, kinds,"
        " reverted_to_version_id, summary, diff, diff_timed_out) VALUES (:document_id,"
        " :from_version_id, :to_version_id, :from_version, :to_version, :created_at,"
        " :words_added, :words_removed, :sentences_changed, :share_changed,"
        " :title_changed, :date_changed, :kinds, :reverted_to_version_id, :summary,"
        " :diff, :diff_timed_out)",
        record,
    )


def delete_changes_to(db: sqlite_utils.Database, version_ids: list[int]) -> None:
    db.execute(
        f"DELETE FROM changes WHERE to_version_id IN ({', '.join('?' * len(version_ids))})",
        version_ids,
    )


def rewrite_queue(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Queued reordered histories, with their source."""
    return list(
        db.query(
            "SELECT h.document_id, h.from_version, h.generation, d.source FROM history_rewrites h"
            " JOIN documents d ON d.id = h.document_id ORDER BY h.document_id"
        )
    )


def rewrite_generation(db: sqlite_utils.Database, document_id: int) -> int | None:
    row = db.execute(
        "SELECT generation FROM history_rewrites WHERE document_id = ?", [document_id]
    ).fetchone()
    return row[0] if row else None


def dequeue_rewrite(db: sqlite_utils.Database, document_id: int) -> None:
    db.execute("DELETE FROM history_rewrites WHERE document_id = ?", [document_id])


def ignore_pattern_history(db: sqlite_utils.Database) -> dict[str, list[list[str]]]:
    """Every ``ignore_patterns`` list each source has had, today's first, then newest first."""
    history: dict[str, list[list[str]]] = {
        name: [patterns] for name, patterns in ignore_patterns_by_source(db).items() if patterns
    }
    for name, stored in db.execute(
        "SELECT source, patterns FROM source_ignore_patterns ORDER BY first_synced DESC"
    ).fetchall():
        listed, patterns = history.setdefault(name, []), json.loads(stored)
        if patterns not in listed:
            listed.append(patterns)
    return history


def ignore_pattern_lists(db: sqlite_utils.Database | Any, source: str) -> list[list[str]]:
    """The lists a stored diff of ``source`` may have been computed under: today's first, then
    each earlier one, newest first, then none (``db``: sqlite-utils or a sqlite3 connection)."""
    today = ignore_patterns_by_source(db).get(source, [])
    lists = [today]
    for patterns in [*ignore_pattern_history(db).get(source, []), []]:
        if patterns not in lists:
            lists.append(patterns)
    return lists


def ignore_patterns_by_source(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """The ``ignore_patterns`` of each source, as last synced from the sources file."""
    return {
        name: ignore_patterns_of(config)
        for name, config in db.execute("SELECT name, config FROM sources").fetchall()
    }
