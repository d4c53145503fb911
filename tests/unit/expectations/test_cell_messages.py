"""Messages that point at the cell: the words and numbers people read, the cells a sum rule names, every
failing row up to the cap, numbers read once, the reader's warnings.

Frames here are hand-made records (the connector's columns, lineage, ``raw_cells`` and attrs) or the
generated October 2025 samples read by the real connectors, changed by hand; every expected message and
number is written out by hand.
"""

from __future__ import annotations

import datetime as dt
import glob

import numpy as np
import pandas as pd
import pytest

import connectors
from expectations import messages, validate_delivery
from expectations.checks import figures

TODAY = dt.date(2026, 1, 15)


# ------------------------------------------------------------------------------------- words and numbers
@pytest.mark.parametrize(("value", "decimals", "vi", "en"), [
    (18600.0, 1, "18.600,0", "18,600.0"),
    (13.8, 1, "13,8", "13.8"),
    (-13.8, 1, "-13,8", "-13.8"),
    (1234567.25, 2, "1.234.567,25", "1,234,567.25"),
    (190, 0, "190", "190"),
    (-0.04, 1, "0,0", "0.0"),
])
def test_numbers_are_written_the_vietnamese_way_and_the_english_way(value, decimals, vi, en):
    assert messages.numbers(value, decimals) == (vi, en)


def test_decimals_are_the_fewest_that_write_every_figure():
    assert messages.decimals_of([18613.8, 18600.0]) == 1
    assert messages.decimals_of([3765.6 * 1e6 / 1e6, 12.25]) == 2
    assert messages.decimals_of([190, 10.0, float("nan")]) == 0


def test_a_value_without_text_is_shown_without_reprs():
    assert messages.display(None) is None and messages.display(float("nan")) is None
    assert messages.display(5.0) == "5" and messages.display(18613.8) == "18613.8"
    assert messages.display(pd.Timestamp("2025-10-05 08:30")) == "05/10/2025 08:30"
    assert messages.display(pd.Timestamp("2025-10-05")) == "05/10/2025"
    assert messages.display({"a": 1}) is None


def test_a_cell_is_told_in_one_vietnamese_line_and_one_english_line():
    sample = {"source_file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row_number": 11,
              "column_name": "Lũy kế từ đầu năm", "letter": "G", "raw_text": "18.613,8",
              "expected": "the sum of its parts 18,600.0 (difference 13.8)",
              "expected_vi": "bằng tổng các dòng chi tiết 18.600,0 (chênh 13,8)"}
    assert messages.cell_lines(sample) == (
        "tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 11, cột G 'Lũy kế từ đầu năm': gặp '18.613,8', "
        "cần bằng tổng các dòng chi tiết 18.600,0 (chênh 13,8)",
        "file bao-cao.xlsx, sheet 'Thu NSNN', row 11, column 'Lũy kế từ đầu năm' (G): found '18.613,8', "
        "expected the sum of its parts 18,600.0 (difference 13.8)")
    empty = {**sample, "raw_text": "", "letter": None, "expected": "a value", "expected_vi": "có giá trị"}
    assert messages.cell_lines(empty) == (
        "tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 11, cột 'Lũy kế từ đầu năm': gặp ô trống, cần có giá trị",
        "file bao-cao.xlsx, sheet 'Thu NSNN', row 11, column 'Lũy kế từ đầu năm': found an empty cell, "
        "expected a value")


# ------------------------------------------------------------------------------------- hand-made records
def tax_records(ytd: dict[str, object], raw: dict[str, str], unit_factor=1e6) -> pd.DataFrame:
    """TỔNG, I and three items; `ytd` the Lũy kế in VND by member, `raw` its typed text by member."""
    members = [("TONG", None, 10), ("I", "TONG", 11), ("I.1", "I", 12), ("I.2", "I", 13), ("I.3", "I", 14)]
    rows = []
    for code, parent, line in members:
        rows.append({"stt": code.split(".")[-1] if code != "TONG" else None, "member_code": code, "level": 0,
                     "parent_code": parent, "label": code, "th_thang_vnd": 0.0, "luy_ke_vnd": ytd[code],
                     "cung_ky_vnd": np.nan, "source_file": "bao-cao.xlsx", "sheet": "Thu NSNN",
                     "row_number": line, "raw_cells": {"luy_ke_vnd": raw[code], "th_thang_vnd": "0"}})
    records = pd.DataFrame(rows)
    records.attrs.update(column_labels={"luy_ke_vnd": "Lũy kế từ đầu năm", "th_thang_vnd": "Thực hiện tháng",
                                        "stt": "STT"},
                         unit_factor=unit_factor, period="2025-10")
    return records


def validate_tax(records: pd.DataFrame):
    return validate_delivery(source_code="tax", unit_code="10549", period="2025-10", observations=_obs(records),
                             records=records, today=TODAY)


def _obs(records: pd.DataFrame) -> pd.DataFrame:
    rows = [{"indicator_code": "REV_YTD", "unit_code": "10549", "period": "2025-10", "member_code": r.member_code,
             "value": r.luy_ke_vnd, "numerator": np.nan, "denominator": np.nan, "text_value": None,
             "source_file": r.source_file, "sheet": r.sheet, "row_number": r.row_number,
             "column_name": "Lũy kế từ đầu năm", "raw_text": r.raw_cells["luy_ke_vnd"]}
            for r in records.itertuples()]
    return pd.DataFrame(rows)


def failure(report, rule_id):
    [found] = [f for f in report.to_dict()["failed"] if f["rule_id"] == rule_id]
    return found


M = 1e6
GOOD = {"TONG": 300.5 * M, "I": 300.5 * M, "I.1": 100.0 * M, "I.2": 150.5 * M, "I.3": 50.0 * M}
GOOD_RAW = {"TONG": "300,5", "I": "300,5", "I.1": "100", "I.2": "150,5", "I.3": "50"}


def test_the_edited_total_is_named_not_the_total_that_still_agrees():
    report = validate_tax(tax_records({**GOOD, "I": 313.8 * M}, {**GOOD_RAW, "I": "313,8"}))
    f = failure(report, "tax.parent_equals_children")
    assert f["unexpected_count"] == 1 and f["not_shown"] == 0
    [cell] = f["samples"]
    assert (cell["row_number"], cell["column"], cell["column_name"], cell["raw_text"]) == (
        11, "luy_ke_vnd", "Lũy kế từ đầu năm", "313,8")
    assert cell["message_vi"] == ("tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 11, cột 'Lũy kế từ đầu năm': "
                                  "gặp '313,8', cần bằng tổng các dòng chi tiết 300,5 (chênh 13,3)")
    assert cell["message_en"] == ("file bao-cao.xlsx, sheet 'Thu NSNN', row 11, column 'Lũy kế từ đầu năm': "
                                  "found '313,8', expected the sum of its parts 300.5 (difference 13.3)")


def test_an_edited_item_names_both_totals_with_the_items_sum_in_the_files_unit():
    # item 2 typed 160,5 instead of 150,5: the items add up to 310,5, both totals (300,5) are 10 short;
    # the sheet is in billion VND (tỷ đồng) this time, so the figures are shown in billions
    b = 1e9
    ytd = {code: value / M * b for code, value in GOOD.items()}
    report = validate_tax(tax_records({**ytd, "I.2": 160.5 * b}, {**GOOD_RAW, "I.2": "160,5"}, unit_factor=b))
    f = failure(report, "tax.parent_equals_children")
    assert [(s["row_number"], s["expected_vi"]) for s in f["samples"]] == [
        (10, "bằng tổng các dòng chi tiết 310,5 (chênh -10,0)"),
        (11, "bằng tổng các dòng chi tiết 310,5 (chênh -10,0)")]


def test_the_connectors_letters_and_headers_as_typed_are_used():
    records = tax_records({**GOOD, "I": 313.8 * M}, {**GOOD_RAW, "I": "313,8"})
    records.attrs["columns_used"] = [{"name": "luy_ke_vnd", "header": "Lũy kế\nđến hết tháng", "letter": "G"},
                                     {"name": "th_thang_vnd", "header": "TH tháng", "letter": "F"}]
    [cell] = failure(validate_tax(records), "tax.parent_equals_children")["samples"]
    assert (cell["column_name"], cell["letter"]) == ("Lũy kế\nđến hết tháng", "G")
    assert cell["message_en"].startswith("file bao-cao.xlsx, sheet 'Thu NSNN', row 11, column "
                                         "'Lũy kế\nđến hết tháng' (G): found '313,8'")


def test_a_rule_failing_on_60_rows_keeps_50_and_counts_10():
    # 60 criteria whose appraised score (12) is above the criterion's maximum (10)
    rows = [{"table": "tieu_chi", "stt": n, "ma_tram": "TYT1", "tieu_chi_so": str(n), "ket_luan": "Đạt",
             "diem_chuan": 10.0, "diem_tu_cham": 9.0, "diem_tham_dinh": 12.0, "source_file": "y-te.xlsx",
             "sheet": "Tiêu chí trạm y tế", "row_number": 7 + n,
             "raw_cells": {"diem_tham_dinh": "12", "diem_chuan": "10"}} for n in range(1, 61)]
    records = pd.DataFrame(rows)
    records.attrs["column_labels"] = {"diem_tham_dinh": "Điểm thẩm định"}
    report = validate_delivery(source_code="health", unit_code="10549", period="2025-10",
                               observations=pd.DataFrame(columns=["indicator_code"]), records=records, today=TODAY)
    f = failure(report, "health.score_within_maximum")
    assert f["unexpected_count"] == 60 and f["not_shown"] == 10
    assert [s["row_number"] for s in f["samples"]] == list(range(8, 58))
    assert f["samples"][0]["message_vi"] == ("tệp y-te.xlsx, trang 'Tiêu chí trạm y tế', dòng 8, cột "
                                             "'Điểm thẩm định': gặp '12', cần không vượt điểm chuẩn, 10")
    lines = messages.failure_lines(f)
    assert len(lines) == 1 + 50 + 1 and lines[-1] == ("… và 10 dòng khác", "… and 10 more rows")
    summary = report.summary()
    assert "\n" not in summary and "row 8, column 'Điểm thẩm định': found '12'" in summary
    assert "and 57 more" in summary  # three cells named on the one line, 47 listed + 10 not kept


# ----------------------------------------------------------------------------------------- numbers read once
def test_rules_take_the_connectors_numbers_and_never_parse_text():
    assert figures(pd.Series([1, "2", "3.765,6", None, 4.5, True], dtype=object)).tolist()[0] == 1.0
    got = figures(pd.Series([1, "2", "3.765,6", None, 4.5, True], dtype=object))
    assert np.isnan(got[1]) and np.isnan(got[2]) and np.isnan(got[3]) and got[4] == 4.5 and np.isnan(got[5])
    assert figures(pd.Series([1.5, np.nan])).tolist()[0] == 1.5


@pytest.fixture(scope="module")
def indicators(samples_dir):
    [path] = glob.glob(str(samples_dir / "inbox" / "10549" / "indicators" / "2025-10" / "*"))
    records = connectors.SOURCES["indicators"].read(path)
    return records, connectors.SOURCES["indicators"].to_observations(records, "10549", "2025-10")


def _with_parsed_months(records: pd.DataFrame) -> pd.DataFrame:
    """The indicators records as the connector hands them over: each month's parsed number beside its cell
    (`thang_<m>_number`; here the cells are numbers or text, and a text cell has no number)."""
    out = records.copy()
    out.attrs = dict(records.attrs)
    for m in range(1, 13):
        out[f"thang_{m}_number"] = [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else np.nan
                                    for v in records[f"thang_{m}"]]
    return out


def _set_month(records, code, month, cell, number, raw):
    idx = records.index[records["ma_chi_tieu"] == code][0]
    records[f"thang_{month}"] = records[f"thang_{month}"].astype(object)
    records.at[idx, f"thang_{month}"] = cell
    records.at[idx, f"thang_{month}_number"] = number
    records.at[idx, "raw_cells"] = {**records.at[idx, "raw_cells"], f"thang_{month}": raw}
    return int(records.at[idx, "row_number"])


def _validate_indicators(records, obs):
    return validate_delivery(source_code="indicators", unit_code="10549", period="2025-10", observations=obs,
                             records=records, today=TODAY)


def test_a_sector_typed_as_vietnamese_text_counts_as_the_connector_read_it(indicators):
    records, obs = indicators
    records = _with_parsed_months(records)
    sector = float(records.loc[records["ma_chi_tieu"] == "TGTSP_NLTS", "thang_10"].iloc[0])
    text = f"{sector:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")  # e.g. 3.765,6
    _set_month(records, "TGTSP_NLTS", 10, text, sector, text)
    report = _validate_indicators(records, obs)
    assert "indicators.parent_equals_children" not in [f.rule_id for f in report.failed], report.summary()


def test_a_total_off_from_its_sectors_names_the_month_cell_with_the_sum_and_the_gap(indicators):
    records, obs = indicators
    records = _with_parsed_months(records)
    by_code = records.set_index("ma_chi_tieu")
    parts = [float(by_code.loc[c, "thang_10"]) for c in ("TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV")]
    total = round(sum(parts), 1)
    row = _set_month(records, "TGTSP", 10, "x", total + 25.0, f"{total + 25.0}")
    f = failure(_validate_indicators(records, obs), "indicators.parent_equals_children")
    [cell] = f["samples"]
    assert (cell["row_number"], cell["column"], cell["column_name"]) == (row, "thang_10", "Thực hiện / Tháng 10")
    en_sum = f"{total:,.1f}"                                        # 12,345.6
    vi_sum = en_sum.replace(",", " ").replace(".", ",").replace(" ", ".")  # 12.345,6
    assert cell["expected_vi"] == f"bằng tổng các dòng chi tiết {vi_sum} (chênh 25,0)"
    assert cell["expected"] == f"the sum of its parts {en_sum} (difference 25.0)"


# ------------------------------------------------------------------------------------------ reader warnings
def test_the_readers_warnings_are_warning_findings_one_per_warning():
    records = tax_records(GOOD, GOOD_RAW)
    records.attrs["reader_warnings"] = [
        {"file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row": 7, "column": "Ghi chú 2", "letter": "L",
         "found": "Ghi chú 2", "expected": "a column of the form", "expected_vi": "một cột của biểu",
         "severity": "warning", "message_vi": "tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 7, cột L 'Ghi chú 2' "
                                              "không dùng",
         "message_en": "file bao-cao.xlsx, sheet 'Thu NSNN', row 7, column 'Ghi chú 2' (L) is not used"},
        {"file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row": 7, "column": "Dự kiến", "letter": "M",
         "found": "Dự kiến", "expected": "a column of the form", "severity": "warning"}]
    report = validate_tax(records)
    assert report.success  # warnings load and flag
    f = failure(report, "read.warnings")
    assert f["severity"] == "warning" and f["unexpected_count"] == 2
    assert [messages.cell_lines(s) for s in f["samples"]] == [
        ("tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 7, cột L 'Ghi chú 2' không dùng",
         "file bao-cao.xlsx, sheet 'Thu NSNN', row 7, column 'Ghi chú 2' (L) is not used"),
        ("tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 7, cột M 'Dự kiến': gặp 'Dự kiến', cần a column of the form",
         "file bao-cao.xlsx, sheet 'Thu NSNN', row 7, column 'Dự kiến' (M): found 'Dự kiến', "
         "expected a column of the form")]
