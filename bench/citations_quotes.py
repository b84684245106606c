"""Sentence-length quotes planted in articles: precision, recall, attribution and boundaries.

Quotes of 1-3 consecutive sentences (12+ words) are taken from real readouts (White House,
Kremlin, president.gov.ua; read from ../shared/eval/readout-corpus at run time), given up to
two edits (an ellipsis for omitted words, a bracketed insertion or replacement) and free
typographic changes (curly/straight quotes, non-breaking spaces, lower-case first letter,
"(emphasis added)"), and planted into articles made of unrelated English web text (PAN13
source documents). Other articles hold only boilerplate shared by many readouts, readout
titles and names. Every readout is indexed; every article goes through lookup and alignment.

    .venv/bin/python bench/citations_quotes.py [--seed 1] [--articles 600]

``--small N`` keeps N readouts drawn at random (a small archive, where formulas shared by 5-8
readouts are not yet common) and adds traps to the boilerplate-only articles: fragments that
3-8 of those readouts share, woven into the article's own sentences ("Advisor Jake Sullivan
spoke by phone, while National Security Advisor …"). Trap articles must cite nothing.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter

from _shared import fresh_database, require_eval
from readout_corpus import load_readouts, sentence_spans

from analysis.citations.detect import detect
from analysis.citations.text import words_of
from storage import citation_index as index

BRACKETS = [
    "[the President]",
    "[sic]",
    "[Ukraine's]",
    "[the UN Security Council's]",
    "[its]",
    "[and]",
]
INTROS = [
    "According to the readout, {q}",
    "The official account says the leaders {q}",
    "“{q}” the statement reads.",
    "The readout claimed that “{q}”",
    "As the statement put it: “{q}”",
]
NAMES = [
    "President Vladimir Putin",
    "President Joseph R. Biden Jr.",
    "President Volodymyr Zelenskyy",
    "Prime Minister Boris Johnson",
    "Chancellor Olaf Scholz",
    "the White House",
    "the Kremlin",
]


def _words(text):
    return re.findall(r"\S+", text)


def make_quote(rng, readout_text, spans, start_sentence):
    """A quote from consecutive sentences; returns (quote text, readout span, edits) or None."""
    count = rng.choice([1, 1, 2, 3])
    chosen = spans[start_sentence : start_sentence + count]
    r_start, r_end = chosen[0][0], chosen[-1][1]
    original = readout_text[r_start:r_end].rstrip(".!? ")
    r_end = r_start + len(original)
    words = _words(original)
    if not 12 <= len(words) <= 90:
        return None
    edits = rng.choice([0, 1, 1, 2, 2])
    for _ in range(edits):
        if rng.random() < 0.5 and len(words) > 14:
            at = rng.randrange(3, len(words) - 6)
            del words[at : at + rng.randint(2, 5)]
            words.insert(at, rng.choice(["…", "..."]))
        else:
            at = rng.randrange(2, len(words) - 2)
            if rng.random() < 0.5:
                words[at] = rng.choice(BRACKETS)
            else:
                words.insert(at, rng.choice(BRACKETS))
    text = " ".join(words)
    if rng.random() < 0.5:
        text = text.replace("'", "’").replace('"', "”")
    else:
        text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    if rng.random() < 0.5:
        text = re.sub(r"\b(of|the|to|in|a|on|and) ", "\\1\u00a0", text)
    if rng.random() < 0.5:
        text = text[0].lower() + text[1:]
    return text, (r_start, r_end), edits


def _word_span(article, start):
    """The quote's span from its first to its last word character (quote marks excluded)."""
    first = re.search(r"\w", article[start:]).start() + start
    last = len(article) - re.search(r"\w", article[::-1]).start()
    return first, last


TITLES = [
    "Deputy Head of the Office of the President of Ukraine Andriy Yermak",
    "National Security Advisor to the Vice President Phil Gordon",
    "President of Ukraine Volodymyr Zelenskyy and President of the Republic of Estonia Alar Karis",
    "Assistant to the President and National Security Advisor Jake Sullivan",
    "Minister of Foreign Affairs of the Russian Federation Sergei Lavrov",
    "American Federation of Labor-Congress of Industrial Organizations (AFL-CIO)",
]


CONNECTORS = [", while ", " and, as before, ", ". Meanwhile ", " — and ", ", whereas "]


def make_traps(rng, readouts, count=400):
    """Sentences weaving fragments (6 words) that 3-8 readouts share with the article's own
    words: each alone or two joined by a few words of the article's."""
    df = Counter()
    for readout in readouts:
        words = readout["text"].split()
        df.update({" ".join(words[i : i + 6]) for i in range(len(words) - 5)})
    shared = sorted(phrase for phrase, n in df.items() if 3 <= n <= 8)
    if len(shared) < 2:
        return []
    traps = []
    for _ in range(count):
        first, second = rng.sample(shared, 2)
        if rng.random() < 0.3:
            traps.append(f"Observers noted that {first.rstrip('.,')} again.")
        else:
            traps.append(f"{first.rstrip('.,')}{rng.choice(CONNECTORS)}{second}")
    return traps


def build(rng, readouts, filler, boilerplate, articles, traps=()):
    headings = [
        r["title"]
        for r in readouts
        if r["title"].startswith(("Readout of", "Telephone conversation"))
    ]
    planted, texts = [], []
    spans_of = {}
    for number in range(articles):
        parts = rng.sample(filler, rng.randint(3, 8))
        truths = []
        if number % 3 == 2:  # boilerplate, titles and names only
            parts += rng.sample(boilerplate, min(3, len(boilerplate)))
            parts += rng.sample(traps, min(3, len(traps)))
            parts.append(f"{rng.choice(NAMES)} spoke with {rng.choice(TITLES)}.")
            parts.append(f"See “{rng.choice(headings)}”.")
            rng.shuffle(parts)
            texts.append((" ".join(parts), []))
            continue
        source = rng.randrange(len(readouts))
        quotes = []
        for _ in range(rng.randint(1, 3)):
            readout_id = source if rng.random() < 0.8 else rng.randrange(len(readouts))
            text = readouts[readout_id]["text"]
            spans = spans_of.setdefault(readout_id, sentence_spans(text))
            if not spans:
                continue
            made = make_quote(rng, text, spans, rng.randrange(len(spans)))
            if made:
                quotes.append((readout_id, *made))
        article = ""
        for part in parts:
            article += part + " "
            if quotes and rng.random() < 0.6:
                readout_id, quote, readout_span, edits = quotes.pop()
                intro = rng.choice(INTROS)
                before, after = intro.split("{q}")
                article += before
                start = len(article)
                article += quote
                truths.append((readout_id, _word_span(article, start), readout_span, edits))
                note = " (emphasis added)" if rng.random() < 0.2 else ""
                article += after + note + " "
        for readout_id, quote, readout_span, edits in quotes:  # the ones not placed yet
            article += "It also said: “"
            start = len(article)
            article += quote
            truths.append((readout_id, _word_span(article, start), readout_span, edits))
            article += "”. "
        texts.append((article.strip(), truths))
        planted += [(number, *t) for t in truths]
    return texts, planted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="Generator seed (odd: reported).")
    parser.add_argument("--articles", type=int, default=600, help="Articles generated.")
    parser.add_argument("--show-errors", action="store_true", help="Print each error.")
    parser.add_argument("--small", type=int, default=0, help="Keep this many readouts, add traps.")
    options = parser.parse_args(argv)
    rng = random.Random(options.seed)
    readouts = load_readouts(require_eval("readout-corpus"))
    traps = []
    if options.small:
        readouts = rng.sample(readouts, options.small)
        traps = make_traps(rng, readouts)
    pan = require_eval("pan13-no-obfuscation")
    filler = [
        s
        for p in sorted((pan / "src").glob("*.txt"))[:150]
        for s in re.split(r"(?<=[.!?])\s+", " ".join(p.read_text(errors="replace").split()))
        if 8 <= len(s.split()) <= 40
    ]
    df = Counter()
    for readout in readouts:
        df.update(
            {" ".join(readout["text"][s:e].split()) for s, e in sentence_spans(readout["text"])}
        )
    boilerplate = [
        s for s, n in df.items() if n >= (3 if options.small else 10) and len(s.split()) >= 4
    ]
    print(
        f"{len(readouts)} real readouts indexed; {len(boilerplate)} boilerplate sentences"
        f" (in ≥ {3 if options.small else 10} readouts), e.g. {boilerplate[:3]}"
    )

    db, _ = fresh_database()
    started = time.perf_counter()
    with db.conn:
        index.index_versions(
            db,
            [
                {"id": None, "document_id": number, "text": readout["text"], "url": None}
                for number, readout in enumerate(readouts)
            ],
        )
    print(f"indexed in {time.perf_counter() - started:.1f} s")
    texts, planted = build(rng, readouts, filler, boilerplate, options.articles, traps)

    detected = []  # (article, readout, article span)
    started = time.perf_counter()
    for number, (text, _) in enumerate(texts):
        article = words_of(text)
        found = detect(
            article,
            index.lookup(db, article, readouts=len(readouts)),
            lambda rid: [(None, readouts[rid]["text"])],
        )
        detected += [(number, c.readout_id, tuple(s.article)) for c in found for s in c.spans]
    elapsed = time.perf_counter() - started

    def overlaps(a, b):
        return min(a[1], b[1]) > max(a[0], b[0])

    def word_index(words, offset):
        return int(abs(words.starts - offset).argmin()) if offset is not None else None

    # A readout published twice (or a passage two readouts share word for word) is as good a source.
    folded = {}

    def same_passage(readout_id, source_id, r_span):
        if readout_id not in folded:
            folded[readout_id] = " " + " ".join(words_of(readouts[readout_id]["text"]).words) + " "
        passage = " ".join(words_of(readouts[source_id]["text"][slice(*r_span)]).words)
        return f" {passage} " in folded[readout_id]

    hits, boundary_exact, boundary_one, wrong_readout = 0, 0, 0, 0
    for number, readout_id, a_span, r_span, _edits in planted:
        mine = [d for d in detected if d[0] == number and overlaps(d[2], a_span)]
        right = [d for d in mine if d[1] == readout_id or same_passage(d[1], readout_id, r_span)]
        if not right:
            wrong_readout += bool(mine)
            continue
        hits += 1
        words = words_of(texts[number][0])
        got = right[0][2]
        start_off = abs(word_index(words, got[0]) - word_index(words, a_span[0]))
        end_words = words.ends
        end_off = abs(
            int(abs(end_words - got[1]).argmin()) - int(abs(end_words - a_span[1]).argmin())
        )
        boundary_exact += start_off == 0 and end_off == 0
        boundary_one += start_off <= 1 and end_off <= 1
    true_spans = {(number, readout_id): [] for number, readout_id, *_ in planted}
    for number, readout_id, a_span, *_ in planted:
        true_spans[(number, readout_id)].append(a_span)

    by_article = {}
    for number, source_id, a_span, r_span, _ in planted:
        by_article.setdefault(number, []).append((source_id, a_span, r_span))
    correct = duplicates = 0
    for number, readout_id, span in detected:
        for source_id, a_span, r_span in by_article.get(number, []):
            if overlaps(span, a_span):
                if readout_id == source_id:
                    correct += 1
                elif same_passage(readout_id, source_id, r_span):
                    correct += 1
                    duplicates += 1
                else:
                    continue
                break
    boiler_articles = [n for n, (_, truths) in enumerate(texts) if not truths]
    boiler_false = sum(1 for d in detected if d[0] in set(boiler_articles))
    precision = correct / len(detected) if detected else 1.0
    recall = hits / len(planted)
    print(
        f"seed {options.seed}: {len(texts)} articles ({len(boiler_articles)} boilerplate-only),"
        f" {len(planted)} planted quotes "
        f"(edits: {dict(sorted(Counter(p[4] for p in planted).items()))})"
    )
    print(
        f"precision {precision:.4f} ({correct} of {len(detected)} detected passages are planted quotes"
        f" of the right readout; {duplicates} of them of a readout holding the same passage word for word)"
    )
    print(
        f"recall    {recall:.4f} ({hits} of {len(planted)} planted quotes found and attributed to their readout;"
        f" {wrong_readout} found but attributed to another readout)"
    )
    print(
        f"boundaries: {boundary_exact / max(1, hits):.4f} exact, {boundary_one / max(1, hits):.4f} within one word"
    )
    print(
        f"boilerplate-only articles: {boiler_false} passages detected in {len(boiler_articles)} articles"
        + (f" (each with up to 3 traps; {len(traps)} trap sentences made)" if traps else "")
    )
    print(f"matching: {len(texts) / elapsed:.1f} articles/s")
    if options.show_errors:
        for number, readout_id, span in detected:
            if not any(overlaps(span, t) for t in true_spans.get((number, readout_id), [])):
                print("FALSE", readout_id, repr(texts[number][0][span[0] : span[1]]))
        for number, readout_id, a_span, _r, _e in planted:
            mine = [
                d
                for d in detected
                if d[0] == number and d[1] == readout_id and overlaps(d[2], a_span)
            ]
            if not mine:
                print("MISSED", readout_id, repr(texts[number][0][a_span[0] : a_span[1]]))
            elif mine[0][2] != a_span:
                got = mine[0][2]
                text = texts[number][0]
                print(
                    "BOUNDARY", repr(text[a_span[0] : a_span[1]]), "||", repr(text[got[0] : got[1]])
                )
    print(
        f"reproduce: .venv/bin/python bench/citations_quotes.py --seed {options.seed} --articles {options.articles}"
        + (f" --small {options.small}" if options.small else "")
    )


if __name__ == "__main__":
    main()
