"""PAN 2013 text alignment (no obfuscation), run many-to-many through the citation index.

Every source document is indexed as a readout, every suspicious document is matched as an
article (index lookup, then alignment), so candidate search is measured along with alignment.
Character-level precision, recall, granularity and plagdet as PAN defines them. Parameters are
chosen on the even-numbered lines of ``pairs`` and reported on the odd-numbered ones.

    .venv/bin/python bench/citations_pan13.py
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import replace

from _shared import fresh_database, require_eval

from analysis.citations.detect import detect
from analysis.citations.params import DEFAULT, Params
from analysis.citations.text import words_of
from storage import citation_index as index

GRID = {"max_gap": [3, 8, 20], "min_words": [8, 15, 30]}


def load(root):
    src = {
        p.name: p.read_text(encoding="utf-8", errors="replace")
        for p in (root / "src").glob("*.txt")
    }
    susp = {
        p.name: p.read_text(encoding="utf-8", errors="replace")
        for p in (root / "susp").glob("*.txt")
    }
    pairs = {}
    for number, line in enumerate((root / "pairs").read_text().split("\n"), 1):
        if line.strip():
            s, r = line.split()
            pairs[(s, r)] = "even" if number % 2 == 0 else "odd"
    cases = []
    for path in (root / "truth").glob("*.xml"):
        tree = ET.parse(path)
        susp_name = tree.getroot().get("reference")
        for feature in tree.getroot().iter("feature"):
            if feature.get("name") != "plagiarism":
                continue
            this = int(feature.get("this_offset")), int(feature.get("this_length"))
            source = int(feature.get("source_offset")), int(feature.get("source_length"))
            cases.append(
                (
                    susp_name,
                    feature.get("source_reference"),
                    (this[0], this[0] + this[1]),
                    (source[0], source[0] + source[1]),
                )
            )
    return src, susp, pairs, cases


def _read(path):
    """The file's characters as PAN counts them: CRLF kept (no newline translation)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as file:
        return file.read()


def run_detection(src, susp, params: Params):
    db, _ = fresh_database()
    names = sorted(src)
    started = time.perf_counter()
    with db.conn:
        for number, name in enumerate(names):
            index.index_version(db, number, None, src[name], None, params)
    indexed = time.perf_counter() - started
    texts = {number: src[name] for number, name in enumerate(names)}
    detections = []
    started = time.perf_counter()
    for name, text in sorted(susp.items()):
        article = words_of(text)
        candidates = index.lookup(db, article, params)
        found = detect(article, candidates, lambda rid: [(None, texts[rid])], set(), params)
        for citation in found:
            for span in citation.spans:
                detections.append(
                    (name, names[citation.readout_id], tuple(span.article), tuple(span.readout))
                )
    matched = time.perf_counter() - started
    db.close()
    return detections, indexed, matched


def _overlap(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _union_inside(ranges, within):
    """Characters of ``within`` covered by the union of ``ranges``."""
    clipped = sorted((max(r[0], within[0]), min(r[1], within[1])) for r in ranges)
    total, end = 0, within[0]
    for start, stop in clipped:
        start = max(start, end)
        if stop > start:
            total += stop - start
            end = stop
    return total


def pan_measures(cases, detections):
    by_pair = defaultdict(list)
    for det in detections:
        by_pair[(det[0], det[1])].append(det)
    case_pairs = defaultdict(list)
    for case in cases:
        case_pairs[(case[0], case[1])].append(case)

    def detects(det, case):
        return _overlap(det[2], case[2]) > 0 and _overlap(det[3], case[3]) > 0

    recalls, granularity = [], []
    for case in cases:
        hits = [d for d in by_pair[(case[0], case[1])] if detects(d, case)]
        covered = _union_inside([d[2] for d in hits], case[2]) + _union_inside(
            [d[3] for d in hits], case[3]
        )
        recalls.append(covered / ((case[2][1] - case[2][0]) + (case[3][1] - case[3][0])))
        if hits:
            granularity.append(len(hits))
    precisions = []
    for det in detections:
        hits = [c for c in case_pairs[(det[0], det[1])] if detects(det, c)]
        covered = _union_inside([c[2] for c in hits], det[2]) + _union_inside(
            [c[3] for c in hits], det[3]
        )
        precisions.append(covered / max(1, (det[2][1] - det[2][0]) + (det[3][1] - det[3][0])))
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    gran = sum(granularity) / len(granularity) if granularity else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "granularity": gran,
        "plagdet": f1 / math.log2(1 + gran),
        "cases": len(cases),
        "detections": len(detections),
    }


def split(cases, detections, pairs, part, *, unlisted: bool = False):
    """Cases and detections of one half. PAN's protocol scores detections on the listed pairs;
    with ``unlisted``, detections on other (suspicious, source) pairs count too, as false
    positives in both halves."""
    chosen = [c for c in cases if pairs.get((c[0], c[1])) == part]
    default = part if unlisted else None
    dets = [d for d in detections if pairs.get((d[0], d[1]), default) == part]
    return chosen, dets


def truth_check(cases, src, susp):
    """How many truth cases point at the same text in both files (the rest are offset)."""
    from rapidfuzz import fuzz

    same = sum(
        fuzz.ratio(
            " ".join(susp[c[0]][slice(*c[2])].split()), " ".join(src[c[1]][slice(*c[3])].split())
        )
        >= 90
        for c in cases
    )
    return f"truth cases whose two offsets point at the same text (≥ 90% similar): {same} of {len(cases)}"


def unlisted_evidence(detections, pairs, src, susp):
    """Detections on pairs without truth: how long and how verbatim they are."""
    from rapidfuzz import fuzz

    found = [d for d in detections if (d[0], d[1]) not in pairs]
    if not found:
        return "detections on pairs without truth: 0"
    lengths = sorted(d[2][1] - d[2][0] for d in found)
    similar = sorted(fuzz.ratio(susp[d[0]][slice(*d[2])], src[d[1]][slice(*d[3])]) for d in found)
    return (
        f"detections on pairs without truth: {len(found)} (median {lengths[len(lengths) // 2]}"
        f" chars; median similarity of the two passages {similar[len(similar) // 2]:.1f}%,"
        f" {sum(s >= 90 for s in similar)} of them ≥ 90%: reuse the truth files do not list)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-grid", action="store_true", help="Only the default parameters.")
    options = parser.parse_args(argv)
    root = require_eval("pan13-no-obfuscation")
    src, susp, pairs, cases = load(root)
    print(
        f"PAN13 no-obfuscation: {len(src)} sources indexed, {len(susp)} suspicious documents"
        f" matched, {len(cases)} cases"
    )
    grid = (
        [DEFAULT]
        if options.no_grid
        else [
            replace(DEFAULT, **dict(zip(GRID, values)))
            for values in itertools.product(*GRID.values())
        ]
    )
    results = []
    for params in grid:
        detections, indexed, matched = run_detection(src, susp, params)
        even = pan_measures(*split(cases, detections, pairs, "even"))
        results.append((even["plagdet"], params, detections, indexed, matched))
        print(
            f"  even pairs, max_gap={params.max_gap} min_words={params.min_words}: plagdet {even['plagdet']:.4f}"
        )
    _, params, detections, indexed, matched = max(results, key=lambda r: r[0])
    print(f"chosen on even pairs: max_gap={params.max_gap}, min_words={params.min_words}")
    for unlisted in (False, True):
        print(
            "all detections, unlisted pairs counted as false:"
            if unlisted
            else "listed pairs (PAN protocol):"
        )
        for part in ("even", "odd"):
            m = pan_measures(*split(cases, detections, pairs, part, unlisted=unlisted))
            print(
                f"  {part:>4} pairs: precision {m['precision']:.4f}  recall {m['recall']:.4f}  "
                f"granularity {m['granularity']:.4f}  plagdet {m['plagdet']:.4f}  "
                f"({m['cases']} cases, {m['detections']} detections)"
            )
    print(unlisted_evidence(detections, pairs, src, susp))
    print(truth_check(cases, src, susp))
    print(
        f"time: index {indexed:.1f} s, match {matched:.1f} s ({len(susp) / matched:.1f} documents/s)"
    )
    print("reproduce: .venv/bin/python bench/citations_pan13.py")


if __name__ == "__main__":
    main()
