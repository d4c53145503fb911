"""Health, education and indicators workbooks on tiny hand-made sheets (expected values by hand)."""

from __future__ import annotations

import math
from datetime import date

import openpyxl
import pytest

from connectors.education import observations_from_education, read_education_workbook
from connectors.errors import BadInputError
from connectors.health import observations_from_health, read_health_workbook
from connectors.indicators import observations_from_indicators, read_indicators_workbook

from .workbooks import write_workbook


def top(period="2025-09"):
    return [["UBND PHƯỜNG CHU VĂN AN"], ["TRẠM Y TẾ"], [], ["TIÊU ĐỀ"],
            [f"Tháng {int(period[5:])} năm {period[:4]}"]]


TOP = top()
FOOT = [[], [None, "Chu Văn An, ngày 05 tháng 10 năm 2025"], ["Người lập biểu", None, "Thủ trưởng đơn vị"]]

CRIT_HEADER = ["STT", "Mã trạm", "Tên trạm", "Tiêu chí số", "Tên tiêu chí", "Điểm chuẩn", "Điểm tự chấm",
               "Điểm thẩm định", "Kết luận", "Số QĐ công nhận", "Ngày QĐ"]
CRIT_RULER = ["A", "B", "C", "1", "2", "3", "4", "5", "6", "7", "8"]


def _crit(station, n, conclusion="Đạt"):
    return [n, station, "Trạm", n, f"Tiêu chí {n}", 10, 9, 9, conclusion, "1/QĐ", date(2022, 11, 18)]


def _station(station, failing=()):
    """A station's ten criteria rows (the complete set of layouts/health.yaml), `failing` ones 'Chưa đạt'."""
    return [_crit(station, n, "Chưa đạt" if n in failing else "Đạt") for n in range(1, 11)]


def _mau_2a(plan=320, done=170):
    return TOP + [[None, None, None, "Đơn vị tính: Người"], ["TT", "Nội dung", "Kết quả", "Ghi chú"],
                  ["A", "B", "1", "2"],
                  ["1", "Số lượng sơ tuyển sức khoẻ theo kế hoạch", plan, None],  # "khoẻ": old accent placement
                  ["2", "Số lượng đã sơ tuyển", done, None],
                  ["3", "Số lượng đủ điều kiện khám tại tuyến huyện", 150, None],
                  ["4", "Tổng số đã loại ra", 20, None],
                  ["-", "Trong đó: Số lượng đề nghị miễn thực hiện NVQS", 7, None],
                  ["-", "Lý do khác", 13, None]] + FOOT


def test_health_station_meets_only_when_every_criterion_is_dat(tmp_path):
    rows = TOP + [CRIT_HEADER, CRIT_RULER] + _station("T1") + _station("T2", failing=(2,)) + FOOT
    path = write_workbook(tmp_path / "y-te.xlsx", {"Tiêu chí trạm y tế": rows, "Mẫu 2a": _mau_2a()})
    obs = observations_from_health(read_health_workbook(path), "31", "2025-09")
    stations = obs[obs["indicator_code"] == "HEALTH_STATION_STANDARD"].set_index("member_code")
    assert stations.loc["T1", ["numerator", "denominator"]].tolist() == [1.0, 1.0]
    assert stations.loc["T2", ["numerator", "denominator"]].tolist() == [0.0, 1.0]
    # header row 6, ruler 7, T1 on rows 8-17, T2 on rows 18-27: its criterion 2 on row 19
    assert stations.loc["T2", "row_number"] == 19 and stations.loc["T2", "raw_text"] == "Chưa đạt"
    nvqs = obs[obs["indicator_code"] == "NVQS_PRESCREEN"].iloc[0]
    assert (nvqs["numerator"], nvqs["denominator"], nvqs["member_code"]) == (170.0, 320.0, "")


def test_health_unknown_conclusion_is_rejected(tmp_path):
    rows = TOP + [CRIT_HEADER, CRIT_RULER] + [_crit("T1", 1, "Tốt")] + FOOT
    path = write_workbook(tmp_path / "y-te.xlsx", {"Tiêu chí trạm y tế": rows})
    with pytest.raises(BadInputError,
                       match=r"row 8, column 'Kết luận' \(I\): found 'Tốt', expected 'Đạt' or 'Chưa đạt'"):
        read_health_workbook(path)


def test_health_without_mau_2a_gives_station_figures_only(tmp_path):
    rows = TOP + [CRIT_HEADER, CRIT_RULER] + _station("T1") + FOOT
    path = write_workbook(tmp_path / "y-te.xlsx", {"Tiêu chí trạm y tế": rows})
    obs = observations_from_health(read_health_workbook(path), "10549", "2025-09")
    assert obs["indicator_code"].tolist() == ["HEALTH_STATION_STANDARD"]


SCHOOL_HEADER = ["STT", "Mã trường", "Tên trường", "Cấp học", "Loại hình", "Mức chuẩn quốc gia",
                 "Cấp độ kiểm định", "Số QĐ công nhận", "Ngày QĐ", "Cơ quan công nhận", "Ngày hết hạn", "Trạng thái"]


def _school(code, kind, level, decided, expiry=None):
    return [1, code, f"Trường {code}", "THCS", kind, level, 2, "1/QĐ", decided, "UBND", expiry, None]


def _schools(tmp_path, period="2025-09"):
    rows = top(period) + [SCHOOL_HEADER, ["A", "B", "C", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
                  _school("S1", "Công lập", "Mức độ 1", date(2022, 4, 12), date(2027, 4, 12)),
                  _school("S2", "Công lập", "Mức độ 2", date(2020, 10, 14), date(2025, 10, 14)),   # expires mid-Oct
                  _school("S3", "Công lập", "Mức độ 1", date(2020, 10, 31)),                       # +5 y = 31/10/2025
                  _school("S4", "Công lập", "Chưa đạt", None),
                  _school("S5", "Tư thục", "Mức độ 1", date(2022, 1, 1)),                          # out of scope
                  _school("S6", "Công lập", "Mức độ 1", date(2025, 11, 20), date(2030, 11, 20))]   # decided later
    rows += FOOT
    return write_workbook(tmp_path / "truong-hoc.xlsx", {"Danh sách trường": rows})


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2025-09", {"S1": 1, "S2": 1, "S3": 1, "S4": 0, "S6": 0}),
        ("2025-10", {"S1": 1, "S2": 0, "S3": 1, "S4": 0, "S6": 0}),   # S3 still valid on its last day
        ("2025-11", {"S1": 1, "S2": 0, "S3": 0, "S4": 0, "S6": 1}),
    ],
)
def test_school_standard_validity_at_period_end(tmp_path, period, expected):
    obs = observations_from_education(read_education_workbook(_schools(tmp_path, period)), "10549", period)
    assert dict(zip(obs["member_code"], obs["numerator"].astype(int), strict=True)) == expected
    assert set(obs["denominator"]) == {1.0}


def test_school_with_unknown_level_is_rejected(tmp_path):
    rows = TOP + [SCHOOL_HEADER, _school("S1", "Công lập", "Mức độ 3", date(2022, 1, 1))]
    path = write_workbook(tmp_path / "t.xlsx", {"Danh sách trường": rows})
    with pytest.raises(BadInputError, match="found 'Mức độ 3', expected 'Mức độ 1', 'Mức độ 2' or 'Chưa đạt'"):
        read_education_workbook(path)


MONTHS = [f"Tháng {m}" for m in range(1, 13)]


def _indicators(tmp_path, year=2025, filled=3):
    def months(values):
        return list(values[:filled]) + [None] * (12 - filled)
    head = [["UBND"], ["VP"], [], [f"BIỂU THEO DÕI CÁC CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM {year}"],
            [f"Tháng {filled} năm {year}"]]
    rows = head + [
        ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Năm trước", "Kế hoạch năm", "Thực hiện"] + [None] * 11
        + ["Ghi chú"],
        [None] * 6 + MONTHS + [None],
        ["A", "B", "C", "D"] + [str(i) for i in range(1, 16)],
        ["A", None, "KINH TẾ"],
        ["1", "TGTSP", "Tổng giá trị sản phẩm", "Triệu đồng", 100, 120] + months([10.5, 11.5, 12.5]),
        ["2", "TNBQ", "Thu nhập bình quân", "Triệu đồng/người/năm", 70, 80] + months([80, 80, 81.5]),
        ["3", "HO_NGHEO", "Tỷ lệ hộ nghèo", "%", 1, 0.9] + months([0.82, 0.82, "0,8"]),
        ["-", "HO_NGHEO_TS", "Số hộ nghèo", "Hộ", 150, None] + months([128, 128, 125]),
        ["-", "HO_NGHEO_MS", "Tổng số hộ", "Hộ", 15000, None] + months([15560, 15560, 15612]),
        ["4", "LUOT_KHACH", "Lượt khách", "Lượt", 1000, 1200] + months([6000, "-", 18500]),
        ["5", "ANTT", "An ninh", None, "Giữ vững", "Giữ vững"] + months(["Giữ vững", "Giữ vững", "Không giữ vững"])
        + ["Một vụ việc phức tạp"],
        # the other rows of a complete workbook (layouts/indicators.yaml), left without figures
        *[["-", code, code, unit] for code, unit in (
            ("TGTSP_NLTS", "Triệu đồng"), ("TGTSP_CNXD", "Triệu đồng"), ("TGTSP_TMDV", "Triệu đồng"),
            ("GDVH", "%"), ("GDVH_TS", "Hộ"), ("GDVH_MS", "Hộ"), ("TDP_VH", "%"), ("TDP_VH_TS", "Tổ"),
            ("TDP_VH_MS", "Tổ"), ("NUOC_SACH", "%"), ("NUOC_SACH_TS", "Người"), ("NUOC_SACH_MS", "Người"),
            ("CTR_SH", "%"), ("CTR_SH_TS", "Tấn"), ("CTR_SH_MS", "Tấn"))],
    ] + FOOT
    return write_workbook(tmp_path / "chi-tieu.xlsx", {"Chỉ tiêu": rows},
                          {"Chỉ tiêu": ["G6:R6"] + [f"{c}6:{c}7" for c in "ABCDEFS"]})


def test_indicators_take_the_month_column_only(tmp_path):
    records = read_indicators_workbook(_indicators(tmp_path))
    obs = observations_from_indicators(records, "10549", "2025-03").set_index("indicator_code")
    assert obs.loc["TGTSP", "value"] == 12_500_000.0
    assert obs.loc["TNBQ", "value"] == 81_500_000.0
    assert obs.loc["HO_NGHEO", ["value", "numerator", "denominator"]].tolist() == [0.8, 125.0, 15612.0]
    assert obs.loc["LUOT_KHACH", "value"] == 18500.0
    assert obs.loc["ANTT", ["value", "text_value"]].tolist() == [0.0, "Không giữ vững"]
    assert obs.loc["TGTSP", "column_name"] == "Thực hiện / Tháng 3"
    assert obs.loc["TGTSP", "raw_text"] == "12.5"
    assert math.isnan(obs.loc["TGTSP", "numerator"])
    february = read_indicators_workbook(_indicators(tmp_path, filled=2))
    feb = observations_from_indicators(february, "10549", "2025-02").set_index("indicator_code")
    assert "LUOT_KHACH" not in feb.index  # `-` in February: no figure, not 0
    assert feb.loc["HO_NGHEO", "denominator"] == 15560.0


def test_a_workbook_of_another_month_is_rejected(tmp_path):
    records = read_indicators_workbook(_indicators(tmp_path, filled=3))
    with pytest.raises(BadInputError, match="found 'Tháng 3 năm 2025', expected the report of 2025-04"):
        observations_from_indicators(records, "10549", "2025-04")


def test_a_month_left_empty_gives_no_figures(tmp_path):
    records = read_indicators_workbook(_indicators(tmp_path, filled=3))
    records.attrs["period"] = None  # a sheet without a period line
    assert len(observations_from_indicators(records, "10549", "2025-04")) == 0


def test_indicators_workbook_of_another_year_is_rejected(tmp_path):
    records = read_indicators_workbook(_indicators(tmp_path, year=2024))
    assert records.attrs["year"] == 2024
    records.attrs["period"] = None  # the title alone still gives the year away
    with pytest.raises(BadInputError, match="found 'the workbook of 2024', expected the workbook of 2025"):
        observations_from_indicators(records, "10549", "2025-03")


def test_indicators_text_in_a_number_row_is_rejected(tmp_path):
    # Numbers are read once, by the reader: a word in a figure's cell is refused there, at its cell (I10),
    # and so is an assessment outside its vocabulary (I16), both in one refusal.
    path = _indicators(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Chỉ tiêu"]["I10"] = "mười"
    book["Chỉ tiêu"]["I16"] = "Tốt"
    book.save(path)
    with pytest.raises(BadInputError) as info:
        read_indicators_workbook(path)
    assert [p.message_en().split(", ", 1)[1] for p in info.value.problems] == [
        "sheet 'Chỉ tiêu', row 10, column 'Thực hiện / Tháng 3' (I): found 'mười', expected a number",
        "sheet 'Chỉ tiêu', row 16, column 'Thực hiện / Tháng 3' (I): found 'Tốt', "
        "expected 'Giữ vững' or 'Không giữ vững'"]
