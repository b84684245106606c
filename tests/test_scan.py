"""`readouts scan`: citations found in news WARC files on a real Dask LocalCluster.

The same commentary pages are served over HTTP (and crawled by the generic spider) and written
into a WARC file (and scanned): the citations found must be the same, whatever the number of
Dask workers.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from conftest import Readouts, query
from served import free_port
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from analysis.citations.links import url_key
from scan.job import run_scan
from scan.records import WarcReadError, html_captures
from scan.worker import links_a_readout
from storage import open_database
from storage.scans import IndexSnapshot

pytestmark = pytest.mark.timeout(240)

WORDS = (
    "sovereignty corridor grain ceasefire delegation energy reactor border talks envoy summit "
    "sanctions shipment humanitarian convoy pipeline treaty missile drills harbour tariffs "
    "observers inspectors refinery airspace fisheries customs railway bridge reservoir harvest"
).split()


def readout_text(rng: random.Random, number: int) -> str:
    sentences = []
    for k in range(8):
        words = rng.sample(WORDS, 9)
        sentences.append(f"Leader {number} raised the {' '.join(words)} matter number {k}.")
    return " ".join(sentences)


def page(title: str, body: str, links: str = "", lang: str = "en") -> str:
    return (
        f"<html lang='{lang}'><head><title>{title}</title>"
        "<meta property='article:published_time' content='2025-03-0{day}T10:00:00+00:00'>"
        f"</head><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
        f"<article><h1>{title}</h1>{body}{links}</article>"
        "<footer>Copyright the publisher. All rights reserved.</footer></body></html>"
    ).replace("{day}", "3")


@pytest.fixture
def news(server, tmp_path):
    """Three readouts on an official site, twelve commentary pages quoting some of them, and
    a WARC file holding the commentary pages (with other records a news crawl has)."""
    rng = random.Random(7)
    texts = {n: readout_text(rng, n) for n in (1, 2, 3)}
    listing = "".join(f'<a href="/official/{n}">Readout {n}</a> ' for n in texts)
    server.set("/official", f"<html><body>{listing}</body></html>")
    for n, text in texts.items():
        paragraphs = "".join(f"<p>{s}.</p>" for s in text.split(". "))
        server.set(f"/official/{n}", page(f"Readout of call {n}", paragraphs))
    second = texts[2].split(". ")[3]
    bodies = {
        1: f"<p>The readout said: “{texts[1].split('. ')[2]}.” Analysts disagreed.</p>",
        2: f"<p>По словам пресс-службы, «{second}». Комментариев не последовало.</p>",
        3: "".join(f"<p>{s}.</p>" for s in texts[3].split(". ")),  # republished whole
        4: f'<p>See the <a href="{server.url("/official/1")}">official readout</a> of the call '
        "for the details the press office gave about the talks and the summit.</p>",
    }
    for n in range(5, 13):
        bodies[n] = (
            f"<p>Local news item {n}: the council met about {' '.join(WORDS[n : n + 12])}.</p>"
        )
    listing = "".join(f'<a href="/press/{n}">Story {n}</a> ' for n in bodies)
    server.set("/press", f"<html><body>{listing}</body></html>")
    pages = {}
    for n, body in bodies.items():
        pages[f"/press/{n}"] = page(f"Story number {n} about the talks", body)
        server.set(f"/press/{n}", pages[f"/press/{n}"])
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f"""
[sources.official]
kind = "readout"
spider = "generic"
start_urls = ["{server.url("/official")}"]
item_pattern = "/official/\\\\d+$"
delay = 0

[sources.press]
kind = "commentary"
spider = "generic"
start_urls = ["{server.url("/press")}"]
item_pattern = "/press/\\\\d+$"
delay = 0
""",
        encoding="utf-8",
    )
    warc = tmp_path / "news.warc.gz"
    pages = {server.url(path): html for path, html in pages.items()}
    write_warc(warc, pages)
    return {"sources": sources, "warc": warc, "server": server, "pages": pages}


def write_warc(
    path, pages: dict[str, str], captured: dict[str, str] | None = None, gzip: bool = True
) -> None:
    """Request and response records of ``pages``, then what a news crawl also holds: a 404
    and a PDF (neither an article). ``captured`` gives some URLs their WARC-Date (else now)."""
    html = [
        ("200 OK", "text/html; charset=utf-8", url, page.encode()) for url, page in pages.items()
    ]
    others = [
        ("404 Not Found", "text/html", "http://elsewhere.example/missing", b"<html>gone</html>"),
        ("200 OK", "application/pdf", "http://elsewhere.example/a.pdf", b"%PDF-1.4 not html"),
    ]
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=gzip)
        for status, content_type, url, body in html + others:
            if status == "200 OK" and content_type.startswith("text/html"):
                request = io.BytesIO(f"GET {url} HTTP/1.1\r\n\r\n".encode())
                writer.write_record(writer.create_warc_record(url, "request", payload=request))
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], "HTTP/1.1")
            date = (captured or {}).get(url)
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=headers,
                    warc_headers_dict={"WARC-Date": date} if date else None,
                )
            )


def archive_with_readouts(news, tmp_path, name: str):
    """A fresh archive holding the crawled readouts only."""
    db_path = tmp_path / f"{name}.db"
    result = Readouts(db_path, news["sources"])("crawl", "official")
    assert result.returncode == 0, result.stderr
    return db_path


def citations_by_url(db_path) -> list[tuple]:
    return [
        (row["article"], row["readout"], row["method"], row["spans"])
        for row in query(
            db_path,
            "SELECT a.url AS article, r.url AS readout, c.method, c.spans FROM citations c"
            " JOIN documents a ON a.id = c.article_id JOIN documents r ON r.id = c.readout_id"
            " ORDER BY a.url, r.url",
        )
    ]


def test_scan_finds_what_crawling_the_same_pages_finds(news, tmp_path):
    crawled = archive_with_readouts(news, tmp_path, "crawled")
    assert Readouts(crawled, news["sources"])("crawl", "press").returncode == 0
    scanned = archive_with_readouts(news, tmp_path, "scanned")

    result = Readouts(scanned, news["sources"])("scan", str(news["warc"]), "--workers", "1")

    assert result.returncode == 0, result.stderr
    expected = citations_by_url(crawled)
    assert {(a.rsplit("/", 1)[1], m) for a, _, m, _ in expected} == {
        ("1", "quote"),
        ("2", "quote"),
        ("3", "republication"),
        ("4", "link"),
    }
    assert citations_by_url(scanned) == expected
    flags = query(scanned, "SELECT kind, count(*) AS n FROM flags GROUP BY kind ORDER BY kind")
    assert {row["kind"]: row["n"] for row in flags}["new_citation"] == 4
    assert "Scanned 1 WARC file on 1 worker: 26 records, 12 HTML page(s)" in result.stdout
    stored = query(scanned, "SELECT count(*) AS n FROM documents WHERE kind = 'commentary'")
    assert stored == [{"n": 4}]  # the eight pages citing nothing are counted, not stored
    provenance = query(
        scanned,
        "SELECT d.url, c.warc_file, c.record_offset, c.record_digest, c.captured_at"
        " FROM scan_captures c JOIN documents d ON d.id = c.document_id ORDER BY d.url",
    )
    assert len(provenance) == 4
    assert all(row["warc_file"] == str(news["warc"]) for row in provenance)
    assert all(row["record_digest"].startswith("sha1:") for row in provenance)
    origins = query(scanned, "SELECT DISTINCT v.origin FROM versions v JOIN documents d"
                    " ON d.id = v.document_id WHERE d.kind = 'commentary'")  # fmt: skip
    assert origins == [{"origin": "scan"}]


def test_scan_results_are_the_same_with_one_or_two_workers_and_any_split(news, tmp_path):
    one = archive_with_readouts(news, tmp_path, "one")
    shutil.copy(one, tmp_path / "two.db")
    two = tmp_path / "two.db"
    for db_path, workers, range_bytes in ((one, 1, 64 * 1024 * 1024), (two, 2, 2000)):
        db = open_database(db_path)
        try:
            summary = run_scan(db, [str(news["warc"])], workers=workers, range_bytes=range_bytes)
        finally:
            db.close()
        assert summary.workers == workers and summary.records == 26
    assert query(two, "SELECT count(*) AS n FROM scan_ranges")[0]["n"] > 3
    tables = "SELECT id, url, kind, title FROM documents ORDER BY id"
    assert query(one, tables) == query(two, tables)
    assert citations_by_url(one) == citations_by_url(two)


def test_a_file_scanned_once_is_skipped(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "again")
    readouts = Readouts(db_path, news["sources"])
    first = readouts("scan", str(news["warc"]), "--workers", "1", "--json")
    renamed = tmp_path / "renamed.warc.gz"
    shutil.copy(news["warc"], renamed)
    second = readouts("scan", str(renamed), "--workers", "1", "--json")

    assert json.loads(first.stdout)["citing_articles"] == 4
    summary = json.loads(second.stdout)
    assert (summary["files_skipped"], summary["records"], summary["flags"]) == (1, 0, {})
    assert query(db_path, "SELECT count(*) AS n FROM scan_captures") == [{"n": 4}]


def test_an_uncompressed_warc_is_scanned_like_a_gzipped_one_range_by_range(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "plain")
    plain = tmp_path / "news.warc"
    write_warc(plain, news["pages"], gzip=False)
    db = open_database(db_path)
    try:
        summary = run_scan(db, [str(plain)], workers=1, range_bytes=2000)
    finally:
        db.close()

    assert summary.errors == []
    assert (summary.records, summary.citing_articles) == (26, 4)
    assert query(db_path, "SELECT count(*) AS n FROM scan_ranges")[0]["n"] > 3
    assert query(db_path, "SELECT finished_at IS NOT NULL AS done FROM scan_files") == [{"done": 1}]


def record_offsets(path) -> list[int]:
    offsets = []
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        for _ in records:
            offsets.append(records.offset)
            records.read_to_end()
    return offsets


def test_a_warc_cut_anywhere_fails_at_the_record_it_cuts_after_the_records_before(news, tmp_path):
    data = news["warc"].read_bytes()
    offsets = record_offsets(news["warc"])
    cut_file = tmp_path / "cut.warc.gz"
    for percent in range(5, 100, 5):
        cut = len(data) * percent // 100
        cut_file.write_bytes(data[:cut])
        counts = {"records": 0, "html": 0}
        read = []
        with pytest.raises(WarcReadError) as raised:
            read += [capture.offset for capture in html_captures(str(cut_file), 0, -1, counts)]
        cut_record = max(offset for offset in offsets if offset < cut)
        assert raised.value.offset == cut_record, percent
        assert str(raised.value).startswith(f"{cut_file}: unreadable WARC record at offset ")
        assert counts["records"] == offsets.index(cut_record)
        assert all(offset < cut_record for offset in read)


def test_a_truncated_warc_is_named_with_the_offset_keeps_what_was_read_and_is_not_done(
    news, tmp_path
):
    db_path = archive_with_readouts(news, tmp_path, "truncated")
    data = news["warc"].read_bytes()
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[: len(data) * 3 // 10])

    result = Readouts(db_path, news["sources"])("scan", str(broken), "--workers", "1")

    assert result.returncode == 1
    assert f"error: {broken}: unreadable WARC record at offset " in result.stdout
    assert "Traceback" not in result.stderr
    assert query(db_path, "SELECT count(*) AS n FROM scan_ranges") == [{"n": 0}]
    assert query(db_path, "SELECT finished_at FROM scan_files") == [{"finished_at": None}]
    kept = query(db_path, "SELECT count(*) AS n FROM scan_captures")[0]["n"]
    assert 0 < kept < 4  # the citing pages before the cut


def test_a_bad_url_is_an_error_naming_it_and_the_good_files_are_scanned(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "urls")
    missing = news["server"].url("/missing.warc.gz")
    refused = f"http://127.0.0.1:{free_port()}/news.warc.gz"

    result = Readouts(db_path, news["sources"])(
        "scan", missing, str(news["warc"]), refused, "--workers", "2"
    )

    assert result.returncode == 1
    assert f"error: {missing}: cannot fetch it: HTTP 404" in result.stdout
    assert f"error: {refused}: cannot fetch it: " in result.stdout
    # (stderr may hold a Dask worker's heartbeat traceback when the cluster closes on a busy
    # machine: not the scan's)
    assert "Traceback" not in result.stdout and "pickle" not in result.stderr
    assert query(db_path, "SELECT count(*) AS n FROM scan_captures") == [{"n": 4}]


def test_an_unreachable_scheduler_is_a_one_line_usage_error(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "scheduler")
    address = f"tcp://127.0.0.1:{free_port()}"
    command = Readouts(db_path, news["sources"]).command(
        "scan", str(news["warc"]), "--scheduler", address
    )
    quick = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}

    result = subprocess.run(command, capture_output=True, text=True, env=quick, timeout=60)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error = result.stderr.splitlines()[-1]
    assert error.startswith("Error: Invalid value for --scheduler: cannot reach the Dask scheduler")
    assert address in error


@pytest.mark.parametrize(
    "address, says",
    [("10.0.0.5", "missing port number"), ("http://127.0.0.1:8786", "unknown address scheme")],
)
def test_a_scheduler_address_dask_cannot_read_is_a_one_line_usage_error(
    news, tmp_path, address, says
):
    db_path = archive_with_readouts(news, tmp_path, "address")
    command = Readouts(db_path, news["sources"]).command(
        "scan", str(news["warc"]), "--scheduler", address
    )

    result = subprocess.run(command, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error = result.stderr.splitlines()[-1]
    assert error.startswith("Error: Invalid value for --scheduler: not a Dask scheduler address")
    assert says in error


def test_a_path_naming_no_warc_file_is_a_usage_error_naming_it(news, tmp_path):
    readouts = Readouts(tmp_path / "paths.db", news["sources"])
    (tmp_path / "empty").mkdir()
    for path, says in (
        (str(tmp_path / "nothing.warc.gz"), "no such file"),
        (str(tmp_path / "empty" / "*.warc.gz"), "no file matches"),
        (str(tmp_path), "is a directory"),
    ):
        result = readouts("scan", path)

        assert result.returncode == 2, path
        assert f"Error: Invalid value for PATHS: {path}" in result.stderr
        assert says in result.stderr
        assert "Traceback" not in result.stderr


def test_a_corrupt_or_empty_file_is_one_printable_error_each(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "corrupt")
    data = bytearray(news["warc"].read_bytes())
    middle = len(data) // 2
    data[middle : middle + 200] = bytes(
        (byte * 7 + 13) % 256 for byte in data[middle : middle + 200]
    )
    corrupt, empty = tmp_path / "corrupt.warc.gz", tmp_path / "empty.warc.gz"
    corrupt.write_bytes(bytes(data))
    empty.write_bytes(b"")

    result = Readouts(db_path, news["sources"])("scan", str(corrupt), str(empty), "--workers", "1")

    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert output.count(f"{corrupt}: unreadable WARC record at offset ") == 1
    assert all(char.isprintable() for line in output.splitlines() for char in line)
    assert output.count(f"error: {empty}: the file is empty") == 1


def test_a_killed_scan_resumes_where_it_stopped(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "killed")
    warc = tmp_path / "long.warc.gz"
    filler = {
        f"http://elsewhere.example/story/{n}": page(f"Story {n}", f"<p>Weather report {n}.</p>")
        for n in range(300)
    }
    write_warc(warc, {**filler, **news["pages"]})
    command = [
        sys.executable, "-m", "readouts", "--db", str(db_path), "--sources", str(news["sources"]),
        "scan", str(warc), "--workers", "1", "--range-mb", "0.001",
    ]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = query(db_path, "SELECT count(*) AS n FROM scan_ranges")[0]["n"]
        if done >= 2:
            break
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    ranges = query(db_path, "SELECT count(*) AS n FROM scan_ranges")[0]["n"]
    total = query(db_path, "SELECT ranges FROM scan_files")[0]["ranges"]
    assert 2 <= ranges < total

    result = Readouts(db_path, news["sources"])("scan", str(warc), "--range-mb", "0.001")

    assert result.returncode == 0, result.stderr
    assert query(db_path, "SELECT count(*) AS n FROM scan_ranges")[0]["n"] == total
    assert query(db_path, "SELECT count(*) AS n FROM scan_captures") == [{"n": 4}]
    assert query(db_path, "SELECT count(*) AS n FROM versions v JOIN documents d ON"
                 " d.id = v.document_id WHERE d.kind = 'commentary'") == [{"n": 4}]  # fmt: skip


def scan_in_process(db_path, warc, **options):
    db = open_database(db_path)
    try:
        return run_scan(db, [str(warc)], workers=1, **options)
    finally:
        db.close()


def crawled_archive(news, tmp_path, name: str):
    """The readouts and the commentary pages, crawled."""
    db_path = archive_with_readouts(news, tmp_path, name)
    assert Readouts(db_path, news["sources"])("crawl", "press").returncode == 0
    return db_path


def test_captures_with_tracking_parameters_are_filed_under_the_crawled_url(news, tmp_path):
    db_path = crawled_archive(news, tmp_path, "tracking")
    before = query(db_path, "SELECT id, url FROM documents ORDER BY id")
    quoting, linking = news["server"].url("/press/1"), news["server"].url("/press/4")
    warc = tmp_path / "tracking.warc.gz"
    write_warc(
        warc,
        {
            quoting + "?utm_source=rss&utm_medium=feed": news["pages"][quoting],
            linking + "?fbclid=abc123": news["pages"][linking],
        },
    )

    summary = scan_in_process(db_path, warc)

    assert (summary.citing_articles, summary.versions_stored, summary.flags) == (2, 0, [])
    assert query(db_path, "SELECT id, url FROM documents ORDER BY id") == before
    filed = query(db_path, "SELECT d.url FROM scan_captures c JOIN documents d"
                  " ON d.id = c.document_id ORDER BY d.url")  # fmt: skip
    assert filed == [{"url": quoting}, {"url": linking}]


def test_cheap_pass_reads_a_link_whose_ampersands_are_escaped():
    readout = "http://en.kremlin.example/events/president/news/67480"
    key = url_key(readout)
    snapshot = IndexSnapshot(
        np.zeros(0, np.int64), np.zeros(0, np.int32), {key: 1}, {}, (key.split("/")[0],)
    )
    page = f'<p>Read <a href="{readout}?utm_source=twitter&amp;utm_medium=social">it</a>.</p>'

    assert links_a_readout(page, "http://news.example/2021/12/31/call/", snapshot)


def test_an_old_capture_takes_its_place_before_the_crawled_version(news, tmp_path):
    db_path = crawled_archive(news, tmp_path, "old")
    url = news["server"].url("/press/5")  # quotes nothing now; its 2021 text quoted readout 1
    crawled = query(db_path, "SELECT id, first_seen, last_seen FROM documents WHERE url = ?", [url])
    warc = tmp_path / "old.warc.gz"
    write_warc(
        warc,
        {url: news["pages"][news["server"].url("/press/1")]},
        {url: "2021-06-01T10:00:00Z"},
    )

    scan_in_process(db_path, warc)

    versions = query(
        db_path,
        "SELECT version, seen_at, origin FROM versions WHERE document_id = ? ORDER BY version",
        [crawled[0]["id"]],
    )
    assert [(v["version"], v["origin"]) for v in versions] == [(1, "scan"), (2, "crawl")]
    assert versions[0]["seen_at"] == "2021-06-01T10:00:00+00:00"
    document = query(db_path, "SELECT first_seen, last_seen FROM documents WHERE id = ?",
                     [crawled[0]["id"]])[0]  # fmt: skip
    assert document == {
        "first_seen": "2021-06-01T10:00:00+00:00",
        "last_seen": crawled[0]["last_seen"],
    }


def test_a_readout_page_in_a_news_crawl_is_no_citing_article(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "self")
    url = news["server"].url("/official/1")
    before = query(db_path, "SELECT id, version, seen_at, origin FROM versions ORDER BY id")
    warc = tmp_path / "self.warc.gz"
    with urllib.request.urlopen(url) as response:
        write_warc(warc, {url: response.read().decode()}, {url: "2022-01-03T00:00:00Z"})

    summary = scan_in_process(db_path, warc)

    assert (summary.html_records, summary.citing_articles) == (1, 0)
    assert query(db_path, "SELECT id, version, seen_at, origin FROM versions ORDER BY id") == before
    assert query(db_path, "SELECT id FROM documents WHERE last_seen < first_seen") == []


def test_a_dated_scan_leaves_the_other_dates_of_its_files_to_a_later_scan(news, tmp_path):
    db_path = archive_with_readouts(news, tmp_path, "dated")
    january, march = news["server"].url("/press/1"), news["server"].url("/press/2")
    warc = tmp_path / "dated.warc.gz"
    write_warc(
        warc,
        {url: news["pages"][url] for url in (january, march)},
        {january: "2022-01-05T08:00:00Z", march: "2022-03-05T08:00:00Z"},
    )
    captured = "SELECT d.url FROM scan_captures c JOIN documents d ON d.id = c.document_id"

    dated = scan_in_process(db_path, warc, since="2022-01-01", until="2022-01-31")
    assert query(db_path, captured) == [{"url": january}]
    whole = scan_in_process(db_path, warc)
    again = scan_in_process(db_path, warc)

    assert (dated.files_skipped, whole.files_skipped, again.files_skipped) == (0, 0, 1)
    assert whole.citing_articles == 2 and whole.versions_stored == 1
    assert query(db_path, captured + " ORDER BY d.url") == [{"url": january}, {"url": march}]


def test_since_after_until_is_a_usage_error(news, tmp_path):
    result = Readouts(tmp_path / "usage.db", news["sources"])(
        "scan", str(news["warc"]), "--since", "2022-02-01", "--until", "2022-01-01"
    )

    assert result.returncode == 2
    assert "--since is after --until" in result.stderr
