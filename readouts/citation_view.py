"""What ``readouts citations DOC`` shows: a document's citations, each quoted passage beside
the sentence of the readout it comes from."""

from __future__ import annotations

import json
import re
from typing import Any

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*\s+|\n")


def citation_view(db: Any, document: dict[str, Any]) -> dict[str, Any]:
    """The citations of a readout (who cites it) or of an article (what it cites)."""
    column = "readout_id" if document["kind"] == "readout" else "article_id"
    cursor = db.execute(
        "SELECT c.id, c.article_id, a.title AS article_title, a.url AS article_url,"
        " c.readout_id, r.title AS readout_title, r.url AS readout_url, c.method, c.linked,"
        " c.status, c.matched_chars, c.spans, c.article_version_id, c.readout_version_id,"
        " rv.version AS readout_version, rv.text AS readout_text,"
        " (SELECT max(version) FROM versions WHERE document_id = c.readout_id)"
        "   AS latest_readout_version,"
        " c.created_at, c.updated_at"
        " FROM citations c JOIN documents a ON a.id = c.article_id"
        " JOIN documents r ON r.id = c.readout_id"
        " LEFT JOIN versions rv ON rv.id = c.readout_version_id"
        f" WHERE c.{column} = ? ORDER BY a.published_at, c.id",
        [document["id"]],
    )
    columns = [c[0] for c in cursor.description]
    citations = []
    for row in cursor.fetchall():
        citation = dict(zip(columns, row))
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
