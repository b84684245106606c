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
from flagging.changes import displayed_diff
from readouts.web import counterparts as accounts
from readouts.web.metadata import PLUGIN_NAME
from readouts.web.render import Passage, external_link, highlight_passages, render_diff
from storage import page_queries as queries
from storage.changes import ignore_pattern_lists

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
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: a larger id is no row, not an OverflowError


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
    document_id = row_id(request)
    doc = await _one(db, queries.DOCUMENT, [document_id], "document")
    source = await _first(db, queries.SOURCE, [doc["source"]])
    notes = json.loads(source["config"] or "{}") if source else {}
    versions = await _all(
        db,
        queries.DOCUMENT_VERSIONS,
        [document_id],
    )
    changes = await _all(
        db,
        queries.DOCUMENT_CHANGES,
        [document_id],
    )
    citing = await _all(
        db,
        queries.CITING,
        [document_id],
    )
    cited = await _all(
        db,
        queries.CITED,
        [document_id],
    )
    links = await _counterparts_of(db, document_id)
    flags = await _all(
        db,
        queries.DOCUMENT_FLAGS,
        [document_id, document_id],
    )
    events = await _all(
        db,
        queries.STATUS_EVENTS,
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
    after = await _one(db, queries.VERSION, [row_id(request)], "version")
    against = request.args.get("against")
    number = int(against) if against and against.isdigit() else after["version"] - 1
    before = await _first(
        db,
        queries.VERSION_NUMBER,
        [after["document_id"], number],
    )
    change = None
    if before is not None:
        change = await _first(
            db,
            queries.CHANGE_BETWEEN,
            [before["id"], after["id"]],
        )
    return await _diff_page(datasette, request, db, before, after, change)


async def change(request, datasette):
    db = await ensure_visible(datasette, request, DIFF_TABLES)
    row = await _one(db, queries.CHANGE, [row_id(request)], "change")
    before = await _first(db, queries.VERSION, [row["from_version_id"]])
    after = await _one(db, queries.VERSION, [row["to_version_id"]], "version")
    return await _diff_page(datasette, request, db, before, after, row)


async def _diff_page(datasette, request, db, before, after, change):
    layout = request.args.get("layout")
    layout = layout if layout in LAYOUTS else "inline"
    doc = await _one(db, queries.DOCUMENT, [after["document_id"]], "document")
    diff_html = title_html = None
    if before is not None:
        ops = await version_diff(await pattern_lists(db, doc["source"]), before, after, change)
        same_text = (before["text"] or "") == (after["text"] or "")
        diff_html = render_diff(ops, layout=layout, same_text=same_text)
        if (before["title"] or "") != (after["title"] or ""):
            title_ops = word_diff(before["title"] or "", after["title"] or "")
            title_html = render_diff(title_ops, layout="inline", context=0)
    later = await _first(
        db,
        queries.VERSION_ID_NUMBER,
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


async def pattern_lists(db, source: str) -> list[list[str]]:
    """The ``ignore_patterns`` lists a stored diff of ``source`` may have been computed under."""
    return await db.execute_fn(lambda conn: ignore_pattern_lists(conn, source))


async def version_diff(patterns, before, after, change) -> list[tuple[int, str]]:
    """The word diff between two versions: the change row's, rebuilt against their texts under
    one of ``patterns`` (``pattern_lists``), or computed (off the event loop) when there is no
    row or it fits none of them."""
    return await asyncio.to_thread(
        displayed_diff, change["diff"] if change else None, before["text"], after["text"], patterns
    )


async def citation(request, datasette):
    db = await ensure_visible(datasette, request, CITATION_TABLES)
    row = await _one(db, queries.CITATION, [row_id(request)], "citation")
    article = await _one(db, queries.DOCUMENT, [row["article_id"]], "article")
    readout = await _one(db, queries.DOCUMENT, [row["readout_id"]], "readout")
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
        queries.LATEST_VERSION_NUMBER,
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
        queries.COUNTERPART,
        [row_id(request)],
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
    doc = await _one(db, queries.DOCUMENT, [document_id], "readout")
    profile = await _first(db, queries.EVENT_PROFILE, [document_id])
    return {"doc": doc, "url_link": external_link(doc["url"]), "profile": profile}


async def _counterparts_of(db, document_id: int) -> list[dict[str, Any]]:
    """A readout's counterpart links, best first, with how many sentences each side had alone."""
    return await _all(db, queries.COUNTERPARTS_OF, {"doc": document_id})


async def _version_or_latest(db, version_id, document_id):
    if version_id is not None:
        row = await _first(db, queries.VERSION, [version_id])
        if row is not None:
            return row
    return await _first(
        db,
        queries.LATEST_VERSION,
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


def row_id(request) -> int:
    """The page's ``id``; NotFound unless it is a row id SQLite can hold (not ``abc``, not -1)."""
    text = request.url_vars["id"]
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ROW_ID:
        raise NotFound(f"No row {text!r} in this archive")
    return int(text)


async def _one(db, sql: str, params: list, what: str) -> dict[str, Any]:
    row = await _first(db, sql, params)
    if row is None:
        raise NotFound(f"No {what} {params[0]} in this archive")
    return row
