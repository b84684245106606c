"""Pages parsed without fetching: ``readouts import`` of a wget WARC, and ``readouts reprocess``.

A local site of readout-like pages (about 23 KB each, mostly menus, as in crawl_throughput.py)
is captured by Debian's wget into a WARC; then, each a whole command timed as a user sees it:
1. ``readouts import`` of that WARC into an empty archive (parse + store + flag job);
2. the same import again (every record already imported: the cost of idempotence);
3. ``readouts reprocess`` after a new ``drop_selectors`` rule (every page re-extracted);
4. ``readouts reprocess`` again (nothing changes: the cost of checking).

Usage: python bench/import_reprocess.py [--pages 1000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from staticsite import ROOT, StaticSite

from readouts.demo.sitegen import site_pages, sources_toml

MENU_LINKS = 200


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args(argv)
    if shutil.which("wget") is None:
        sys.exit("skipped: needs wget (apt-get install wget)")
    pages = site_pages(args.pages, menu_links=MENU_LINKS)
    with StaticSite(pages) as site, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run(
            ["wget", "-q", "--warc-file=site", "-r", "-l", "inf", "--no-parent", "-e"]
            + ["robots=off", "-P", str(folder / "mirror"), f"{site.base_url}/news/"],
            cwd=folder,
            check=False,
        )
        warc = folder / "site.warc.gz"
        first, changed = folder / "first.toml", folder / "changed.toml"
        first.write_text(sources_toml(site.base_url), encoding="utf-8")
        rule = {"drop_selectors": ["article p:first-of-type"]}
        changed.write_text(sources_toml(site.base_url, **rule), encoding="utf-8")
        readouts = [sys.executable, "-m", "readouts", "--db", str(folder / "bench.db")]
        figures = {
            "import": timed(readouts + ["--sources", str(first), "import", str(warc)]),
            "import_again": timed(readouts + ["--sources", str(first), "import", str(warc)]),
            "reprocess": timed(readouts + ["--sources", str(changed), "reprocess"]),
            "reprocess_again": timed(readouts + ["--sources", str(changed), "reprocess"]),
        }
        size = warc.stat().st_size
    print(f"{args.pages} pages, WARC {size / 1e6:.1f} MB (wget)")
    for name, seconds in figures.items():
        print(f"{name:16} {seconds:7.1f} s  {args.pages / seconds:7.1f} pages/s")
    return figures


if __name__ == "__main__":
    main()
