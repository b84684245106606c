"""Round trip: a crawled archive exported as WACZ and imported into an empty archive is the same.

The site on 127.0.0.1 holds HTML readouts and commentary (the generic spider), a GOV.UK
stand-in whose items are JSON Content API answers, and a WordPress blog read through its REST
API: items fetched from another address than the document's, the case where what was captured
and what was stored differ most.
"""

from __future__ import annotations

import json
import time
import zipfile

import pytest
from conftest import Readouts, query
from govuk_site import GovukSite, pm_call
from test_spiders_wordpress import api_post, serve_api_site, slug_path
from warcio.archiveiterator import ArchiveIterator

import storage
from readouts.demo import content
from readouts.demo.server import Resource
from readouts.demo.site import DemoSite, Page

MACRON = pm_call(
    "pm-call-with-president-macron-12-march-2024",
    "PM call with President Macron: 12 March 2024",
    "2024-03-12T18:00:00.000+00:00",
    ["The Prime Minister spoke to President Macron this evening.", "They discussed Ukraine."],
)
MACRON_EDITED = {
    **MACRON,
    "details": {
        **MACRON["details"],
        "body": '<div class="govspeak"><p>The Prime Minister spoke to President Macron this'
        " evening.</p><p>They discussed Ukraine and the Middle East.</p></div>",
    },
}
DOCUMENTS = "SELECT source, url, kind, title, published_at, language, status FROM documents"
VERSIONS = (
    "SELECT d.url, v.version, v.seen_at, v.title, v.text, v.published_at FROM versions v"
    " JOIN documents d ON d.id = v.document_id ORDER BY d.url, v.version"
)


def wordpress_post(server, paragraphs: list[str]) -> None:
    """The blog's post with text (``serve_api_site``'s has none: a parse error in its test)."""
    post = api_post(
        server.url("/api-site"), "broken-post", "2026-08-11T20:00:00", "A post", paragraphs
    )
    server.set(
        slug_path("/api-site", "broken-post"),
        Resource(json.dumps([post]), content_type="application/json; charset=UTF-8"),
    )


@pytest.fixture
def site(server):
    """The demo site and the GOV.UK stand-in on one server, one sources file for both."""
    demo = DemoSite(server)
    govuk = GovukSite(server)
    govuk.add(MACRON)
    serve_api_site(server)
    wordpress_post(server, ["A post that reads the Kremlin readout closely."])
    return demo, govuk


@pytest.fixture
def sources(tmp_path, site, server):
    demo, _ = site
    path = tmp_path / "sources.toml"
    path.write_text(
        demo.sources_toml()
        + f"""
[sources.govuk-pm]
kind = "readout"
spider = "govuk"
base_url = "{server.base_url}"
delay = 0

[sources.api-site]
kind = "commentary"
spider = "wordpress"
base_url = "{server.url("/api-site")}"
delay = 0
""",
        encoding="utf-8",
    )
    return path


def crawl(readouts, *args):
    result = readouts(
        "crawl", "demo-kremlin", "demo-whitehouse", "demo-commentary", "govuk-pm", "api-site", *args
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("captures_kept", [True, False], ids=["captures", "before-captures"])
def test_wacz_export_imported_into_an_empty_archive_gives_the_same_documents_and_versions(
    tmp_path, server, site, sources, captures_kept
):
    """Without captures (an archive made by an earlier release), every version is exported as
    a reconstructed response at its document's URL: the round trip holds as well."""
    demo, govuk = site
    crawled = Readouts(tmp_path / "crawled.db", sources)
    crawl(crawled)
    time.sleep(1.1)  # capture times are to the second: keep the versions apart
    demo.replace(content.KREMLIN_CALL_PATH, content.KREMLIN_CALL_EDITED)
    govuk.put(MACRON_EDITED)
    wordpress_post(server, ["A post that reads the Kremlin readout closely.", "An update."])
    crawl(crawled, "--recheck")  # edits, unchanged re-fetches (revisits) and 304 answers
    versions = query(crawled.db_path, VERSIONS)
    assert len({v["url"] for v in versions}) < len(versions)  # some document has two versions

    if not captures_kept:
        database = storage.open_database(crawled.db_path)
        database.execute("DELETE FROM captures")
        database.close()

    package = tmp_path / "archive.wacz"
    exported = crawled("export", str(package))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    reconstructed = int(exported.stdout.split(" reconstructed")[0].rsplit(" ", 1)[1])
    assert reconstructed == (0 if captures_kept else len(versions))

    imported = Readouts(tmp_path / "imported.db", sources)
    result = imported("import", str(package))
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(query(imported.db_path, DOCUMENTS), key=str) == sorted(
        query(crawled.db_path, DOCUMENTS), key=str
    )
    assert query(imported.db_path, VERSIONS) == versions
    again = imported("import", str(package))
    assert again.returncode == 0 and query(imported.db_path, VERSIONS) == versions
    # Imported history raises only the latest capture's flag, and verify agrees it is whole.
    checked = imported("verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Exported again, each exchange at a document's own URL is the record it was imported from
    # (an item read from an API was captured at another address: its versions are rebuilt).
    repackaged = tmp_path / "again.wacz"
    assert imported("export", str(repackaged)).returncode == 0
    urls = {row["url"] for row in query(crawled.db_path, DOCUMENTS)}
    first, second = http_records(package, urls), http_records(repackaged, urls)
    assert bool(first) == captures_kept and sorted(set(first) ^ set(second)) == []
    assert second == first


def http_records(wacz, urls: set[str]) -> dict[tuple, tuple]:
    """(URL, date, type) → (HTTP header block, payload, request block) of each response and
    revisit record of the package at one of ``urls``, but those our export rebuilt."""
    found, requests = {}, {}
    with zipfile.ZipFile(wacz) as package, package.open("archive/data.warc.gz") as stream:
        for record in ArchiveIterator(stream):
            headers = record.rec_headers
            url = headers.get_header("WARC-Target-URI")
            if url not in urls or record.http_headers is None:
                continue
            if headers.get_header("WARC-Readouts-Reconstructed"):
                continue
            block = record.http_headers.to_bytes(encoding="latin-1")
            if record.rec_type == "request":
                requests[headers.get_header("WARC-Concurrent-To")] = block
                continue
            key = (url, headers.get_header("WARC-Date"), record.rec_type)
            found[key] = (block, record.raw_stream.read(), headers.get_header("WARC-Record-ID"))
    return {
        key: (block, payload, requests.get(rid)) for key, (block, payload, rid) in found.items()
    }


STATUS_EVENTS = (
    "SELECT d.url, e.old_status, e.new_status, e.http_status FROM status_events e"
    " JOIN documents d ON d.id = e.document_id ORDER BY e.id"
)
STATUS_FLAGS = (
    "SELECT f.kind, d.url FROM flags f JOIN documents d ON d.id = f.document_id"
    " WHERE f.kind IN ('removed_readout', 'restored_readout') ORDER BY f.id"
)


def archive_state(db_path) -> tuple:
    documents = sorted(query(db_path, DOCUMENTS), key=str)
    return documents, query(db_path, STATUS_EVENTS), query(db_path, STATUS_FLAGS)


def test_a_removal_and_a_restoration_come_back_from_export_and_import(
    tmp_path, demo_site, demo_sources
):
    """A readout answering 404 on two runs is ``removed`` with its ``removed_readout``; back,
    it is ``live`` with its ``restored_readout``: the import replays the 404 captures (the
    second a revisit of the first) and the 200 after them through the crawl's own rules."""
    crawled = Readouts(tmp_path / "crawled.db", demo_sources)
    crawl_kremlin = ("crawl", "demo-kremlin", "--recheck")
    assert crawled(*crawl_kremlin).returncode == 0
    demo_site.remove(content.SECOND_READOUT_PATH)
    for _ in range(2):
        time.sleep(1.1)  # capture times are to the second: keep the runs apart
        assert crawled(*crawl_kremlin).returncode == 0
    removed = archive_state(crawled.db_path)
    assert [event["new_status"] for event in removed[1]] == ["removed"]
    assert crawled("export", str(tmp_path / "removed.wacz")).returncode == 0

    demo_site.add(Page(content.SECOND_READOUT_PATH, "kremlin", content.SECOND_READOUT))
    time.sleep(1.1)
    assert crawled(*crawl_kremlin).returncode == 0
    restored = archive_state(crawled.db_path)
    assert [event["new_status"] for event in restored[1]] == ["removed", "live"]
    assert crawled("export", str(tmp_path / "restored.wacz")).returncode == 0

    for name, expected in (("removed", removed), ("restored", restored)):
        imported = Readouts(tmp_path / f"{name}.db", demo_sources)
        package = str(tmp_path / f"{name}.wacz")
        result = imported("import", package)
        assert result.returncode == 0, result.stdout + result.stderr
        assert archive_state(imported.db_path) == expected
        again = imported("import", package)
        assert again.returncode == 0 and archive_state(imported.db_path) == expected
