"""The demo site: Kremlin-style and White House-style readouts and a commentary blog.

Every page carries the chrome real sites have — navigation, a "latest news" sidebar that
changes on every request, a view counter, a footer with the time the page was generated —
none of which may ever make a new version.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone

from readouts.demo import content
from readouts.demo.server import Resource, SiteServer

ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"


@dataclass
class Page:
    path: str
    section: str  # "kremlin", "whitehouse" or "commentary"
    data: dict
    links: list[str] = field(default_factory=list)  # absolute paths cited in the text


class DemoSite:
    """The demo pages, served by a ``SiteServer``; ``edit()`` makes the second state."""

    LISTINGS = {
        "kremlin": "/events/president/news",
        "whitehouse": "/briefings-statements/",
        "commentary": "/commentary/",
    }

    def __init__(self, server: SiteServer):
        self.server = server
        self.pages: dict[str, Page] = {}
        self._views = itertools.count(1000)
        self.server.set("/robots.txt", Resource(ROBOTS_TXT, content_type="text/plain"))
        self.add(Page(content.KREMLIN_CALL_PATH, "kremlin", content.KREMLIN_CALL))
        self.add(Page(content.SECOND_READOUT_PATH, "kremlin", content.SECOND_READOUT))
        self.add(Page(content.WHITEHOUSE_CALL_PATH, "whitehouse", content.WHITEHOUSE_CALL))
        self.add(Page(content.AGENCY_REPORT_PATH, "commentary", content.AGENCY_REPORT))
        self.add(
            Page(
                content.COMMENTARY_PATH,
                "commentary",
                content.COMMENTARY,
                links=[content.KREMLIN_CALL_PATH],
            )
        )

    def sources_toml(self) -> str:
        """A sources file pointing the generic spider at this site."""
        base = self.server.base_url
        return f"""\
# Sources of the readout-monitor demo site on {base}
[sources.demo-kremlin]
kind = "readout"
spider = "generic"
start_urls = ["{base}/events/president/news"]
item_pattern = "/events/president/news/\\\\d+$"
follow_pattern = "/events/president/news/page/\\\\d+$"
schedule = "30m"
delay = 0
language = "en"
description = "Demo: Kremlin-style readouts"

[sources.demo-whitehouse]
kind = "readout"
spider = "generic"
start_urls = ["{base}/briefings-statements/"]
item_pattern = "/briefings-statements/[a-z0-9-]+/$"
follow_pattern = "/briefings-statements/page/\\\\d+/$"
schedule = "30m"
delay = 0
description = "Demo: White House-style readouts"

[sources.demo-commentary]
kind = "commentary"
spider = "generic"
start_urls = ["{base}/commentary/"]
item_pattern = "/\\\\d{{4}}/\\\\d{{2}}/\\\\d{{2}}/[^/]+/$"
schedule = "6h"
delay = 0
description = "Demo: a commentary blog that quotes readouts"
"""

    # -- changes between crawls ----------------------------------------------------------------

    def add(self, page: Page) -> None:
        self.pages[page.path] = page
        self.server.set(page.path, Resource(lambda p=page: self.render_page(p)))
        self._publish_listings()

    def remove(self, path: str) -> None:
        self.pages.pop(path)
        self.server.remove(path)
        self._publish_listings()

    def replace(self, path: str, data: dict) -> None:
        self.pages[path].data = data

    def edit(self) -> None:
        """The demo's second state: a real edit, a cosmetic change, a removal, a new readout."""
        self.replace(content.KREMLIN_CALL_PATH, content.KREMLIN_CALL_EDITED)
        cosmetic = dict(content.WHITEHOUSE_CALL)
        cosmetic["paragraphs"] = [
            p.replace(" of ", " of\u00a0").replace("’", "'") for p in cosmetic["paragraphs"]
        ]
        self.replace(content.WHITEHOUSE_CALL_PATH, cosmetic)
        self.remove(content.SECOND_READOUT_PATH)
        self.add(Page(content.LATER_READOUT_PATH, "kremlin", content.LATER_READOUT))

    # -- rendering ---------------------------------------------------------------------------------

    def _publish_listings(self) -> None:
        for section, path in self.LISTINGS.items():
            self.server.set(path, Resource(lambda s=section: self.render_listing(s)))

    def render_listing(self, section: str) -> str:
        pages = sorted(
            (p for p in self.pages.values() if p.section == section),
            key=lambda p: p.data["published_at"],
            reverse=True,
        )
        entries = "\n".join(
            f'<div class="hentry h-entry hentry_event"><h3 class="hentry__title">'
            f'<a href="{p.path}" rel="bookmark"><span class="entry-title p-name">'
            f"{html.escape(p.data['title'])}</span></a></h3>"
            f'<time class="published dt-published" datetime="{p.data["published_at"][:10]}">'
            f"{p.data['published_at'][:10]}</time></div>"
            for p in pages
        )
        return self._chrome(f"News — {section}", f"<h1>Latest</h1>\n{entries}", section)

    def render_page(self, page: Page) -> str:
        data = page.data
        paragraphs = "\n".join(f"<p>{self._linked(p, page)}</p>" for p in data["paragraphs"])
        published = data["published_at"]
        if page.section == "commentary":
            article = f"""
<article class="post">
  <h1 class="entry-title">{html.escape(data["title"])}</h1>
  <span class="entry-byline"><time class="entry-date" datetime="{published}">{published[:10]}</time>
  by <span class="entry-author"><a href="/author/demo/">{html.escape(data["author"])}</a></span></span>
  <div itemprop="articleBody">
    <style>@media (min-width: 768px) {{ .adsbygoogle {{ width: 728px; height: 90px; }} }}</style>
    {paragraphs}
    <ins class="adsbygoogle" data-ad-client="ca-demo"></ins>
    <script>(adsbygoogle = window.adsbygoogle || []).push({{}});</script>
  </div>
</article>
<section id="comments"><h3>2 comments</h3><p>Great piece! Visit my page for cheap watches.</p></section>"""
        else:
            place = data.get("place")
            article = f"""
<article class="read__in hentry h-entry">
  <h1 class="entry-title p-name">{html.escape(data["title"])}</h1>
  <div class="read__meta">
    <time class="read__published" datetime="{published[:10]}">{published[:10]}</time>
    <div class="read__time">{published[11:16]}</div>
    {f'<div class="read__place p-location">{html.escape(place)}</div>' if place else ""}
  </div>
  <div class="entry-content e-content read__internal_content">
    {paragraphs}
  </div>
</article>"""
        head = (
            f'<meta property="article:published_time" content="{published}">'
            f'<meta property="og:title" content="{html.escape(data["title"])}">'
        )
        return self._chrome(data["title"], article, page.section, head=head)

    def _linked(self, paragraph: str, page: Page) -> str:
        text = html.escape(paragraph, quote=False)
        for path in page.links:
            if "Kremlin's readout" in paragraph:
                text = text.replace(
                    "Kremlin's readout", f'<a href="{path}">Kremlin\'s readout</a>', 1
                )
        return text

    def _chrome(self, title: str, main: str, section: str, *, head: str = "") -> str:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        views = next(self._views)
        latest = "".join(
            f'<li><a href="{p.path}">{html.escape(p.data["title"])}</a> '
            f'<span class="ago">{(views * 7) % 59} minutes ago</span></li>'
            for p in list(self.pages.values())[:5]
        )
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>{head}
<style>body {{ font-family: serif; }} .sidebar {{ float: right; }}</style></head>
<body>
<header><nav><a href="/">Home</a> | <a href="{self.LISTINGS["kremlin"]}">News</a> |
<a href="{self.LISTINGS["whitehouse"]}">Briefings</a> |
<a href="{self.LISTINGS["commentary"]}">Commentary</a></nav></header>
<aside class="sidebar"><h2>Latest news</h2><ul>{latest}</ul>
<div class="views">Views: {views}</div></aside>
<main>{main}</main>
<div class="share">Share: <a href="#tw">Twitter</a> <a href="#fb">Facebook</a></div>
<footer>readout-monitor demo site ({section}). Page generated {now}.
Kremlin text CC BY 4.0 (President of Russia); White House text public domain.</footer>
</body></html>"""
