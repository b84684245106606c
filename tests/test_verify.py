"""``readouts verify``: a real crawled archive checks itself, names what was deleted or
corrupted, and ``--repair`` re-derives it without duplicating anything."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import Readouts, query

import storage
from flagging import reported, run_flag_job
from readouts.cli import cli
from scheduler.sources import SourcesError, load_sources
from storage import citation_postings as postings

ALL = ("demo-kremlin", "demo-whitehouse", "demo-commentary")


@pytest.fixture
def crawled(readouts, demo_site, db_path):
    """The demo site crawled, edited and crawled again: changes, citations (one drifted),
    counterparts and flags, all through the real crawler and flag job."""
    assert readouts("crawl", *ALL).returncode == 0
    demo_site.edit()
    assert readouts("crawl", *ALL, "--recheck").returncode == 0
    return db_path


def verify(db_path, *args):
    return CliRunner().invoke(cli, ["--db", str(db_path), "verify", *args])


def rows(db_path, sql):
    return [tuple(row.values()) for row in query(db_path, sql)]


CLEAN = (
    "The archive is whole: every version went through every flag-job step; citations, flags,"
    " the full-text index and SQLite's own checks are in order.\n"
)


def damage(db_path) -> list[str]:
    """Delete all citations, one readout version's index entry, some n-grams of another, one
    changes row and one FTS row; return the lines ``verify`` should print, in its order."""
    db = storage.open_database(db_path)
    try:
        cited = db.execute("SELECT article_id, readout_id FROM citations ORDER BY id").fetchall()
        db.execute("DELETE FROM citations")
        change = db.execute("SELECT max(to_version_id) FROM changes").fetchone()[0]
        db.execute("DELETE FROM changes WHERE to_version_id = ?", [change])
        unindexed = db.execute("SELECT min(version_id) FROM citation_indexed_versions").fetchone()[
            0
        ]
        db.execute("DELETE FROM citation_indexed_versions WHERE version_id = ?", [unindexed])
        # A readout of one version, indexed: five of its n-grams go.
        version, readout = db.execute(
            "SELECT max(v.id), v.document_id FROM versions v JOIN documents d"
            " ON d.id = v.document_id WHERE d.kind = 'readout' AND v.id != ?"
            " GROUP BY v.document_id HAVING count(*) = 1 ORDER BY v.document_id DESC LIMIT 1",
            [unindexed],
        ).fetchone()
        pairs = postings.all_pairs(db)
        ngrams = int((pairs[:, 1] == readout).sum())
        lost = pairs[pairs[:, 1] == readout][:5]
        shift = postings.current_shift(db)
        buckets = np.unique(lost[:, 0] >> shift)
        kept = pairs[np.isin(pairs[:, 0] >> shift, buckets)]
        kept = kept[~(np.isin(kept[:, 0], lost[:, 0]) & (kept[:, 1] == readout))]
        db.execute(f"DELETE FROM {postings.TABLE} WHERE bucket IN ({','.join(map(str, buckets))})")
        db.conn.executemany(
            f"INSERT INTO {postings.TABLE} VALUES (?, ?)", postings.packed(kept, shift)
        )
        fts = db.execute("SELECT min(id) FROM versions").fetchone()[0]
        # An external-content FTS5 row is deleted by giving its indexed values back.
        title, text = db.execute("SELECT title, text FROM versions WHERE id = ?", [fts]).fetchone()
        db.execute(
            "INSERT INTO versions_fts (versions_fts, rowid, title, text)"
            " VALUES ('delete', ?, ?, ?)",
            [fts, title, text],
        )
    finally:
        db.close()
    return [
        f"- version {change} has no changes row (what changed since the version before)",
        f"- readout version {unindexed} is not in the citation index",
        f"- readout version {version} lacks 5 of its {ngrams} n-grams in the citation index",
        *(
            f"- article {article} cites readout {readout} but has no citations row for it"
            for article, readout in sorted(cited)
        ),
        f"- version {fts} missing from the full-text index",
    ]


def shift_first_span(db_path) -> int:
    db = storage.open_database(db_path)
    try:
        citation, spans = db.execute("SELECT id, spans FROM citations ORDER BY id").fetchone()
        spans = json.loads(spans)
        spans[0]["readout"] = [start + 40 for start in spans[0]["readout"]]
        db.execute("UPDATE citations SET spans = ? WHERE id = ?", [json.dumps(spans), citation])
        return citation
    finally:
        db.close()


@pytest.mark.parametrize(
    "damage, found",
    [
        ("UPDATE citation_postings SET postings = x'03' WHERE bucket = :bucket", "no postings"),
        # TEXT that is no UTF-8: what ``||`` makes of a BLOB
        ("UPDATE citation_postings SET postings = postings || x'00' WHERE bucket = :bucket", "bytes"),
        ("UPDATE citation_postings SET postings = CAST(postings AS TEXT) WHERE bucket = :bucket",
         "holds text, not a BLOB"),
        # A readout's pair misread as another's: the blob still decodes
        ("UPDATE citation_postings SET postings = CAST(substr(postings, 1, length(postings) - 2)"
         " || x'ffff' AS BLOB) WHERE bucket = :bucket", "no readout's text gives"),
        # The buckets' shift lost: every pair decodes to another hash
        ("INSERT INTO job_state VALUES ('citations.postings_splits', '1')", "no readout's text gives"),
        ("INSERT INTO job_state VALUES ('citations.postings_splits', 'abc')", "not a count of splits"),
        # The same pairs, but the last two swapped (or one twice): sorted and distinct no more
        ("UPDATE citation_postings SET postings = CAST(substr(postings, 1, 1)"
         " || substr(postings, 4, 2) || substr(postings, 2, 2) || substr(postings, 6) AS BLOB)"
         " WHERE bucket = :bucket", "out of order"),
    ],
)  # fmt: skip
def test_a_damaged_index_is_named_and_repair_rebuilds_it_to_the_same_citations(
    crawled, damage, found
):
    citations = rows(crawled, "SELECT id, article_id, readout_id, spans FROM citations")
    flags = rows(crawled, "SELECT id, key FROM flags ORDER BY id")
    index = rows(crawled, "SELECT bucket, postings FROM citation_postings ORDER BY bucket")
    bucket = next(  # 2-byte ids, two pairs at least, of different hashes
        b
        for b, blob in index[len(index) // 2 :]
        if blob[0] == 2 and len(blob) >= 9 and blob[1:3] != blob[3:5]
    )
    db = storage.open_database(crawled)
    with db.conn:
        db.execute(damage, {"bucket": bucket})
    db.close()

    result = verify(crawled)
    assert result.exit_code == 1
    named = [line for line in result.output.splitlines() if line.startswith("- citation_postings")]
    assert len(named) == 1 and found in named[0]  # with, for a misread, the n-grams it lacks

    result = verify(crawled, "--repair")
    assert result.exit_code == 0, result.output
    assert verify(crawled).output == CLEAN
    assert rows(crawled, "SELECT id, article_id, readout_id, spans FROM citations") == citations
    assert rows(crawled, "SELECT id, key FROM flags ORDER BY id") == flags  # none raised twice
    assert rows(crawled, "SELECT bucket, postings FROM citation_postings ORDER BY bucket") == index


def test_a_flag_job_on_a_damaged_index_stops_with_one_line_naming_the_rebuild(
    crawled, readouts: Readouts
):
    db = storage.open_database(crawled)
    with db.conn:
        db.execute("UPDATE citation_postings SET postings = x'0401'")
        db.execute(
            "UPDATE job_state SET value = '0' WHERE name = 'citations.last_article_version_id'"
        )
    db.close()
    result = readouts("crawl", "demo-commentary", "--recheck")  # its flag job matches articles
    assert result.returncode == 1
    assert "the citation index is damaged; `readouts citations --rebuild-index`" in result.stderr
    assert "Traceback" not in result.stderr
    assert readouts("citations", "--rebuild-index").returncode == 0
    assert verify(crawled).output == CLEAN


def test_verify_names_deleted_rows_repair_restores_them_once_and_a_second_verify_is_clean(
    crawled,
):
    assert verify(crawled).output == CLEAN
    citations = rows(crawled, "SELECT * FROM citations ORDER BY id")
    flags = rows(crawled, "SELECT id, key, summary FROM flags ORDER BY id")
    assert any(row[6] == "drifted" for row in citations)  # the drift flag names its citation
    expected = damage(crawled)

    result = verify(crawled)
    assert result.exit_code == 1
    assert result.output == f"{len(expected)} problems found:\n" + "\n".join(expected) + "\n"

    result = verify(crawled, "--repair", "--json")
    assert result.exit_code == 0, result.output
    repaired = json.loads(result.output)
    assert [f"- {f['message']}" for f in repaired["found"]] == expected
    assert repaired["left"] == [] and repaired["flags"] == [] and repaired["ok"]

    assert verify(crawled).output == CLEAN
    assert rows(crawled, "SELECT id, key, summary FROM flags ORDER BY id") == flags
    restored = rows(crawled, "SELECT * FROM citations ORDER BY id")
    # Same ids, readouts, spans and statuses; only the times of writing are new.
    assert [row[:8] for row in restored] == [row[:8] for row in citations]

    citation = shift_first_span(crawled)
    result = verify(crawled)
    assert (result.exit_code, result.output) == (
        1,
        "1 problem found:\n"
        f"- citation {citation}, span 1: the readout's text at its offsets does not say what"
        " the article quotes\n",
    )
    assert verify(crawled, "--repair").exit_code == 0
    assert verify(crawled).output == CLEAN
    assert rows(crawled, "SELECT * FROM citations ORDER BY id")[0][:8] == citations[0][:8]


def test_verify_json_lists_each_finding_with_its_check_and_ids(crawled):
    db = storage.open_database(crawled)
    try:
        version = db.execute("SELECT max(to_version_id) FROM changes").fetchone()[0]
        db.execute("DELETE FROM changes WHERE to_version_id = ?", [version])
    finally:
        db.close()
    result = verify(crawled, "--json")
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "ok": False,
        "findings": [
            {
                "check": "changes",
                "message": f"version {version} has no changes row"
                " (what changed since the version before)",
                "ids": [version],
            }
        ],
        "crawl_gaps": [],
    }


def test_daemon_once_runs_the_scheduled_verify_and_repairs_when_told(crawled, demo_sources):
    demo_sources.write_text(
        '[settings]\nverify = "1h"\nverify_repair = true\n\n' + demo_sources.read_text(),
        encoding="utf-8",
    )
    version = query(crawled, "SELECT max(to_version_id) AS id FROM changes")[0]["id"]
    db = storage.open_database(crawled)
    db.execute("DELETE FROM changes WHERE to_version_id = ?", [version])
    db.close()
    runner = Readouts(crawled, demo_sources)

    done = runner("daemon", "--once")
    assert done.returncode == 0, done.stderr
    assert f"Verify: version {version} has no changes row" in done.stderr
    assert "Verify repaired 1 of 1 problem(s)" in done.stderr
    restored = "SELECT count(*) AS n FROM changes WHERE to_version_id = ?"
    assert query(crawled, restored, [version]) == [{"n": 1}]
    assert verify(crawled).output == CLEAN

    # Verified a moment ago: an hourly verify is not due again.
    again = runner("daemon", "--once")
    assert "Verify" not in again.stderr


def test_a_verify_setting_that_is_not_a_schedule_names_the_setting(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[settings]\nverify = "hourly"\n', encoding="utf-8")
    with pytest.raises(SourcesError, match="setting 'verify': 'hourly' is neither"):
        load_sources(path)


def test_a_reported_citation_restating_the_readout_in_other_words_is_in_order(crawled):
    """The reported step pairs an article sentence with the readout passage it restates: no
    word need recur, but the article's offsets must still hold its text."""
    db = storage.open_database(crawled)
    try:
        uncited = (
            "SELECT v.id, v.id AS version_id, v.document_id, d.source, v.title, v.text"
            " FROM versions v JOIN documents d ON d.id = v.document_id WHERE d.kind = ?"
            " AND v.document_id NOT IN (SELECT article_id FROM citations)"
            " AND v.document_id NOT IN (SELECT readout_id FROM citations)"
            " ORDER BY v.id DESC LIMIT 1"
        )
        article, readout = (next(db.query(uncited, [kind])) for kind in ("commentary", "readout"))
        span = {"article": [0, 40], "readout": [10, 90], "text": article["text"][:40]}
        assert reported._save(db, article, readout, [{**span, "similarity": 0.8}])
    finally:
        db.close()
    assert verify(crawled).output == CLEAN

    citation, spans = rows(crawled, "SELECT id, spans FROM citations WHERE method = 'reported'")[0]
    shifted = [{**json.loads(spans)[0], "article": [1, 41]}]
    db = storage.open_database(crawled)
    try:
        db.execute("UPDATE citations SET spans = ? WHERE id = ?", [json.dumps(shifted), citation])
    finally:
        db.close()
    assert f"citation {citation}, span 1: the article's text at its offsets is not the quoted" in (
        verify(crawled).output
    )


def readout_payload(db_path) -> tuple[str, list[int]]:
    """The payload digest of the Kremlin readout's first capture, and the captures holding it."""
    (digest,) = rows(
        db_path,
        "SELECT c.payload_digest FROM captures c JOIN documents d ON d.url = c.url"
        " WHERE d.kind = 'readout' AND c.status = 200 ORDER BY c.id LIMIT 1",
    )[0]
    ids = [
        row[0]
        for row in rows(db_path, f"SELECT id FROM captures WHERE payload_digest = '{digest}'")
    ]
    return digest, ids


def test_a_stored_page_changed_on_disk_is_named_by_verify_and_refused_by_export(
    crawled, readouts, tmp_path
):
    digest, captures = readout_payload(crawled)
    db = storage.open_database(crawled)
    body = storage.captures.load_payload(db, digest)
    assert b"Trump" in body
    with db.conn:  # one word changed, stored as it came: a hand edit (a flipped bit reads alike)
        db.execute(
            "UPDATE capture_payloads SET compression = 'none', body = ? WHERE digest = ?",
            [body.replace(b"Trump", b"Trumq", 1), digest],
        )
    db.close()

    result = verify(crawled)
    assert result.exit_code == 1
    ids = ", ".join(map(str, captures))
    assert (
        f"- payload {digest}: its stored bytes no longer have that digest (capture {ids})\n"
        in result.output
    )
    assert verify(crawled, "--repair").exit_code == 1  # nothing can re-derive a raw page

    exported = readouts("export", str(tmp_path / "archive.warc.gz"))
    assert exported.returncode == 1
    assert (
        "Error: The archive is damaged, so nothing was exported: payload"
        f" {digest}: its stored bytes no longer have that digest."
    ) in exported.stderr
    assert list(tmp_path.glob("archive.warc.gz*")) == []


def test_export_of_a_capture_whose_payload_row_is_gone_fails_naming_it(crawled, readouts, tmp_path):
    digest, captures = readout_payload(crawled)
    db = storage.open_database(crawled)
    url = db.execute("SELECT url FROM captures WHERE id = ?", [captures[0]]).fetchone()[0]
    db.execute("PRAGMA foreign_keys = OFF")  # as a damaged file, or the sqlite3 shell, allows
    with db.conn:
        db.execute("DELETE FROM capture_payloads WHERE digest = ?", [digest])
    db.close()

    exported = readouts("export", str(tmp_path / "archive.wacz"))
    assert exported.returncode == 1
    assert (
        f"Error: The archive is damaged, so nothing was exported: capture {captures[0]} of"
        f" {url}: its payload {digest} is not stored."
    ) in exported.stderr
    assert list(tmp_path.glob("archive.wacz*")) == []


@pytest.mark.parametrize("values", ["'[\"x\"]'", "NULL", "'[\"a\",9]'", "'['", "'7'"])
def test_a_capture_whose_header_values_do_not_fit_its_lists_is_named_and_refused_by_export(
    crawled, readouts, tmp_path, values
):
    (capture, url) = rows(
        crawled, "SELECT id, url FROM captures WHERE header_values IS NOT NULL ORDER BY id LIMIT 1"
    )[0]
    db = storage.open_database(crawled)
    with db.conn:
        db.execute(f"UPDATE captures SET header_values = {values} WHERE id = ?", [capture])
    db.close()
    problem = f"capture {capture} of {url}: its header values do not fit its header lists"

    result = verify(crawled)
    assert result.exit_code == 1
    assert result.output == f"1 problem found:\n- {problem}\n"
    assert verify(crawled, "--repair").exit_code == 1  # what the server sent is not re-derivable
    exported = readouts("export", str(tmp_path / "archive.warc.gz"))
    assert exported.returncode == 1
    assert f"Error: The archive is damaged, so nothing was exported: {problem}." in exported.stderr


def test_a_lost_removal_flag_is_named_and_raised_again_once(crawled):
    db = storage.open_database(crawled)
    try:
        (url,) = db.execute(
            "SELECT url FROM documents WHERE kind = 'readout' ORDER BY id LIMIT 1"
        ).fetchone()
        for _ in range(2):  # 404 twice, outside any run: removed
            storage.mark_gone(db, url, None, 404)
        (flag,) = [f for f in run_flag_job(db) if f["kind"] == "removed_readout"]
        db.execute("DELETE FROM flags WHERE key = ?", [flag["key"]])
        db.conn.commit()
    finally:
        db.close()
    event = int(flag["key"].rsplit(":", 1)[1])
    result = verify(crawled)
    assert (result.exit_code, result.output) == (
        1,
        "1 problem found:\n"
        f"- readout {flag['document_id']} has no removed_readout flag (status event {event})\n",
    )
    repaired = verify(crawled, "--repair", "--json")
    assert repaired.exit_code == 0, repaired.output
    assert [f["key"] for f in json.loads(repaired.output)["flags"]] == [flag["key"]]
    assert verify(crawled).output == CLEAN


def test_repairing_the_oldest_readout_version_leaves_no_later_one_pending(crawled):
    """The index step skips versions the index holds, so after re-indexing the oldest one its
    watermark stays behind the others: they are through all the same."""
    db = storage.open_database(crawled)
    try:
        oldest = db.execute("SELECT min(version_id) FROM citation_indexed_versions").fetchone()[0]
        assert db.execute(
            "SELECT count(*) FROM citation_indexed_versions WHERE version_id > ?", [oldest]
        ).fetchone()[0]
        db.execute("DELETE FROM citation_indexed_versions WHERE version_id = ?", [oldest])
        db.conn.commit()
    finally:
        db.close()
    assert verify(crawled).output == (
        f"1 problem found:\n- readout version {oldest} is not in the citation index\n"
    )
    assert verify(crawled, "--repair").exit_code == 0
    assert verify(crawled).output == CLEAN


def test_a_version_edited_by_hand_is_named_and_repair_derives_nothing_from_it(crawled):
    """A title or text changed by SQL no longer gives the version's content hash. Nothing can say
    what the page said, and every flag-job step would take the edited text for it: ``--repair``
    re-derives nothing (not the index n-grams the new words lack, not a citation, not a flag)."""
    db = storage.open_database(crawled)
    try:
        readout, text = db.execute(
            "SELECT v.id, v.text FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE d.kind = 'readout' ORDER BY v.id LIMIT 1"
        ).fetchone()
        article = db.execute(
            "SELECT max(v.id) FROM versions v JOIN documents d ON d.id = v.document_id"
            " WHERE d.kind = 'commentary'"
        ).fetchone()[0]
        forged = text + "\nThe sides agreed on the unilateral surrender of every disputed province."
        with db.conn:
            db.execute("UPDATE versions SET text = ? WHERE id = ?", [forged, readout])
            db.execute("UPDATE versions SET title = 'Fabricated title' WHERE id = ?", [article])
    finally:
        db.close()
    derived = (
        "SELECT (SELECT group_concat(bucket || ':' || hex(postings)) FROM"
        " (SELECT * FROM citation_postings ORDER BY bucket)),"
        " (SELECT group_concat(version_id) FROM citation_indexed_versions),"
        " (SELECT group_concat(key) FROM flags), (SELECT group_concat(id || spans) FROM citations)"
    )
    before = rows(crawled, derived)

    result = verify(crawled, "--json")
    assert result.exit_code == 1
    edited = [f for f in json.loads(result.output)["findings"] if f["check"] == "content_hashes"]
    assert edited == [
        {
            "check": "content_hashes",
            "message": f"version {version}: its title, date or text no longer give its"
            " content_hash (changed after it was stored)",
            "ids": [version],
        }
        for version in sorted((readout, article))
    ]
    repaired = verify(crawled, "--repair")
    assert repaired.exit_code == 1
    assert repaired.output.endswith(
        "Nothing repaired: a version no longer matches its content hash, and the flag job would"
        " index, match and flag its text as it now reads; put back the stored text (from a"
        " backup) first.\n"
    )
    assert rows(crawled, derived) == before


@pytest.mark.parametrize(
    "edit, problem",
    [
        ("body || x'00'", "its stored bytes were turned into text (a hand edit)"),
        (
            "replace(body, 'no such bytes', '')",
            "its stored bytes were turned into text (a hand edit)",
        ),
        (
            "substr(body, 1, length(body) - 5) || x'0102030405'",
            "its stored bytes do not decompress",
        ),
    ],
)
def test_a_stored_body_a_hand_edit_turned_into_text_is_named_damaged_in_one_line(
    crawled, edit, problem
):
    """``||`` and ``replace()`` give TEXT, which Python cannot decode from compressed bytes."""
    digest, captures = readout_payload(crawled)
    db = storage.open_database(crawled)
    with db.conn:
        db.execute(f"UPDATE capture_payloads SET body = {edit} WHERE digest = ?", [digest])
    db.close()
    result = verify(crawled)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    (line,) = [line for line in result.output.splitlines() if digest in line]
    assert line.startswith(f"- payload {digest}: {problem}")
    assert line.endswith(f"(capture {', '.join(map(str, captures))})")


def test_a_readout_version_the_index_step_has_not_reached_is_pending_not_missing(crawled):
    """Verify while a crawl stores versions (its flag job not run yet): a fresh readout version
    waits for each step once; it is not also missing from the citation index."""
    (source,) = rows(crawled, "SELECT source FROM documents WHERE kind = 'readout' LIMIT 1")[0]
    db = storage.open_database(crawled)
    try:
        version = storage.save_version(
            db,
            storage.Snapshot(
                source=source,
                url="http://kremlin.example/events/fresh",
                kind="readout",
                title="Telephone conversation with the President of Finland",
                text="The presidents discussed border crossings and the transit of goods.",
            ),
            None,
        ).version_id
    finally:
        db.close()
    assert verify(crawled).output == "4 problems found:\n" + "".join(
        f"- 1 version(s) not yet through the flag job's {step} step (version {version})\n"
        for step in ("changes", "flags", "citation index", "counterparts")
    )
    assert verify(crawled, "--repair").exit_code == 0
    assert verify(crawled).output == CLEAN


def test_content_hashes_are_taken_with_the_ignore_patterns_the_versions_were_stored_under(
    crawled, readouts, demo_sources
):
    """Storage hashes a text without what the source's ``ignore_patterns`` match: a version
    stored after they were added matches with them, one stored before matches without them."""
    before = rows(crawled, "SELECT count(*) FROM versions")
    demo_sources.write_text(
        demo_sources.read_text().replace(
            'language = "en"\n', 'language = "en"\nignore_patterns = ["President"]\n'
        ),
        encoding="utf-8",
    )
    assert readouts("crawl", "demo-kremlin", "--recheck").returncode == 0
    assert rows(crawled, "SELECT count(*) FROM versions") > before  # re-hashed: new versions
    assert verify(crawled).output == CLEAN

    # Another list later: the versions stored under the first still match with it.
    demo_sources.write_text(
        demo_sources.read_text().replace('["President"]', '["Trump", "Putin"]'), encoding="utf-8"
    )
    assert readouts("crawl", "demo-kremlin", "--recheck").returncode == 0
    assert rows(crawled, "SELECT source, patterns FROM source_ignore_patterns ORDER BY 2") == [
        ("demo-kremlin", '["President"]'),
        ("demo-kremlin", '["Trump", "Putin"]'),
    ]
    assert verify(crawled).output == CLEAN
