"""Soak: ``kill -9`` the daemon and its crawls many times, checking the archive after each.

The scenario of tests/test_kill_daemon.py (which runs it 20 times in the suite) with as many
kills as you like: two sites on 127.0.0.1 crawled every second, edited every five kills, the
daemon and its child crawls killed at a seeded random moment of their life; after every kill
``archive_problems`` must be empty and the next daemon must take over; a calm daemon ends it.

    .venv/bin/python bench/daemon_kills.py                 # 100 kills, seed 1
    .venv/bin/python bench/daemon_kills.py --kills 300 --seed 7
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from killharness import archive_problems  # noqa: E402
from test_kill_daemon import kill_daemon_repeatedly  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="how many times to kill")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "archive.db"
        outcome = kill_daemon_repeatedly(Path(tmp), db_path, args.kills, args.seed)
        problems = archive_problems(db_path)
        conn = sqlite3.connect(db_path)
        interrupted = conn.execute(
            "SELECT count(*) FROM runs WHERE message = 'the process running it ended'"
        ).fetchone()[0]
        runs, ok = conn.execute("SELECT count(*), sum(outcome = 'ok') FROM runs").fetchone()
        dead = conn.execute("SELECT count(*) FROM daemon WHERE state = 'dead'").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
        flags = conn.execute("SELECT count(*) FROM flags").fetchone()[0]
        conn.close()
    kills = outcome["kills"]
    print(f"daemon kills: {sum(k.killed for k in kills)} of {len(kills)} landed (seed {args.seed})")
    print(
        f"  kill moments after start: {min(k.after for k in kills):.2f}–{max(k.after for k in kills):.2f} s"
    )
    print(
        f"  daemon rows taken over (dead): {dead}; runs: {runs}, ok {ok}, killed mid-run {interrupted}"
    )
    print(
        f"  versions {versions}, flags {flags}; archive problems after the last kill: {len(problems)}"
    )
    print(f"  total {time.monotonic() - started:.0f} s")
    print(
        f"reproduce: .venv/bin/python bench/daemon_kills.py --kills {args.kills} --seed {args.seed}"
    )


if __name__ == "__main__":
    main()
