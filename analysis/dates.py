"""The one place dates in pages are parsed: ISO 8601 text in, dates and UTC text out.

Pages state dates every way there is (a bare day, a time with an offset, a naive time, "Z",
"December 23, 2016"); every spider and algorithm reads them through these few functions so
that one page's date means the same thing in the archive, the flag job and the counterparts.
"""

from __future__ import annotations

from datetime import date, datetime, timezone


def instant(value: str | None) -> datetime | None:
    """The date or date-time an ISO 8601 text states, as given (naive when it has no offset)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def iso_datetime(value: str | None) -> str | None:
    """An ISO 8601 text normalized: a bare date stays a date, a time keeps its offset."""
    parsed = instant(value)
    if parsed is None:
        return None
    return parsed.date().isoformat() if len(value.strip()) <= 10 else parsed.isoformat()


def utc_instant(value: str | None) -> datetime | None:
    """An aware instant; a time without an offset is taken as UTC."""
    parsed = instant(value)
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def utc_text(value: datetime | None) -> str | None:
    """UTC ISO text to the second, which sorts correctly; a naive time is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def utc_iso(value: str | None) -> str | None:
    """An ISO date-time with an offset (or a naive one meaning UTC) as UTC ISO 8601 text."""
    parsed = utc_instant(value)
    return parsed.astimezone(timezone.utc).isoformat() if parsed is not None else None


def iso_day(value: str | None) -> date | None:
    """The calendar day an ISO text (date or date-time) starts with; None if it has none."""
    try:
        return date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def day_in_format(value: str | None, layout: str) -> str | None:
    """A day written as ``layout`` (``"%B %d, %Y"`` for "December 23, 2016") as an ISO date."""
    try:
        return datetime.strptime((value or "").strip(), layout).date().isoformat()
    except ValueError:
        return None
