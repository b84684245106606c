"""Two governments' readouts of the same calls, as ``storage.Snapshot``s: the counterparts
and flag-job tests store them directly, without crawling."""

from __future__ import annotations

from datetime import date, timedelta

import storage

LEADERS = ["Emmanuel Macron", "Olaf Scholz", "Recep Erdogan", "Narendra Modi", "Fumio Kishida"]


def readout(source: str, number: int, edition: int = 0) -> storage.Snapshot:
    """One side's readout of call ``number``: the other source reports the same call."""
    day = date(2024, 1, 1) + timedelta(days=3 * number)
    guest = LEADERS[number % len(LEADERS)]
    edited = f" It was edited {edition} time(s)." if edition else ""
    if source == "kremlin":
        title = f"Telephone conversation with President {guest}"
        text = (
            f"On {day:%B} {day.day}, Vladimir Putin had a telephone conversation with President"
            f" {guest}. The conversation focused on trade route {number}.{edited}"
        )
        published = f"{day}T12:00:00+03:00"
    else:
        title = f"Readout of President Putin call with President {guest.split()[-1]}"
        text = (
            f"President Vladimir Putin spoke today with President {guest}. The leaders"
            f" discussed trade route {number}.{edited}"
        )
        published = f"{day}T08:00:00-05:00"
    return storage.Snapshot(
        source=source,
        url=f"http://{source}.test/{number}",
        kind="readout",
        title=title,
        text=text,
        published_at=published,
        seen_at=f"{day}T20:00:00Z",
    )
