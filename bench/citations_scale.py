"""Scale of citation detection: N readouts indexed, M articles matched.

Readouts are made of sentences drawn from the real readout corpus (../shared/eval/readout-corpus,
read at run time) plus its boilerplate; articles of English web text (PAN13 sources), a fifth of
them quoting one or two sentences of a readout. Reports indexing rate, articles/s (lookup and
alignment), peak memory, index size, and the speed-up over naive pairwise alignment (every
article aligned with every readout) measured at 1,000 readouts.

    .venv/bin/python bench/citations_scale.py                         # quick: 1,000 x 5,000
    .venv/bin/python bench/citations_scale.py --readouts 3000 --articles 30000
    .venv/bin/python bench/citations_scale.py --readouts 30000 --articles 300000   # full
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import time

from _shared import fresh_database, require_eval
from readout_corpus import load_readouts, sentence_spans

from citations import index
from citations.align import align
from citations.detect import detect
from citations.text import words_of


def make_readouts(rng, pool, boilerplate, count):
    return [
        " ".join(rng.sample(pool, rng.randint(6, 25)) + [rng.choice(boilerplate)])
        for _ in range(count)
    ]


def make_article(rng, filler, readouts):
    parts = rng.sample(filler, rng.randint(8, 25))
    if rng.random() < 0.2:
        source = rng.choice(readouts)
        spans = sentence_spans(source)
        for _ in range(rng.randint(1, 2)):
            start, end = rng.choice(spans)
            parts.insert(rng.randrange(len(parts)), f"The readout said “{source[start:end]}”")
    return " ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readouts", type=int, default=1000, help="Readouts indexed (N).")
    parser.add_argument("--articles", type=int, default=5000, help="Articles matched (M).")
    parser.add_argument("--naive-sample", type=int, default=20, help="Articles timed pairwise.")
    parser.add_argument("--seed", type=int, default=1, help="Generator seed.")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    corpus = load_readouts(require_eval("readout-corpus"))
    pool = [
        corpus_text[s:e]
        for r in corpus
        for corpus_text in [r["text"]]
        for s, e in sentence_spans(corpus_text)
    ]
    pool = [s for s in pool if len(s.split()) >= 6]
    boilerplate = [
        "The leaders agreed to maintain contacts.",
        "Thank you for your attention.",
        "The leaders agreed to stay in close touch.",
        "Glory to Ukraine!",
    ]
    pan = require_eval("pan13-no-obfuscation")
    filler = [
        s
        for p in sorted((pan / "src").glob("*.txt"))
        for s in re.split(r"(?<=[.!?])\s+", " ".join(p.read_text(errors="replace").split()))
        if 6 <= len(s.split()) <= 40
    ]
    readouts = make_readouts(rng, pool, boilerplate, options.readouts)
    db, path = fresh_database()
    started = time.perf_counter()
    with db.conn:
        for number, text in enumerate(readouts):
            index.index_version(db, number, None, text)
    index_seconds = time.perf_counter() - started
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = index.index_size(db)
    file_mb = os.path.getsize(path) / 1e6
    print(
        f"{options.readouts} readouts indexed in {index_seconds:.1f} s ({options.readouts / index_seconds:.0f}/s);"
        f" index {size['rows']:,} rows, database file {file_mb:.1f} MB"
    )

    versions_of = lambda rid: [(None, readouts[rid])]  # noqa: E731
    found = quoting = 0
    started = time.perf_counter()
    for _ in range(options.articles):
        text = make_article(rng, filler, readouts)
        quoting += "The readout said" in text
        article = words_of(text)
        found += len(detect(article, index.lookup(db, article), versions_of))
    match_seconds = time.perf_counter() - started
    # the generator's own cost, measured apart and subtracted
    started = time.perf_counter()
    for _ in range(min(options.articles, 2000)):
        make_article(rng, filler, readouts)
    generate = (time.perf_counter() - started) / min(options.articles, 2000) * options.articles
    per_article = (match_seconds - generate) / options.articles
    print(
        f"{options.articles} articles matched: {1 / per_article:.0f} articles/s"
        f" ({quoting} quoting, {found} citations found)"
    )

    sample = [words_of(make_article(rng, filler, readouts)) for _ in range(options.naive_sample)]
    naive_readouts = [words_of(text) for text in readouts[:1000]]
    started = time.perf_counter()
    for article in sample:
        for readout in naive_readouts:
            align(article, readout)
    naive = (time.perf_counter() - started) / len(sample)
    print(
        f"naive pairwise at {len(naive_readouts)} readouts: {naive * 1000:.0f} ms per article"
        f" (readouts tokenized once, not counted); indexed: {per_article * 1000:.1f} ms per article"
        f" → speed-up {naive / per_article:.0f}x"
    )
    print(
        f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(
        "reproduce: .venv/bin/python bench/citations_scale.py"
        f" --readouts {options.readouts} --articles {options.articles}"
    )


if __name__ == "__main__":
    main()
