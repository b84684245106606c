"""Raw response bodies, each distinct body stored once, compressed, keyed by its SHA-256.

Keeping the raw page means any extraction can be re-run later on what was really served. A
page whose bytes are those of a capture payload (a body sent without content encoding, as
most are) is not stored twice: its row names the payload (``payload_digest``) instead.
"""

from __future__ import annotations

import hashlib

import sqlite_utils

from storage import bodies, captures
from storage.database import write_transaction


def save_page(
    db: sqlite_utils.Database,
    body: bytes,
    content_type: str | None,
    seen_at: str,
    source: str | None = None,
) -> str:
    """Store ``body`` unless an identical one is already stored; return its hash."""
    digest = page_hash(body)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM pages WHERE hash = ?", [digest]).fetchone():
            return digest
        payload = captures.payload_digest(body)
        if captures.has_payload(db, payload):
            compression, stored = "payload", None
        else:
            compression, stored = bodies.compress(db, source, body)
            payload = None
        db.execute(
            "INSERT INTO pages (hash, content_type, size, compression, body, first_seen,"
            " payload_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [digest, content_type, len(body), compression, stored, seen_at, payload],
        )
    return digest


def load_page(db: sqlite_utils.Database, digest: str) -> bytes:
    """The raw body stored under ``digest`` (``bodies.DamagedBody`` if its bytes no longer have
    that digest)."""
    row = db.execute(
        "SELECT compression, body, payload_digest FROM pages WHERE hash = ?", [digest]
    ).fetchone()
    if row is None:
        raise KeyError(f"No stored page with hash {digest}")
    compression, body, payload = row
    if compression == "payload":
        return captures.load_payload(db, payload)
    return restore_page(db, digest, compression, body)


def restore_page(db: sqlite_utils.Database, digest: str, compression: str, stored: bytes) -> bytes:
    return bodies.restore(
        db, compression, stored, name=f"page {digest}", digest=digest, digest_of=page_hash
    )


def page_hash(body: bytes) -> str:
    """A raw page's key: the SHA-256 of its bytes, in hex."""
    return hashlib.sha256(body).hexdigest()
