"""Change rows: computed once per new version, classified, with a diff that rebuilds both texts."""

from __future__ import annotations

import json
import random

import pytest

import storage
from analysis.diff import expand_diff, stored_diff
from flagging import run_flag_job
from flagging.changes import change_for_display, compare_versions, displayed_diff

OPENING = "The two leaders discussed trade and energy. They agreed to stay in touch."
MIDDLE = "Particular attention was paid to the situation in the region."
CLOSING = "The conversation was frank and businesslike."
ORIGINAL = "\n".join([OPENING, MIDDLE, CLOSING])
EDITED = ORIGINAL.replace("frank and businesslike", "constructive")


def save(db, text, *, title="Telephone conversation", date="2026-01-05", kind="readout"):
    snapshot = storage.Snapshot(
        source="test", url=f"http://example.org/{kind}/1", kind=kind, title=title, text=text,
        published_at=date,
    )  # fmt: skip
    return storage.save_version(db, snapshot, None)


VERSION = {"id": 1, "version": 1, "title": "Call", "published_at": None}


def changes(db):
    return [
        {**row, "kinds": json.loads(row["kinds"]), "diff": json.loads(row["diff"])}
        for row in db.query("SELECT * FROM changes ORDER BY id")
    ]


def rebuilt(ops, side):
    return "".join(text for op, text in ops if op != -side)


def test_each_new_version_gets_one_change_row_whose_diff_rebuilds_both_texts(db):
    save(db, ORIGINAL)
    save(db, ORIGINAL.replace("frank and businesslike", "constructive"))
    run_flag_job(db)
    run_flag_job(db)
    [change] = changes(db)
    assert (change["from_version"], change["to_version"]) == (1, 2)
    # Stored: the unchanged stretches as their lengths, the edit as its words.
    kept = len(ORIGINAL) - len("frank and businesslike.")
    assert change["diff"] == [
        [0, kept],
        [-1, "frank and businesslike"],
        [1, "constructive"],
        [0, 1],
    ]
    ops = expand_diff(change["diff"], ORIGINAL, EDITED)
    assert (rebuilt(ops, -1), rebuilt(ops, 1)) == (ORIGINAL, EDITED)
    assert change["kinds"] == ["text_edited"]
    assert (change["words_added"], change["words_removed"], change["sentences_changed"]) == (
        1, 3, 1,
    )  # fmt: skip


def test_removed_and_added_paragraphs_are_named_in_the_flag(db):
    save(db, ORIGINAL)
    save(db, "\n".join([OPENING, CLOSING, "The Presidents agreed to meet in person."]))
    flags = run_flag_job(db)
    [change] = changes(db)
    assert change["kinds"] == ["text_edited", "paragraph_removed", "paragraph_added"]
    assert "1 paragraph(s) removed; 1 paragraph(s) added" in flags[-1]["summary"]


def test_most_of_the_text_gone_is_truncated(db):
    save(db, ORIGINAL)
    save(db, OPENING.split(".")[0] + ".")
    flags = run_flag_job(db)
    assert changes(db)[0]["kinds"][0] == "truncated"
    assert "truncated:" in flags[-1]["summary"]


def test_title_and_date_changes_are_classified(db):
    save(db, ORIGINAL)
    save(db, ORIGINAL, title="Telephone conversation with the President", date="2026-01-06")
    flags = run_flag_job(db)
    assert changes(db)[0]["kinds"] == ["title_changed", "date_changed"]
    assert "title changed from “Telephone conversation”" in flags[-1]["summary"]
    assert "publication date changed from 2026-01-05 to 2026-01-06" in flags[-1]["summary"]


def test_text_back_to_an_earlier_version_is_a_revert_linked_to_it(db):
    first = save(db, ORIGINAL)
    save(db, ORIGINAL.replace(MIDDLE + "\n", ""))
    third = save(db, ORIGINAL)
    flags = run_flag_job(db)
    assert third.version == 3, "a revert is a new version: storage compares with the latest"
    revert = changes(db)[-1]
    assert revert["kinds"] == ["reverted"]
    assert revert["reverted_to_version_id"] == first.version_id
    assert flags[-1]["summary"].startswith("Reverted (v2 → v3)")


def test_a_hash_back_to_an_earlier_one_is_no_revert_when_only_ignored_lines_changed():
    """A noise rule dropped, then put back: the version stored under the rule again has the
    first version's hash, but differs from the one before it only in lines the rule ignores."""
    first = {**VERSION, "text": ORIGINAL}
    without_rule = {**first, "id": 2, "version": 2, "text": ORIGINAL + "\nViews: 2000"}
    rule_back = {**first, "id": 3, "version": 3, "text": ORIGINAL + "\nViews: 3000"}
    change = compare_versions(
        without_rule, rule_back, ignore_patterns=[r"^Views: \d+$"], reverted_to=first
    )
    assert change.kinds == [] and change.reverted_to_version_id is None


def test_commentary_gets_change_rows_but_no_flags(db):
    save(db, ORIGINAL, kind="commentary")
    save(db, ORIGINAL + "\nUpdate: corrected the date.", kind="commentary")
    assert run_flag_job(db) == []
    assert changes(db)[0]["kinds"] == ["text_edited", "paragraph_added"]


@pytest.mark.parametrize("shuffle", [True, False])
def test_pathological_pair_past_the_time_bound_still_gets_a_valid_diff(shuffle):
    rng = random.Random(4)
    words = [f"w{n}" for n in range(3000)]
    paragraphs = [" ".join(rng.choices(words, k=40)) + "." for _ in range(300)]
    other = rng.sample(paragraphs, len(paragraphs)) if shuffle else [
        " ".join(rng.choices(words, k=40)) + "." for _ in range(300)
    ]  # fmt: skip
    before = {"title": "T", "text": "\n".join(paragraphs), "published_at": None}
    after = {"title": "T", "text": "\n".join(other), "published_at": None}
    change = compare_versions(before, after, timeout=1e-6)
    assert change.diff_timed_out
    assert rebuilt(change.diff, -1) == before["text"]
    assert rebuilt(change.diff, 1) == after["text"]


def test_a_stored_diff_fits_only_the_texts_it_was_computed_from():
    ops = compare_versions({**VERSION, "text": ORIGINAL}, {**VERSION, "text": EDITED}).diff
    stored = json.loads(stored_diff(ops))
    assert expand_diff(stored, ORIGINAL, EDITED) == ops
    assert expand_diff(stored, ORIGINAL.replace("trade", "grade"), EDITED) is None
    assert expand_diff(stored, ORIGINAL, EDITED + " More.") is None
    assert expand_diff(stored, ORIGINAL + " More.", EDITED + " More.") is None
    assert expand_diff([[0, "x"], [2, "y"]], "x", "x") is None
    # Diffs stored before compaction (kept text written out) still read back.
    assert expand_diff([list(op) for op in ops], ORIGINAL, EDITED) == ops


def test_a_diff_is_rebuilt_under_the_ignore_patterns_it_was_computed_with():
    """A source's rule changed after the row was stored: readers rebuild the stored diff under
    the earlier list it fits, so it agrees with the row's counts and kinds."""
    before, after = ORIGINAL + "\nViews: 10", EDITED + "\nViews: 12"
    rule = [r"^Views: \d+$"]
    stored = stored_diff(
        compare_versions({**VERSION, "text": before}, {**VERSION, "text": after}).diff
    )
    ops = displayed_diff(stored, before, after, [rule, []])  # today: the rule; before: none
    assert (rebuilt(ops, -1), rebuilt(ops, 1)) == (before, after)
    ruled = stored_diff(
        compare_versions(
            {**VERSION, "text": before}, {**VERSION, "text": after}, ignore_patterns=rule
        ).diff
    )
    ops = displayed_diff(ruled, before, after, [[], rule])
    assert (rebuilt(ops, -1), rebuilt(ops, 1)) == (ORIGINAL, EDITED)


@pytest.mark.parametrize(
    "damaged", ["not json", "[" * 100_000 + "]" * 100_000, '{"a": 1}', "[[0, 99999]]", "null"]
)
def test_a_damaged_stored_diff_is_computed_again_under_todays_patterns(damaged):
    before, after = ORIGINAL + "\nViews: 10", EDITED + "\nViews: 12"
    ops = displayed_diff(damaged, before, after, [[r"^Views: \d+$"], []])
    assert (rebuilt(ops, -1), rebuilt(ops, 1)) == (ORIGINAL, EDITED)


def test_readouts_diff_shows_the_stored_diff_whole(db):
    save(db, ORIGINAL)
    save(db, EDITED)
    run_flag_job(db)
    before, after = db.query("SELECT * FROM versions ORDER BY version")
    shown, stored = change_for_display(db, "test", before, after)
    assert stored
    assert shown["diff"] == [
        [0, ORIGINAL.removesuffix("frank and businesslike.")],
        [-1, "frank and businesslike"],
        [1, "constructive"],
        [0, "."],
    ]
