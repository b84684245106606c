"""How stored bodies (raw pages, capture payloads) are compressed: zstd with a dictionary per source.

The pages of one site share most of their bytes (menus, sidebars, footers, scripts), which
compressing each page alone cannot exploit. After ``TRAIN_AFTER`` bodies of a source, a zstd
dictionary is trained on them and kept in ``compression_dictionaries`` under its SHA-256 (the
bodies its earlier crawl processes stored count: a monitor run stores a few bodies, in a process
of its own);
later bodies of the source name it in their ``compression`` column (``zstd:<digest>``). A
dictionary is never changed nor deleted, so every row stays readable; rows written before
(``zlib``) or without a dictionary (``zstd``) are read as they were written.
"""

from __future__ import annotations

import hashlib
import weakref
import zlib
from collections.abc import Callable
from functools import lru_cache

import sqlite_utils
import zstandard

from storage.database import write_transaction
from storage.timeutil import utc_now

TRAIN_AFTER = 100  # bodies of a source compressed alone before its dictionary is trained
DICTIONARY_BYTES = 32 * 1024
LEVEL = 9  # with a dictionary: under 1 ms for a 24 KB page, a fifth of zlib's output
_PREFIX = "zstd:"

# Per open database: source → bodies kept as training samples until there are enough (starting
# with those earlier processes stored for it).
_samples: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compress(db: sqlite_utils.Database, source: str | None, body: bytes) -> tuple[str, bytes]:
    """(compression, stored bytes) for a new body of ``source``; ``none`` when compressing
    does not help (a gzip payload)."""
    digest = _dictionary_of(db, source) if source else None
    if digest is None:
        compression, stored = "zstd", _compressor(None).compress(body)
        if source:
            _collect(db, source, body)
    else:
        compression, stored = _PREFIX + digest, _compressor(_load(db, digest)).compress(body)
    if len(stored) >= len(body):
        return "none", body
    return compression, stored


class DamagedBody(LookupError):
    """A stored body that cannot be given back as it was stored: its bytes no longer decompress,
    or no longer have the digest they are stored under (a damaged disk, a hand edit)."""


def restore(
    db: sqlite_utils.Database,
    compression: str,
    stored: bytes,
    *,
    name: str,
    digest: str,
    digest_of: Callable[[bytes], str],
) -> bytes:
    """The body stored as ``stored``, checked against the ``digest`` it is stored under: damaged
    bytes are never given out as the page that was served. ``name`` says which body, in errors."""
    try:
        body = decompress(db, compression, stored)
    except (zlib.error, zstandard.ZstdError) as error:
        raise DamagedBody(f"{name}: its stored bytes do not decompress ({error})") from error
    if digest_of(body) != digest:
        raise DamagedBody(f"{name}: its stored bytes no longer have that digest")
    return body


def decompress(db: sqlite_utils.Database, compression: str, stored: bytes) -> bytes:
    """The body as it was before ``compress`` (or the zlib of older releases)."""
    if compression == "zlib":
        return zlib.decompress(stored)
    if compression == "zstd":
        return _decompressor(None).decompress(stored)
    if compression.startswith(_PREFIX):
        return _decompressor(_load(db, compression[len(_PREFIX) :])).decompress(stored)
    if compression == "none":
        return stored
    raise ValueError(f"unknown compression {compression!r}")


def _dictionary_of(db: sqlite_utils.Database, source: str) -> str | None:
    row = db.execute(
        "SELECT digest FROM compression_dictionaries WHERE source = ?"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        [source],
    ).fetchone()
    return row[0] if row else None


def _collect(db: sqlite_utils.Database, source: str, body: bytes) -> None:
    """Keep ``body`` as a sample; with enough of them, train and store the source's dictionary."""
    collected = _samples.setdefault(db, {})
    if source not in collected:
        collected[source] = _stored_samples(db, source)
    samples = collected[source]
    samples.append(body)
    if len(samples) < TRAIN_AFTER:
        return
    del _samples[db][source]
    try:
        trained = zstandard.train_dictionary(DICTIONARY_BYTES, samples, level=LEVEL)
    except zstandard.ZstdError:  # too few distinct bytes to learn from: carry on without
        return
    data = trained.as_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with write_transaction(db):
        db.execute(
            "INSERT OR IGNORE INTO compression_dictionaries"
            " (digest, source, created_at, samples, dictionary) VALUES (?, ?, ?, ?, ?)",
            [digest, source, utc_now(), len(samples), data],
        )


def _stored_samples(db: sqlite_utils.Database, source: str) -> list[bytes]:
    """The distinct capture payloads of ``source``'s runs compressed without a dictionary."""
    rows = db.execute(
        "SELECT body FROM capture_payloads WHERE compression = 'zstd' AND digest IN"
        " (SELECT c.payload_digest FROM captures c JOIN runs r ON r.id = c.run_id"
        " WHERE r.source = ?) LIMIT ?",
        [source, TRAIN_AFTER - 1],
    ).fetchall()
    return [_decompressor(None).decompress(row[0]) for row in rows]


def _load(db: sqlite_utils.Database, digest: str) -> bytes:
    row = db.execute(
        "SELECT dictionary FROM compression_dictionaries WHERE digest = ?", [digest]
    ).fetchone()
    if row is None:
        raise KeyError(f"No compression dictionary {digest}")
    return row[0]


@lru_cache(maxsize=16)
def _compressor(dictionary: bytes | None) -> zstandard.ZstdCompressor:
    if dictionary is None:
        return zstandard.ZstdCompressor(level=LEVEL)
    return zstandard.ZstdCompressor(
        level=LEVEL, dict_data=zstandard.ZstdCompressionDict(dictionary)
    )


@lru_cache(maxsize=16)
def _decompressor(dictionary: bytes | None) -> zstandard.ZstdDecompressor:
    if dictionary is None:
        return zstandard.ZstdDecompressor()
    return zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(dictionary))
