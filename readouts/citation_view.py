"""What ``readouts citations DOC`` shows: a document's citations, each quoted passage beside
the sentence of the readout it comes from."""

from __future__ import annotations

import json
from typing import Any

from analysis.sentences import sentences_around
from storage.queries import citations_of


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
    first, last = sentences_around(text, start, end)
    return {"text": text[first:last], "quote": [start - first, end - first]}
