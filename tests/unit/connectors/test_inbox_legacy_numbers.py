"""Inbox path checks, legacy font conversion (examples from source-formats.md §1) and number conventions."""

from __future__ import annotations

import pytest

from connectors import legacy, vn
from connectors.errors import BadInputError
from connectors.inbox import check_delivery_path, discover_deliveries


def test_a_plain_delivery_path_is_accepted(tmp_path):
    file = tmp_path / "10549" / "tax" / "2025-08" / "bao-cao-thu-nsnn-2025-08.xlsx"
    file.parent.mkdir(parents=True)
    file.write_bytes(b"x")
    assert check_delivery_path(tmp_path, "10549/tax/2025-08/bao-cao-thu-nsnn-2025-08.xlsx") == (
        "10549", "tax", "2025-08", file)
    assert check_delivery_path(tmp_path, file)[3] == file  # absolute inside the inbox is fine


@pytest.mark.parametrize(("path", "found"), [
    ("10549/tax/../2025-08/x.xlsx", "found 'the name '..''"),
    ("10549/tax/2025-08/..x.xlsx", "found ''..' in the name'"),
    ("/etc/passwd", "found 'an absolute path outside the inbox'"),
    ("10549/tax/2025-08/a\x00b.xlsx", "found 'a NUL character in the path'"),
    ("10549/tax/2025-08/a\x1bb.xlsx", "found 'a control character in the name'"),
    ("10549/tax/2025-08/a|b.xlsx", "found 'the character '|' in the name'"),
    ("10549\\tax\\2025-08\\x.xlsx", "found 'the character '\\' in the path'"),
    ("10549/tax/2025-08/x.xlsx ", "found 'a name starting or ending with a space or a dot'"),
    ("10549/tax/x.xlsx", "found '3 levels below the inbox'"),
    ("10549/thue/2025-08/x.xlsx", "found 'the source folder 'thue''"),
    ("10549/tax/2025-13/x.xlsx", "found 'the month folder '2025-13''"),
    ("CVA/tax/2025-08/x.xlsx", "found 'the unit folder 'CVA''"),
])
def test_odd_paths_are_refused_with_a_clear_error(tmp_path, path, found):
    with pytest.raises(BadInputError) as info:
        check_delivery_path(tmp_path, path)
    assert found in str(info.value) and str(info.value).startswith("inbox file ")
    assert "\x00" not in str(info.value) and "\x1b" not in str(info.value)


def test_discover_lists_deliveries_and_skips_hidden_and_processed(tmp_path):
    for rel in ["10549/tax/2025-08/a.xlsx", "10549/health/2025-07/y.xlsx", "10549/tax/2025-08/.~lock.a.xlsx#",
                "processed/10549/tax/2025-07/old.xlsx", "10549/tax/quarantine/b.xlsx"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    found = [(u, s, p, f.name) for u, s, p, f in discover_deliveries(tmp_path)]
    assert found == [("10549", "health", "2025-07", "y.xlsx"), ("10549", "tax", "2025-08", "a.xlsx")]
    (tmp_path / "10549" / "tax" / "stray.xlsx").write_bytes(b"x")
    with pytest.raises(BadInputError, match="3 levels below the inbox"):
        discover_deliveries(tmp_path)


def test_find_delivery_file_refuses_an_odd_name(tmp_path):
    from flows.tasks import Rejection, find_delivery_file

    folder = tmp_path / "10549" / "tax" / "2025-08"
    folder.mkdir(parents=True)
    (folder / "bao cao?.xlsx").write_bytes(b"x")
    result = find_delivery_file.fn(tmp_path, "10549", "tax", "2025-08")
    assert isinstance(result, Rejection) and result.is_bad_input
    assert "found 'the character '?' in the name'" in result.message


@pytest.mark.parametrize(("raw", "encoding", "text"), [
    ("NguyÔn", "tcvn3", "Nguyễn"),                           # source-formats.md §1
    ("¦íc tÝnh", "tcvn3", "Ước tính"),                        # source-formats.md §1
    ("§¬n vÞ tÝnh: TriÖu ®ång", "tcvn3", "Đơn vị tính: Triệu đồng"),
    ("Ñôn vò tính: Trieäu ñoàng", "vni", "Đơn vị tính: Triệu đồng"),
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("Ngöôøi laäp bieåu", "vni", "Người lập biểu"),
])
def test_legacy_fonts_convert_by_hand_examples(raw, encoding, text):
    assert legacy.to_unicode(raw, encoding) == text
    assert legacy.detect_encoding([raw, "Lòy kÕ tõ ®Çu n¨m" if encoding == "tcvn3" else "Luõy keá töø ñaàu naêm"])[0] \
        == encoding


def test_unicode_text_is_never_taken_for_a_legacy_font():
    assert legacy.detect_encoding(["Tổng thu NSNN", "hoà bình", "café"])[0] == "unicode"
    assert legacy.detect_encoding(["STT", "Total"])[0] == "unicode"


@pytest.mark.parametrize(("text", "vi", "en"), [
    ("1.250", 1250.0, 1.25), ("1,250", 1.25, 1250.0), ("1.234,5", 1234.5, 1234.5), ("1,234.5", 1234.5, 1234.5),
    ("0.250", 0.25, 0.25), ("15,4%", 15.4, 15.4), ("(1.234)", -1234.0, -1.234), ("1.234.567", 1234567.0, 1234567.0),
])
def test_number_conventions(text, vi, en):
    assert vn.parse_number(text, "vi") == pytest.approx(vi)
    assert vn.parse_number(text, "en") == pytest.approx(en)


@pytest.mark.parametrize("text", ["1.250", "1,250", "(2.500)"])
def test_ambiguous_number_without_convention_is_flagged(text):
    with pytest.raises(vn.AmbiguousNumberError):
        vn.parse_number(text, None)


@pytest.mark.parametrize("text", ["1.23.4", "12.34,5.6", "1,2.345"])
def test_badly_grouped_numbers_are_refused(text):
    with pytest.raises(ValueError):
        vn.parse_number(text)


@pytest.mark.parametrize(("line", "unit"), [
    ("(Đơn vị tính: Triệu đồng)", "Triệu đồng"), ("Đơn vị: triệu đồng", "triệu đồng"),
    ("Đơn vị: UBND phường Chu Văn An", None), ("ĐVT: Tr.đồng", "Tr.đồng"),
])
def test_unit_line_spellings(line, unit):
    assert vn.parse_unit_line(line) == unit
