"""Real page pairs (EDGI's web-monitoring samples), each served as two crawls of one URL.

``falsepos-*`` pairs differ only in noise (a changing footer carousel, a view counter and the
day's date, re-written navigation links): no ``edited_readout`` flag. ``truepos-*`` pairs differ
in what a reader cares about (a dataset link, a photo and its caption, the text): one flag each.
Where a site needs a noise rule, the source carries the rule a user would write for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Readouts, query

from readouts.demo.server import SiteServer

FIXTURES = Path(__file__).parent / "fixtures" / "edgi"
# pair name → extra source fields (the site's noise rules)
PAIRS = {
    "falsepos-footer": "",
    # The page shows today's date at the top, which the date extractor would take as the
    # publication date: drop that widget (the view counter is outside the main text).
    "falsepos-num-views": 'drop_selectors = [".eonCurDate"]',
    "falsepos-small-changes": "",
    # A page of several "highlights": the generic extractor keeps only one of them, so the
    # source names the content block and its links ("View this Dataset") count as text.
    "truepos-dataset-removal": 'content_selector = "main"',
    "truepos-image-removal": "",
    "truepos-major-changes": "",
}
# The same num-views pair without its rule: the changing "today" date is taken for the
# publication date, so the rule is what keeps that pair quiet.
UNRULY = "falsepos-num-views-norules"


def _page(pair: str, side: str) -> bytes:
    return (FIXTURES / f"{pair.removesuffix('-norules')}-{side}.html").read_bytes()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edgi")
    with SiteServer() as server:
        names = [*PAIRS, UNRULY]
        toml = []
        for name in names:
            server.set(f"/{name}/", f'<html><body><a href="/{name}/doc">doc</a></body></html>')
            server.set(f"/{name}/doc", _page(name, "a"))
            toml.append(
                f'[sources.{name}]\nkind = "readout"\nspider = "generic"\n'
                f'start_urls = ["{server.url(f"/{name}/")}"]\nitem_pattern = "/{name}/doc$"\n'
                f"delay = 0\n{PAIRS.get(name, '')}\n"
            )
        sources = tmp / "sources.toml"
        sources.write_text("\n".join(toml), encoding="utf-8")
        readouts = Readouts(tmp / "archive.db", sources)
        first = readouts("crawl", *names)
        assert first.returncode == 0, first.stdout + first.stderr
        for name in names:
            server.set(f"/{name}/doc", _page(name, "b"))
        second = readouts("crawl", "--recheck", *names)
        assert second.returncode == 0, second.stdout + second.stderr
        yield readouts, server


def _flags(readouts, name, kind):
    return query(
        readouts.db_path,
        "SELECT f.* FROM flags f WHERE f.source = ? AND f.kind = ? ORDER BY f.id",
        [name, kind],
    )


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.startswith("falsepos")])
def test_noise_only_pair_raises_no_edit_flag(crawled, pair):
    readouts, _ = crawled
    assert len(_flags(readouts, pair, "new_readout")) == 1
    assert _flags(readouts, pair, "edited_readout") == []
    versions = query(
        readouts.db_path,
        "SELECT v.id FROM versions v JOIN documents d ON d.id = v.document_id WHERE d.source = ?",
        [pair],
    )
    assert len(versions) == 1


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.startswith("truepos")])
def test_real_change_pair_raises_one_edit_flag_from_its_stored_change(crawled, pair):
    readouts, _ = crawled
    flags = _flags(readouts, pair, "edited_readout")
    assert len(flags) == 1
    change = query(
        readouts.db_path, "SELECT * FROM changes WHERE to_version_id = ?", [flags[0]["version_id"]]
    )[0]
    assert change["summary"] in flags[0]["summary"]
    assert json.loads(change["kinds"])


def test_removed_dataset_link_is_a_removed_paragraph(crawled):
    readouts, _ = crawled
    [flag] = _flags(readouts, "truepos-dataset-removal", "edited_readout")
    assert "1 paragraph(s) removed" in flag["summary"]
    diff = readouts("diff", str(flag["document_id"]))
    assert "[-View this Dataset-]" in diff.stdout, diff.stdout


def test_removed_photo_caption_shows_in_the_flag_and_diff(crawled):
    readouts, _ = crawled
    [flag] = _flags(readouts, "truepos-image-removal", "edited_readout")
    assert "paragraph(s) removed" in flag["summary"]
    diff = readouts("diff", str(flag["document_id"]), "--json")
    removed = [text for op, text in json.loads(diff.stdout)["diff"] if op == -1]
    assert any("President Hu Jintao announced the establishment" in text for text in removed)


def test_rewritten_page_is_classified_with_its_new_title(crawled):
    readouts, _ = crawled
    [flag] = _flags(readouts, "truepos-major-changes", "edited_readout")
    change = query(
        readouts.db_path, "SELECT * FROM changes WHERE to_version_id = ?", [flag["version_id"]]
    )[0]
    kinds = json.loads(change["kinds"])
    assert "title_changed" in kinds and "paragraph_removed" in kinds
    assert "text_edited" in kinds or "truncated" in kinds
    assert change["words_removed"] > 100 and change["share_changed"] > 0.3
    assert "title changed from “Federal Partner Collaboration”" in flag["summary"]


def test_without_its_rule_the_day_date_widget_reads_as_a_date_change(crawled):
    readouts, _ = crawled
    [flag] = _flags(readouts, UNRULY, "edited_readout")
    change = query(
        readouts.db_path, "SELECT kinds FROM changes WHERE to_version_id = ?", [flag["version_id"]]
    )[0]
    assert json.loads(change["kinds"]) == ["date_changed"]


def test_diff_side_by_side_puts_old_and_new_in_two_columns(crawled):
    readouts, _ = crawled
    [flag] = _flags(readouts, "truepos-major-changes", "edited_readout")
    result = readouts("diff", str(flag["document_id"]), "--side-by-side")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if " │ " in line]
    assert any("[-" in row.split(" │ ")[0] for row in rows)
    assert any("{+" in row.split(" │ ")[1] for row in rows)
    assert "\033[" not in result.stdout  # not a terminal: plain markers, no colour codes
