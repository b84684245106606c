"""The flag job's steps' state, kept in ``job_state``: watermarks (row ids) and the few values
a step must compare with its last run's (as text)."""

from __future__ import annotations

import sqlite_utils


def get_state(db: sqlite_utils.Database, name: str) -> int:
    return int(get_text_state(db, name) or 0)


def set_state(db: sqlite_utils.Database, name: str, value: int) -> None:
    set_text_state(db, name, str(value))


def get_text_state(db: sqlite_utils.Database, name: str) -> str | None:
    row = db.execute("SELECT value FROM job_state WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def set_text_state(db: sqlite_utils.Database, name: str, value: str) -> None:
    db.execute(
        "INSERT INTO job_state (name, value) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        [name, value],
    )
