"""The Wayback Machine's CDX API and raw captures, as URLs and parsed rows.

The CDX server lists captures (``/cdx/search/cdx``); ``/web/<timestamp>id_/<url>`` replays one
capture exactly as it was served, without the archive's banner or rewritten links, so the
source's own ``parse_item`` can read it like a live page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import urlencode, urlsplit, urlunsplit

DEFAULT_URL = "https://web.archive.org"
PAGE_SIZE = 1000  # captures per CDX request; the rest comes with the resume key
_DEFAULT_PORTS = {"http": 80, "https": 443}


class CdxError(ValueError):
    """A CDX answer that is not the JSON table the API documents."""


@dataclass(frozen=True)
class Capture:
    timestamp: str  # YYYYMMDDhhmmss, UTC
    original: str

    @property
    def seen_at(self) -> str:
        moment = datetime.strptime(self.timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
        return moment.replace(tzinfo=timezone.utc).isoformat()


def cdx_url(
    wayback_url: str,
    prefix: str,
    since: date | None = None,
    until: date | None = None,
    resume_key: str | None = None,
) -> str:
    """Successful captures under ``prefix`` in [since, until], identical neighbours collapsed."""
    params = [
        ("url", prefix),
        ("matchType", "prefix"),
        ("output", "json"),
        ("filter", "statuscode:200"),
        ("collapse", "digest"),
        ("limit", str(PAGE_SIZE)),
        ("showResumeKey", "true"),
    ]
    if since:
        params.append(("from", since.strftime("%Y%m%d")))
    if until:
        params.append(("to", until.strftime("%Y%m%d")))
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{wayback_url.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def parse_cdx(text: str) -> tuple[list[Capture], str | None]:
    """The captures of one CDX answer and the resume key for the next page, if any."""
    try:
        rows = json.loads(text) if text.strip() else []
    except ValueError as error:
        raise CdxError(f"CDX answer is not JSON: {error}") from None
    if not rows:
        return [], None
    header, rows = rows[0], rows[1:]
    resume_key = None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume_key, rows = rows[-1][0], rows[:-2]
    try:
        timestamp, original = header.index("timestamp"), header.index("original")
    except (AttributeError, ValueError):
        raise CdxError(f"CDX answer lacks timestamp/original columns: {header!r}") from None
    return [Capture(row[timestamp], row[original]) for row in rows if row], resume_key


def capture_url(wayback_url: str, capture: Capture) -> str:
    """The raw capture, as the site served it."""
    return f"{wayback_url.rstrip('/')}/web/{capture.timestamp}id_/{capture.original}"


def host_prefix(url: str) -> str:
    """``host[:port]/`` of a URL: the CDX prefix covering a whole site."""
    return _netloc(urlsplit(url)) + "/"


def same_site_url(original: str, base_url: str) -> str:
    """A captured URL in the form the source uses (its scheme, no default port), so captures
    and live fetches of one page are one document."""
    captured, base = urlsplit(original), urlsplit(base_url)
    if base.netloc and _netloc(captured).lower() == _netloc(base).lower():
        return urlunsplit((base.scheme, base.netloc, captured.path, captured.query, ""))
    return original


def _netloc(parts) -> str:
    host = parts.hostname or ""
    port = parts.port
    if port and port != _DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{port}"
    return host
