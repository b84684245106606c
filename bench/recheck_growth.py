"""Archive growth of an unchanged re-check: the bytes one ``readouts crawl --recheck`` adds.

Every exchange is kept for WARC export (``storage.captures``), so even a re-check that finds
nothing new adds a capture per page, forever. Against the benchmark site (``bench/staticsite``)
of readout-like pages, served once with ETags (every re-check answered 304) and once without
(every body fetched again, the same bytes): a first crawl, then two re-checks, and the bytes
each added per page to the file (after a WAL checkpoint) and to each table and index that
grew. The second re-check is what every later one costs; the first also stores what is new to
it (each URL's ``If-None-Match``).

Usage: python bench/recheck_growth.py [--pages 1000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from staticsite import ROOT, StaticSite

from readouts.demo.sitegen import site_pages, sources_toml

MENU_LINKS = 200


def sizes(db: Path) -> tuple[int, dict[str, int]]:
    """The file's size after a checkpoint, and the bytes each table and index takes."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    conn.close()
    return os.path.getsize(db), tables


def growth(pages: dict[str, str], count: int, concurrency: int, etag: bool) -> list[dict]:
    """What the first crawl and each of two unchanged re-checks add: bytes to the file
    (``file``) and to each table that grew (``tables``), and the fetches made (``fetched``)."""
    with StaticSite(pages, etag=etag) as site, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(
            sources_toml(site.base_url, delay=0, concurrency=concurrency), encoding="utf-8"
        )
        db = Path(tmp) / "archive.db"
        readouts = [sys.executable, "-m", "readouts", "--db", str(db), "--sources", str(sources)]
        figures, before, tables_before = [], 0, {}
        for options in ([], ["--recheck"], ["--recheck"]):
            crawl(readouts, *options)
            after, tables_after = sizes(db)
            conn = sqlite3.connect(db)
            fetched = conn.execute(
                "SELECT count(*) FROM fetches WHERE run_id = (SELECT max(id) FROM runs)"
            ).fetchone()[0]
            conn.close()
            assert fetched >= count, f"the crawl fetched {fetched} pages of {count}"
            grown = {
                name: size - tables_before.get(name, 0)
                for name, size in tables_after.items()
                if size != tables_before.get(name, 0)
            }
            figures.append({"file": after - before, "fetched": fetched, "tables": grown})
            before, tables_before = after, tables_after
    return figures


def crawl(readouts: list[str], *options: str) -> None:
    result = subprocess.run(
        [*readouts, "crawl", "site", *options], capture_output=True, text=True, cwd=ROOT
    )
    if result.returncode != 0:
        sys.exit(f"readouts crawl failed ({result.returncode}):\n{result.stderr[-3000:]}")


def main(argv: list[str] | None = None) -> dict[str, list[dict]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    pages = site_pages(args.pages, menu_links=MENU_LINKS)
    figures = {}
    print(f"A {args.pages}-page local site crawled, then re-checked unchanged: bytes added a page")
    for etag in (True, False):
        steps = growth(pages, args.pages, args.concurrency, etag)
        figures["etag" if etag else "no_etag"] = steps
        print(f"  {'with ETags (re-checks answered 304)' if etag else 'without ETags (200)'}:")
        for step, grown in zip(("first crawl", "re-check 1", "re-check 2"), steps):
            parts = sorted(grown["tables"].items(), key=lambda item: -item[1])
            print(
                f"    {step}: {grown['file'] / args.pages:,.0f} to the file"
                f" ({grown['fetched']} fetches); "
                + ", ".join(
                    f"{name} {size / args.pages:,.0f}"
                    for name, size in parts
                    if size >= grown["file"] / 100  # the parts that make 1 % or more
                )
            )
    print(f"Reproduce: python bench/recheck_growth.py --pages {args.pages}")
    return figures


if __name__ == "__main__":
    main()
