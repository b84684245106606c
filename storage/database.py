"""Opening the database and writing to it safely from several processes at once.

A daemon and a manual backfill write to the same file. In WAL mode readers never block,
but a transaction that starts as a reader cannot be upgraded while another process writes
("database is locked" regardless of the busy timeout), so every write here starts with
``BEGIN IMMEDIATE`` and waits up to the busy timeout for the lock (``READOUTS_BUSY_TIMEOUT``
seconds, default ``BUSY_TIMEOUT``).

A write that cannot happen is raised as a named ``ArchiveError`` (full disk, lock held too
long, not an archive), so the crawl can stop at once and the CLI can say so in one line
instead of a traceback: every write goes through ``write_transaction``, which translates.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from storage.schema import SCHEMA_VERSION, ensure_schema

BUSY_TIMEOUT = 30.0
SQLITE_HEADER = b"SQLite format 3\x00"  # its length: how much of a refused file is shown
_AFFINITY_NOTE = re.compile(r"(TEXT|NUMERIC|INTEGER|REAL|BLOB) value in \S+$")


class ArchiveError(Exception):
    """The archive cannot be used or written; ``exit_code`` is the CLI's exit status."""

    exit_code = 1
    reason = "the archive cannot be written"  # a short cause, for log lines and run messages


class ArchiveFull(ArchiveError):
    """A write failed because the disk (or filesystem) holding the archive is full."""

    reason = "the disk holding the archive is full"

    def __init__(self, path: str | None, detail: str = ""):
        self.path = path
        self.detail = detail
        where = mount_point(path) if path else "the disk holding the archive"
        super().__init__(
            f"no space left for the archive {path or ''}: the disk is full"
            + (f" ({detail})" if detail else "")
            + f". Free space on {where}, then run again."
        )


class ArchiveLocked(ArchiveError):
    """Another process held the write lock for longer than the busy timeout."""

    MARK = "is locked by another process"  # the daemon recognises a child's failure by it
    reason = f"the archive {MARK}"

    def __init__(self, path: str | None, holder: str | None = None):
        self.path = path
        self.holder = holder
        super().__init__(
            f"the archive {path or ''} {self.MARK}"
            + (f" — {holder} holds it" if holder else "")
            + f" (waited {busy_timeout():g} s). Run again when it is done"
            " (or set READOUTS_BUSY_TIMEOUT to wait longer)."
        )


class NotAnArchive(ArchiveError):
    """``--db`` names something that is not an archive this version can use; nothing was written."""

    exit_code = 2

    def __init__(self, path: str | Path, what: str):
        self.path = str(path)
        super().__init__(f"{path} is not a readouts archive: {what}. Nothing was written to it.")


def busy_timeout() -> float:
    """Seconds a write waits for another process's lock: ``READOUTS_BUSY_TIMEOUT`` or 30."""
    try:
        return float(os.environ.get("READOUTS_BUSY_TIMEOUT", BUSY_TIMEOUT))
    except ValueError:
        return BUSY_TIMEOUT


def open_database(path: str | Path, *, upgrade: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the archive at ``path`` with WAL, foreign keys and a busy timeout.

    With ``upgrade`` (the first open of a command) the file is checked before anything is
    written: ``NotAnArchive`` for a directory, a file that is not SQLite, a schema newer than
    this version knows, or (before a schema upgrade) one that fails ``PRAGMA quick_check``.
    """
    path = Path(path)
    if path.is_dir():
        raise NotAnArchive(path, "it is a directory")
    if not path.parent.is_dir():
        raise NotAnArchive(path, f"there is no folder {path.parent}")
    conn = sqlite3.connect(str(path), timeout=busy_timeout(), isolation_level=None)
    try:
        if upgrade:
            _check_contents(conn, path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        db = sqlite_utils.Database(conn)
        if upgrade:
            with translated(db):
                ensure_schema(db)
    except sqlite3.Error as error:
        conn.close()
        named = archive_error(error, str(path))
        if isinstance(named, NotAnArchive) and "not a SQLite" in str(named):
            named = NotAnArchive(path, _not_sqlite(path))
        if named is None:
            raise
        raise named from error
    except ArchiveError:
        conn.close()
        raise
    return db


def _not_sqlite(path: Path) -> str:
    """What SQLite refused, in words. Read only after SQLite said it is no database: opening and
    closing a file SQLite has open in this process would drop its POSIX locks."""
    with path.open("rb") as file:
        head = file.read(len(SQLITE_HEADER))
    shown = head.decode("utf-8", "replace").strip() or repr(head)
    return f"it is not a SQLite database (it starts with {shown!r})"


def _check_contents(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise NotAnArchive(
            path,
            f"its schema is version {version}, newer than this version of readouts"
            f" understands ({SCHEMA_VERSION}); upgrade readouts",
        )
    if version == SCHEMA_VERSION:
        # Checked before migrating only: a full check reads the whole file, too slow for every
        # command on a large archive; damage met later is raised as NotAnArchive when read.
        return
    # Damage only: a value whose type does not match its column's affinity ("NUMERIC value in
    # fetches.page_hash") is SQLite's note on the data, not a broken file.
    problems = [
        row[0]
        for row in conn.execute("PRAGMA quick_check(20)")
        if row[0] != "ok" and not _AFFINITY_NOTE.match(row[0])
    ][:5]
    if problems:
        raise NotAnArchive(
            path,
            f"it fails PRAGMA quick_check ({'; '.join(problems)}); restore it from a backup"
            " or recover it with the sqlite3 shell's .recover",
        )


def archive_error(error: sqlite3.Error, path: str | None) -> ArchiveError | None:
    """The named error a SQLite error stands for (full, locked, not a database), else None."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return ArchiveFull(path)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return ArchiveLocked(path, lock_holder(path) if path else None)
    if name.startswith("SQLITE_NOTADB") or "file is not a database" in text:
        return NotAnArchive(path, "it is not a SQLite database")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return NotAnArchive(path, "it is damaged (database disk image is malformed)")
    return None


def database_file(db: sqlite_utils.Database) -> str | None:
    try:
        return db.conn.execute("PRAGMA database_list").fetchone()[2] or None
    except sqlite3.Error:
        return None


@contextlib.contextmanager
def translated(db: sqlite_utils.Database) -> Iterator[None]:
    """Raise SQLite's full / locked / not-a-database errors as their ``ArchiveError``."""
    try:
        yield
    except sqlite3.Error as error:
        named = archive_error(error, database_file(db))
        if named is None:
            raise
        raise named from error


@contextlib.contextmanager
def page_cache(db: sqlite_utils.Database, mebibytes: int) -> Iterator[sqlite_utils.Database]:
    """A larger page cache for one bulk step (SQLite's default is 2 MiB): a batch's sorted
    inserts sweep a B-tree of hundreds of MB, and with the default every page is read back
    from the file for each batch. The memory is taken as pages are read and given back after."""
    before = db.conn.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute(f"PRAGMA cache_size = -{int(mebibytes) * 1024}")
    try:
        yield db
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(before)}")


@contextlib.contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Reads that see one state of the archive (a deferred ``BEGIN`` … ``COMMIT``: in WAL mode
    a writer carries on meanwhile); inside a transaction already, that one's."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        db.conn.execute("COMMIT")


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One short write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error.

    Nested calls join the outer transaction (sqlite-utils' own ``atomic()`` then uses savepoints).
    A full disk or a lock held too long raises ``ArchiveFull`` or ``ArchiveLocked``.
    """
    if db.conn.in_transaction:
        yield db
        return
    with translated(db):
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")


def lock_holder(path: str) -> str | None:
    """Who holds the write lock, when the archive says so: an unfinished run of a live process."""
    from storage.runs import process_alive  # runs imports this module

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            rows = conn.execute(
                "SELECT source, started_at, pid FROM runs WHERE finished_at IS NULL ORDER BY id"
            ).fetchall()
            daemon_pids = {
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM daemon WHERE state IN ('running', 'stopping')"
                )
            }
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    for source, started_at, pid in rows:
        if process_alive(pid):
            owner = "the daemon's run" if _parent_pid(pid) in daemon_pids else "the run"
            return f"{owner} of {source} started {started_at[11:16]} UTC (pid {pid})"
    return None


def _parent_pid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def mount_point(path: str | Path) -> str:
    """The mount point of the filesystem holding ``path`` (what a user frees space on)."""
    current = Path(path).resolve().parent
    while not os.path.ismount(current) and current != current.parent:
        current = current.parent
    return str(current)


def free_bytes(path: str | Path) -> int:
    """Bytes free to unprivileged users on the filesystem that holds (or will hold) ``path``."""
    return shutil.disk_usage(Path(path).resolve().parent).free
