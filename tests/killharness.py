"""Kill a process with SIGKILL at a random moment, then check the archive it was writing.

Reusable for anything that writes the archive (``readouts crawl``, the daemon): start the
command with ``run_and_kill``, then ``archive_problems`` lists whatever a kill could have broken.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Kill:
    killed: bool  # False when the command had already ended by itself
    after: float  # seconds from start to the kill (or to its end)
    returncode: int | None


def run_and_kill(
    command: Sequence[str],
    *,
    rng: random.Random,
    max_delay: float,
    ready: Callable[[], bool] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    stderr: Path | None = None,
) -> Kill:
    """Start ``command``; once ``ready()`` holds, wait ``rng.uniform(0, max_delay)`` s and kill -9.

    The command runs in its own process group and is killed with all its descendants, as a
    power cut would: a daemon's child crawls (in sessions of their own) die with it.
    ``stderr`` names a file for the command's log (appended to), for a failing test to show.
    """
    started = time.monotonic()
    log = stderr.open("a", encoding="utf-8") if stderr else subprocess.DEVNULL
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    if stderr:
        log.close()  # the child has its own copy
    try:
        while ready is not None and not ready() and process.poll() is None:
            _check_timeout(started, timeout)
            time.sleep(0.01)
        deadline = time.monotonic() + rng.uniform(0, max_delay)
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        killed = process.poll() is None
        if killed:
            kill_tree(process.pid)
        after = time.monotonic() - started
        returncode = process.wait(timeout=timeout)
    except BaseException:
        if process.poll() is None:
            kill_tree(process.pid)
            process.wait()
        raise
    return Kill(killed, after, returncode)


def kill_tree(pid: int) -> None:
    """SIGKILL process group ``pid`` and every descendant, as if the power went off.

    The group is stopped first (SIGSTOP), so it cannot start a child while its descendants are
    listed; descendants are found by parent pid in /proc, since they may run in other sessions.
    """
    os.killpg(pid, signal.SIGSTOP)
    frozen: set[int] = set()
    while True:
        found = _descendants(pid) - frozen
        if not found:
            break
        for child in found:
            _signal(child, signal.SIGSTOP)
        frozen |= found
    for child in frozen:
        _signal(child, signal.SIGKILL)
    os.killpg(pid, signal.SIGKILL)


def _descendants(pid: int) -> set[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _check_timeout(started: float, timeout: float) -> None:
    if time.monotonic() - started > timeout:
        raise TimeoutError(f"the command was not ready after {timeout} s")


def archive_problems(db_path: str | Path) -> list[str]:
    """Everything wrong with an archive that a crash must never cause; empty when sound."""
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        return _problems(conn)
    finally:
        conn.close()


def _problems(conn: sqlite3.Connection) -> list[str]:
    problems = []
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems.append(f"integrity_check: {integrity[:5]}")
    for row in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f"foreign key violation: {row}")
    checks = {
        "versions not numbered 1..n": """
            SELECT document_id, min(version), max(version), count(*), count(DISTINCT version)
            FROM versions GROUP BY document_id
            HAVING min(version) != 1 OR max(version) != count(*)
                OR count(*) != count(DISTINCT version)""",
        "consecutive versions with the same content": """
            SELECT a.document_id, a.version FROM versions a JOIN versions b
            ON b.document_id = a.document_id AND b.version = a.version + 1
            WHERE a.content_hash = b.content_hash""",
        "empty version": """
            SELECT id FROM versions
            WHERE trim(coalesce(title, '')) = '' OR trim(coalesce(text, '')) = ''""",
        "document without a version": """
            SELECT id FROM documents d
            WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.document_id = d.id)""",
        "version flagged twice": """
            SELECT version_id, count(*) FROM flags
            WHERE kind IN ('new_readout', 'edited_readout')
            GROUP BY version_id HAVING count(*) > 1""",
        "version without its stored page": """
            SELECT v.id FROM versions v LEFT JOIN pages p ON p.hash = v.page_hash
            WHERE v.page_hash IS NOT NULL AND p.hash IS NULL""",
    }
    for label, sql in checks.items():
        rows = conn.execute(sql).fetchall()
        if rows:
            problems.append(f"{label}: {rows[:5]}")
    return problems
