"""What one worker does with one byte range of a news WARC: no database, only a snapshot.

Most pages of a news crawl quote no readout, so each HTML response first goes through a cheap
pass without the extractor: one of its links points to a readout, or the flag job's matcher
finds a citation in the page's visible words (tags stripped: a superset of the article's text,
chrome included). Sharing one rare n-gram is not enough to pass: on CC-NEWS-like pages every
other article shares a common phrase ("budget for next year") with some readout, and those
pages would all pay for trafilatura (bench/scan_throughput.py). Only pages that pass are
extracted as the generic spider extracts them and matched again on the article's own text;
those that cite a readout come back to the writer, the rest are only counted.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from analysis.citations.candidates import snapshot_candidates
from analysis.citations.detect import detect
from analysis.citations.links import article_links, url_key
from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import words_of
from analysis.urls import without_tracking
from crawler.encoding import BadEncoding, decode_page
from crawler.extraction import extract_article
from scan.records import Capture, WarcReadError, html_captures
from storage.scans import IndexSnapshot

_INVISIBLE = re.compile(
    r"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]*>")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"#]*)|'([^'#]*)|([^\s>"'#]+))""", re.IGNORECASE)
# The cheap pass aligns more candidates than the article's matching: page chrome adds n-gram
# hits that must not push the cited readout out of the ranking.
_CHEAP_CANDIDATES = 4


@dataclass(frozen=True)
class RangeTask:
    """Records starting in ``[start, end)`` of one WARC file (``end`` -1: to the end)."""

    path: str
    digest: str
    start: int
    end: int
    since: str | None = None
    until: str | None = None
    source: str | None = None  # one configured source for every scanned article


@dataclass(frozen=True)
class ScannedArticle:
    """A page that cites a readout, as the writer stores it."""

    url: str  # filed as the crawler files it: without tracking parameters
    source: str
    site: str
    title: str
    text: str
    published_at: str | None
    language: str | None
    capture: Capture  # where the WARC file holds it, and its body
    cited: tuple[int, ...]


@dataclass
class RangeResult:
    task: RangeTask
    counts: dict[str, int] = field(
        default_factory=lambda: {"records": 0, "html": 0, "candidates": 0, "citing": 0}
    )
    articles: list[ScannedArticle] = field(default_factory=list)
    error: str | None = None  # the range could not be read to its end: what was read is kept


def scan_range(task: RangeTask, snapshot: IndexSnapshot, params: Params = DEFAULT) -> RangeResult:
    result = RangeResult(task)
    try:
        _scan(task, snapshot, params, result)
    except WarcReadError as error:
        result.error = str(error)
    return result


def _scan(task: RangeTask, snapshot: IndexSnapshot, params: Params, result: RangeResult) -> None:
    for capture in html_captures(task.path, task.start, task.end, result.counts):
        day = capture.captured_at[:10]
        if (task.since and day < task.since) or (task.until and day > task.until):
            continue
        if url_key(capture.url) in snapshot.url_keys:
            continue  # a readout's own page (news crawls capture official sites): it cites none
        try:
            page, _ = decode_page(capture.body, capture.content_type)
        except BadEncoding:
            continue
        if not may_cite(page, capture.url, snapshot, params):
            continue
        result.counts["candidates"] += 1
        article = cites(page, capture, snapshot, params, task.source)
        if article is not None:
            result.counts["citing"] += 1
            result.articles.append(article)


def may_cite(page: str, url: str, snapshot: IndexSnapshot, params: Params = DEFAULT) -> bool:
    """The cheap pass: a link to a readout, or a citation in the page's visible words."""
    if links_a_readout(page, url, snapshot):
        return True
    words = words_of(html_lib.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", page))))
    wide = replace(params, max_candidates=params.max_candidates * _CHEAP_CANDIDATES)
    candidates = snapshot_candidates(words, snapshot.hashes, snapshot.readout_ids, wide)
    return bool(candidates) and bool(detect(words, candidates, snapshot.versions_of, set(), params))


def links_a_readout(page: str, url: str, snapshot: IndexSnapshot) -> bool:
    """Whether any link of the page (body or chrome) points to a readout. Parsing every link
    of every page is a tenth of a worker's time, so a page that names no readout host and is
    not on one (relative links) is passed over first."""
    own_host = url_key(url).split("/")[0]
    if own_host not in snapshot.hosts and not _hosts_pattern(snapshot.hosts).search(page):
        return False
    return any(
        url_key(urljoin(url, html_lib.unescape("".join(groups)))) in snapshot.url_keys
        for groups in _HREF.findall(page)
    )


@lru_cache(maxsize=4)
def _hosts_pattern(hosts: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(host) for host in hosts) or "(?!)", re.IGNORECASE)


def cites(
    page: str, capture: Capture, snapshot: IndexSnapshot, params: Params, source: str | None
) -> ScannedArticle | None:
    """The page as an article, if the flag job's matcher finds it citing a readout."""
    extracted = extract_article(page, capture.url)
    if not extracted.title or not extracted.text:
        return None
    words = words_of(extracted.text)
    linked = (
        {
            snapshot.url_keys[key]
            for link in article_links(None, capture.body, capture.url)
            if (key := url_key(link)) in snapshot.url_keys
        }
        if links_a_readout(page, capture.url, snapshot)  # else the second extraction is moot
        else set()
    )
    candidates = snapshot_candidates(words, snapshot.hashes, snapshot.readout_ids, params)
    found = detect(words, candidates, snapshot.versions_of, linked, params)
    if not found:
        return None
    parts = urlsplit(capture.url)
    host = (parts.hostname or "").removeprefix("www.")
    return ScannedArticle(
        url=without_tracking(capture.url.split("#", 1)[0]),
        source=source or host,
        site=f"{parts.scheme}://{parts.netloc}",
        title=extracted.title,
        text=extracted.text,
        published_at=extracted.published_at,
        language=extracted.language,
        capture=capture,
        cited=tuple(citation.readout_id for citation in found),
    )
