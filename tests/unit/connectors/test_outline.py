"""STT outline: letters › Roman › numbers › dotted › a, b › dashes; totals; letter/Roman resolved by neighbours."""

from __future__ import annotations

from connectors.outline import classify, outline_rows


def codes(markers, labels=None):
    rows = outline_rows(markers, labels or ["x"] * len(markers))
    return [(r.code, r.level, r.parent) for r in rows]


def test_budget_form_total_first_then_roman_numbers_letters_dashes():
    got = codes([None, "I", "1", "1.1", "a", "-", "b", "2", "II"],
                ["TỔNG THU NSNN TRÊN ĐỊA BÀN", *["x"] * 8])
    assert got == [("TONG", 0, None), ("I", 1, None), ("I.1", 2, "I"), ("I.1.1", 3, "I.1"),
                   ("I.1.1.a", 4, "I.1.1"), ("I.1.1.a.-1", 5, "I.1.1.a"), ("I.1.1.b", 4, "I.1.1"),
                   ("I.2", 2, "I"), ("II", 1, None)]


def test_section_letters_over_roman_and_the_letter_i_after_h():
    kinds = classify(["A", "I", "II", "B", "H", "I", "K"])
    assert kinds == ["letter", "roman", "roman", "letter", "letter", "letter", "letter"]
    assert classify(["H", "I", "II"]) == ["letter", "roman", "roman"]      # look-ahead: II follows
    assert classify(["IV", "V", "B", "C"]) == ["roman", "roman", "letter", "letter"]
    got = codes(["A", "I", "1", "II", "B", "1"])
    assert got == [("A", 1, None), ("A.I", 2, "A"), ("A.I.1", 3, "A.I"), ("A.II", 2, "A"), ("B", 1, None),
                   ("B.1", 2, "B")]


def test_statistics_table_total_last_and_dashes_numbered_per_parent():
    got = codes(["1", "-", "-", "2", "-", None], ["a", "b", "c", "d", "e", "Tổng cộng"])
    assert got == [("1", 1, None), ("1.-1", 2, "1"), ("1.-2", 2, "1"), ("2", 1, None), ("2.-1", 2, "2"),
                   ("TONG", 0, None)]


def test_unmarked_and_odd_markers_are_left_to_the_caller():
    rows = outline_rows([None, "?", "1."], ["Một dòng lạ", "x", "y"])
    assert [(r.kind, r.code) for r in rows] == [("unmarked", None), ("other", None), ("number", "1")]
