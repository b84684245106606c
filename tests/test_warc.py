"""WARC capture and export, checked with the web-archiving ecosystem's own tools.

``warcio`` (a product dependency) checks and indexes the WARC; ``wacz validate`` and pywb come
from the tools venv ``make test`` builds (``.venv-tools``, or ``READOUTS_TOOLS_VENV``): without
it those tests skip, saying why. Replay is checked in headless Chromium against pywb.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import query
from served import free_port, serving
from warcio.archiveiterator import ArchiveIterator

from readouts.demo import content

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("READOUTS_TOOLS_VENV") or ROOT / ".venv-tools") / "bin"
WARCIO = Path(sys.executable).parent / "warcio"
ALL = ["demo-kremlin", "demo-whitehouse", "demo-commentary"]
ARTIFACTS = ROOT / "test-artifacts"


def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.exists():
        pytest.skip(
            f"{path} is missing: `make tools` builds the tools venv (pip install wacz pywb),"
            " or set READOUTS_TOOLS_VENV to one"
        )
    return path


def crawl(readouts, *args):
    result = readouts("crawl", *ALL, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def export(readouts, path: Path, *args) -> subprocess.CompletedProcess:
    result = readouts("export", str(path), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def records(path: Path) -> list[dict]:
    """Every record of a WARC: its WARC headers, HTTP status, and payload as stored."""
    found = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            found.append(
                {
                    "type": record.rec_type,
                    "warc": dict(record.rec_headers.headers),
                    "status": record.http_headers.get_statuscode() if record.http_headers else None,
                    "http": dict(record.http_headers.headers) if record.http_headers else {},
                    "payload": record.raw_stream.read(),
                }
            )
    return found


def sha1_base32(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


@pytest.fixture
def crawled_twice(readouts, demo_site, server):
    """Two crawls with an edit of the Kremlin readout in between: two versions of it, and
    listing pages fetched again unchanged."""
    crawl(readouts)
    time.sleep(1.1)  # capture times are to the second: keep the two versions apart
    demo_site.replace(content.KREMLIN_CALL_PATH, content.KREMLIN_CALL_EDITED)
    crawl(readouts, "--recheck")
    return server.url(content.KREMLIN_CALL_PATH)


def test_warc_passes_warcio_check_with_request_and_response_per_capture(
    readouts, db_path, tmp_path, crawled_twice
):
    warc = tmp_path / "out.warc.gz"
    export(readouts, warc)
    check = subprocess.run([WARCIO, "check", "-v", warc], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout
    index = subprocess.run([WARCIO, "index", warc], capture_output=True, text=True, check=True)
    kinds = [json.loads(line)["warc-type"] for line in index.stdout.splitlines()]
    stored = query(db_path, "SELECT count(*) AS n FROM captures")[0]["n"]
    assert kinds.count("request") == stored
    assert kinds.count("response") + kinds.count("revisit") == stored
    found = records(warc)
    assert found[0]["type"] == "warcinfo"
    assert {r["warc"]["WARC-Type"] for r in found} >= {"request", "response", "revisit"}
    assert all(r["warc"].get("WARC-Block-Digest") for r in found if r["type"] != "warcinfo")


def test_every_version_of_a_readout_is_a_response_with_the_sha1_payload_digest(
    readouts, tmp_path, crawled_twice
):
    warc = tmp_path / "out.warc.gz"
    export(readouts, warc)
    responses = [
        r
        for r in records(warc)
        if r["type"] == "response" and r["warc"]["WARC-Target-URI"] == crawled_twice
    ]
    assert len(responses) == 2
    first, second = (r["payload"].decode() for r in responses)
    assert "substantive" in first and "constructive" in second
    for response in responses:
        assert response["warc"]["WARC-Payload-Digest"] == sha1_base32(response["payload"])
        assert response["warc"]["WARC-Date"].endswith("Z")


def test_an_unchanged_body_is_stored_once_and_exported_as_a_revisit(
    readouts, db_path, tmp_path, crawled_twice, server
):
    robots = server.url("/robots.txt")  # fetched once per source and crawl, never changed
    digests = {
        r["payload_digest"]
        for r in query(db_path, "SELECT payload_digest FROM captures WHERE url = ?", [robots])
    }
    assert len(digests) == 1
    stored = query(
        db_path, "SELECT count(*) AS n FROM capture_payloads WHERE digest = ?", [digests.pop()]
    )
    assert stored[0]["n"] == 1
    warc = tmp_path / "out.warc.gz"
    export(readouts, warc)
    mine = [r for r in records(warc) if r["warc"].get("WARC-Target-URI") == robots]
    response, *revisits = [r for r in mine if r["type"] != "request"]
    assert response["type"] == "response" and len(revisits) >= 3
    for revisit in revisits:
        assert revisit["type"] == "revisit"
        assert revisit["warc"]["WARC-Profile"].endswith("identical-payload-digest")
        assert revisit["warc"]["WARC-Refers-To-Target-URI"] == robots
        assert revisit["warc"]["WARC-Refers-To-Date"] == response["warc"]["WARC-Date"]
        assert revisit["warc"]["WARC-Payload-Digest"] == response["warc"]["WARC-Payload-Digest"]
        assert revisit["payload"] == b""


def test_a_gzip_answer_is_kept_as_transferred(readouts, db_path, tmp_path, demo_site, server):
    from readouts.demo.server import Resource

    crawl(readouts)
    url = server.url(content.KREMLIN_CALL_PATH)
    html = urllib.request.urlopen(url).read()
    squeezed = gzip.compress(html.replace(b"substantive", b"zipped"), mtime=0)
    server.set(
        content.KREMLIN_CALL_PATH, Resource(body=squeezed, headers={"Content-Encoding": "gzip"})
    )
    crawl(readouts, "--recheck")
    texts = [r["text"] for r in query(db_path, "SELECT text FROM versions ORDER BY id")]
    assert any("zipped" in text for text in texts)  # the spider saw it decoded
    warc = tmp_path / "out.warc.gz"
    export(readouts, warc, "--document", str(_document_id(db_path, url)))
    gzipped = [
        r
        for r in records(warc)
        if r["type"] == "response" and r["http"].get("Content-Encoding") == "gzip"
    ]
    assert len(gzipped) == 1
    assert gzipped[0]["payload"] == squeezed
    assert gzipped[0]["warc"]["WARC-Payload-Digest"] == sha1_base32(squeezed)


def test_header_bytes_outside_ascii_are_exported_as_the_server_sent_them(
    readouts, db_path, tmp_path, demo_site, server
):
    """warcio's writer percent-encodes them; a WARC holds the bytes exchanged."""
    from readouts.demo.server import Resource

    url = server.url(content.KREMLIN_CALL_PATH)
    html = urllib.request.urlopen(url).read()
    sent = {"X-Latin1": "café", "X-Utf8": "café".encode().decode("latin-1")}  # as bytes on the wire
    server.set(content.KREMLIN_CALL_PATH, Resource(body=html, headers=sent))
    crawl(readouts)
    warc = tmp_path / "out.warc.gz"
    export(readouts, warc, "--document", str(_document_id(db_path, url)))
    written = gzip.decompress(warc.read_bytes())  # a gzip member a record
    assert b"\r\nX-Latin1: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\n" in written
    check = subprocess.run([WARCIO, "check", "-v", warc], capture_output=True, text=True)
    assert check.returncode == 0 and "fail" not in check.stdout, check.stdout + check.stderr


def test_a_server_answering_in_http_1_0_is_exported_with_the_http_1_1_request_sent(
    readouts, db_path, tmp_path, demo_site, server
):
    server._httpd.RequestHandlerClass.protocol_version = "HTTP/1.0"
    crawl(readouts)
    warc = tmp_path / "out.warc.gz"
    url = server.url(content.KREMLIN_CALL_PATH)
    export(readouts, warc, "--document", str(_document_id(db_path, url)))
    with warc.open("rb") as stream:
        lines = {
            record.rec_type: f"{record.http_headers.protocol} {record.http_headers.statusline}"
            for record in ArchiveIterator(stream)
            if record.rec_type in ("request", "response")
        }
    assert lines == {
        "response": "HTTP/1.0 200 OK",
        "request": f"GET {content.KREMLIN_CALL_PATH} HTTP/1.1",
    }


def test_a_304_answer_is_exported_as_a_304(readouts, db_path, tmp_path, server):
    static = (
        "<html lang='en'><head><title>Static readout</title></head><body><article>"
        "<h1>Static readout</h1><p>" + "The leaders spoke about trade. " * 8 + "</p></article>"
    )
    path = "/events/president/news/99999"
    server.set(path, static)
    server.set("/events/president/news", f'<html><body><a href="{path}">Static</a></body></html>')
    for args in ([], ["--recheck"]):
        result = readouts("crawl", "demo-kremlin", *args)
        assert result.returncode == 0, result.stdout + result.stderr
    warc = tmp_path / "out.warc.gz"
    export(readouts, warc, "--document", str(_document_id(db_path, server.url(path))))
    answers = [(r["type"], r["status"]) for r in records(warc) if r["type"] != "request"]
    assert answers[1:] == [("response", "200"), ("response", "304")]


def test_versions_stored_before_captures_export_as_marked_reconstructed_responses(
    readouts, db_path, tmp_path
):
    crawl(readouts)
    import storage

    db = storage.open_database(db_path)
    db.execute("DELETE FROM captures")  # as an archive made before captures were kept
    db.close()
    warc = tmp_path / "old.warc.gz"
    result = export(readouts, warc)
    assert "reconstructed" in result.stdout
    found = records(warc)
    versions = query(
        db_path, "SELECT d.url, v.seen_at FROM versions v JOIN documents d ON d.id = v.document_id"
    )
    rebuilt = [r for r in found if r["type"] == "response"]
    assert sorted(r["warc"]["WARC-Target-URI"] for r in rebuilt) == sorted(
        v["url"] for v in versions
    )
    assert all(r["warc"]["WARC-Readouts-Reconstructed"] == "true" for r in rebuilt)
    check = subprocess.run([WARCIO, "check", warc], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_filters_select_source_document_and_dates(readouts, db_path, tmp_path, server):
    crawl(readouts)
    warc = tmp_path / "kremlin.warc.gz"
    export(readouts, warc, "--source", "demo-kremlin")
    kremlin = {r["warc"]["WARC-Target-URI"] for r in records(warc) if r["type"] == "response"}
    expected = {
        r["url"] for r in query(db_path, "SELECT url FROM documents WHERE source = 'demo-kremlin'")
    }
    whitehouse = {
        r["url"]
        for r in query(db_path, "SELECT url FROM documents WHERE source = 'demo-whitehouse'")
    }
    assert expected <= kremlin and not whitehouse & kremlin
    url = server.url(content.KREMLIN_CALL_PATH)
    one = tmp_path / "one.warc.gz"
    export(readouts, one, "--document", str(_document_id(db_path, url)))
    assert {r["warc"]["WARC-Target-URI"] for r in records(one) if r["type"] != "warcinfo"} == {url}
    empty = readouts("export", str(tmp_path / "none.warc.gz"), "--until", "2000-01-01")
    assert empty.returncode == 1 and "Nothing to export" in empty.stderr
    assert not (tmp_path / "none.warc.gz").exists() and not list(tmp_path.glob("*.partial"))


def test_a_path_of_another_kind_is_refused_with_a_message(readouts, tmp_path):
    result = readouts("export", str(tmp_path / "out.zip"))
    assert result.returncode == 1
    assert "must end in .warc.gz" in result.stderr and "Traceback" not in result.stderr


def _document_id(db_path, url) -> int:
    return query(db_path, "SELECT id FROM documents WHERE url = ?", [url])[0]["id"]


@pytest.fixture
def wacz(readouts, tmp_path, crawled_twice) -> Path:
    path = tmp_path / "readouts.wacz"
    export(readouts, path)
    return path


def test_wacz_passes_wacz_validate(wacz):
    result = subprocess.run(
        [tool("wacz"), "validate", "-f", wacz], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_wacz_lists_pages_indexes_every_version_and_hashes_right(wacz, db_path):
    """What ``wacz validate`` does not check: pages list, index, every version's capture."""
    with zipfile.ZipFile(wacz) as package:
        names = set(package.namelist())
        assert {
            "archive/data.warc.gz",
            "indexes/index.cdx.gz",
            "pages/pages.jsonl",
            "datapackage.json",
        } <= names
        assert package.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        datapackage = json.loads(package.read("datapackage.json"))
        assert datapackage["wacz_version"] == "1.1.1"
        for resource in datapackage["resources"]:
            data = package.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)
        pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode().splitlines()
        warc = package.read("archive/data.warc.gz")
    assert pages[0]["format"] == "json-pages-1.0"
    documents = query(db_path, "SELECT url, title FROM documents")
    assert sorted(p["url"] for p in pages[1:]) == sorted(d["url"] for d in documents)
    assert all(p["ts"] and p["title"] for p in pages[1:])
    assert index == sorted(index, key=lambda line: line.split(" ", 2)[:2])
    entries = [json.loads(line.split(" ", 2)[2]) for line in index]
    by_url_time = {(e["url"], line.split(" ")[1]) for e, line in zip(entries, index)}
    versions = query(
        db_path, "SELECT d.url, v.seen_at FROM versions v JOIN documents d ON d.id = v.document_id"
    )
    for version in versions:
        stamp = "".join(ch for ch in version["seen_at"][:19] if ch.isdigit())
        assert (version["url"], stamp) in by_url_time, version
    for entry in entries:  # each index line points at its record
        offset, length = int(entry["offset"]), int(entry["length"])
        record = next(iter(ArchiveIterator(io.BytesIO(warc[offset : offset + length]))))
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]


@pytest.fixture
def pywb(wacz, tmp_path):
    """pywb serving the export from a collection, on 127.0.0.1."""
    work = tmp_path / "pywb"
    work.mkdir()
    manager = tool("wb-manager")
    for command in (["init", "readouts"], ["add", "--unpack-wacz", "readouts", str(wacz)]):
        result = subprocess.run(
            [manager, *command], cwd=work, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [tool("wayback"), "-p", str(port), "-b", "127.0.0.1", "-t", "2"]
    with serving(command, f"{base}/readouts/", "pywb", cwd=work):
        yield base


def test_pywb_replays_each_version_of_a_readout_at_its_capture_time_in_chromium(
    pywb, db_path, crawled_twice, server
):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get)")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    server.stop()  # what Chromium shows can only come from the archive
    versions = query(
        db_path,
        "SELECT v.seen_at FROM versions v JOIN documents d ON d.id = v.document_id"
        " WHERE d.url = ? ORDER BY v.version",
        [crawled_twice],
    )
    stamps = ["".join(ch for ch in v["seen_at"][:19] if ch.isdigit()) for v in versions]
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            shown = []
            for stamp in stamps:
                # As a user opens it: pywb's banner page, the capture in its frame.
                response = page.goto(
                    f"{pywb}/readouts/{stamp}/{crawled_twice}", wait_until="networkidle"
                )
                assert response.status == 200
                replayed = next(f for f in page.frames if f"{stamp}mp_/" in f.url)
                shown.append(replayed.inner_text("body"))
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"pywb-replay-{stamp}.png"))
        finally:
            browser.close()
    assert "substantive" in shown[0] and "constructive" not in shown[0]
    assert "constructive" in shown[1]
