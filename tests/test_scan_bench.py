"""The quick run of the news-scan benchmark: CC-NEWS-like WARC files from bench/ccnews.py
(real readouts from ../shared/eval/readout-corpus), scanned on 1 and then 2 Dask workers.
The stored citations must match the generator's truth and be the same on both runs; timings
are printed, never asserted."""

from __future__ import annotations

import re

import pytest
from conftest import run_bench

pytestmark = pytest.mark.timeout(300)


def test_scanned_citations_match_the_truth_and_do_not_depend_on_the_worker_count():
    out = run_bench(
        "scan_throughput.py",
        *("--pages", "600", "--files", "2", "--readouts", "150", "--range-mb", "2"),
        "--no-profile",
        timeout=280,
    )
    runs = re.findall(
        r"^(\d) worker\(s\): .* precision (\d\.\d+), recall (\d\.\d+) \((\d+) pairs found",
        out,
        re.M,
    )
    assert [workers for workers, *_ in runs] == ["1", "2"], out
    for _, precision, recall, found in runs:
        assert float(precision) >= 0.97 and float(recall) >= 0.97, out
        assert int(found) >= 5
    assert "citations identical: True" in out
