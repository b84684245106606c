"""A body recorded as sent, decoded: ``Transfer-Encoding: chunked`` and ``Content-Encoding``.

Imports and the news scan read bodies that other tools recorded. warcio decodes gzip and deflate,
and brotli through an API brotli 1.2 no longer has (it raises); zstd, which Scrapy asks for and
CDNs send, it hands back undecoded. So both decode here, each coding in the order the server
applied them, and refuse a body that inflates past ``limit`` (a compression bomb), as the crawl's
``DOWNLOAD_MAXSIZE`` refuses one.
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard
from warcio.bufferedreaders import ChunkedDataReader


class UndecodableBody(ValueError):
    """A coding this module does not know, bytes that do not decode, or too large a result."""


def dechunked(payload: bytes, transfer_encoding: str | None) -> bytes:
    """The payload without its chunked transfer coding (unchanged when it has none, or when it
    is not validly chunked: recorders differ in whether they keep it)."""
    if (transfer_encoding or "").strip().lower() != "chunked":
        return payload
    return ChunkedDataReader(io.BytesIO(payload)).read()


def decoded(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """``body`` with each coding of ``content_encoding`` (``gzip``, ``x-gzip``, ``deflate``,
    ``br``, ``zstd``, ``identity``; a list is undone last first) undone; a body cut short gives
    what it holds, as a browser shows it."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        try:
            if coding in ("gzip", "x-gzip"):
                body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, limit + 1)
            elif coding == "deflate":  # zlib-wrapped as the RFC says, or raw as some servers send
                wrapped = (
                    len(body) > 1 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
                )
                body = zlib.decompressobj(15 if wrapped else -15).decompress(body, limit + 1)
            elif coding == "br":
                body = brotli.Decompressor().process(body, output_buffer_limit=limit + 1)
            elif coding == "zstd":
                reader = zstandard.ZstdDecompressor().stream_reader(
                    io.BytesIO(body), read_across_frames=True
                )
                body = reader.read(limit + 1)
            elif coding != "identity":
                raise UndecodableBody(f"unknown content coding {coding!r}")
        except (zlib.error, brotli.error, zstandard.ZstdError) as error:
            raise UndecodableBody(f"its {coding} coding does not decode: {error}") from None
        if len(body) > limit:
            raise UndecodableBody(f"it decodes to more than {limit:,} bytes")
    return body
