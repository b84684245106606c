"""How long the flag job takes to diff and classify two 200 KB transcripts.

Three pairs of generated transcripts (about 200 KB, some 1,600 paragraphs each): a few real edits,
the same paragraphs shuffled, and two unrelated texts. The last two are pathological for a
diff; the time bound (``analysis.diff.DEFAULT_TIMEOUT``) caps them and the stored diff stays
valid (it rebuilds both texts), only less minimal.

    .venv/bin/python bench/diff_bench.py
"""

from __future__ import annotations

import random
import statistics
import time

from analysis.diff import DEFAULT_TIMEOUT
from flagging.changes import compare_versions

SIZE = 200_000


def transcript(rng: random.Random, vocabulary: list[str]) -> list[str]:
    paragraphs, size = [], 0
    while size < SIZE:
        words = rng.choices(vocabulary, k=rng.randint(8, 25))
        paragraph = "SPEAKER: " + " ".join(words).capitalize() + "."
        paragraphs.append(paragraph)
        size += len(paragraph) + 1
    return paragraphs


def edited(rng: random.Random, paragraphs: list[str]) -> list[str]:
    copy = list(paragraphs)
    copy[100] = copy[100].replace(" ", " indeed ", 1)
    del copy[500]
    copy.insert(900, "SPEAKER: A sentence the press office added later.")
    copy[1500] = copy[1500][: len(copy[1500]) // 2] + "."
    return copy


def main() -> None:
    rng = random.Random(2026)
    vocabulary = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 10)))
        for _ in range(8000)
    ]
    original = transcript(rng, vocabulary)
    pairs = {
        "a few edits": edited(rng, original),
        "shuffled paragraphs": rng.sample(original, len(original)),
        "completely different": transcript(rng, vocabulary),
    }
    text = "\n".join(original)
    print(f"two transcripts of {len(text) / 1000:.0f} KB, {len(original)} paragraphs each")
    print(f"time bound: {DEFAULT_TIMEOUT} s")
    for name, other in pairs.items():
        after_text = "\n".join(other)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            change = compare_versions(
                {"title": "T", "text": text, "published_at": None},
                {"title": "T", "text": after_text, "published_at": None},
            )
            times.append(time.perf_counter() - started)
        valid = (
            "".join(t for op, t in change.diff if op != 1) == text
            and "".join(t for op, t in change.diff if op != -1) == after_text
        )
        print(
            f"{name:22} median {statistics.median(times):6.2f} s  (max {max(times):.2f} s)"
            f"  kinds={change.kinds}  +{change.words_added}/-{change.words_removed} words"
            f"  timed out={change.diff_timed_out}  diff rebuilds both texts={valid}"
            f"  stored diff {len(str(change.diff)) / 1000:.0f} KB"
        )
    print("command: .venv/bin/python bench/diff_bench.py")


if __name__ == "__main__":
    main()
