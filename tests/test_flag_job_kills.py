"""The flag job never skips a version and never loses or doubles a flag: killed with SIGKILL at
random points and re-run, or run while two crawls of different sources store versions — stored
directly, or by two real ``readouts crawl`` processes fetching two sites over HTTP.

Real processes on a real SQLite file; the expected outcome is what a calm run raises.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from html import escape
from pathlib import Path

from calls import readout
from conftest import Readouts

import storage
from readouts.demo.server import SiteServer
from storage.job_state import get_state
from storage.verify import pending_versions

SOURCES = ("kremlin", "partner")

# The flag job in a child process, with small batches (many transactions for a kill to fall
# between). ``kill=commit:K`` SIGKILLs it at the first statement after its K-th commit,
# ``kill=statement:K`` at its K-th statement.
FLAG_JOB = """
import os, signal, sys
import storage
from flagging import changes, counterparts, job
from flagging.job import run_flag_job
changes.BATCH = counterparts.BATCH = job.BATCH = 4
db = storage.open_database(sys.argv[1])
mode, _, at = sys.argv[2].partition(":")
seen = {"commit": 0, "statement": 0}
def trace(sql):
    if mode == "commit" and seen["commit"] >= int(at) or mode == "statement" and seen["statement"] >= int(at):
        os.kill(os.getpid(), signal.SIGKILL)
    seen["statement"] += 1
    seen["commit"] += sql.startswith("COMMIT")
db.conn.set_trace_callback(trace)
run_flag_job(db)
print(seen["commit"], seen["statement"])
"""

# A crawl of one source in a child process: stores its readouts (with edits, removals and a
# restoration) one transaction at a time, a few milliseconds apart, as a crawl does.
CRAWL = """
import sys, time
sys.path.insert(0, sys.argv[3])
import storage
from test_flag_job_kills import store_source
store_source(storage.open_database(sys.argv[1]), sys.argv[2], events=int(sys.argv[4]), pause=0.005)
"""


# The flag job in a loop, small batches, until the file ``sys.argv[2]`` appears.
FLAG_LOOP = """
import os, sys, time
import storage
from flagging import changes, counterparts, job
from flagging.job import run_flag_job
changes.BATCH = counterparts.BATCH = job.BATCH = 4
runs = 0
while not os.path.exists(sys.argv[2]):
    db = storage.open_database(sys.argv[1])
    run_flag_job(db)
    db.close()
    runs += 1
    time.sleep(0.05)  # the crawls need the CPU more than this loop
print(runs)
"""


def store_source(db, source: str, *, events: int, pause: float = 0) -> None:
    """Every third readout edited, every fifth removed (two runs' 404s), the first restored."""
    for number in range(events):
        storage.save_version(db, readout(source, number), None)
        time.sleep(pause)
    for number in range(0, events, 3):
        storage.save_version(db, readout(source, number, edition=1), None)
        time.sleep(pause)
    for number in range(0, events, 5):
        for _ in range(2):
            run_id = storage.start_run(db, source, "recheck")
            storage.mark_gone(db, f"http://{source}.test/{number}", run_id, 404)
            storage.finish_run(db, run_id)
    storage.save_version(db, readout(source, 0, edition=2), None)


class ReadoutSite:
    """One source's readouts (``readout``) on a local HTTP site: a listing at /news and one page
    per readout; ``edit`` makes some of them say more and publishes new ones."""

    def __init__(self, server: SiteServer, source: str, events: int):
        self.server, self.source = server, source
        self.editions = dict.fromkeys(range(events), 0)
        self._publish()

    def edit(self, new: int) -> None:
        for number in list(self.editions)[::3]:
            self.editions[number] += 1
        for number in range(len(self.editions), len(self.editions) + new):
            self.editions[number] = 0
        self._publish()

    def _publish(self) -> None:
        links = "".join(f'<li><a href="/news/{n}">Readout {n}</a></li>' for n in self.editions)
        self.server.set("/news", f"<html><body><ul>{links}</ul></body></html>")
        for number, edition in self.editions.items():
            item = readout(self.source, number, edition)
            paragraphs = "".join(f"<p>{escape(p)}</p>" for p in item.text.split(". "))
            self.server.set(
                f"/news/{number}",
                f"<html lang='en'><head><title>{escape(item.title)}</title><meta"
                f" property='article:published_time' content='{item.published_at}'></head>"
                f"<body><article><h1>{escape(item.title)}</h1>{paragraphs}</article></body></html>",
            )

    def source_toml(self) -> str:
        return f"""
[sources.{self.source}]
kind = "readout"
spider = "generic"
start_urls = ["{self.server.base_url}/news"]
item_pattern = "/news/\\\\d+$"
delay = 0.05
"""


def outcome(path: Path) -> dict:
    """What the flag job derived, by content (URLs, not ids: two archives can number apart)."""
    connection = sqlite3.connect(path)
    url = dict(connection.execute("SELECT id, url FROM documents"))
    version = {
        row[0]: (url[row[1]], row[2])
        for row in connection.execute("SELECT id, document_id, version FROM versions")
    }
    flags = [
        # A link's flag goes to whichever readout came second: crawls at once may swap them.
        (kind, tuple(sorted((url[document_id], url[related]))), None)
        if kind == "counterpart_found"
        else (kind, url[document_id], version.get(version_id))
        for kind, document_id, version_id, related in connection.execute(
            "SELECT kind, document_id, version_id, related_document_id FROM flags"
        )
    ]
    result = {
        "flags": sorted(flags, key=repr),
        "changes": sorted(
            version[v] for (v,) in connection.execute("SELECT to_version_id FROM changes")
        ),
        "profiles": sorted(
            version[v] for (v,) in connection.execute("SELECT version_id FROM event_profiles")
        ),
        "links": sorted(
            tuple(sorted((url[a], url[b])))
            for a, b in connection.execute("SELECT readout_a_id, readout_b_id FROM counterparts")
        ),
    }
    connection.close()
    return result


# Every step's watermark, with the kind of document whose versions it handles (None: all).
WATERMARKS = (
    ("changes.last_version_id", None),
    ("flags.last_version_id", None),
    ("citations.last_article_version_id", "commentary"),
    ("citations.last_readout_version_id", "readout"),
    ("counterparts.last_version_id", "readout"),
    ("reported.last_version_id", "commentary"),
)


def unprocessed(path: Path) -> list[str]:
    """What some step's watermark has not passed yet."""
    db = storage.open_database(path)
    try:
        return [
            finding.message
            for name, kind in WATERMARKS
            for finding in pending_versions(db, name, get_state(db, name), kind)
        ]
    finally:
        db.close()


def flag_job(path: Path, mode: str = "calm") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", FLAG_JOB, str(path), mode],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_flag_job_killed_20_times_then_rerun_raises_each_calm_flag_exactly_once(tmp_path):
    archive = tmp_path / "archive.db"
    db = storage.open_database(archive)
    for source in SOURCES:
        store_source(db, source, events=30)
    db.close()
    calm, killed = tmp_path / "calm.db", tmp_path / "killed.db"
    shutil.copy(archive, calm)
    shutil.copy(archive, killed)
    run = flag_job(calm)
    assert run.returncode == 0, run.stderr
    commits, statements = map(int, run.stdout.split())
    expected = outcome(calm)
    kinds = {flag[0] for flag in expected["flags"]}
    assert {"new_readout", "edited_readout", "removed_readout", "counterpart_found"} <= kinds
    assert expected["links"]

    rng = random.Random(13)
    kills = 0
    for attempt in range(20):
        # Half the kills right after a commit (between two transactions), half anywhere.
        if attempt % 2:
            mode = f"statement:{rng.randint(0, statements // 10)}"
        else:
            mode = f"commit:{rng.randint(1, max(1, commits // 10))}"
        run = flag_job(killed, mode)
        assert run.returncode in (0, -signal.SIGKILL), run.stderr
        kills += run.returncode == -signal.SIGKILL
    assert kills >= 10, "the kills should fall while the job works"
    assert flag_job(killed).returncode == 0
    assert outcome(killed) == expected
    assert unprocessed(killed) == []


def test_two_crawls_at_once_while_the_flag_job_runs_lose_no_version(tmp_path):
    concurrent, calm = tmp_path / "concurrent.db", tmp_path / "calm.db"
    storage.open_database(concurrent).close()
    crawls = [
        subprocess.Popen(
            [sys.executable, "-c", CRAWL, str(concurrent), source, str(Path(__file__).parent), "40"]
        )
        for source in SOURCES
    ]
    while any(crawl.poll() is None for crawl in crawls):
        run = flag_job(concurrent)
        assert run.returncode == 0, run.stderr
    assert [crawl.returncode for crawl in crawls] == [0, 0]
    assert flag_job(concurrent).returncode == 0  # the run after the last crawl, as the daemon's
    db = storage.open_database(calm)
    for source in SOURCES:
        store_source(db, source, events=40)
    db.close()
    assert flag_job(calm).returncode == 0
    assert outcome(concurrent) == outcome(calm)
    assert unprocessed(concurrent) == []


def test_two_real_crawls_of_different_sites_at_once_while_the_flag_job_loops_match_a_calm_run(
    tmp_path,
):
    concurrent, calm = tmp_path / "concurrent.db", tmp_path / "calm.db"
    with SiteServer() as first, SiteServer() as second:
        sites = [ReadoutSite(first, SOURCES[0], 12), ReadoutSite(second, SOURCES[1], 12)]
        sources = tmp_path / "sources.toml"
        sources.write_text("".join(site.source_toml() for site in sites), encoding="utf-8")
        busy, quiet = Readouts(concurrent, sources), Readouts(calm, sources)
        assert busy("sources").returncode == 0  # the archive exists before the loop opens it
        stop = tmp_path / "stop"
        loop = subprocess.Popen(
            [sys.executable, "-c", FLAG_LOOP, str(concurrent), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for round_ in range(2):
                options = ("--recheck",) if round_ else ()
                crawls = [busy.start("crawl", source, *options) for source in SOURCES]
                for crawl in crawls:
                    _, stderr = crawl.communicate(timeout=120)
                    assert crawl.returncode == 0, stderr
                done = quiet("crawl", *SOURCES, *options)  # the calm run: one crawl at a time
                assert done.returncode == 0, done.stderr
                for site in sites:
                    site.edit(new=3)
        finally:
            stop.touch()
            out, err = loop.communicate(timeout=120)
        assert loop.returncode == 0, err
        assert int(out) >= 2, "the flag job should have run during the crawls"
    assert flag_job(concurrent).returncode == 0  # the run after the last crawl, as the daemon's
    expected = outcome(calm)
    assert len(set(expected["flags"])) == len(expected["flags"])
    assert {"new_readout", "edited_readout", "counterpart_found"} <= {
        f[0] for f in expected["flags"]
    }
    assert outcome(concurrent) == expected
    assert unprocessed(concurrent) == [] and unprocessed(calm) == []
    checked = busy("verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_removal_flag_names_the_version_live_at_the_removal_however_late_the_job_runs(
    tmp_path,
):
    """Edited, removed (404 twice), then back with a third version: the ``removed_readout``
    flag names version 2 whether the flag job ran after each step or once at the end."""
    from flagging.job import run_flag_job

    steps = [
        lambda db: storage.save_version(db, readout("kremlin", 0), None),
        lambda db: storage.save_version(db, readout("kremlin", 0, edition=1), None),
        *[lambda db: _gone(db, "http://kremlin.test/0")] * 2,
        lambda db: storage.save_version(db, readout("kremlin", 0, edition=2), None),
    ]
    for name, after_each in (("stepwise.db", True), ("late.db", False)):
        db = storage.open_database(tmp_path / name)
        for step in steps:
            step(db)
            if after_each:
                run_flag_job(db)
        run_flag_job(db)
        db.close()
    late = outcome(tmp_path / "late.db")
    assert late == outcome(tmp_path / "stepwise.db")
    assert ("removed_readout", "http://kremlin.test/0", ("http://kremlin.test/0", 2)) in late[
        "flags"
    ]


def _gone(db, url: str) -> None:
    run_id = storage.start_run(db, "kremlin", "recheck")
    storage.mark_gone(db, url, run_id, 404)
    storage.finish_run(db, run_id)
