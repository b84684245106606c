"""Plain-text output of the CLI: tables, run summaries, flag lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(r[i]) for r in cells)) for i, column in enumerate(columns)]
    lines = ["  ".join(column.ljust(w) for column, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def crawl_summary(runs: list[dict[str, Any]], flags: list[dict[str, Any]]) -> str:
    lines = []
    for run in runs:
        seconds = _seconds(run["started_at"], run["finished_at"])
        lines.append(
            f"run {run['id']} {run['source']} ({run['mode']}): {run['outcome']} — "
            f"{plural(run['pages_fetched'], 'page')} fetched, "
            f"{plural(run['versions_stored'], 'version')} stored "
            f"({plural(run['new_documents'], 'new document')}), {run['unchanged']} unchanged, "
            f"{run['not_modified']} not modified, {run['gone']} gone, "
            f"{plural(run['errors'], 'error')}"
            + (f", {seconds:.0f} s" if seconds is not None else "")
        )
        if run.get("message"):
            lines.append(f"  {run['message']}")
        if run["errors"]:
            lines.append(
                f"  failed fetches: SELECT * FROM fetches WHERE run_id = {run['id']}"
                " AND outcome IN ('failed', 'parse_error', 'robots')"
            )
    lines.append(f"{plural(len(flags), 'new flag')}")
    lines += [f"  {flag_line(flag)}" for flag in flags]
    return "\n".join(lines)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def flag_line(flag: dict[str, Any]) -> str:
    return f"[{flag['kind']}] {flag['summary']} (document {flag['document_id']})"


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def counterparts(document: dict[str, Any], links: list[dict[str, Any]]) -> str:
    """A readout's counterparts, each with the topics only one side reported."""
    import json
    import textwrap

    lines = [f"{document['title']} ({document['source']}, document {document['id']})"]
    if not links:
        return "\n".join(lines + ["No counterpart found."])
    for link in links:
        evidence = json.loads(link["evidence"] or "{}")
        lines.append(
            f"\n↔ {link['other_title']} ({link['other_source']}, document {link['other_id']})"
            f"\n  {link['status']}, confidence {link['confidence']:.0%}; "
            f"shared: {', '.join(evidence.get('shared_participants', [])) or '-'}; "
            f"{evidence.get('hours_apart', '?')} h apart"
        )
        topics = json.loads(link["topics"] or "null")
        if not topics:
            continue
        mine, theirs = ("a", "b") if link["readout_a_id"] == document["id"] else ("b", "a")
        for side, label in (
            (mine, "Only this readout says"),
            (theirs, "Only the counterpart says"),
        ):
            sentences = topics[f"{side}_sentences"]
            only = topics[f"only_{side}"]
            lines.append(
                f"  {label} ({len(only)} of {len(sentences)} sentences, {topics['method']}):"
            )
            lines += [
                textwrap.fill(sentences[i], 96, initial_indent="    - ", subsequent_indent="      ")
                for i in only
            ]
    return "\n".join(lines)
