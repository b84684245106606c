"""Versioned storage of readouts and commentary in SQLite, through sqlite-utils.

Nothing here knows about Scrapy: the crawler hands over plain values (URLs, texts, bodies)
and this package decides what is new, what changed and what disappeared.
"""

from storage.archive import save_archived_version
from storage.database import (
    ArchiveError,
    ArchiveFull,
    ArchiveLocked,
    NotAnArchive,
    open_database,
    write_transaction,
)
from storage.documents import (
    EmptyVersionError,
    SaveResult,
    Snapshot,
    known_documents,
    mark_gone,
    mark_not_modified,
    mark_same_page,
    mark_withdrawn,
    save_version,
)
from storage.normalize import content_hash, normalize_text
from storage.pages import load_page, save_page
from storage.runs import finish_run, log_fetch, start_run, update_fetch

__all__ = [
    "ArchiveError",
    "ArchiveFull",
    "ArchiveLocked",
    "NotAnArchive",
    "EmptyVersionError",
    "known_documents",
    "SaveResult",
    "Snapshot",
    "content_hash",
    "finish_run",
    "load_page",
    "log_fetch",
    "mark_gone",
    "mark_not_modified",
    "mark_same_page",
    "mark_withdrawn",
    "normalize_text",
    "open_database",
    "save_archived_version",
    "save_page",
    "save_version",
    "start_run",
    "update_fetch",
    "write_transaction",
]
