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
   measure of implausible character sequences) is used, unless it is one of the Cyrillic code
   pages and another one reads the body as Russian while it does not (``misread_cyrillic``);
4. otherwise charset-normalizer detects the encoding;
5. a body that is binary, or that no encoding decodes cleanly, is a ``BadEncoding``.
"""

from __future__ import annotations

import codecs
import math
import re
from collections import Counter
from dataclasses import dataclass

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
            return misread_cyrillic(body, text, declared) or (text, declared)
    best = charset_normalizer.from_bytes(body).best()
    if best is None or best.chaos >= MESS_THRESHOLD:
        raise BadEncoding(
            f"no character encoding decodes the body cleanly (declared: {declared or 'none'})"
        )
    return str(best), best.encoding


# A Russian page read in the wrong Cyrillic code page passes the mess check: every byte is still
# a Cyrillic letter, only the wrong one. koi8-r and windows-1251 even map each letter to one of
# the other case, so "Встреча" comes out as "бЯРПЕВЮ". That mojibake has capitals inside words
# and the letter frequencies of no language; the right code page gives lower-case prose with
# Russian's. Both tells must point the same way before a declaration is overruled: a correct
# all-caps heading has capitals inside words, but its Russian letters are the likely ones.
CYRILLIC_CODE_PAGES = ("cp1251", "koi8-r", "iso8859-5", "cp866")  # codecs.lookup() names
MIN_LETTERS = 40  # fewer Cyrillic letters (a short title) tell nothing either way
CAPITALS_INSIDE_WORDS = 0.2  # share of letters: Russian prose has a few ("МИД", "РФ")
RUSSIAN_BITS = 5.0  # bits per letter at most under Russian's letter frequencies (prose: ~4.5)
MARGIN_BITS = 0.4  # how much likelier the other reading's letters must be

# The letter frequencies of Russian text, per cent, as commonly cited.
_RUSSIAN_LETTERS = dict(
    о=10.97, е=8.45, а=8.01, и=7.35, н=6.70, т=6.26, с=5.47, р=4.73, в=4.54, л=4.40, к=3.49,
    м=3.21, д=2.98, п=2.81, у=2.62, я=2.01, ы=1.90, ь=1.74, г=1.70, з=1.65, б=1.59, ч=1.44,
    й=1.21, х=0.97, ж=0.94, ш=0.73, ю=0.64, ц=0.48, щ=0.36, э=0.32, ф=0.26, ъ=0.04, ё=0.04,
)  # fmt: skip
_BITS = {letter: -math.log2(share / 100) for letter, share in _RUSSIAN_LETTERS.items()}
_UNLIKELY_BITS = -math.log2(0.0005)  # Cyrillic letters Russian does not use (і, ђ, ў…)
_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
_CYRILLIC_CAPITAL_INSIDE_WORD = re.compile(r"(?<=[^\W\d_])[\u0400-\u042f]")


@dataclass(frozen=True)
class CyrillicReading:
    """How a text's Cyrillic letters look: how many, what share are capitals inside a word,
    and their mean surprise (bits) under Russian letter frequencies."""

    letters: int
    capitals_inside_words: float
    bits: float

    @property
    def is_russian(self) -> bool:
        return (
            self.letters >= MIN_LETTERS
            and self.capitals_inside_words <= CAPITALS_INSIDE_WORDS
            and self.bits <= RUSSIAN_BITS
        )


def cyrillic_reading(text: str) -> CyrillicReading:
    """How ``text``'s Cyrillic letters look: the two tells of a misread code page."""
    letters = Counter(_CYRILLIC_LETTER.findall(text.lower()))
    count = letters.total()
    if not count:
        return CyrillicReading(0, 0.0, 0.0)
    capitals = len(_CYRILLIC_CAPITAL_INSIDE_WORD.findall(text))
    bits = sum(_BITS.get(letter, _UNLIKELY_BITS) * n for letter, n in letters.items())
    return CyrillicReading(count, capitals / count, bits / count)


def misread_cyrillic(body: bytes, text: str, declared: str) -> tuple[str, str] | None:
    """The body's text and code page when ``declared`` (which gave ``text``) is the wrong one of
    the Cyrillic code pages: ``text`` has the tell-tale capitals inside words and unlikely
    letters, and another code page reads the body as Russian prose. None otherwise."""
    if declared not in CYRILLIC_CODE_PAGES:
        return None
    reading = cyrillic_reading(text[:_SAMPLE])
    if reading.letters < MIN_LETTERS or reading.capitals_inside_words <= CAPITALS_INSIDE_WORDS:
        return None
    others = []
    for other in CYRILLIC_CODE_PAGES:
        if other == declared:
            continue
        try:
            other_text = body.decode(other)
        except UnicodeDecodeError:
            continue
        other_reading = cyrillic_reading(other_text[:_SAMPLE])
        if other_reading.is_russian and other_reading.bits + MARGIN_BITS <= reading.bits:
            others.append((other_reading.bits, other_text, other))
    if not others:
        return None
    _, other_text, other = min(others, key=lambda found: found[0])
    return other_text, other


def _declared(body: bytes, content_type: str | None) -> str | None:
    name = http_content_type_encoding(content_type) if content_type else None
    name = name or html_body_declared_encoding(body)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
