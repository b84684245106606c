"""The ``readouts`` command: a thin layer over crawler/, storage/, flagging/ and scheduler/."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from readouts import __version__, config, report
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
        if self._db is None:
            import storage

            self._db = storage.open_database(self.db_path)
        return self._db

    @property
    def sources(self) -> config.SourcesFile:
        if self._sources is None:
            try:
                self._sources = config.load_sources(self.sources_path)
            except config.SourcesError as error:
                raise BadSources(str(error)) from None
        return self._sources


class BadSources(click.ClickException):
    """A bad sources file: exit status 2, like any other usage error."""

    exit_code = 2


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Output JSON for scripts.")(command)


def parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from None


@click.group(context_settings=CONTEXT_SETTINGS)
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
    """The configured sources: kind, spider, schedule, last run and its outcome.

    \b
    Example:
        readouts sources
    """
    from storage.sources import source_overview, sync_sources

    sync_sources(state.db, state.sources.sources.values())
    rows = source_overview(state.db, list(state.sources.sources))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(
            report.table(
                rows, ["name", "kind", "spider", "schedule", "enabled", "last_run", "last_outcome"]
            )
        )


@cli.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--since", callback=parse_date, help="Backfill from this date (YYYY-MM-DD).")
@click.option("--until", callback=parse_date, help="Backfill up to this date (YYYY-MM-DD).")
@click.option("--max-pages", type=click.IntRange(1), help="Stop after this many pages per source.")
@click.option("--recheck", is_flag=True, help="Also re-fetch every known item of the source.")
@click.pass_obj
def crawl(state: State, names, since, until, max_pages, recheck):
    """Crawl sources once now, then run the flag job.

    Without dates this is a monitor run (newest items until known ones, plus re-checks of
    recent items); with --since/--until, a backfill of that range, resumable after an
    interruption. Exit status 1 when some fetches failed (see the fetches table).

    \b
    Example:
        readouts crawl kremlin-en whitehouse
        readouts crawl kremlin-en --since 2025-01-01 --until 2025-03-31
    """
    from crawler.run import CrawlOptions, crawl_sources
    from flagging import run_flag_job
    from storage.sources import sync_sources

    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    try:
        selected = state.sources.select(list(names))
    except config.SourcesError as error:
        raise BadSources(str(error)) from None
    sync_sources(state.db, state.sources.sources.values())
    options = CrawlOptions(since=since, until=until, max_pages=max_pages, recheck=recheck)
    settings = state.sources.settings
    runs = crawl_sources(state.db_path, selected, options, settings.contact, settings.user_agent)
    flags = run_flag_job(state.db)
    click.echo(report.crawl_summary(runs, flags))
    if any(run["outcome"] != "ok" for run in runs):
        sys.exit(1)


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
@click.pass_obj
def diff(state: State, doc, from_version, to_version):
    """A word-level diff between two versions of a document (DOC: id or URL).

    \b
    Example:
        readouts diff 12
        readouts diff http://en.kremlin.ru/events/president/news/56155 --from 1 --to 3
    """
    from flagging.diff import render_inline, word_diff
    from storage.queries import DocumentNotFound, VersionNotFound, find_document, version_pair

    try:
        document = find_document(state.db, doc)
        before, after = version_pair(state.db, document["id"], from_version, to_version)
    except (DocumentNotFound, VersionNotFound) as error:
        raise click.ClickException(str(error)) from None
    color = sys.stdout.isatty()
    click.echo(f"{document['title']}\n{document['url']}")
    click.echo(
        f"version {before['version']} ({before['seen_at']}) → "
        f"version {after['version']} ({after['seen_at']})\n"
    )
    if before["title"] != after["title"]:
        click.echo(render_inline(word_diff(before["title"], after["title"]), color=color))
    if before["published_at"] != after["published_at"]:
        click.echo(f"date: {before['published_at']} → {after['published_at']}")
    body = render_inline(word_diff(before["text"], after["text"]), color=color)
    click.echo(body or "(the texts differ only in typography or spacing)")


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
            verdict = "confirmed" if confirm else "rejected"
            set_counterpart_status(state.db, document["id"], other["id"], verdict)
    except DocumentNotFound as error:
        raise click.ClickException(str(error)) from None
    links = counterparts_of(state.db, document["id"])
    if as_json:
        click.echo(json.dumps(links, indent=2, ensure_ascii=False))
    else:
        click.echo(report.counterparts(document, links))


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


if __name__ == "__main__":  # pragma: no cover
    cli()
