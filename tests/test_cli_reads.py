"""The reading commands as a user runs them: ``flags`` filters, ``diff`` on any two versions
in either order, ``status --json`` — over a real archive built by storage and the flag job."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import Readouts

import storage
from flagging import run_flag_job
from storage.database import write_transaction
from storage.flags import insert_flag, make_flag
from storage.runs import start_run

V1 = "The President spoke with the Prime Minister.\nThey discussed trade."
V2 = "The President spoke with the Prime Minister.\nThey discussed trade and energy."
V3 = "The President spoke by telephone with the Prime Minister.\nThey discussed energy."
URL = "http://example.org/readout/1"


def save(db, source, url, text):
    snapshot = storage.Snapshot(
        source=source, url=url, kind="readout", title="Telephone conversation", text=text,
        published_at="2026-01-05",
    )  # fmt: skip
    return storage.save_version(db, snapshot, None)


@pytest.fixture
def cli(tmp_path, db_path) -> Readouts:
    """An archive with a readout in three versions (source a), a second readout (source b),
    and one edited_readout flag raised long ago."""
    db = storage.open_database(db_path)
    for text in (V1, V2, V3):
        save(db, "a", URL, text)
        run_flag_job(db)
    save(db, "b", "http://example.org/readout/2", V1)
    run_flag_job(db)
    old = make_flag("edited_readout", "b", 2, None, "An old edit", key="old-edit")
    old["created_at"] = "2025-06-01T00:00:00+00:00"
    with write_transaction(db):
        insert_flag(db, old)
    db.close()
    sources = tmp_path / "sources.toml"
    sources.write_text("", encoding="utf-8")
    return Readouts(db_path, sources)


def flags(cli, *args) -> list[dict]:
    result = cli("flags", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_flags_filter_by_since_kind_and_source_together_or_alone(cli):
    every = flags(cli)
    assert {(f["kind"], f["source"]) for f in every} == {
        ("new_readout", "a"),
        ("edited_readout", "a"),
        ("new_readout", "b"),
        ("edited_readout", "b"),
    }
    assert len([f for f in every if f["kind"] == "edited_readout"]) == 3
    assert {f["summary"] for f in flags(cli, "--since", "2026-01-01")} >= {
        f["summary"] for f in every if f["source"] == "a"
    }
    assert "An old edit" not in {f["summary"] for f in flags(cli, "--since", "2026-01-01")}
    assert {f["kind"] for f in flags(cli, "--kind", "edited_readout")} == {"edited_readout"}
    assert {f["source"] for f in flags(cli, "--source", "b")} == {"b"}
    assert [f["summary"] for f in flags(cli, "--kind", "edited_readout", "--source", "b")] == [
        "An old edit"
    ]
    assert flags(cli, "--kind", "removed_readout") == []
    assert [f["id"] for f in every] == sorted(f["id"] for f in every)


def test_flags_with_a_bad_date_or_kind_is_a_usage_error(cli):
    for args in (("--since", "yesterday"), ("--kind", "edited")):
        result = cli("flags", *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr


def rebuilt(ops, side):
    return "".join(text for op, text in ops if op != -side)


def diff(cli, *args) -> dict:
    result = cli("diff", URL, "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_diff_compares_non_adjacent_versions_on_the_spot(cli):
    change = diff(cli, "--from", "1", "--to", "3")
    assert (change["from"]["version"], change["to"]["version"], change["stored"]) == (1, 3, False)
    assert (rebuilt(change["diff"], -1), rebuilt(change["diff"], 1)) == (V1, V3)
    assert change["words_added"] and change["words_removed"]


def test_diff_of_reversed_versions_shows_the_change_undone(cli):
    forward, backward = diff(cli, "--from", "2", "--to", "3"), diff(cli, "--from", "3", "--to", "2")
    assert forward["stored"] and not backward["stored"]
    assert (rebuilt(backward["diff"], -1), rebuilt(backward["diff"], 1)) == (V3, V2)
    assert (backward["words_added"], backward["words_removed"]) == (
        forward["words_removed"],
        forward["words_added"],
    )


def test_diff_of_a_missing_version_is_a_clear_error(cli):
    result = cli("diff", URL, "--from", "1", "--to", "9")
    assert result.returncode == 2  # bad usage, as DESIGN.md numbers it
    assert "has no version 9 (it has 1 to 3)" in result.stderr and "Traceback" not in result.stderr


def test_diff_to_the_first_version_says_there_is_nothing_before_it(cli):
    result = cli("diff", URL, "--to", "1")
    assert result.returncode == 2
    assert "version 1 is its first, nothing before it to compare with (give --from)" in (
        result.stderr
    )


@pytest.mark.parametrize("command", ["diff", "citations", "counterparts"])
def test_a_document_that_does_not_exist_is_bad_usage_naming_it(cli, command):
    result = cli(command, "99999")
    assert result.returncode == 2
    assert "No document '99999': give a document id or its exact URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_json_says_no_daemon_nothing_running_and_counts_notifications(cli):
    result = cli("status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status == {
        "daemon": None,
        "running": [],
        "notifications": {"pending": 0, "delivered": 0, "failed": 0, "channel_removed": 0},
    }


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("command", ["status", "sources", "flags"])
def test_a_read_command_closes_the_run_of_a_dead_process_as_interrupted(cli, command):
    db = storage.open_database(cli.db_path)
    run_id = start_run(db, "a", "monitor")
    with write_transaction(db):
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", [dead_pid(), run_id])
    result = cli(command)
    assert result.returncode == 0, result.stderr
    run = db["runs"].get(run_id)
    assert (run["outcome"], run["message"]) == ("interrupted", "the process running it ended")
    assert run["finished_at"] is not None
    assert json.loads(cli("status", "--json").stdout)["running"] == []
