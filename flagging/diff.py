"""Word-level diffs of two texts, bounded in time.

diff-match-patch works on characters, so each distinct word (and each run of spaces or
punctuation mark) is first mapped to one private character, diffed, and mapped back — the
same trick its line mode uses. Its ``Diff_Timeout`` bounds a pathological pair: past it the
diff is still valid, only less minimal.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

DELETE, EQUAL, INSERT = -1, 0, 1
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_FIRST_CODE = 0xF0000  # Supplementary Private Use Area-A: never in scraped text we care about
DEFAULT_TIMEOUT = 2.0


@dataclass
class DiffStats:
    words_added: int
    words_removed: int
    words_before: int
    words_after: int

    @property
    def share_changed(self) -> float:
        """Changed words as a share of the longer version's words."""
        longest = max(self.words_before, self.words_after, 1)
        return min(1.0, max(self.words_added, self.words_removed) / longest)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def word_diff(
    before: str, after: str, *, timeout: float = DEFAULT_TIMEOUT
) -> list[tuple[int, str]]:
    """``[(op, text), …]`` with op -1 (removed), 0 (kept) or 1 (added), at word granularity."""
    vocabulary: dict[str, str] = {}
    tokens: list[str] = []

    def encode(text: str) -> str:
        chars = []
        for token in tokenize(text):
            char = vocabulary.get(token)
            if char is None:
                char = chr(_FIRST_CODE + len(tokens))
                vocabulary[token] = char
                tokens.append(token)
            chars.append(char)
        return "".join(chars)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(encode(before), encode(after), False)
    dmp.diff_cleanupSemantic(diffs)
    decoded = [(op, "".join(tokens[ord(c) - _FIRST_CODE] for c in chars)) for op, chars in diffs]
    return [(op, text) for op, text in decoded if text]


def paragraph_word_diff(
    before: str, after: str, *, timeout: float = DEFAULT_TIMEOUT
) -> tuple[list[tuple[int, str]], bool]:
    """Like ``word_diff``, but paragraphs (lines) are aligned first, then words within them.

    Aligning lines first keeps a removed paragraph whole instead of letting a semantic cleanup
    pair its words with a neighbour's, and confines word diffing to the paragraphs that
    changed, which is what keeps a 200 KB transcript with a few edits fast. The whole call is
    bounded by ``timeout``; past it, changed paragraphs are shown as removed and added whole
    (still a valid diff). Returns the ops and whether the bound was reached.
    """
    deadline = time.monotonic() + timeout
    vocabulary: dict[str, str] = {}
    lines: list[str] = []

    def encode(text: str) -> str:
        chars = []
        for line in (text + "\n").splitlines(keepends=True):
            char = vocabulary.setdefault(line, chr(_FIRST_CODE + len(lines)))
            if len(vocabulary) > len(lines):
                lines.append(line)
            chars.append(char)
        return "".join(chars)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    line_ops = [
        (op, "".join(lines[ord(c) - _FIRST_CODE] for c in chars))
        for op, chars in dmp.diff_main(encode(before), encode(after), False)
    ]
    out: list[tuple[int, str]] = []
    timed_out = time.monotonic() >= deadline
    removed = added = ""
    for op, text in [*line_ops, (EQUAL, "")]:
        if op == DELETE:
            removed += text
            continue
        if op == INSERT:
            added += text
            continue
        if removed and added:
            remaining = deadline - time.monotonic()
            if remaining > 0:
                out += word_diff(removed, added, timeout=remaining)
            else:
                timed_out = True
                out += [(DELETE, removed), (INSERT, added)]
        elif removed or added:
            out.append((DELETE, removed) if removed else (INSERT, added))
        removed = added = ""
        out.append((EQUAL, text))
    return _without_final_newline(_merged(out)), timed_out


def _merged(ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    merged: list[tuple[int, str]] = []
    for op, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def _without_final_newline(ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Take back the newline ``paragraph_word_diff`` appended to both texts."""
    if not ops:
        return ops
    if ops[-1][0] == EQUAL:
        ops[-1] = (EQUAL, ops[-1][1][:-1])
        return [(op, text) for op, text in ops if text]
    tail = 2 if len(ops) > 1 and ops[-2][0] != EQUAL else 1
    for index in range(len(ops) - tail, len(ops)):
        ops[index] = (ops[index][0], ops[index][1][:-1])
    if tail == 1 and len(ops) > 1:  # the other side ends in the kept text before it
        ops[-2] = (EQUAL, ops[-2][1][:-1])
        ops[-1] = (ops[-1][0], "\n" + ops[-1][1])
    return [(op, text) for op, text in ops if text]


def diff_stats(ops: list[tuple[int, str]]) -> DiffStats:
    def words(text: str) -> int:
        return len(re.findall(r"\w+", text))

    added = sum(words(text) for op, text in ops if op == INSERT)
    removed = sum(words(text) for op, text in ops if op == DELETE)
    kept = sum(words(text) for op, text in ops if op == EQUAL)
    return DiffStats(added, removed, kept + removed, kept + added)


def render_inline(ops: list[tuple[int, str]], *, color: bool = False, context: int = 1) -> str:
    """The diff as text: changed paragraphs with ``context`` unchanged ones around them.

    Removed words are shown as ``[-…-]`` and added ones as ``{+…+}`` (git's word-diff
    markers), or in red and green when ``color`` is set.
    """
    if color:
        marks = {DELETE: ("\033[31;9m", "\033[0m"), INSERT: ("\033[32m", "\033[0m")}
    else:
        marks = {DELETE: ("[-", "-]"), INSERT: ("{+", "+}")}
    lines: list[list[str]] = [[]]
    changed: list[bool] = [False]
    for op, text in ops:
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                lines.append([])
                changed.append(False)
            if not piece:
                continue
            if op == EQUAL:
                lines[-1].append(piece)
            else:
                start, end = marks[op]
                lines[-1].append(f"{start}{piece}{end}")
                changed[-1] = True
    keep: set[int] = set()
    for index, is_changed in enumerate(changed):
        if is_changed:
            keep.update(range(max(0, index - context), min(len(lines), index + context + 1)))
    out: list[str] = []
    previous = -1
    for index in sorted(keep):
        if index != previous + 1:
            out.append("…")
        out.append("".join(lines[index]))
        previous = index
    if out and previous != len(lines) - 1:
        out.append("…")
    return "\n".join(out)
