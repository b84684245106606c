"""What a spider hands to the pipeline: the outcome of fetching one URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage.documents import Snapshot
from storage.schema import CRAWL

# Outcomes a spider reports. The pipeline turns them into storage calls and fetch-log entries.
PAGE = "page"  # parsed: title and text found
NOT_MODIFIED = "not_modified"  # 304 to a conditional re-check
SAME_PAGE = "same_page"  # 200 with the very bytes the document was last parsed from
GONE = "gone"  # 404 or 410
PARSE_ERROR = "parse_error"  # the page came, the spider could not parse it
FAILED = "failed"  # timeout, refused connection, 5xx or 429 after retries, oversized body…
ROBOTS = "robots"  # forbidden by robots.txt
OUT_OF_RANGE = "out_of_range"  # parsed, but outside the backfill's date range


@dataclass
class FetchResult:
    source: str
    url: str  # the document's URL (before redirects)
    kind: str  # readout | commentary | listing
    outcome: str
    fetch_id: int | None = None
    http_status: int | None = None
    error: str | None = None
    title: str | None = None
    text: str | None = None
    published_at: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    origin: str = CRAWL  # or ARCHIVE: a web archive's capture, dated by its capture time
    seen_at: str | None = None
    translation_key: str | None = (
        None  # e.g. "kremlin:56155": same key, same text in another language
    )
    page_hash: str | None = None  # SAME_PAGE: the stored raw page the body is identical to
    withdrawn: str | None = None  # the publisher's withdrawal notice: the page stays, as removed

    def snapshot(self, page_hash: str | None, ignore_patterns: list[str]) -> Snapshot:
        """What a parsed page says, as storage records it (one mapping for crawls, imports and
        re-extractions)."""
        return Snapshot(
            source=self.source,
            url=self.url,
            kind=self.kind,
            title=self.title or "",
            text=self.text or "",
            published_at=self.published_at,
            language=self.language,
            metadata=self.metadata,
            seen_at=self.seen_at,
            etag=self.etag,
            last_modified=self.last_modified,
            page_hash=page_hash,
            origin=self.origin,
            translation_key=self.translation_key,
            ignore_patterns=ignore_patterns,
        )
