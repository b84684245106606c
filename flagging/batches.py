"""The flag job's one batch-and-watermark loop.

Every step handles what was stored since its own watermark (a row id kept in ``job_state``).
Reading the batch, doing the work, raising its flags and moving the watermark happen in one
``BEGIN IMMEDIATE`` transaction: SQLite has one writer at a time, so no row can be committed
between the read and the watermark's move (a version committed by a concurrent crawl is in
this batch or in a later one, never skipped), and a process killed anywhere leaves either the
whole batch done, flags included, or none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils

from storage.database import write_transaction
from storage.job_state import get_state, set_state

Row = dict[str, Any]
Flag = dict[str, Any]
Fetch = Callable[[sqlite_utils.Database, int, int], list[Row]]
Handle = Callable[[sqlite_utils.Database, list[Row]], list[Flag]]


def run_in_batches(
    db: sqlite_utils.Database,
    watermark: str,
    fetch: Fetch,
    handle: Handle,
    *,
    batch: int = 500,
) -> list[Flag]:
    """Handle rows past ``watermark`` batch by batch; return the flags raised.

    ``fetch(db, after, limit)`` returns up to ``limit`` rows with ids above ``after``, oldest
    first; it returns fewer when the rest must wait (a row another step has not handled yet),
    which ends the loop. ``handle(db, rows)`` does the work inside the transaction and returns
    the flags it raised. The watermark moves to the last row's ``id``.
    """
    raised: list[Flag] = []
    while True:
        with write_transaction(db):
            rows = fetch(db, get_state(db, watermark), batch)
            if not rows:
                return raised
            flags = handle(db, rows)
            set_state(db, watermark, rows[-1]["id"])
        raised += flags
        if len(rows) < batch:
            return raised
