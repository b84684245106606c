"""Reading news WARC files: where records start, and the HTML responses in a byte range.

A large WARC file is split into byte ranges that workers read independently; a range holds
the records that start inside it. Each record of a conformant ``.warc.gz`` is its own gzip
member, so a range boundary is moved forward to the next member that opens with ``WARC/``. In
an uncompressed ``.warc`` the records are followed from the first by their Content-Length (a
``WARC/1.0`` line inside a payload starts no record). A file compressed as one gzip stream
(not conformant, but seen) is refused by warcio: an error at offset 0.

A file must be read to its end: warcio stops quietly where a download was cut off, inside a
record or between a record's headers, so every record is checked whole and the last one must
end where the file does.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import re
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.content_coding import UndecodableBody, dechunked, decoded
from crawler.importer import cut_short, readable, unusable_header

MAX_BODY = 5 * 1024 * 1024  # a larger "article" is not one; it is counted and skipped
_WINDOW = 1 << 20
_HEAD = 4096  # WARC headers are rarely longer; a longer block is read whole
_GZIP_MAGIC = b"\x1f\x8b\x08"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(
    rb"^content-length:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)
# AttributeError: warcio's, on a response record whose headers stop before its target URI.
_READ_ERRORS = (
    ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError, AttributeError,
    http.client.HTTPException,
)  # fmt: skip


class WarcReadError(Exception):
    """A WARC file that cannot be read on: truncated or corrupt at ``offset``, or (``offset``
    None) not readable at all."""

    def __init__(self, path: str, offset: int | None, reason: str):
        reason = readable(reason)
        if offset is not None:
            reason = f"unreadable WARC record at offset {offset} ({reason})"
        super().__init__(f"{path}: {reason}")
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
    with open(path, "rb") as stream:
        gzipped = stream.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC
        starts = (_member_starts if gzipped else _record_starts)(stream, size, target)
    return [(a, b) for a, b in zip(starts, [*starts[1:], size])]


def _member_starts(stream: IO[bytes], size: int, target: int) -> list[int]:
    starts = [0]
    for approx in range(target, size, target):
        if approx <= starts[-1]:
            continue
        found = _next_member_start(stream, approx)
        if found is None:
            break
        if found > starts[-1]:
            starts.append(found)
    return starts


def _next_member_start(stream: IO[bytes], offset: int) -> int | None:
    while True:
        stream.seek(offset)
        window = stream.read(_WINDOW + 64)
        if not window:
            return None
        at = window.find(_GZIP_MAGIC)
        while at != -1:
            if _opens_record(window[at:]):
                return offset + at
            at = window.find(_GZIP_MAGIC, at + 1)
        offset += _WINDOW


def _opens_record(data: bytes) -> bool:
    try:
        return zlib.decompressobj(31).decompress(data[:4096], 16).startswith(b"WARC/")
    except zlib.error:
        return False


def _record_starts(stream: IO[bytes], size: int, target: int) -> list[int]:
    """Record starts of an uncompressed WARC, one every ``target`` bytes or so, found by
    skipping each record's block; where the file stops making sense the last range runs to
    its end (reading it says what is wrong and where)."""
    starts, offset = [0], 0
    while offset < size:
        stream.seek(offset)
        head = stream.read(_HEAD)
        if not head.startswith(b"WARC/"):
            break
        blank = _BLANK_LINE.search(head) or _BLANK_LINE.search(head + stream.read(_WINDOW))
        length = blank and _CONTENT_LENGTH.search(head, 0, blank.start())
        if not length:
            break
        offset += blank.end() + int(length.group(1))
        stream.seek(offset)
        gap = stream.read(8)  # "\r\n\r\n" after each record
        offset += len(gap) - len(gap.lstrip(b"\r\n"))
        if offset - starts[-1] >= target and offset < size:
            starts.append(offset)
    return starts


def html_captures(path: str, start: int, end: int, counts: dict[str, int]) -> Iterator[Capture]:
    """The HTML 200 responses of the records starting in ``[start, end)``; ``counts`` gets
    ``records`` and ``html`` added. ``end`` of -1 reads to the end of the file, which must be
    the end of a record: ``WarcReadError`` says where it is not, after the captures before."""
    with _opened(path) as raw:
        if start:
            raw.seek(start)
        records = ArchiveIterator(raw, check_digests=False)
        offset = start
        try:
            for record in records:
                offset = records.offset  # where this record starts (absolute: warcio asks the file)
                if end != -1 and offset >= end:
                    return
                capture = _html_capture(record)
                records.read_to_end()
                _check_whole(record, path, offset)
                counts["records"] += 1
                if capture is not None:
                    counts["html"] += 1
                    yield replace(capture, offset=offset)
        except _READ_ERRORS as error:
            # The record that failed: the one being read, or the next one (inside a file that
            # is one gzip stream warcio's offsets run backwards: the stream's start is named).
            offset = max(offset, records.offset)
            if end != -1 and offset >= end:  # the next range's record: that range says so
                return
            raise WarcReadError(path, offset, str(error) or type(error).__name__) from None
        if records.offset < records.fh.tell():  # warcio ends quietly where headers are cut off
            raise WarcReadError(path, records.offset, "the file ends inside this record")
        if not records.offset:
            raise WarcReadError(path, None, "the file is empty")


def _check_whole(record, path: str, offset: int) -> None:
    damage = unusable_header(record) or cut_short(record)
    if damage:
        raise WarcReadError(path, offset, damage)


@contextmanager
def _opened(path: str) -> Iterator[IO[bytes]]:
    try:
        if is_url(path):
            stream = io.BufferedReader(urllib.request.urlopen(path, timeout=60))  # noqa: S310
        else:
            stream = open(path, "rb")  # noqa: SIM115
    except urllib.error.HTTPError as error:
        raise WarcReadError(
            path, None, f"cannot fetch it: HTTP {error.code} {error.reason}"
        ) from None
    except urllib.error.URLError as error:
        raise WarcReadError(path, None, f"cannot fetch it: {error.reason}") from None
    except OSError as error:
        raise WarcReadError(path, None, f"cannot open it: {error.strerror or error}") from None
    with stream:
        yield stream


def _html_capture(record) -> Capture | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    if record.http_headers.get_statuscode() != "200":
        return None
    content_type = record.http_headers.get_header("Content-Type")
    if not content_type or content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
        return None
    response = record.http_headers
    raw = record.raw_stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return None
    try:
        payload = dechunked(raw, response.get_header("Transfer-Encoding"))
        body = decoded(payload, response.get_header("Content-Encoding"), MAX_BODY)
    except UndecodableBody:  # an unknown coding, bytes that do not decode, or too large
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
