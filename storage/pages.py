"""Raw response bodies, each distinct body stored once, compressed, keyed by its SHA-256.

Keeping the raw page means any extraction can be re-run later on what was really served.
"""

from __future__ import annotations

import hashlib
import zlib

import sqlite_utils

from storage.database import write_transaction


def save_page(
    db: sqlite_utils.Database, body: bytes, content_type: str | None, seen_at: str
) -> str:
    """Store ``body`` unless an identical one is already stored; return its hash."""
    digest = hashlib.sha256(body).hexdigest()
    with write_transaction(db):
        db.execute(
            "INSERT OR IGNORE INTO pages (hash, content_type, size, compression, body, first_seen)"
            " VALUES (?, ?, ?, 'zlib', ?, ?)",
            [digest, content_type, len(body), zlib.compress(body, 6), seen_at],
        )
    return digest


def load_page(db: sqlite_utils.Database, digest: str) -> bytes:
    """The raw body stored under ``digest``."""
    row = db.execute("SELECT compression, body FROM pages WHERE hash = ?", [digest]).fetchone()
    if row is None:
        raise KeyError(f"No stored page with hash {digest}")
    compression, body = row
    return zlib.decompress(body) if compression == "zlib" else body
