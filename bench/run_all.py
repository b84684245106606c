"""Run every benchmark: small sizes by default (a minute or two), ``--full`` for the sizes
recorded in docs/benchmarks.md.

Usage: python bench/run_all.py [--full]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import crawl_throughput  # noqa: E402
import flag_job  # noqa: E402

SIZES = {
    False: {"pages": 300, "versions": 10_000},
    True: {"pages": 5_000, "versions": 100_000},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the documented sizes (slow)")
    sizes = SIZES[parser.parse_args().full]
    crawl_throughput.main(["--pages", str(sizes["pages"])])
    print()
    flag_job.main(["--versions", str(sizes["versions"])])


if __name__ == "__main__":
    main()
