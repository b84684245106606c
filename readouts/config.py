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

from crawler.spiders import SPIDERS
from scheduler.triggers import ScheduleError, parse_schedule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KINDS = ("readout", "commentary")
DEFAULT_SOURCES = "sources.toml"
# tomllib's error for a table declared twice: "Cannot declare ('sources', 'NAME') twice (at line N…"
_DUPLICATE_SOURCE = re.compile(r"Cannot declare \('sources', '([^']+)'\) twice \(at line (\d+)")


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
    language: str | None = None
    recheck_days: int = 7
    monitor_pages: int = 3
    description: str | None = None
    licence: str | None = None

    @property
    def config(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Settings:
    """The ``[settings]`` table: applies to every source."""

    contact: str | None = None
    user_agent: str | None = None


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
    "language": str,
    "recheck_days": int,
    "monitor_pages": int,
    "description": str,
    "licence": str,
}


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
        duplicate = _DUPLICATE_SOURCE.match(str(error))
        if duplicate:
            raise SourcesError(
                path,
                f"duplicate source name: [sources.{duplicate[1]}] is declared again at line "
                f"{duplicate[2]}; give each source its own name",
                duplicate[1],
            ) from None
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
    return Settings(**table)


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
    try:
        parse_schedule(source.schedule)
    except ScheduleError as error:
        raise SourcesError(path, str(error), name, "schedule") from None
    for key in ("item_pattern", "follow_pattern"):
        pattern = getattr(source, key)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise SourcesError(path, f"bad regular expression: {error}", name, key) from None
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
    ):
        if getattr(source, key) < minimum:
            raise SourcesError(path, f"must be at least {minimum}", name, key)
