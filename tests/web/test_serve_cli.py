"""``readouts serve``: the one-shot ``--get`` mode, a base URL for a proxy, clear errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from readouts.cli import cli


def serve(db_path, *args):
    return CliRunner().invoke(cli, ["--db", str(db_path), "serve", *args])


def test_get_prints_a_canned_query_and_exits_zero(archive):
    result = serve(archive[0], "--get", "/archive/removed_readouts.json?_shape=array")
    assert result.exit_code == 0, result.output
    assert [row["http_status"] for row in json.loads(result.output)] == [404]


def test_get_of_a_missing_page_exits_one(archive):
    assert serve(archive[0], "--get", "/-/readouts/document/999999").exit_code == 1


def test_a_mistyped_path_is_a_404_page_not_a_traceback_with_the_requests_locals(archive):
    result = serve(archive[0], "--get", "/no-such-database")
    assert result.exit_code == 1
    assert "<title>Error 404</title>" in result.output
    assert "Traceback" not in result.output and "locals" not in result.output


def test_base_url_prefixes_every_link(archive, ids):
    result = serve(archive[0], "--base-url", "/news/archive/", "--get", "/archive/recent_flags")
    assert result.exit_code == 0, result.output
    assert f'href="/news/archive/-/readouts/document/{ids["readout"]}"' in result.output
    assert 'href="/news/archive/-/readouts/readouts.css"' in result.output
    feed = serve(archive[0], "--base-url", "/news/archive/", "--get", "/archive/flags_feed.atom")
    assert '<link href="/news/archive/-/readouts/' in feed.output


def test_missing_database_is_a_clear_error(tmp_path):
    result = serve(tmp_path / "nothing.db", "--get", "/")
    assert result.exit_code == 1
    assert "No archive at" in result.output and "readouts crawl" in result.output
    assert not (tmp_path / "nothing.db").exists()


def test_base_url_must_be_a_path(archive):
    result = serve(archive[0], "--base-url", "news", "--get", "/")
    assert result.exit_code == 2 and "must start and end with /" in result.output
