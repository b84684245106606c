"""The current schema as Markdown, read from a fresh database: what docs/schema.md shows.

``cog -r docs/schema.md`` regenerates the file; ``tests/test_docs.py`` fails when it is stale,
so the page can never describe a schema the migrations no longer build.
"""

from __future__ import annotations

import re

import sqlite_utils

from storage.schema import ensure_schema, schema_version


def schema_markdown() -> str:
    """One section per table and view: its CREATE statement, then its indexes and triggers.
    The shadow tables SQLite keeps behind each full-text index are left out."""
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " ORDER BY rootpage = 0 AND type = 'table', tbl_name, type DESC, name"
    ).fetchall()
    virtual = [name for _, name, _, sql in rows if sql.startswith("CREATE VIRTUAL TABLE")]
    shadow = re.compile(rf"^(?:{'|'.join(map(re.escape, virtual))})_(?:data|idx|docsize|config)$")
    parts = [f"Schema version {schema_version(db)} (`PRAGMA user_version`).\n"]
    for kind, name, table, sql in rows:
        if virtual and shadow.match(table):
            continue
        if kind in ("table", "view"):
            parts.append(f"## {name}\n")
        parts.append(f"```sql\n{sql.strip()}\n```\n")
    return "\n".join(parts)
