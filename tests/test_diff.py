"""Word diffs show what a reader would call an edit."""

from __future__ import annotations

from analysis.diff import DELETE, EQUAL, INSERT, paragraph_word_diff, word_diff


def test_a_no_break_space_for_a_space_is_no_edit():
    before = "Readout of President\xa0Biden’s Call with President\xa0Putin"
    after = "Readout of President Biden’s Call with President Vladimir Putin"
    ops = word_diff(before, after)
    assert [op for op, _ in ops].count(DELETE) == 0
    assert [text for op, text in ops if op == INSERT] == ["Vladimir "]
    assert "".join(text for op, text in ops if op != INSERT) == before.replace("\xa0", " ")


def test_a_line_break_still_counts_between_paragraphs():
    ops, _ = paragraph_word_diff("One paragraph. Two", "One paragraph.\nTwo")
    assert (EQUAL, "One paragraph.") in ops and any(op != EQUAL for op, _ in ops)
