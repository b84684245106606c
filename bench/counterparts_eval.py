"""Counterpart detection on real readouts: White House, Kremlin and president.gov.ua, 2021–22.

Loads the three overlapping sets of ../shared/eval/readout-corpus (about 2,450 items) into a
fresh archive, runs the counterparts step, and scores the links against the hand-labelled pairs
in bench/data/counterpart_labels.csv. A predicted link missing from the labels counts as wrong.

    python bench/counterparts_eval.py                 # lexical topic alignment
    python bench/counterparts_eval.py --embeddings    # with the sentence-embedding model
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from readout_corpus import documents, load_archive  # noqa: E402

import storage  # noqa: E402

LABELS = Path(__file__).with_name("data") / "counterpart_labels.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", action="store_true", help="Use the embedding model.")
    args = parser.parse_args()
    if not args.embeddings:
        os.environ["READOUTS_NO_EMBEDDINGS"] = "1"
    from flagging.counterparts import counterparts_step

    docs = documents()
    if not docs:
        sys.exit("skipped: ../shared/eval/readout-corpus is not present")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.db"
        load_archive(path, docs)
        db = storage.open_database(path)
        started = time.perf_counter()
        counterparts_step(db)
        elapsed = time.perf_counter() - started
        urls = dict(db.execute("SELECT id, url FROM documents").fetchall())
        predicted = {
            frozenset((urls[a], urls[b]))
            for a, b in db.execute("SELECT readout_a_id, readout_b_id FROM counterparts")
        }
        db.close()
    with open(LABELS, encoding="utf-8") as handle:
        labels = {
            frozenset((r["url_a"], r["url_b"])): r["same_event"] == "1"
            for r in csv.DictReader(handle)
        }
    positives = {pair for pair, same in labels.items() if same}
    true_positives = predicted & positives
    precision = len(true_positives) / len(predicted) if predicted else 0.0
    recall = len(true_positives) / len(positives)
    print(
        f"readouts: {len(docs)} (3 sources); labelled pairs: {len(labels)}, "
        f"of which same event: {len(positives)}"
    )
    print(f"links predicted: {len(predicted)}; correct: {len(true_positives)}")
    print(f"precision {precision:.2f}  recall {recall:.2f}")
    print(
        f"time: {elapsed:.1f} s for {len(docs)} readouts = {elapsed / len(docs) * 1000:.1f} ms "
        f"per readout (topic alignment: {'embeddings' if args.embeddings else 'lexical'})"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for pair in sorted(predicted - positives, key=sorted):
        print("  wrong or unlabelled:", " | ".join(sorted(pair)))
    for pair in sorted(positives - predicted, key=sorted):
        print("  missed:", " | ".join(sorted(pair)))
    print("reproduce: python bench/counterparts_eval.py" + (" --embeddings" * args.embeddings))


if __name__ == "__main__":
    main()
