"""How a figure's cell is named on the report's "Nguồn số liệu" sheet and on a target page (issue 18): `ô G14`
with the header when the column's letter is known, the row and header otherwise (figures loaded before
the warehouse stored letters), the column alone for a count over many dossiers."""

from __future__ import annotations

import math

import pytest

from reports.target_page import _cell_text
from reports.vn import cell_text


@pytest.mark.parametrize(("row", "header", "letter", "expected"), [
    (14, "Lũy kế", "G", "ô G14 (cột “Lũy kế”)"),
    (14.0, "Thực hiện / Tháng 10", "AB", "ô AB14 (cột “Thực hiện / Tháng 10”)"),
    (14, None, "G", "ô G14"),
    (14, "Lũy kế", None, "dòng 14, cột “Lũy kế”"),        # loaded before migration 0007
    (14, "Lũy kế", math.nan, "dòng 14, cột “Lũy kế”"),    # NULL read through pandas
    (None, "KenhThucHien", "G", "cột G “KenhThucHien”"),  # a count over a CSV export's dossiers
    (math.nan, "KenhThucHien", None, "cột “KenhThucHien”"),  # ... over an API page's
    (None, None, None, ""),
])
def test_report_names_the_cell(row, header, letter, expected):
    assert cell_text(row, header, letter) == expected


def test_report_without_a_letter_reads_as_before():
    assert cell_text(14, "Lũy kế") == "dòng 14, cột “Lũy kế”"


@pytest.mark.parametrize(("fig", "expected"), [
    ({"row_number": 27, "column_name": "Thực hiện / Tháng 10", "column_letter": "P"},
     "ô P27 (cột ‘Thực hiện / Tháng 10’)"),
    ({"row_number": 27, "column_name": "Thực hiện / Tháng 10", "column_letter": None},
     "dòng 27, cột ‘Thực hiện / Tháng 10’"),
    ({"row_number": None, "column_name": "KenhThucHien", "column_letter": "G"}, "cột G ‘KenhThucHien’"),
    ({"row_number": None, "column_name": None, "column_letter": None}, "—"),
])
def test_target_page_names_the_cell(fig, expected):
    assert _cell_text(fig) == expected
