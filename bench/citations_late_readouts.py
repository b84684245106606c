"""Readouts stored after the articles that quote them: the cost of finding those articles.

An archive of commentary articles is stored and matched first (the flag job's own steps, so
each article's n-grams and link keys are kept), then new readouts arrive, some of them quoted
by stored articles. ``index_readouts`` indexes each new readout and re-matches only the stored
articles that share one of its rare n-grams (or link to it): the figure is milliseconds per new
readout, which should follow the new readout, not the number of stored articles.

    .venv/bin/python bench/citations_late_readouts.py --articles 30000
"""

from __future__ import annotations

import argparse
import random
import time

from _shared import fresh_database, require_eval
from citations_scale import _snapshot, corpus_sentences, make_article, make_readouts
from readout_corpus import load_readouts

import storage
from flagging import citations
from storage import citation_postings as postings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readouts", type=int, default=1000, help="Readouts stored first.")
    parser.add_argument("--late", type=int, default=200, help="Readouts stored last.")
    parser.add_argument("--articles", type=int, default=30000, help="Articles stored first.")
    parser.add_argument("--seed", type=int, default=1, help="Generator seed.")
    options = parser.parse_args(argv)
    rng = random.Random(options.seed)
    corpus = load_readouts(require_eval("readout-corpus"))
    pool, filler = corpus_sentences(corpus)
    readouts = make_readouts(rng, pool, options.readouts + options.late)
    late = range(options.readouts, len(readouts))
    db, path = fresh_database()

    started = time.perf_counter()
    with storage.write_transaction(db):
        for number in range(options.readouts):
            storage.save_version(db, _snapshot("readout", number, readouts[number]), None)
        quoting = {}  # article number → late readout it quotes
        for number in range(options.articles):
            text, source = make_article(rng, filler, readouts)
            storage.save_version(db, _snapshot("commentary", number, text), None)
            if source is not None and source in late:
                quoting[f"https://blog.example/posts/{number}"] = source
    stored = time.perf_counter() - started
    started = time.perf_counter()
    citations.index_readouts(db)
    citations.match_articles(db)
    first_job = time.perf_counter() - started
    readout_pairs = len(postings.all_pairs(db))
    article_pairs = db.execute("SELECT count(*) FROM citation_article_ngrams").fetchone()[0]

    with storage.write_transaction(db):
        for number in late:
            storage.save_version(db, _snapshot("readout", number, readouts[number]), None)
    started = time.perf_counter()
    flags = citations.index_readouts(db)
    elapsed = time.perf_counter() - started
    found = sum(
        bool(
            db.execute(
                "SELECT 1 FROM citations c JOIN documents a ON a.id = c.article_id"
                " JOIN documents r ON r.id = c.readout_id WHERE a.url = ? AND r.url = ?",
                [url, f"https://gov.example/readouts/{number}"],
            ).fetchone()
        )
        for url, number in quoting.items()
    )
    size_mb = path.stat().st_size / 1e6
    db.close()
    print(
        f"{options.articles:,} articles and {options.readouts:,} readouts stored in {stored:.0f} s,"
        f" matched by the flag job in {first_job:.0f} s; index {readout_pairs:,}"
        f" readout pairs, {article_pairs:,} article pairs, file {size_mb:.0f} MB"
    )
    print(
        f"{len(late)} late readouts indexed in {elapsed:.2f} s:"
        f" {1000 * elapsed / len(late):.1f} ms per new readout (stored articles re-matched"
        f" included); {len(flags)} new_citation flags; {found} of {len(quoting)} stored articles"
        " quoting a late readout now cite it"
    )
    print(
        "reproduce: .venv/bin/python bench/citations_late_readouts.py"
        f" --readouts {options.readouts} --late {options.late} --articles {options.articles}"
        f" --seed {options.seed}"
    )


if __name__ == "__main__":
    main()
