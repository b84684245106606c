"""The daemon's heartbeat: one ``daemon`` row per daemon start, so anyone can see it is alive.

The daemon updates ``heartbeat_at`` every tick. A row still ``running`` whose process is gone
from this host, or (for a daemon of another host) whose heartbeat is several ticks old, belongs
to a daemon that died without saying so (killed, machine crashed); the next daemon marks it
``dead`` and takes over.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlite_utils

from storage.database import write_transaction
from storage.runs import process_alive
from storage.timeutil import utc_now

STALE_TICKS = 3  # heartbeats missed before a daemon counts as gone
UNFINISHED = ("running", "stopping")
PID_REUSE_SLACK = 60  # s: a process started this long after a daemon registered is another one


class DaemonAlive(Exception):
    """Another daemon is alive on this database (its row is ``row``)."""

    def __init__(self, row: dict[str, Any]):
        super().__init__(f"daemon {row['id']} (pid {row['pid']} on {row['host']}) is alive")
        self.row = row


def register_daemon(db: sqlite_utils.Database, tick: float, sources: str) -> int:
    """Record that a daemon started in this process; return its row id.

    Raises ``DaemonAlive`` if another daemon is alive. Rows of daemons that died without
    stopping are marked ``dead``. The check and the insert are one write transaction, so of two
    daemons starting at once only one registers.
    """
    now = utc_now()
    with write_transaction(db):
        unfinished = list(
            db.query("SELECT * FROM daemon WHERE state IN (?, ?) ORDER BY id", UNFINISHED)
        )
        for row in unfinished:
            if is_alive(row):
                raise DaemonAlive(row)
        db.execute("UPDATE daemon SET state = 'dead' WHERE state IN (?, ?)", UNFINISHED)
        return db.execute(
            "INSERT INTO daemon (pid, host, started_at, heartbeat_at, tick, state, sources)"
            " VALUES (?, ?, ?, ?, ?, 'running', ?)",
            [os.getpid(), socket.gethostname(), now, now, tick, sources],
        ).lastrowid


def beat(db: sqlite_utils.Database, daemon_id: int, state: str | None = None) -> None:
    """The daemon is alive (and, if given, now in ``state``)."""
    with write_transaction(db):
        db.execute(
            "UPDATE daemon SET heartbeat_at = ?, state = coalesce(?, state) WHERE id = ?",
            [utc_now(), state, daemon_id],
        )


def stop_daemon(db: sqlite_utils.Database, daemon_id: int) -> None:
    now = utc_now()
    with write_transaction(db):
        db.execute(
            "UPDATE daemon SET heartbeat_at = ?, stopped_at = ?, state = 'stopped' WHERE id = ?",
            [now, now, daemon_id],
        )


def latest_daemon(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The most recent daemon row, with ``alive`` (see ``is_alive``)."""
    rows = list(db.query("SELECT * FROM daemon ORDER BY id DESC LIMIT 1"))
    if not rows:
        return None
    row = rows[0]
    row["alive"] = is_alive(row)
    return row


def is_alive(row: dict[str, Any], now: datetime | None = None) -> bool:
    """Whether the daemon of ``row`` still runs. On this host its process decides: alive while
    it exists, whatever its heartbeat (a daemon busy or starved of CPU beats late, and must not
    be taken over by a second one), dead once it is gone (killed: its heartbeat may still be
    fresh). Another host's daemon can only be judged by its heartbeat."""
    if row["state"] not in UNFINISHED:
        return False
    if row["host"] == socket.gethostname():
        return (
            row["pid"] != os.getpid()
            and process_alive(row["pid"])
            and not _started_after(row["pid"], datetime.fromisoformat(row["started_at"]))
        )
    now = now or datetime.now(timezone.utc)
    heartbeat = datetime.fromisoformat(row["heartbeat_at"])
    return now - heartbeat <= timedelta(seconds=STALE_TICKS * (row["tick"] or 60) + 5)


def _started_after(pid: int, moment: datetime) -> bool:
    """Whether process ``pid`` started well after ``moment``: then it is not the daemon that
    registered then, only a later process given the same pid. False when /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat", encoding="ascii") as stat:
            boot = next(int(line.split()[1]) for line in stat if line.startswith("btime "))
    except (OSError, IndexError, ValueError, StopIteration):
        return False
    started = datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), timezone.utc)
    return started > moment + timedelta(seconds=PID_REUSE_SLACK)
