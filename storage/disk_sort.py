"""Sorting more lines than memory should hold, on disk, through SQLite's own sorter."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path


def sorted_on_disk(pairs: Iterable[tuple[str, str]], work_file: Path) -> Iterator[str]:
    """The values of ``(key, value)`` pairs in key order (ties kept in arrival order), through a
    scratch database at ``work_file``: memory stays flat whatever the number of pairs."""
    sorter = sqlite3.connect(work_file)
    try:
        sorter.execute("CREATE TABLE lines (key TEXT, line TEXT)")
        sorter.executemany("INSERT INTO lines VALUES (?, ?)", pairs)
        for (line,) in sorter.execute("SELECT line FROM lines ORDER BY key, rowid"):
            yield line
    finally:
        sorter.close()
