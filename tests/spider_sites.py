"""Helpers for the site-spider tests: fixture templates, sources files, crawls, fetch outcomes."""

from __future__ import annotations

from pathlib import Path
from string import Template

from conftest import Readouts, query

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Template:
    return Template((FIXTURES / name).read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    return fixture(name).substitute(values)


def crawler(tmp_path: Path, db_path: Path, sources: str) -> Readouts:
    """The real ``readouts`` CLI on a sources file written from ``sources`` (TOML)."""
    path = tmp_path / "sources.toml"
    path.write_text(sources, encoding="utf-8")
    return Readouts(db_path, path)


def fetch_outcomes(db_path: Path, run_id: int | None = None) -> dict[str, str]:
    """URL → outcome of each fetch that had one (the last run's, or run ``run_id``'s)."""
    run_id = run_id or query(db_path, "SELECT max(id) AS id FROM runs")[0]["id"]
    rows = query(
        db_path,
        "SELECT url, outcome, error FROM fetches WHERE outcome IS NOT NULL AND run_id = ?",
        [run_id],
    )
    return {row["url"]: row["outcome"] for row in rows}


def documents(db_path: Path) -> dict[str, dict]:
    """URL → document row with its latest version's text and metadata."""
    rows = query(
        db_path,
        "SELECT d.*, v.text, v.metadata, v.version FROM documents d JOIN versions v"
        " ON v.document_id = d.id AND v.version = (SELECT max(version) FROM versions"
        " WHERE document_id = d.id)",
    )
    return {row["url"]: row for row in rows}
