"""Opening the database and writing to it safely from several processes at once.

A daemon and a manual backfill write to the same file. In WAL mode readers never block,
but a transaction that starts as a reader cannot be upgraded while another process writes
("database is locked" regardless of the busy timeout), so every write here starts with
``BEGIN IMMEDIATE`` and waits up to ``BUSY_TIMEOUT`` seconds for the lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from storage.schema import ensure_schema

BUSY_TIMEOUT = 30.0


def open_database(path: str | Path, *, upgrade: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the archive at ``path`` with WAL, foreign keys and a busy timeout."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    db = sqlite_utils.Database(conn)
    if upgrade:
        ensure_schema(db)
    return db


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One short write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error.

    Nested calls join the outer transaction (sqlite-utils' own ``atomic()`` then uses savepoints).
    """
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")
