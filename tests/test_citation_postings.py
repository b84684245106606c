"""The citation index's pairs packed by hash bucket (``storage.citation_postings``): what goes
in comes out, once, in the documented format, and a damaged bucket says how to mend it."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import storage
from analysis.citations.text import words_of
from storage import citation_index as index
from storage import citation_postings as postings


@pytest.fixture
def db(tmp_path):
    db = storage.open_database(tmp_path / "archive.db")
    yield db
    db.close()


def stored(db) -> list[list[int]]:
    return postings.all_pairs(db).tolist()


def test_pairs_come_back_sorted_once_from_buckets_in_the_documented_format(db):
    pairs = [[(7 << 16) | 5, 70_000], [(7 << 16) | 5, 3], [(7 << 16) | 1, 3], [(9 << 16) | 2, 4]]
    with storage.write_transaction(db):
        postings.add_pairs(db.conn, np.array(pairs))
        postings.add_pairs(db.conn, np.array(pairs[:2]))  # held already
    assert stored(db) == sorted(pairs)
    rows = dict(db.execute("SELECT bucket, postings FROM citation_postings").fetchall())
    assert sorted(rows) == [7, 9]
    # One byte of owner width, the hashes' low 16 bits, the owner ids; little-endian.
    assert rows[7] == bytes([4]) + struct.pack("<3H3I", 1, 5, 5, 3, 3, 70_000)
    assert rows[9] == bytes([2]) + struct.pack("<HH", 2, 4)


def test_a_lookup_returns_the_pairs_of_the_hashes_asked_and_no_other_of_their_buckets(db):
    pairs = np.array([[(1 << 16) | 1, 10], [(1 << 16) | 2, 11], [(1 << 16) | 2, 12], [5, 13]])
    with storage.write_transaction(db):
        postings.add_pairs(db.conn, pairs)
    found = postings.pairs_for(db, np.array([(1 << 16) | 2, 6, 5]))
    assert found.tolist() == [[5, 13], [(1 << 16) | 2, 11], [(1 << 16) | 2, 12]]
    assert postings.pairs_for(db, np.array([], dtype=np.int64)).shape == (0, 2)


def test_packing_rows_read_in_chunks_gives_the_rows_packing_them_whole(db):
    rng = np.random.default_rng(7)
    pairs = np.unique(rng.integers(0, 1 << 20, size=(3_000, 2)), axis=0)  # 16 buckets
    whole = [(bucket, bytes(blob)) for bucket, blob in postings.packed(pairs, 16)]
    for chunk in (1, 7, 250, 10_000):  # buckets cut across chunks, and none
        assert list(postings.packed_stream(map(tuple, pairs.tolist()), 16, chunk)) == whole
    assert list(postings.packed_stream(iter(()), 16)) == []


def test_a_damaged_bucket_names_its_table_and_the_command_that_rebuilds_the_index(db):
    with storage.write_transaction(db):
        postings.add_pairs(db.conn, np.array([[(3 << 16) | 1, 2]]))
    db.execute("UPDATE citation_postings SET postings = x'0401020304' WHERE bucket = 3")
    assert postings.damaged_buckets(db) == [
        (3, "bucket 3 holds 5 bytes, not whole pairs of width 4")
    ]
    with pytest.raises(postings.DamagedPostings, match="citation_postings bucket 3 holds 5 bytes"):
        postings.pairs_for(db, np.array([(3 << 16) | 1]))
    with pytest.raises(postings.DamagedPostings, match="readouts citations --rebuild-index"):
        postings.all_pairs(db)


def test_owner_ids_past_32_bits_are_refused_before_anything_is_written(db):
    with pytest.raises(ValueError, match="32 bits"):
        postings.add_pairs(db.conn, np.array([[1, 1 << 32]]))
    assert stored(db) == []


def test_the_shift_keeps_buckets_at_split_at_pairs_or_fewer_on_average():
    assert postings.shift_for(0) == postings.FIRST_SHIFT
    assert postings.shift_for(postings.SPLIT_AT << 15) == 16  # 32,768 buckets, full
    assert postings.shift_for((postings.SPLIT_AT << 15) + 1) == 15
    assert postings.shift_for(postings.SPLIT_AT << 20) == 11
    assert postings.shift_for(1 << 62) == postings.LAST_SHIFT


def test_buckets_split_as_the_index_grows_and_hold_the_pairs_and_lookups_of_one_unsplit(
    tmp_path, monkeypatch
):
    rng = np.random.default_rng(5)
    words = [f"w{n}" for n in range(3000)]
    rows = [
        {"id": n, "document_id": n, "text": " ".join(rng.choice(words, 120)), "url": None}
        for n in range(1, 61)
    ]
    article = words_of(" ".join(rows[7]["text"].split()[30:60]) + " and more words besides")
    results = []
    for split_at in (postings.SPLIT_AT, 1 / 256):  # the buckets split as the index grows
        monkeypatch.setattr(postings, "SPLIT_AT", split_at)
        db = storage.open_database(tmp_path / f"{split_at > 1}.db")
        added = []
        for start in range(0, len(rows), 6):
            with storage.write_transaction(db):
                added += index.index_versions(db, rows[start : start + 6]).pairs
        results.append(
            (stored(db), added, {k: v.tolist() for k, v in index.lookup(db, article).items()})
        )
        shift = postings.current_shift(db)
        db.close()
    assert shift < postings.FIRST_SHIFT - 2  # split, by several levels
    assert results[0] == results[1]
    assert 8 in results[1][2]  # the article quotes readout 8

    db = storage.open_database(tmp_path / "False.db")
    with db.conn:
        db.execute("DELETE FROM job_state WHERE name = ?", [postings.SPLITS])
    with pytest.raises(postings.DamagedPostings, match="split 0 times cannot make"):
        postings.pairs_for(db, np.array([1]))  # rather than misread every bucket
    with storage.write_transaction(db):
        index.clear(db)
    assert postings.current_shift(db) == postings.FIRST_SHIFT  # a rebuilt index starts over
    db.close()
