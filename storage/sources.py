"""The ``sources`` table mirrors the sources file, so Datasette can show and join it.

Datasette shows this table to anyone who may read the database (pages, JSON, arbitrary SQL), so
secrets from the sources file never reach it: a proxy's credentials and the values of a source's
extra ``headers`` are masked the way apprise masks the notification URLs we store. The crawler
reads the real values from the sources file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from storage.database import write_transaction
from storage.runs import last_attempts
from storage.timeutil import utc_now

SECRET = "****"  # apprise's mask for a secret (``PrivacyMode.Secret``)


def ignore_patterns_of(config: str | None) -> list[str]:
    """The ``ignore_patterns`` in a ``sources.config`` value (JSON), or none."""
    return json.loads(config or "{}").get("ignore_patterns") or []


def redacted_config(config: dict[str, Any]) -> dict[str, Any]:
    """A source's settings as they may be stored: credentials in its URLs (proxy, base URL,
    start URLs) and header values masked."""
    redacted = dict(config)
    for key in ("proxy", "base_url"):
        if redacted.get(key):
            redacted[key] = redacted_url(redacted[key])
    if redacted.get("start_urls"):
        redacted["start_urls"] = [redacted_url(url) for url in redacted["start_urls"]]
    if redacted.get("headers"):
        redacted["headers"] = {name: SECRET for name in redacted["headers"]}
    return redacted


def redacted_url(url: str) -> str:
    """The URL with its user name and password masked (some proxies take the key as user name)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{SECRET}:{SECRET}@{host}"))


def redact_stored_configs(db: sqlite_utils.Database) -> None:
    """Mask the secrets older releases stored in ``sources.config`` (an upgrade step).

    ``secure_delete`` overwrites the old values in the file too, not only in the table.
    """
    secure_delete = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    for name, base_url, config in db.execute(
        "SELECT name, base_url, config FROM sources"
    ).fetchall():
        settings = json.loads(config or "{}")
        cleaned = json.dumps(redacted_config(settings), sort_keys=True, default=str)
        if cleaned != json.dumps(settings, sort_keys=True, default=str) or (
            base_url and redacted_url(base_url) != base_url
        ):
            db.execute(
                "UPDATE sources SET config = ?, base_url = ? WHERE name = ?",
                [cleaned, base_url and redacted_url(base_url), name],
            )
    db.execute(f"PRAGMA secure_delete = {int(secure_delete)}")


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
                    "base_url": redacted_url(
                        source.base_url or (source.start_urls or [""])[0] or ""
                    )
                    or None,
                    "schedule": source.schedule,
                    "config": json.dumps(
                        redacted_config(source.config), sort_keys=True, default=str
                    ),
                    "updated_at": now,
                },
                pk="name",
            )
            patterns = source.config.get("ignore_patterns") or []
            if patterns:
                db.execute(
                    "INSERT OR IGNORE INTO source_ignore_patterns (source, patterns, first_synced)"
                    " VALUES (?, ?, ?)",
                    [source.name, json.dumps(patterns), now],
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
