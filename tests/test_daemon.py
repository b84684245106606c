"""The real daemon, as a child process, crawling the demo site on 127.0.0.1 every few seconds."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import Readouts, query

import storage
from readouts.demo import content
from readouts.demo.server import Resource
from scheduler.daemon import due_sources
from scheduler.sources import SourcesError, load_sources
from scheduler.triggers import next_due, parse_schedule
from storage.notifications import channel_label

WAIT = 120  # generous: the machine running the tests may be busy


class Daemon:
    """``readouts daemon`` in a child process; its log goes to a file the test can read."""

    def __init__(self, db_path: Path, sources_path: Path, log_path: Path, *options: str):
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "readouts",
            "--db",
            str(db_path),
            "--sources",
            str(sources_path),
            "daemon",
            "--tick",
            "0.5",
            "--jitter",
            "0",
            *options,
        ]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=log_path.open("w", encoding="utf-8"),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(WAIT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_daemon(db_path, tmp_path):
    started: list[Daemon] = []

    def start(sources_path: Path, *options: str) -> Daemon:
        daemon = Daemon(db_path, sources_path, tmp_path / f"daemon{len(started)}.log", *options)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


def wait_for(condition, what: str, daemon: Daemon | None = None):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if daemon is not None and daemon.process.poll() is not None:
            pytest.fail(f"the daemon exited ({daemon.process.returncode}) while waiting for {what}")
        time.sleep(0.3)
    log = daemon.log()[-3000:] if daemon else ""
    pytest.fail(f"timed out waiting for {what}\n{log}")


def write_sources(path: Path, demo_site, schedules: dict[str, str | None], extra: str = "") -> Path:
    """The demo site's sources with the given schedules; a source mapped to None is disabled."""
    head, *tables = demo_site.sources_toml().split("\n[sources.")
    for number, table in enumerate(tables):
        name = table.split("]", 1)[0]
        if name in schedules:
            schedule = schedules[name]
            setting = f'schedule = "{schedule}"' if schedule else 'schedule = "1h"\nenabled = false'
            tables[number] = re.sub(r'schedule = "[^"]*"', setting, table)
    path.write_text("\n[sources.".join([head, *tables]) + "\n" + extra, encoding="utf-8")
    return path


def runs(db_path, source=None) -> list[dict]:
    rows = query(db_path, "SELECT * FROM runs ORDER BY id")
    return [row for row in rows if source is None or row["source"] == source]


def finished(db_path, source, outcome="ok") -> list[dict]:
    return [r for r in runs(db_path, source) if r["finished_at"] and r["outcome"] == outcome]


def half_hour(moment: datetime) -> datetime:
    """The */30 boundary at or before ``moment``."""
    return moment.replace(minute=moment.minute // 30 * 30, second=0, microsecond=0)


def assert_consistent(db_path):
    assert query(db_path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert query(db_path, "SELECT id, source FROM runs WHERE finished_at IS NULL") == []


def stall_route(server, path: str, seconds: float = 100) -> None:
    """A listing page that answers only after ``seconds``: a crawl of it hangs."""

    def late():
        time.sleep(seconds)
        return "<html><body>too late</body></html>"

    server.set(path, Resource(late, conditional=False))


def stalled_source(name: str, server, path: str, run_timeout: float, schedule="1h") -> str:
    return f"""
[sources.{name}]
kind = "readout"
spider = "generic"
start_urls = ["{server.url(path)}"]
item_pattern = "/item/\\\\d+$"
schedule = "{schedule}"
delay = 0
retries = 0
timeout = 120
run_timeout = {run_timeout}
"""


# -- the daemon as users run it --------------------------------------------------------------------


def test_daemon_runs_sources_beside_manual_crawls_and_stops_cleanly_on_sigterm(
    tmp_path, db_path, demo_site, start_daemon, readouts
):
    sources = write_sources(
        tmp_path / "sources.toml",
        demo_site,
        {"demo-kremlin": "2s", "demo-whitehouse": "2s", "demo-commentary": None},
    )
    readouts.sources_path = sources
    daemon = start_daemon(sources)
    wait_for(
        lambda: (
            len(finished(db_path, "demo-kremlin")) >= 2
            and len(finished(db_path, "demo-whitehouse")) >= 1
        ),
        "two scheduled runs",
        daemon,
    )

    # A manual monitor crawl and a backfill while the daemon keeps crawling.
    manual = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "readouts",
                "--db",
                str(db_path),
                "--sources",
                str(sources),
                "crawl",
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (["demo-whitehouse"], ["demo-kremlin", "--since", "2017-01-01"])
    ]
    for process in manual:
        out, err = process.communicate(timeout=WAIT)
        assert process.returncode == 0, out + err
        assert "database is locked" not in err

    status = readouts("status")
    assert "daemon: running" in status.stdout
    listing = readouts("sources")
    assert "next_run" in listing.stdout and "daemon: running" in listing.stdout
    second = readouts("daemon", timeout=WAIT)
    assert second.returncode == 1 and "already running" in second.stderr

    runs_before_stop = len(runs(db_path))
    assert daemon.stop() == 0
    log = daemon.log()
    assert "database is locked" not in log and "Traceback" not in log
    assert_consistent(db_path)
    assert runs(db_path, "demo-commentary") == []  # disabled
    modes = {(r["source"], r["mode"]) for r in runs(db_path)}
    assert ("demo-kremlin", "backfill") in modes and ("demo-whitehouse", "monitor") in modes
    assert all(r["outcome"] in ("ok", "interrupted") for r in runs(db_path)), runs(db_path)
    assert len(runs(db_path)) >= runs_before_stop
    # Nothing stored twice although up to four processes wrote at once.
    assert query(db_path, "SELECT count(*) AS n FROM documents")[0]["n"] == 3
    assert query(db_path, "SELECT count(*) AS n FROM versions")[0]["n"] == 3
    assert query(db_path, "SELECT state, stopped_at FROM daemon")[0]["state"] == "stopped"


def test_run_past_its_timeout_is_killed_and_recorded_failed_while_the_daemon_lives_on(
    tmp_path, db_path, demo_site, server, start_daemon
):
    stall_route(server, "/slow/")
    stall_route(server, "/slower/")
    extra = stalled_source("slow", server, "/slow/", run_timeout=2) + stalled_source(
        "still-running", server, "/slower/", run_timeout=600
    )
    sources = write_sources(
        tmp_path / "sources.toml",
        demo_site,
        {"demo-kremlin": "2s", "demo-whitehouse": None, "demo-commentary": None},
        extra,
    )
    daemon = start_daemon(sources, "--kill-after", "2", "--stop-timeout", "1", "--max-runs", "3")
    failed = wait_for(lambda: finished(db_path, "slow", "failed"), "the timed-out run", daemon)
    assert "run timeout of 2 s" in failed[0]["message"]
    wait_for(
        lambda: [
            r
            for r in finished(db_path, "demo-kremlin")
            if r["started_at"] > failed[0]["finished_at"]
        ],
        "a run after the killed one",
        daemon,
    )
    assert daemon.process.poll() is None

    # The other stalled source is still crawling at SIGTERM: it is stopped and recorded.
    assert [r["finished_at"] for r in runs(db_path, "still-running")] == [None]
    assert daemon.stop() == 0
    assert_consistent(db_path)
    stopped = runs(db_path, "still-running")
    assert [(r["outcome"], r["message"]) for r in stopped] == [
        ("interrupted", "stopped by the daemon")
    ]


def test_once_runs_the_due_sources_then_exits_with_status_1_if_a_run_failed(
    tmp_path, db_path, demo_site, server, readouts
):
    server.set("/broken/", Resource("down for maintenance", status=500, conditional=False))
    extra = stalled_source("broken", server, "/broken/", run_timeout=60)
    sources = write_sources(
        tmp_path / "sources.toml",
        demo_site,
        {"demo-kremlin": "1h", "demo-whitehouse": "*/30 * * * *", "demo-commentary": None},
        extra,
    )
    readouts.sources_path = sources
    # One clock for both runs: a */30 boundary falling between them must not make the
    # cron source due again.
    clock = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    first = readouts("daemon", "--once", "--due-at", clock, "--jitter", "0", timeout=WAIT)
    assert first.returncode == 1, first.stderr
    outcomes = {r["source"]: r["outcome"] for r in runs(db_path)}
    assert outcomes == {"demo-kremlin": "ok", "demo-whitehouse": "ok", "broken": "errors"}

    again = readouts("daemon", "--once", "--due-at", clock, timeout=WAIT)
    assert again.returncode == 0, again.stderr
    assert "0 source(s) due" in again.stderr
    assert len(runs(db_path)) == 3
    assert_consistent(db_path)

    listing = json.loads(readouts("sources", "--json").stdout)
    listed_by = datetime.now(timezone.utc)
    next_runs = {row["name"]: row["next_run"] for row in listing}
    assert next_runs["demo-commentary"] is None
    assert next_runs["demo-kremlin"] > runs(db_path, "demo-kremlin")[0]["started_at"]
    whitehouse_started = datetime.fromisoformat(runs(db_path, "demo-whitehouse")[0]["started_at"])
    if half_hour(whitehouse_started) < half_hour(listed_by):
        # A slow machine crossed a */30 boundary after the run: the source is due again.
        assert next_runs["demo-whitehouse"] == "due"
    else:
        assert (
            next_runs["demo-whitehouse"]
            == (half_hour(whitehouse_started) + timedelta(minutes=30)).isoformat()
        )


def test_sighup_reloads_the_sources_file_and_keeps_the_old_one_when_bad(
    tmp_path, db_path, demo_site, start_daemon
):
    path = tmp_path / "sources.toml"
    write_sources(
        path, demo_site, {"demo-kremlin": "2s", "demo-whitehouse": None, "demo-commentary": None}
    )
    daemon = start_daemon(path)
    wait_for(lambda: finished(db_path, "demo-kremlin"), "a run of the first source", daemon)

    write_sources(
        path, demo_site, {"demo-kremlin": None, "demo-whitehouse": "2s", "demo-commentary": None}
    )
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: len(finished(db_path, "demo-whitehouse")) >= 2, "the new source", daemon)
    kremlin_runs = len(runs(db_path, "demo-kremlin"))

    path.write_text("[sources.demo-whitehouse\nkind = ", encoding="utf-8")
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: "Not reloading" in daemon.log(), "the bad file to be refused", daemon)
    count = len(finished(db_path, "demo-whitehouse"))
    wait_for(
        lambda: len(finished(db_path, "demo-whitehouse")) >= count + 2,
        "runs on the old configuration",
        daemon,
    )
    assert len(runs(db_path, "demo-kremlin")) == kremlin_runs
    assert daemon.stop() == 0
    assert_consistent(db_path)


def test_flags_are_notified_and_a_failed_delivery_is_retried(
    tmp_path, db_path, demo_site, server, start_daemon
):
    server.set("/hook", Resource("broken", status=500, conditional=False))
    hook = f"json://127.0.0.1:{server.port}/hook"
    extra = f"""
[[notify]]
url = "{hook}"
kinds = ["new_readout", "edited_readout"]

[[notify]]
name = "removals"
url = "{hook}?removals"
kinds = ["removed_readout"]
"""
    sources = write_sources(
        tmp_path / "sources.toml",
        demo_site,
        {"demo-kremlin": "1h", "demo-whitehouse": None, "demo-commentary": None},
        extra,
    )
    daemon = start_daemon(sources)
    # Both new readouts of the first run are queued and tried once against the failing hook.
    failed = wait_for(
        lambda: (
            len(rows := query(db_path, "SELECT * FROM notifications WHERE attempts > 0")) == 2
            and rows
        ),
        "two failed deliveries",
        daemon,
    )
    assert all(row["status"] == "pending" and row["last_error"] for row in failed)
    assert all(row["delivered_at"] is None for row in failed)

    server.set("/hook", Resource("ok", conditional=False))
    delivered = wait_for(
        lambda: (
            len(rows := query(db_path, "SELECT * FROM notifications WHERE status = 'delivered'"))
            == 2
            and rows
        ),
        "the retried deliveries",
        daemon,
    )
    assert all(row["attempts"] >= 2 for row in delivered)
    assert {row["channel"] for row in delivered} == {channel_label(hook)}  # no path: no secret
    assert query(db_path, "SELECT * FROM notifications WHERE channel = 'removals'") == []

    posts = [json.loads(r.body) for r in server.requests_for("/hook") if r.method == "POST"]
    titles = {post["title"] for post in posts}
    assert titles == {"readouts: new readout (demo-kremlin)"}
    assert any(
        "New readout: Telephone conversation with US President Donald Trump" in post["message"]
        and server.url("/events/president/news/56155") in post["message"]
        for post in posts
    )
    assert "Could not notify" in daemon.log()
    assert daemon.stop() == 0


# -- schedules and configuration, without processes -----------------------------------------------

NOW = datetime(2026, 11, 25, 12, 31, 10, tzinfo=timezone.utc)
SOURCES = """
[sources.every-30m]
kind = "readout"
spider = "generic"
start_urls = ["http://127.0.0.1:9/news/"]
item_pattern = "/news/\\\\d+$"
schedule = "30m"

[sources.on-the-half-hour]
kind = "readout"
spider = "generic"
start_urls = ["http://127.0.0.1:9/news/"]
item_pattern = "/news/\\\\d+$"
schedule = "*/30 * * * *"

[sources.switched-off]
kind = "readout"
spider = "generic"
start_urls = ["http://127.0.0.1:9/news/"]
item_pattern = "/news/\\\\d+$"
enabled = false
"""


@pytest.mark.parametrize(
    "schedule, last, expected",
    [
        ("30m", None, NOW),
        (
            "30m",
            datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc),
            datetime(2026, 11, 25, 12, 30, tzinfo=timezone.utc),
        ),
        (
            "6h",
            datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc),
            datetime(2026, 11, 25, 18, 0, tzinfo=timezone.utc),
        ),
        (
            "*/30 * * * *",
            datetime(2026, 11, 25, 12, 0, 3, tzinfo=timezone.utc),
            datetime(2026, 11, 25, 12, 30, tzinfo=timezone.utc),
        ),
        (
            "*/30 * * * *",
            datetime(2026, 11, 25, 12, 30, 40, tzinfo=timezone.utc),
            datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc),
        ),
    ],
)
def test_next_due_counts_intervals_from_the_last_run_and_cron_from_its_fire_times(
    schedule, last, expected
):
    assert next_due(schedule, last, NOW) == expected


def test_only_enabled_sources_that_are_due_run_once(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SOURCES, encoding="utf-8")
    sources = load_sources(path)
    recent = {
        "every-30m": "2026-11-25T12:10:00+00:00",
        "on-the-half-hour": "2026-11-25T12:10:00+00:00",
    }
    assert [s.name for s in due_sources(sources, recent, NOW)] == ["on-the-half-hour"]
    assert [s.name for s in due_sources(sources, {}, NOW)] == ["every-30m", "on-the-half-hour"]


@pytest.mark.parametrize(
    "notify, message",
    [
        ('url = "json://127.0.0.1:9/h"\nkinds = ["edits"]', "unknown flag kind(s) edits"),
        ('url = "json://127.0.0.1:9/h"\nsources = ["nope"]', "no source named nope"),
        ('url = "nosuchservice://x"', "apprise does not understand the URL nosuchservice://"),
        ('kinds = ["new_readout"]', "field 'url' is required"),
        ('url = "json://127.0.0.1:9/h"\nevery = "1h"', "unknown field 'every'"),
    ],
)
def test_bad_notify_table_is_reported_with_the_file_and_the_table(tmp_path, notify, message):
    path = tmp_path / "s.toml"
    path.write_text(f"{SOURCES}\n[[notify]]\n{notify}\n", encoding="utf-8")
    with pytest.raises(SourcesError) as error:
        load_sources(path)
    assert str(error.value).startswith(f"{path}: [[notify]] number 1")
    assert message in str(error.value)


def test_run_timeout_must_be_positive(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SOURCES.replace('schedule = "30m"', "run_timeout = 0"), encoding="utf-8")
    with pytest.raises(SourcesError, match="field 'run_timeout': must be at least 1"):
        load_sources(path)


@pytest.mark.parametrize(
    "schedule, weekday",
    [
        ("0 6 * * 0", "Sunday"),
        ("0 6 * * 7", "Sunday"),
        ("0 6 * * 1-5", "Monday"),
        ("0 6 * * sat", "Saturday"),
    ],
)
def test_cron_weekdays_mean_what_they_mean_in_crontab(schedule, weekday):
    saturday = datetime(2026, 11, 28, 7, 0, tzinfo=timezone.utc)
    fire = parse_schedule(schedule).get_next_fire_time(None, saturday)
    assert fire.strftime("%A") == weekday


@pytest.mark.parametrize(
    "schedule, weekdays",
    [
        ("0 6 * * */2", {"Sunday", "Tuesday", "Thursday", "Saturday"}),
        ("0 6 * * 1-5/2", {"Monday", "Wednesday", "Friday"}),
        ("0 6 * * 1/3", {"Monday", "Thursday", "Sunday"}),
        ("0 6 * * 0,3-4", {"Sunday", "Wednesday", "Thursday"}),
    ],
)
def test_cron_weekday_steps_and_lists_mean_what_they_mean_in_crontab(schedule, weekdays):
    trigger = parse_schedule(schedule)
    fire, seen = datetime(2026, 11, 28, 7, 0, tzinfo=timezone.utc), set()
    for _ in range(2 * len(weekdays)):
        fire = trigger.get_next_fire_time(None, fire + timedelta(seconds=1))
        seen.add(fire.strftime("%A"))
    assert seen == weekdays


def delete_fts_row(db_path) -> int:
    """Take the first version out of the full-text index; return its id."""
    db = storage.open_database(db_path)
    try:
        version, title, text = db.execute(
            "SELECT id, title, text FROM versions ORDER BY id LIMIT 1"
        ).fetchone()
        # An external-content FTS5 row is deleted by giving its indexed values back.
        db.execute(
            "INSERT INTO versions_fts (versions_fts, rowid, title, text)"
            " VALUES ('delete', ?, ?, ?)",
            [version, title, text],
        )
    finally:
        db.close()
    return version


def test_the_running_daemon_verifies_the_archive_on_its_schedule_and_logs_what_it_found(
    tmp_path, db_path, demo_site, start_daemon, readouts
):
    assert readouts("crawl", "demo-kremlin", "demo-whitehouse", "demo-commentary").returncode == 0
    # A page whose re-check failed: what the crawls still owe is logged too.
    demo_site.server.set(content.SECOND_READOUT_PATH, Resource("down", status=500))
    assert readouts("crawl", "demo-kremlin", "--recheck").returncode == 1
    version = delete_fts_row(db_path)
    crawled = runs(db_path)
    # The sources ran a moment ago: none is due, the daemon only verifies.
    sources = write_sources(tmp_path / "sources.toml", demo_site, {}, '[settings]\nverify = "2s"\n')
    readouts.sources_path = sources
    started = int(time.time())
    daemon = start_daemon(sources)
    finding = f"Verify: version {version} missing from the full-text index"
    wait_for(lambda: daemon.log().count(finding) >= 2, "two scheduled verifications", daemon)
    assert "Archive verification scheduled (2s)" in daemon.log()
    assert (
        "Verify: still to crawl: demo-kremlin has 1 page(s) whose last fetch failed"
        " (readouts verify lists them)" in daemon.log()
    )

    repaired = readouts("verify", "--repair")  # the user repairs; the next check says so
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    wait_for(lambda: "Verify: the archive is whole" in daemon.log(), "a clean verification", daemon)

    assert daemon.stop() == 0
    log = daemon.log()
    assert "Traceback" not in log and "Verify repaired" not in log  # verify_repair is off
    assert runs(db_path) == crawled  # no source was due
    last = query(db_path, "SELECT value FROM job_state WHERE name = 'verify.last_run'")
    assert len(last) == 1 and int(last[0]["value"]) >= started


def test_a_channel_that_never_answers_stalls_neither_runs_nor_heartbeat_nor_shutdown(
    tmp_path, db_path, demo_site, server, start_daemon
):
    stall_route(server, "/silent")  # apprise gives up after 4 s, each attempt
    server.set("/hook", Resource("ok", conditional=False))
    extra = f"""
[[notify]]
name = "silent"
url = "json://127.0.0.1:{server.port}/silent"

[[notify]]
name = "desk"
url = "json://127.0.0.1:{server.port}/hook"
"""
    sources = write_sources(
        tmp_path / "sources.toml",
        demo_site,
        {"demo-kremlin": "3s", "demo-whitehouse": None, "demo-commentary": None},
        extra,
    )
    daemon = start_daemon(sources, "--stop-timeout", "3", "--kill-after", "3")
    wait_for(lambda: len(finished(db_path, "demo-kremlin")) >= 4, "four runs", daemon)
    assert "maximum number of running instances" not in daemon.log()

    # The silent channel's deliveries are recorded and retried; the desk got its flags meanwhile.
    rows = query(db_path, "SELECT * FROM notifications ORDER BY id")
    assert {(r["channel"], r["status"]) for r in rows} == {
        ("silent", "pending"),
        ("desk", "delivered"),
    }
    silent = [r for r in rows if r["channel"] == "silent"]
    assert len(silent) == 2 and max(r["attempts"] for r in silent) >= 2  # tried, and retried
    assert len([r for r in rows if r["channel"] == "desk"]) == 2

    readouts = Readouts(db_path, sources)
    status = readouts("status").stdout.splitlines()[0]
    assert status.startswith(f"daemon: running (pid {daemon.process.pid} "), status
    second = readouts("daemon", "--tick", "0.5", timeout=60)
    assert second.returncode == 1
    assert f"a daemon (pid {daemon.process.pid} on " in second.stderr

    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < 3 + 3
    assert query(db_path, "SELECT count(*) AS n FROM daemon") == [{"n": 1}]
    assert_consistent(db_path)


def test_deliveries_of_a_channel_removed_from_the_sources_file_are_closed_not_pending(
    tmp_path, db_path, demo_site, server
):
    server.set("/hook", Resource("broken", status=500, conditional=False))
    head = demo_site.sources_toml()
    sources = tmp_path / "sources.toml"
    readouts = Readouts(db_path, sources)
    sources.write_text(
        head + f'\n[[notify]]\nname = "old-desk"\nurl = "json://127.0.0.1:{server.port}/hook"\n'
    )
    readouts("daemon", "--once", "--jitter", "0")
    assert {r["status"] for r in query(db_path, "SELECT status FROM notifications")} == {"pending"}

    sources.write_text(head)
    readouts("daemon", "--once", "--jitter", "0", "--due-at", "2031-01-01T00:00:00")

    statuses = query(db_path, "SELECT DISTINCT status FROM notifications")
    assert statuses == [{"status": "channel_removed"}]
    (line,) = [x for x in readouts("status").stdout.splitlines() if x.startswith("notifications")]
    assert line.startswith("notifications: 0 delivered, 0 pending, 0 failed, ")
    assert line.endswith(" not sent: channel removed from the sources file")
