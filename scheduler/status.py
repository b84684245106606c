"""What ``readouts sources`` and ``readouts status`` say about schedules and the daemon."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scheduler.triggers import next_due


def add_next_runs(rows: list[dict[str, Any]], now: datetime | None = None) -> list[dict[str, Any]]:
    """Set each source row's ``next_run``: when its schedule makes it due ("due" if overdue).

    The daemon adds up to a minute of jitter to this time.
    """
    now = now or datetime.now(timezone.utc)
    for row in rows:
        if not row["enabled"]:
            row["next_run"] = None
            continue
        last = row.get("last_attempt_at")
        due = next_due(row["schedule"], datetime.fromisoformat(last) if last else None, now)
        row["next_run"] = "due" if due <= now else due.replace(microsecond=0).isoformat()
    return rows


def daemon_summary(row: dict[str, Any] | None, now: datetime | None = None) -> str:
    """One line: is a daemon running on this database, and since when."""
    if row is None:
        return "daemon: never started on this database"
    now = now or datetime.now(timezone.utc)
    heartbeat = datetime.fromisoformat(row["heartbeat_at"])
    ago = int((now - heartbeat).total_seconds())
    if row["alive"]:
        return (
            f"daemon: {row['state']} (pid {row['pid']} on {row['host']}, since "
            f"{row['started_at']}, last heartbeat {ago} s ago)"
        )
    if row["state"] == "stopped":
        return f"daemon: not running (stopped at {row['stopped_at']})"
    return (
        f"daemon: not running — pid {row['pid']} on {row['host']} stopped beating at "
        f"{row['heartbeat_at']} without shutting down (killed or crashed?)"
    )
