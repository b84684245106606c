"""Memory of the daemon over many scheduled runs: its RSS must stay flat.

Serves the demo site on 127.0.0.1, starts `readouts daemon` with every demo source on a
one-second interval, waits for N finished runs, samples the daemon's resident memory along the
way (from /proc, Linux only), then stops it with SIGTERM.

    .venv/bin/python bench/daemon_memory.py            # 200 runs
    .venv/bin/python bench/daemon_memory.py --runs 50
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from readouts.demo.server import SiteServer
from readouts.demo.site import DemoSite


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def finished_runs(db_path: Path) -> tuple[int, int]:
    """(finished runs, of which not ok)"""
    if not db_path.exists():
        return 0, 0
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(outcome != 'ok'), 0) FROM runs"
            " WHERE finished_at IS NOT NULL"
        ).fetchone()
    except sqlite3.OperationalError:  # the daemon has not created the schema yet
        return 0, 0
    finally:
        conn.close()
    return row[0], row[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="scheduled runs to wait for")
    args = parser.parse_args()
    with SiteServer() as server, tempfile.TemporaryDirectory() as tmp:
        site = DemoSite(server)
        sources = Path(tmp) / "sources.toml"
        text = re.sub(r'schedule = "[^"]*"', 'schedule = "1s"', site.sources_toml())
        sources.write_text(text, encoding="utf-8")
        db_path = Path(tmp) / "bench.db"
        log = open(Path(tmp) / "daemon.log", "w")  # noqa: SIM115 (closed below)
        command = [
            sys.executable, "-m", "readouts", "--db", str(db_path), "--sources", str(sources),
            "daemon", "--tick", "1", "--jitter", "0", "--max-runs", "2",
        ]  # fmt: skip
        daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        started = time.monotonic()
        samples: list[tuple[int, float]] = []
        try:
            step = max(1, args.runs // 10)
            next_sample = 1  # the first sample once the daemon has run something
            while True:
                done, not_ok = finished_runs(db_path)
                if done >= next_sample:
                    samples.append((done, rss_mb(daemon.pid)))
                    print(f"{done:4d} runs  daemon RSS {samples[-1][1]:6.1f} MB", flush=True)
                    next_sample = (done // step + 1) * step
                if done >= args.runs:
                    break
                if daemon.poll() is not None:
                    sys.exit(f"the daemon exited with status {daemon.returncode}")
                time.sleep(0.5)
            elapsed = time.monotonic() - started
        finally:
            daemon.send_signal(signal.SIGTERM)
            status = daemon.wait(120)
            log.close()
    print()
    print(f"runs finished:           {done} ({not_ok} not ok) in {elapsed:.0f} s")
    print(f"daemon RSS at the start: {samples[0][1]:.1f} MB (after {samples[0][0]} runs)")
    print(f"daemon RSS at the end:   {samples[-1][1]:.1f} MB (after {samples[-1][0]} runs)")
    print(f"daemon RSS, max:         {max(rss for _, rss in samples):.1f} MB")
    print(f"exit status on SIGTERM:  {status}")
    print(f"reproduce: {os.path.relpath(sys.executable)} bench/daemon_memory.py --runs {args.runs}")


if __name__ == "__main__":
    main()
