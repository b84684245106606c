"""The canned queries: the questions a journalist asks of the archive, one click each.

Column names carry meaning for the plugin's ``render_cell``: ``document_id``, ``readout_id``,
``article_id`` and ``related_document_id`` link to the document page, ``version_id`` to the
version page (with its diff), ``change_id``, ``citation_id`` and ``counterpart_id`` to their
pages, ``readout_a_id`` and ``readout_b_id`` to the document page, and ``snippet``
shows its search matches highlighted.

Empty parameters mean "any": every parameter is optional.
"""

from __future__ import annotations

from typing import Any

from storage.runs import FAILED_PAGES

# Search matches in a snippet() are wrapped in these two control characters, which the
# plugin turns into <mark> after escaping the text around them.
MATCH_START = "\x02"
MATCH_END = "\x03"

RECENT_FLAGS = """
SELECT f.id AS flag_id, f.created_at, f.kind, f.source, f.document_id, d.title,
       f.version_id, f.related_document_id, f.summary, d.url
FROM flags f LEFT JOIN documents d ON d.id = f.document_id
WHERE f.created_at >= strftime('%Y-%m-%dT%H:%M:%S', 'now',
                               '-' || coalesce(nullif(:days, ''), '7') || ' days')
  AND (:kind = '' OR f.kind = :kind)
  AND (:source = '' OR f.source = :source)
ORDER BY f.created_at DESC, f.id DESC
"""

EDITED_READOUTS = """
SELECT c.id AS change_id, c.created_at, d.source, c.document_id, d.title,
       c.from_version, c.to_version, c.to_version_id AS version_id, c.words_added,
       c.words_removed, round(100.0 * c.share_changed, 1) AS percent_changed,
       c.title_changed, c.date_changed, c.kinds, c.summary, d.url
FROM changes c JOIN documents d ON d.id = c.document_id
WHERE d.kind = 'readout' AND (:source = '' OR d.source = :source)
ORDER BY c.created_at DESC, c.id DESC
"""

# Without a changes table: the edited_readout flags, each naming the version that raised it.
REMOVED_READOUTS = """
SELECT e.at AS removed_at, d.source, e.document_id, d.title, e.http_status,
       d.status AS status_now, d.published_at,
       (SELECT count(*) FROM versions v WHERE v.document_id = d.id) AS versions_archived,
       d.url
FROM status_events e JOIN documents d ON d.id = e.document_id
WHERE e.new_status = 'removed' AND d.kind = 'readout' AND (:source = '' OR d.source = :source)
ORDER BY e.at DESC, e.id DESC
"""

READOUT_CITATIONS = """
SELECT c.id AS citation_id, c.readout_id, r.title AS readout_title, c.article_id,
       a.title AS article_title, a.source AS article_source, a.published_at AS article_published,
       c.method, c.status, c.matched_chars, json_array_length(c.spans) AS passages,
       a.url AS article_url
FROM citations c
JOIN documents r ON r.id = c.readout_id
JOIN documents a ON a.id = c.article_id
WHERE :readout = '' OR r.id = :readout OR r.url = :readout
ORDER BY c.readout_id DESC, a.published_at DESC, c.id DESC
"""

QUOTE_DRIFT = """
SELECT c.id AS citation_id, c.updated_at, c.readout_id, r.title AS readout_title,
       c.article_id, a.title AS article_title, a.source AS article_source,
       (SELECT group_concat(json_extract(s.value, '$.text'), ' | ')
          FROM json_each(c.spans) s
         WHERE json_extract(s.value, '$.status') = 'drifted') AS drifted_passages,
       a.url AS article_url
FROM citations c
JOIN documents r ON r.id = c.readout_id
JOIN documents a ON a.id = c.article_id
WHERE c.status = 'drifted'
ORDER BY c.updated_at DESC, c.id DESC
"""

# Versions, removals and the readouts of the same event by other sources (follow counterpart_id).
DOCUMENT_HISTORY = """
SELECT at, event, version_id, version, title, detail, counterpart_id FROM (
  SELECT v.seen_at AS at, CASE WHEN v.origin = 'reprocess' THEN 're-extraction (same page)'
                              WHEN v.version = 1 THEN 'first archived' ELSE 'new version' END
           AS event, v.id AS version_id, v.version, v.title,
         length(v.text) || ' characters, published ' || coalesce(v.published_at, '?') AS detail,
         NULL AS counterpart_id, v.id AS tie
  FROM versions v JOIN documents d ON d.id = v.document_id
  WHERE d.id = :document OR d.url = :document
  UNION ALL
  SELECT e.at, CASE e.new_status WHEN 'removed' THEN 'removed' ELSE 'back online' END,
         NULL, NULL, d.title, 'HTTP ' || coalesce(e.http_status, '?'), NULL, e.id
  FROM status_events e JOIN documents d ON d.id = e.document_id
  WHERE d.id = :document OR d.url = :document
  UNION ALL
  SELECT c.created_at, 'counterpart found', NULL, NULL, o.title,
         o.source || ' readout of the same event (' || c.status || ', confidence '
           || cast(round(100 * c.confidence) AS integer) || ' %)', c.id, c.id
  FROM documents d
  JOIN counterparts c ON d.id IN (c.readout_a_id, c.readout_b_id)
  JOIN documents o ON o.id = CASE WHEN c.readout_a_id = d.id THEN c.readout_b_id
                                  ELSE c.readout_a_id END
  WHERE d.id = :document OR d.url = :document
)
ORDER BY at, tie
"""

COUNTERPART_READOUTS = """
SELECT c.id AS counterpart_id, c.status, c.confidence,
       c.readout_a_id, a.title AS a_title, a.source AS a_source, a.published_at AS a_published,
       c.readout_b_id, b.title AS b_title, b.source AS b_source, b.published_at AS b_published,
       CASE WHEN json_valid(c.topics) THEN json_array_length(c.topics, '$.only_a') END
         AS sentences_only_in_a,
       CASE WHEN json_valid(c.topics) THEN json_array_length(c.topics, '$.only_b') END
         AS sentences_only_in_b,
       CASE WHEN json_valid(c.evidence) THEN
         (SELECT group_concat(p.value, ', ')
            FROM json_each(c.evidence, '$.shared_participants') p) END AS both_name,
       c.created_at, c.decided_at
FROM counterparts c
JOIN documents a ON a.id = c.readout_a_id
JOIN documents b ON b.id = c.readout_b_id
LEFT JOIN event_profiles pa ON pa.document_id = c.readout_a_id
LEFT JOIN event_profiles pb ON pb.document_id = c.readout_b_id
WHERE (:status = '' OR c.status = :status)
  AND (:source = '' OR a.source = :source OR b.source = :source)
ORDER BY max(coalesce(pa.published_utc, ''), coalesce(pb.published_utc, '')) DESC,
         c.created_at DESC, c.id DESC
"""

SEARCH_READOUTS = f"""
SELECT v.document_id, d.source, d.published_at, v.version, v.id AS version_id, v.seen_at,
       v.title, snippet(versions_fts, 1, char({ord(MATCH_START)}), char({ord(MATCH_END)}),
                        '…', 24) AS snippet,
       d.status, d.url
FROM versions_fts
JOIN versions v ON v.rowid = versions_fts.rowid
JOIN documents d ON d.id = v.document_id
WHERE versions_fts MATCH coalesce(nullif(escape_fts(:words), ''), '""')
  AND d.kind = 'readout'
  AND (:since = '' OR substr(coalesce(d.published_at, v.seen_at), 1, 10) >= :since)
  AND (:until = '' OR substr(coalesce(d.published_at, v.seen_at), 1, 10) <= :until)
  AND (:source = '' OR d.source = :source)
ORDER BY rank
LIMIT 200
"""

EDITS_AND_REMOVALS_BY_DAY = """
SELECT substr(f.created_at, 1, 10) AS day, f.source,
       CASE f.kind WHEN 'edited_readout' THEN 'edited' ELSE 'removed' END AS what,
       f.source || ' ' || CASE f.kind WHEN 'edited_readout' THEN 'edited' ELSE 'removed' END
         AS series,
       count(*) AS readouts
FROM flags f
WHERE f.kind IN ('edited_readout', 'removed_readout')
GROUP BY day, f.source, what
ORDER BY day, f.source, what
"""

CITATIONS_PER_READOUT = """
SELECT c.readout_id, r.title AS readout, count(*) AS citations,
       sum(c.status = 'drifted') AS drifted
FROM citations c JOIN documents r ON r.id = c.readout_id
GROUP BY c.readout_id
ORDER BY citations DESC, c.readout_id
LIMIT 30
"""

COUNTERPART_QUERY = {
    "title": "Counterpart readouts: both sides of one event",
    "description": "Readouts of the same call or meeting published by two sources, newest "
    "event first, with how many sentences each side reported alone. Follow counterpart_id to "
    "read them side by side. Optional: status (suggested, confirmed, rejected) and source "
    "(either side).",
    "sql": COUNTERPART_READOUTS,
}


def feed_sql(base_url: str) -> str:
    """The Atom feed of flags (datasette-atom), linking each entry to its page here.

    datasette-atom fails on an empty result (it takes the max of no dates), so a feed with no
    flags yet holds one fixed "no flags yet" entry instead of answering HTTP 500.
    """
    home = (base_url.rstrip("/") + "/").replace("'", "''")
    prefix = home + "-/readouts/"
    return f"""
SELECT * FROM (
  SELECT 'tag:readout-monitor,2026:flag/' || f.key AS atom_id,
         '[' || f.kind || '] ' || coalesce(d.title, f.summary) AS atom_title,
         f.created_at AS atom_updated,
         CASE WHEN f.kind = 'edited_readout' AND f.version_id IS NOT NULL
              THEN '{prefix}version/' || f.version_id
              ELSE '{prefix}document/' || f.document_id END AS atom_link,
         f.summary || char(10) || coalesce(d.url, '') AS atom_content,
         f.source AS atom_author_name
  FROM flags f LEFT JOIN documents d ON d.id = f.document_id
  WHERE :source = '' OR f.source = :source
  ORDER BY f.created_at DESC, f.id DESC
  LIMIT 100
)
UNION ALL
SELECT 'tag:readout-monitor,2026:no-flags-yet', 'No flags yet',
       coalesce((SELECT min(started_at) FROM runs), '2026-01-01T00:00:00+00:00'),
       '{home}', 'Nothing has been flagged yet for this feed.', NULL
WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE :source = '' OR f.source = :source)
"""


def canned_queries(base_url: str = "/") -> dict[str, dict[str, Any]]:
    """The canned queries (Datasette metadata ``queries``)."""
    return {
        "recent_flags": {
            "title": "Flags of the last 7 days",
            "description": "Everything flagged recently, newest first. Optional: days (default 7), "
            "kind (e.g. edited_readout) and source.",
            "sql": RECENT_FLAGS,
        },
        "edited_readouts": {
            "title": "Edited readouts",
            "description": "Each edit of an official readout, newest first; follow the link in "
            "change_id for the word-by-word diff. Optional: source.",
            "sql": EDITED_READOUTS,
        },
        "removed_readouts": {
            "title": "Removed readouts",
            "description": "Readouts taken down (404 or 410 on two consecutive checks), with "
            "whether they are still gone. Optional: source.",
            "sql": REMOVED_READOUTS,
        },
        "failed_pages": {
            "title": "Pages whose last fetch failed",
            "description": "What the crawls still owe the archive: each page whose latest "
            "fetch failed (5xx or 429 after retries, a timeout, a parse error, robots.txt), "
            "with its run; the next crawl that reaches it fills it. Optional: source.",
            "sql": FAILED_PAGES,
        },
        "readout_citations": {
            "title": "Citations of a readout",
            "description": "The articles quoting or linking a readout (give its id or URL; "
            "empty: every citation). Follow citation_id to see the quoted passages.",
            "sql": READOUT_CITATIONS,
        },
        "quote_drift": {
            "title": "Quote drift",
            "description": "Articles quoting readout text that the readout's current version "
            "no longer contains.",
            "sql": QUOTE_DRIFT,
        },
        "counterpart_readouts": COUNTERPART_QUERY,
        "document_history": {
            "title": "Every version of a document",
            "description": "A document's versions and removals over time (give its id or URL), "
            "and the readouts of the same event by other sources: follow counterpart_id.",
            "sql": DOCUMENT_HISTORY,
        },
        "search_readouts": {
            "title": "Search readouts",
            "description": "Every version of every readout containing these words (use "
            '"double quotes" for a phrase), optionally between two dates (YYYY-MM-DD, on the '
            "readout's date) and for one source.",
            "sql": SEARCH_READOUTS,
        },
        "flags_feed": {
            "title": "readout-monitor flags",
            "description": "The Atom feed of flags: subscribe to flags_feed.atom, or "
            "flags_feed.atom?source=NAME for one source.",
            "sql": feed_sql(base_url),
        },
        "edits_and_removals_by_day": {
            "title": "Edits and removals per day and source",
            "description": "Data of the chart on the Charts page (/-/dashboards/readouts).",
            "sql": EDITS_AND_REMOVALS_BY_DAY,
        },
        "citations_per_readout": {
            "title": "Citations per readout",
            "description": "The most cited readouts; data of the chart on the Charts page.",
            "sql": CITATIONS_PER_READOUT,
        },
    }
