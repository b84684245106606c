"""Watermarks of the flag job's steps, kept in ``job_state``."""

from __future__ import annotations

import sqlite_utils


def get_state(db: sqlite_utils.Database, name: str) -> int:
    row = db.execute("SELECT value FROM job_state WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else 0


def set_state(db: sqlite_utils.Database, name: str, value: int) -> None:
    db.execute(
        "INSERT INTO job_state (name, value) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        [name, str(value)],
    )
