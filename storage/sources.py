"""The ``sources`` table mirrors the sources file, so Datasette can show and join it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from storage.database import write_transaction
from storage.runs import last_attempts
from storage.timeutil import utc_now


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Any]) -> None:
    """Upsert each configured source (objects with name, kind, spider, base_url, schedule, config)."""
    now = utc_now()
    with write_transaction(db):
        for source in sources:
            db["sources"].upsert(
                {
                    "name": source.name,
                    "kind": source.kind,
                    "spider": source.spider,
                    "base_url": source.base_url or (source.start_urls or [None])[0],
                    "schedule": source.schedule,
                    "config": json.dumps(source.config, sort_keys=True, default=str),
                    "updated_at": now,
                },
                pk="name",
            )


def source_overview(db: sqlite_utils.Database, names: list[str]) -> list[dict[str, Any]]:
    """Each named source with its last run, that run's outcome, and the start of the last run
    that counts for its schedule (``last_attempt_at``: monitor or recheck, not interrupted)."""
    attempts = last_attempts(db)
    rows = []
    for name in names:
        source = db["sources"].get(name)
        last = db.execute(
            "SELECT id, started_at, finished_at, outcome, mode FROM runs WHERE source = ?"
            " ORDER BY id DESC LIMIT 1",
            [name],
        ).fetchone()
        settings = json.loads(source["config"])
        rows.append(
            {
                "name": name,
                "kind": source["kind"],
                "spider": source["spider"],
                "schedule": source["schedule"],
                "enabled": settings.get("enabled", True),
                "last_run": last[1] if last else None,
                "last_outcome": (last[3] or "running") if last else None,
                "last_mode": last[4] if last else None,
                "last_attempt_at": attempts.get(name),
            }
        )
    return rows


def source_notes(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Each stored source with the description and licence its configuration gives."""
    rows = []
    for row in db.query("SELECT name, kind, base_url, config FROM sources ORDER BY name"):
        settings = json.loads(row.pop("config") or "{}")
        rows.append(
            {**row, "description": settings.get("description"), "licence": settings.get("licence")}
        )
    return rows
