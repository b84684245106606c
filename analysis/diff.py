"""Word-level diffs of two texts, bounded in time.

diff-match-patch works on characters, so each distinct word (and each run of spaces or
punctuation mark) is first mapped to one private character, diffed, and mapped back — the
same trick its line mode uses. Its ``Diff_Timeout`` bounds a pathological pair: past it the
diff is still valid, only less minimal.
"""

from __future__ import annotations

import itertools
import json
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
            key = _spacing(token)
            char = vocabulary.get(key)
            if char is None:
                char = chr(_FIRST_CODE + len(tokens))
                vocabulary[key] = char
                tokens.append(token)
            chars.append(char)
        return "".join(chars)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(encode(before), encode(after), False)
    dmp.diff_cleanupSemantic(diffs)
    decoded = [(op, "".join(tokens[ord(c) - _FIRST_CODE] for c in chars)) for op, chars in diffs]
    return [(op, text) for op, text in decoded if text]


def _spacing(token: str) -> str:
    """A token as compared: runs of spaces are equal whatever their characters (a no-break
    space for a space is no edit), a line break stays one."""
    if not token.isspace():
        return token
    return "\n" if "\n" in token else " "


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
    timed_out = timed_out or time.monotonic() >= deadline
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


def stored_diff(ops: list[tuple[int, str]]) -> str:
    """The diff as stored, compact JSON: each kept stretch as its length, since the older text
    holds it (``expand_diff`` reads it back); removed and added parts as their text."""
    compact = [(op, len(text) if op == EQUAL else text) for op, text in ops]
    return json.dumps(compact, ensure_ascii=False, separators=(",", ":"))


def expand_diff(
    stored: list[tuple[int, str | int]], before: str, after: str
) -> list[tuple[int, str]] | None:
    """A stored diff with its kept stretches read back from ``before``, or None when it does not
    fit the two texts (they are not the texts it was computed from).

    Both sides are checked: kept and removed parts must rebuild ``before``, kept and added parts
    ``after``. Kept stretches may also be text (diffs stored before they were compacted).
    """
    ops: list[tuple[int, str]] = []
    old = new = 0
    for op, part in stored:
        if op == EQUAL:
            size = part if isinstance(part, int) and not isinstance(part, bool) else None
            text = before[old : old + size] if size is not None else part
            if not isinstance(text, str) or (size is not None and len(text) != size):
                return None
        elif op in (DELETE, INSERT) and isinstance(part, str):
            text = part
        else:
            return None
        if op != INSERT:
            if not before.startswith(text, old):
                return None
            old += len(text)
        if op != DELETE:
            if not after.startswith(text, new):
                return None
            new += len(text)
        ops.append((op, text))
    return ops if (old, new) == (len(before), len(after)) else None


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


def render_side_by_side(
    ops: list[tuple[int, str]], *, width: int = 100, color: bool = False, context: int = 1
) -> str:
    """The diff in two columns, old on the left and new on the right, changed paragraphs only.

    Paragraphs are aligned where both versions have the same paragraph break; each column is
    wrapped to half of ``width``.
    """
    column = max(20, (width - 3) // 2)
    groups = _paragraph_groups(ops)
    keep: set[int] = set()
    for index, (_, _, changed) in enumerate(groups):
        if changed:
            keep.update(range(max(0, index - context), min(len(groups), index + context + 1)))
    out: list[str] = []
    previous = -1
    for index in sorted(keep):
        if index != previous + 1:
            out.append("…".ljust(column) + " │ …")
        elif out:
            out.append(" " * column + " │")
        old_lines, new_lines, _ = groups[index]
        left = [row for line in old_lines for row in _wrap(line, DELETE, column, color)]
        right = [row for line in new_lines for row in _wrap(line, INSERT, column, color)]
        for row in range(max(len(left), len(right))):
            cell = left[row] if row < len(left) else ("", 0)
            out.append(
                cell[0]
                + " " * (column - cell[1])
                + " │ "
                + (right[row][0] if row < len(right) else "")
            )
        previous = index
    if out and previous != len(groups) - 1:
        out.append("…".ljust(column) + " │ …")
    return "\n".join(out)


def _paragraph_groups(
    ops: list[tuple[int, str]],
) -> list[tuple[list[list[tuple[int, str]]], list[list[tuple[int, str]]], bool]]:
    """Runs of paragraphs between the paragraph breaks both versions share."""
    groups = []
    old: list[list[tuple[int, str]]] = [[]]
    new: list[list[tuple[int, str]]] = [[]]
    changed = False
    for op, text in ops:
        for index, piece in enumerate(text.split("\n")):
            if index:
                if op == EQUAL:
                    groups.append((old, new, changed))
                    old, new, changed = [[]], [[]], False
                elif op == DELETE:
                    old.append([])
                    changed = True
                else:
                    new.append([])
                    changed = True
            if piece:
                if op != INSERT:
                    old[-1].append((op, piece))
                if op != DELETE:
                    new[-1].append((op, piece))
                changed = changed or op != EQUAL
    groups.append((old, new, changed))
    return groups


def _wrap(
    line: list[tuple[int, str]], changed_op: int, width: int, color: bool
) -> list[tuple[str, int]]:
    """One paragraph's (op, text) runs wrapped to ``width``: (rendered row, visible length)."""
    if color:
        start, end = ("\033[31;9m", "\033[0m") if changed_op == DELETE else ("\033[32m", "\033[0m")
    else:
        start, end = ("[-", "-]") if changed_op == DELETE else ("{+", "+}")
    words = [(op, word) for op, text in line for word in re.findall(r"\S+\s*", text)]
    rows: list[tuple[str, int]] = []
    current: list[tuple[int, str]] = []
    visible = 0
    for op, word in words:
        size = len(word) + (0 if color or op == EQUAL else len(start) + len(end))
        if current and visible + size > width:
            rows.append(_row(current, start, end, color))
            current, visible = [], 0
        current.append((op, word))
        visible += size
    if current:
        rows.append(_row(current, start, end, color))
    return rows or [("", 0)]


def _row(words: list[tuple[int, str]], start: str, end: str, color: bool) -> tuple[str, int]:
    text, visible = "", 0
    for changed, run in itertools.groupby(words, key=lambda item: item[0] != EQUAL):
        chunk = "".join(word for _, word in run)
        body = chunk.rstrip()
        trail = chunk[len(body) :]
        if changed:
            text += f"{start}{body}{end}{trail}"
            visible += len(body) + len(trail) + (0 if color else len(start) + len(end))
        else:
            text += chunk
            visible += len(chunk)
    stripped = text.rstrip()
    return stripped, visible - (len(text) - len(stripped))
