"""Run the main benchmarks: small sizes by default (a minute or two), ``--full`` for the
sizes recorded in docs/benchmarks.md and docs/citations.md (the 30,000 x 300,000 citation run,
half an hour, is its own command: see docs/citations.md).

Usage: python bench/run_all.py [--full]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import citations_pan13  # noqa: E402
import citations_quotes  # noqa: E402
import citations_scale  # noqa: E402
import crawl_throughput  # noqa: E402
import flag_job  # noqa: E402
from _shared import eval_dir  # noqa: E402

SIZES = {
    False: {"pages": 300, "versions": 10_000, "readouts": 1_000, "articles": 5_000, "quotes": 150},
    True: {
        "pages": 5_000,
        "versions": 100_000,
        "readouts": 3_000,
        "articles": 30_000,
        "quotes": 600,
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the documented sizes (slow)")
    full = parser.parse_args().full
    sizes = SIZES[full]
    crawl_throughput.main(["--pages", str(sizes["pages"])])
    print()
    flag_job.main(["--versions", str(sizes["versions"])])
    if eval_dir() is None:
        print("\ncitation benchmarks skipped: ../shared/eval is not present")
        return
    print()
    citations_scale.main(
        ["--readouts", str(sizes["readouts"]), "--articles", str(sizes["articles"])]
    )
    print()
    citations_quotes.main(["--seed", "1", "--articles", str(sizes["quotes"])])
    if full:
        print()
        citations_pan13.main(["--no-grid"])


if __name__ == "__main__":
    main()
