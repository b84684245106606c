"""Every canned query and plugin page, through Datasette's own test client."""

from __future__ import annotations

import re
import sqlite3

import pytest

from readouts.web.canned import canned_queries

DB = "archive"


def rows(web, path: str) -> list[dict]:
    base, _, query = path.partition("?")
    response = web.get(f"{base}.json?_shape=array&{query}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("name", sorted(canned_queries()))
def test_every_canned_query_answers_json_and_html(web, name):
    assert web.get(f"/{DB}/{name}.json").json()["ok"] is True
    page = web.get(f"/{DB}/{name}")
    assert page.status_code == 200
    assert "<h1" in page.text and 'class="message-error"' not in page.text


def test_recent_flags_lists_the_week_newest_first(web, ids):
    flags = rows(web, f"/{DB}/recent_flags")
    kinds = {flag["kind"] for flag in flags}
    assert {"new_readout", "edited_readout", "removed_readout", "quote_drift"} <= kinds
    assert [f["created_at"] for f in flags] == sorted(
        (f["created_at"] for f in flags), reverse=True
    )
    assert {f["kind"] for f in rows(web, f"/{DB}/recent_flags?kind=removed_readout")} == {
        "removed_readout"
    }


def test_recent_flags_html_links_documents_and_versions(web, ids):
    html = web.get(f"/{DB}/recent_flags").text
    assert f'href="/-/readouts/document/{ids["readout"]}"' in html
    assert f'href="/-/readouts/version/{ids["edit_version"]}"' in html


def test_edited_readouts_link_to_their_diff(web, ids):
    edits = rows(web, f"/{DB}/edited_readouts")
    kremlin = [e for e in edits if e["document_id"] == ids["readout"]]
    assert kremlin and kremlin[0]["words_removed"] >= 17
    assert (
        f'href="/-/readouts/change/{kremlin[0]["change_id"]}"'
        in web.get(f"/{DB}/edited_readouts").text
    )


def test_removed_readouts_name_the_readout_taken_down(web, ids):
    removed = rows(web, f"/{DB}/removed_readouts")
    assert [(r["document_id"], r["http_status"], r["status_now"]) for r in removed] == [
        (ids["removed"], 404, "removed")
    ]


def test_citations_of_a_readout_by_id_or_url(web, ids):
    by_id = rows(web, f"/{DB}/readout_citations?readout={ids['readout']}")
    assert ids["citation"] in [r["citation_id"] for r in by_id]
    readout_url = web.get(f"/{DB}/documents/{ids['readout']}.json?_shape=array").json()[0]["url"]
    by_url = rows(web, f"/{DB}/readout_citations?readout={readout_url}")
    assert [r["citation_id"] for r in by_url] == [r["citation_id"] for r in by_id]
    assert rows(web, f"/{DB}/readout_citations?readout={ids['removed']}") == []


def test_quote_drift_shows_the_passage_gone_from_the_readout(web, ids):
    drift = rows(web, f"/{DB}/quote_drift")
    assert [d["citation_id"] for d in drift] == [ids["citation"]]
    assert "positive response" in drift[0]["drifted_passages"]


def test_document_history_lists_versions_and_removal(web, ids):
    history = rows(web, f"/{DB}/document_history?document={ids['removed']}")
    assert [h["event"] for h in history] == ["first archived", "removed"]
    history = rows(web, f"/{DB}/document_history?document={ids['readout']}")
    assert [v["version"] for v in history if v["version_id"]] == [1, 2]
    assert [h["counterpart_id"] for h in history if h["event"] == "counterpart found"] == [
        ids["counterpart"]
    ]


def test_search_finds_words_a_readout_no_longer_contains(web, ids):
    found = rows(web, f"/{DB}/search_readouts?words=positive+response")
    assert [(f["document_id"], f["version"]) for f in found] == [(ids["readout"], 1)]
    assert "\x02positive\x03" in found[0]["snippet"]
    html = web.get(f"/{DB}/search_readouts?words=positive+response").text
    assert "<mark>positive</mark>" in html


def test_search_by_date_range_and_stemming(web):
    assert rows(web, f"/{DB}/search_readouts?words=discussing&since=2017-11-22") == [
        r
        for r in rows(web, f"/{DB}/search_readouts?words=discussing")
        if r["published_at"] >= "2017-11-22"
    ]
    assert rows(web, f"/{DB}/search_readouts?words=syria&until=2017-11-01") == []
    assert rows(web, f"/{DB}/search_readouts?words=") == []
    assert rows(web, f"/{DB}/search_readouts?words=%22unbalanced") == []


def test_versions_table_has_full_text_search(web, ids):
    found = rows(web, f"/{DB}/versions?_search=businesslike")
    assert {r["document_id"] for r in found} >= {ids["readout"]}


def test_table_pages_sort_newest_first_and_offer_facets(web):
    data = web.get(f"/{DB}/flags.json?_shape=objects&_extra=facet_results").json()
    created = [r["created_at"] for r in data["rows"]]
    assert created == sorted(created, reverse=True)
    html = web.get(f"/{DB}/documents").text
    for facet in ("source", "kind", "status"):
        assert f'data-column="{facet}"' in html


def test_metadata_describes_every_column_of_the_design_tables(web):
    for table, columns in {
        "documents": ["url", "status", "published_at"],
        "versions": ["version", "content_hash"],
        "flags": ["kind", "related_document_id"],
        "citations": ["spans", "status"],
        "fetches": ["status", "error"],
        "runs": ["mode", "outcome"],
    }.items():
        html = web.get(f"/{DB}/{table}").text
        for column in columns:
            assert re.search(rf"<dt>{column}</dt>\s*<dd>\w", html), (table, column)


def test_the_binary_citation_index_is_hidden_from_the_table_list_but_described(web):
    tables = [t["name"] for t in web.get(f"/{DB}.json").json()["tables"] if not t["hidden"]]
    assert "citations" in tables and "citation_postings" not in tables
    assert "rebuilds it" in web.get(f"/{DB}/citation_postings").text


def test_sources_notes_show_description_and_licence(web):
    html = web.get(f"/{DB}/sources").text
    assert "CC BY 4.0" in html and "The Kremlin&#39;s English site" in html


def test_document_page_links_versions_changes_and_citations(web, ids):
    html = web.get(f"/-/readouts/document/{ids['readout']}").text
    assert "Telephone conversation with US President Donald Trump" in html
    assert f"/-/readouts/change/{ids['change']}" in html
    assert f"/-/readouts/citation/{ids['citation']}" in html
    assert f"/-/readouts/version/{ids['edit_version']}" in html
    assert "CC BY 4.0" in html


def test_change_page_shows_inline_and_side_by_side_diff(web, ids):
    inline = web.get(f"/-/readouts/change/{ids['change']}").text
    assert "<del>substantive</del>" in inline and "<ins>constructive</ins>" in inline
    assert "unchanged paragraph" in inline
    side = web.get(f"/-/readouts/change/{ids['change']}?layout=side").text
    assert 'class="ro-diff ro-side"' in side and '<div class="ro-before">' in side


def test_version_page_diffs_against_the_previous_version(web, ids):
    html = web.get(f"/-/readouts/version/{ids['edit_version']}").text
    assert "<ins>constructive</ins>" in html and "version 1" in html


def test_a_diff_between_equal_texts_says_the_text_is_the_same(web, ids):
    """As when only the title or the date changed: not "no word changed (typography only)"."""
    html = web.get(f"/-/readouts/version/{ids['edit_version']}?against=2").text
    assert "The text is the same in both versions." in html and "No word changed" not in html
    edited = web.get(f"/-/readouts/version/{ids['edit_version']}?against=1").text
    assert "The text is the same" not in edited and "<ins>constructive</ins>" in edited


def test_first_version_page_shows_its_text(web, ids):
    first = rows(web, f"/{DB}/document_history?document={ids['readout']}")[0]["version_id"]
    html = web.get(f"/-/readouts/version/{first}").text
    assert "the first version archived" in html and "businesslike and substantive" in html


def test_citation_page_highlights_passages_in_both_texts(web, ids):
    html = web.get(f"/-/readouts/citation/{ids['citation']}").text
    assert html.count('<mark class="ro-quote ro-drifted" id="article-') >= 1
    assert html.count('<mark class="ro-quote ro-drifted" id="readout-') >= 1
    assert 'id="article-1"' in html and 'id="readout-1"' in html
    assert "the current readout no longer says this" in html


def test_missing_ids_answer_404(web):
    for page in ("document", "version", "change", "citation"):
        assert web.get(f"/-/readouts/{page}/999999").status_code == 404


def test_malformed_ids_answer_404_like_missing_ones(web):
    pages = ("document", "version", "change", "citation", "counterparts")
    for bad_id in ("abc", "-1", "1.5", "99999999999999999999999"):
        for page in pages:
            assert web.get(f"/-/readouts/{page}/{bad_id}").status_code == 404, (page, bad_id)
        assert web.get(f"/-/readouts/document/{bad_id}.atom").status_code == 404, bad_id


def test_atom_feed_overall_and_per_source(web):
    feed = web.get(f"/{DB}/flags_feed.atom")
    assert feed.status_code == 200 and "<feed" in feed.text
    assert "[edited_readout]" in feed.text and "[quote_drift]" in feed.text
    kremlin = web.get(f"/{DB}/flags_feed.atom?source=demo-whitehouse").text
    assert "demo-whitehouse" in kremlin and "demo-commentary" not in kremlin


def test_atom_feed_of_a_source_without_flags_is_valid(web):
    feed = web.get(f"/{DB}/flags_feed.atom?source=nothing-here")
    assert feed.status_code == 200 and "No flags yet" in feed.text


def test_charts_page_is_wired_to_the_canned_queries(web):
    html = web.get("/-/dashboards/readouts").text
    assert "Edited and removed readouts per day" in html and "citations_per_readout" in html
    data = rows(web, f"/{DB}/edits_and_removals_by_day")
    assert {d["what"] for d in data} == {"edited", "removed"}
    assert rows(web, f"/{DB}/citations_per_readout")[0]["citations"] == 2


def test_archive_is_read_only(web):
    """The connections Datasette reads through refuse writes themselves (``mode=ro``), so no
    page, query or plugin that reads can change the archive; and no canned query writes."""
    archive = web.datasette.get_database(DB)
    flags = web.loop.run_until_complete(archive.execute("SELECT count(*) FROM flags")).rows[0][0]
    assert flags

    def delete(conn):
        conn.execute("DELETE FROM flags")
        conn.commit()

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        web.loop.run_until_complete(archive.execute_fn(delete))
    left = web.loop.run_until_complete(archive.execute("SELECT count(*) FROM flags")).rows[0][0]
    assert left == flags
    assert not [name for name, query in canned_queries().items() if query.get("write")]


def test_readout_feed_carries_each_edit_as_an_escaped_word_diff(web, ids):
    from xml.etree import ElementTree

    response = web.get(f"/-/readouts/document/{ids['readout']}.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ElementTree.fromstring(response.text).findall(f"{atom}entry")
    assert len(entries) == 2
    newest, first = (entry.find(f"{atom}content") for entry in entries)
    assert newest.get("type") == "html" and first.get("type") == "html"
    assert "<del>substantive</del>" in newest.text and "<ins>constructive</ins>" in newest.text
    assert "&lt;del&gt;" in response.text  # the HTML travels as escaped text
    assert "First archived" in entries[1].find(f"{atom}title").text


def test_feed_of_a_hostile_readout_keeps_its_markup_inert(web, ids):
    from xml.etree import ElementTree

    response = web.get(f"/-/readouts/document/{ids['hostile']}.atom")
    assert response.status_code == 200
    atom = "{http://www.w3.org/2005/Atom}"
    contents = [c.text for c in ElementTree.fromstring(response.text).iter(f"{atom}content")]
    assert contents and all("<script" not in html and "<img" not in html for html in contents)
    assert any("&lt;script&gt;" in html for html in contents)  # shown as text, not run


def test_feed_of_an_unknown_document_is_a_404(web):
    assert web.get("/-/readouts/document/999999.atom").status_code == 404


def test_the_captures_table_shows_each_header_list_as_its_text_linked(web, ids):
    """Header lists are stored once, apart from the captures: the table still reads them."""
    html = web.get(f"/{DB}/captures?id={ids['capture']}").text
    shown = re.findall(r'<a href="/archive/capture_headers/\d+">([^<]*)</a>', html)
    assert [text.replace("&#34;", '"') for text in shown] == [
        '[["User-Agent", "readouts"], ["If-None-Match", null]]',
        '[["ETag", null]]',
    ]
    assert re.search(r'class="col-header_values[^>]*>\[&#34;\\&#34;2\\&#34;&#34;', html), html
