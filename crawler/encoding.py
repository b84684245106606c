"""The real character encoding of a page, whatever it declares.

Official sites get charsets wrong: windows-1251 bytes sent as ``charset=utf-8``, UTF-8 sent as
windows-1251, no declaration at all. Scrapy trusts the declaration and decodes with
replacement, or guesses cp1252 when nothing is declared; either way Cyrillic comes out as
U+FFFD or Latin mojibake, and that garbage would become a new "edited" version.

The rules, in order:
1. a byte-order mark decides;
2. a body that is valid UTF-8 is UTF-8 (legacy-encoded text with non-ASCII letters is almost
   never valid UTF-8 by accident);
3. a declared encoding that decodes the body without error and without mess (charset-normalizer's
   measure of implausible character sequences) is used;
4. otherwise charset-normalizer detects the encoding;
5. a body that is binary, or that no encoding decodes cleanly, is a ``BadEncoding``.
"""

from __future__ import annotations

import codecs

import charset_normalizer
from charset_normalizer.md import mess_ratio
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

MESS_THRESHOLD = 0.2  # charset-normalizer's own default for "this decoding is garbage"
_SAMPLE = 64 * 1024


class BadEncoding(ValueError):
    """The body is binary or in no encoding that decodes it cleanly."""


def decode_page(body: bytes, content_type: str | None) -> tuple[str, str]:
    """The page's text and the encoding it was really in."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        return body[len(bom) :].decode(bom_encoding, errors="strict"), bom_encoding
    if b"\x00" in body[:_SAMPLE]:
        raise BadEncoding(f"binary body (NUL bytes) served as {content_type or 'no type'}")
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _declared(body, content_type)
    if declared and declared != "utf-8":
        try:
            text = body.decode(declared)
        except UnicodeDecodeError:
            text = None
        if text is not None and mess_ratio(text[:_SAMPLE], MESS_THRESHOLD) < MESS_THRESHOLD:
            return text, declared
    best = charset_normalizer.from_bytes(body).best()
    if best is None or best.chaos >= MESS_THRESHOLD:
        raise BadEncoding(
            f"no character encoding decodes the body cleanly (declared: {declared or 'none'})"
        )
    return str(best), best.encoding


def _declared(body: bytes, content_type: str | None) -> str | None:
    name = http_content_type_encoding(content_type) if content_type else None
    name = name or html_body_declared_encoding(body)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
