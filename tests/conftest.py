"""Shared fixtures: a real HTTP site on 127.0.0.1, a real SQLite file, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import storage
from readouts.demo.server import SiteServer
from readouts.demo.site import DemoSite

# Off for the whole session, session-scoped fixtures included; the marker turns it back on.
os.environ.setdefault("READOUTS_NO_EMBEDDINGS", "1")


# The demo's sources crawled in the two orders that matter for citations: the articles before
# the readouts they cite, and after.
DEMO_CRAWL_ORDERS = {
    "commentary-first": [["demo-commentary"], ["demo-kremlin", "demo-whitehouse"]],
    "readouts-first": [["demo-kremlin", "demo-whitehouse"], ["demo-commentary"]],
}


def crawl_each_demo_order(tmp_path: Path, demo_sources: Path):
    """Crawl the demo site into one archive per order of ``DEMO_CRAWL_ORDERS``: yields the
    order's name and its ``Readouts`` after each crawl, which succeeded."""
    for name, crawls in DEMO_CRAWL_ORDERS.items():
        readouts = Readouts(tmp_path / f"{name}.db", demo_sources)
        for sources in crawls:
            result = readouts("crawl", *sources)
            assert result.returncode == 0, result.stderr
            yield name, readouts


def run_bench(script: str, *args: str, timeout: float = 300) -> str:
    """A ``bench/`` script's output, run to its end; the test is skipped when the script says
    the data it needs is absent (``skipped: …``, as ``bench/_shared.require_eval`` exits)."""
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode and "skipped:" in result.stderr:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(autouse=True)
def no_embeddings_by_default(monkeypatch, request):
    """Loading the sentence-embedding model takes seconds in every child process: tests opt in
    with the ``embeddings`` marker (and skip when the model is not installed)."""
    if request.node.get_closest_marker("embeddings"):
        from analysis import embeddings

        monkeypatch.delenv("READOUTS_NO_EMBEDDINGS", raising=False)
        if not embeddings.available():
            pytest.skip(f"sentence embeddings unavailable: {embeddings.unavailable_reason()}")
    else:
        monkeypatch.setenv("READOUTS_NO_EMBEDDINGS", "1")


@pytest.fixture
def server():
    with SiteServer() as running:
        yield running


@pytest.fixture
def demo_site(server):
    return DemoSite(server)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def db(db_path):
    database = storage.open_database(db_path)
    yield database
    database.close()


class Readouts:
    """Runs the real ``readouts`` command in a child process, as a user would."""

    def __init__(self, db_path: Path, sources_path: Path):
        self.db_path = db_path
        self.sources_path = sources_path

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "readouts",
            "--db",
            str(self.db_path),
            "--sources",
            str(self.sources_path),
            *args,
        ]

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def start(self, *args: str) -> subprocess.Popen:
        """The command running in the background (output captured): ``communicate()`` it."""
        return subprocess.Popen(
            self.command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


@pytest.fixture
def demo_sources(tmp_path, demo_site) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(demo_site.sources_toml(), encoding="utf-8")
    return path


@pytest.fixture
def readouts(db_path, demo_sources) -> Readouts:
    return Readouts(db_path, demo_sources)


def query(db_path: Path, sql: str, params=()) -> list[dict]:
    database = storage.open_database(db_path)
    try:
        return list(database.query(sql, params))
    finally:
        database.close()
