"""The quick run of the citation scale benchmark, as the citations issue asks of CI: it runs end to
end (readouts indexed, articles matched by two processes and through the flag job's own steps)
and finds the quotes it planted. Its timings are printed, never asserted."""

from __future__ import annotations

import re

from conftest import run_bench


def test_quick_citation_scale_run_finds_the_planted_quotes_in_parallel_and_through_the_flag_job():
    out = run_bench(
        "citations_scale.py",
        *("--readouts", "300", "--articles", "600", "--workers", "2"),
        *("--naive-sample", "2", "--flag-job-articles", "300"),
    )
    assert "600 articles matched" in out and "by 2 process(es)" in out
    assert float(re.search(r"\(recall (\d\.\d+)\)", out).group(1)) >= 0.95
    found, quoting = map(
        int, re.search(r"(\d+) of (\d+) quoting articles cite their readout$", out, re.M).groups()
    )
    assert quoting > 30 and found >= 0.95 * quoting
    rows = int(re.search(r"index ([\d,]+) rows", out).group(1).replace(",", ""))
    assert 200 * 300 < rows < 500 * 300  # some 320 rare 4-grams a readout


def test_the_bytes_bench_on_real_readouts_stores_every_page_and_prints_its_ratio():
    # It exits 1 unless all 60 pages were stored.
    out = run_bench("crawl_throughput.py", "--pages", "60", "--real-texts")
    first, after = re.search(r"raw bytes per page \(x(\d\.\d\d), x(\d\.\d\d)\)", out).groups()
    assert 0 < float(first) <= float(after) < 1
    assert out.rstrip().endswith("--menu-links 200 --real-texts")
