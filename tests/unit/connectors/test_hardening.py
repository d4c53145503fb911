"""The connectors' defences against hostile or broken files: size before parsing, zip bombs, XML entity
bombs (defusedxml), password-protected workbooks, damaged zips, duplicated and unknown columns."""

from __future__ import annotations

import openpyxl
import pytest

from connectors.errors import BadInputError
from connectors.excel import MAX_INFLATE_RATIO, Workbook, check_zip_container, column_letter
from connectors.inbox import check_file_size
from tests.integration.reliability import badfiles as bf


@pytest.fixture()
def tiny(tmp_path):
    """A one-sheet workbook with a header and two rows (what openpyxl writes: inline strings)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Thu NSNN"
    for row in (["STT", "Nội dung thu", "Thực hiện tháng"], ["1", "Thuế", 1.5], ["2", "Phí", 2.0]):
        ws.append(row)
    path = tmp_path / "in" / "tiny.xlsx"
    path.parent.mkdir()
    wb.save(path)
    return path


def refused(path) -> BadInputError:
    with pytest.raises(BadInputError) as info:
        Workbook(path)
    return info.value


def test_openpyxl_parses_through_defusedxml_and_refuses_the_entity_bomb(tiny, tmp_path):
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    bomb = bf.entity_bomb(tiny, tmp_path)
    with pytest.raises(Exception) as info:  # noqa: PT011 (defusedxml's own exception classes)
        openpyxl.load_workbook(bomb)
    chain, exc = [], info.value  # openpyxl wraps the parser's error in a ValueError
    while exc is not None:
        chain.append(type(exc).__module__.split(".")[0] + "." + type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    assert any(name in chain for name in ("defusedxml.EntitiesForbidden", "defusedxml.DTDForbidden")), chain


def test_the_entity_bomb_is_refused_before_calamine_parses(tiny, tmp_path):
    err = refused(bf.entity_bomb(tiny, tmp_path))
    assert "DTD or entity declarations in part xl/worksheets/sheet1.xml" in str(err)
    assert err.detail == "DTDForbidden"


def test_a_zip_bomb_is_refused_from_the_zip_directory(tiny, tmp_path):
    err = refused(bf.zip_bomb(tiny, tmp_path))
    assert "part xl/media/padding.xml inflating" in str(err)
    assert f"at most {MAX_INFLATE_RATIO} times" in err.expected


def test_truncated_and_corrupted_zips_are_named_as_such(tiny, tmp_path):
    assert refused(bf.truncated(tiny, tmp_path)).found == "a damaged or truncated zip container"
    (tmp_path / "c").mkdir()
    assert "a damaged part xl/worksheets/sheet1.xml" in refused(bf.corrupted(tiny, tmp_path / "c")).found


def test_a_password_protected_workbook_is_called_so(tiny, tmp_path):
    path = bf.password_protected(tiny, tmp_path)
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    err = refused(path)
    assert err.found == "a password-protected (encrypted) workbook"


def test_a_good_workbook_passes_the_container_checks(tiny):
    check_zip_container(tiny.read_bytes(), file=tiny.name)
    with Workbook(tiny) as book:
        assert book.sheet_names == ["Thu NSNN"]


def test_file_size_is_checked_without_opening_the_file(tmp_path):
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as fh:
        fh.truncate(60 * 2**20)  # sparse: no disk used
    with pytest.raises(BadInputError) as info:
        check_file_size(big, 50 * 2**20)
    assert info.value.found == "a file of 60.0 MB" and "at most 50 MB" in info.value.expected
    assert check_file_size(big, None) == 60 * 2**20


def test_column_letters():
    assert [column_letter(i) for i in (0, 5, 25, 26, 27, 701, 702)] == ["A", "F", "Z", "AA", "AB", "ZZ", "AAA"]
