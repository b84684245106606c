"""Raising a flag: each has a unique ``key``, so raising one twice is a no-op."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from storage.timeutil import utc_now


def make_flag(
    kind: str,
    source: str,
    document_id: int,
    version_id: int | None,
    summary: str,
    *,
    related_document_id: int | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    return {
        "created_at": utc_now(),
        "kind": kind,
        "source": source,
        "document_id": document_id,
        "version_id": version_id,
        "related_document_id": related_document_id,
        "summary": summary,
        "key": key or f"{kind}:version:{version_id}",
    }


def insert_flag(db: sqlite_utils.Database, flag: dict[str, Any]) -> bool:
    cursor = db.execute(
        "INSERT OR IGNORE INTO flags (created_at, kind, source, document_id, version_id,"
        " related_document_id, summary, key) VALUES (:created_at, :kind, :source, :document_id,"
        " :version_id, :related_document_id, :summary, :key)",
        flag,
    )
    if cursor.rowcount:
        flag["id"] = cursor.lastrowid
        return True
    return False


def update_flag_summary(db: sqlite_utils.Database, key: str, summary: str) -> None:
    db.execute("UPDATE flags SET summary = ? WHERE key = ?", [summary, key])
