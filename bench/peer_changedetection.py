"""readout-monitor side by side with changedetection.io, on the same local pages.

changedetection.io (the most used open-source change monitor) is installed in a venv of its
own under bench/out/ (skipped, saying so, when that cannot be done), started on 127.0.0.1 with
a datastore in a temporary directory and driven through its API: one watch per page, then
re-checks of all watches, each phase timed until every watch has been checked again. Ours:
``readouts crawl`` over the same site (its first crawl also reads the listing pages).

Phases, each tool back to back so the machine's load weighs on both:
1. first check;
2. unchanged re-check, the site sending no ETag / Last-Modified;
3. unchanged re-check, the site sending ETags (after one re-check that learns them);
4. every page edited;
5. a page whose chrome changes on every request (a sidebar counter): changes raised in
   ``--churn-checks`` re-checks (false alarms: the readout itself never changes).
CPU is user + system time of each tool's processes (the crawl and its parsing workers; the
peer's server and its workers), peak memory the largest resident total of those processes.

Usage: python bench/peer_changedetection.py [--pages 1000] [--workers 16]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
from staticsite import ROOT, StaticSite

from readouts.demo.sitegen import item_path, make_readout, render_readout, site_pages, sources_toml

PEER = "changedetection.io==0.60.10"
VENV = ROOT / "bench" / "out" / "peer-venv"
MENU_LINKS = 200
CHURN = "@@CHURN@@"
SIDEBAR = "<li>Заседание Совета</li>"


def _proportional_size(process: psutil.Process) -> int:
    try:
        return process.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return process.memory_info().rss


class Usage:
    """CPU seconds and peak memory of a process tree, sampled while it runs. Memory is the sum of
    the processes' proportional set sizes (PSS): forked parsing workers share most of their pages
    with the crawl process, and a sum of resident sizes would count those pages once per process.
    Where PSS cannot be read, resident sizes are summed."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.cpu: dict[int, float] = {}
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.2)

    def sample(self) -> None:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        memory = 0
        for process in processes:
            try:
                times = process.cpu_times()
                self.cpu[process.pid] = (
                    times.user + times.system + times.children_user + times.children_system
                )
                memory += _proportional_size(process)
            except psutil.NoSuchProcess:
                continue
        self.peak = max(self.peak, memory)

    def total_cpu(self) -> float:
        self.sample()
        return sum(self.cpu.values())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def ours(readouts: list[str], *args: str) -> tuple[float, float, int]:
    """Wall s, CPU s and peak RSS (bytes) of one ``readouts crawl``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        readouts + ["crawl", "site", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    usage = Usage(process.pid)
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    usage.stop()
    if process.returncode != 0:
        sys.exit(f"readouts crawl failed ({process.returncode}):\n{err.decode()[-3000:]}")
    return elapsed, sum(usage.cpu.values()), usage.peak


def last_run(db: Path) -> dict:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone())
    conn.close()
    return row


def our_storage(db: Path) -> tuple[int, int]:
    """Bytes of the archive file (its WAL checkpointed) and the versions it holds."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    conn.close()
    return db.stat().st_size, versions


def peer_storage(datastore: Path) -> tuple[int, int]:
    """Bytes of the peer's datastore directory and the snapshots its watches' histories list."""
    files = [path for path in datastore.rglob("*") if path.is_file()]
    snapshots = sum(
        len(path.read_text().splitlines()) for path in files if path.name == "history.txt"
    )
    return sum(path.stat().st_size for path in files), snapshots


def peer_venv() -> Path | None:
    """The peer's executable, installed if needed; None (said why) when it cannot be."""
    executable = VENV / "bin" / "changedetection.io"
    if executable.exists():
        return executable
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", PEER],
            check=True,
            capture_output=True,
            timeout=1800,
        )
    except (subprocess.SubprocessError, OSError) as error:
        print(f"skipped changedetection.io: could not install {PEER} ({error})")
        return None
    return executable


class Peer:
    """A running changedetection.io, driven through its API."""

    def __init__(self, executable: Path, datastore: str, workers: int):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.datastore = Path(datastore)
        self.datastore.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "FETCH_WORKERS": str(workers),
            "LOGGER_LEVEL": "WARNING",
            "ALLOW_IANA_RESTRICTED_ADDRESSES": "true",  # the site is on 127.0.0.1
        }
        self.process = subprocess.Popen(
            [str(executable), "-d", datastore, "-p", str(self.port), "-h", "127.0.0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.usage = Usage(self.process.pid)
        self.key = self._api_key(Path(datastore) / "changedetection.json")

    def _api_key(self, settings: Path) -> str:
        deadline = time.monotonic() + 300
        problem = None
        while time.monotonic() < deadline:
            try:
                data = json.loads(settings.read_text())
                key = data["settings"]["application"]["api_access_token"]
                self.call("GET", "/api/v1/systeminfo", key=key)
                return key
            except (OSError, ValueError, KeyError) as error:
                problem = error
                time.sleep(0.5)
        raise RuntimeError(f"changedetection.io did not answer in 300 s ({problem!r})")

    def call(self, method: str, path: str, body: bytes | None = None, key: str | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=body,
            method=method,
            headers={"x-api-key": key or self.key, "Content-Type": "text/plain"},
        )
        for attempt in range(20):
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    return json.loads(answer.read() or b"null")
            except urllib.error.HTTPError as error:
                # Listing watches while it imports a thousand of them can fail with a 500 (its
                # watch dict changes under the listing): a read is simply asked again.
                if method != "GET" or error.code < 500 or attempt == 19:
                    raise
                time.sleep(0.5)

    def watches(self) -> dict:
        """Our watches (not the examples a new datastore starts with)."""
        prefix = "http://127.0.0.1:"
        return {
            uuid: watch
            for uuid, watch in self.call("GET", "/api/v1/watch").items()
            if watch["url"].startswith(prefix)
        }

    def timed(self, trigger, count: int) -> tuple[float, float, int]:
        """Wall s and CPU s until ``count`` watches were checked after ``trigger()``; and how
        many of them changed."""
        time.sleep(1.1)  # last_checked has whole seconds
        cpu = self.usage.total_cpu()
        since = time.time()
        started = time.perf_counter()
        trigger()
        while True:
            watches = self.watches()
            done = [w for w in watches.values() if (w["last_checked"] or 0) >= int(since)]
            if len(watches) >= count and len(done) >= count:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        changed = sum(1 for w in done if (w["last_changed"] or 0) >= int(since))
        return elapsed, self.usage.total_cpu() - cpu, changed

    def add(self, urls: list[str]) -> tuple[float, float, int]:
        return self.timed(
            lambda: self.call("POST", "/api/v1/import", "\n".join(urls).encode()), len(urls)
        )

    def recheck(self, count: int) -> tuple[float, float, int]:
        return self.timed(lambda: self.call("GET", "/api/v1/watch?recheck_all=1"), count)

    def close(self) -> int:
        self.usage.stop()
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return self.usage.peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=16, help="the peer's FETCH_WORKERS")
    parser.add_argument("--churn-pages", type=int, default=20)
    parser.add_argument("--churn-checks", type=int, default=3)
    args = parser.parse_args(argv)
    executable = peer_venv()
    pages = site_pages(args.pages, menu_links=MENU_LINKS)
    paths = [item_path(n) for n in range(1, args.pages + 1)]
    rows: list[tuple[str, tuple, tuple | None]] = []
    with tempfile.TemporaryDirectory() as tmp, StaticSite(pages, etag=False) as site:
        urls = [site.base_url + path for path in paths]
        sources = Path(tmp) / "sources.toml"
        sources.write_text(sources_toml(site.base_url, delay=0, concurrency=16), encoding="utf-8")
        db = Path(tmp) / "archive.db"
        readouts = [sys.executable, "-m", "readouts", "--db", str(db), "--sources", str(sources)]
        peer = Peer(executable, str(Path(tmp) / "peer"), args.workers) if executable else None

        def phase(name: str, our_args: tuple[str, ...], peer_step) -> None:
            wall, cpu, rss = ours(readouts, *our_args)
            run = last_run(db)
            mine = (wall, cpu, rss, run["versions_stored"])
            theirs = peer_step() if peer else None
            rows.append((name, mine, theirs))
            print(f"  {name}: ours {wall:.1f} s, {cpu:.1f} s CPU; uptime {_load()}", flush=True)

        phase("first check", (), lambda: peer.add(urls))
        phase("unchanged, no ETag", ("--recheck",), lambda: peer.recheck(len(urls)))
        site.serve_etags(True)
        ours(readouts, "--recheck")  # learns the ETags (an unchanged re-check, not parsed)
        if peer:
            peer.recheck(len(urls))
        phase("unchanged, ETag (304)", ("--recheck",), lambda: peer.recheck(len(urls)))
        site.set_pages(
            {
                path: render_readout(make_readout(n).edited(1), menu_links=MENU_LINKS)
                for n, path in enumerate(paths, start=1)
            }
        )
        phase("every page edited", ("--recheck",), lambda: peer.recheck(len(urls)))
        peer_rss = peer.close() if peer else None
        raw = sum(len(pages[path].encode("utf-8")) for path in paths) / len(paths)
        storage = (raw, our_storage(db), peer_storage(peer.datastore) if peer else None)

    churn = churn_phase(args, executable)
    print_table(args, rows, churn, peer_rss, storage)


def churn_phase(args, executable: Path | None) -> tuple[int, int | None]:
    """Changes each tool raises over re-checks of pages whose sidebar counter changes."""
    pages = {
        path: html.replace(SIDEBAR, SIDEBAR + f"<li>Просмотров: {CHURN}</li>")
        for path, html in site_pages(args.churn_pages, menu_links=MENU_LINKS).items()
    }
    paths = [item_path(n) for n in range(1, args.churn_pages + 1)]
    with tempfile.TemporaryDirectory() as tmp, StaticSite(pages, etag=False, churn=CHURN) as site:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(sources_toml(site.base_url, delay=0, concurrency=16), encoding="utf-8")
        db = Path(tmp) / "archive.db"
        readouts = [sys.executable, "-m", "readouts", "--db", str(db), "--sources", str(sources)]
        ours(readouts)
        mine = 0
        for _ in range(args.churn_checks):
            ours(readouts, "--recheck")
            mine += last_run(db)["versions_stored"]
        theirs = None
        if executable:
            peer = Peer(executable, str(Path(tmp) / "peer"), args.workers)
            peer.add([site.base_url + path for path in paths])
            theirs = sum(peer.recheck(len(paths))[2] for _ in range(args.churn_checks))
            peer.close()
    return mine, theirs


def _load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def print_table(args, rows, churn, peer_rss, storage) -> None:
    n = args.pages
    print(
        f"\n{n} local pages of ~24 KB; readout-monitor vs {PEER} (FETCH_WORKERS={args.workers});"
        f" {os.cpu_count()} cores, {_load()}"
    )
    print(
        f"  {'check':<24} {'ours pages/s':>12} {'CPU s':>7} {'new vers.':>9}"
        f" {'peer pages/s':>12} {'CPU s':>7} {'changed':>7} {'ours/peer':>9}"
    )
    first_wall = rows[0][1][0]
    peak = 0
    for name, mine, theirs in rows:
        wall, cpu, rss, versions = mine
        peak = max(peak, rss)
        line = f"  {name:<24} {n / wall:12.1f} {cpu:7.1f} {versions:9d}"
        if theirs:
            line += (
                f" {n / theirs[0]:12.1f} {theirs[1]:7.1f} {theirs[2]:7d} {theirs[0] / wall:9.2f}x"
            )
        else:
            line += "   (changedetection.io skipped)"
        print(line + f"   ({wall / first_wall:.2f} of our first check)")
    print(f"  peak memory (PSS): ours {peak / 2**20:.0f} MB (crawl + parsing workers)", end="")
    print(f", peer {peer_rss / 2**20:.0f} MB" if peer_rss else "")
    raw, (our_bytes, versions), theirs = storage
    print(
        f"  storage after these checks: ours {our_bytes / versions:,.0f} bytes per stored version"
        f" ({versions} versions, x{our_bytes / versions / raw:.2f} of the {raw:,.0f}-byte raw page)",
        end="",
    )
    if theirs:
        peer_bytes, snapshots = theirs
        print(
            f", peer {peer_bytes / snapshots:,.0f} bytes per snapshot ({snapshots} snapshots,"
            f" x{peer_bytes / snapshots / raw:.2f})",
            end="",
        )
    print()
    mine, theirs = churn
    print(
        f"  {args.churn_pages} pages whose sidebar counter changes per request,"
        f" {args.churn_checks} re-checks: ours raised {mine} changes"
        + (f", the peer {theirs}" if theirs is not None else "")
    )
    print(f"Reproduce: python bench/peer_changedetection.py --pages {n} --workers {args.workers}")


if __name__ == "__main__":
    main()
