"""The news scan on CC-NEWS-like WARC files: records/s with 1 and 2 Dask workers, the share of
pages that needed the full extractor, where a worker's time goes, and precision/recall of the
stored citations against the generator's truth.

The WARC files come from bench/ccnews.py (real readouts from ../shared/eval/readout-corpus,
read at run time). The readouts are stored in an archive and indexed by the flag job; each
worker count then scans the same files into its own copy of that archive, on a LocalCluster
started (and warmed up) beforehand and reached through ``scheduler=`` as an existing cluster
would be, so cluster start-up is not counted. The timed scan phase ends when the last range is
stored; the flag job that follows (citations and flags of the stored articles) is timed apart.

    python bench/scan_throughput.py [--pages 6000] [--files 4] [--workers 1,2] [--readouts 0]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _shared import REPO  # noqa: F401  (puts the repository on sys.path)
from ccnews import build_archive, corpus_readouts, generate

import storage
from crawler.encoding import decode_page
from scan.job import run_scan
from scan.records import file_digest, html_captures
from scan.worker import RangeTask, may_cite, scan_range
from storage import scans

PROFILED = {  # the worker's phases, by the function that does each
    "read WARC (gunzip, parse)": "html_captures",
    "decode charset": "decode_page",
    "cheap pass (may_cite)": "may_cite",
    "full extraction (trafilatura)": "extract_article",
    "body links (trafilatura)": "article_links",
    "matching (detect)": "detect",
}


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def score(found: list[dict], truth: dict) -> dict:
    """Precision and recall of (article, readout) pairs; a readout holding the same passage
    word for word (``also``) is not a false positive."""
    pairs = {(row["article"], row["readout"]) for row in found}
    wanted = {(url, r) for url, item in truth.items() for r in item["cites"]}
    allowed = wanted | {(url, r) for url, item in truth.items() for r in item["also"]}
    right = pairs & allowed
    return {
        "precision": len(right) / len(pairs) if pairs else 0.0,
        "recall": len(pairs & wanted) / len(wanted) if wanted else 0.0,
        "found": len(pairs),
        "truth": len(wanted),
        "missed": sorted(wanted - pairs),
        "wrong": sorted(pairs - allowed),
    }


def scan_once(db_path: Path, warcs: list[str], workers: int, range_bytes: int) -> dict:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1",
    ) as cluster, Client(cluster) as client:  # fmt: skip
        client.run(lambda: __import__("scan.worker"))  # imports (trafilatura …) not timed
        db = storage.open_database(db_path)
        marks: list[float] = []
        before = load()
        started = time.perf_counter()
        try:
            summary = run_scan(
                db, warcs, scheduler=cluster.scheduler_address, range_bytes=range_bytes,
                progress=lambda *_: marks.append(time.perf_counter()),
            )  # fmt: skip
            found = scans.scanned_citations(db)
        finally:
            db.close()
    scan_seconds = marks[-1] - started
    return {
        "workers": summary.workers,
        "summary": summary,
        "scan_seconds": scan_seconds,
        "flag_seconds": summary.seconds - scan_seconds,
        "rate": summary.records / scan_seconds,
        "found": found,
        "load": (before, load()),
    }


def cheap_pass_of(urls: set[str], warcs: list[str], db_path: Path) -> dict[str, bool]:
    """Whether each page passed the worker's cheap pass: a missed citation it let through was
    missed by the matcher on the extracted article, not by the scan."""
    db = storage.open_database(db_path)
    try:
        snapshot = scans.index_snapshot(db)
    finally:
        db.close()
    found = {}
    for warc in warcs:
        counts = {"records": 0, "html": 0}
        for capture in html_captures(warc, 0, -1, counts):
            if capture.url in urls:
                page, _ = decode_page(capture.body, capture.content_type)
                found[capture.url] = may_cite(page, capture.url, snapshot)
    return found


def profile(warc: str, db_path: Path) -> list[tuple[str, float]]:
    """Where one worker's time goes on one file, in process (cProfile cumulative times)."""
    db = storage.open_database(db_path)
    try:
        snapshot = scans.index_snapshot(db)
    finally:
        db.close()
    task = RangeTask(warc, file_digest(warc), 0, -1)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(scan_range, task, snapshot)
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats
    shares = [("total", total)]
    for label, name in PROFILED.items():
        seconds = sum(v[3] for (_, _, func), v in stats.items() if func == name)
        shares.append((label, seconds))
    return shares


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6000, help="Fetches in all the files.")
    parser.add_argument("--files", type=int, default=4, help="WARC files.")
    parser.add_argument("--workers", default="1,2", help="Worker counts to run, e.g. 1,2.")
    parser.add_argument("--readouts", type=int, default=0, help="Sample this many (0: all).")
    parser.add_argument("--range-mb", type=float, default=8, help="Bytes of WARC per task.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-profile", action="store_true", help="Skip the in-process profile.")
    parser.add_argument("--show-errors", action="store_true", help="List misses and errors.")
    options = parser.parse_args(argv)
    readouts = corpus_readouts(options.readouts, options.seed)
    if readouts is None:
        sys.exit("skipped: ../shared/eval/readout-corpus is not present")
    folder = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    try:
        return _run(options, readouts, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(options, readouts: list[dict], folder: Path) -> dict:
    started = time.perf_counter()
    made = generate(folder / "warc", options.pages, options.files, options.seed, readouts)
    warcs = sorted(str(p) for p in (folder / "warc").glob("*.warc.gz"))
    size = sum(Path(p).stat().st_size for p in warcs)
    counts = made["counts"]
    print(
        f"{len(warcs)} WARC files, {size / 1e6:.0f} MB, {options.pages} fetches: "
        f"{counts['article']} articles ({counts['citing']} citing a readout, "
        f"{counts['hard_negative']} hard negatives), {counts['other']} other responses "
        f"[{time.perf_counter() - started:.1f} s]"
    )
    base = folder / "archive.db"
    started = time.perf_counter()
    build_archive(base, readouts)
    print(f"{len(readouts)} readouts stored and indexed by the flag job "
          f"[{time.perf_counter() - started:.1f} s]")  # fmt: skip

    runs = []
    for workers in (int(n) for n in options.workers.split(",")):
        db_path = folder / f"scan-{workers}.db"
        shutil.copy(base, db_path)
        run = scan_once(db_path, warcs, workers, int(options.range_mb * 1024 * 1024))
        summary = run["summary"]
        run["score"] = score(run["found"], made["citing"])
        runs.append(run)
        print(
            f"{run['workers']} worker(s): {summary.records:,} records "
            f"({summary.html_records:,} HTML) in {run['scan_seconds']:.1f} s = "
            f"{run['rate']:,.0f} records/s; flag job after it {run['flag_seconds']:.1f} s; "
            f"{summary.candidates} pages through full extraction "
            f"({summary.candidates / summary.html_records:.1%} of HTML), "
            f"{summary.citing_articles} citing stored; "
            f"precision {run['score']['precision']:.3f}, recall {run['score']['recall']:.3f} "
            f"({run['score']['found']} pairs found, {run['score']['truth']} true)"
            f" [{run['load'][0]} before, {run['load'][1]} after]"
        )
        if options.show_errors:
            passed = cheap_pass_of({a for a, _ in run["score"]["missed"]}, warcs, base)
            for pair in run["score"]["missed"]:
                print("   missed", pair, made["citing"][pair[0]]["kind"],
                      "passed the cheap pass" if passed[pair[0]] else "LOST BY THE CHEAP PASS")  # fmt: skip
            for pair in run["score"]["wrong"]:
                print("   wrong ", pair)
    if len(runs) > 1:
        ratio = runs[-1]["rate"] / runs[0]["rate"]
        same = all(run["found"] == runs[0]["found"] for run in runs)
        print(f"{runs[-1]['workers']} vs {runs[0]['workers']} worker(s): {ratio:.2f}x "
              f"(target ≥ 1.7x); citations identical: {same}")  # fmt: skip
    if not options.no_profile:
        shares = profile(warcs[0], base)
        total = shares[0][1]
        print(f"one worker in process, {Path(warcs[0]).name}: {total:.1f} s")
        for label, seconds in shares[1:]:
            print(f"   {label:<32} {seconds:6.1f} s  {seconds / total:6.1%}")
    return {"runs": runs, "truth": made}


if __name__ == "__main__":
    main()
