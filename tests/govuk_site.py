"""A GOV.UK stand-in on 127.0.0.1: the Search API and the Content API, served by SiteServer.

Content items are the real Content API answers saved in tests/fixtures/govuk/ (served unchanged
at their own base_path), plus "PM call with …" items built by ``pm_call`` from the real
news_article answer's structure, with our own title, path, dates and body (no real PM call
answer was saved). The Search API is modelled on the documented one, including its strictness:
an unknown parameter or a malformed value answers 422, so the spider can only send real ones.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from readouts.demo.server import LoggedRequest, Resource, SiteServer

FIXTURES = Path(__file__).parent / "fixtures" / "govuk"
PM_OFFICE = "prime-ministers-office-10-downing-street"
SEARCH_PARAMETERS = {
    "q",
    "start",
    "count",
    "order",
    "fields",
    "filter_organisations",
    "filter_public_timestamp",
    "filter_format",
    "filter_content_store_document_type",
}
_DATE_RANGE = re.compile(r"(from:\d{4}-\d{2}-\d{2})?,?(to:\d{4}-\d{2}-\d{2})?")


def real_item(name: str) -> dict:
    return json.loads((FIXTURES / f"content-api-example-{name}.json").read_text(encoding="utf-8"))


def pm_call(slug: str, title: str, published: str, paragraphs: list[str]) -> dict:
    """A Content API answer shaped like the real news_article example."""
    item = copy.deepcopy(real_item("news_article"))
    item.update(
        base_path=f"/government/news/{slug}",
        title=title,
        first_published_at=published,
        public_updated_at=published,
        description=paragraphs[0],
        withdrawn_notice=None,
    )
    item["details"]["body"] = (
        '<div class="govspeak">' + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
    )
    item["details"]["change_history"] = [
        {"public_timestamp": published, "note": "First published."}
    ]
    return item


@dataclass
class Entry:
    item: dict
    organisation: str = PM_OFFICE

    @property
    def search_result(self) -> dict:
        return {
            "title": self.item["title"],
            "link": self.item["base_path"],
            "public_timestamp": self.item["public_updated_at"],
        }


@dataclass
class GovukSite:
    server: SiteServer
    entries: list[Entry] = field(default_factory=list)
    down_from: int | None = None  # search pages from this result on answer 503 (an outage)

    def __post_init__(self):
        self.server.set(
            "/robots.txt",
            Resource("User-agent: *\nDisallow: /*/print$\n", content_type="text/plain"),
        )
        self.server.set("/api/search.json", self.search)

    def add(self, item: dict, organisation: str = PM_OFFICE, *, searchable: bool = True) -> None:
        if searchable:
            self.entries.append(Entry(item, organisation))
        self.put(item)

    def put(self, item: dict) -> None:
        """Serve (or replace) an item's Content API answer."""
        self.server.set(
            "/api/content" + item["base_path"],
            Resource(json.dumps(item), content_type="application/json; charset=utf-8"),
        )

    def search(self, request: LoggedRequest) -> Resource:
        query = parse_qs(urlsplit(request.path).query, keep_blank_values=True)
        unknown = set(query) - SEARCH_PARAMETERS
        if unknown:
            return _error(f"Unexpected parameters: {', '.join(sorted(unknown))}")
        try:
            start = int(query.get("start", ["0"])[0])
            count = int(query.get("count", ["10"])[0])
        except ValueError:
            return _error("Invalid value for start or count")
        if self.down_from is not None and start >= self.down_from:
            return Resource("down", status=503, conditional=False)
        order = query.get("order", ["-public_timestamp"])[0]
        if order not in ("public_timestamp", "-public_timestamp"):
            return _error(f"Invalid order {order!r}")
        matches = [
            e
            for e in self.entries
            if e.organisation in query.get("filter_organisations", [e.organisation])
        ]
        for value in query.get("filter_public_timestamp", []):
            bounds = _DATE_RANGE.fullmatch(value)
            if not bounds or not value:
                return _error(f"Invalid filter_public_timestamp {value!r}")
            low, high = bounds.group(1), bounds.group(2)
            matches = [
                e
                for e in matches
                if (not low or e.search_result["public_timestamp"][:10] >= low[5:])
                and (not high or e.search_result["public_timestamp"][:10] <= high[3:])
            ]
        matches.sort(
            key=lambda e: e.search_result["public_timestamp"], reverse=order.startswith("-")
        )
        fields = query.get("fields") or ["title", "link", "public_timestamp"]
        results = [
            {name: e.search_result.get(name) for name in fields}
            for e in matches[start : start + count]
        ]
        body = {"results": results, "total": len(matches), "start": start, "facets": {}}
        return Resource(json.dumps(body), content_type="application/json; charset=utf-8")


def _error(message: str) -> Resource:
    return Resource(
        json.dumps({"error": message}),
        status=422,
        content_type="application/json",
        conditional=False,
    )
