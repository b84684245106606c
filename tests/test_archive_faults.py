"""When the archive cannot be written: a full disk, a lock held by another process, a file that
is not an archive. One clear line, the right exit status, nothing lost or duplicated, and the
next run completes. Real faults: a tmpfs filesystem that fills, a second process holding
``BEGIN EXCLUSIVE``, real files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Readouts, query
from killharness import archive_problems

from readouts.demo.sitegen import make_readout, site_pages, sources_toml
from storage.schema import SCHEMA_VERSION

PAGES = 250


@pytest.fixture
def small_fs(tmp_path):
    """A 1.5 MB tmpfs: a 250-page crawl fills it (needs root; skipped where mount is refused)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def site(server):
    for path, html in site_pages(PAGES).items():
        server.set(path, html)
    return server


def readouts_on(tmp_path, db: Path, server) -> Readouts:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server.base_url), encoding="utf-8")
    return Readouts(db, sources)


def test_a_full_disk_stops_the_crawl_records_it_failed_and_the_next_run_stores_everything_once(
    tmp_path, small_fs, site
):
    db = small_fs / "archive.db"
    readouts = readouts_on(tmp_path, db, site)

    full = readouts("crawl", "site")

    assert full.returncode == 1, full.stderr[-3000:]
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: no space left for the archive {db}: the disk is full (")
    assert last.endswith(f". Free space on {small_fs}, then run again.")
    assert "Traceback" not in full.stderr
    assert make_readout(PAGES).paragraphs[0] not in full.stderr  # no page body in the log
    assert len(site.requests) < PAGES / 2  # it stopped fetching at once
    (run,) = query(db, "SELECT * FROM runs")
    # Where the disk holds a few bytes more, the run is recorded failed at once; where even
    # that write is refused, the command says so and the next start closes the run.
    unrecorded = "could not be recorded and will show as interrupted after the next start"
    if unrecorded in last:
        assert (run["outcome"], run["finished_at"]) == (None, None)
    else:
        assert last.endswith(
            f"fetched page(s) not stored). Free space on {small_fs}, then run again."
        )
        assert run["outcome"] == "failed"
        assert run["message"].startswith("stopped: the disk holding the archive is full; ")
    assert archive_problems(db) == []

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
    complete = readouts("crawl", "site")

    assert complete.returncode == 0, complete.stderr[-3000:]
    assert archive_problems(db) == []
    first = query(db, "SELECT outcome FROM runs WHERE id = ?", [run["id"]])
    assert first == [{"outcome": "interrupted" if unrecorded in last else "failed"}]
    counts = query(
        db,
        "SELECT count(DISTINCT d.id) AS documents, count(v.id) AS versions,"
        " (SELECT count(*) FROM flags WHERE kind = 'new_readout') AS flags"
        " FROM documents d JOIN versions v ON v.document_id = d.id",
    )
    assert counts == [{"documents": PAGES, "versions": PAGES, "flags": PAGES}]


def hold_lock(db: Path, *, run_source: str | None = None) -> subprocess.Popen:
    """A second process that takes the write lock and keeps it (optionally as an open run)."""
    script = f"""
import os, sqlite3, sys, time
conn = sqlite3.connect({str(db)!r}, isolation_level=None)
if {run_source!r}:
    conn.execute("INSERT INTO runs (source, mode, started_at, pid) VALUES (?, 'monitor',"
                 " '2026-01-01T12:30:00+00:00', ?)", ({run_source!r}, os.getpid()))
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(60)
"""
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    return holder


@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setenv("READOUTS_BUSY_TIMEOUT", "1")


def test_a_locked_archive_is_one_line_exit_1_nothing_written_and_the_next_run_completes(
    tmp_path, db_path, server, short_busy_timeout
):
    for path, html in site_pages(10).items():
        server.set(path, html)
    readouts = readouts_on(tmp_path, db_path, server)
    assert readouts("sources").returncode == 0
    holder = hold_lock(db_path)
    try:
        locked = readouts("crawl", "site")
    finally:
        holder.kill()
        holder.wait()

    assert locked.returncode == 1
    assert locked.stderr.strip().splitlines()[-1] == (
        f"Error: the archive {db_path} is locked by another process (waited 1 s)."
        " Run again when it is done (or set READOUTS_BUSY_TIMEOUT to wait longer)."
    )
    assert query(db_path, "SELECT * FROM runs") == []
    assert len(server.requests) == 0
    assert readouts("crawl", "site").returncode == 0
    assert archive_problems(db_path) == []
    assert query(db_path, "SELECT count(*) AS n FROM versions") == [{"n": 10}]


def test_a_lock_held_by_a_run_names_that_run(tmp_path, db_path, server, short_busy_timeout):
    readouts = readouts_on(tmp_path, db_path, server)
    assert readouts("sources").returncode == 0
    holder = hold_lock(db_path, run_source="kremlin-en")
    try:
        locked = readouts("sources")
    finally:
        holder.kill()
        holder.wait()

    assert locked.returncode == 1
    assert (
        f"is locked by another process — the run of kremlin-en started 12:30 UTC"
        f" (pid {holder.pid}) holds it" in locked.stderr
    )


def newer_schema(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


@pytest.mark.parametrize(
    "make, what",
    [
        (
            lambda p: p.write_text("hello world\n"),
            "it is not a SQLite database (it starts with 'hello world')",
        ),
        (
            newer_schema,
            f"its schema is version {SCHEMA_VERSION + 1}, newer than this version of readouts"
            f" understands ({SCHEMA_VERSION}); upgrade readouts",
        ),
    ],
    ids=["text-file", "newer-schema"],
)
def test_a_file_that_is_not_an_archive_is_exit_2_naming_it_and_left_untouched(tmp_path, make, what):
    path = tmp_path / "other.db"
    make(path)
    before = path.read_bytes()
    result = Readouts(path, tmp_path / "none.toml")("flags")
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: {path} is not a readouts archive: {what}. Nothing was written to it.\n"
    )
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["other.db"]


def test_a_db_in_a_folder_that_does_not_exist_is_exit_2_naming_it(tmp_path):
    path = tmp_path / "no-such-folder" / "archive.db"
    result = Readouts(path, tmp_path / "none.toml")("flags")
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: {path} is not a readouts archive: there is no folder {path.parent}."
        " Nothing was written to it.\n"
    )


def test_a_directory_as_db_is_exit_2_naming_it(tmp_path):
    result = Readouts(tmp_path, tmp_path / "none.toml")("flags")
    assert result.returncode == 2
    assert f"'{tmp_path}' is a directory" in result.stderr


def test_a_damaged_archive_is_exit_2_before_any_upgrade(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("CREATE INDEX t_x ON t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(f"row {n}" * 20,) for n in range(500)])
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096 * 3 + 100 : 4096 * 3 + 400] = b"\xff" * 300  # inside a b-tree page
    path.write_bytes(bytes(data))

    result = Readouts(path, tmp_path / "none.toml")("flags")

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"Error: {path} is not a readouts archive: it ")
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == bytes(data)


def test_the_daemon_starts_no_run_below_the_free_space_minimum_says_so_once_and_resumes(
    tmp_path, db_path, demo_site, server
):
    from readouts.demo.server import Resource

    server.set("/hook", Resource("ok", conditional=False))
    head = demo_site.sources_toml()
    notify = f'\n[[notify]]\nurl = "json://127.0.0.1:{server.port}/hook"\n'
    sources = tmp_path / "sources.toml"
    readouts = Readouts(db_path, sources)
    sources.write_text('[settings]\nmin_free_space = "1000000TB"\n' + head + notify)

    skipped = readouts("daemon", "--once", "--jitter", "0")

    assert skipped.returncode == 1, skipped.stderr[-3000:]
    assert skipped.stderr.count("the disk holding the archive is full") == 1
    assert "Traceback" not in skipped.stderr
    assert query(db_path, "SELECT * FROM runs") == []
    (posted,) = server.requests_for("/hook")
    assert "the archive's disk is full" in posted.body.decode()

    sources.write_text('[settings]\nmin_free_space = "0"\n' + head + notify)
    resumed = readouts("daemon", "--once", "--jitter", "0")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert {row["outcome"] for row in query(db_path, "SELECT outcome FROM runs")} == {"ok"}
