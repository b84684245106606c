"""Datasette metadata for the archive: what each table and column means, how to sort and facet.

A journalist who has never seen the schema reads these descriptions on every table page, so
they say what a row is and what a value means, not how it is stored. The metadata is built
when ``readouts serve`` starts, from the tables the archive holds and the configured sources.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from readouts.web.canned import (
    CITATIONS_PER_READOUT,
    EDITS_AND_REMOVALS_BY_DAY,
    canned_queries,
)

PLUGIN_NAME = "readouts"
DASHBOARD = "readouts"

TABLES: dict[str, dict[str, Any]] = {
    "sources": {
        "description": "The configured sources: official sites publishing readouts and the "
        "commentary sites watched for quotes.",
        "columns": {
            "name": "Short name of the source, used everywhere else in the archive",
            "kind": "readout: an official source; commentary: a site that quotes readouts",
            "spider": "The crawler that reads this site (generic: any site, by URL patterns)",
            "base_url": "The site's address",
            "schedule": "How often the daemon crawls it (cron expression or interval)",
            "config": "The source's whole configuration (JSON), including its description and licence",
            "updated_at": "When this row was last synced from the sources file (UTC)",
        },
    },
    "documents": {
        "description": "One row per page archived (an official readout or a commentary article), "
        "identified by its URL. Its versions are in versions; click a title for its history.",
        "sort_desc": "first_seen",
        "facets": ["source", "kind", "status", "language"],
        "label_column": "title",
        "columns": {
            "id": "Document number",
            "source": "The source it was found on",
            "url": "Where it is published",
            "kind": "readout (official text) or commentary (an article that may quote readouts)",
            "title": "Title of its latest version",
            "published_at": "Publication date the page states (ISO 8601)",
            "language": "Language of the text",
            "status": "live, or removed: answered 404 or 410 on two consecutive checks",
            "first_seen": "When it was first archived (UTC)",
            "last_seen": "When it was last fetched successfully (UTC)",
            "removed_at": "When it was marked removed (UTC)",
            "etag": "HTTP validator used to re-check it cheaply",
            "last_modified": "HTTP Last-Modified the site sent",
            "missing_count": "Consecutive checks that answered 404 or 410",
            "missing_run_id": "The run that last found it missing",
            "missing_runs_until": "The newest run when it was last found missing: only a later"
            " run counts the next 404",
            "last_http_status": "HTTP status of the last check",
        },
    },
    "versions": {
        "description": "Every distinct version of every document: a new row only when the "
        "title, date or main text changed (never for layout, ads or typography). Search the "
        "words of every version here.",
        "sort_desc": "seen_at",
        "facets": ["origin"],
        "label_column": "title",
        "columns": {
            "id": "Version id",
            "document_id": "The document this is a version of",
            "version": "1 for the first version archived, then 2, 3, …",
            "seen_at": "When this version was first fetched (UTC)",
            "title": "Title as published in this version",
            "text": "Main text as published in this version (page chrome removed)",
            "published_at": "Publication date this version states",
            "content_hash": "SHA-256 of the normalized title, date and text",
            "page_hash": "The raw page it was extracted from (pages table)",
            "run_id": "The crawl run that fetched it",
            "origin": "How it was obtained: crawl; archive (a web-archive capture, from the "
            "Wayback Machine or readouts import); reprocess (the same raw page read again by "
            "improved spider code: a re-extraction, never an edit)",
            "metadata": "Other fields the page stated (JSON)",
        },
    },
    "changes": {
        "description": "One row per pair of consecutive versions of a document: what changed "
        "between them. Click an id for the word-by-word diff.",
        "sort_desc": "created_at",
        "facets": [{"array": "kinds"}, "title_changed", "date_changed"],
        "columns": {
            "id": "Change id (click for the diff)",
            "document_id": "The document that changed",
            "from_version_id": "The older version",
            "to_version_id": "The newer version",
            "from_version": "Number of the older version",
            "to_version": "Number of the newer version",
            "created_at": "When the change was detected (UTC)",
            "words_added": "Words added",
            "words_removed": "Words removed",
            "share_changed": "Share of the text that changed, 0 to 1",
            "title_changed": "1 when the title changed",
            "date_changed": "1 when the stated date changed",
            "kinds": "What kind of change (JSON list: text_edited, paragraph_removed, …)",
            "reverted_to_version_id": "When the new text is an earlier version again: that version",
            "summary": "The change in one line",
            "diff": (
                "Word-level diff of the texts as compared (JSON [op, text]: -1 removed,"
                " 1 added; [0, n]: n characters kept, read from the earlier version;"
                " the change page shows it whole)"
            ),
        },
    },
    "flags": {
        "description": "Things to look at: new, edited, removed and restored readouts, new "
        "citations and quote drift, newest first. Subscribe to them as an Atom feed: "
        "flags_feed.atom.",
        "sort_desc": "created_at",
        "facets": ["kind", "source"],
        "columns": {
            "id": "Flag id",
            "created_at": "When it was flagged (UTC)",
            "kind": "new_readout, edited_readout, removed_readout, restored_readout, "
            "new_citation, quote_drift or counterpart_found",
            "source": "Source of the document flagged",
            "document_id": "The readout (for citation flags: the article)",
            "version_id": "The version that raised the flag",
            "related_document_id": "For citation flags: the readout quoted; for "
            "counterpart_found: the other readout of the event",
            "summary": "What happened, in one line",
            "key": "Unique key that keeps a flag from being raised twice",
        },
    },
    "citations": {
        "description": "Articles citing an official readout: by link, by quoting it, by "
        "republishing it, or by reporting it in their own words. Click an id to see the "
        "passages in both texts.",
        "sort_desc": "updated_at",
        "facets": ["method", "status"],
        "columns": {
            "id": "Citation id (click to see the passages)",
            "article_id": "The article that cites",
            "readout_id": "The readout cited",
            "method": "link, quote, republication, or reported: the article says what the "
            "readout says in other words (found by sentence similarity, not a quotation)",
            "matched_chars": "Characters of readout text found in the article",
            "confidence": "For reported citations: how sure the match is, 0 to 1",
            "spans": "The passages (JSON: offsets into both texts, the article's text, its "
            "status; for reported citations the similarity of the two sentences)",
            "status": "current, or drifted: some quoted words are gone from the current readout",
            "article_version_id": "The article version compared",
            "readout_version_id": "The readout version compared",
            "created_at": "When the citation was found (UTC)",
            "updated_at": "When it was last checked (UTC)",
        },
    },
    "counterparts": {
        "description": "Readouts of the same event (a call, a meeting) published by two "
        "sources: each government's own account. Click “compare the two accounts” to read them "
        "side by side, with what each side reported that the other left out.",
        "sort_desc": "created_at",
        "facets": ["status"],
        "columns": {
            "id": "Link id",
            "readout_a_id": "One readout (the lower document number)",
            "readout_b_id": "The other readout",
            "confidence": "How sure the link is, 0 to 1 (1.0 when a user linked them by hand)",
            "evidence": "Why they are linked: the people both name, hours between them, the "
            "event day each states, the kind of event",
            "topics": "Their sentences matched across (JSON; click to compare the accounts)",
            "status": "suggested (found, not yet checked), confirmed or rejected by a user "
            "with readouts counterparts DOC --confirm/--reject OTHER; a verdict stays",
            "decided_at": "When a user confirmed or rejected it (UTC)",
            "created_at": "When the link was found (UTC)",
            "updated_at": "When detection last refreshed it (UTC)",
        },
    },
    "event_profiles": {
        "description": "What each readout reports, as read to find its counterparts: who "
        "took part, what kind of event, on which day.",
        "sort_desc": "published_utc",
        "facets": ["source", "announcement"],
        "columns": {
            "document_id": "The readout",
            "version_id": "The version read",
            "source": "Its source",
            "participants": "Surnames of the people it names as taking part (JSON)",
            "kinds": "Kind of event: call, video_call, meeting (JSON)",
            "published_utc": "Publication time, in UTC",
            "event_day": "The day the event took place, when the text states it",
            "announcement": "1 when it announces an event to come rather than reporting one",
        },
    },
    "fetches": {
        "description": "Every HTTP request the crawler made, with what came of it.",
        "sort_desc": "fetched_at",
        "facets": ["outcome", "status"],
        "columns": {
            "id": "Request id",
            "run_id": "The run that made it",
            "url": "Address requested",
            "fetched_at": "When (UTC)",
            "status": "HTTP status (empty: no response, see error)",
            "bytes": "Size of the response body",
            "error": "What went wrong, when something did",
            "outcome": "new, changed, unchanged, not_modified, gone, parse_error, failed, retried, …",
            "page_hash": "The raw page stored (pages table; empty: a 404/410 or 304 answer)",
            "document_id": "The document it concerned",
        },
    },
    "runs": {
        "description": "Crawl runs: one per source per crawl, with its counts.",
        "sort_desc": "started_at",
        "facets": ["source", "mode", "outcome"],
        "columns": {
            "id": "Run id",
            "source": "Source crawled",
            "mode": "monitor (newest items), backfill (a date range) or recheck (every known item)",
            "started_at": "Start (UTC)",
            "finished_at": "End (UTC); empty while running or if it was killed",
            "outcome": "ok, errors (some fetches failed), failed or interrupted",
            "since": "Backfill start date",
            "until": "Backfill end date",
            "pid": "Process id of the crawl",
            "pages_fetched": "Pages fetched",
            "versions_stored": "New versions stored",
            "new_documents": "Documents seen for the first time",
            "unchanged": "Pages fetched that had not changed",
            "not_modified": "Re-checks answered 304 Not Modified",
            "gone": "Pages that answered 404 or 410",
            "errors": "Failed fetches",
            "parse_errors": "Pages the spider could not read",
            "message": "Error message of a failed run",
        },
    },
    "status_events": {
        "description": "A document going removed, or coming back.",
        "sort_desc": "at",
        "facets": ["new_status"],
        "columns": {
            "id": "Event id",
            "document_id": "The document",
            "version_id": "The version live at the event (its flag names it)",
            "run_id": "The run that saw it",
            "at": "When (UTC)",
            "old_status": "Status before",
            "new_status": "Status after (removed or live)",
            "http_status": "HTTP status that caused it",
        },
    },
    "pages": {
        "description": "Raw pages as fetched, zlib-compressed, stored once per distinct body.",
        "sort_desc": "first_seen",
        "columns": {
            "hash": "SHA-256 of the body",
            "content_type": "Content-Type the server sent",
            "size": "Uncompressed size in bytes",
            "compression": "How body is compressed",
            "body": "The page (compressed)",
            "first_seen": "When this body was first fetched (UTC)",
        },
    },
    "imported_records": {
        "description": "WARC/ARC records brought in by readouts import: one row per capture "
        "stored or counted (a 404/410 or 304 answer), with the file and offset it came from.",
        "sort_desc": "imported_at",
        "columns": {
            "record_key": "WARC-Record-ID (for ARC records: a digest of URL, date and payload)",
            "file": "The file it was read from (FILE.wacz!archive/… inside a WACZ)",
            "offset": "Byte offset of the record in that file",
            "url": "The document's URL",
            "captured_at": "When the page was captured (WARC-Date, UTC)",
            "payload_digest": "WARC-Payload-Digest: lets a later revisit record find it",
            "page_hash": "The raw page stored (pages table)",
            "document_id": "The document it belongs to",
            "version_id": "The version it made (empty: its content was already known)",
            "capture_id": "The exchange kept from it, as the file held it (captures)",
            "imported_at": "When it was imported (UTC)",
        },
    },
    "capture_headers": {
        "description": "The HTTP headers of the exchanges kept for WARC export (captures), "
        "each distinct list once: a crawler's requests, and a page's re-checks, repeat them. "
        "A null value belongs to one exchange (a validator, length or date): the capture keeps "
        "it, in header_values.",
        "label_column": "headers",
        "columns": {
            "id": "Header list id (captures' request_headers_id and response_headers_id)",
            "digest": "64-bit hash of the list, to find it by",
            "headers": "The headers in the order sent or received (JSON [name, value] pairs;"
            " null: the capture's header_values holds it)",
        },
    },
    "citation_postings": {
        "hidden": True,
        "description": "The citation index: (n-gram hash, readout) pairs packed by hash bucket "
        "(internal, derived; `readouts citations --rebuild-index` rebuilds it; the format is in "
        "docs/citations.md).",
    },
    "job_state": {
        "hidden": True,
        "description": "Where each step of the flag job stopped (internal).",
    },
}


def build_metadata(
    database: str,
    tables: set[str],
    sources: list[dict[str, Any]],
    base_url: str = "/",
) -> dict[str, Any]:
    """Datasette metadata for the archive database named ``database``.

    ``sources`` are the rows of ``storage.sources.source_notes`` (name, kind, base_url,
    description, licence); ``tables`` the archive's table names.
    """
    table_metadata = {name: dict(TABLES[name]) for name in TABLES if name in tables}
    if "sources" in table_metadata:
        table_metadata["sources"]["description_html"] = str(_sources_html(sources))
    return {
        "title": "readout-monitor archive",
        "description_html": str(
            Markup(
                "Every version of official readouts and of the articles that quote them. "
                'Start with <a href="{flags}">the flags of the last 7 days</a>, '
                '<a href="{edited}">edited readouts</a> or <a href="{search}">a search</a>; '
                'see the <a href="{charts}">charts</a>.'
            ).format(
                flags=_path(base_url, f"{database}/recent_flags"),
                edited=_path(base_url, f"{database}/edited_readouts"),
                search=_path(base_url, f"{database}/search_readouts"),
                charts=_path(base_url, f"-/dashboards/{DASHBOARD}"),
            )
        ),
        "databases": {
            database: {
                "description": "The archive. Click a table for its rows; each table and column "
                "says what it holds. Canned queries below answer the usual questions.",
                "tables": table_metadata,
                "queries": canned_queries(base_url),
            }
        },
        "plugins": {
            PLUGIN_NAME: {"database": database},
            "datasette-dashboards": {DASHBOARD: dashboard(database)},
        },
    }


def dashboard(database: str) -> dict[str, Any]:
    """The charts page (datasette-dashboards, Vega-Lite), drawn from two canned queries."""
    return {
        "title": "readout-monitor: edits, removals and citations",
        "description": "Edits and removals of readouts per day and source, and the most cited "
        "readouts. The data of each chart is a canned query of the archive: "
        "edits_and_removals_by_day and citations_per_readout.",
        "layout": [["edits-removals"], ["citations"]],
        "charts": {
            "edits-removals": {
                "title": "Edited and removed readouts per day, by source",
                "db": database,
                "query": EDITS_AND_REMOVALS_BY_DAY,
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "x": {"field": "day", "type": "temporal", "timeUnit": "yearmonthdate"},
                        "y": {"field": "readouts", "type": "quantitative", "aggregate": "sum"},
                        "color": {"field": "series", "type": "nominal", "title": None},
                    },
                },
            },
            "citations": {
                "title": "Citations per readout (most cited first)",
                "db": database,
                "query": CITATIONS_PER_READOUT,
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "y": {"field": "readout", "type": "nominal", "sort": "-x"},
                        "x": {"field": "citations", "type": "quantitative"},
                        "color": {
                            "field": "drifted",
                            "type": "quantitative",
                            "title": "drifted",
                        },
                    },
                },
            },
        },
    }


def _sources_html(sources: list[dict[str, Any]]) -> Markup:
    """Per-source notes: what each source is and the licence of its texts (escaped)."""
    items = Markup("").join(
        Markup("<li><strong>{}</strong> ({}{}){}{}</li>").format(
            source["name"],
            source["kind"],
            Markup(", {}").format(source["base_url"]) if source.get("base_url") else "",
            Markup(": {}").format(source["description"]) if source.get("description") else "",
            Markup(" <em>Licence: {}</em>").format(source["licence"])
            if source.get("licence")
            else "",
        )
        for source in sources
    )
    return Markup(
        "<p>The configured sources and the licence of their texts:</p><ul>{}</ul>"
    ).format(items)


def _path(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path
