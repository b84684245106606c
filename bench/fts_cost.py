"""What full-text search costs: archive size and insert time with and without the FTS index.

Builds two archives of the same N versions — texts of real White House pages (read from
/work/shared/real-pages when present, else the demo readouts), each version made distinct —
one with the full-text migration's triggers and one without, and prints their sizes.

Reproduce: .venv/bin/python bench/fts_cost.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import storage
from crawler.extraction import extract_article
from readouts.demo import content
from storage.documents import Snapshot, save_version

REPO = Path(__file__).resolve().parents[1]
PAGES = next(
    (
        p
        for p in (REPO.parent / "shared" / "real-pages", Path("/work/shared/real-pages"))
        if p.exists()
    ),
    None,
)


def texts() -> list[str]:
    found = []
    if PAGES:
        for page in sorted((PAGES / "whitehouse").glob("*.html")):
            found.append(extract_article(page.read_text(encoding="utf-8"), "http://x/").text)
    demo = [content.KREMLIN_CALL, content.WHITEHOUSE_CALL, content.COMMENTARY]
    return [t for t in found if t] or ["\n".join(page["paragraphs"]) for page in demo]


def build(path: Path, n: int, with_fts: bool) -> float:
    db = storage.open_database(path)
    if not with_fts:
        for table in ("versions", "documents"):
            db[table].disable_fts()
    corpus = texts()
    started = time.perf_counter()
    for i in range(n):
        text = f"{corpus[i % len(corpus)]}\nArchived copy number {i}."
        save_version(db, Snapshot("bench", f"http://x/{i}", "readout", f"Readout {i}", text), None)
    elapsed = time.perf_counter() - started
    db.execute("VACUUM")
    db.close()
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        sizes, times = {}, {}
        for with_fts in (False, True):
            path = Path(tmp) / f"fts-{with_fts}.db"
            times[with_fts] = build(path, n, with_fts)
            sizes[with_fts] = path.stat().st_size
        text_bytes = sum(len(t.encode()) for t in texts()) / len(texts())
    print(f"{n} versions, mean text {text_bytes / 1024:.1f} KiB")
    print(f"without FTS: {sizes[False] / 2**20:.1f} MiB, {times[False]:.1f} s to insert")
    print(f"with FTS:    {sizes[True] / 2**20:.1f} MiB, {times[True]:.1f} s to insert")
    print(
        f"FTS index: +{(sizes[True] - sizes[False]) / 2**20:.1f} MiB "
        f"({(sizes[True] / sizes[False] - 1):.0%} of the archive), "
        f"insert time x{times[True] / times[False]:.2f}"
    )
    print("command: .venv/bin/python bench/fts_cost.py", n)


if __name__ == "__main__":
    main()
