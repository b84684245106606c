"""The citation index's pairs packed by hash bucket (``storage.citation_postings``): what goes
in comes out, once, in the documented format, and a damaged bucket says how to mend it."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import storage
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
    whole = [(bucket, bytes(blob)) for bucket, blob in postings.packed(pairs)]
    for chunk in (1, 7, 250, 10_000):  # buckets cut across chunks, and none
        assert list(postings.packed_stream(map(tuple, pairs.tolist()), chunk)) == whole
    assert list(postings.packed_stream(iter(()))) == []


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
