"""``readouts import``: captures made by Debian's wget, as WARC and wrapped in a WACZ package."""

from __future__ import annotations

import gzip
import io
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import brotli
import pytest
import zstandard
from conftest import Readouts, query
from killharness import archive_problems, run_and_kill
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from readouts.demo import content
from readouts.demo.site import Page
from readouts.demo.sitegen import item_path, make_readout, site_pages, sources_toml
from storage.timeutil import utc_now

pytestmark = pytest.mark.skipif(
    shutil.which("wget") is None, reason="needs wget (apt-get install wget)"
)

VERSIONS = (
    "SELECT d.source, d.url, v.version, v.seen_at, v.origin, v.title, v.text, v.published_at"
    " FROM versions v JOIN documents d ON d.id = v.document_id ORDER BY d.url, v.version"
)


def wget_warc(base_url: str, start_paths: list[str], directory: Path) -> Path:
    """A WARC of the site as Debian's wget records it (request and response records, digests)."""
    subprocess.run(
        ["wget", "-q", "--warc-file=site", "-r", "-l", "3", "--no-parent", "-e", "robots=off"]
        + ["-P", str(directory / "mirror")]
        + [base_url + path for path in start_paths],
        cwd=directory,
        timeout=120,
        check=False,  # wget exits 8 when some link answered 404; the WARC is still whole
    )
    return directory / "site.warc.gz"


@pytest.fixture
def demo_warc(tmp_path, demo_site) -> Path:
    return wget_warc(demo_site.server.base_url, list(demo_site.LISTINGS.values()), tmp_path)


@pytest.fixture
def capture_window(demo_site):
    """(before, after) the wget run, as the archive writes times: captures fall in between."""
    before = utc_now()
    yield lambda: (before, utc_now())


def test_import_of_a_wget_warc_reads_each_readout_as_a_live_crawl_does(
    tmp_path, demo_site, capture_window, demo_warc, readouts, demo_sources
):
    window = capture_window()
    result = readouts("import", str(demo_warc))
    assert result.returncode == 0, result.stderr
    imported = query(readouts.db_path, VERSIONS)
    assert {row["url"] for row in imported} == {
        demo_site.server.url(path)
        for path, page in demo_site.pages.items()
        if page.section in ("kremlin", "whitehouse")
    }
    for row in imported:
        assert row["origin"] == "archive"
        assert window[0] <= row["seen_at"] <= window[1]  # dated by its capture

    crawled_db = tmp_path / "crawled.db"
    crawl = Readouts(crawled_db, demo_sources)("crawl", "demo-kremlin", "demo-whitehouse")
    assert crawl.returncode == 0, crawl.stderr
    crawled = {row["url"]: row for row in query(crawled_db, VERSIONS)}
    for row in imported:
        live = crawled[row["url"]]
        assert (row["title"], row["text"], row["published_at"]) == (
            live["title"],
            live["text"],
            live["published_at"],
        )
    # History, not news: as for a Wayback capture, only the latest version announces itself.
    flags = query(readouts.db_path, "SELECT kind, summary FROM flags WHERE kind LIKE '%readout'")
    assert all("web archive capture" in flag["summary"] for flag in flags)


def exchanges(warc: Path) -> dict[str, dict]:
    """Each response record of a WARC by URL, with its request record (paired by
    ``WARC-Concurrent-To``, either way): header blocks as written, payload as stored."""
    responses, requests = {}, {}
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type not in ("request", "response"):
                continue
            block = record.http_headers.to_bytes(encoding="latin-1")
            ids = {
                record.rec_headers.get_header(h) for h in ("WARC-Record-ID", "WARC-Concurrent-To")
            }
            if record.rec_type == "request":
                requests.update(dict.fromkeys(ids - {None}, block))
            else:
                url = record.rec_headers.get_header("WARC-Target-URI")
                responses[url] = {"ids": ids, "block": block, "payload": record.raw_stream.read()}
    return {
        url: {**found, "request": next((requests[i] for i in found["ids"] if i in requests), None)}
        for url, found in responses.items()
    }


def test_an_imported_wget_exchange_is_exported_as_wget_recorded_it(tmp_path, demo_site, readouts):
    """Status line, headers, the body as transferred (gzip kept) and the request record."""
    from readouts.demo.server import Resource

    server = demo_site.server
    html = urllib.request.urlopen(server.url(content.KREMLIN_CALL_PATH)).read()
    squeezed = gzip.compress(html, mtime=0)
    sent = {
        "Content-Encoding": "gzip",
        "X-Note": "café",
        "X-Utf8": "café".encode().decode("latin-1"),
    }
    server.set(content.KREMLIN_CALL_PATH, Resource(body=squeezed, headers=sent))
    server._httpd.RequestHandlerClass.protocol_version = "HTTP/1.0"  # wget asks in HTTP/1.1
    warc = wget_warc(server.base_url, list(demo_site.LISTINGS.values()), tmp_path)
    assert readouts("import", str(warc)).returncode == 0
    exported = tmp_path / "export.warc.gz"
    result = readouts("export", str(exported))
    assert result.returncode == 0, result.stderr
    assert "0 reconstructed" in result.stdout

    recorded, written = exchanges(warc), exchanges(exported)
    items = set(row["url"] for row in query(readouts.db_path, "SELECT url FROM documents"))
    assert items and items <= set(written)
    for url in items:
        assert written[url]["block"] == recorded[url]["block"], url
        assert written[url]["payload"] == recorded[url]["payload"], url
        assert written[url]["request"] == recorded[url]["request"], url
    assert written[server.url(content.KREMLIN_CALL_PATH)]["payload"] == squeezed
    assert written[url]["block"].startswith(b"HTTP/1.0 200 OK\r\n")
    assert (
        written[url]["request"].startswith(b"GET ") and b" HTTP/1.1\r\n" in written[url]["request"]
    )
    # Header bytes outside ASCII as wget recorded them (warcio reads them as UTF-8 or Latin-1).
    lines = b"X-Note: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\n"
    assert lines in gzip.decompress(warc.read_bytes())
    assert lines in gzip.decompress(exported.read_bytes())
    # Its own export imported back adds no exchange: the same ones, under new record ids.
    kept = query(readouts.db_path, "SELECT count(*) AS n FROM captures")
    assert readouts("import", str(exported)).returncode == 0
    assert query(readouts.db_path, "SELECT count(*) AS n FROM captures") == kept

    # An exchange deleted by hand: verify names it, and the export rebuilds its version.
    database = sqlite3.connect(readouts.db_path)
    with database:
        database.execute(
            "DELETE FROM captures WHERE id = (SELECT max(capture_id) FROM imported_records"
            " WHERE version_id IS NOT NULL)"
        )
    database.close()
    checked = readouts("verify")
    assert checked.returncode == 1 and "row(s) of imported_records point to rows" in checked.stdout
    again = readouts("export", str(tmp_path / "again.warc.gz"))
    assert again.returncode == 0 and ", 1 reconstructed response" in again.stdout, again.stdout
    check = subprocess.run(
        [Path(sys.executable).with_name("warcio"), "check", "-v", exported],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "fail" not in check.stdout, check.stdout + check.stderr


def handmade_warc(path: Path, exchanges: list[tuple[str, bytes, str | None]]) -> list[int]:
    """An uncompressed WARC of (URL, body, Content-Encoding) responses, each followed by its
    request record, as Heritrix writes them; the offset each response record starts at."""
    offsets = []
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        for url, body, encoding in exchanges:
            headers = [("Content-Type", "text/html; charset=utf-8")]
            headers += [("Content-Encoding", encoding)] if encoding else []
            response = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
            )
            request = writer.create_warc_record(
                url,
                "request",
                http_headers=StatusAndHeaders(
                    f"GET {urllib.parse.urlsplit(url).path} HTTP/1.1",
                    [("Host", urllib.parse.urlsplit(url).netloc), ("Cookie", "session=1")],
                    is_http_request=True,
                ),
                warc_headers_dict={
                    "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")
                },
            )
            offsets.append(stream.tell())
            writer.write_record(response)
            writer.write_record(request)
    return offsets


def readout_pages(demo_site) -> list[tuple[str, bytes]]:
    urls = [
        demo_site.server.url(path)
        for path, page in sorted(demo_site.pages.items())
        if page.section in ("kremlin", "whitehouse")
    ]
    return [(url, urllib.request.urlopen(url).read()) for url in urls]


def test_bodies_in_any_content_coding_import_and_a_bomb_is_refused(tmp_path, demo_site, readouts):
    """warcio cannot decode brotli (with brotli 1.2) nor zstd, which Scrapy asks for."""
    (first, html), (second, other), (third, last) = readout_pages(demo_site)[:3]
    bomb = gzip.compress(html + b" " * (11 * 1024 * 1024))  # past the crawl's DOWNLOAD_MAXSIZE
    warc = tmp_path / "codings.warc"
    handmade_warc(
        warc,
        [
            (first, brotli.compress(html), "br"),
            (second, zstandard.ZstdCompressor().compress(gzip.compress(other)), "gzip, zstd"),
            (third, bomb, "gzip"),
        ],
    )
    result = readouts("import", str(warc))
    assert result.returncode == 0, result.stderr
    assert "new version: 2, undecodable body: 1" in result.stdout
    titles = query(
        readouts.db_path,
        "SELECT d.url, v.title FROM versions v JOIN documents d ON d.id = v.document_id ORDER BY d.url",
    )
    assert [row["url"] for row in titles] == sorted([first, second])
    assert all(row["title"] for row in titles)


def test_a_file_cut_inside_a_records_warc_headers_keeps_every_capture_before_it(
    tmp_path, demo_site, readouts
):
    pages = readout_pages(demo_site)[:3]
    whole = tmp_path / "whole.warc"
    offsets = handmade_warc(whole, [(url, html, None) for url, html in pages])
    data = whole.read_bytes()
    header_end = data.index(b"\r\n\r\n", offsets[2])
    for cut in range(offsets[2] + 1, header_end, 7):
        (tmp_path / "cut.warc").write_bytes(data[:cut])
        result = readouts("import", str(tmp_path / "cut.warc"))
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
        if result.returncode == 1:
            assert f"corrupt or truncated at record offset {offsets[2]}" in result.stderr
        kept = query(
            readouts.db_path,
            "SELECT r.url, h.headers FROM imported_records r JOIN captures c ON c.id = r.capture_id"
            " JOIN capture_headers h ON h.id = c.request_headers_id ORDER BY r.offset",
        )
        assert [row["url"] for row in kept] == [url for url, _ in pages[:2]], cut
        assert all('["Cookie", "****"]' in row["headers"] for row in kept)
    # Cut right after the last record's "Content-Length:", which warcio reads as 0.
    length = data.rindex(b"Content-Length: ") + len(b"Content-Length:")
    (tmp_path / "cut.warc").write_bytes(data[:length])
    result = readouts("import", str(tmp_path / "cut.warc"))
    assert result.returncode == 1 and "Content-Length is no number" in result.stderr


def test_a_revisit_in_a_file_given_before_its_original_is_resolved_in_the_same_import(
    tmp_path, demo_site, readouts
):
    [(url, html)] = readout_pages(demo_site)[:1]
    first = tmp_path / "first.warc"
    handmade_warc(first, [(url, html, None)])
    with first.open("rb") as stream:
        (original,) = [r.rec_headers for r in ArchiveIterator(stream) if r.rec_type == "response"]
    later = tmp_path / "later.warc"
    with later.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        writer.write_record(
            writer.create_revisit_record(
                url,
                original.get_header("WARC-Payload-Digest"),
                url,
                original.get_header("WARC-Date"),
                http_headers=StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"
                ),
                warc_headers_dict={"WARC-Date": "2030-01-01T00:00:00Z"},
            )
        )
    result = readouts("import", str(later), str(first))
    assert result.returncode == 0, result.stderr
    assert "unresolved" not in result.stdout
    assert "2 item page(s), known content: 1, new version: 1" in result.stdout
    exchanges = query(readouts.db_path, "SELECT status, captured_at FROM captures ORDER BY id")
    assert [row["captured_at"] for row in exchanges][-1].startswith("2030-01-01")


def test_importing_the_same_file_twice_adds_nothing(demo_warc, readouts):
    assert readouts("import", str(demo_warc)).returncode == 0
    tables = (
        "SELECT (SELECT count(*) FROM versions) v, (SELECT count(*) FROM flags) f,"
        " (SELECT count(*) FROM pages) p, (SELECT count(*) FROM imported_records) r"
    )
    before = query(readouts.db_path, tables)
    again = readouts("import", str(demo_warc))
    assert again.returncode == 0, again.stderr
    assert "already imported: 3" in again.stdout
    assert query(readouts.db_path, tables) == before


def test_truncated_file_stops_naming_the_file_and_record_offset_and_the_rest_imports_later(
    tmp_path, demo_warc, readouts
):
    data = demo_warc.read_bytes()
    truncated = tmp_path / "truncated.warc.gz"
    truncated.write_bytes(data[: len(data) * 2 // 5])
    result = readouts("import", str(truncated))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Error: {truncated}: corrupt or truncated at record offset " in result.stderr
    offset = int(result.stderr.split("record offset ")[1].split(":")[0])
    stored = query(readouts.db_path, "SELECT offset FROM imported_records ORDER BY offset")
    assert stored and all(row["offset"] < offset for row in stored)
    assert archive_problems(readouts.db_path) == []
    # What came in before the damage went through the flag job, as any import does.
    imported = query(readouts.db_path, "SELECT document_id FROM versions WHERE origin = 'archive'")
    flagged = query(readouts.db_path, "SELECT document_id FROM flags WHERE kind = 'new_readout'")
    assert imported and flagged == imported
    assert "new flag" in result.stdout

    whole = readouts("import", str(demo_warc))
    assert whole.returncode == 0, whole.stderr
    assert len(query(readouts.db_path, "SELECT * FROM versions")) == 3


def test_garbage_in_place_of_a_record_is_a_clear_error(tmp_path, readouts):
    corrupt = tmp_path / "corrupt.warc"
    corrupt.write_bytes(b"this is not a WARC record\r\n" * 10)
    result = readouts("import", str(corrupt))
    assert result.returncode == 1
    assert f"Error: {corrupt}: corrupt or truncated at record offset 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_file_is_an_error_not_an_import_of_nothing(tmp_path, readouts):
    for name in ("empty.warc", "empty.warc.gz"):
        empty = tmp_path / name
        empty.write_bytes(b"")
        result = readouts("import", str(empty))
        assert result.returncode == 1
        assert f"Error: {empty}: corrupt or truncated at record offset 0: the file is empty" in (
            result.stderr
        )


def test_bytes_quoted_from_a_damaged_file_are_printed_as_escapes(tmp_path, demo_warc, readouts):
    data = bytearray(demo_warc.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 20] = bytes(b ^ 0xFF for b in data[middle : middle + 20])
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(bytes(data))
    result = readouts("import", str(damaged))
    assert result.returncode == 1
    message = result.stderr.split("Error: ", 1)[1]
    assert message.strip().isprintable()
    assert f"{damaged}: corrupt or truncated at record offset " in message


def test_a_file_that_is_no_capture_file_is_a_usage_error(tmp_path, readouts):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    result = readouts("import", str(other))
    assert result.returncode == 2
    assert "is not a .warc, .warc.gz, .arc, .arc.gz or .wacz file" in result.stderr


def wacz_around(warc: Path, path: Path) -> Path:
    """A WACZ 1.1.1 package holding ``warc``: archive/, pages/pages.jsonl, datapackage.json."""
    pages = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    with zipfile.ZipFile(path, "w") as package:
        package.write(warc, f"archive/{warc.name}")
        package.writestr("pages/pages.jsonl", "\n".join(pages) + "\n")
        package.writestr(
            "datapackage.json",
            json.dumps({"profile": "data-package", "wacz_version": "1.1.1", "resources": []}),
        )
    return path


def test_a_wacz_package_imports_like_the_warc_it_holds(tmp_path, demo_warc, readouts):

    package = wacz_around(demo_warc, tmp_path / "site.wacz")
    assert readouts("import", str(package)).returncode == 0
    plain = Readouts(tmp_path / "plain.db", readouts.sources_path)
    assert plain("import", str(demo_warc)).returncode == 0
    assert query(readouts.db_path, VERSIONS) == query(tmp_path / "plain.db", VERSIONS)
    files = query(readouts.db_path, "SELECT DISTINCT file FROM imported_records")
    assert files == [{"file": f"{package}!archive/site.warc.gz"}]


def test_a_wacz_made_by_py_wacz_from_a_wget_warc_imports_like_the_warc(
    tmp_path, demo_warc, readouts
):
    """``wacz create`` (webrecorder's py-wacz, in the tools venv) packages wget's WARC with its
    own index and pages list: a package written by neither engineer here."""
    from test_warc import tool

    package = tmp_path / "wget.wacz"
    made = subprocess.run(
        [tool("wacz"), "create", "-o", package, demo_warc],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    result = readouts("import", str(package))
    assert result.returncode == 0, result.stdout + result.stderr
    plain = Readouts(tmp_path / "plain.db", readouts.sources_path)
    assert plain("import", str(demo_warc)).returncode == 0
    versions = query(readouts.db_path, VERSIONS)
    assert len(versions) == 3 and versions == query(tmp_path / "plain.db", VERSIONS)


def test_killed_import_keeps_the_archive_sound_and_carries_on(tmp_path, db_path, server):
    pages = 40
    for path, html in site_pages(pages).items():
        server.set(path, html)
    warc = wget_warc(server.base_url, ["/news/"], tmp_path)
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server.base_url), encoding="utf-8")
    command = [sys.executable, "-m", "readouts", "--db", str(db_path), "--sources", str(sources)]
    command += ["import", str(warc)]

    def started() -> bool:
        try:
            return bool(query(db_path, "SELECT 1 FROM imported_records LIMIT 1"))
        except Exception:  # the schema is not there yet
            return False

    kill = run_and_kill(command, rng=random.Random(14), max_delay=0.3, ready=started)
    assert kill.killed, kill
    assert archive_problems(db_path) == []
    partly = len(query(db_path, "SELECT * FROM imported_records"))
    assert 0 < partly < pages
    finish = run_and_kill(command, rng=random.Random(0), max_delay=600)
    assert not finish.killed and finish.returncode == 0, finish
    versions = query(db_path, VERSIONS)
    assert len(versions) == pages
    for number in range(1, pages + 1):
        row = next(row for row in versions if row["url"] == server.url(item_path(number)))
        assert make_readout(number).paragraphs[-1] in row["text"]


def test_a_record_whose_bytes_changed_fails_its_digest(tmp_path, demo_warc, readouts):
    data = gzip.decompress(demo_warc.read_bytes())
    at = data.index(b"Telephone conversation")
    corrupt = tmp_path / "flipped.warc"
    corrupt.write_bytes(data[:at] + b"X" + data[at + 1 :])
    result = readouts("import", str(corrupt))
    assert result.returncode == 1
    assert f"Error: {corrupt}: corrupt or truncated at record offset " in result.stderr
    assert "digest failed" in result.stderr


def test_arc_records_are_read_with_a_key_that_is_the_same_on_every_read(tmp_path):
    from crawler.importer import read_records

    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hello</html>"
    version = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    arc = tmp_path / "old.arc"
    arc.write_bytes(
        b"filedesc://old.arc 0.0.0.0 20200101000000 text/plain %d\n%s\n" % (len(version), version)
        + b"http://example.org/a 1.2.3.4 20200102030405 text/html %d\n%s\n" % (len(http), http)
    )
    first, again = list(read_records(str(arc))), list(read_records(str(arc)))
    assert [(r.url, r.captured_at, r.status, r.body) for r in first] == [
        ("http://example.org/a", "2020-01-02T03:04:05+00:00", 200, b"<html>hello</html>")
    ]
    assert [r.key for r in first] == [r.key for r in again]


def test_a_site_spider_reads_imported_captures_as_it_reads_live_pages(tmp_path, db_path, server):
    from spider_sites import crawler, documents
    from test_spiders_kremlin import serve_kremlin
    from test_spiders_kremlin import sources as kremlin_sources

    serve_kremlin(server, broken="none")
    news = ["/en/events/president/news", "/ru/events/president/news"]
    warc = wget_warc(server.base_url, news, tmp_path)
    imported = crawler(tmp_path, db_path, kremlin_sources(server))
    result = imported("import", str(warc))
    assert result.returncode == 0, result.stderr
    assert "item page(s), new version: 8\n" in result.stdout  # listing pages are no items
    live = crawler(tmp_path, tmp_path / "live.db", kremlin_sources(server))
    assert live("crawl", "kremlin-en", "kremlin-ru").returncode == 0
    fields = ("source", "title", "text", "published_at", "language", "metadata")
    got, expected = documents(db_path), documents(tmp_path / "live.db")
    assert set(got) == set(expected) and len(got) >= 4  # both languages, each to its source
    for url, document in got.items():
        assert [document[name] for name in fields] == [expected[url][name] for name in fields]


def live_then_two_404s(tmp_path, demo_site) -> list[Path]:
    """Three wget WARCs of the demo site, in capture order: every readout answering, then two
    captures of the second readout removed (404)."""
    warcs = []
    for number in range(3):
        if number == 1:
            demo_site.remove(content.SECOND_READOUT_PATH)
        directory = tmp_path / f"wget{number}"
        directory.mkdir()
        paths = list(demo_site.LISTINGS.values()) if number == 0 else [content.SECOND_READOUT_PATH]
        warcs.append(wget_warc(demo_site.server.base_url, paths, directory))
    return warcs


def test_a_wget_404_counts_once_and_only_a_second_one_in_a_later_file_removes_the_readout(
    tmp_path, demo_site, readouts
):
    """A 404 in another tool's WARC is one observation, however often the file is imported;
    a second 404, captured later, makes the readout ``removed`` with its ``removed_readout``."""
    warcs = live_then_two_404s(tmp_path, demo_site)
    status = (
        "SELECT d.status, d.missing_count, (SELECT count(*) FROM flags f WHERE"
        " f.document_id = d.id AND f.kind = 'removed_readout') AS flags FROM documents d"
        " WHERE d.url = ?"
    )
    url = demo_site.server.url(content.SECOND_READOUT_PATH)
    assert readouts("import", str(warcs[0])).returncode == 0
    for outcome in ("gone: 1", "already imported: 1"):
        once = readouts("import", str(warcs[1]))
        assert once.returncode == 0, once.stderr
        assert outcome in once.stdout
        assert query(readouts.db_path, status, [url]) == [
            {"status": "live", "missing_count": 1, "flags": 0}
        ]
    twice = readouts("import", str(warcs[2]))
    assert twice.returncode == 0, twice.stderr
    assert "gone: 1" in twice.stdout
    assert query(readouts.db_path, status, [url]) == [
        {"status": "removed", "missing_count": 2, "flags": 1}
    ]

    # An archive that saw the readout answer after those captures keeps it: they are history.
    demo_site.add(Page(content.SECOND_READOUT_PATH, "kremlin", content.SECOND_READOUT))
    later = Readouts(tmp_path / "later.db", readouts.sources_path)
    assert later("crawl", "demo-kremlin").returncode == 0
    for warc in warcs[1:]:
        assert later("import", str(warc)).returncode == 0
    assert query(later.db_path, status, [url]) == [
        {"status": "live", "missing_count": 0, "flags": 0}
    ]


@pytest.mark.parametrize("order", [(2, 0, 1), (2, 1, 0)])
def test_wget_warcs_imported_in_any_order_remove_what_capture_order_removes(
    tmp_path, demo_site, readouts, order
):
    """Two 404s captured after the readout's page remove it whichever file comes first, even a
    404 read before the capture that makes the document."""
    warcs = live_then_two_404s(tmp_path, demo_site)
    url = demo_site.server.url(content.SECOND_READOUT_PATH)

    imported = readouts("import", *(str(warcs[number]) for number in order))

    assert imported.returncode == 0, imported.stderr
    assert "gone: 2" in imported.stdout and "unknown document" not in imported.stdout
    removal = query(
        readouts.db_path,
        "SELECT d.status, d.missing_count, d.removed_at, (SELECT count(*) FROM flags f WHERE"
        " f.document_id = d.id AND f.kind = 'removed_readout') AS flags FROM documents d"
        " WHERE d.url = ?",
        [url],
    )
    second_404 = query(
        readouts.db_path,
        "SELECT captured_at FROM imported_records WHERE url = ? ORDER BY captured_at DESC LIMIT 1",
        [url],
    )[0]["captured_at"]
    assert removal == [
        {"status": "removed", "missing_count": 2, "removed_at": second_404, "flags": 1}
    ]


def test_a_404_imported_before_any_page_of_its_document_says_to_import_it_again(
    tmp_path, demo_site, readouts
):
    warcs = live_then_two_404s(tmp_path, demo_site)
    early = readouts("import", str(warcs[1]))
    assert readouts("import", str(warcs[0]), str(warcs[2])).returncode == 0
    again = readouts("import", str(warcs[1]))

    assert early.returncode == 0, early.stderr
    assert early.stdout.splitlines()[0] == (
        "1 capture(s) read, 1 item page(s), unknown document: 1 (unknown document: a 404 or 304"
        " of a page no import or crawl has stored; import its file again once a file holding"
        " the page is in)"
    )
    assert "gone: 1" in again.stdout
    url = demo_site.server.url(content.SECOND_READOUT_PATH)
    assert query(readouts.db_path, "SELECT status FROM documents WHERE url = ?", [url]) == [
        {"status": "removed"}
    ]
