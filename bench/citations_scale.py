"""Scale of citation detection: N readouts indexed, M articles matched.

Readouts are made of sentences drawn from the real readout corpus (../shared/eval/readout-corpus,
read at run time) plus its boilerplate; articles of English web text (PAN13 sources), a fifth of
them quoting one or two sentences (12+ words) of a readout. Reports indexing rate, articles/s (lookup and
alignment, ``--workers`` processes sharing the index read-only), recall of the planted quotes,
peak memory, index size, and the speed-up over naive pairwise alignment (every article aligned
with every readout) measured at 1,000 readouts.

    .venv/bin/python bench/citations_scale.py                         # quick: 1,000 x 5,000
    .venv/bin/python bench/citations_scale.py --readouts 3000 --articles 30000
    .venv/bin/python bench/citations_scale.py --readouts 30000 --articles 300000   # full
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import random
import re
import resource
import sqlite3
import time

from _shared import fresh_database, require_eval
from readout_corpus import load_readouts, sentence_spans

import storage
from analysis.citations.align import align
from analysis.citations.detect import detect
from analysis.citations.params import DEFAULT
from analysis.citations.text import words_of
from flagging import citations
from storage import citation_index as index

REWRITTEN_SHARE = 0.3
BOILERPLATE = [
    "The leaders agreed to maintain contacts.",
    "Thank you for your attention.",
    "The leaders agreed to stay in close touch.",
    "Glory to Ukraine!",
]


def sentence_stream(rng, pool):
    """Pool sentences in random order, pass after pass. From the second pass on, three words in
    ten of each sentence are replaced by others from the pool: 30,000 readouts need ~460,000
    sentences from a pool of ~68,000, and real readouts share formulas, not whole paragraphs
    (a sentence in more readouts than the index's cap would be boilerplate by definition)."""
    vocabulary = sorted({word for sentence in pool for word in sentence.split()})
    for rewrite in itertools.count():
        for sentence in rng.sample(pool, len(pool)):
            if rewrite:
                sentence = " ".join(
                    rng.choice(vocabulary) if rng.random() < REWRITTEN_SHARE else word
                    for word in sentence.split()
                )
            yield sentence


def make_readouts(rng, pool, count):
    stream = sentence_stream(rng, pool)
    return [
        " ".join([next(stream) for _ in range(rng.randint(6, 25))] + [rng.choice(BOILERPLATE)])
        for _ in range(count)
    ]


def make_article(rng, filler, readouts):
    """An article of web text; a fifth of them quote 1–2 sentences (12+ words) of one
    readout, whose number is returned with the text (else None)."""
    parts = rng.sample(filler, rng.randint(8, 25))
    source = None
    if rng.random() < 0.2:
        source = rng.randrange(len(readouts))
        spans = [
            (start, end)
            for start, end in sentence_spans(readouts[source])
            if len(readouts[source][start:end].split()) >= 12
        ]
        if not spans:
            return " ".join(parts), None
        for _ in range(rng.randint(1, 2)):
            start, end = rng.choice(spans)
            parts.insert(
                rng.randrange(len(parts)), f"The readout said “{readouts[source][start:end]}”"
            )
    return " ".join(parts), source


# Set in the parent before the workers fork; read by them.
_shared: dict = {}


def match_share(worker: int, count: int, seed: int) -> dict:
    """One worker: ``count`` articles generated and matched against the index (read-only)."""
    readouts, filler, path = _shared["readouts"], _shared["filler"], _shared["path"]
    rng = random.Random(seed * 1000 + worker)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    versions_of = lambda rid: [(None, readouts[rid])]  # noqa: E731
    tally = dict.fromkeys(("quoting", "found", "citations", "candidates"), 0)
    matching = 0.0
    for _ in range(count):
        text, source = make_article(rng, filler, readouts)
        started = time.perf_counter()
        article = words_of(text)
        candidates = index.lookup(connection, article)
        found = detect(article, candidates, versions_of)
        matching += time.perf_counter() - started
        tally["candidates"] += len(candidates)
        tally["citations"] += len(found)
        if source is not None:
            tally["quoting"] += 1
            tally["found"] += any(c.readout_id == source for c in found)
    tally["matching"] = matching
    return tally


def through_flag_job(rng, readouts, filler, count):
    """The product's own path: readouts and articles stored as versions, then the flag job's
    citation steps (index new readout versions, match new articles, save citations, raise
    ``new_citation`` flags)."""
    db, _ = fresh_database()
    started = time.perf_counter()
    readout_ids = [
        storage.save_version(db, _snapshot("readout", number, text), None).document_id
        for number, text in enumerate(readouts)
    ]
    sources = {}
    for number in range(count):
        text, source = make_article(rng, filler, readouts)
        saved = storage.save_version(db, _snapshot("commentary", number, text), None)
        if source is not None:
            sources[saved.document_id] = readout_ids[source]
    stored = time.perf_counter() - started
    started = time.perf_counter()
    citations.index_readouts(db)
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    flags = citations.match_articles(db)
    matched = time.perf_counter() - started
    found = sum(
        db.execute(
            "SELECT count(*) FROM citations WHERE article_id = ? AND readout_id = ?",
            [article_id, readout_id],
        ).fetchone()[0]
        for article_id, readout_id in sources.items()
    )
    print(
        f"through the flag job ({len(readouts)} readouts, {count} articles stored in"
        f" {stored:.0f} s): index step {len(readouts) / indexed:.0f} readouts/s, match step"
        f" {count / matched:.0f} articles/s in one process, {len(flags)} new_citation flags;"
        f" {found} of {len(sources)} quoting articles cite their readout"
    )


def _snapshot(kind, number, text):
    host = "gov.example/readouts" if kind == "readout" else "blog.example/posts"
    return storage.Snapshot(
        source="gov" if kind == "readout" else "blog",
        url=f"https://{host}/{number}",
        kind=kind,
        title=f"{kind} {number}",
        text=text,
        metadata={"links": []},
    )


def corpus_sentences(corpus: list[dict]) -> tuple[list[str], list[str]]:
    """Sentences to quote (the readouts', six words or more) and to fill articles with (PAN13's
    source texts, 6–40 words)."""
    pool = [
        readout["text"][start:end]
        for readout in corpus
        for start, end in sentence_spans(readout["text"])
    ]
    pool = [sentence for sentence in pool if len(sentence.split()) >= 6]
    pan = require_eval("pan13-no-obfuscation")
    filler = [
        s
        for p in sorted((pan / "src").glob("*.txt"))
        for s in re.split(r"(?<=[.!?])\s+", " ".join(p.read_text(errors="replace").split()))
        if 6 <= len(s.split()) <= 40
    ]
    return pool, filler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readouts", type=int, default=1000, help="Readouts indexed (N).")
    parser.add_argument("--articles", type=int, default=5000, help="Articles matched (M).")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="Matching processes."
    )
    parser.add_argument("--naive-sample", type=int, default=20, help="Articles timed pairwise.")
    parser.add_argument(
        "--flag-job-articles",
        type=int,
        default=0,
        help="Also store the readouts and this many articles as versions and time the flag"
        " job's citation steps on them (one process, with their reads and writes).",
    )
    parser.add_argument("--seed", type=int, default=1, help="Generator seed.")
    options = parser.parse_args(argv)
    began = time.perf_counter()
    rng = random.Random(options.seed)
    corpus = load_readouts(require_eval("readout-corpus"))
    pool, filler = corpus_sentences(corpus)
    readouts = make_readouts(rng, pool, options.readouts)
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
        f"{options.readouts} readouts indexed in {index_seconds:.1f} s"
        f" ({options.readouts / index_seconds:.0f}/s); index {size['rows']:,} rows,"
        f" database file {file_mb:.1f} MB"
    )

    _shared.update(readouts=readouts, filler=filler, path=path)
    shares = [
        options.articles // options.workers + (worker < options.articles % options.workers)
        for worker in range(options.workers)
    ]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(options.workers) as workers:
        tallies = workers.starmap(
            match_share, [(worker, share, options.seed) for worker, share in enumerate(shares)]
        )
    match_seconds = time.perf_counter() - started
    total = {key: sum(t[key] for t in tallies) for key in tallies[0]}
    per_article = total["matching"] / options.articles
    print(
        f"{options.articles} articles matched in {match_seconds:.1f} s by {options.workers}"
        f" process(es): {options.articles / match_seconds:.0f} articles/s (generating the"
        f" articles included); {per_article * 1000:.2f} ms per article in one process;"
        f" {total['candidates'] / options.articles:.1f} candidate readouts per article"
    )
    print(
        f"planted quotes: {total['found']} of {total['quoting']} quoting articles cite their"
        f" readout (recall {total['found'] / max(1, total['quoting']):.4f});"
        f" {total['citations'] - total['found']} other citations"
    )

    sample = [words_of(make_article(rng, filler, readouts)[0]) for _ in range(options.naive_sample)]
    naive_readouts = [words_of(text) for text in readouts[:1000]]
    for readout in naive_readouts:
        readout.ngram_hashes(DEFAULT.seed_n)  # hashed beforehand: not counted
    started = time.perf_counter()
    for article in sample:
        for readout in naive_readouts:
            align(article, readout)
    naive = (time.perf_counter() - started) / len(sample)
    print(
        f"naive pairwise at {len(naive_readouts)} readouts: {naive * 1000:.0f} ms per article"
        f" (readouts tokenized and hashed once, not counted); indexed: {per_article * 1000:.1f}"
        f" ms per article → speed-up {naive / per_article:.0f}x"
        + ("" if options.readouts == 1000 else " (the speed-up is meant at --readouts 1000)")
    )
    if options.flag_job_articles:
        through_flag_job(rng, readouts, filler, options.flag_job_articles)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (max RSS): {own:.0f} MB main process, {children:.0f} MB largest worker")
    print(f"whole run: {(time.perf_counter() - began) / 60:.1f} min")
    print(
        "reproduce: .venv/bin/python bench/citations_scale.py"
        f" --readouts {options.readouts} --articles {options.articles}"
        f" --workers {options.workers}"
        + (f" --flag-job-articles {options.flag_job_articles}" if options.flag_job_articles else "")
    )


if __name__ == "__main__":
    main()
