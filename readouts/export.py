"""``readouts export``: the archive as WARC/1.1 (ISO 28500) or as a WACZ 1.1.1 package.

Each stored capture (``storage.captures``) becomes a ``request`` and a ``response`` record, the
response carrying the body as transferred; a later capture of the same URL with the same
payload becomes a ``revisit`` record (identical-payload-digest profile) pointing at the first
one in the export. Versions stored before captures were kept have only their decoded body:
they become a ``response`` record rebuilt from it, marked ``WARC-Readouts-Reconstructed: true``.

Everything streams: records are written as the database cursor yields them, and the WACZ
index is sorted in a temporary SQLite file, so memory stays flat however large the archive.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import sqlite_utils
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from readouts import __version__
from storage import captures, pages
from storage.disk_sort import sorted_on_disk

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"
_COPY_CHUNK = 1 << 20


class ExportError(Exception):
    """The export cannot be written (bad path, nothing selected, a damaged archive)."""


@dataclass(frozen=True)
class Selection:
    """What to export; ``until`` is exclusive (ISO text, compared with capture times)."""

    sources: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    document_ids: list[int] = field(default_factory=list)

    def filters(self) -> dict:
        return {
            "sources": self.sources or None,
            "since": self.since,
            "until": self.until,
            "document_ids": self.document_ids or None,
        }


@dataclass
class ExportSummary:
    responses: int = 0
    revisits: int = 0
    reconstructed: int = 0
    pages: int = 0
    warc_bytes: int = 0

    @property
    def captures(self) -> int:
        return self.responses + self.revisits + self.reconstructed


Progress = Callable[[int], None]


def export(
    db: sqlite_utils.Database, path: Path, selection: Selection, progress: Progress | None = None
) -> ExportSummary:
    """Write ``path`` as a WARC (``.warc.gz``) or a WACZ (``.wacz``), by its name."""
    name = path.name.lower()
    if name.endswith(".warc.gz"):
        writer = _export_warc
    elif name.endswith(".wacz"):
        writer = _export_wacz
    else:
        raise ExportError(f"{path}: the name must end in .warc.gz (WARC) or .wacz (WACZ package)")
    if not path.parent.is_dir():
        raise ExportError(f"{path.parent}: no such directory")
    partial = path.with_name(path.name + ".partial")
    try:
        summary = writer(db, partial, selection, progress)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)  # a killed export leaves no file that looks whole
    return summary


def _export_warc(db, path: Path, selection: Selection, progress) -> ExportSummary:
    with path.open("wb") as out:
        summary = write_warc(
            db, out, selection, progress, filename=path.name.removesuffix(".partial")
        )
    summary.warc_bytes = path.stat().st_size
    return summary


def write_warc(
    db: sqlite_utils.Database,
    out: BinaryIO,
    selection: Selection,
    progress: Progress | None = None,
    *,
    filename: str = WARC_NAME,
) -> ExportSummary:
    """Write the selected captures, then the reconstructed versions, as gzipped WARC/1.1."""
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    writer.write_record(
        writer.create_warcinfo_record(
            filename,
            {
                "software": f"readout-monitor/{__version__} (warcio)",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            },
        )
    )
    summary = ExportSummary()
    try:
        for capture in captures.iter_captures(db, **selection.filters()):
            _write_capture(db, writer, capture)
            if capture.is_revisit:
                summary.revisits += 1
            else:
                summary.responses += 1
            if progress:
                progress(1)
        for version in captures.iter_uncaptured_versions(db, **selection.filters()):
            _write_reconstructed(db, writer, version)
            summary.reconstructed += 1
            if progress:
                progress(1)
    except LookupError as error:  # a row gone, or bytes that no longer have their digest
        reason = error.args[0] if error.args else repr(error)
        raise ExportError(
            f"The archive is damaged, so nothing was exported: {reason}. `readouts verify`"
            " lists every damaged row; --source or --document can export the rest."
        ) from None
    if not summary.captures:
        raise ExportError("Nothing to export: no capture or version matches the selection")
    return summary


def warc_date(iso: str) -> str:
    """WARC-Date (UTC, ``Z``) of a stored ISO timestamp."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _AsExchanged(StatusAndHeaders):
    """A status line and headers written as the bytes exchanged. The crawler reads each header
    byte as one Latin-1 character, so Latin-1 gives the bytes back; warcio's writer would
    percent-encode a non-ASCII value (RFC 8187), which is not what the server sent."""

    def compute_headers_buffer(self, header_filter=None) -> None:
        try:
            self.headers_buff = self.to_bytes(header_filter, "latin-1")
        except UnicodeEncodeError:  # not read from the wire: warcio's encoding
            super().compute_headers_buffer(header_filter)


def _response_headers(capture: captures.Capture) -> StatusAndHeaders:
    """The status line and headers as received. The body is stored de-chunked (Scrapy removes
    the transfer coding), so ``Transfer-Encoding`` is kept under another name: a replay tool
    would otherwise try to de-chunk it again."""
    headers = [
        (captures.RENAMED_TRANSFER_ENCODING, value)
        if name.lower() == "transfer-encoding"
        else (name, value)
        for name, value in capture.response_headers
    ]
    return _AsExchanged(
        f"{capture.status} {capture.reason}".strip(), headers, protocol=capture.protocol
    )


def _document_headers(capture: captures.Capture) -> dict[str, str]:
    """``WARC-Readouts-Document-URI`` when the exchange was made for a document at another
    address on the same site (an item read from an API, a redirect), so an import files it
    under that document. A Wayback replay (another host) is the archive's capture, not ours."""
    url = capture.document_url
    if url and url != capture.url and urlsplit(url).netloc == urlsplit(capture.url).netloc:
        return {captures.DOCUMENT_HEADER: url}
    return {}


def _write_capture(db, writer: WARCWriter, capture: captures.Capture) -> None:
    date = warc_date(capture.captured_at)
    http = _response_headers(capture)
    document = _document_headers(capture)
    if capture.is_revisit:
        record = writer.create_revisit_record(
            capture.url,
            capture.payload_digest,
            capture.url,
            warc_date(capture.first_captured_at),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date, **document},
        )
    else:
        body = captures.load_payload(db, capture.payload_digest)
        record = writer.create_warc_record(
            capture.url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date, **document},
        )
    writer.write_record(record)
    if not capture.request_headers:  # imported from a file without the request record
        return
    request = writer.create_warc_record(
        capture.url,
        "request",
        http_headers=_AsExchanged(
            f"{capture.method} {capture.request_target}"
            f" {capture.request_protocol or capture.protocol}",
            list(capture.request_headers),
            is_http_request=True,
        ),
        warc_headers_dict={
            "WARC-Date": date,
            "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
        },
    )
    writer.write_record(request)


def _write_reconstructed(db, writer: WARCWriter, version: captures.UncapturedVersion) -> None:
    body = pages.load_page(db, version.page_hash)
    http = StatusAndHeaders(
        "200 OK",
        [
            ("Content-Type", version.content_type or "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
        protocol="HTTP/1.1",
    )
    writer.write_record(
        writer.create_warc_record(
            version.url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={
                "WARC-Date": warc_date(version.seen_at),
                captures.RECONSTRUCTED_HEADER: "true",
                captures.DOCUMENT_HEADER: version.url,  # a JSON page (an API's) is one too
            },
        )
    )


def surt(url: str) -> str:
    """The SURT form CDXJ indexes sort by, as pywb computes it: host labels reversed (an IP
    address too; ``www.`` and default ports dropped), then ``)`` and the lower-cased path and
    sorted query."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    host = ",".join(reversed(host.split(".")))
    port = parts.port
    if port and (parts.scheme, port) not in (("http", 80), ("https", 443)):
        host += f":{port}"
    key = f"{host}){parts.path or '/'}"
    if parts.query:
        key += "?" + "&".join(sorted(parts.query.split("&")))
    return key.lower()


def cdxj_lines(warc: BinaryIO, filename: str):
    """(sort key, CDXJ line) for each response and revisit record of a WARC file."""
    iterator = ArchiveIterator(warc)
    for record in iterator:
        kind = record.rec_type
        if kind not in ("response", "revisit"):
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        date = record.rec_headers.get_header("WARC-Date")
        timestamp = "".join(ch for ch in date if ch.isdigit())[:14]
        http = record.http_headers
        fields = {
            "url": url,
            "mime": "warc/revisit"
            if kind == "revisit"
            else (http.get_header("Content-Type") or "").split(";")[0].strip() or "unk",
            "status": http.get_statuscode() if http else "-",
            "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
        }
        fields.update(  # asking for the length reads on to the record's end
            length=str(iterator.get_record_length()),
            offset=str(iterator.get_record_offset()),
            filename=filename,
        )
        key = surt(url)
        yield f"{key} {timestamp}", f"{key} {timestamp} {json.dumps(fields)}\n"


def _export_wacz(db, path: Path, selection: Selection, progress) -> ExportSummary:
    with tempfile.TemporaryDirectory(prefix="readouts-wacz-") as tmp:
        work = Path(tmp)
        warc_path = work / WARC_NAME
        with warc_path.open("wb") as out:
            summary = write_warc(db, out, selection, progress)
        summary.warc_bytes = warc_path.stat().st_size
        index_path = work / "index.cdx.gz"
        _write_sorted_index(warc_path, index_path, work / "sort.db")
        pages_path = work / "pages.jsonl"
        summary.pages = _write_pages(db, selection, pages_path)
        files = {
            f"archive/{WARC_NAME}": warc_path,
            "indexes/index.cdx.gz": index_path,
            "pages/pages.jsonl": pages_path,
        }
        _write_package(path, files)
    return summary


def _write_sorted_index(warc_path: Path, index_path: Path, sort_path: Path) -> None:
    """CDXJ sorted by SURT and time; sorted on disk so memory stays flat."""
    with warc_path.open("rb") as warc, gzip.open(index_path, "wt", encoding="utf-8") as index:
        for line in sorted_on_disk(cdxj_lines(warc, WARC_NAME), sort_path):
            index.write(line)


def _write_pages(db, selection: Selection, pages_path: Path) -> int:
    """pages.jsonl: a header line, then one line per exported document (its latest version)."""
    count = 0
    with pages_path.open("w", encoding="utf-8") as out:
        header = {"format": "json-pages-1.0", "id": "pages", "title": "Readouts"}
        out.write(json.dumps(header) + "\n")
        for document_id, url, seen_at, title in captures.iter_exported_pages(
            db, **selection.filters()
        ):
            line = {"id": f"document-{document_id}", "url": url, "ts": warc_date(seen_at)}
            if title:
                line["title"] = title
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    return count


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_COPY_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _write_package(path: Path, files: dict[str, Path]) -> None:
    """The ZIP: WARC and gzipped index stored (not deflated, so readers can seek into them),
    the pages list and package descriptors deflated."""
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    package = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": "readout-monitor export",
        "created": created,
        "software": f"readout-monitor/{__version__}",
        "resources": [
            {
                "name": Path(member).name,
                "path": member,
                "hash": _sha256(source),
                "bytes": source.stat().st_size,
            }
            for member, source in files.items()
        ],
    }
    package_json = json.dumps(package, indent=2).encode("utf-8")
    digest = {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(package_json).hexdigest(),
    }
    with zipfile.ZipFile(path, "w", allowZip64=True) as wacz:
        for member, source in files.items():
            stored = member.endswith(".gz")
            wacz.write(
                source, member, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            )
        wacz.writestr("datapackage.json", package_json, compress_type=zipfile.ZIP_DEFLATED)
        wacz.writestr(
            "datapackage-digest.json", json.dumps(digest), compress_type=zipfile.ZIP_DEFLATED
        )
