"""``readouts import``: captures in WARC, WACZ or ARC files, made by any tool, as archive versions.

Each ``response`` record (and each ``revisit`` record whose payload was imported before) of an
HTML page that answered 200, at an item URL of a configured source (or an HTML page or JSON API
answer naming such a document in ``WARC-Readouts-Document-URI``, as our own export does for an
item read from an API), is parsed by that source's
own spider code (``crawler.offline``) and placed in the document's history at its capture time,
exactly like a Wayback Machine capture: history, not news. A 404/410 answer (or a "not
found" page) and a 304 store no page but count towards the document's status, as a crawl's
fetches do (``storage.imports.store_observation``).

The exchange itself is kept too, as a crawl keeps its own (``storage.captures``): the response's
status line, headers and body as transferred (de-chunked, still content-encoded), and the request
record that goes with it (``WARC-Concurrent-To``, before or after it), secrets masked. So an export
writes the records the file held, not a reconstruction. A record read from another address than
its document's (an API answer, a redirect) and our export's reconstructed records are not kept.

Every record is stored in its own transaction together with its row in ``imported_records``, so
importing a file twice adds nothing and a killed import carries on where it stopped. A file that
ends inside a record, or whose record is not what its headers say, stops the import with the
file and the record's offset; the records before it are kept, none of it half-stored.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import zipfile
import zlib
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler import items
from crawler.capture import SECRET_HEADERS
from crawler.content_coding import UndecodableBody, dechunked, decoded
from crawler.offline import HeldPage, OfflineParser, source_for_url
from crawler.settings import DOWNLOAD_MAXSIZE
from crawler.spiders.base import GONE_STATUSES
from storage import captures, imports
from storage.sources import SECRET

logger = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/json",)  # API answers: how some spiders read items (GOV.UK, WordPress)
# Answers that hold no page but say whether the document is there: gone, or there unchanged.
OBSERVED_STATUSES = (*GONE_STATUSES, 304)
REQUESTS_KEPT = 64  # request records waiting for their response (a tool writes them side by side)


class CorruptArchive(Exception):
    """A capture file that ends inside a record or holds something that is not a record."""

    def __init__(self, file: str, offset: int, detail: str):
        super().__init__(
            f"{file}: corrupt or truncated at record offset {offset}: {readable(detail)}"
        )


def readable(detail: str, limit: int = 200) -> str:
    """A reader's error as one printable line: the bytes it quotes from a damaged file can be
    anything (control characters would garble a terminal)."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(detail.split()))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


UNKNOWN_DOCUMENT = "unknown document"  # a 404 or 304 of a URL no import or crawl has stored
UNRESOLVED_REVISIT = "unresolved revisit"  # a revisit of a payload no imported record holds


@dataclass
class Request:
    """A request record's request line and headers."""

    method: str
    target: str
    protocol: str
    headers: list[tuple[str, str]]


@dataclass
class Record:
    """One HTTP capture read from a file: a response, or a revisit (``body`` None). ``payload``
    is the body as transferred (de-chunked, still content-encoded), ``body`` as decoded."""

    key: str  # WARC-Record-ID, or a digest of URL, date and payload for ARC records
    file: str
    offset: int
    url: str
    captured_at: str
    payload_digest: str | None
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None
    document_url: str | None = None  # our own export names it when it is not ``url``
    protocol: str = "HTTP/1.1"
    reason: str = ""
    payload: bytes | None = None
    reconstructed: bool = False  # rebuilt by our export from a stored page: no exchange
    concurrent_to: str | None = None
    request: Request | None = None
    undecodable: str | None = None  # why ``body`` could not be decoded from ``payload``

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "content-type"), None)


@dataclass
class ImportReport:
    records: int = 0  # HTTP captures read
    items: int = 0  # of those, item pages of a source
    outcomes: Counter = field(default_factory=Counter)  # new version, already imported, …

    def summary(self) -> str:
        parts = [f"{self.records} capture(s) read", f"{self.items} item page(s)"]
        parts += [f"{outcome}: {count}" for outcome, count in sorted(self.outcomes.items())]
        summary = ", ".join(parts)
        if self.outcomes[UNKNOWN_DOCUMENT]:
            summary += (
                f" ({UNKNOWN_DOCUMENT}: a 404 or 304 of a page no import or crawl has stored;"
                " import its file again once a file holding the page is in)"
            )
        if self.outcomes[UNRESOLVED_REVISIT]:
            summary += (
                f" ({UNRESOLVED_REVISIT}: a capture that repeats a body no imported record"
                " holds; import its file again once the file holding that body is in)"
            )
        return summary


def import_files(
    db: Any, paths: list[str], sources: list[Any], *, force_source: Any | None = None
) -> ImportReport:
    """Import every capture of the files at ``paths`` (in order) that belongs to ``sources``;
    404s and 304s of documents none of them held before, and revisits of bodies none of them
    held before, come last, in capture order.

    ``force_source``: only that source, and an item page on another host (a mirror, an old
    domain) is taken as that source's too, under its captured URL."""
    if force_source is not None:
        parsers = {force_source.name: OfflineParser(force_source)}
    else:
        parsers = {source.name: OfflineParser(source) for source in sources}
    report = ImportReport()
    # A 404 read before the capture that makes its document, or a revisit before the capture
    # whose body it repeats (files given in any order), counts once every file is read, with
    # the others in capture order.
    unplaced: list[Record] = []
    for path in paths:
        for record in read_records(path):
            report.records += 1
            outcome = _import_record(db, record, parsers, force_source is not None)
            if outcome in (UNKNOWN_DOCUMENT, UNRESOLVED_REVISIT):
                unplaced.append(record)
            elif outcome is not None:
                report.items += 1
                report.outcomes[outcome] += 1
    for record in sorted(unplaced, key=lambda record: record.captured_at):
        report.items += 1
        report.outcomes[_import_record(db, record, parsers, force_source is not None)] += 1
    return report


def _import_record(
    db: Any, record: Record, parsers: dict[str, OfflineParser], forced: bool
) -> str | None:
    """Store one capture; its outcome, or None when it is no item page of a source."""
    observed = record.status in OBSERVED_STATUSES  # no page, but news of the document's status
    if not observed and (record.status != 200 or not _is_page(record)):
        return None
    match = source_for_url(record.document_url or record.url, parsers)
    if match is None and forced:
        parser = next(iter(parsers.values()))
        match = (parser.source.name, record.url) if parser.is_item_url(record.url) else None
    if match is None:
        return None
    if imports.is_imported(db, record.key):
        return "already imported"
    name, url = match
    exchange = _exchange(db, record, parsers[name].source) if record.url == url else None
    if observed:
        return _observe(
            db, record, url, record.status, gone=record.status != 304, exchange=exchange
        )
    if record.undecodable:
        logger.warning("%s at %d (%s): %s", record.file, record.offset, url, record.undecodable)
        return "undecodable body"
    body, content_type = record.body, record.content_type
    if body is None:  # a revisit: the same payload as a capture imported before
        original = imports.revisited_page(db, record.payload_digest)
        if original is None:
            logger.warning(
                "%s at %d: revisit of a capture not imported", record.file, record.offset
            )
            return UNRESOLVED_REVISIT
        body, content_type = original
    parser = parsers[name]
    headers = [(k, v) for k, v in record.headers if k.lower() != "content-type"]
    headers.append(("Content-Type", content_type or "text/html"))
    page = HeldPage(url=url, body=body, headers=headers, seen_at=record.captured_at)
    if record.document_url and record.url != url:
        # Read from the site's API, or the document's address redirected here.
        if _is_json(content_type):
            page.fetched_from = record.url
        else:
            page.redirected_to = record.url
    result = parser.parse(page)
    if result.outcome == items.GONE:  # a "not found" page: gone, as in a crawl
        return _observe(db, record, url, result.http_status or 404, gone=True, exchange=exchange)
    if result.outcome != items.PAGE:
        logger.warning("%s at %d (%s): %s", record.file, record.offset, url, result.error)
        return result.outcome.replace("_", " ")
    stored = imports.store_capture(
        db,
        imports.CaptureRecord(
            record.key, record.file, record.offset, url, record.captured_at, record.payload_digest
        ),
        result.snapshot(None, parser.source.ignore_patterns),
        body,
        content_type,
        exchange,
    )
    if stored is None:
        return "already imported"
    return "new version" if stored.changed else "known content"


def _exchange(db: Any, record: Record, source: Any) -> dict[str, Any] | None:
    """The record's exchange as ``storage.captures.save_capture`` takes it, or None when the file
    holds none (a response our export rebuilt from a stored page, a revisit of a payload not kept).
    Request header values that carry credentials are masked, as a crawl's are; without a request
    record, the request is kept without headers (an export then writes no request record)."""
    if record.reconstructed:
        return None
    payload = record.payload
    if payload is None:
        payload = imports.revisited_payload(db, record.payload_digest)
        if payload is None:
            return None
    secret = SECRET_HEADERS | {name.lower() for name in getattr(source, "headers", None) or {}}
    request = record.request
    parts = urlsplit(record.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return dict(
        url=record.url,
        captured_at=record.captured_at,
        method=request.method if request else "GET",
        request_target=request.target if request else target,
        request_headers=[
            (name, SECRET if name.lower() in secret else value)
            for name, value in (request.headers if request else [])
        ],
        protocol=record.protocol,
        request_protocol=request.protocol if request else None,
        status=record.status,
        reason=record.reason,
        response_headers=[
            ("Transfer-Encoding" if name == captures.RENAMED_TRANSFER_ENCODING else name, value)
            for name, value in record.headers
        ],
        body=payload,
        source=source.name,
    )


def _observe(
    db: Any,
    record: Record,
    url: str,
    http_status: int,
    *,
    gone: bool,
    exchange: dict[str, Any] | None,
) -> str:
    """Count a capture without a page (404/410, a "not found" page, 304) towards the status of
    the document at ``url``, as the crawl counts its own fetches."""
    stored = imports.store_observation(
        db,
        imports.CaptureRecord(
            record.key, record.file, record.offset, url, record.captured_at, record.payload_digest
        ),
        http_status,
        gone=gone,
        exchange=exchange,
    )
    if stored is None:
        return UNKNOWN_DOCUMENT
    return "gone" if gone else "not modified"


def read_records(path: str) -> Iterator[Record]:
    """The HTTP captures of a WARC, ARC or WACZ file, in file order."""
    if path.endswith(".wacz"):
        yield from _wacz_records(path)
        return
    size = Path(path).stat().st_size
    if not size:  # an interrupted download, most often: say so rather than import nothing
        raise CorruptArchive(path, 0, "the file is empty")
    with open(path, "rb") as stream:
        yield from _archive_records(stream, path, size)


def _wacz_records(path: str) -> Iterator[Record]:
    """A WACZ is a zip whose ``archive/`` folder holds the WARC files."""
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CorruptArchive(path, 0, f"not a readable WACZ (zip) package: {error}") from None
    with package:
        members = sorted(
            name
            for name in package.namelist()
            if name.startswith("archive/") and name.endswith(ARCHIVE_SUFFIXES)
        )
        if not members:
            raise CorruptArchive(path, 0, "a WACZ package without archive/*.warc.gz files")
        for name in members:
            with _opened_member(package, path, name) as stream:
                size = package.getinfo(name).file_size
                yield from _archive_records(stream, f"{path}!{name}", size)


@contextmanager
def _opened_member(package: zipfile.ZipFile, path: str, name: str) -> Iterator[IO[bytes]]:
    try:
        stream = package.open(name)
    except (zipfile.BadZipFile, OSError) as error:
        raise CorruptArchive(f"{path}!{name}", 0, str(error)) from None
    with stream:
        yield stream


def unusable_header(record: Any, *, arc: bool = False) -> str | None:
    """What makes a record's header unusable, if anything (checked before its body is read)."""
    if record.length is None:
        return "a record without its length: headers cut off"
    if not arc and record.format != "warc":  # warcio takes any line for an ARC header
        return "not a WARC record"
    if not arc and not (record.rec_headers.get_header("Content-Length") or "").strip().isdigit():
        return "a record whose Content-Length is no number: headers cut off"  # warcio reads 0
    return None


def cut_short(record: Any) -> str | None:
    """Whether a record whose body has been read ended before its length (a truncated file)."""
    missing = getattr(record.raw_stream, "limit", 0)
    return f"the record ends {missing} byte(s) short" if missing else None


def _archive_records(stream: IO[bytes], file: str, size: int) -> Iterator[Record]:
    """The captures of one WARC or ARC stream, each with its request record when the file has
    one: written before it (a request that names it, or that it names, in
    ``WARC-Concurrent-To``) or right after it. So a capture is yielded once the next record is
    read, and before any damage found there is raised."""
    arc = file.endswith((".arc", ".arc.gz"))
    records = ArchiveIterator(stream, arc2warc=arc, check_digests="raise")
    _read_http_headers_as_bytes(records)
    waiting: OrderedDict[str, Request] = OrderedDict()  # by the ids of the records they name
    pending: Record | None = None
    damage: CorruptArchive | None = None
    try:
        # ``records.offset``: where the record being read starts (``get_record_offset()`` would
        # skip to the record's end before its body is read).
        for record in records:
            offset = records.offset
            problem = unusable_header(record, arc=arc)
            if problem:
                raise CorruptArchive(file, offset, problem)
            raw = record.raw_stream.read()
            problem = cut_short(record)
            if problem:
                raise CorruptArchive(file, offset, problem)
            request = _request(record)
            if request is not None:
                named = record.rec_headers.get_header("WARC-Concurrent-To")
                if pending is not None and pending.request is None and named == pending.key:
                    pending.request = request
                    continue
                for key in (record.rec_headers.get_header("WARC-Record-ID"), named):
                    if key:
                        waiting[key] = request
                while len(waiting) > REQUESTS_KEPT:
                    waiting.popitem(last=False)
                continue
            captured = _capture(record, arc, raw)
            if captured is None:
                continue
            capture = Record(file=file, offset=offset, **captured)
            capture.request = waiting.pop(capture.key, None) or waiting.pop(
                capture.concurrent_to or "", None
            )
            if pending is not None:
                yield pending
            pending = capture
    except CorruptArchive as error:
        damage = error
    except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as error:
        damage = CorruptArchive(file, records.offset, str(error))
    except (AttributeError, TypeError, IndexError) as error:  # warcio on headers cut short
        damage = CorruptArchive(file, records.offset, f"unreadable record headers ({error})")
    if pending is not None:
        yield pending
    if damage is not None:
        raise damage
    if records.offset < size:  # warcio ends quietly where a record's headers are cut off
        raise CorruptArchive(file, records.offset, "the file ends inside this record")


def _read_http_headers_as_bytes(records: ArchiveIterator) -> None:
    """Have ``records`` read HTTP header lines as Latin-1, one character a byte, as a crawl keeps
    them. warcio reads a line as UTF-8 when it can, and then ``é`` may have been one byte or
    two: the export could not write back the bytes the file held."""
    loader = records.loader
    for parser in (loader.http_parser, loader.http_req_parser):
        parser.decode_header = _latin1


def _latin1(line: bytes | str) -> str:
    return line.decode("latin-1") if isinstance(line, bytes) else line


def _request(record: Any) -> Request | None:
    """A request record's request line and headers, else None."""
    if record.rec_type != "request" or record.http_headers is None:
        return None
    line = f"{record.http_headers.protocol} {record.http_headers.statusline}".split()
    if len(line) != 3:
        return None
    return Request(*line, list(record.http_headers.headers))


def _capture(record: Any, arc: bool, raw: bytes) -> dict[str, Any] | None:
    """The fields of an HTTP capture record whose payload, as stored, is ``raw``; else None."""
    if record.rec_type not in ("response", "revisit") or record.http_headers is None:
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    if not url or not url.startswith(("http://", "https://")):
        return None
    body = payload = undecodable = None
    if record.rec_type == "response":
        payload = dechunked(raw, record.http_headers.get_header("Transfer-Encoding"))
        try:
            encoding = record.http_headers.get_header("Content-Encoding")
            body = decoded(payload, encoding, DOWNLOAD_MAXSIZE)
        except UndecodableBody as error:
            undecodable = str(error)
    try:
        status = int(record.http_headers.get_statuscode() or 0)
    except ValueError:
        status = 0
    payload_digest = headers.get_header("WARC-Payload-Digest")
    if payload_digest is None and body is not None:
        payload_digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    captured_at = _utc(headers.get_header("WARC-Date"))
    document_url = headers.get_header(captures.DOCUMENT_HEADER)
    key = headers.get_header("WARC-Record-ID")
    if arc or not key:  # ARC records have no id (warcio makes up a new one on each read)
        key = "arc:" + hashlib.sha256(f"{url} {captured_at} {payload_digest}".encode()).hexdigest()
    return dict(
        key=key,
        url=url,
        captured_at=captured_at,
        payload_digest=payload_digest,
        status=status,
        headers=list(record.http_headers.headers),
        body=body,
        document_url=document_url,
        protocol=record.http_headers.protocol or "HTTP/1.1",
        reason=(record.http_headers.statusline or "").partition(" ")[2],
        payload=payload,
        reconstructed=headers.get_header(captures.RECONSTRUCTED_HEADER) is not None,
        concurrent_to=headers.get_header("WARC-Concurrent-To"),
        undecodable=undecodable,
    )


def _utc(warc_date: str | None) -> str:
    """A WARC-Date (``2026-11-29T23:14:50Z``) as the archive writes times."""
    moment = datetime.fromisoformat((warc_date or "").replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _is_json(content_type: str | None) -> bool:
    media = _media_type(content_type)
    return media in JSON_TYPES or media.endswith("+json")


def _is_page(record: Record) -> bool:
    """What a spider reads: an HTML page (or an untyped one), or a JSON answer that our export
    names as a document's (an item read from an API). Other JSON captures are skipped: a
    listing API's answer at a site-wide item rule would read as an item."""
    content_type = record.content_type
    if not content_type or _media_type(content_type) in HTML_TYPES:
        return True
    return record.document_url is not None and _is_json(content_type)


def is_capture_file(path: str | Path) -> bool:
    return str(path).endswith((*ARCHIVE_SUFFIXES, ".wacz"))
