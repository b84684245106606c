"""WARC and WACZ export: captures per second, WARC bytes per capture, peak memory.

Fills a fresh archive with the exchanges of a readout-like site (about 23 KB pages, mostly
menus, like official sites; ``storage.captures.save_capture``, as the crawler stores them),
then every page captured again unchanged (the re-crawl a monitor makes: revisit records), and
times ``readouts export`` to a ``.warc.gz`` and a ``.wacz`` in a child process each, as a user
runs it. WARC bytes per capture are set against the raw page bytes.

Usage: python bench/warc_export.py [--pages 5000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import REPO

import storage
from readouts.demo.sitegen import site_pages
from storage.captures import save_capture
from storage.timeutil import utc_now

HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Server", "bench")]


def fill(db, pages: dict[str, str], rounds: int) -> int:
    """Store each page ``rounds`` times (the first a response, the others revisits)."""
    raw = 0
    for _ in range(rounds):
        for path, html in pages.items():
            body = html.encode("utf-8") if isinstance(html, str) else html
            raw += len(body)
            save_capture(
                db,
                url=f"https://readouts.example{path}",
                captured_at=utc_now(),
                method="GET",
                request_target=path,
                request_headers=[("Host", "readouts.example"), ("User-Agent", "bench")],
                protocol="HTTP/1.1",
                status=200,
                reason="OK",
                response_headers=[*HEADERS, ("Content-Length", str(len(body)))],
                body=body,
            )
    return raw


# The child reports its own peak from VmHWM, which belongs to the program's own address space:
# Linux carries ru_maxrss over exec, so getrusage() would report the parent's memory (the
# pages generated above) as the child's peak, growing with --pages however flat the export.
CHILD = """
import sys
from readouts.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as done:
    if done.code:
        raise
with open("/proc/self/status") as status:
    print(next(l.split()[1] for l in status if l.startswith("VmHWM:")), file=sys.stderr)
"""


def timed_export(db_path: Path, out: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KB) of one ``readouts export`` in a child process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "--db", str(db_path), "export", str(out)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2, help="captures of each page")
    args = parser.parse_args()
    pages = site_pages(args.pages, menu_links=200)
    with tempfile.TemporaryDirectory(prefix="warc-bench-") as tmp:
        db_path = Path(tmp) / "bench.db"
        db = storage.open_database(db_path)
        start = time.perf_counter()
        raw = fill(db, pages, args.rounds)
        stored = time.perf_counter() - start
        db.close()
        captures = len(pages) * args.rounds
        print(
            f"{captures} captures of {len(pages)} pages, {raw / len(pages) / args.rounds:,.0f}"
            f" raw bytes per capture; stored at {captures / stored:,.0f} captures/s"
        )
        print(f"database: {db_path.stat().st_size / captures:,.0f} bytes per capture")
        for name in ("bench.warc.gz", "bench.wacz"):
            out = Path(tmp) / name
            elapsed, rss = timed_export(db_path, out)
            size = out.stat().st_size
            print(
                f"export {name}: {elapsed:.1f} s, {captures / elapsed:,.0f} captures/s,"
                f" {size / captures:,.0f} bytes per capture ({size / raw:.1%} of raw page bytes),"
                f" peak RSS {rss / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()
