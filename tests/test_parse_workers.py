"""Item pages parsed in a pool of worker processes (``crawler.parsing``): the archive is the one
in-process parsing gives, and the workers do not outlive their crawl process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import psutil
import pytest
from conftest import Readouts, query
from test_spiders_kremlin import serve_kremlin
from test_spiders_kremlin import sources as kremlin_sources
from test_spiders_wordpress import POSTS, api_post, serve_api_site, slug_path

from readouts.demo.server import Resource
from readouts.demo.sitegen import item_path, make_readout, render_readout, site_pages, sources_toml

WORKERS = "READOUTS_PARSE_WORKERS"
FALLBACK = "in the crawl process"  # what crawler.parsing logs when a worker could not parse


def serve_site(server, count: int, menu_links: int = 0) -> None:
    for path, html in site_pages(count, menu_links=menu_links).items():
        server.set(path, html)


def polish_page() -> bytes:
    """A page in ISO-8859-2 that only its Content-Type says is: read without that header, it is
    taken for ISO-8859-14 (other letters)."""
    text = "Rozmowa telefoniczna premiera z prezydentem. Łódź, Kraków, źdźbło, gęś, są świetne."
    paragraphs = "".join(f"<p>{text} Akapit {n}.</p>" for n in range(4))
    return (
        "<html lang='pl'><head><title>Rozmowa telefoniczna</title></head><body><article>"
        f"<h1>Rozmowa telefoniczna</h1>{paragraphs}</article></body></html>"
    ).encode("iso8859_2")


def serve_api_post_with_relative_link(server) -> str:
    """A WordPress post read from the API whose link is relative to the post's own address
    (the document URL, not the API's): the URL it resolves to."""
    slug, date, title, paragraphs = POSTS[0]
    post = api_post(server.url("/api-site"), slug, date, title, paragraphs)
    post["content"]["rendered"] += '<p>See <a href="earlier/">the earlier call</a>.</p>'
    server.set(
        slug_path("/api-site", slug),
        Resource(json.dumps([post]), content_type="application/json; charset=UTF-8"),
    )
    return server.url(f"/api-site/{slug}/earlier/")


def stored(db_path) -> dict:
    """Everything parsing decided, by URL: versions' fields and each fetch's outcome."""
    versions = query(
        db_path,
        "SELECT d.url, d.language, v.version, v.title, v.text, v.published_at, v.metadata,"
        " v.content_hash, v.page_hash FROM versions v JOIN documents d ON d.id = v.document_id"
        " ORDER BY d.url, v.version",
    )
    fetches = query(
        db_path,
        "SELECT url, status, outcome, error FROM fetches WHERE outcome IS NOT NULL"
        " ORDER BY url, id",
    )
    return {"versions": versions, "fetches": fetches}


def test_pool_and_in_process_parsing_store_the_same_versions(tmp_path, server, monkeypatch):
    """Generic, Kremlin and WordPress spiders: a source's drop rule, a charset given only in the
    Content-Type, an item reached by a redirect, one read from an API, pages that fail to parse."""
    serve_site(server, 12)
    polish = "text/html; charset=iso-8859-2"
    server.set(item_path(5), Resource(polish_page(), content_type=polish))
    server.set(item_path(3), Resource("", 301, headers={"Location": "/moved/3"}, conditional=False))
    server.set("/moved/3", render_readout(make_readout(3)))
    serve_kremlin(server)
    serve_api_site(server)
    relative_link = serve_api_post_with_relative_link(server)
    sources = tmp_path / "sources.toml"
    drop_lead = {"drop_selectors": ["article p:first-of-type"]}
    wordpress = '[sources.api-site]\nkind = "commentary"\nspider = "wordpress"\n'
    wordpress += f'base_url = "{server.url("/api-site")}"\ndelay = 0\n'
    sources.write_text(
        sources_toml(server.base_url, **drop_lead) + kremlin_sources(server) + wordpress
    )

    archives = {}
    for workers in ("2", "0"):
        monkeypatch.setenv(WORKERS, workers)
        db_path = tmp_path / f"workers-{workers}.db"
        result = Readouts(db_path, sources)("crawl", "site", "kremlin-en", "kremlin-ru", "api-site")
        assert result.returncode == 1, result.stderr  # the broken pages
        assert FALLBACK not in result.stderr
        archives[workers] = stored(db_path)

    pool, in_process = archives["2"], archives["0"]
    assert pool == in_process
    versions = {row["url"]: row for row in pool["versions"]}
    assert len(versions) == 12 + 7 + 3  # the items of each site that parse
    assert "Łódź, Kraków" in versions[server.url(item_path(5))]["text"]  # the header's charset
    assert make_readout(7).paragraphs[0] not in versions[server.url(item_path(7))]["text"]
    assert '"redirected_to"' in versions[server.url(item_path(3))]["metadata"]
    post = versions[server.url(f"/api-site/{POSTS[0][0]}/")]
    assert relative_link in json.loads(post["metadata"])["links"]
    assert [row["outcome"] for row in pool["fetches"]].count("parse_error") == 2


# Runs ``readouts`` with Scrapy's Selector counted: each page's tree built, by process and URL.
COUNTED_CRAWL = """
import atexit, json, os, sys
from scrapy.selector import Selector
built = []
plain_init = Selector.__init__
def counted_init(self, response=None, *args, **kwargs):
    if response is not None:  # a page's tree (not a node of one)
        built.append([os.getpid(), response.url])
    plain_init(self, response, *args, **kwargs)
Selector.__init__ = counted_init
crawl_process, trees = os.getpid(), sys.argv[1]
def write_trees():
    if os.getpid() == crawl_process:  # not a forked worker ending
        with open(trees, "w") as file:
            json.dump([url for pid, url in built if pid == crawl_process], file)
atexit.register(write_trees)
from readouts.cli import cli
cli(sys.argv[2:], prog_name="readouts")
"""


def test_the_crawl_process_builds_no_html_tree_of_an_item_page(tmp_path, server, monkeypatch):
    """Item pages are parsed in the workers only, "not found" pages told there too: a tree in
    the crawl process would cost its CPU and hold hundreds of KB a page while the page waits
    for a worker."""
    serve_site(server, 6, menu_links=50)
    server.set(item_path(4), "<html><head><title>Page not found</title></head><body></body></html>")
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server.base_url))
    script, trees = tmp_path / "counted.py", tmp_path / "trees.json"
    script.write_text(COUNTED_CRAWL)
    monkeypatch.setenv(WORKERS, "2")
    readouts = Readouts(tmp_path / "archive.db", sources)
    command = readouts.command("crawl", "site")
    command[1:3] = [str(script), str(trees)]  # in place of "-m readouts"
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

    built = json.loads(trees.read_text())
    assert server.url("/news/") in built  # the listing is read in the crawl process
    assert not [url for url in built if re.search(r"/news/\d+$", url)], built
    outcomes = {
        row["url"]: row["outcome"]
        for row in query(readouts.db_path, "SELECT url, outcome FROM fetches")
    }
    assert outcomes[server.url(item_path(4))] == "gone"
    assert outcomes[server.url(item_path(5))] == "new"


def worker_processes(crawl: psutil.Process, expected: int, timeout: float) -> list:
    """The crawl's parsing workers, once all ``expected`` of them are running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = crawl.children()
        if len(children) >= expected:
            return children
        time.sleep(0.02)
    pytest.fail(f"the crawl process started {len(crawl.children())} of {expected} workers")


def running(processes: list) -> list:
    """Those still running (a zombie runs nothing and holds no pipe: it has ended)."""
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def item_requests(server) -> list:
    return [r for r in list(server.requests) if re.fullmatch(r"/news/\d+", r.path)]


def test_a_crawl_killed_with_sigkill_leaves_no_parsing_worker_behind(tmp_path, server):
    serve_site(server, 150, menu_links=200)  # pages as heavy as real ones: the workers are busy
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server.base_url))
    db_path = tmp_path / "archive.db"
    crawl = subprocess.Popen(
        Readouts(db_path, sources).command("crawl", "site"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, WORKERS: "2"},
    )
    workers: list = []
    try:
        workers = worker_processes(psutil.Process(crawl.pid), 2, timeout=30)
        assert len(workers) == 2
        deadline = time.monotonic() + 30
        while len(item_requests(server)) < 10:  # item pages are on their way to the workers
            assert crawl.poll() is None and time.monotonic() < deadline, "no item was fetched"
            time.sleep(0.02)
        assert running(workers) == workers  # mid-crawl
        crawl.send_signal(signal.SIGKILL)
        assert crawl.wait(timeout=10) == -signal.SIGKILL
        deadline = time.monotonic() + 3
        while running(workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running(workers) == []
    finally:  # a failed test leaves nothing running either
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait(timeout=10)
        for process in running(workers):
            process.kill()
