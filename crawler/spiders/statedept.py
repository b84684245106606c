"""US Department of State, www.state.gov: readouts of the Secretary's calls and meetings.

state.gov is WordPress, so this is the WordPress spider (REST API, then ``/feed/``, then HTML
listings) narrowed to readouts by title: "Secretary Rubio's Call with …", "Readout of …",
"… Meeting with …". No saved page of the site was available: the HTML selectors are the
common WordPress ones plus the site's ``featured-content__headline`` title.
"""

from __future__ import annotations

import re

from crawler.spiders.wordpress import WordPressSpider

READOUT_TITLE = re.compile(
    r"\breadout\b|\b(?:call|meeting|meets|conversation|video\s+call)\s+with\b", re.IGNORECASE
)


class StateDeptSpider(WordPressSpider):
    name = "statedept"

    listing_path = "/press-releases/"
    title_selectors = ("h1.featured-content__headline", "h1.entry-title", "h1")
    body_selectors = ("div.entry-content", "article .entry-content")

    def wants_title(self, title: str) -> bool:
        return bool(READOUT_TITLE.search(title))
