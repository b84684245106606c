"""Counterpart readouts in Datasette: two accounts of one event side by side, what each omits."""

from __future__ import annotations

import re

import storage
from readouts.demo import content
from readouts.web.counterparts import alignment, anchors, evidence_phrases, swapped_topics

DB = "archive"
ASSAD = "Bashar al-Assad"  # only the Kremlin's readout mentions him
GENEVA = "UN-led Geneva process"  # only the White House's readout mentions it
REPORTED = "Washington&#39;s own account stressed the Geneva process instead."


def rows(web, path: str) -> list[dict]:
    base, _, params = path.partition("?")
    response = web.get(f"{base}.json?_shape=array&{params}")
    assert response.status_code == 200, response.text
    return response.json()


def sentence_items(html: str) -> list[str]:
    return re.findall(r'<li class="ro-sentence[^"]*" id="[AB]\d+">.*?</li>', html, re.S)


def test_page_shows_both_readouts_and_why_they_are_linked(web, ids):
    html = web.get(f"/-/readouts/counterparts/{ids['counterpart']}").text
    for title in (content.KREMLIN_CALL_EDITED["title"], content.WHITEHOUSE_CALL["title"]):
        assert title in html
    assert f'href="/-/readouts/document/{ids["readout"]}"' in html
    assert f'href="/-/readouts/document/{ids["whitehouse"]}"' in html
    assert "both name Putin and Trump; published 3.5 h apart; same event day 2017-11-21" in html
    assert "Suggested by detection" in html
    assert f"readouts counterparts {ids['readout']} --reject {ids['whitehouse']}" in html


def test_sentences_only_one_side_reported_are_highlighted(web, ids):
    html = web.get(f"/-/readouts/counterparts/{ids['counterpart']}").text
    items = sentence_items(html)
    only = [item for item in items if "ro-only" in item]
    assert any(ASSAD in item and "only A" in item for item in only)
    assert any(GENEVA in item and "only B" in item for item in only)
    matched = [item for item in items if "ro-only" not in item]
    assert matched and all("≈" in item for item in matched)
    # the summary lists each side's omissions before the sentence-by-sentence view
    summary = html.index("What each side reported alone")
    assert summary < html.index(ASSAD) < html.index("Sentence by sentence")


def test_matched_sentences_sit_on_one_row(web, ids):
    html = web.get(f"/-/readouts/counterparts/{ids['counterpart']}").text
    paired = re.findall(r'<div class="ro-align-row ro-paired">(.*?)</div>', html, re.S)
    assert paired
    for row in paired:
        left, right = re.findall(r'id="([AB]\d+)"', row)
        assert left.startswith("A") and right.startswith("B")
        assert f'href="#{right}"' in row and f'href="#{left}"' in row


def test_left_parameter_puts_that_readout_in_the_left_column(web, ids):
    page = f"/-/readouts/counterparts/{ids['counterpart']}?left={ids['whitehouse']}"
    html = web.get(page).text
    assert html.index(content.WHITEHOUSE_CALL["title"]) < html.index(
        content.KREMLIN_CALL_EDITED["title"]
    )
    assert any(GENEVA in item and "only A" in item for item in sentence_items(html))
    assert f"readouts counterparts {ids['whitehouse']} --confirm {ids['readout']}" in html


def test_hostile_sentences_and_evidence_render_escaped(web, ids):
    html = web.get(f"/-/readouts/counterparts/{ids['hostile_counterpart']}").text
    for raw in ("<script>alert(1)", "<img src=x onerror", "<b onmouseover"):
        assert raw not in html
    assert "The sides discussed &lt;script&gt;alert(1)&lt;/script&gt; and &lt;img" in html
    assert "both name &lt;Script&gt;Alert(1)&lt;/Script&gt; and Putin" in html
    assert "A user rejected this link" in html


def test_document_page_lists_counterparts_with_a_link_to_compare(web, ids):
    html = web.get(f"/-/readouts/document/{ids['readout']}").text
    assert "Other sources' accounts of this event (1)" in html
    assert f'href="/-/readouts/counterparts/{ids["counterpart"]}?left={ids["readout"]}"' in html
    assert "5 sentences only here, 2 only there" in html
    whitehouse = web.get(f"/-/readouts/document/{ids['whitehouse']}").text
    assert "accounts of this event (2)" in whitehouse


def test_counterparts_table_links_readouts_and_the_comparison(web, ids):
    html = web.get(f"/{DB}/counterparts").text
    assert f'href="/-/readouts/counterparts/{ids["counterpart"]}">compare the two accounts' in html
    assert f'href="/-/readouts/document/{ids["whitehouse"]}"' in html
    assert "both name Putin and Trump" in html  # evidence in words, not JSON
    assert 'data-column="status"' in html  # facet
    assert re.search(r"<dt>evidence</dt>\s*<dd>Why they are linked", html)
    profiles = web.get(f"/{DB}/event_profiles").text
    assert re.search(r"<dt>participants</dt>\s*<dd>\w", profiles)
    assert f'href="/-/readouts/version/{ids["edit_version"]}"' in profiles


def test_counterpart_readouts_query_lists_links_and_filters(web, ids):
    links = rows(web, f"/{DB}/counterpart_readouts")
    assert {link["counterpart_id"] for link in links} == {
        ids["counterpart"],
        ids["hostile_counterpart"],
    }
    kremlin = next(link for link in links if link["counterpart_id"] == ids["counterpart"])
    assert (kremlin["a_source"], kremlin["b_source"]) == ("demo-kremlin", "demo-whitehouse")
    assert (kremlin["sentences_only_in_a"], kremlin["sentences_only_in_b"]) == (5, 2)
    assert kremlin["both_name"] == "putin, trump"
    assert rows(web, f"/{DB}/counterpart_readouts?status=confirmed") == []
    suggested = rows(web, f"/{DB}/counterpart_readouts?source=demo-kremlin&status=suggested")
    assert [link["counterpart_id"] for link in suggested] == [ids["counterpart"]]
    assert rows(web, f"/{DB}/counterpart_readouts?source=demo-commentary") == []
    html = web.get(f"/{DB}/counterpart_readouts").text
    assert f'href="/-/readouts/counterparts/{ids["counterpart"]}"' in html


def test_reported_citation_is_shown_as_reported_not_quoted(web, ids):
    html = web.get(f"/-/readouts/citation/{ids['reported_citation']}").text
    assert "reported in other words" in html and "They are not quotations" in html
    assert "similarity 0.71" in html and "confidence 71 %" in html
    assert REPORTED in html and f"“{REPORTED}”" not in html
    assert 'class="ro-quote ro-reported" id="article-1"' in html
    assert 'class="ro-quote ro-reported" id="readout-1"' in html
    assert "the readout: " in html and "supporting the UN-led Geneva process" in html
    article = web.get(f"/-/readouts/document/{ids['article']}").text
    assert "reported in other words</span> 71 % sure" in article


def test_missing_counterpart_answers_404(web):
    assert web.get("/-/readouts/counterparts/999999").status_code == 404


def test_crossing_pairs_are_shown_by_reference_not_reordered():
    # A1≈B2 and A2≈B1 cross: only one can sit level; both orders are kept.
    assert anchors([(0, 1, 0.9), (1, 0, 0.6), (2, 2, 0.7)]) == [(0, 1), (2, 2)]
    shown = alignment(
        {"a_sentences": ["a1", "a2", "a3"], "b_sentences": ["b1", "b2", "b3"],
         "pairs": [[0, 1, 0.9], [1, 0, 0.6], [2, 2, 0.7]], "method": "lexical"}
    )  # fmt: skip
    assert [([s.label for s in r.a], [s.label for s in r.b]) for r in shown.rows] == [
        ([], ["B1"]),
        (["A1"], ["B2"]),
        (["A2"], []),
        (["A3"], ["B3"]),
    ]
    assert shown.only_a == [] and shown.a[1].partners == [(0, 0.6)]
    flipped = alignment(swapped_topics({"a_sentences": ["x"], "b_sentences": [], "pairs": []}))
    assert [s.text for s in flipped.b] == ["x"]


def test_broken_or_hand_made_links_still_render():
    assert alignment("not a dict") is None and alignment({"pairs": [[0, 0, 1]]}) is None
    assert alignment({"a_sentences": ["x"], "b_sentences": ["y"], "pairs": [[5, 0, 1]]}).rows
    assert evidence_phrases({"by": "user"}) == [
        "linked by hand with readouts counterparts --confirm"
    ]
    assert evidence_phrases(
        {"event_days": ["2021-12-30", "2021-12-31"], "kinds": [["call"], ["video_call"]]}
    ) == [  # fmt: skip
        "event days 2021-12-30 and 2021-12-31",
        "one reports a call, the other a video call",
    ]


def test_crawled_demo_counterparts_page_after_a_confirmation(readouts, db_path):
    """End to end: crawl both demo sources, confirm the link, read the page `serve` answers."""
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse").returncode == 0
    db = storage.open_database(db_path)
    link = next(db.query("SELECT * FROM counterparts"))
    whitehouse = db.execute(  # the two crawls run at once: either may store its readout first
        "SELECT id FROM documents WHERE source = 'demo-whitehouse' AND id IN (?, ?)",
        [link["readout_a_id"], link["readout_b_id"]],
    ).fetchone()[0]
    db.close()
    a, b = str(link["readout_a_id"]), str(link["readout_b_id"])
    assert readouts("counterparts", a, "--confirm", b).returncode == 0
    # The White House readout on the left: the Kremlin's, which alone names Assad, is B.
    result = readouts("serve", "--get", f"/-/readouts/counterparts/{link['id']}?left={whitehouse}")
    assert result.returncode == 0, result.stderr
    html = result.stdout
    assert "A user confirmed this link" in html
    assert content.KREMLIN_CALL["title"] in html and ASSAD in html
    items = sentence_items(html)
    assert any(ASSAD in item and "only B" in item for item in items)
    document = readouts("serve", "--get", f"/-/readouts/document/{a}").stdout
    assert f"/-/readouts/counterparts/{link['id']}?left={a}" in document
