"""``readouts daemon``: every enabled source on its schedule, for months.

APScheduler's ``BackgroundScheduler`` fires one job per source (explicit id ``crawl:NAME``,
``coalesce``, ``max_instances=1``, a misfire grace of one period, a little jitter). A job runs
``readouts crawl NAME`` as a child process (see ``scheduler.runner``), which also runs the flag
job; then it wakes the delivery worker (``scheduler.notify.DeliveryWorker``), a thread that
alone talks to the notification channels. The main thread only sleeps, beats the heartbeat and
answers signals: a channel that never answers holds up neither the heartbeat nor the runs.

``--once`` uses the same pieces without the scheduler: every source that is due runs once.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor as FuturesPool
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from time import monotonic

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

import storage
from scheduler.notify import DeliveryWorker, Notifier
from scheduler.runner import Children, RunResult, Stopping, run_source, stop_child
from scheduler.signals import SignalFlags
from scheduler.snapshot import SourcesSnapshot
from scheduler.sources import Source, SourcesError, SourcesFile
from scheduler.triggers import jitter_seconds, next_due, parse_schedule, period_seconds
from storage.daemon import DaemonAlive, beat, register_daemon, stop_daemon
from storage.database import (
    ArchiveError,
    ArchiveFull,
    ArchiveLocked,
    free_bytes,
    mount_point,
    write_transaction,
)
from storage.job_state import get_state, set_state
from storage.runs import close_abandoned_runs, crawl_gaps, last_attempts
from storage.sources import sync_sources

logger = logging.getLogger(__name__)

VERIFY_JOB = "verify"
VERIFY_STATE = "verify.last_run"  # when the daemon last verified the archive (Unix seconds)
DELIVERY_GRACE = 1.0  # on stopping: how long a delivery in flight may finish before it is abandoned


class DaemonAlreadyRunning(Exception):
    """Another daemon is alive on this database: two would run every source twice."""


@dataclass
class DaemonOptions:
    db_path: str
    sources_path: str | None = None
    run_timeout: float = 1800.0  # a source's own run_timeout wins
    stop_timeout: float = 60.0  # on SIGTERM: how long running crawls may go on
    kill_after: float = 30.0  # after SIGTERM to a crawl: how long before SIGKILL
    tick: float = 30.0  # heartbeat and notification round interval
    max_runs: int = 2  # crawls at once
    max_jitter: float = 60.0  # random delay added to each run, at most a tenth of its period
    due_at: datetime | None = None  # --once: what is due as of this time (default: now)


def due_sources(sources: SourcesFile, attempts: dict[str, str], now: datetime) -> list[Source]:
    """Enabled sources whose schedule says they should have run by ``now``."""
    return [
        source
        for source in sources.sources.values()
        if source.enabled
        and next_due(source.schedule, _parse(attempts.get(source.name)), now) <= now
    ]


def _parse(timestamp: str | None) -> datetime | None:
    return datetime.fromisoformat(timestamp) if timestamp else None


def _last_verify(db) -> datetime | None:
    seconds = get_state(db, VERIFY_STATE)
    return datetime.fromtimestamp(seconds, timezone.utc) if seconds else None


class Daemon:
    def __init__(self, options: DaemonOptions):
        self.options = options
        self.snapshot = SourcesSnapshot(options.sources_path)
        try:
            self.sources = self.snapshot.load()
        except SourcesError:
            self.snapshot.remove()
            raise
        self.children = Children()
        self.signals = SignalFlags()
        self.notifier = Notifier(options.db_path, self.sources.notify, retry_delay=options.tick)
        self.deliveries = DeliveryWorker(self._notify, options.tick)
        self.scheduler: BackgroundScheduler | None = None
        self._space_lock = threading.Lock()
        self.disk_full = False  # said once when it happens, once when space is back

    # -- entry points ---------------------------------------------------------------------------

    def run_forever(self) -> int:
        """Run sources on their schedules until SIGTERM/SIGINT; 0 after a clean stop."""
        db = storage.open_database(self.options.db_path)
        self.signals.install()
        try:
            try:
                daemon_id = register_daemon(
                    db, self.options.tick, str(self.snapshot.user_path.resolve())
                )
            except DaemonAlive as alive:
                other = alive.row
                raise DaemonAlreadyRunning(
                    f"a daemon (pid {other['pid']} on {other['host']}) is already running on "
                    f"this database, last heartbeat {other['heartbeat_at']}"
                ) from None
            self._prepare(db)
            self.deliveries.start()
            scheduler = self.scheduler = self._start_scheduler(db)
            logger.info(
                "Daemon started (pid %d): %d source(s) scheduled, %d notification channel(s)",
                os.getpid(),
                len(scheduler.get_jobs()),
                len(self.sources.notify),
            )
            while not self.signals.stopping:
                self.signals.sleep(self.options.tick)
                self._tick(db, daemon_id, scheduler)
            beat(db, daemon_id, "stopping")
            scheduler.pause()
            self._stop_runs(db, daemon_id)
            scheduler.shutdown(wait=True)
            self.notifier.close()
            if not self.deliveries.stop(DELIVERY_GRACE):
                logger.info(
                    "A notification in flight was abandoned; it is retried at the next start"
                )
            # A crawl stopped before Scrapy's own signal handling was in place cannot close its
            # run: close those of our children now rather than at the next start.
            close_abandoned_runs(db)
            stop_daemon(db, daemon_id)
            logger.info("Daemon stopped")
            return 0
        finally:
            self.signals.uninstall()
            self.snapshot.remove()
            db.close()

    def run_once(self) -> int:
        """Run every enabled source that is due, then exit: 0 if every run was ok, else 1."""
        db = storage.open_database(self.options.db_path)
        self.signals.install()
        try:
            self._prepare(db)
            now = self.options.due_at or datetime.now(timezone.utc)
            due = due_sources(self.sources, last_attempts(db), now)
            logger.info("%d source(s) due: %s", len(due), ", ".join(s.name for s in due) or "none")
            with FuturesPool(max_workers=self.options.max_runs) as pool:
                futures = [pool.submit(self._run_job, source.name) for source in due]
                while not all(f.done() for f in futures) and not self.signals.stopping:
                    self.signals.sleep(1)
                if self.signals.stopping:
                    self._stop_runs(db, None)
            self._notify()
            if self._verify_due(db, now):
                self._run_verify()
            results = [f.result() for f in futures]
            failed = [r.source for r in results if r is not None and not r.ok]
            if failed or self.signals.stopping:
                logger.warning("Runs not ok: %s", ", ".join(failed) or "stopped by a signal")
                return 1
            return 0
        finally:
            self.signals.uninstall()
            self.snapshot.remove()
            db.close()

    # -- shared steps ---------------------------------------------------------------------------

    def _prepare(self, db) -> None:
        closed = close_abandoned_runs(db)
        if closed:
            logger.warning(
                "Marked %d run(s) left unfinished by a dead process as interrupted", closed
            )
        sync_sources(db, self.sources.sources.values())
        # Before any run: a new channel starts at the newest flag, not after this start's runs.
        # Sending (the backlog included) is the delivery worker's job, or --once's at its end.
        self._notify(self.notifier.queue)

    def _run_job(self, name: str) -> RunResult | None:
        source = self.sources.sources.get(name)
        if source is None or not source.enabled:
            return None
        if not self._space_ok():
            return RunResult(name, None, archive_problem="full")
        try:
            result = run_source(
                self.children,
                self.options.db_path,
                self.snapshot.path,
                name,
                timeout=source.run_timeout or self.options.run_timeout,
                kill_after=self.options.kill_after,
            )
        except Stopping:
            return None
        except ArchiveError as error:
            logger.error("The run of %r could not be recorded: %s", name, error)
            problems = {ArchiveFull: "full", ArchiveLocked: "locked"}
            result = RunResult(name, None, archive_problem=problems.get(type(error)))
        except Exception:
            logger.exception("The run of %r could not be started or recorded", name)
            result = RunResult(name, None)
        if result.archive_problem == "full":
            self._space_ok(full=True)
        elif result.archive_problem == "locked":
            self._retry_later(name)
        self.deliveries.wake()
        return result

    def _space_ok(self, *, full: bool = False) -> bool:
        """Whether a run may start: enough free space by the archive (``[settings]
        min_free_space``) and no run just stopped by a full disk (``full``). The change either
        way is logged once and a full disk is announced once on every channel."""
        minimum = self.sources.settings.min_free_bytes
        free = free_bytes(self.options.db_path)
        now_full = full or free < minimum
        with self._space_lock:
            was_full, self.disk_full = self.disk_full, now_full
        if now_full and not was_full:
            text = (
                f"{ArchiveFull.reason}: {free / 2**20:.0f} MB free on"
                f" {mount_point(self.options.db_path)}, minimum"
                f" {self.sources.settings.min_free_space} ([settings] min_free_space)."
                " No run starts until space is freed; runs resume by themselves."
            )
            logger.error("%s", text)
            self.notifier.announce("readouts: the archive's disk is full", text)
            self.deliveries.wake()
        elif was_full and not now_full:
            logger.info("Space is back (%.0f MB free): runs resume", free / 2**20)
        return not now_full

    def _archive_refused(self, error: ArchiveError) -> None:
        """A housekeeping write failed: a full disk is said once (``_space_ok``), a lock each time."""
        if isinstance(error, ArchiveFull):
            self._space_ok(full=True)
        else:
            logger.warning("Daemon housekeeping: %s", error.reason)

    def _retry_later(self, name: str) -> None:
        """The archive was locked by another process: run the source again after a tick."""
        when = datetime.now(timezone.utc) + timedelta(seconds=self.options.tick)
        logger.warning(
            "The archive was locked: the run of %r is retried at %s",
            name,
            when.replace(microsecond=0).isoformat(),
        )
        if self.scheduler is not None and self.scheduler.get_job(f"crawl:{name}"):
            self.scheduler.modify_job(f"crawl:{name}", next_run_time=when)

    def _notify(self, step: Callable[[], None] | None = None) -> None:
        """One notification step (a whole round of deliveries unless given); never raises."""
        try:
            (step or self.notifier.process)()
        except ArchiveError as error:
            self._archive_refused(error)
        except Exception:  # the archive is what matters; a broken channel must not stop runs
            logger.exception("Notifications failed; they stay queued and are retried")

    def _stop_runs(self, db, daemon_id: int | None) -> None:
        """No new runs; let running ones finish for ``stop_timeout`` s, then stop them."""
        self.children.close()
        deadline = monotonic() + self.options.stop_timeout
        running = self.children.running()
        if running:
            logger.info(
                "Stopping: waiting up to %.0f s for %d running crawl(s) (signal again to stop them now)",
                self.options.stop_timeout,
                len(running),
            )
        requests = self.signals.stop_requests
        while self.children.running() and monotonic() < deadline:
            if self.signals.stop_requests > requests:
                break
            self.signals.sleep(min(self.options.tick, deadline - monotonic(), 1.0))
            if daemon_id is not None:
                beat(db, daemon_id)
        stoppers = [
            threading.Thread(
                target=stop_child,
                args=(child, "shutdown", self.options.kill_after),
            )
            for child in self.children.running()
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()

    # -- the scheduler --------------------------------------------------------------------------

    def _start_scheduler(self, db) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            executors={"default": ThreadPoolExecutor(self.options.max_runs)},
        )
        attempts = last_attempts(db)
        for source in self.sources.sources.values():
            if source.enabled:
                self._schedule(scheduler, source, attempts)
        if self.sources.settings.verify:
            self._schedule_verify(scheduler, db)
        scheduler.start()
        return scheduler

    # -- the archive's own check ----------------------------------------------------------------

    def _schedule_verify(self, scheduler: BackgroundScheduler, db) -> None:
        """``[settings] verify``: ``readouts verify`` (``--repair`` with ``verify_repair``) on
        its schedule, one at a time, a missed run made up once."""
        schedule = self.sources.settings.verify
        now = datetime.now(timezone.utc)
        scheduler.add_job(
            self._run_verify,
            parse_schedule(schedule),
            id=VERIFY_JOB,
            name="verify the archive",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(period_seconds(schedule))),
            next_run_time=max(next_due(schedule, _last_verify(db), now), now),
            replace_existing=True,
        )
        logger.info("Archive verification scheduled (%s)", schedule)

    def _verify_due(self, db, now: datetime) -> bool:
        schedule = self.sources.settings.verify
        return bool(schedule) and next_due(schedule, _last_verify(db), now) <= now

    def _run_verify(self) -> None:
        """Check the archive (and repair it if asked); log what was found. Never raises."""
        from flagging.verify import repair, verify

        try:
            db = storage.open_database(self.options.db_path)
            try:
                with write_transaction(db):
                    set_state(db, VERIFY_STATE, int(datetime.now(timezone.utc).timestamp()))
                if self.sources.settings.verify_repair:
                    done = repair(db)
                    found, left = done.found, done.left
                else:
                    found = left = verify(db)
                gaps = crawl_gaps(db, list(self.sources.sources))
            finally:
                db.close()
        except Exception:
            logger.exception("Verifying the archive failed; trying again at its next time")
            return
        for finding in found:
            logger.warning("Verify: %s", finding.message)
        if not found:
            logger.info("Verify: the archive is whole")
        elif left is not found:
            logger.warning(
                "Verify repaired %d of %d problem(s)", len(found) - len(left), len(found)
            )
        failed_pages = Counter(gap["source"] for gap in gaps if gap["kind"] == "page")
        for gap in gaps:
            if gap["kind"] != "page":
                logger.warning(
                    "Verify: still to crawl: %s's last %s (run %d) ended %s",
                    gap["source"],
                    "backfill" if gap["kind"] == "backfill" else gap["mode"],
                    gap["run_id"],
                    gap["message"] if gap["outcome"] in ("ok", "errors") else gap["outcome"],
                )
        for source, count in failed_pages.items():
            logger.warning(
                "Verify: still to crawl: %s has %d page(s) whose last fetch failed"
                " (readouts verify lists them)",
                source,
                count,
            )

    def _schedule(self, scheduler: BackgroundScheduler, source: Source, attempts: dict) -> None:
        """Add (or replace) the job of ``source``; its first run is when it is next due."""
        now = datetime.now(timezone.utc)
        jitter = jitter_seconds(source.schedule, self.options.max_jitter)
        first = max(next_due(source.schedule, _parse(attempts.get(source.name)), now), now)
        first += timedelta(seconds=random.uniform(0, jitter))
        scheduler.add_job(
            self._run_job,
            parse_schedule(source.schedule, jitter=jitter or None),
            args=[source.name],
            id=f"crawl:{source.name}",
            name=f"crawl {source.name}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(period_seconds(source.schedule))),
            next_run_time=first,
            replace_existing=True,
        )
        logger.info(
            "Source %r scheduled (%s): next run %s",
            source.name,
            source.schedule,
            first.replace(microsecond=0).isoformat(),
        )

    def _tick(self, db, daemon_id: int, scheduler: BackgroundScheduler) -> None:
        """Reload if asked, beat the heartbeat. Never raises."""
        try:
            if self.signals.reload_requested:
                self.signals.reload_requested = False
                self._reload(db, scheduler)
            beat(db, daemon_id)
        except ArchiveError as error:
            self._archive_refused(error)
        except Exception:
            logger.exception("Daemon housekeeping failed; trying again next tick")

    def _reload(self, db, scheduler: BackgroundScheduler) -> None:
        """SIGHUP: re-read the sources file; add, remove and reschedule jobs. A bad file changes
        nothing."""
        try:
            new = self.snapshot.load()
        except SourcesError as error:
            logger.error("Not reloading, the running configuration stays: %s", error)
            return
        old = self.sources
        self.sources = new
        sync_sources(db, new.sources.values())
        self.notifier.channels = new.notify
        before = {name: s for name, s in old.sources.items() if s.enabled}
        after = {name: s for name, s in new.sources.items() if s.enabled}
        for name in before.keys() - after.keys():
            scheduler.remove_job(f"crawl:{name}")
            logger.info("Source %r is no longer scheduled", name)
        attempts = last_attempts(db)
        for name, source in after.items():
            if name not in before or before[name].schedule != source.schedule:
                self._schedule(scheduler, source, attempts)
        logger.info(
            "Reloaded %s: %d source(s) scheduled, %d notification channel(s)",
            self.snapshot.user_path,
            len(after),
            len(new.notify),
        )
