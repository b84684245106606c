"""The sources file: what to crawl, how, and how often.

Loading validates everything up front, so a typo is reported once, with the file, the source
and the field, instead of surfacing as a failed crawl at three in the morning.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from cssselect import GenericTranslator, SelectorError

from crawler.spiders import SPIDERS, VARIANTS
from scheduler.triggers import ScheduleError, parse_schedule
from storage.notifications import channel_label
from storage.schema import DOCUMENT_KINDS, FLAG_KINDS
from storage.sources import SECRET

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_SOURCES = "sources.toml"
# tomllib's error for a table declared twice: "Cannot declare ('sources', 'NAME') twice (at line N…"
_DUPLICATE_SOURCE = re.compile(r"Cannot declare \('sources', '([^']+)'\) twice \(at line (\d+)")
# The user name and password of any URL in a message: "scheme://" then everything up to the last
# "@" before the host (a password may hold an "@").
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#'\"]*@")


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
        # The message is printed, and logged by the daemon: it quotes URLs without their secrets.
        super().__init__(f"{where}: {mask_credentials(message)}")
        self.path, self.source, self.field = str(path), source, field_name


def mask_credentials(text: str) -> str:
    """``text`` with the user name and password of each URL in it masked as ``****:****``."""
    return _USERINFO.sub(rf"\1{SECRET}:{SECRET}@", text)


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
    run_timeout: float | None = None

    @property
    def config(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Settings:
    """The ``[settings]`` table: applies to every source."""

    contact: str | None = None
    user_agent: str | None = None
    wayback_url: str = "https://web.archive.org"
    verify: str | None = None  # schedule of the daemon's ``readouts verify`` (cron or interval)
    verify_repair: bool = False  # whether that verify also repairs what it finds
    min_free_space: str = "100MB"  # the daemon starts no run while less is free by the archive

    @property
    def min_free_bytes(self) -> int:
        return parse_size(self.min_free_space)


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in a size like ``500MB``, ``2 GB`` or ``0`` (powers of 1024); ValueError if not one."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a size like 500MB or 2GB")
    number, unit = match.groups()
    return int(float(number) * 1024 ** "_KMGT".index(unit.upper() or "_"))


@dataclass
class NotifyChannel:
    """One ``[[notify]]`` table: an apprise URL and the flags it should receive."""

    url: str
    label: str  # names the channel in logs and the notifications table; never holds secrets
    kinds: list[str] = field(default_factory=list)  # empty: every kind
    sources: list[str] = field(default_factory=list)  # empty: every source

    def wants(self, kind: str, source: str | None) -> bool:
        return (not self.kinds or kind in self.kinds) and (
            not self.sources or source in self.sources
        )


@dataclass
class SourcesFile:
    path: str
    settings: Settings
    sources: dict[str, Source]
    notify: list[NotifyChannel] = field(default_factory=list)

    def select(self, names: list[str]) -> list[Source]:
        missing = [name for name in names if name not in self.sources]
        if missing:
            known = ", ".join(sorted(self.sources)) or "none"
            raise SourcesError(self.path, f"no source named {', '.join(missing)} (known: {known})")
        return [self.sources[name] for name in names]


def _field_types() -> dict[str, type | tuple[type, ...]]:
    """What TOML value each ``Source`` field accepts, read from the dataclass's annotations:
    ``float`` takes any number, ``list[str]`` a list, ``str | None`` a string."""
    accepted: dict[str, type | tuple[type, ...]] = {}
    for name, hint in typing.get_type_hints(Source).items():
        if name == "name":  # the table's name, never a key inside it
            continue
        if isinstance(hint, types.UnionType):  # X | None: an optional field takes an X
            hint = next(kind for kind in typing.get_args(hint) if kind is not type(None))
        kind = typing.get_origin(hint) or hint
        accepted[name] = (int, float) if kind is float else kind
    return accepted


_TYPES = _field_types()
_NOTIFY_TYPES: dict[str, type] = {"url": str, "name": str, "kinds": list, "sources": list}


def css_to_xpath(selector: str) -> str:
    """XPath of a CSS selector (as Scrapy and lxml would read it); ``SelectorError`` if bad."""
    return GenericTranslator().css_to_xpath(selector)


def bundled_sources_path() -> Path:
    return Path(str(resources.files("scheduler").joinpath(DEFAULT_SOURCES)))


def load_sources(path: str | Path | None = None) -> SourcesFile:
    """Read and validate a sources file (the bundled one when ``path`` is None)."""
    path = Path(path) if path else bundled_sources_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(path, "file not found") from None
    except UnicodeDecodeError as error:
        raise SourcesError(path, f"not valid UTF-8: {error}") from None
    return parse_sources(text, path)


def parse_sources(text: str, path: str | Path) -> SourcesFile:
    """Validate the text of a sources file; ``path`` only names it in error messages."""
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        duplicate = _DUPLICATE_SOURCE.match(str(error))
        if duplicate:
            raise SourcesError(
                path,
                f"duplicate source name: [sources.{duplicate[1]}] is declared again at line "
                f"{duplicate[2]}; give each source its own name",
                duplicate[1],
            ) from None
        raise SourcesError(path, f"not valid TOML: {error}") from None
    unknown = set(data) - {"settings", "sources", "notify"}
    if unknown:
        raise SourcesError(path, f"unknown top-level table(s): {', '.join(sorted(unknown))}")
    settings = _parse_settings(path, data.get("settings", {}))
    tables = data.get("sources", {})
    if not isinstance(tables, dict):
        raise SourcesError(path, "'sources' must be a table of [sources.NAME] tables")
    sources = {name: _parse_source(path, name, table) for name, table in tables.items()}
    notify = _parse_notify(path, data.get("notify", []), sources)
    return SourcesFile(str(path), settings, sources, notify)


def _parse_notify(path: Path, tables: Any, sources: dict[str, Source]) -> list[NotifyChannel]:
    """``[[notify]]`` tables: apprise URLs, each optionally limited to some flag kinds and sources."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise SourcesError(path, "'notify' must be an array of [[notify]] tables")
    channels: list[NotifyChannel] = []
    for number, table in enumerate(tables, 1):
        where = f"[[notify]] number {number}"
        for key, value in table.items():
            if key not in _NOTIFY_TYPES:
                known = ", ".join(sorted(_NOTIFY_TYPES))
                raise SourcesError(path, f"{where}: unknown field '{key}' (known: {known})")
            expected = _NOTIFY_TYPES[key]
            if not isinstance(value, expected) or (
                expected is list and not all(isinstance(item, str) for item in value)
            ):
                kind = "list of strings" if expected is list else expected.__name__
                raise SourcesError(path, f"{where}: field '{key}' must be a {kind}, got {value!r}")
        if "url" not in table:
            raise SourcesError(path, f"{where}: field 'url' is required (an apprise URL)")
        bad_kinds = [kind for kind in table.get("kinds", []) if kind not in FLAG_KINDS]
        if bad_kinds:
            raise SourcesError(
                path,
                f"{where}: unknown flag kind(s) {', '.join(bad_kinds)} "
                f"(known: {', '.join(FLAG_KINDS)})",
            )
        bad_sources = [name for name in table.get("sources", []) if name not in sources]
        if bad_sources:
            raise SourcesError(
                path, f"{where}: no source named {', '.join(bad_sources)} in this file"
            )
        label = table.get("name") or _default_label(path, where, table["url"])
        if any(channel.label == label for channel in channels):
            raise SourcesError(path, f"{where}: two channels named {label!r}; give each a 'name'")
        channels.append(
            NotifyChannel(table["url"], label, table.get("kinds", []), table.get("sources", []))
        )
    return channels


def _default_label(path: Path, where: str, url: str) -> str:
    """The name of a channel without a ``name`` (``channel_label``), from the URL as apprise
    masks it; instantiating the URL also proves apprise understands it."""
    import apprise  # only files with [[notify]] tables pay for the import

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise SourcesError(
            path,
            f"{where}: apprise does not understand the URL {url.split(':', 1)[0]}://… "
            "(see https://github.com/caronc/apprise/wiki for the URL of each service)",
        )
    return channel_label(plugin.url(privacy=True).split("?", 1)[0])


def _parse_settings(path: Path, table: Any) -> Settings:
    if not isinstance(table, dict):
        raise SourcesError(path, "[settings] must be a table")
    allowed = {f.name for f in fields(Settings)}
    for key, value in table.items():
        if key not in allowed:
            raise SourcesError(
                path, f"unknown setting '{key}' (known: {', '.join(sorted(allowed))})"
            )
        wanted = bool if key == "verify_repair" else str
        if not isinstance(value, wanted):
            raise SourcesError(path, f"setting '{key}' must be a {wanted.__name__}")
    settings = Settings(**table)
    if settings.verify is not None:
        try:
            parse_schedule(settings.verify)
        except ScheduleError as error:
            raise SourcesError(path, f"setting 'verify': {error}") from None
    try:
        parse_size(settings.min_free_space)
    except ValueError as error:
        raise SourcesError(path, f"setting 'min_free_space': {error}") from None
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
    if source.kind not in DOCUMENT_KINDS:
        raise SourcesError(
            path, f"must be one of {', '.join(DOCUMENT_KINDS)}, got {source.kind!r}", name, "kind"
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
        key = "base_url" if url == source.base_url else "start_urls"
        if not re.match(r"https?://[^/\s]+", url):
            raise SourcesError(path, f"not an http(s) URL: {url!r}", name, key)
        if _USERINFO.match(url):
            raise SourcesError(
                path,
                f"credentials in a page URL are not sent (and would be stored): {url!r}; "
                'give them in headers (e.g. headers = { Authorization = "Basic …" }, '
                "docs/access.md), which are sent and stored masked",
                name,
                key,
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
        ("run_timeout", 1),
    ):
        value = getattr(source, key)
        if value is not None and value < minimum:
            raise SourcesError(path, f"must be at least {minimum}", name, key)
