"""A readout's own Atom feed (``/-/readouts/document/ID.atom``): one entry per version.

Each entry carries the change itself, the word diff against the version before as HTML, so a
feed reader shows what changed without opening the archive; the first version carries its
text. The HTML is built by ``render.py`` (every scraped string escaped by markupsafe) and sits
in the feed as escaped text (``type="html"``). The flags feed (a canned query, datasette-atom)
cannot hold this: its SQL cannot compute a diff.
"""

from __future__ import annotations

from datetime import datetime, timezone

from datasette.utils.asgi import Response
from feedgen.feed import FeedGenerator
from markupsafe import Markup, escape

from readouts.web.plugin import views
from readouts.web.render import render_diff
from storage import page_queries as queries

ENTRIES = 50
FEED_TABLES = ("documents", "versions", "changes")


async def document_feed(request, datasette):
    db = await views.ensure_visible(datasette, request, FEED_TABLES)
    document_id = views.row_id(request)
    doc = await views._one(db, queries.DOCUMENT, [document_id], "document")
    versions = await views._all(db, queries.FEED_VERSIONS, [document_id, ENTRIES + 1])
    feed = FeedGenerator()
    feed.id(f"tag:readout-monitor,2026:document/{document_id}")
    feed.title(doc["title"] or doc["url"])
    feed.link(href=doc["url"], rel="alternate")
    feed.link(
        href=_absolute(datasette, request, f"/-/readouts/document/{document_id}.atom"), rel="self"
    )
    feed.author({"name": doc["source"]})
    feed.updated(_moment(versions[0]["seen_at"]) if versions else _moment(doc["first_seen"]))
    patterns = await views.pattern_lists(db, doc["source"])  # one read for every entry
    # feedgen lists entries in reverse order of addition: add the oldest first.
    for index in reversed(range(min(len(versions), ENTRIES))):
        version = versions[index]
        before = versions[index + 1] if index + 1 < len(versions) else None
        entry = feed.add_entry()
        entry.id(f"tag:readout-monitor,2026:version/{version['id']}")
        entry.updated(_moment(version["seen_at"]))
        entry.link(href=_absolute(datasette, request, f"/-/readouts/version/{version['id']}"))
        if before is None and version["version"] == 1:
            entry.title(f"First archived: {version['title'] or doc['url']}")
            entry.content(str(_text_html(version["text"])), type="html")
        else:
            entry.title(f"Version {version['version']}: {version['summary'] or 'edited'}")
            earlier = before or await views._first(
                db, queries.VERSION_NUMBER, [document_id, version["version"] - 1]
            )
            ops = await views.version_diff(
                patterns,
                earlier or {"text": ""},
                version,
                version if version["change_id"] else None,
            )
            entry.content(str(render_diff(ops, layout="inline", context=1)), type="html")
    return Response(feed.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")


def _text_html(text: str | None) -> Markup:
    return Markup("").join(
        Markup("<p>{}</p>").format(escape(p)) for p in (text or "").split("\n") if p.strip()
    )


def _moment(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _absolute(datasette, request, path: str) -> str:
    return datasette.absolute_url(request, datasette.urls.path(path))
