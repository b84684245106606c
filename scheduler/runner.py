"""One scheduled run: a ``readouts crawl NAME`` child process, watched and recorded.

The crawl runs in its own process because Twisted's reactor cannot be restarted, and because
a process boundary is the only isolation that holds for months: a crawl that raises, hangs or
leaks memory dies with its process, and the daemon records what happened in ``runs``.

The child is what a user would run by hand: it records its run, crawls, runs the flag job and
exits. It gets its own session, so a Ctrl-C in the daemon's terminal reaches the daemon only,
and the daemon decides when (and whether) to stop it: SIGTERM first — Scrapy's graceful
shutdown, which records the run as ``interrupted`` — then SIGKILL after a grace period.
"""

from __future__ import annotations

import collections
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import storage
from storage.database import ArchiveFull, ArchiveLocked
from storage.runs import fail_run, finish_run, runs_of, start_run
from storage.timeutil import utc_now

logger = logging.getLogger(__name__)

TAIL_LINES = 20  # lines of a failed child's output kept for the run's message
_LEVEL = re.compile(r"\] (WARNING|ERROR|CRITICAL): ")


class Stopping(Exception):
    """The daemon is shutting down: no new runs start."""


@dataclass(eq=False)  # compared and hashed by identity: kept in a set
class Child:
    """A running crawl process and why it was told to stop, if it was."""

    source: str
    process: subprocess.Popen[str]
    stop_reason: str | None = None  # "timeout" or "shutdown"


@dataclass
class RunResult:
    source: str
    returncode: int | None
    runs: list[dict[str, Any]] = field(default_factory=list)
    archive_problem: str | None = None  # "full" or "locked": the archive, not the site, failed

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and all(run["outcome"] == "ok" for run in self.runs)


class Children:
    """The crawl processes running now; once ``close()``d, no new one starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._children: set[Child] = set()
        self._closed = False

    def spawn(self, source: str, command: list[str]) -> Child:
        with self._lock:
            if self._closed:
                raise Stopping(source)
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            child = Child(source, process)
            self._children.add(child)
            return child

    def forget(self, child: Child) -> None:
        with self._lock:
            self._children.discard(child)

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def running(self) -> list[Child]:
        with self._lock:
            return list(self._children)


STOP_REASONS = {
    "timeout": "it ran longer than its run timeout",
    "shutdown": "the daemon is stopping",
}


def stop_child(child: Child, reason: str, kill_after: float) -> None:
    """SIGTERM (Scrapy winds down and records the run), then SIGKILL after ``kill_after`` s.

    ``reason`` is a key of ``STOP_REASONS``; it decides how the run is recorded.
    """
    if child.process.poll() is not None:
        return
    child.stop_reason = child.stop_reason or reason
    logger.warning(
        "Stopping the run of %r (pid %d): %s",
        child.source,
        child.process.pid,
        STOP_REASONS[reason],
    )
    child.process.send_signal(signal.SIGTERM)
    try:
        child.process.wait(kill_after)
    except subprocess.TimeoutExpired:
        logger.error(
            "The run of %r (pid %d) did not stop within %.0f s of SIGTERM: killing it",
            child.source,
            child.process.pid,
            kill_after,
        )
        child.process.kill()
        child.process.wait()


def _end_group(child: Child) -> None:
    """Kill what is left of the child's process group (its parsing workers, when the child was
    killed): they hold its output pipe, which the relay reads to the end."""
    try:
        os.killpg(child.process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def crawl_command(db_path: str, sources_path: str, source: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "readouts",
        "--db",
        db_path,
        "--sources",
        sources_path,
        "crawl",
        source,
    ]


def run_source(
    children: Children,
    db_path: str,
    sources_path: str,
    source: str,
    *,
    timeout: float,
    kill_after: float,
) -> RunResult:
    """Run ``readouts crawl SOURCE`` in a child; stop it after ``timeout`` s; record the outcome.

    Raises ``Stopping`` if the daemon is shutting down before the run starts.
    """
    started = utc_now()
    child = children.spawn(source, crawl_command(db_path, sources_path, source))
    logger.info("Run of %r started (pid %d)", source, child.process.pid)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    relay = threading.Thread(target=_relay_output, args=(child, tail), daemon=True)
    relay.start()
    try:
        child.process.wait(timeout)
    except subprocess.TimeoutExpired:
        stop_child(child, "timeout", kill_after)
    _end_group(child)
    relay.join()
    children.forget(child)
    return _record(db_path, child, started, timeout, list(tail))


def archive_problem(tail: list[str]) -> str | None:
    """ "full" or "locked" when the child's last words say the archive stopped it."""
    last = "\n".join(tail[-3:])
    if ArchiveLocked.MARK in last:
        return "locked"
    if ArchiveFull.reason in last or "no space left for the archive" in last:
        return "full"
    return None


def _relay_output(child: Child, tail: collections.deque[str]) -> None:
    """Pass the child's log on: warnings and errors at their level, the rest at DEBUG."""
    assert child.process.stdout is not None
    for line in child.process.stdout:
        line = line.rstrip()
        tail.append(line)
        match = _LEVEL.search(line)
        level = getattr(logging, match.group(1)) if match else logging.DEBUG
        logger.log(level, "[%s] %s", child.source, line)


def _record(db_path: str, child: Child, started: str, timeout: float, tail: list[str]) -> RunResult:
    """Make the runs table say what happened, whatever state the child left it in."""
    returncode = child.process.returncode
    problem = archive_problem(tail) if returncode else None
    db = storage.open_database(db_path)
    try:
        runs = runs_of(db, child.process.pid, started)
        if child.stop_reason == "timeout":
            message = f"stopped after its run timeout of {timeout:.0f} s"
            runs = [fail_run(db, run["id"], message) for run in runs]
        elif child.stop_reason == "shutdown":
            runs = [
                finish_run(db, run["id"], outcome="interrupted", message="stopped by the daemon")
                if run["finished_at"] is None
                else run
                for run in runs
            ]
        else:
            message = _exit_message(returncode, tail)
            # A lock is no fault of the site: an "interrupted" run does not count as an attempt.
            outcome = "interrupted" if problem == "locked" else "failed"
            runs = [
                finish_run(db, run["id"], outcome=outcome, message=message)
                if run["finished_at"] is None
                else run
                for run in runs
            ]
        if not runs and child.stop_reason != "shutdown" and problem != "locked":
            # The child died before recording a run (bad install, crash at start-up, timeout
            # while starting): record one on its behalf, so the failure is in the runs table.
            run_id = start_run(db, child.source, "monitor")
            reason = (
                f"stopped after its run timeout of {timeout:.0f} s"
                if child.stop_reason == "timeout"
                else _exit_message(returncode, tail)
            )
            runs = [finish_run(db, run_id, outcome="failed", message=reason)]
    finally:
        db.close()
    result = RunResult(child.source, returncode, runs, problem)
    for run in runs:
        log = logger.info if run["outcome"] == "ok" else logger.warning
        log(
            "Run %d of %r: %s — %d page(s), %d version(s) stored, %d error(s)%s",
            run["id"],
            run["source"],
            run["outcome"],
            run["pages_fetched"] or 0,
            run["versions_stored"] or 0,
            run["errors"] or 0,
            f" ({run['message']})" if run["message"] else "",
        )
    return result


def _exit_message(returncode: int | None, tail: list[str]) -> str:
    if returncode is not None and returncode < 0:
        how = f"was killed by signal {-returncode}"
    else:
        how = f"exited with status {returncode}"
    last = "\n".join(tail[-5:])
    return f"the crawl process {how}" + (f"; its last output:\n{last}" if last else "")
