"""The ``readouts`` command: a thin layer over crawler/, storage/, flagging/ and scheduler/."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date, timezone

import click

from readouts import __version__, report
from scheduler.sources import SourcesError, SourcesFile, load_sources
from storage.schema import FLAG_KINDS

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class State:
    """Options of the command group, with the database and sources opened on first use."""

    def __init__(self, db_path: str, sources_path: str | None):
        self.db_path = db_path
        self.sources_path = sources_path
        self._db = None
        self._sources = None

    @property
    def db(self):
        """The archive, with the runs of processes that died closed as ``interrupted`` first:
        no command reports a run a ``kill -9`` or a power cut ended as still running."""
        if self._db is None:
            import storage
            from storage.runs import close_abandoned_runs

            self._db = storage.open_database(self.db_path)
            close_abandoned_runs(self._db)
        return self._db

    @property
    def sources(self) -> SourcesFile:
        if self._sources is None:
            try:
                self._sources = load_sources(self.sources_path)
            except SourcesError as error:
                raise BadSources(str(error)) from None
        return self._sources


class BadSources(click.ClickException):
    """A bad sources file: exit status 2, like any other usage error."""

    exit_code = 2


class ArchiveProblem(click.ClickException):
    """An archive that is full, locked or not an archive: one line, the error's exit status."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.exit_code = getattr(error, "exit_code", 1)


class ReadoutsGroup(click.Group):
    """Turns the storage layer's named errors (and SQLite's own) into one line and an exit code."""

    def invoke(self, ctx):
        import sqlite3

        from storage.database import ArchiveError, archive_error

        try:
            return super().invoke(ctx)
        except ArchiveError as error:
            raise ArchiveProblem(error) from None
        except sqlite3.Error as error:
            named = archive_error(error, ctx.obj.db_path if ctx.obj else None)
            if named is None:
                raise
            raise ArchiveProblem(named) from None


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Output JSON for scripts.")(command)


def parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from None


@click.group(cls=ReadoutsGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="readouts")
@click.option(
    "--db",
    "db_path",
    envvar="READOUTS_DB",
    default="readouts.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database of the archive (env READOUTS_DB).",
)
@click.option(
    "--sources",
    "sources_path",
    envvar="READOUTS_SOURCES",
    default=None,
    type=click.Path(dir_okay=False),
    help="Sources file (env READOUTS_SOURCES; defaults to the bundled sources.toml).",
)
@click.pass_context
def cli(ctx, db_path, sources_path):
    """Archive official readouts, watch them for edits and removals, and find who quotes them.

    \b
    Example:
        readouts crawl kremlin-en
        readouts flags --since 2026-11-01
    """
    ctx.obj = State(db_path, sources_path)
    ctx.call_on_close(lambda: ctx.obj._db is not None and ctx.obj._db.close())


@cli.command()
@json_option
@click.pass_obj
def sources(state: State, as_json):
    """The configured sources: kind, spider, schedule, next run, last run and its outcome.

    Next run is when the schedule makes a source due ("due": now), counted from its last
    monitor run; the last line says whether a daemon is running on this database.

    \b
    Example:
        readouts sources
    """
    from scheduler.status import add_next_runs, daemon_summary
    from storage.daemon import latest_daemon
    from storage.sources import source_overview, sync_sources

    sync_sources(state.db, state.sources.sources.values())
    rows = add_next_runs(source_overview(state.db, list(state.sources.sources)))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ["name", "kind", "spider", "schedule", "enabled", "next_run", "last_run"]
    click.echo(report.table(rows, columns + ["last_outcome"]))
    click.echo(daemon_summary(latest_daemon(state.db)))


@cli.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--since", callback=parse_date, help="Backfill from this date (YYYY-MM-DD).")
@click.option("--until", callback=parse_date, help="Backfill up to this date (YYYY-MM-DD).")
@click.option(
    "--max-pages",
    type=click.IntRange(1),
    help="Fetch at most this many pages per source: listing and item pages, each counted once"
    " with its retries and redirects; robots.txt not counted. No limit by default.",
)
@click.option("--recheck", is_flag=True, help="Also re-fetch every known item of the source.")
@click.option(
    "--from-archive",
    is_flag=True,
    help="Read the Wayback Machine's captures of the source instead of the site"
    " (--since/--until then bound capture dates).",
)
@click.pass_obj
def crawl(state: State, names, since, until, max_pages, recheck, from_archive):
    """Crawl sources once now, then run the flag job.

    Without dates this is a monitor run (newest items until known ones, plus re-checks of
    recent items); with --since/--until, a backfill of that range, resumable after an
    interruption. A backfill the site refuses, or one with --from-archive, reads the Wayback
    Machine's captures instead: each a version dated by its capture time. Exit status 1 when
    some fetches failed (see the fetches table).

    \b
    Example:
        readouts crawl kremlin-en whitehouse
        readouts crawl kremlin-en --since 2025-01-01 --until 2025-03-31
        readouts crawl govuk-pm --since 2019-01-01 --until 2019-12-31 --from-archive
    """
    from crawler.run import CrawlOptions, crawl_sources
    from flagging import run_flag_job
    from storage.sources import sync_sources

    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    try:
        selected = state.sources.select(list(names))
    except SourcesError as error:
        raise BadSources(str(error)) from None
    sync_sources(state.db, state.sources.sources.values())
    options = CrawlOptions(
        since=since, until=until, max_pages=max_pages, recheck=recheck, from_archive=from_archive
    )
    settings = state.sources.settings
    runs = crawl_sources(
        state.db_path,
        selected,
        options,
        settings.contact,
        settings.user_agent,
        settings.wayback_url,
    )
    flags = run_flag_job(state.db)
    click.echo(report.crawl_summary(runs, flags))
    if any(run["outcome"] != "ok" for run in runs):
        sys.exit(1)


@cli.command()
@click.option(
    "--once",
    is_flag=True,
    help="Run every enabled source that is due, then exit (status 1 if a run was not ok).",
)
@click.option(
    "--due-at",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    help="With --once: decide what is due as of this time (UTC unless it has an offset) "
    "instead of now.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help="Also log to this file (reopened when logrotate moves it).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="Least severe level logged; DEBUG includes each crawl's own log.",
)
@click.option(
    "--run-timeout",
    type=click.FloatRange(1),
    default=1800,
    show_default=True,
    help="Seconds a run may take before it is stopped and recorded as failed "
    "(a source's run_timeout wins).",
)
@click.option(
    "--stop-timeout",
    type=click.FloatRange(0),
    default=60,
    show_default=True,
    help="On SIGTERM/SIGINT, seconds running crawls may go on before they are stopped.",
)
@click.option(
    "--kill-after",
    type=click.FloatRange(0),
    default=30,
    show_default=True,
    help="Seconds a stopped crawl gets to record its run before it is killed.",
)
@click.option(
    "--max-runs",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Crawls running at once.",
)
@click.option(
    "--jitter",
    type=click.FloatRange(0),
    default=60,
    show_default=True,
    help="Seconds of random delay added to each run at most (and at most a tenth of "
    "the source's period), so sources don't fire together.",
)
@click.option(
    "--tick",
    type=click.FloatRange(0.1),
    default=30,
    show_default=True,
    help="Seconds between heartbeats; also the first delay before a failed "
    "notification is retried.",
)
@click.pass_obj
def daemon(
    state: State,
    once,
    due_at,
    log_file,
    log_level,
    run_timeout,
    stop_timeout,
    kill_after,
    max_runs,
    jitter,
    tick,
):
    """Run every enabled source on its schedule, the flag job after each run, until stopped.

    Each run is a `readouts crawl NAME` child process. SIGTERM or SIGINT: no new runs, running
    ones get --stop-timeout seconds, then are stopped; exit 0. SIGHUP: reload the sources file
    (a bad file is logged and the running configuration kept). Flags go to the [[notify]]
    channels of the sources file. With --once: run what is due and exit, for cron.

    \b
    Example:
        readouts daemon --log-file /var/log/readouts.log
        readouts daemon --once
    """
    if due_at and not once:
        raise click.UsageError("--due-at only applies with --once")
    from scheduler.daemon import Daemon, DaemonAlreadyRunning, DaemonOptions
    from scheduler.logs import configure_logging

    try:
        configure_logging(log_level.upper(), log_file)
    except OSError as error:
        raise click.BadParameter(f"cannot open it: {error}", param_hint="--log-file") from None
    options = DaemonOptions(
        db_path=state.db_path,
        sources_path=state.sources_path,
        run_timeout=run_timeout,
        stop_timeout=stop_timeout,
        kill_after=kill_after,
        tick=tick,
        max_runs=max_runs,
        max_jitter=jitter,
        due_at=due_at if due_at is None or due_at.tzinfo else due_at.replace(tzinfo=timezone.utc),
    )
    try:
        runner = Daemon(options)
    except SourcesError as error:
        raise BadSources(str(error)) from None
    try:
        sys.exit(runner.run_once() if once else runner.run_forever())
    except DaemonAlreadyRunning as error:
        raise click.ClickException(
            f"{error}. Stop it first (e.g. systemctl stop readouts), or use another --db."
        ) from None


@cli.command()
@json_option
@click.pass_obj
def status(state: State, as_json):
    """Is the daemon alive, what is running now, and how notifications are doing.

    \b
    Example:
        readouts status
    """
    from scheduler.status import daemon_summary
    from storage.daemon import latest_daemon
    from storage.notifications import FAILED_NOTIFICATIONS_QUERY, notification_counts
    from storage.queries import running_runs

    daemon_row = latest_daemon(state.db)
    running = running_runs(state.db)
    counts = notification_counts(state.db)
    if as_json:
        click.echo(
            json.dumps(
                {"daemon": daemon_row, "running": running, "notifications": counts}, indent=2
            )
        )
        return
    click.echo(daemon_summary(daemon_row))
    click.echo(f"running now: {len(running)} run(s)")
    for run in running:
        click.echo(f"  run {run['id']} {run['source']} ({run['mode']}) since {run['started_at']}")
    click.echo(
        f"notifications: {counts['delivered']} delivered, {counts['pending']} pending, "
        f"{counts['failed']} failed"
        + (f" ({FAILED_NOTIFICATIONS_QUERY})" if counts["failed"] else "")
        + (
            f", {counts['channel_removed']} not sent: channel removed from the sources file"
            if counts["channel_removed"]
            else ""
        )
    )


@cli.command()
@click.option("--since", callback=parse_date, help="Only flags raised on or after this date.")
@click.option("--kind", type=click.Choice(FLAG_KINDS), help="Only flags of this kind.")
@click.option("--source", help="Only flags of this source.")
@json_option
@click.pass_obj
def flags(state: State, since, kind, source, as_json):
    """What was flagged: new, edited, removed and restored readouts, citations, drift.

    \b
    Example:
        readouts flags --since 2026-11-01 --kind edited_readout
    """
    from storage.queries import list_flags

    rows = list_flags(
        state.db, since=since.isoformat() if since else None, kind=kind, source=source
    )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        click.echo("No flags.")
    else:
        for row in rows:
            click.echo(report.flag_line(row))


@cli.command()
@click.argument("doc")
@click.option(
    "--from",
    "from_version",
    type=click.IntRange(1),
    help="Older version number (defaults to the one before --to).",
)
@click.option(
    "--to",
    "to_version",
    type=click.IntRange(1),
    help="Newer version number (defaults to the latest).",
)
@click.option(
    "--side-by-side", is_flag=True, help="Old and new text in two columns, changed paragraphs only."
)
@json_option
@click.pass_obj
def diff(state: State, doc, from_version, to_version, side_by_side, as_json):
    """What changed between two versions of a document (DOC: id or URL).

    Consecutive versions show the change stored when the newer one was crawled; other pairs
    are compared on the spot. Removed words are red (or [-like this-]), added ones green
    (or {+like this+}) when the output is not a terminal.

    \b
    Example:
        readouts diff 12
        readouts diff 12 --side-by-side
        readouts diff http://en.kremlin.ru/events/president/news/56155 --from 1 --to 3 --json
    """
    from flagging.changes import change_for_display
    from storage.queries import DocumentNotFound, VersionNotFound, find_document, version_pair

    try:
        document = find_document(state.db, doc)
        before, after = version_pair(state.db, document["id"], from_version, to_version)
    except (DocumentNotFound, VersionNotFound) as error:
        raise click.UsageError(str(error)) from None  # exit 2: no such document or version
    change, stored = change_for_display(state.db, document["source"], before, after)
    if as_json:
        click.echo(
            json.dumps(
                report.diff_json(document, before, after, change, stored),
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    color = sys.stdout.isatty()
    width = shutil.get_terminal_size((100, 24)).columns
    click.echo(
        report.diff_text(
            document, before, after, change, color=color, side_by_side=side_by_side, width=width
        )
    )


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 exposes it to the network: put a proxy in front).",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port."
)
@click.option(
    "--base-url",
    default="/",
    show_default=True,
    help="Path prefix when served behind a reverse proxy under a sub-path, e.g. /archive/.",
)
@click.option(
    "--get",
    "get_path",
    metavar="PATH",
    help="Fetch this one path in-process, print it and exit (1 unless HTTP 200); no server.",
)
@click.pass_obj
def serve(state: State, host, port, base_url, get_path):
    """Datasette over the archive, read-only, with the project's metadata, views and charts.

    Start at the flags of the last 7 days, read any edit as a word diff, see who quoted a
    readout; the Atom feed of flags is DB/flags_feed.atom (add ?source=NAME for one source).

    \b
    Example:
        readouts --db archive.db serve --port 8001
        readouts --db archive.db serve --get /archive/recent_flags.json
    """
    from readouts.web.server import ArchiveMissing, get_once, make_datasette
    from readouts.web.server import serve as run_server

    if not base_url.startswith("/") or not base_url.endswith("/"):
        raise click.BadParameter(
            "must start and end with /, e.g. /archive/", param_hint="--base-url"
        )
    try:
        datasette = make_datasette(state.db_path, base_url=base_url)
    except ArchiveMissing as error:
        raise click.ClickException(
            f"{error}: crawl something first (readouts crawl NAME) or pass --db PATH"
        ) from None
    if get_path:
        reply = get_once(datasette, get_path)
        click.echo(reply.text)
        sys.exit(0 if reply.status == 200 else 1)
    name = datasette.get_database().name
    click.echo(
        f"Serving {state.db_path} read-only on http://{host}:{port}{base_url}{name}", err=True
    )
    click.echo(
        f"Flags of the last 7 days: http://{host}:{port}{base_url}{name}/recent_flags", err=True
    )
    run_server(datasette, host, port)


@cli.command()
@click.argument("doc", required=False)
@click.option(
    "--rebuild-index",
    is_flag=True,
    help="Recreate the citation index from the stored versions and match every article again.",
)
@json_option
@click.pass_obj
def citations(state: State, doc, rebuild_index, as_json):
    """Who cites a readout, and what they quote (DOC: id or URL of a readout or an article).

    Each citing article is listed with its quoted passages beside the sentence of the
    readout they come from; a passage the readout's latest version no longer contains is
    marked as drifted.

    \b
    Example:
        readouts citations http://en.kremlin.ru/events/president/news/56155
        readouts citations 12 --json
        readouts citations --rebuild-index
    """
    from readouts.citation_view import citation_view
    from storage.queries import DocumentNotFound, find_document

    if not doc and not rebuild_index:
        raise click.UsageError("Give a document id or URL, or --rebuild-index.")
    if rebuild_index:
        from flagging.citations import rebuild

        flags = rebuild(state.db)
        click.echo(f"Citation index rebuilt; {report.plural(len(flags), 'new flag')}", err=as_json)
        if not doc:
            return
    try:
        document = find_document(state.db, doc)
    except DocumentNotFound as error:
        raise click.UsageError(str(error)) from None  # exit 2: no such document
    view = citation_view(state.db, document)
    if as_json:
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
    else:
        click.echo(report.citations(view))


@cli.command()
@click.argument("doc")
@click.option("--confirm", metavar="OTHER", help="Confirm the link to readout OTHER (id or URL).")
@click.option("--reject", metavar="OTHER", help="Reject the link to readout OTHER (id or URL).")
@json_option
@click.pass_obj
def counterparts(state: State, doc, confirm, reject, as_json):
    """Readouts of the same event by other sources, and what each side reported alone.

    A wrong link can be rejected and a missed one confirmed; the verdict stays, whatever
    later detection finds.

    \b
    Example:
        readouts counterparts 12
        readouts counterparts 12 --reject 40
    """
    from storage.counterparts import counterparts_of, set_counterpart_status
    from storage.queries import DocumentNotFound, find_document

    if confirm and reject:
        raise click.UsageError("Use just one of --confirm and --reject")
    try:
        document = find_document(state.db, doc)
        if confirm or reject:
            other = find_document(state.db, confirm or reject)
            _check_counterpart(document, other, "--confirm" if confirm else "--reject")
            verdict = "confirmed" if confirm else "rejected"
            set_counterpart_status(state.db, document["id"], other["id"], verdict)
    except DocumentNotFound as error:
        raise click.UsageError(str(error)) from None  # exit 2: no such document
    links = counterparts_of(state.db, document["id"])
    if as_json:
        # evidence and topics are stored as JSON text: given as JSON, not as strings in it
        for link in links:
            for field in ("evidence", "topics"):
                link[field] = json.loads(link[field]) if link[field] else None
        click.echo(json.dumps(links, indent=2, ensure_ascii=False))
    else:
        click.echo(report.counterparts(document, links))


def _check_counterpart(document: dict, other: dict, option: str) -> None:
    """A counterpart is another source's readout of the same event: the link a user sets must
    be one the detection could have made."""
    if document["id"] == other["id"]:
        problem = "a readout is not its own counterpart"
    elif document["kind"] != "readout" or other["kind"] != "readout":
        kinds = (
            f"document {document['id']} is a {document['kind']}, {other['id']} a {other['kind']}"
        )
        problem = f"counterparts are readouts: {kinds}"
    elif document["source"] == other["source"]:
        problem = f"counterparts come from two sources: both are {document['source']}'s"
    else:
        return
    raise click.BadParameter(problem, param_hint=option)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Worker processes of the local Dask cluster (default: one per core).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Use this Dask cluster (tcp://host:8786) instead of a local one; its workers need "
    "readout-monitor installed.",
)
@click.option("--since", callback=parse_date, help="Only captures made on or after this date.")
@click.option("--until", callback=parse_date, help="Only captures made on or before this date.")
@click.option(
    "--range-mb",
    type=click.FloatRange(0, min_open=True),
    default=64,
    show_default=True,
    help="Split WARC files into tasks of about this many megabytes.",
)
@json_option
@click.pass_obj
def scan(state: State, paths, workers, scheduler, since, until, range_mb, as_json):
    """Find the articles citing archived readouts in news WARC files (PATHS: files, globs, URLs).

    Every HTML response is matched against the readout index as the flag job matches
    crawled articles; only the articles that cite a readout are stored (origin ``scan``,
    source named by the site's domain, or the configured ``news-scan`` source), with
    their WARC provenance; the rest are counted. A file already scanned is skipped, and an
    interrupted scan resumes where it stopped.

    \b
    Example:
        readouts scan CC-NEWS-20250101*.warc.gz --workers 2
        readouts scan /data/crawl/*.warc.gz --scheduler tcp://10.0.0.5:8786 --json
    """
    import os

    from scan.job import ScanInputError, SchedulerUnreachable, run_scan

    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    source = "news-scan" if "news-scan" in state.sources.sources else None
    try:
        summary = run_scan(
            state.db,
            list(paths),
            workers=workers or os.cpu_count() or 1,
            scheduler=scheduler,
            since=since and since.isoformat(),
            until=until and until.isoformat(),
            source=source,
            range_bytes=int(range_mb * 1024 * 1024) or 1,
            progress=None if as_json else report.scan_progress,
        )
    except ScanInputError as error:
        raise click.BadParameter(str(error), param_hint="PATHS") from None  # exit 2
    except SchedulerUnreachable as error:
        raise click.BadParameter(str(error), param_hint="--scheduler") from None
    if as_json:
        click.echo(json.dumps(summary.as_json(), indent=2))
    else:
        click.echo(report.scan_summary(summary))
    if summary.errors:
        sys.exit(1)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--since", callback=parse_date, help="Only captures from this date (YYYY-MM-DD).")
@click.option("--until", callback=parse_date, help="Only captures up to this date, inclusive.")
@click.option(
    "--document", "documents", multiple=True, type=int, help="Only this document id (repeatable)."
)
@click.pass_obj
def export(state: State, path, sources, since, until, documents):
    """Write the archive as a WARC (PATH ending .warc.gz) or a WACZ package (.wacz).

    Every stored HTTP exchange becomes request and response records (a body seen before at
    the same URL, a revisit record); versions stored before exchanges were kept become
    response records rebuilt from their page, marked WARC-Readouts-Reconstructed. Open a
    .wacz in ReplayWeb.page or pywb (docs/warc.md).

    \b
    Example:
        readouts export archive.warc.gz --source kremlin-en --since 2026-01-01
        readouts export readouts.wacz
        readouts export call.wacz --document 12
    """
    from datetime import timedelta
    from pathlib import Path

    from readouts.export import ExportError, Selection
    from readouts.export import export as export_archive

    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    selection = Selection(
        sources=list(sources),
        since=since.isoformat() if since else None,
        until=(until + timedelta(days=1)).isoformat() if until else None,
        document_ids=list(documents),
    )
    progress = report.Counter("exported", "record") if sys.stderr.isatty() else None
    try:
        summary = export_archive(state.db, Path(path), selection, progress)
    except (ExportError, OSError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        if progress:
            progress.close()
    click.echo(report.export_summary(path, summary))


@cli.command()
@click.option(
    "--port",
    type=int,
    default=0,
    show_default=True,
    help="Port of the demo site (0: any free port).",
)
@click.pass_obj
def demo(state: State, port):
    """The embedded default: crawl a bundled demo site on 127.0.0.1, edit it, crawl again.

    Needs no network beyond loopback. Prints what was flagged and how to look at it.

    \b
    Example:
        readouts --db demo.db demo
    """
    from readouts.demo.run import run_demo

    run_demo(state.db_path, port=port, echo=click.echo)


@cli.command()
@click.option(
    "--repair", is_flag=True, help="Re-derive what is missing (each missing flag raised once)."
)
@json_option
@click.pass_obj
def verify(state: State, repair, as_json):
    """Check that the archive is whole; exit 1 and list what is missing or wrong.

    Checks that every version went through every flag-job step (changes, citation index,
    citations, event profiles, flags), that each version still gives its content hash and each
    stored body its digest, that citation spans say what their texts say, that flags point to
    existing rows with unique keys, that the full-text index matches the versions, and SQLite's
    integrity and foreign-key checks. With --repair the flag job re-derives what is missing
    (nothing while a version no longer gives its content hash), then the archive is checked
    again (exit 0 when it is whole).

    Then it lists what the crawls still owe, which the exit status leaves alone: walks cut
    short (a killed run, one stopped at --max-pages) and pages whose last fetch failed.

    \b
    Example:
        readouts verify
        readouts verify --repair --json
    """
    from flagging.verify import repair as repair_archive
    from flagging.verify import verify as verify_archive
    from storage.runs import crawl_gaps

    if repair:
        done = repair_archive(state.db)
        left = done.left
        output = {
            "ok": not left,
            "found": [f.as_json() for f in done.found],
            "left": [f.as_json() for f in left],
            "flags": done.flags,
        }
        text = report.verify_repair(done)
    else:
        left = verify_archive(state.db)
        output = {"ok": not left, "findings": [f.as_json() for f in left]}
        text = report.verify_findings(left)
    gaps = crawl_gaps(state.db)
    try:
        configured = set(state.sources.sources)
    except BadSources:
        configured = None  # no sources file to tell: every source as configured
    for gap in gaps:
        gap["configured"] = configured is None or gap["source"] in configured
    output["crawl_gaps"] = gaps
    text = "\n".join(filter(None, [text, report.crawl_gaps(gaps)]))
    click.echo(json.dumps(output, indent=2, ensure_ascii=False) if as_json else text)
    if left:
        sys.exit(1)


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    "source_name",
    help="Only this source's captures; item pages on another host (a mirror, an old domain)"
    " count as this source's too. Default: every configured source, by host.",
)
@click.pass_obj
def import_(state: State, paths, source_name):
    """Bring WARC, WACZ or ARC captures made by any tool in as versions dated by their capture.

    Each HTML page that answered 200 at an item URL of a source is parsed by that source's
    own spider, as a live fetch would be, and placed in its document's history at its capture
    time (origin "archive": history, not news). Importing a file twice adds nothing; a killed
    import carries on. Then runs the flag job.

    \b
    Example:
        readouts import crawl.warc.gz captures.wacz
        readouts import old-domain.warc.gz --source kremlin-en
    """
    from crawler.importer import CorruptArchive, import_files, is_capture_file
    from flagging import run_flag_job
    from storage.sources import sync_sources

    unknown = [path for path in paths if not is_capture_file(path)]
    if unknown:
        raise click.BadParameter(
            f"{unknown[0]} is not a .warc, .warc.gz, .arc, .arc.gz or .wacz file",
            param_hint="PATHS",
        )
    try:
        forced = state.sources.select([source_name])[0] if source_name else None
    except SourcesError as error:
        raise BadSources(str(error)) from None
    sync_sources(state.db, state.sources.sources.values())
    try:
        imported = import_files(
            state.db, list(paths), list(state.sources.sources.values()), force_source=forced
        )
    except CorruptArchive as error:
        # What was imported before the damage is flagged and indexed like any import.
        _echo_flags(run_flag_job(state.db))
        raise click.ClickException(
            f"{error}. The captures before it are imported; repair or re-download the file"
            " and import it again to carry on."
        ) from None
    flags = run_flag_job(state.db)
    click.echo(imported.summary())
    _echo_flags(flags)


def _echo_flags(flags: list[dict]) -> None:
    click.echo(report.plural(len(flags), "new flag"))
    for flag in flags:
        click.echo(f"  {report.flag_line(flag)}")


@cli.command()
@click.argument("names", nargs=-1)
@click.option(
    "--since",
    callback=parse_date,
    help="Only documents whose current version was stored on or after this date (YYYY-MM-DD).",
)
@click.option("--dry-run", is_flag=True, help="Say what would change; store nothing.")
@click.pass_obj
def reprocess(state: State, names, since, dry_run):
    """Re-parse stored raw pages with today's spider code, without fetching.

    Each document's current version is read again from the page it came from (default: every
    source). Where the title, date or text come out different, a new version is recorded with
    origin "reprocess": a re-extraction, never flagged as an edit by the publisher. Then runs
    the flag job, which re-derives changes, citations, drift and counterparts for it. A second
    run changes nothing; a killed run carries on when started again.

    \b
    Example:
        readouts reprocess --dry-run
        readouts reprocess kremlin-en --since 2026-01-01
    """
    from crawler.reprocess import reprocess as reprocess_pages
    from flagging import run_flag_job
    from storage.sources import sync_sources

    try:
        selected = (
            state.sources.select(list(names)) if names else list(state.sources.sources.values())
        )
    except SourcesError as error:
        raise BadSources(str(error)) from None
    sync_sources(state.db, state.sources.sources.values())
    done = reprocess_pages(
        state.db, selected, since=since.isoformat() if since else None, dry_run=dry_run
    )
    click.echo(done.summary(dry_run))
    if dry_run:
        return
    _echo_flags(run_flag_job(state.db))


if __name__ == "__main__":  # pragma: no cover
    cli()
