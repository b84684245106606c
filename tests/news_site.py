"""A plain news site for the generic spider: listing pages of dated articles, served by SiteServer."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from readouts.demo.server import LoggedRequest, Resource, SiteServer

PER_PAGE = 5


def article(number: int, published: date, extra: str = "") -> str:
    sentences = " ".join(
        f"In the call number {number}, the two leaders discussed topic {k} at some length."
        for k in range(6)
    )
    return (
        f"<html lang='en'><head><title>Readout {number}</title>"
        f"<meta property='article:published_time' content='{published.isoformat()}T12:00:00+00:00'>"
        f"</head><body><article><h1>Readout {number}</h1><p>{sentences}</p><p>{extra}</p>"
        "</article></body></html>"
    )


class NewsSite:
    """``count`` articles, newest first, ``PER_PAGE`` to a listing page: /news, /news/page/2, …"""

    def __init__(self, server: SiteServer, count: int, newest: date = date(2024, 6, 30)):
        self.server = server
        self.dates = {n: newest - timedelta(days=count - n) for n in range(1, count + 1)}
        numbers = sorted(self.dates, reverse=True)
        pages = [numbers[i : i + PER_PAGE] for i in range(0, len(numbers), PER_PAGE)]
        for index, page in enumerate(pages, start=1):
            links = "".join(f'<li><a href="/news/{n}">Readout {n}</a></li>' for n in page)
            if index < len(pages):
                links += f'<a href="/news/page/{index + 1}">Older</a>'
            path = "/news" if index == 1 else f"/news/page/{index}"
            server.set(path, f"<html><body><ul>{links}</ul></body></html>")
        for number, published in self.dates.items():
            server.set(f"/news/{number}", article(number, published))

    def sequence(self, path: str, *resources: Resource) -> None:
        """Answer ``path`` with each resource in turn, the last one from then on."""
        answers = itertools.chain(resources, itertools.repeat(resources[-1]))
        self.server.set(path, lambda request: next(answers))

    def respond(self, path: str, responder: Callable[[LoggedRequest], Resource]) -> None:
        self.server.set(path, responder)

    def sources(self, path: Path, name: str = "news", settings: str = "", **fields) -> Path:
        """Write a sources file with one generic source for this site."""
        fields = {"delay": 0, **fields}
        extra = "".join(f"{key} = {_toml(value)}\n" for key, value in fields.items())
        path.write_text(
            f"""{settings}
[sources.{name}]
kind = "readout"
spider = "generic"
start_urls = ["{self.server.base_url}/news"]
item_pattern = "/news/\\\\d+$"
follow_pattern = "/news/page/\\\\d+$"
{extra}""",
            encoding="utf-8",
        )
        return path


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
