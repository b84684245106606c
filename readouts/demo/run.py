"""``readouts demo``: crawl the demo site, change it, crawl again, show the flags.

Each crawl is a child ``readouts crawl`` process (a Twisted reactor runs once per process),
exactly what a user or the daemon would run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from crawler.parsing import WORKERS_VARIABLE
from readouts.demo.server import SiteServer
from readouts.demo.site import DemoSite

DEMO_SOURCES = ["demo-kremlin", "demo-whitehouse", "demo-commentary"]
STDERR_TAIL_LINES = 30  # of a failed step's log, shown before the demo stops


class DemoFailed(click.ClickException):
    """A step of the demo did not succeed: the demo stops with a non-zero exit status."""


def run_demo(db_path: str, *, port: int = 0, echo: Callable[[str], None] = print) -> None:
    _reset_demo_database(db_path)
    with SiteServer(port) as server, tempfile.TemporaryDirectory() as tmp:
        site = DemoSite(server)
        sources = Path(tmp) / "demo-sources.toml"
        sources.write_text(site.sources_toml(), encoding="utf-8")
        echo(f"Demo site serving on {server.base_url}\n")

        echo("1. First crawl: every readout and the commentary article are new.")
        for name in DEMO_SOURCES:  # one at a time: the documents are numbered alike every time
            _readouts(db_path, sources, echo, "crawl", name)
        echo(
            "\n2. The site changes: the Kremlin edits its readout of the 21 Nov 2017 call, the White"
        )
        echo(
            "   House page gets only typographic changes, one readout is taken down, one is added."
        )
        site.edit()
        _crawl(db_path, sources, echo, "--recheck")
        echo(
            "\n3. Crawl again: the page taken down answers 404 a second time, so it counts as removed."
        )
        _crawl(db_path, sources, echo, "--recheck")

    echo("\nEverything flagged:")
    _readouts(db_path, sources, echo, "flags")
    echo("\nThe Kremlin's edit, word by word:")
    kremlin_call = f"{server.base_url}/events/president/news/56155"
    _readouts(db_path, sources, echo, "diff", kremlin_call)
    echo("\nWho quotes the Kremlin's readout, and which quoted words it no longer says:")
    _readouts(db_path, sources, echo, "citations", kremlin_call)
    echo(f"\nLook around: readouts --db {db_path} flags --json")
    echo(f"Browse it:   readouts --db {db_path} serve")


def _reset_demo_database(db_path: str) -> None:
    """The demo starts from an empty archive, but never deletes a real one."""
    path = Path(db_path)
    if not path.exists():
        return
    import storage
    from storage.queries import sources_not_prefixed

    db = storage.open_database(path)
    other = sources_not_prefixed(db, "demo-")
    db.close()
    if other:
        raise click.ClickException(
            f"{db_path} holds documents of other sources ({', '.join(other)}); "
            "run the demo with its own database: readouts --db demo.db demo"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def _readouts(db_path: str, sources: Path, echo, *args: str) -> None:
    """Run one ``readouts`` command in a child process and show its output.

    In the demo every step must succeed (the site is local and well-formed): any non-zero exit,
    even a crawl's "finished with errors" status 1, is a failure of the demo, shown with the
    end of the child's log so the cause is on the screen.
    """
    command = [sys.executable, "-m", "readouts", "--db", db_path, "--sources", str(sources), *args]
    # Pages parsed in the crawl process, one at a time: parsing workers would store a source's
    # two readouts in the order they finish, and number them differently from run to run.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", WORKERS_VARIABLE: "0"}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    echo(result.stdout.rstrip())
    if result.returncode != 0:
        tail = result.stderr.rstrip().splitlines()[-STDERR_TAIL_LINES:]
        echo("\n".join(tail))
        raise DemoFailed(
            f"readouts {' '.join(args)} exited with status {result.returncode} (its log is"
            " above); the demo needs every step to succeed: check that nothing blocks"
            " 127.0.0.1 and run `make install` again"
        )


def _crawl(db_path: str, sources: Path, echo, *options: str) -> None:
    _readouts(db_path, sources, echo, "crawl", *DEMO_SOURCES, *options)
