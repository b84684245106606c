"""HTTP exchanges exactly as the crawler made them, kept so each can be written out as WARC.

A capture is one request and its response: the request line and headers as sent, the status
line and headers as received, and the body as transferred (before content decoding, so a gzip
answer stays gzip). Bodies live in ``capture_payloads`` keyed by their WARC payload digest
(``sha1:`` + base32, as the Wayback Machine and Common Crawl write it): a body seen again is
stored once, and the export writes a ``revisit`` record for the later capture of the same URL.
Header lists live in ``capture_headers``, each distinct list once (in order, duplicates kept),
with the values that belong to one exchange (``PER_EXCHANGE``: validators, lengths, dates) left
null there and kept in the capture's own ``header_values``: a source's requests then share one
list, conditional or not, and its pages' answers a handful, instead of one list a page. A value
the exchange repeats (a 304's ``ETag`` is the ``If-None-Match`` sent) is written once there.

The exchange lives in the database (the one file users open in Datasette) and WARC is produced
on export; compression of the stored bodies is this module's business alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils

from storage import bodies
from storage.database import write_transaction
from storage.schema import REPROCESS

# Names, in an exported record, the document whose page it holds: on a capture made at another
# address (an item read from an API, a redirect), and on every reconstructed version.
# ``readouts import`` files the record under that document, JSON answers included.
DOCUMENT_HEADER = "WARC-Readouts-Document-URI"
# Marks a response an export rebuilt from a stored page (no exchange kept): an import keeps its
# page, not an exchange.
RECONSTRUCTED_HEADER = "WARC-Readouts-Reconstructed"
# What an export calls a ``Transfer-Encoding`` header: the bodies are stored de-chunked, and a
# replay tool would try to de-chunk them again. An import gives the name back.
RENAMED_TRANSFER_ENCODING = "X-Readouts-Orig-Transfer-Encoding"

# The header lists each open database used lately (JSON text → ``capture_headers`` id): most
# captures of a crawl need no lookup for their request headers. Only committed ids are kept (a
# rolled-back id may be given to another list later); no list is ever deleted, so a kept id
# stays right.
HEADER_SETS_KEPT = 256
_header_set_ids: weakref.WeakKeyDictionary[sqlite_utils.Database, OrderedDict[str, int]] = (
    weakref.WeakKeyDictionary()
)


# Header names (lower case) whose values are kept with the capture, not in its header lists.
PER_EXCHANGE = frozenset(
    {
        "age",
        "content-length",
        "date",
        "etag",
        "expires",
        "if-modified-since",
        "if-none-match",
        "last-modified",
    }
)


class MissingCaptureRows(LookupError):
    """A capture whose payload or header list is gone, or whose values do not fit its lists
    (a damaged archive)."""


@dataclass(frozen=True)
class Capture:
    """One stored exchange; ``first_id`` and ``first_captured_at`` name the earliest capture of
    the same URL, status and payload among those selected (itself, for the first one).
    ``document_url`` is the document the exchange was made for: another address than ``url``
    when the spider read the item from an API or followed a redirect."""

    id: int
    url: str
    captured_at: str
    method: str
    request_target: str
    request_headers: list[tuple[str, str]]
    protocol: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    payload_digest: str
    size: int
    first_id: int
    first_captured_at: str
    document_id: int | None
    document_url: str | None
    source: str | None
    request_protocol: str | None = None  # the request line's version, when not ``protocol``

    @property
    def is_revisit(self) -> bool:
        """A repeat of an earlier capture's body (an empty body, as of a 304, is no repeat)."""
        return self.id != self.first_id and self.size > 0


@dataclass(frozen=True)
class UncapturedVersion:
    """A version stored before captures existed: only its decoded page body is known."""

    version_id: int
    document_id: int
    url: str
    seen_at: str
    content_type: str | None
    page_hash: str


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of ``body``: ``sha1:`` + base32 of its SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def save_capture(
    db: sqlite_utils.Database,
    *,
    url: str,
    captured_at: str,
    method: str,
    request_target: str,
    request_headers: list[tuple[str, str]],
    protocol: str,
    status: int,
    reason: str,
    response_headers: list[tuple[str, str]],
    body: bytes,
    run_id: int | None = None,
    fetch_id: int | None = None,
    source: str | None = None,
    request_protocol: str | None = None,
) -> int:
    """Store one exchange (its body once per distinct payload, compressed with ``source``'s
    dictionary, see ``storage.bodies``; each header list once); return the capture's id."""
    digest = payload_digest(body)
    (sent, sent_values), (received, received_values) = map(
        _shared_list, (request_headers, response_headers)
    )
    values = sent_values + received_values
    known = _header_set_ids.setdefault(db, OrderedDict())
    outermost = not db.conn.in_transaction  # else an outer transaction may still roll back
    with write_transaction(db):
        if not has_payload(db, digest):
            compression, stored = bodies.compress(db, source, body)
            db.execute(
                "INSERT INTO capture_payloads (digest, size, compression, body)"
                " VALUES (?, ?, ?, ?)",
                [digest, len(body), compression, stored],
            )
        sent_id, received_id = _header_set_id(db, sent, known), _header_set_id(db, received, known)
        capture_id = db.execute(
            "INSERT INTO captures (url, captured_at, run_id, fetch_id, method, request_target,"
            " request_headers_id, protocol, status, reason, response_headers_id, payload_digest,"
            " header_values, request_protocol) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                url,
                captured_at,
                run_id,
                fetch_id,
                method,
                request_target,
                sent_id,
                protocol,
                status,
                reason,
                received_id,
                digest,
                _packed(values),
                request_protocol if request_protocol != protocol else None,
            ],
        ).lastrowid
    if outermost:
        for headers, header_set_id in ((sent, sent_id), (received, received_id)):
            known[headers] = header_set_id
            known.move_to_end(headers)
        while len(known) > HEADER_SETS_KEPT:
            known.popitem(last=False)
    return capture_id


def _shared_list(headers: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """A header list as ``capture_headers`` holds it (JSON, each ``PER_EXCHANGE`` value null),
    and those values in order."""
    shared, values = [], []
    for name, value in headers:
        if name.lower() in PER_EXCHANGE:
            shared.append((name, None))
            values.append(value)
        else:
            shared.append((name, value))
    return json.dumps(shared), values


def _packed(values: list[str]) -> str | None:
    """``header_values`` as stored: a JSON list in which a value met before is its index."""
    if not values:
        return None
    packed = [
        values.index(value) if value in values[:index] else value
        for index, value in enumerate(values)
    ]
    return json.dumps(packed, separators=(",", ":"))


def _unpacked(stored: str | None) -> list[str]:
    values: list[str] = []
    for value in json.loads(stored or "[]"):
        if isinstance(value, int) and not isinstance(value, bool):
            value = values[value] if 0 <= value < len(values) else None
        if not isinstance(value, str):
            raise ValueError("not a header value")
        values.append(value)
    return values


def _filled(shared: str, values: list[str]) -> list[tuple[str, str]]:
    """A stored header list with its null values taken, in order, from the front of ``values``."""
    return [(name, values.pop(0) if value is None else value) for name, value in json.loads(shared)]


def kept_capture(db: sqlite_utils.Database, **exchange) -> int:
    """The id of a capture of ``exchange`` (``save_capture``'s arguments): one kept before of the
    same URL, time, status and body (the same exchange, exported and imported again, gets a new
    record id each time), else one stored now."""
    row = db.execute(
        "SELECT id FROM captures WHERE url = ? AND captured_at = ? AND status = ?"
        " AND payload_digest = ? ORDER BY id LIMIT 1",
        [
            exchange["url"],
            exchange["captured_at"],
            exchange["status"],
            payload_digest(exchange["body"]),
        ],
    ).fetchone()
    return row[0] if row else save_capture(db, **exchange)


def headers_digest(headers: str) -> int:
    """The lookup key of a header list's JSON text: 64 bits of its BLAKE2b, as a signed
    integer (SQLite's). Two lists may share one: the text is compared too."""
    hashed = hashlib.blake2b(headers.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(hashed, "big", signed=True)


def _header_set_id(db: sqlite_utils.Database, headers: str, known: dict[str, int]) -> int:
    """The ``capture_headers`` id of the JSON header list ``headers``, stored now if new."""
    found = known.get(headers)
    if found is not None:
        return found
    digest = headers_digest(headers)
    row = db.execute(
        "SELECT id FROM capture_headers WHERE digest = ? AND headers = ?", [digest, headers]
    ).fetchone()
    if row is not None:
        return row[0]
    return db.execute(
        "INSERT INTO capture_headers (digest, headers) VALUES (?, ?)", [digest, headers]
    ).lastrowid


def has_payload(db: sqlite_utils.Database, digest: str) -> bool:
    """Whether a body of this payload digest is stored."""
    row = db.execute("SELECT 1 FROM capture_payloads WHERE digest = ?", [digest]).fetchone()
    return row is not None


def load_payload(db: sqlite_utils.Database, digest: str) -> bytes:
    """The body as transferred, stored under ``digest`` (``bodies.DamagedBody`` if its bytes
    no longer have that digest)."""
    row = db.execute(
        "SELECT compression, body FROM capture_payloads WHERE digest = ?", [digest]
    ).fetchone()
    if row is None:
        raise KeyError(f"No stored capture payload {digest}")
    return restore_payload(db, digest, *row)


def restore_payload(
    db: sqlite_utils.Database, digest: str, compression: str, stored: bytes
) -> bytes:
    return bodies.restore(
        db, compression, stored, name=f"payload {digest}", digest=digest, digest_of=payload_digest
    )


def _selection(
    sources: list[str] | None,
    since: str | None,
    until: str | None,
    document_ids: list[int] | None,
    *,
    time_column: str,
) -> tuple[str, list]:
    """WHERE clause over ``d`` (documents) and ``r`` (runs) for an export's filters."""
    clauses, params = [], []
    if sources:
        clauses.append(f"coalesce(d.source, r.source) IN ({', '.join('?' * len(sources))})")
        params += sources
    if document_ids:
        clauses.append(f"d.id IN ({', '.join('?' * len(document_ids))})")
        params += document_ids
    if since:
        clauses.append(f"{time_column} >= ?")
        params.append(since)
    if until:
        clauses.append(f"{time_column} < ?")
        params.append(until)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


# The document an exchange was made for: the one its fetch stored (an item read from an API or
# reached through a redirect has another address), else the one at its URL.
_DOCUMENT = (
    " LEFT JOIN fetches f ON f.id = c.fetch_id LEFT JOIN documents d"
    " ON d.id = coalesce(f.document_id, (SELECT id FROM documents WHERE url = c.url))"
)


def iter_captures(
    db: sqlite_utils.Database,
    *,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    document_ids: list[int] | None = None,
) -> Iterator[Capture]:
    """The selected captures in capture order, streamed (``until`` is exclusive). A capture
    belongs to a source through its document, else through its run (listing pages, robots.txt).
    A capture whose payload or header list is not stored raises ``MissingCaptureRows``: an
    export must not leave it out silently."""
    where, params = _selection(sources, since, until, document_ids, time_column="c.captured_at")
    cursor = db.execute(
        "SELECT c.id, c.url, c.captured_at, c.method, c.request_target, sent.headers,"
        " c.protocol, c.status, c.reason, received.headers, c.payload_digest, p.size,"
        " first_value(c.id) OVER same_payload, first_value(c.captured_at) OVER same_payload,"
        " d.id, d.url, coalesce(d.source, r.source), c.header_values, c.request_protocol"
        " FROM captures c LEFT JOIN capture_payloads p ON p.digest = c.payload_digest"
        " LEFT JOIN capture_headers sent ON sent.id = c.request_headers_id"
        f" LEFT JOIN capture_headers received ON received.id = c.response_headers_id{_DOCUMENT}"
        f" LEFT JOIN runs r ON r.id = c.run_id{where} WINDOW same_payload AS"
        " (PARTITION BY c.url, c.payload_digest, c.status ORDER BY c.captured_at, c.id)"
        " ORDER BY c.captured_at, c.id",
        params,
    )
    for row in cursor:
        sent, received = _exchange_headers(*row[:2], *row[10:12], row[5], row[9], row[17])
        yield Capture(*row[:5], sent, *row[6:9], received, *row[10:17], row[18])


def _exchange_headers(
    capture_id: int,
    url: str,
    digest: str,
    payload_size: int | None,
    request_list: str | None,
    response_list: str | None,
    header_values: str | None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A capture's request and response headers, from its stored lists and values;
    ``MissingCaptureRows`` when its payload (``payload_size`` None) or a list is not stored, or
    the values do not fit the lists."""
    missing = [
        what
        for what, value in (
            (f"payload {digest}", payload_size),
            ("request header list", request_list),
            ("response header list", response_list),
        )
        if value is None
    ]
    if missing:
        raise MissingCaptureRows(
            f"capture {capture_id} of {url}: its {' and '.join(missing)} are not stored"
            if len(missing) > 1
            else f"capture {capture_id} of {url}: its {missing[0]} is not stored"
        )
    try:
        values = _unpacked(header_values)
        sent, received = _filled(request_list, values), _filled(response_list, values)
        fits = values == []
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, RecursionError):
        fits = False
    if not fits:
        raise MissingCaptureRows(
            f"capture {capture_id} of {url}: its header values do not fit its header lists"
        )
    return sent, received


def unreadable_captures(db: sqlite_utils.Database) -> Iterator[tuple[int, str]]:
    """Every capture an export would refuse (``MissingCaptureRows``): its id and why."""
    for row in db.execute(
        "SELECT c.id, c.url, c.payload_digest, p.size, sent.headers, received.headers,"
        " c.header_values"
        " FROM captures c LEFT JOIN capture_payloads p ON p.digest = c.payload_digest"
        " LEFT JOIN capture_headers sent ON sent.id = c.request_headers_id"
        " LEFT JOIN capture_headers received ON received.id = c.response_headers_id"
        " ORDER BY c.id"
    ):
        try:
            _exchange_headers(*row)
        except MissingCaptureRows as error:
            yield row[0], error.args[0]


def iter_uncaptured_versions(
    db: sqlite_utils.Database,
    *,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    document_ids: list[int] | None = None,
) -> Iterator[UncapturedVersion]:
    """Selected versions no capture holds: those stored before captures were kept, Wayback
    backfills (their exchange was with the archive, at another time), and imports whose
    exchange was not kept (read from another address, or imported before exchanges were). A version
    parsed from a capture has the capture's time as ``seen_at``, whatever URL served it.
    Re-extractions are left out: their page was captured when first read, not when re-read."""
    where, params = _selection(sources, since, until, document_ids, time_column="v.seen_at")
    params.append(REPROCESS)
    where = (where + " AND" if where else " WHERE") + (
        " v.page_hash IS NOT NULL AND v.origin IS NOT ? AND NOT EXISTS (SELECT 1 FROM fetches f"
        " JOIN captures c ON c.fetch_id = f.id WHERE f.run_id = v.run_id"
        " AND f.page_hash = v.page_hash AND c.captured_at = v.seen_at) AND NOT EXISTS"
        " (SELECT 1 FROM imported_records i JOIN captures c ON c.id = i.capture_id"
        " WHERE i.version_id = v.id)"
    )
    cursor = db.execute(
        "SELECT v.id, d.id, d.url, v.seen_at, p.content_type, v.page_hash"
        " FROM versions v JOIN documents d ON d.id = v.document_id"
        " JOIN pages p ON p.hash = v.page_hash LEFT JOIN runs r ON r.id = v.run_id"
        f"{where} ORDER BY v.seen_at, v.id",
        params,
    )
    for row in cursor:
        yield UncapturedVersion(*row)


def iter_exported_pages(
    db: sqlite_utils.Database,
    *,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    document_ids: list[int] | None = None,
) -> Iterator[tuple[int, str, str, str]]:
    """(document id, url, seen_at, title) of each selected document's latest selected version,
    for a WACZ's pages list."""
    where, params = _selection(sources, since, until, document_ids, time_column="v.seen_at")
    # SQLite takes the bare columns of a max() aggregate from the row that holds the max.
    yield from (
        row[:4]
        for row in db.execute(
            "SELECT d.id, d.url, v.seen_at, v.title, max(v.version) FROM versions v"
            " JOIN documents d ON d.id = v.document_id LEFT JOIN runs r ON r.id = v.run_id"
            f"{where} GROUP BY d.id ORDER BY d.id",
            params,
        )
    )
