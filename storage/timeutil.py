"""Timestamps: always UTC, ISO 8601, to the second, so that they sort as text."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
