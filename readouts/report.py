"""Plain-text output of the CLI: tables, run summaries, flag lines."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from storage.runs import failed_fetches_query


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
            lines.append(f"  failed fetches: {failed_fetches_query(run['id'])}")
    lines.append(f"{plural(len(flags), 'new flag')}")
    lines += [f"  {flag_line(flag)}" for flag in flags]
    return "\n".join(lines)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def flag_line(flag: dict[str, Any]) -> str:
    return f"[{flag['kind']}] {flag['summary']} (document {flag['document_id']})"


def citations(view: dict[str, Any]) -> str:
    """A readout's citing articles (or an article's cited readouts) with the quoted passages."""
    document = view["document"]
    is_readout = document["kind"] == "readout"
    lines = [f"{document['title']}\n{document['url']}", ""]
    rows = view["citations"]
    if not rows:
        lines.append("No article cites this readout." if is_readout else "It cites no readout.")
        return "\n".join(lines)
    lines.append(
        plural(len(rows), "citing article") if is_readout else plural(len(rows), "cited readout")
    )
    for row in rows:
        other = ("article", "article_title", "article_url")
        if not is_readout:
            other = ("readout", "readout_title", "readout_url")
        how = row["method"] + (", with a link" if row["linked"] and row["method"] != "link" else "")
        lines += [
            "",
            f"{row[other[1]]} ({other[0]} {row[other[0] + '_id']})",
            f"{row[other[2]]}",
            f"{how} — {plural(len(row['spans']), 'passage')}, {row['matched_chars']} characters"
            + (
                " — DRIFTED: quotes words the latest version no longer says"
                if row["status"] == "drifted"
                else ""
            ),
        ]
        for number, span in enumerate(row["spans"], 1):
            context = span["readout_context"]
            start, end = context["quote"]
            sentence = " ".join(
                (
                    context["text"][:start]
                    + "»"
                    + context["text"][start:end]
                    + "«"
                    + context["text"][end:]
                ).split()
            )
            status = (
                ""
                if span["status"] == "current"
                else f"  [drifted: not in v{row['latest_readout_version']}]"
            )
            lines += [
                f"  {number}. article:  “{' '.join(span['text'].split())}”",
                f"     readout v{row['readout_version']}: {sentence}{status}",
            ]
    return "\n".join(lines)


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def diff_json(
    document: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    change: dict[str, Any],
    stored: bool,
) -> dict[str, Any]:
    """``readouts diff --json``: the change row's fields plus which document and versions."""
    fields = (
        "kinds", "summary", "words_added", "words_removed", "sentences_changed", "share_changed",
        "title_changed", "date_changed", "reverted_to_version_id", "diff_timed_out", "diff",
    )  # fmt: skip
    return {
        "document_id": document["id"],
        "url": document["url"],
        "from": {key: before[key] for key in ("id", "version", "seen_at", "title", "published_at")},
        "to": {key: after[key] for key in ("id", "version", "seen_at", "title", "published_at")},
        "stored": stored,
        **{key: change[key] for key in fields},
    }


def diff_text(
    document: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    change: dict[str, Any],
    *,
    color: bool,
    side_by_side: bool,
    width: int,
) -> str:
    """``readouts diff``: a header saying what kind of change it is, then the diff itself."""
    from analysis.diff import render_inline, render_side_by_side, word_diff

    lines = [
        f"{document['title']}",
        f"{document['url']}",
        f"version {before['version']} ({before['seen_at']}) → "
        f"version {after['version']} ({after['seen_at']})",
        f"{', '.join(change['kinds']) or 'no change'}: {change['summary']}",
        "",
    ]
    if change["title_changed"]:
        lines.append(
            "title: " + render_inline(word_diff(before["title"], after["title"]), color=color)
        )
    if change["date_changed"]:
        lines.append(f"date: {before['published_at']} → {after['published_at']}")
    ops = [tuple(op) for op in change["diff"]]
    if side_by_side:
        body = render_side_by_side(ops, width=width, color=color)
    else:
        body = render_inline(ops, color=color)
    lines.append(body or "(the texts do not differ once typography and noise rules are set aside)")
    return "\n".join(lines)


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


def verify_findings(findings: list) -> str:
    """``readouts verify``'s plain-words list of what is missing or wrong."""
    if not findings:
        return (
            "The archive is whole: every version went through every flag-job step; citations,"
            " flags, the full-text index and SQLite's own checks are in order."
        )
    lines = [f"{plural(len(findings), 'problem')} found:"]
    lines += [f"- {finding.message}" for finding in findings]
    return "\n".join(lines)


def crawl_gaps(gaps: list[dict[str, Any]], shown: int = 5) -> str:
    """What the crawls still owe (``storage.runs.crawl_gaps``), after ``verify``'s findings: not
    faults of the archive, so they leave its exit status alone. Each line says what fills it."""
    if not gaps:
        return ""
    lines = ["Still to crawl:"]
    pages: dict[str, list[dict[str, Any]]] = {}
    for gap in gaps:
        if gap["kind"] == "page":
            pages.setdefault(gap["source"], []).append(gap)
            continue
        source, run, why = _named(gap), f"run {gap['run_id']}", _ended(gap)
        if gap["kind"] == "backfill":
            span = f"from {gap['since'] or 'the start'} to {gap['until'] or 'today'}"
            lines.append(
                f"- {source}: the backfill {span} ({run}) ended {why}; the same backfill again"
                " resumes it"
            )
        elif gap["kind"] == "recheck":
            lines.append(
                f"- {source}: its last re-check ({run}) ended {why}; `readouts crawl {gap['source']}"
                " --recheck` re-checks the known pages it did not reach"
            )
        else:
            walk = "re-check" if gap["mode"] == "recheck" else "monitor run"
            lines.append(
                f"- {source}: its last {walk} ({run}) ended {why}; the next crawl walks the"
                " listings past known items"
                + (" (known pages: --recheck)" if gap["mode"] == "recheck" else "")
            )
    for failed in pages.values():
        source = _named(failed[0])
        listed = ", ".join(
            f"{gap['url']} ({_failure(gap)}, run {gap['run_id']})" for gap in failed[:shown]
        )
        more = f" and {len(failed) - shown} more (--json lists all)" if len(failed) > shown else ""
        lines.append(
            f"- {source}: {plural(len(failed), 'page')} whose last fetch failed: {listed}{more};"
            " a crawl that reaches them fetches them again (known pages: --recheck)"
        )
    return "\n".join(lines)


def _named(gap: dict[str, Any]) -> str:
    """The source of a gap, said to be missing from the sources file when it is."""
    configured = gap.get("configured", True)
    return gap["source"] if configured else f"{gap['source']} (not in the sources file)"


def _ended(run: dict[str, Any]) -> str:
    """How a run cut short ended: its outcome, or for one stopped at --max-pages, the message."""
    if run["outcome"] in ("ok", "errors"):
        return run["message"]
    return f"{run['outcome']}: {run['message']}" if run["message"] else run["outcome"]


def _failure(fetch: dict[str, Any], limit: int = 100) -> str:
    if fetch["status"] and fetch["status"] >= 400:
        return f"HTTP {fetch['status']}"
    error = " ".join((fetch["error"] or fetch["outcome"]).split())
    return error if len(error) <= limit else error[:limit].rsplit(" ", 1)[0] + "…"


def verify_repair(repair) -> str:
    """What ``readouts verify --repair`` found, re-derived and could not."""
    lines = [verify_findings(repair.found)]
    if not repair.found:
        return lines[0]
    if repair.withheld:
        return "\n".join([*lines, f"Nothing repaired: {repair.withheld}."])
    lines.append(
        f"Repair: the flag job re-derived what was missing; {plural(len(repair.flags), 'flag')}"
        " raised."
    )
    lines += [f"  {flag_line(flag)}" for flag in repair.flags]
    if repair.left:
        lines.append(f"Still wrong after the repair: {verify_findings(repair.left)}")
    else:
        lines.append("Checked again: the archive is whole.")
    return "\n".join(lines)


def scan_progress(summary: Any, ranges: int) -> None:
    """One line on a terminal, rewritten as ranges complete (nothing without a terminal)."""
    if not sys.stderr.isatty():
        return
    done = summary.records
    sys.stderr.write(
        f"\r{plural(done, 'record')} read, {summary.citing_articles} citing"
        f" ({ranges} range(s) to scan)"
    )
    sys.stderr.flush()


def scan_summary(summary: Any) -> str:
    lines = [
        f"Scanned {plural(summary.files, 'WARC file')}"
        + (f" ({summary.files_skipped} already scanned, skipped)" if summary.files_skipped else "")
        + f" on {plural(summary.workers, 'worker')}: {plural(summary.records, 'record')},"
        f" {summary.html_records} HTML page(s), {summary.candidates} matched in full,"
        f" {plural(summary.citing_articles, 'citing article')}"
        f" ({summary.versions_stored} new version(s) stored) in {summary.seconds:.1f} s",
    ]
    if summary.flags:
        lines.append(plural(len(summary.flags), "new flag"))
        lines += [f"  {flag_line(flag)}" for flag in summary.flags]
    lines += [f"error: {error}" for error in summary.errors]
    return "\n".join(lines)


class Counter:
    """A running count on the terminal (stderr), redrawn at most every tenth of a second."""

    def __init__(self, verb: str, word: str):
        self.verb, self.word = verb, word
        self.count = 0
        self._drawn = 0.0

    def __call__(self, step: int) -> None:
        import time

        self.count += step
        now = time.monotonic()
        if now - self._drawn >= 0.1:
            self._drawn = now
            sys.stderr.write(f"\r{self.verb} {plural(self.count, self.word)}")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write(f"\r{self.verb} {plural(self.count, self.word)}\n")
        sys.stderr.flush()


def export_summary(path: str, summary) -> str:
    """What ``readouts export`` wrote."""
    parts = [
        plural(summary.responses, "response"),
        plural(summary.revisits, "revisit"),
        plural(summary.reconstructed, "reconstructed response"),
    ]
    line = f"Wrote {path}: {', '.join(parts)}; {summary.warc_bytes:,} bytes of WARC"
    if summary.pages:
        line += f"; {plural(summary.pages, 'page')} listed"
    return line
