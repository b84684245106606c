"""Delivery of flags to notification channels: one row per flag and channel.

A row is queued as soon as the daemon sees a flag a channel wants, and stays ``pending`` until
a delivery succeeds (``delivered``) or the daemon gives up after many attempts (``failed``,
logged as an error), or its channel is removed from the sources file (``channel_removed``:
no one is left to send it, and a pending row would be counted as pending for ever). Nothing is
dropped silently: every attempt leaves its error in the row.

Each channel keeps a watermark (the last flag id it has seen) in ``job_state``. A channel seen
for the first time starts at the newest flag, so adding a channel to an old archive does not
replay years of flags into it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from storage.database import write_transaction
from storage.timeutil import utc_now

NOTIFICATION_STATUSES = ("pending", "delivered", "failed", "channel_removed")
# How older releases named a channel without a ``name``: its URL as apprise masks it, query cut
# off. A generic webhook's path or an ntfy topic is its secret, and apprise leaves it in.
URL_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")
# What `readouts status` suggests running to see the deliveries that gave up.
FAILED_NOTIFICATIONS_QUERY = "SELECT * FROM notifications WHERE status = 'failed'"


def channel_label(private_url: str) -> str:
    """The name of a channel without a ``name``: its scheme and host, and a short hash of its
    URL as apprise masks it (``private_url``) to tell channels to one host apart.

    The path and query, which may be the secret, are left out; so is a "host" with neither a
    dot nor a port (``ntfy://TOPIC`` puts the topic there). The hash is of the masked URL
    older releases used as the name, so an upgrade can rename their channels
    (``rename_url_labels``).
    """
    parts = urlsplit(private_url)
    host = parts.netloc.rpartition("@")[2]
    shown = f"{parts.scheme}://{host}" if "." in host or ":" in host else parts.scheme
    return f"{shown} ({hashlib.sha256(private_url.encode()).hexdigest()[:8]})"


def rename_url_labels(db: sqlite_utils.Database) -> None:
    """Rename the channels older releases named by their masked URL (an upgrade step): their
    deliveries and watermark move to ``channel_label``. ``secure_delete`` overwrites the old
    names in the file too."""
    prefix, suffix = "notify.", ".last_flag_id"
    watermarks = db.execute(
        "SELECT name FROM job_state WHERE name LIKE 'notify.%.last_flag_id'"
    ).fetchall()
    channels = db.execute("SELECT DISTINCT channel FROM notifications").fetchall()
    labels = {name[len(prefix) : -len(suffix)] for (name,) in watermarks}
    labels |= {channel for (channel,) in channels}
    secure_delete = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    for label in sorted(label for label in labels if URL_LABEL.fullmatch(label)):
        renamed = channel_label(label)
        db.execute("UPDATE notifications SET channel = ? WHERE channel = ?", [renamed, label])
        db.execute(
            "UPDATE OR REPLACE job_state SET name = ? WHERE name = ?",
            [f"{prefix}{renamed}{suffix}", f"{prefix}{label}{suffix}"],
        )
    db.execute(f"PRAGMA secure_delete = {int(secure_delete)}")


def queue_new_flags(
    db: sqlite_utils.Database, channel: str, wants: Callable[[str, str | None], bool]
) -> int:
    """Queue every flag raised since the channel's watermark that ``wants(kind, source)``."""
    state = f"notify.{channel}.last_flag_id"
    with write_transaction(db):
        row = db.execute("SELECT value FROM job_state WHERE name = ?", [state]).fetchone()
        if row is None:
            newest = db.execute("SELECT coalesce(max(id), 0) FROM flags").fetchone()[0]
            _set_watermark(db, state, newest)
            return 0
        flags = db.execute(
            "SELECT id, kind, source FROM flags WHERE id > ? ORDER BY id", [int(row[0])]
        ).fetchall()
        queued = 0
        now = utc_now()
        for flag_id, kind, source in flags:
            if wants(kind, source):
                queued += db.execute(
                    "INSERT OR IGNORE INTO notifications (flag_id, channel, created_at)"
                    " VALUES (?, ?, ?)",
                    [flag_id, channel, now],
                ).rowcount
        if flags:
            _set_watermark(db, state, flags[-1][0])
    return queued


def _set_watermark(db: sqlite_utils.Database, state: str, flag_id: int) -> None:
    db.execute(
        "INSERT INTO job_state (name, value) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        [state, str(flag_id)],
    )


def due_deliveries(db: sqlite_utils.Database, channel: str, now: str) -> list[dict[str, Any]]:
    """Pending deliveries of ``channel`` whose next attempt is due, with what the message needs."""
    return list(
        db.query(
            """
            SELECT n.id, n.flag_id, n.attempts, f.kind, f.source, f.summary, f.created_at,
                   d.url, d.title
            FROM notifications n
            JOIN flags f ON f.id = n.flag_id
            LEFT JOIN documents d ON d.id = f.document_id
            WHERE n.channel = ? AND n.status = 'pending'
              AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= ?)
            ORDER BY n.id
            """,
            [channel, now],
        )
    )


def record_delivered(db: sqlite_utils.Database, delivery_id: int) -> None:
    now = utc_now()
    with write_transaction(db):
        db.execute(
            "UPDATE notifications SET status = 'delivered', attempts = attempts + 1,"
            " last_attempt_at = ?, delivered_at = ?, next_attempt_at = NULL WHERE id = ?",
            [now, now, delivery_id],
        )


def record_failed_attempt(
    db: sqlite_utils.Database, delivery_id: int, error: str, next_attempt_at: str | None
) -> None:
    """One attempt failed; ``next_attempt_at`` None means giving up (status ``failed``)."""
    with write_transaction(db):
        db.execute(
            "UPDATE notifications SET attempts = attempts + 1, last_attempt_at = ?,"
            " last_error = ?, next_attempt_at = ?, status = ? WHERE id = ?",
            [
                utc_now(),
                error,
                next_attempt_at,
                "pending" if next_attempt_at else "failed",
                delivery_id,
            ],
        )


def close_removed_channels(db: sqlite_utils.Database, channels: list[str]) -> int:
    """Mark ``channel_removed`` the pending deliveries of every channel not in ``channels``
    (the ones configured now); how many."""
    where = "status = 'pending'"
    if channels:
        where += f" AND channel NOT IN ({', '.join('?' * len(channels))})"
    found = db.execute(f"SELECT 1 FROM notifications WHERE {where} LIMIT 1", channels)
    if found.fetchone() is None:
        return 0  # the common case, every round: no write transaction
    with write_transaction(db):
        return db.execute(
            f"UPDATE notifications SET status = 'channel_removed', next_attempt_at = NULL"
            f" WHERE {where}",
            channels,
        ).rowcount


def notification_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many deliveries are in each status."""
    counts = dict.fromkeys(NOTIFICATION_STATUSES, 0)
    for status, count in db.execute("SELECT status, count(*) FROM notifications GROUP BY status"):
        counts[status] = count
    return counts
