"""``readouts reprocess``: re-derive documents from the raw pages the archive holds, no fetching.

Each document's current version is parsed again from its stored page by today's spider code
(``crawler.offline``, the same path an import takes); a differing result is stored as a
re-extraction (``storage.reextraction``). Each one commits on its own, and a document whose
re-extraction is stored reads the same on the next pass, so a second run changes nothing and a
killed run, started again, carries on with what is left.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from crawler import items
from crawler.offline import HeldPage, OfflineParser
from storage import reextraction
from storage.timeutil import utc_now

logger = logging.getLogger(__name__)


@dataclass
class ReprocessReport:
    pages: int = 0
    outcomes: Counter = field(default_factory=Counter)
    changes: list[str] = field(default_factory=list)  # one line per (would-be) re-extraction

    def summary(self, dry_run: bool) -> str:
        verb = "would change" if dry_run else "re-extracted"
        counts = [f"{self.pages} page(s) parsed again", f"{len(self.changes)} {verb}"]
        counts += [f"{outcome}: {count}" for outcome, count in sorted(self.outcomes.items())]
        return "\n".join([", ".join(counts), *self.changes])


def reprocess(
    db: Any,
    sources: list[Any],
    *,
    since: str | None = None,
    dry_run: bool = False,
) -> ReprocessReport:
    """Parse each selected document's current page again; store (or, dry, list) what differs."""
    report = ReprocessReport()
    parsers = {source.name: OfflineParser(source) for source in sources}
    for current in reextraction.current_pages(db, list(parsers), since):
        report.pages += 1
        parser = parsers[current["source"]]
        redirected_to = current["metadata"].get("redirected_to")
        result = parser.parse(
            HeldPage(
                url=current["url"],
                body=current["body"],
                headers=[("Content-Type", current["content_type"] or "text/html")],
                origin=reextraction.REPROCESS,
                seen_at=utc_now(),
                redirected_to=redirected_to,
            )
        )
        if result.outcome != items.PAGE:
            logger.warning("%s: today's spider cannot read it: %s", current["url"], result.error)
            report.outcomes[f"unreadable today ({result.outcome.replace('_', ' ')})"] += 1
            continue
        snapshot = result.snapshot(current["page_hash"], parser.source.ignore_patterns)
        if not reextraction.differs(current, snapshot):
            continue
        line = (
            f"  document {current['document_id']} v{current['version']}: {_what(current, snapshot)}"
        )
        if dry_run:
            report.changes.append(line)
        elif reextraction.save_reextraction(db, snapshot, current["version_id"]) is not None:
            report.changes.append(line)
    return report


def _what(current: dict[str, Any], snapshot: Any) -> str:
    """Which fields the new reading changes, and the document's URL."""
    changed = [
        name
        for name in ("title", "published_at", "text")
        if (current[name] or "") != (getattr(snapshot, name) or "")
    ]
    return f"{', '.join(changed) or 'noise-rule result'} changed — {current['url']}"
