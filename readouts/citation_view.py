"""What ``readouts citations DOC`` shows: a document's citations, each quoted passage beside
the sentence of the readout it comes from."""

from __future__ import annotations

import json
import re
from typing import Any

from storage.queries import citations_of

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*\s+|\n")


def citation_view(db: Any, document: dict[str, Any]) -> dict[str, Any]:
    """The citations of a readout (who cites it) or of an article (what it cites)."""
    citations = []
    for citation in citations_of(db, document):
        readout_text = citation.pop("readout_text") or ""
        citation["linked"] = bool(citation["linked"])
        citation["spans"] = [
            {**span, "readout_context": sentence_context(readout_text, *span["readout"])}
            for span in json.loads(citation["spans"] or "[]")
        ]
        citations.append(citation)
    return {
        "document": {key: document[key] for key in ("id", "kind", "url", "title")},
        "citations": citations,
    }


def sentence_context(text: str, start: int, end: int) -> dict[str, Any]:
    """The whole sentence(s) around ``text[start:end]``, and where the quote sits in them."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    first = before[-1] if before else 0
    after = _SENTENCE_END.search(text, end)
    if after is None:
        last = len(text)
    elif after.group().startswith("\n"):
        last = after.start()
    else:
        last = after.start() + 1
    return {"text": text[first:last], "quote": [start - first, end - first]}
