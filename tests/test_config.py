"""A bad sources file: exit status 2 and a message naming the file, the source and the field."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scheduler.sources import load_sources

GOOD = """
[sources.blog]
kind = "commentary"
spider = "generic"
start_urls = ["http://127.0.0.1:1/news/"]
item_pattern = "/\\\\d+/$"
schedule = "6h"
"""


@pytest.mark.parametrize(
    "replace, expected",
    [
        (
            ('spider = "generic"', 'spider = "nope"'),
            "source 'blog', field 'spider': unknown spider 'nope'",
        ),
        (
            ('item_pattern = "/\\\\d+/$"', 'item_pattern = "(["'),
            "source 'blog', field 'item_pattern': bad regular expression",
        ),
        (
            ('schedule = "6h"', 'schedule = "61 * * * *"'),
            "source 'blog', field 'schedule': bad cron expression",
        ),
        (('schedule = "6h"', 'schedule = "soon"'), "source 'blog', field 'schedule'"),
        (('kind = "commentary"\n', ""), "source 'blog', field 'kind': is required"),
        (
            ('item_pattern = "/\\\\d+/$"\n', ""),
            "source 'blog', field 'item_pattern': the generic spider needs item_pattern",
        ),
        (('kind = "commentary"', 'kind = "blog"'), "source 'blog', field 'kind': must be one of"),
        (('schedule = "6h"', 'schedul = "6h"'), "source 'blog', field 'schedul': unknown field"),
        (
            ('schedule = "6h"', 'schedule = "6h"\nproxy = "socks://x"'),
            "source 'blog', field 'proxy': not an http(s) proxy URL",
        ),
        (
            ('schedule = "6h"', 'schedule = "6h"\ntitle_pattern = "(PM"'),
            "source 'blog', field 'title_pattern': bad regular expression",
        ),
        (
            ('schedule = "6h"', 'schedule = "6h"\nmax_retry_after = -1'),
            "source 'blog', field 'max_retry_after': must be at least 0",
        ),
        (
            ('schedule = "6h"', 'schedule = "6h"\nbrowser_headers = "yes"'),
            "source 'blog', field 'browser_headers': must be a bool",
        ),
        (('schedule = "6h"', 'schedule = "6h"\ndelay = "fast"'), "field 'delay': must be a number"),
        (
            ('schedule = "6h"', 'schedule = "6h"\nignore_patterns = ["Views: (\\\\d+"]'),
            "source 'blog', field 'ignore_patterns': bad regular expression",
        ),
        (
            ('schedule = "6h"', 'schedule = "6h"\nignore_patterns = ["(Views)?"]'),
            "source 'blog', field 'ignore_patterns': '(Views)?' matches empty text",
        ),
        (
            ('schedule = "6h"', 'schedule = "6h"\ndrop_selectors = ["div["]'),
            "source 'blog', field 'drop_selectors': bad CSS selector 'div['",
        ),
        (
            ('schedule = "6h"', 'schedule = "6h"\ndrop_selectors = ".views"'),
            "source 'blog', field 'drop_selectors': must be a list",
        ),
        (
            ('schedule = "6h"', 'schedule = "6h"\ncontent_selector = "main >"'),
            "source 'blog', field 'content_selector': bad CSS selector",
        ),
    ],
)
def test_bad_source_is_reported_with_file_source_and_field(tmp_path, replace, expected):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD.replace(*replace), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "readouts",
            "--db",
            str(tmp_path / "x.db"),
            "--sources",
            str(path),
            "sources",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and expected in result.stderr, result.stderr


def test_duplicate_source_name_is_rejected(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD + GOOD, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "readouts",
            "--sources",
            str(path),
            "--db",
            str(tmp_path / "x.db"),
            "sources",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert f"{path}: source 'blog': duplicate source name" in result.stderr, result.stderr
    assert "declared again at line 9" in result.stderr


def test_bundled_sources_file_is_valid():
    sources = load_sources()
    assert sources.sources and all(
        s.kind in ("readout", "commentary") for s in sources.sources.values()
    )
