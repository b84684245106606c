"""The readouts Datasette plugin: diff, citation, counterpart and document pages, and links.

Registered through the ``datasette`` entry point in pyproject.toml, so ``readouts serve`` and a
plain ``datasette archive.db`` both load it. Its pages live under ``/-/readouts/``; the
archive database is the one named in the plugin's configuration (``plugins.readouts.database``
in the metadata that ``readouts serve`` builds), else the first one attached.
"""

from __future__ import annotations

from importlib import resources

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from readouts.web.counterparts import evidence_phrases, load_json
from readouts.web.metadata import DASHBOARD
from readouts.web.plugin import feed, views
from readouts.web.render import highlight_snippet

# Columns holding a document id, in canned queries and in tables without a foreign key.
DOCUMENT_COLUMNS = {"document_id", "related_document_id", "article_id", "readout_id"}
TABLES_WITHOUT_DOCUMENT_LINKS = {"flags", "citations", "changes", "fetches", "event_profiles"}
# The two readouts of a counterpart link, in its table and in canned queries.
READOUT_PAIR_COLUMNS = {"readout_a_id", "readout_b_id"}
STYLESHEET = resources.files(__package__).joinpath("static", "readouts.css")


@hookimpl
def register_routes():
    return [
        # Any id reaches its view, which answers 404 for one that is not a row id: a path no
        # route matches gets Datasette's 500 (its 404 handler fails outside an except block).
        (r"^/-/readouts/document/(?P<id>[^/]+)\.atom$", feed.document_feed),
        (r"^/-/readouts/document/(?P<id>[^/]+)$", views.document),
        (r"^/-/readouts/version/(?P<id>[^/]+)$", views.version),
        (r"^/-/readouts/change/(?P<id>[^/]+)$", views.change),
        (r"^/-/readouts/citation/(?P<id>[^/]+)$", views.citation),
        (r"^/-/readouts/counterparts/(?P<id>[^/]+)$", views.counterpart),
        (r"^/-/readouts/readouts\.css$", stylesheet),
    ]


async def stylesheet(request, datasette):
    return Response(
        STYLESHEET.read_text(encoding="utf-8"),
        content_type="text/css; charset=utf-8",
        headers={"Cache-Control": "max-age=3600"},
    )


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/readouts/readouts.css")]


@hookimpl
def menu_links(datasette):
    database = views.archive_name(datasette)
    return [
        {"href": datasette.urls.path(f"/{database}/recent_flags"), "label": "Flags, last 7 days"},
        {"href": datasette.urls.path(f"/{database}/edited_readouts"), "label": "Edited readouts"},
        {"href": datasette.urls.path(f"/{database}/search_readouts"), "label": "Search readouts"},
        {
            "href": datasette.urls.path(f"/{database}/counterpart_readouts"),
            "label": "Counterpart readouts",
        },
        {"href": datasette.urls.path(f"/-/dashboards/{DASHBOARD}"), "label": "Charts"},
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link ids to the plugin's pages; highlight search matches. Returns None to leave a cell be."""
    if value is None or database != views.archive_name(datasette):
        return None
    keys = row.keys()
    if column in DOCUMENT_COLUMNS and (table is None or table in TABLES_WITHOUT_DOCUMENT_LINKS):
        return _link(datasette, f"document/{value}", value)
    if table == "documents" and column == "title" and "id" in keys:
        return _link(datasette, f"document/{row['id']}", value)
    if column in READOUT_PAIR_COLUMNS and table in (None, "counterparts"):
        return _link(datasette, f"document/{value}", value)
    if column == "counterpart_id" and table is None:
        return _link(datasette, f"counterparts/{value}", value)
    if table == "counterparts" and column == "evidence":
        return Markup.escape("; ".join(evidence_phrases(load_json(value, "evidence", None))))
    if table == "counterparts" and column == "topics" and "id" in keys:
        return _link(datasette, f"counterparts/{row['id']}", "compare the two accounts →")
    if column == "version_id" and (table is None or table in ("flags", "event_profiles")):
        return _link(datasette, f"version/{value}", value)
    if column == "change_id" and table is None:
        return _link(datasette, f"change/{value}", value)
    if column == "citation_id" and table is None:
        return _link(datasette, f"citation/{value}", value)
    if table == "changes" and column == "diff" and "id" in keys:
        return _link(datasette, f"change/{row['id']}", "read the diff →")
    if table == "citations" and column == "spans" and "id" in keys:
        return _link(datasette, f"citation/{row['id']}", "see the passages →")
    if column == "snippet" and table is None and isinstance(value, str):
        return highlight_snippet(value)
    return None


def _link(datasette, path: str, label) -> Markup:
    href = datasette.urls.path(f"/-/readouts/{path}")
    return Markup('<a href="{}">{}</a>').format(href, label)
