"""Tax report: STT outline -> member codes, money to VND, observations (hand-computed)."""

from __future__ import annotations

import pytest

from connectors.errors import BadInputError
from connectors.observations import OBSERVATION_COLUMNS
from connectors.tax import observations_from_tax, read_tax_workbook

from .workbooks import tax_rows, write_workbook

DATA = [
    [None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, 300, 330, 30.5, 250.5, 220, None, None, None],
    ["I", "Thu nội địa", None, 300, 330, 30.5, 250.5, 220, None, None, None],
    ["1", "Thuế thu nhập cá nhân", "1000", 200, 220, 20.5, 200.5, 180, None, None, None],
    ["1.1", "Trong đó: từ tiền lương", None, None, None, 10, 100, 90, None, None, None],
    ["2", "Thu từ quỹ đất công ích", None, "-", 110, "-", 50, 40, None, None, None],
    ["3", "Thu khác", "4900", 100, None, 10, 0, 0, None, None, None],
    ["II", "Thu bổ sung từ ngân sách cấp trên", None, 500, 500, 40, 400, 380, None, None, None],
]


@pytest.fixture()
def workbook(tmp_path):
    rows, merges = tax_rows(DATA)
    return write_workbook(tmp_path / "bao-cao-thu-nsnn-2025-12.xlsx", {"Thu NSNN": rows}, {"Thu NSNN": merges})


def test_member_codes_follow_the_stt_path(workbook):
    records = read_tax_workbook(workbook)
    assert records["member_code"].tolist() == ["TONG", "I", "I.1", "I.1.1", "I.2", "I.3", "II"]
    assert records["level"].tolist() == [0, 1, 2, 3, 2, 2, 1]
    assert records["parent_code"].tolist() == [None, "TONG", "I", "I.1", "I", "I", None]


def test_money_in_vnd_blank_and_dash_missing(workbook):
    records = read_tax_workbook(workbook).set_index("member_code")
    assert records.loc["TONG", "luy_ke_vnd"] == 250_500_000.0
    assert records.loc["I.1", "th_thang_vnd"] == 20_500_000.0
    assert records.loc["I.2", "du_toan_phap_lenh_vnd"] != records.loc["I.2", "du_toan_phap_lenh_vnd"]  # NaN
    assert records.loc["I.3", "luy_ke_vnd"] == 0.0  # a real zero stays zero


def test_observations(workbook):
    obs = observations_from_tax(read_tax_workbook(workbook), "10549", "2025-12")
    assert list(obs.columns) == OBSERVATION_COLUMNS
    key = obs.set_index(["indicator_code", "member_code"])
    assert key.loc[("REV_YTD", "TONG"), "value"] == 250_500_000.0
    assert key.loc[("REV_PRIOR_YTD", "II"), "value"] == 380_000_000.0
    assert key.loc[("REV_ESTIMATE_COUNCIL", "I.2"), "value"] == 110_000_000.0
    assert ("REV_ESTIMATE_STATE", "I.2") not in key.index   # `-`: absent, not 0
    assert ("REV_MONTH", "I.2") not in key.index
    assert ("REV_ESTIMATE_COUNCIL", "I.3") not in key.index  # blank: absent
    assert key.loc[("REV_YTD", "I.3"), "value"] == 0.0
    row = key.loc[("REV_YTD", "I.1")]
    assert (row["column_name"], row["raw_text"], row["row_number"], row["sheet"]) == (
        "Lũy kế từ đầu năm", "200.5", 12, "Thu NSNN")
    assert set(obs["unit_code"]) == {"10549"} and set(obs["period"]) == {"2025-12"}
    # 7 rows x 5 figures, minus blanks: I.1.1 has 2 blank estimates, I.2 two dashes, I.3 a blank estimate
    assert len(obs) == 7 * 5 - 2 - 2 - 1


def test_unmarked_row_that_is_not_the_total_is_rejected(tmp_path):
    rows, merges = tax_rows([DATA[0], DATA[1], [None, "Một dòng lạ", None, 1, 1, 1, 1, 1]])
    path = write_workbook(tmp_path / "t.xlsx", {"Thu NSNN": rows}, {"Thu NSNN": merges})
    with pytest.raises(BadInputError, match=r"row 12, column 'STT' \(A\): found an empty cell"):
        read_tax_workbook(path)


def test_a_report_without_total_row_is_rejected(tmp_path):
    rows, merges = tax_rows(DATA[1:])
    path = write_workbook(tmp_path / "t.xlsx", {"Thu NSNN": rows}, {"Thu NSNN": merges})
    with pytest.raises(BadInputError, match="expected a total row"):
        read_tax_workbook(path)


def test_text_in_a_money_cell_names_the_cell(tmp_path):
    bad = list(DATA[2])
    bad[6] = "abc"
    rows, merges = tax_rows([DATA[0], DATA[1], bad])
    path = write_workbook(tmp_path / "bao-cao.xlsx", {"Thu NSNN": rows}, {"Thu NSNN": merges})
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(path)
    assert str(info.value) == ("tax file bao-cao.xlsx, sheet 'Thu NSNN', row 12, column 'Lũy kế từ đầu năm' (G): "
                               "found 'abc', expected a number")
