"""The normalized form of a text, which decides whether a page changed.

Sites re-render pages all the time: curly quotes become straight, a space after a short word
becomes a non-breaking one (the Kremlin does this everywhere), paragraphs are re-wrapped.
None of that is an edit, so the hash that detects edits is taken over a folded form.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\u2060": "",
        "\ufeff": "",
        "\u00ad": "",
    }
)
_SPACE = re.compile(r"\s+")


def normalize_text(text: str | None) -> str:
    """Fold Unicode compatibility forms, quotes, dashes and all whitespace; keep case and words."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return _SPACE.sub(" ", text).strip()


def strip_ignored(text: str | None, patterns: Iterable[str] = ()) -> str:
    """The text without the parts a source's ``ignore_patterns`` match (e.g. a view counter).

    Patterns are matched line by line (``^`` and ``$`` anchor at each paragraph); they decide
    what is compared, never what is stored.
    """
    text = text or ""
    for pattern in patterns:
        text = re.sub(pattern, "", text, flags=re.MULTILINE)
    return text


def content_hash(
    title: str | None,
    published_at: str | None,
    text: str | None,
    ignore_patterns: Iterable[str] = (),
) -> str:
    """SHA-256 over the normalized title, publication date and main text (minus ignored parts)."""
    payload = json.dumps(
        [
            normalize_text(title),
            (published_at or "").strip(),
            normalize_text(strip_ignored(text, ignore_patterns)),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
