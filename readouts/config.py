"""The sources file: what to crawl, how, and how often.

Loading validates everything up front, so a typo is reported once, with the file, the source
and the field, instead of surfacing as a failed crawl at three in the morning.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from cssselect import GenericTranslator, SelectorError

from crawler.spiders import SPIDERS, VARIANTS
from scheduler.triggers import ScheduleError, parse_schedule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KINDS = ("readout", "commentary")
DEFAULT_SOURCES = "sources.toml"


class SourcesError(Exception):
    """The sources file is unreadable or a source in it is invalid."""

    def __init__(
        self,
        path: str | Path,
        message: str,
        source: str | None = None,
        field_name: str | None = None,
    ):
        where = f"{path}"
        if source:
            where += f": source '{source}'"
        if field_name:
            where += f", field '{field_name}'"
        super().__init__(f"{where}: {message}")
        self.path, self.source, self.field = str(path), source, field_name


@dataclass
class Source:
    """One configured source. Field names are the keys of a ``[sources.NAME]`` table."""

    name: str
    kind: str
    spider: str
    schedule: str = "6h"
    base_url: str | None = None
    start_urls: list[str] = field(default_factory=list)
    item_pattern: str | None = None
    follow_pattern: str | None = None
    enabled: bool = True
    delay: float = 1.0
    concurrency: int = 1
    timeout: float = 30.0
    retries: int = 2
    obey_robots: bool = True
    proxy: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    browser_headers: bool = False
    max_retry_after: float = 300.0
    title_pattern: str | None = None
    organisation: str | None = None
    language: str | None = None
    variant: str | None = None
    recheck_days: int = 7
    monitor_pages: int = 3
    description: str | None = None
    licence: str | None = None
    drop_selectors: list[str] = field(default_factory=list)
    ignore_patterns: list[str] = field(default_factory=list)
    content_selector: str | None = None

    @property
    def config(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Settings:
    """The ``[settings]`` table: applies to every source."""

    contact: str | None = None
    user_agent: str | None = None
    wayback_url: str = "https://web.archive.org"


@dataclass
class SourcesFile:
    path: str
    settings: Settings
    sources: dict[str, Source]

    def select(self, names: list[str]) -> list[Source]:
        missing = [name for name in names if name not in self.sources]
        if missing:
            known = ", ".join(sorted(self.sources)) or "none"
            raise SourcesError(self.path, f"no source named {', '.join(missing)} (known: {known})")
        return [self.sources[name] for name in names]


_TYPES: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "spider": str,
    "schedule": str,
    "base_url": str,
    "start_urls": list,
    "item_pattern": str,
    "follow_pattern": str,
    "enabled": bool,
    "delay": (int, float),
    "concurrency": int,
    "timeout": (int, float),
    "retries": int,
    "obey_robots": bool,
    "proxy": str,
    "headers": dict,
    "browser_headers": bool,
    "max_retry_after": (int, float),
    "title_pattern": str,
    "organisation": str,
    "language": str,
    "variant": str,
    "recheck_days": int,
    "monitor_pages": int,
    "description": str,
    "licence": str,
    "drop_selectors": list,
    "ignore_patterns": list,
    "content_selector": str,
}


def css_to_xpath(selector: str) -> str:
    """XPath of a CSS selector (as Scrapy and lxml would read it); ``SelectorError`` if bad."""
    return GenericTranslator().css_to_xpath(selector)


def bundled_sources_path() -> Path:
    return Path(str(resources.files("readouts").joinpath(DEFAULT_SOURCES)))


def load_sources(path: str | Path | None = None) -> SourcesFile:
    """Read and validate a sources file (the bundled one when ``path`` is None)."""
    path = Path(path) if path else bundled_sources_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(path, "file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SourcesError(path, f"not valid TOML: {error}") from None
    unknown = set(data) - {"settings", "sources"}
    if unknown:
        raise SourcesError(path, f"unknown top-level table(s): {', '.join(sorted(unknown))}")
    settings = _parse_settings(path, data.get("settings", {}))
    tables = data.get("sources", {})
    if not isinstance(tables, dict):
        raise SourcesError(path, "'sources' must be a table of [sources.NAME] tables")
    sources = {name: _parse_source(path, name, table) for name, table in tables.items()}
    return SourcesFile(str(path), settings, sources)


def _parse_settings(path: Path, table: Any) -> Settings:
    if not isinstance(table, dict):
        raise SourcesError(path, "[settings] must be a table")
    allowed = {f.name for f in fields(Settings)}
    for key, value in table.items():
        if key not in allowed:
            raise SourcesError(
                path, f"unknown setting '{key}' (known: {', '.join(sorted(allowed))})"
            )
        if not isinstance(value, str):
            raise SourcesError(path, f"setting '{key}' must be a string")
    settings = Settings(**table)
    if not re.match(r"https?://[^/\s]+", settings.wayback_url):
        raise SourcesError(
            path, f"setting 'wayback_url' is not an http(s) URL: {settings.wayback_url!r}"
        )
    return settings


def _parse_source(path: Path, name: str, table: Any) -> Source:
    if not isinstance(table, dict):
        raise SourcesError(path, "must be a table", name)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise SourcesError(path, "names may use letters, digits, '-', '_' and '.'", name)
    for key, value in table.items():
        if key not in _TYPES:
            raise SourcesError(
                path, f"unknown field (known: {', '.join(sorted(_TYPES))})", name, key
            )
        expected = _TYPES[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            kind = expected.__name__ if isinstance(expected, type) else "number"
            raise SourcesError(path, f"must be a {kind}, got {value!r}", name, key)
    for required in ("kind", "spider"):
        if required not in table:
            raise SourcesError(path, "is required", name, required)
    source = Source(name=name, **table)
    _check_source(path, source)
    return source


def _check_source(path: Path, source: Source) -> None:
    name = source.name
    if source.kind not in KINDS:
        raise SourcesError(
            path, f"must be one of {', '.join(KINDS)}, got {source.kind!r}", name, "kind"
        )
    if source.spider not in SPIDERS:
        raise SourcesError(
            path,
            f"unknown spider {source.spider!r} (known: {', '.join(sorted(SPIDERS))})",
            name,
            "spider",
        )
    if source.variant is not None and source.variant not in VARIANTS.get(source.spider, ()):
        allowed = (
            ", ".join(VARIANTS.get(source.spider, ())) or f"none for the {source.spider} spider"
        )
        raise SourcesError(
            path, f"unknown variant {source.variant!r} (known: {allowed})", name, "variant"
        )
    try:
        parse_schedule(source.schedule)
    except ScheduleError as error:
        raise SourcesError(path, str(error), name, "schedule") from None
    for key in ("item_pattern", "follow_pattern", "title_pattern"):
        pattern = getattr(source, key)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise SourcesError(path, f"bad regular expression: {error}", name, key) from None
    if source.proxy and not re.match(r"https?://[^/\s]+", source.proxy):
        raise SourcesError(
            path,
            f"not an http(s) proxy URL: {source.proxy!r} (e.g. http://127.0.0.1:3128)",
            name,
            "proxy",
        )
    for key in ("drop_selectors", "ignore_patterns"):
        if not all(isinstance(item, str) and item.strip() for item in getattr(source, key)):
            raise SourcesError(path, "must be a list of non-empty strings", name, key)
    for pattern in source.ignore_patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise SourcesError(
                path, f"bad regular expression {pattern!r}: {error}", name, "ignore_patterns"
            ) from None
        if re.search(pattern, ""):
            raise SourcesError(
                path,
                f"{pattern!r} matches empty text: it would ignore nothing",
                name,
                "ignore_patterns",
            )
    selectors = source.drop_selectors + (
        [source.content_selector] if source.content_selector else []
    )
    for selector in selectors:
        try:
            css_to_xpath(selector)
        except SelectorError as error:
            raise SourcesError(
                path,
                f"bad CSS selector {selector!r}: {error}",
                name,
                "content_selector" if selector == source.content_selector else "drop_selectors",
            ) from None
    if source.content_selector and source.spider != "generic":
        raise SourcesError(
            path, "only the generic spider takes a content_selector", name, "content_selector"
        )
    urls = source.start_urls + ([source.base_url] if source.base_url else [])
    for url in urls:
        if not re.match(r"https?://[^/\s]+", url):
            raise SourcesError(
                path,
                f"not an http(s) URL: {url!r}",
                name,
                "base_url" if url == source.base_url else "start_urls",
            )
    if source.spider == "generic":
        if not source.start_urls:
            raise SourcesError(path, "the generic spider needs start_urls", name, "start_urls")
        if not source.item_pattern:
            raise SourcesError(path, "the generic spider needs item_pattern", name, "item_pattern")
    elif not source.base_url:
        raise SourcesError(
            path, f"the {source.spider} spider takes its host from base_url", name, "base_url"
        )
    for key, minimum in (
        ("delay", 0),
        ("concurrency", 1),
        ("timeout", 1),
        ("retries", 0),
        ("recheck_days", 0),
        ("monitor_pages", 1),
        ("max_retry_after", 0),
    ):
        if getattr(source, key) < minimum:
            raise SourcesError(path, f"must be at least {minimum}", name, key)
