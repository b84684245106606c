"""Benchmarks (1)–(3): crawl throughput, conditional re-crawl, storage per version.

Against a local site of readout-like pages (about 23 KB each, mostly menus, like official
sites), served by a fast in-memory server:
1. the full pipeline (``readouts crawl``: spider, extraction, fetch log, archive, flag job) as a
   ratio to the same Scrapy crawl with no pipeline and no fetch log (target ≥ 0.5);
2. an unchanged re-crawl with ``--recheck`` (ETag → 304; with ``--no-etag`` the site sends no
   validators and every page comes again, byte for byte) as a ratio to the first (target ≤ 0.2;
   ≤ 0.25 without validators, issue 18);
3. database bytes per stored version, against the raw page bytes, after the first crawl (what
   storing the versions cost) and after the re-check (which adds its fetch log and exchanges).
Times are wall-clock times of the whole command, start-up included, as a user sees them.

``--menu-links`` sets the page chrome: 200 links make ~24 KB pages, 1,000 make ~100 KB, the
size of the saved White House pages in ../shared/real-pages. ``--real-texts`` puts real English
readouts (../shared/eval/readout-corpus, read at run time) in the pages instead of made-up
Russian text from a vocabulary of 60 words, which compresses and indexes far better.

Usage: python bench/crawl_throughput.py [--pages 5000] [--concurrency 16] [--menu-links 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import require_eval
from readout_corpus import load_readouts
from staticsite import ROOT, StaticSite, load_test

from readouts.demo.sitegen import Readout, item_path, site_pages, sources_toml


def timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of a command run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def real_readouts():
    """``make`` for ``site_pages``: the corpus's readouts in turn, as they were published."""
    corpus = load_readouts(require_eval("readout-corpus"))

    def make(number: int, seed: int) -> Readout:
        item = corpus[(number - 1) % len(corpus)]
        paragraphs = tuple(p for p in item["text"].split("\n") if p.strip())
        return Readout(number, f"{item['title']} ({number})", "2024-01-01", paragraphs)

    return make


def checkpointed_size(db: Path) -> int:
    """The database file's size once its write-ahead log is folded in."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return os.path.getsize(db)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--menu-links", type=int, default=200)
    parser.add_argument(
        "--real-texts",
        action="store_true",
        help="real English readouts (White House, Kremlin, president.gov.ua) as the articles",
    )
    parser.add_argument(
        "--no-etag",
        action="store_true",
        help="the site sends no validators: the re-check gets every page again, unchanged",
    )
    args = parser.parse_args(argv)
    pages = site_pages(
        args.pages, menu_links=args.menu_links, make=real_readouts() if args.real_texts else None
    )
    items = [item_path(n) for n in range(1, args.pages + 1)]
    with StaticSite(pages, etag=not args.no_etag) as site, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        load_test(site.base_url, items, connections=args.concurrency)
        server_rate = args.pages / (time.perf_counter() - started)

        sources = Path(tmp) / "sources.toml"
        sources.write_text(
            sources_toml(site.base_url, delay=0, concurrency=args.concurrency), encoding="utf-8"
        )
        db = Path(tmp) / "archive.db"
        readouts = [sys.executable, "-m", "readouts", "--db", str(db), "--sources", str(sources)]
        noop, noop_cpu = timed(
            [sys.executable, str(ROOT / "bench" / "noop_crawl.py"), str(sources), "site"]
        )
        first, first_cpu = timed(readouts + ["crawl", "site"])
        first_db_bytes = checkpointed_size(db)
        recheck, recheck_cpu = timed(readouts + ["crawl", "site", "--recheck"])

        conn = sqlite3.connect(db)
        runs = conn.execute(
            "SELECT versions_stored, not_modified, unchanged FROM runs ORDER BY id"
        ).fetchall()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = conn.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 5"
        ).fetchall()
        conn.close()
        db_bytes = os.path.getsize(db)
        raw = sum(len(pages[path].encode("utf-8")) for path in items)

    assert runs[0][0] == args.pages, f"first crawl stored {runs[0][0]} of {args.pages} pages"
    figures = {
        "pages": args.pages,
        "server_alone_pages_per_s": server_rate,
        "noop_crawl_s": noop,
        "full_crawl_s": first,
        "noop_pages_per_s": args.pages / noop,
        "full_pages_per_s": args.pages / first,
        "throughput_ratio": noop / first,
        "noop_cpu_s": noop_cpu,
        "full_cpu_s": first_cpu,
        "throughput_ratio_cpu": noop_cpu / first_cpu,
        "recheck_s": recheck,
        "recheck_cpu_s": recheck_cpu,
        "recheck_ratio_cpu": recheck_cpu / first_cpu,
        "recheck_ratio": recheck / first,
        "recheck_new_versions": runs[1][0],
        "recheck_not_modified": runs[1][1],
        "first_db_bytes_per_version": first_db_bytes / args.pages,
        "first_db_to_raw_ratio": first_db_bytes / raw,
        "db_bytes_per_version": db_bytes / args.pages,
        "raw_bytes_per_page": raw / args.pages,
        "db_to_raw_ratio": db_bytes / raw,
    }
    print(f"Crawl of a {args.pages}-page local site, concurrency {args.concurrency}, delay 0")
    print(f"  server alone:           {server_rate:7.0f} pages/s")
    print(
        f"  Scrapy, no-op pipeline: {noop:7.1f} s wall {noop_cpu:7.1f} s CPU"
        f"  ({figures['noop_pages_per_s']:.0f} pages/s)"
    )
    print(
        f"  full pipeline:          {first:7.1f} s wall {first_cpu:7.1f} s CPU"
        f"  ({figures['full_pages_per_s']:.0f} pages/s)"
    )
    print(
        f"  throughput ratio:       {figures['throughput_ratio']:7.2f} wall"
        f" {figures['throughput_ratio_cpu']:7.2f} CPU  (no-op time / full time; target >= 0.5)"
    )
    print(
        f"  --recheck ({'no ETag' if args.no_etag else 'all 304'}):    {recheck:7.1f} s wall"
        f" {recheck_cpu:7.1f} s CPU;"
        f" {runs[1][0]} new versions, {runs[1][1]} not modified, {runs[1][2]} unchanged"
    )
    print(
        f"  re-crawl ratio:         {figures['recheck_ratio']:7.2f} wall"
        f" {figures['recheck_ratio_cpu']:7.2f} CPU  (re-crawl / first crawl;"
        f" target <= {0.25 if args.no_etag else 0.2})"
    )
    print(
        f"  database: {first_db_bytes / args.pages:,.0f} bytes per version after the first crawl,"
        f" {db_bytes / args.pages:,.0f} after the re-check, for {raw / args.pages:,.0f} raw bytes"
        f" per page (x{figures['first_db_to_raw_ratio']:.2f}, x{figures['db_to_raw_ratio']:.2f})"
    )
    print(
        "  largest parts: "
        + ", ".join(f"{name} {size / args.pages:,.0f}" for name, size in tables)
        + " bytes per version"
    )
    print(
        f"Reproduce: python bench/crawl_throughput.py --pages {args.pages}"
        f" --concurrency {args.concurrency} --menu-links {args.menu_links}"
        + (" --no-etag" if args.no_etag else "")
        + (" --real-texts" if args.real_texts else "")
    )
    return figures


if __name__ == "__main__":
    main()
