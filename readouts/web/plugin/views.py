"""The plugin's pages: a document with everything known about it, a diff, a citation, and
two readouts of one event side by side.

They read the archive through Datasette's read-only connections and render Datasette's own
templates; every scraped string reaches the page through autoescaping or ``render.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from datasette.utils.asgi import NotFound, Response

from analysis.diff import word_diff
from readouts.web import counterparts as accounts
from readouts.web.metadata import PLUGIN_NAME
from readouts.web.render import Passage, external_link, highlight_passages, render_diff

logger = logging.getLogger(__name__)

LAYOUTS = ("inline", "side")
# The tables each page shows rows of: an actor sees the page only if Datasette lets them see
# every one of them.
DOCUMENT_TABLES = (
    "documents", "sources", "versions", "changes", "citations", "counterparts", "flags",
    "status_events",
)  # fmt: skip
DIFF_TABLES = ("documents", "versions", "changes")
CITATION_TABLES = ("citations", "documents", "versions")
COUNTERPART_TABLES = ("counterparts", "documents", "event_profiles")


def archive_name(datasette) -> str:
    """The archive database: the one the plugin configuration names, else the first attached."""
    configured = (datasette.plugin_config(PLUGIN_NAME) or {}).get("database")
    if configured:
        return configured
    names = [name for name in datasette.databases if not name.startswith("_")]
    return names[0] if names else "_memory"


async def ensure_visible(datasette, request, tables: tuple[str, ...]):
    """The archive database, if the actor may see each of ``tables``; else ``Forbidden`` (403).

    The same checks, in the same order, as Datasette's own table pages: the most specific
    ``allow`` block that answers decides (``view-table``, then ``view-database``, then
    ``view-instance``).
    """
    database = archive_name(datasette)
    for table in tables:
        await datasette.ensure_permissions(
            request.actor,
            [("view-table", (database, table)), ("view-database", database), "view-instance"],
        )
    return datasette.get_database(database)


async def document(request, datasette):
    db = await ensure_visible(datasette, request, DOCUMENT_TABLES)
    document_id = int(request.url_vars["id"])
    doc = await _one(db, "SELECT * FROM documents WHERE id = ?", [document_id], "document")
    source = await _first(
        db, "SELECT name, kind, config FROM sources WHERE name = ?", [doc["source"]]
    )
    notes = json.loads(source["config"] or "{}") if source else {}
    versions = await _all(
        db,
        "SELECT id, version, seen_at, title, published_at, length(text) AS characters"
        " FROM versions WHERE document_id = ? ORDER BY version DESC",
        [document_id],
    )
    changes = await _all(
        db,
        "SELECT id, created_at, from_version, to_version, words_added, words_removed,"
        " summary FROM changes WHERE document_id = ? ORDER BY to_version DESC",
        [document_id],
    )
    citing = await _all(
        db,
        "SELECT c.id, c.method, c.status, c.matched_chars, c.confidence, d.id AS other_id,"
        " d.title AS other_title, d.source AS other_source, d.published_at AS other_published"
        " FROM citations c JOIN documents d ON d.id = c.article_id"
        " WHERE c.readout_id = ? ORDER BY d.published_at DESC",
        [document_id],
    )
    cited = await _all(
        db,
        "SELECT c.id, c.method, c.status, c.matched_chars, c.confidence, d.id AS other_id,"
        " d.title AS other_title, d.source AS other_source, d.published_at AS other_published"
        " FROM citations c JOIN documents d ON d.id = c.readout_id"
        " WHERE c.article_id = ? ORDER BY d.published_at DESC",
        [document_id],
    )
    links = await _counterparts_of(db, document_id)
    flags = await _all(
        db,
        "SELECT id, created_at, kind, version_id, summary FROM flags"
        " WHERE document_id = ? OR related_document_id = ? ORDER BY created_at DESC, id DESC",
        [document_id, document_id],
    )
    events = await _all(
        db,
        "SELECT at, old_status, new_status, http_status FROM status_events"
        " WHERE document_id = ? ORDER BY at, id",
        [document_id],
    )
    return await _render(
        datasette,
        request,
        "readouts_document.html",
        {
            "doc": doc,
            "url_link": external_link(doc["url"]),
            "source_notes": notes,
            "versions": versions,
            "changes": changes,
            "citing": citing,
            "cited": cited,
            "counterparts": links,
            "flags": flags,
            "events": events,
        },
    )


async def version(request, datasette):
    """A version's text, with the diff from the version before it (or ``?against=N``)."""
    db = await ensure_visible(datasette, request, DIFF_TABLES)
    after = await _one(
        db, "SELECT * FROM versions WHERE id = ?", [int(request.url_vars["id"])], "version"
    )
    against = request.args.get("against")
    number = int(against) if against and against.isdigit() else after["version"] - 1
    before = await _first(
        db,
        "SELECT * FROM versions WHERE document_id = ? AND version = ?",
        [after["document_id"], number],
    )
    change = None
    if before is not None:
        change = await _first(
            db,
            "SELECT * FROM changes WHERE from_version_id = ? AND to_version_id = ?",
            [before["id"], after["id"]],
        )
    return await _diff_page(datasette, request, db, before, after, change)


async def change(request, datasette):
    db = await ensure_visible(datasette, request, DIFF_TABLES)
    row = await _one(
        db, "SELECT * FROM changes WHERE id = ?", [int(request.url_vars["id"])], "change"
    )
    before = await _first(db, "SELECT * FROM versions WHERE id = ?", [row["from_version_id"]])
    after = await _one(db, "SELECT * FROM versions WHERE id = ?", [row["to_version_id"]], "version")
    return await _diff_page(datasette, request, db, before, after, row)


async def _diff_page(datasette, request, db, before, after, change):
    layout = request.args.get("layout")
    layout = layout if layout in LAYOUTS else "inline"
    doc = await _one(db, "SELECT * FROM documents WHERE id = ?", [after["document_id"]], "document")
    diff_html = title_html = None
    if before is not None:
        ops = _stored_diff(change) or await asyncio.to_thread(
            word_diff, before["text"] or "", after["text"] or ""
        )
        diff_html = render_diff(ops, layout=layout)
        if (before["title"] or "") != (after["title"] or ""):
            title_ops = word_diff(before["title"] or "", after["title"] or "")
            title_html = render_diff(title_ops, layout="inline", context=0)
    later = await _first(
        db,
        "SELECT id, version FROM versions WHERE document_id = ? AND version = ?",
        [after["document_id"], after["version"] + 1],
    )
    return await _render(
        datasette,
        request,
        "readouts_diff.html",
        {
            "doc": doc,
            "url_link": external_link(doc["url"]),
            "before": before,
            "after": after,
            "later": later,
            "change": change,
            "diff_html": diff_html,
            "title_html": title_html,
            "layout": layout,
            "paragraphs": [p for p in (after["text"] or "").split("\n") if p.strip()],
        },
    )


def _stored_diff(change) -> list[tuple[int, str]] | None:
    """The change's stored word diff, or None when it is missing or not the contract's shape."""
    if not change or not change["diff"]:
        return None
    try:
        ops = [(int(op), str(text)) for op, text in json.loads(change["diff"])]
    except (TypeError, ValueError) as error:
        logger.warning("Change %s has an unreadable diff (%s): recomputing it", change["id"], error)
        return None
    return ops if all(op in (-1, 0, 1) for op, _ in ops) else None


async def citation(request, datasette):
    db = await ensure_visible(datasette, request, CITATION_TABLES)
    row = await _one(
        db, "SELECT * FROM citations WHERE id = ?", [int(request.url_vars["id"])], "citation"
    )
    article = await _one(db, "SELECT * FROM documents WHERE id = ?", [row["article_id"]], "article")
    readout = await _one(db, "SELECT * FROM documents WHERE id = ?", [row["readout_id"]], "readout")
    article_version = await _version_or_latest(db, row["article_version_id"], row["article_id"])
    readout_version = await _version_or_latest(db, row["readout_version_id"], row["readout_id"])
    reported = row["method"] == "reported"
    spans = _spans(row["spans"], reported=reported)
    if reported and readout_version:
        for span in spans:
            start, end = span["readout"] or (0, 0)
            span["readout_text"] = (readout_version["text"] or "")[start:end]
    latest_readout = await _first(
        db,
        "SELECT id, version FROM versions WHERE document_id = ? ORDER BY version DESC LIMIT 1",
        [row["readout_id"]],
    )
    return await _render(
        datasette,
        request,
        "readouts_citation.html",
        {
            "citation": row,
            "reported": reported,
            "confidence": row.get("confidence"),
            "article": article,
            "readout": readout,
            "article_link": external_link(article["url"]),
            "readout_link": external_link(readout["url"]),
            "article_version": article_version,
            "readout_version": readout_version,
            "latest_readout": latest_readout,
            "passages": spans,
            "article_html": highlight_passages(
                article_version["text"] if article_version else "",
                [Passage(*s["article"], s["number"], s["status"]) for s in spans if s["article"]],
                "article",
            ),
            "readout_html": highlight_passages(
                readout_version["text"] if readout_version else "",
                [Passage(*s["readout"], s["number"], s["status"]) for s in spans if s["readout"]],
                "readout",
            ),
        },
    )


def _spans(raw: str | None, *, reported: bool = False) -> list[dict[str, Any]]:
    """The citation's passages, numbered; offsets that are not [start, end] pairs become None.

    Passages of a ``reported`` citation are the article's own words with their similarity to
    the readout passage they report, never quotations: their status is ``reported``.
    """
    try:
        spans = json.loads(raw or "[]")
    except ValueError:
        logger.warning("Unreadable citation spans: %.80r", raw)
        return []
    passages = []
    for number, span in enumerate(spans if isinstance(spans, list) else [], start=1):
        if not isinstance(span, dict):
            continue
        similarity = span.get("similarity")
        if reported:
            status = "reported"
        else:
            status = "drifted" if span.get("status") == "drifted" else "current"
        passages.append(
            {
                "number": number,
                "text": str(span.get("text") or ""),
                "status": status,
                "similarity": similarity if isinstance(similarity, int | float) else None,
                "article": _offsets(span.get("article")),
                "readout": _offsets(span.get("readout")),
            }
        )
    return passages


def _offsets(value) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[0], value[1]
    return None


async def counterpart(request, datasette):
    """Two readouts of one event side by side: why they are linked, and what each said alone.

    ``?left=ID`` puts that readout in the left column (the document page links this way).
    """
    db = await ensure_visible(datasette, request, COUNTERPART_TABLES)
    link = await _one(
        db,
        "SELECT * FROM counterparts WHERE id = ?",
        [int(request.url_vars["id"])],
        "counterpart link",
    )
    evidence = accounts.load_json(link["evidence"], "evidence", link["id"])
    topics = accounts.load_json(link["topics"], "topics", link["id"])
    left_id, right_id = link["readout_a_id"], link["readout_b_id"]
    if request.args.get("left") == str(right_id):
        left_id, right_id = right_id, left_id
        evidence = accounts.swapped_evidence(evidence) if isinstance(evidence, dict) else evidence
        topics = accounts.swapped_topics(topics) if isinstance(topics, dict) else topics
    left, right = await _account(db, left_id), await _account(db, right_id)
    return await _render(
        datasette,
        request,
        "readouts_counterpart.html",
        {
            "link": link,
            "left": left,
            "right": right,
            "evidence": accounts.evidence_phrases(evidence),
            "alignment": accounts.alignment(topics),
        },
    )


async def _account(db, document_id: int) -> dict[str, Any]:
    """One side of a counterpart link: the readout, its link, and its event profile."""
    doc = await _one(db, "SELECT * FROM documents WHERE id = ?", [document_id], "readout")
    profile = await _first(db, "SELECT * FROM event_profiles WHERE document_id = ?", [document_id])
    return {"doc": doc, "url_link": external_link(doc["url"]), "profile": profile}


async def _counterparts_of(db, document_id: int) -> list[dict[str, Any]]:
    """A readout's counterpart links, best first, with how many sentences each side had alone."""
    return await _all(
        db,
        """
        SELECT c.id, c.status, c.confidence, c.decided_at, d.id AS other_id,
               d.title AS other_title, d.source AS other_source,
               d.published_at AS other_published,
               CASE WHEN json_valid(c.topics) THEN json_array_length(c.topics,
                 CASE WHEN c.readout_a_id = :doc THEN '$.only_a' ELSE '$.only_b' END) END
                 AS only_here,
               CASE WHEN json_valid(c.topics) THEN json_array_length(c.topics,
                 CASE WHEN c.readout_a_id = :doc THEN '$.only_b' ELSE '$.only_a' END) END
                 AS only_there
        FROM counterparts c
        JOIN documents d ON d.id = CASE WHEN c.readout_a_id = :doc THEN c.readout_b_id
                                        ELSE c.readout_a_id END
        WHERE c.readout_a_id = :doc OR c.readout_b_id = :doc
        ORDER BY c.status = 'rejected', c.confidence DESC, c.id
        """,
        {"doc": document_id},
    )


async def _version_or_latest(db, version_id, document_id):
    if version_id is not None:
        row = await _first(db, "SELECT * FROM versions WHERE id = ?", [version_id])
        if row is not None:
            return row
    return await _first(
        db,
        "SELECT * FROM versions WHERE document_id = ? ORDER BY version DESC LIMIT 1",
        [document_id],
    )


async def _render(datasette, request, template: str, context: dict[str, Any]) -> Response:
    context = {"database": archive_name(datasette), **context}
    return Response.html(await datasette.render_template(template, context, request=request))


async def _all(db, sql: str, params: list | dict) -> list[dict[str, Any]]:
    return [dict(row) for row in (await db.execute(sql, params)).rows]


async def _first(db, sql: str, params: list) -> dict[str, Any] | None:
    rows = await _all(db, sql, params)
    return rows[0] if rows else None


async def _one(db, sql: str, params: list, what: str) -> dict[str, Any]:
    row = await _first(db, sql, params)
    if row is None:
        raise NotFound(f"No {what} {params[0]} in this archive")
    return row
