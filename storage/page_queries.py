"""The named queries behind the Datasette plugin's pages (document, diff, citation, counterpart).

The plugin runs them through Datasette's read-only connections; they live here so that every
statement naming a table sits in ``storage/``, beside the schema it must follow.
"""

DOCUMENT = "SELECT * FROM documents WHERE id = ?"
SOURCE = "SELECT name, kind, config FROM sources WHERE name = ?"
DOCUMENT_VERSIONS = (
    "SELECT id, version, seen_at, title, published_at, length(text) AS characters"
    " FROM versions WHERE document_id = ? ORDER BY version DESC"
)
DOCUMENT_CHANGES = (
    "SELECT id, created_at, from_version, to_version, words_added, words_removed,"
    " summary FROM changes WHERE document_id = ? ORDER BY to_version DESC"
)
CITING = (
    "SELECT c.id, c.method, c.status, c.matched_chars, c.confidence, d.id AS other_id,"
    " d.title AS other_title, d.source AS other_source, d.published_at AS other_published"
    " FROM citations c JOIN documents d ON d.id = c.article_id"
    " WHERE c.readout_id = ? ORDER BY d.published_at DESC"
)
CITED = (
    "SELECT c.id, c.method, c.status, c.matched_chars, c.confidence, d.id AS other_id,"
    " d.title AS other_title, d.source AS other_source, d.published_at AS other_published"
    " FROM citations c JOIN documents d ON d.id = c.readout_id"
    " WHERE c.article_id = ? ORDER BY d.published_at DESC"
)
DOCUMENT_FLAGS = (
    "SELECT id, created_at, kind, version_id, summary FROM flags"
    " WHERE document_id = ? OR related_document_id = ? ORDER BY created_at DESC, id DESC"
)
STATUS_EVENTS = (
    "SELECT at, old_status, new_status, http_status FROM status_events"
    " WHERE document_id = ? ORDER BY at, id"
)
VERSION = "SELECT * FROM versions WHERE id = ?"
VERSION_NUMBER = "SELECT * FROM versions WHERE document_id = ? AND version = ?"
VERSION_ID_NUMBER = "SELECT id, version FROM versions WHERE document_id = ? AND version = ?"
LATEST_VERSION = "SELECT * FROM versions WHERE document_id = ? ORDER BY version DESC LIMIT 1"
LATEST_VERSION_NUMBER = (
    "SELECT id, version FROM versions WHERE document_id = ? ORDER BY version DESC LIMIT 1"
)
CHANGE = "SELECT * FROM changes WHERE id = ?"
CHANGE_BETWEEN = "SELECT * FROM changes WHERE from_version_id = ? AND to_version_id = ?"
CITATION = "SELECT * FROM citations WHERE id = ?"
COUNTERPART = "SELECT * FROM counterparts WHERE id = ?"
EVENT_PROFILE = "SELECT * FROM event_profiles WHERE document_id = ?"
# A readout's counterpart links, best first, with how many sentences each side had alone.
COUNTERPARTS_OF = """
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
"""
FEED_VERSIONS = (
    "SELECT v.*, c.id AS change_id, c.diff, c.summary FROM versions v"
    " LEFT JOIN changes c ON c.to_version_id = v.id"
    " WHERE v.document_id = ? ORDER BY v.version DESC LIMIT ?"
)
