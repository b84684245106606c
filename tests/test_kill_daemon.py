"""``kill -9`` the daemon and its crawls at random moments, 20 times: the archive stays sound.

Two sites are crawled by the real ``readouts daemon`` every second (two crawls at once, each
rechecking every page). The daemon is killed with SIGKILL together with its child crawls — they
run in sessions of their own, so they are found and killed too, as a power cut would — at a
seeded random moment from its start: while it registers, schedules, crawls, runs the flag job
or sleeps. Every third page is edited every few kills. After every kill the archive must be
sound; every restart must take over from the dead daemon (its heartbeat is still fresh) and
close the runs it left; a final calm daemon must crawl everything and stop cleanly.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import query
from killharness import archive_problems, run_and_kill

from readouts.demo.server import SiteServer
from readouts.demo.sitegen import item_path, make_readout, render_readout, site_pages, sources_toml

PAGES = 12
KILLS = 20
KILLS_PER_EDIT = 5  # the sites change every this many kills
MAX_DELAY = 3.5  # s from the daemon's start to the kill: covers start-up and two crawl cycles
WAIT = 180

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finding a daemon's child crawls needs /proc"
)


def edition(number: int, epoch: int) -> int:
    return epoch if number % 3 == 0 else 0


def serve(sites: list[SiteServer], epoch: int) -> None:
    for site in sites:
        for number in range(1, PAGES + 1):
            readout = make_readout(number).edited(edition(number, epoch))
            site.set(item_path(number), render_readout(readout))


def daemon_command(db_path: Path, sources: Path) -> list[str]:
    return [
        sys.executable, "-m", "readouts", "--db", str(db_path), "--sources", str(sources),
        "daemon", "--tick", "0.5", "--jitter", "0",
    ]  # fmt: skip


def kill_daemon_repeatedly(tmp_path: Path, db_path: Path, kills: int, seed: int) -> dict:
    """The whole scenario; returns figures for the bench script that runs it with more kills."""
    log = tmp_path / "daemon.log"
    with SiteServer() as site_a, SiteServer() as site_b:
        sites = [site_a, site_b]
        for site in sites:
            for path, html in site_pages(PAGES).items():
                site.set(path, html)
        sources = tmp_path / "sources.toml"
        fields = {"schedule": "1s", "recheck_days": 100_000, "delay": 0.02, "retries": 0}
        sources.write_text(
            sources_toml(site_a.base_url, "site-a", **fields)
            + sources_toml(site_b.base_url, "site-b", **fields),
            encoding="utf-8",
        )
        rng = random.Random(seed)
        results = []
        epoch = 0
        for number in range(kills):
            epoch = number // KILLS_PER_EDIT
            serve(sites, epoch)
            kill = run_and_kill(
                daemon_command(db_path, sources), rng=rng, max_delay=MAX_DELAY, stderr=log
            )
            results.append(kill)
            # The daemon never ends by itself: had it refused to start (a dead daemon's fresh
            # heartbeat taken for a live one), it would have exited before the kill.
            assert kill.killed and kill.returncode == -signal.SIGKILL, (number, kill, _tail(log))
            problems = archive_problems(db_path)
            assert problems == [], (number, kill, problems)

        last_run = query(db_path, "SELECT coalesce(max(id), 0) AS id FROM runs")[0]["id"]
        calm = subprocess.Popen(
            daemon_command(db_path, sources), stderr=log.open("a"), stdout=subprocess.DEVNULL
        )
        try:
            _wait_for_calm_runs(db_path, last_run, calm, log)
            calm.send_signal(signal.SIGTERM)
            assert calm.wait(WAIT) == 0, _tail(log)
        finally:
            if calm.poll() is None:
                calm.kill()
                calm.wait()
        return {"kills": results, "epoch": epoch, "urls": [s.url for s in sites]}


def _wait_for_calm_runs(db_path: Path, after_run: int, daemon: subprocess.Popen, log: Path) -> None:
    """Until a run of each source started by the calm daemon has finished ok."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert daemon.poll() is None, f"the calm daemon exited: {_tail(log)}"
        done = query(
            db_path,
            "SELECT DISTINCT source FROM runs WHERE outcome = 'ok' AND id > ?",
            [after_run],
        )
        if len(done) == 2:
            return
        time.sleep(0.3)
    pytest.fail(f"the calm daemon did not complete a run of each source\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def test_daemon_killed_20_times_with_its_crawls_keeps_the_archive_sound_and_carries_on(
    tmp_path, db_path
):
    outcome = kill_daemon_repeatedly(tmp_path, db_path, KILLS, seed=8)
    final_epoch = outcome["epoch"]

    assert archive_problems(db_path) == []
    # The kills landed at every stage: before the daemon registered, and mid-run.
    kill_times = sorted(kill.after for kill in outcome["kills"])
    assert kill_times[0] < 1.0 and kill_times[-1] > 2.0, kill_times
    runs = query(db_path, "SELECT * FROM runs ORDER BY id")
    killed_runs = [r for r in runs if r["message"] == "the process running it ended"]
    assert killed_runs, "no kill landed during a crawl"
    assert all(r["outcome"] == "interrupted" for r in killed_runs)
    assert [r for r in runs if r["finished_at"] is None] == []

    # Every dead daemon's row was taken over; only the calm one stopped cleanly.
    daemons = query(db_path, "SELECT state FROM daemon ORDER BY id")
    assert [d["state"] for d in daemons[:-1]] == ["dead"] * (len(daemons) - 1)
    assert daemons[-1]["state"] == "stopped"

    # Nothing lost: every page's latest version is the edition served last, and its versions
    # are editions in the order they were served, each flagged once.
    versions = query(
        db_path,
        "SELECT d.url, v.version, v.text FROM versions v JOIN documents d ON d.id = v.document_id"
        " ORDER BY d.url, v.version",
    )
    for url_of in outcome["urls"]:
        for number in range(1, PAGES + 1):
            url = url_of(item_path(number))
            texts = [row["text"] for row in versions if row["url"] == url]
            editions = [_edition_of(text, number) for text in texts]
            assert editions == sorted(set(editions)), (url, editions)
            assert editions[-1] == edition(number, final_epoch), (url, editions)
    flags = query(db_path, "SELECT kind, count(*) AS n FROM flags GROUP BY kind ORDER BY kind")
    edits = len(versions) - 2 * PAGES
    assert flags == [
        {"kind": "edited_readout", "n": edits},
        {"kind": "new_readout", "n": 2 * PAGES},
    ]


def _edition_of(text: str, number: int) -> int:
    return sum(f"Уточнение номер {n} к сообщению {number}." in text for n in range(1, 10))
