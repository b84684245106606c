"""Reading news WARC files: where records start, and the HTML responses in a byte range.

A large ``.warc.gz`` is split into byte ranges that workers read independently. Each record of
a conformant ``.warc.gz`` is its own gzip member, so a range boundary is moved forward to the
next member that opens with ``WARC/``; a range holds the records that start inside it. A file
compressed as one gzip stream (not conformant, but seen) cannot be split: it stays one range.
"""

from __future__ import annotations

import hashlib
import io
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

MAX_BODY = 5 * 1024 * 1024  # a larger "article" is not one; it is counted and skipped
_WINDOW = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class WarcReadError(Exception):
    """A WARC file that cannot be read on: truncated or corrupt at ``offset``."""

    def __init__(self, path: str, offset: int, reason: str):
        super().__init__(f"{path}: unreadable WARC record at offset {offset} ({reason})")
        self.path, self.offset = path, offset


@dataclass(frozen=True)
class Capture:
    """One HTML response as a WARC file holds it."""

    url: str
    captured_at: str
    offset: int
    record_id: str | None
    record_digest: str | None
    content_type: str | None
    body: bytes


def is_url(path: str) -> bool:
    return path.startswith(("http://", "https://"))


def file_digest(path: str) -> str:
    """SHA-256 of a local file (a URL is named by itself: it is read once, as a whole)."""
    if is_url(path):
        return "url:" + hashlib.sha256(path.encode()).hexdigest()
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_WINDOW):
            sha.update(chunk)
    return sha.hexdigest()


def split_ranges(path: str, target: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``target`` bytes, each starting where a record starts."""
    if is_url(path):
        return [(0, -1)]
    size = Path(path).stat().st_size
    starts = [0]
    with open(path, "rb") as stream:
        for approx in range(target, size, target):
            if approx <= starts[-1]:
                continue
            found = _next_record_start(stream, approx, path.endswith(".gz"))
            if found is None:
                break
            if found > starts[-1]:
                starts.append(found)
    return [(a, b) for a, b in zip(starts, [*starts[1:], size])]


def _next_record_start(stream, offset: int, gzipped: bool) -> int | None:
    marker = _GZIP_MAGIC if gzipped else b"WARC/1."
    while True:
        stream.seek(offset)
        window = stream.read(_WINDOW + 64)
        if not window:
            return None
        at = window.find(marker)
        while at != -1:
            if _opens_record(window[at:], gzipped) and (gzipped or at == 0 or window[at - 1] == 10):
                return offset + at
            at = window.find(marker, at + 1)
        offset += _WINDOW


def _opens_record(data: bytes, gzipped: bool) -> bool:
    if not gzipped:
        return True
    try:
        return zlib.decompressobj(31).decompress(data[:4096], 16).startswith(b"WARC/")
    except zlib.error:
        return False


def html_captures(path: str, start: int, end: int, counts: dict[str, int]) -> Iterator[Capture]:
    """The HTML 200 responses of the records starting in ``[start, end)``; ``counts`` gets
    ``records`` and ``html`` added. ``end`` of -1 reads to the end."""
    with _open(path) as raw:
        if start:
            raw.seek(start)
        records = ArchiveIterator(raw, check_digests=False)
        offset = start
        try:
            for record in records:
                # Read the record first: asking warcio for the offset reads the record to its end.
                capture = _html_capture(record)
                offset = records.get_record_offset()  # absolute: warcio asks the file
                if end != -1 and offset >= end:
                    return
                counts["records"] += 1
                if capture is not None:
                    counts["html"] += 1
                    yield replace(capture, offset=offset)
            # warcio ends quietly at a record cut short: the records read must reach the end.
            offset = sum(records.member_info) if records.member_info else start
            if not is_url(path) and offset < Path(path).stat().st_size:
                raise WarcReadError(path, offset, "truncated or corrupt record")
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as error:
            raise WarcReadError(path, offset, str(error) or type(error).__name__) from error


def _open(path: str):
    if is_url(path):
        return io.BufferedReader(urllib.request.urlopen(path, timeout=60))  # noqa: S310
    return open(path, "rb")


def _html_capture(record) -> Capture | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    if record.http_headers.get_statuscode() != "200":
        return None
    content_type = record.http_headers.get_header("Content-Type")
    if not content_type or content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
        return None
    body = record.content_stream().read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return None
    headers = record.rec_headers
    return Capture(
        url=headers.get_header("WARC-Target-URI"),
        captured_at=_iso(headers.get_header("WARC-Date")),
        offset=-1,
        record_id=headers.get_header("WARC-Record-ID"),
        record_digest=headers.get_header("WARC-Payload-Digest")
        or headers.get_header("WARC-Block-Digest"),
        content_type=content_type,
        body=body,
    )


def _iso(warc_date: str | None) -> str:
    """WARC-Date (``2017-11-21T17:12:37Z``, maybe with fractions) as the archive's timestamps."""
    if not warc_date:
        return ""
    return warc_date.split(".")[0].rstrip("Z") + "+00:00"
