"""Start Datasette over the archive, read-only, with the project's metadata and plugin.

The archive stays writable by the crawler and the daemon while Datasette serves it: it is
opened as a mutable database, whose Datasette connections are ``mode=ro`` (so every page
sees the latest committed data in WAL mode), not ``immutable`` (which would show stale
data). Nothing is exposed that writes: no write canned queries, no write plugins.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from datasette.app import Datasette

import storage
from readouts.web.metadata import build_metadata
from storage.sources import source_notes

logger = logging.getLogger(__name__)

# Long texts fold in table views; the plugin's pages show them whole.
SETTINGS = {"truncate_cells_html": 400, "facet_time_limit_ms": 400, "sql_time_limit_ms": 3000}


class ArchiveMissing(FileNotFoundError):
    """``readouts serve`` was pointed at a database file that does not exist."""


@dataclass
class Reply:
    status: int
    content_type: str
    text: str


def _quiet_exception_pages() -> None:
    """Datasette prints every exception it turns into an error page, a 404 included, as a rich
    traceback with the request's locals (its headers and cookies among them) when ``rich`` is
    installed, which it is here (transformers → typer): a page of log per mistyped URL, and
    request data in the log. The error pages themselves are unchanged."""
    from datasette import handle_exception

    handle_exception.rich = None


def make_datasette(db_path: str | Path, *, base_url: str = "/") -> Datasette:
    """A configured (not yet started) Datasette over the archive at ``db_path``."""
    _quiet_exception_pages()
    path = Path(db_path)
    if not path.exists():
        raise ArchiveMissing(f"No archive at {path}")
    db = storage.open_database(path)  # creates or upgrades the schema, as every command does
    try:
        metadata = build_metadata(
            path.stem, set(db.table_names()), source_notes(db), base_url=base_url
        )
    finally:
        db.close()
    return Datasette([str(path)], metadata=metadata, settings={**SETTINGS, "base_url": base_url})


def get_once(datasette: Datasette, path: str) -> Reply:
    """One request in-process, like ``datasette serve --get``: for scripts and tests."""

    async def fetch():
        await datasette.invoke_startup()
        return await datasette.client.get(path)

    response = asyncio.run(fetch())
    return Reply(response.status_code, response.headers.get("content-type", ""), response.text)


def serve(datasette: Datasette, host: str, port: int) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")
