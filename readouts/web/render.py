"""HTML for diffs, quoted passages and search snippets — with scraped text always escaped.

Scraped titles and texts are hostile input: a page may carry ``<script>``, event handlers or
``javascript:`` links. Everything here builds HTML with ``markupsafe.Markup.format``, which
escapes its arguments, so the only tags in the output are the ones written in this module.
Never mark scraped text safe any other way (datasette-render-html does not sanitize).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from markupsafe import Markup

from analysis.diff import DELETE, EQUAL, INSERT
from readouts.web.canned import MATCH_END, MATCH_START

Op = tuple[int, str]
_TAGS = {DELETE: Markup("<del>{}</del>"), INSERT: Markup("<ins>{}</ins>")}


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an http(s) address, else None: never a ``javascript:`` or ``data:`` link."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def external_link(url: str | None) -> Markup:
    """A link to a published page, or the plain (escaped) text when it is no http(s) address."""
    href = safe_href(url)
    if href is None:
        return Markup("<span>{}</span>").format(url or "")
    return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(href, url)


def highlight_snippet(snippet: str) -> Markup:
    """A search snippet with its matches (between MATCH_START and MATCH_END) in ``<mark>``."""
    out = Markup("")
    for index, part in enumerate(snippet.split(MATCH_START)):
        if index == 0:
            out += part.replace(MATCH_END, "")
            continue
        matched, _, rest = part.partition(MATCH_END)
        out += Markup("<mark>{}</mark>{}").format(matched, rest.replace(MATCH_END, ""))
    return out


@dataclass
class DiffBlock:
    """Text between two paragraph breaks both versions share, as paragraphs of (op, text)."""

    before: list[list[Op]] = field(default_factory=lambda: [[]])
    after: list[list[Op]] = field(default_factory=lambda: [[]])
    inline: list[list[Op]] = field(default_factory=lambda: [[]])
    changed: bool = False


def diff_blocks(ops: Iterable[Op]) -> list[DiffBlock]:
    """Split a word diff into aligned blocks, so side-by-side columns stay level."""
    blocks = [DiffBlock()]
    for op, text in ops:
        for index, piece in enumerate(text.split("\n")):
            block = blocks[-1]
            if index:
                if op == EQUAL:
                    blocks.append(DiffBlock())
                    block = blocks[-1]
                else:
                    sides = [block.before] if op == DELETE else [block.after]
                    for paragraphs in [*sides, block.inline]:
                        paragraphs.append([])
            if not piece:
                continue
            if op != INSERT:
                block.before[-1].append((op, piece))
            if op != DELETE:
                block.after[-1].append((op, piece))
            block.inline[-1].append((op, piece))
            block.changed = block.changed or op != EQUAL
    return [block for block in blocks if any(block.inline)]


def render_diff(
    ops: Iterable[Op], *, layout: str = "inline", context: int = 1, same_text: bool = False
) -> Markup:
    """The diff as HTML: changed paragraphs with ``context`` unchanged ones around them.

    ``layout`` is ``inline`` (one column, removed words struck through, added ones underlined)
    or ``side`` (the older version left, the newer right). Longer unchanged stretches fold
    into a ``<details>`` the reader can open. ``same_text``: the two texts are equal (only the
    title or date changed), which the note says instead of "no word changed".
    """
    blocks = diff_blocks(ops)
    near_change = {
        nearby
        for index, block in enumerate(blocks)
        if block.changed
        for nearby in range(index - context, index + context + 1)
    }
    out, folded = Markup(""), []
    for index, block in enumerate(blocks):
        if index in near_change:
            out += _fold(folded, layout)
            folded = []
            out += _block(block, layout)
        else:
            folded.append(block)
    out += _fold(folded, layout)
    if same_text:
        out = Markup('<p class="ro-note">The text is the same in both versions.</p>') + out
    elif not any(block.changed for block in blocks):
        out = Markup('<p class="ro-note">No word changed (typography or spacing only).</p>') + out
    return Markup('<div class="ro-diff ro-{}">{}</div>').format(
        "side" if layout == "side" else "inline", out
    )


def _fold(blocks: list[DiffBlock], layout: str) -> Markup:
    if not blocks:
        return Markup("")
    count = sum(len([p for p in block.inline if p]) for block in blocks)
    inner = Markup("").join(_block(block, layout) for block in blocks)
    return Markup(
        '<details class="ro-unchanged"><summary>{} unchanged paragraph{}</summary>{}</details>'
    ).format(count, "" if count == 1 else "s", inner)


def _block(block: DiffBlock, layout: str) -> Markup:
    css = "ro-block ro-changed" if block.changed else "ro-block"
    if layout == "side":
        return Markup(
            '<div class="{}"><div class="ro-before">{}</div><div class="ro-after">{}</div></div>'
        ).format(css, _paragraphs(block.before), _paragraphs(block.after))
    return Markup('<div class="{}">{}</div>').format(css, _paragraphs(block.inline))


def _paragraphs(paragraphs: list[list[Op]]) -> Markup:
    return Markup("").join(
        Markup("<p>{}</p>").format(
            Markup("").join(
                _TAGS[op].format(text) if op in _TAGS else Markup("{}").format(text)
                for op, text in pieces
            )
        )
        for pieces in paragraphs
        if pieces
    )


# current and drifted: quoted words; reported: the article's own words reporting the readout.
PASSAGE_STATUSES = ("current", "drifted", "reported")


@dataclass
class Passage:
    """A quoted passage: where it is in one text, its number, and whether it drifted (or is
    reported in other words rather than quoted)."""

    start: int
    end: int
    number: int
    status: str = "current"


def highlight_passages(text: str, passages: Iterable[Passage], side: str) -> Markup:
    """``text`` as paragraphs, each passage in a numbered ``<mark>`` (``id`` = side-number).

    Offsets outside the text are clipped; a passage overlapping an earlier one is skipped.
    """
    text = text or ""
    marks, position = [], 0
    for passage in sorted(passages, key=lambda p: (p.start, p.end)):
        start, end = max(passage.start, position), min(passage.end, len(text))
        if start >= end or passage.start < position:
            continue
        marks.append((start, end, passage))
        position = end
    pieces: list[tuple[str, Passage | None]] = []
    position = 0
    for start, end, passage in marks:
        pieces += [(text[position:start], None), (text[start:end], passage)]
        position = end
    pieces.append((text[position:], None))

    paragraphs: list[Markup] = [Markup("")]
    for piece, passage in pieces:
        for index, line in enumerate(piece.split("\n")):
            if index:
                paragraphs.append(Markup(""))
            if not line:
                continue
            if passage is None:
                paragraphs[-1] += line
            else:
                status = passage.status if passage.status in PASSAGE_STATUSES else "current"
                # A passage running over a paragraph break is marked in each paragraph;
                # only its first part carries the anchor and the number.
                anchor = Markup(' id="{}-{}"').format(side, passage.number) if index == 0 else ""
                number = Markup("<sup>{}</sup>").format(passage.number) if index == 0 else ""
                paragraphs[-1] += Markup(
                    '<mark class="ro-quote ro-{}"{} title="passage {}: {}">{}{}</mark>'
                ).format(status, anchor, passage.number, status, number, line)
    return Markup("").join(Markup("<p>{}</p>").format(p) for p in paragraphs if p)
