"""Base deliveries of the five sources, built from the parameters below, and the observations they must give.

Nothing here reads `samples/` or calls a connector: the figures are written in this file, the workbooks are
laid out the way docs/contracts.md ("Common sheet layout") and ../shared/reference/source-formats.md
describe them, and the expected observations are computed from the same parameters with plain Python
(docs/contracts.md, "Observations").

Every source's delivery is for PERIOD (November 2025) of phường Chu Văn An (UNIT).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import ROUND_HALF_UP, Decimal

from tests.metamorphic.model import SYNC_FIELDS, Book, Col, Export, ExportCol, Line, Sheet

PERIOD = "2025-11"
YEAR, MONTH = 2025, 11
UNIT = "10549"
PERIOD_END = dt.date(2025, 11, 30)

#: expected observations: (indicator, member) -> (value, numerator, denominator, text_value)
Expected = dict[tuple[str, str], tuple[float, float, float, str | None]]
NAN = math.nan


def _tenths(x: float | None) -> int | None:
    return None if x is None else int(round(x * 10))


def _round2(x: Decimal) -> float:
    return float(x.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _round1(x: Decimal) -> float:
    return float(x.quantize(Decimal("0.1"), ROUND_HALF_UP))


# ------------------------------------------------------------------------------------------ common lines
def common_above(issuer: str, title: str, period_line: str | None, unit_line: str | None = None,
                 right_top: str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 right_second: str = "Độc lập - Tự do - Hạnh phúc") -> list[Line]:
    """Rows 1–2 header block, row 3 empty, title, period line, unit line (docs/contracts.md)."""
    lines = [Line("block", [("left", "UBND PHƯỜNG CHU VĂN AN"), ("right", right_top)]),
             Line("block2", [("left", issuer), ("right", right_second)]),
             Line("blank"),
             Line("title", [("center", title)])]
    if period_line is not None:
        lines.append(Line("period", [("center", period_line)]))
    if unit_line is not None:
        lines.append(Line("unit", [("last", unit_line)]))
    return lines


FOOTER_DATE = "Chu Văn An, ngày 05 tháng 12 năm 2025"


def common_below() -> list[Line]:
    return [Line("date", [("right", FOOTER_DATE)]),
            Line("sign", [("left", "Người lập biểu"), ("right", "Thủ trưởng đơn vị")]),
            Line("sign2", [("left", "(Ký, ghi rõ họ tên)"), ("right", "(Ký tên, đóng dấu)")]),
            Line("blank"), Line("blank"), Line("blank"),
            Line("names", [("left", "Nguyễn Thị Hoa"), ("right", "Trần Văn Minh")])]


# ---------------------------------------------------------------------------------------------------- tax
# STT, Nội dung thu, Mã mục, Pháp lệnh, HĐND giao, Thực hiện tháng, Lũy kế, Cùng kỳ (million VND; None = "-")
TAX_ITEMS = [
    ("1", "Thu từ khu vực kinh tế ngoài quốc doanh", "1700", 3200.0, 3500.0, 310.4, 3065.2, 2890.7),
    ("2", "Thuế thu nhập cá nhân", "1000", 1500.0, 1650.0, 145.3, 1460.8, 1320.5),
    ("3", "Lệ phí trước bạ", "2800", 2100.0, 2300.0, 188.6, 2010.4, 1900.2),
    ("4", "Thuế sử dụng đất phi nông nghiệp", "1600", 450.0, 480.0, 12.5, 431.0, 410.3),
    ("5", "Thu tiền sử dụng đất", "1400", 12000.0, 15000.0, 1250.0, 13765.6, 11000.4),
    ("6", "Tiền cho thuê đất, thuê mặt nước", "3600", 800.0, 850.0, 60.2, 742.9, 700.1),
    ("7", "Phí, lệ phí", "2000", 350.0, 380.0, 31.7, 338.4, 320.0),
    ("8", "Thu từ quỹ đất công ích, hoa lợi công sản", None, None, 120.0, None, 95.5, 88.0),
    ("9", "Thu khác ngân sách", "4900", 300.0, 320.0, 27.9, 290.3, 275.6),
]
TAX_SECTION_II = ("II", "Thu bổ sung từ ngân sách cấp trên", None, 9000.0, 9000.0, 750.0, 8250.0, 7900.0)
TAX_TOTAL_LABEL = "TỔNG THU NSNN TRÊN ĐỊA BÀN"
TAX_MONEY = ["phap_lenh", "hdnd", "th_thang", "luy_ke", "cung_ky"]
TAX_INDICATOR = {"th_thang": "REV_MONTH", "luy_ke": "REV_YTD", "cung_ky": "REV_PRIOR_YTD",
                 "phap_lenh": "REV_ESTIMATE_STATE", "hdnd": "REV_ESTIMATE_COUNCIL"}


def tax_rows() -> list[dict]:
    """The report's rows, total first: member, stt, label, ma_muc, money in tenths of a million (None = no figure)."""
    items = []
    for stt, label, ma, *money in TAX_ITEMS:
        items.append({"member": f"I.{stt}", "stt": stt, "label": label, "ma_muc": ma,
                      **{k: _tenths(v) for k, v in zip(TAX_MONEY, money, strict=True)}})
    sums = {k: sum(r[k] for r in items if r[k] is not None) for k in TAX_MONEY}
    total = {"member": "TONG", "stt": None, "label": TAX_TOTAL_LABEL, "ma_muc": None, **sums}
    section = {"member": "I", "stt": "I", "label": "Thu nội địa", "ma_muc": None, **sums}
    stt, label, ma, *money = TAX_SECTION_II
    second = {"member": "II", "stt": stt, "label": label, "ma_muc": ma,
              **{k: _tenths(v) for k, v in zip(TAX_MONEY, money, strict=True)},
              "ghi_chu": "Không tính vào thu trên địa bàn"}
    return [total, section, *items, second]


def tax_book() -> Book:
    rows = tax_rows()

    def money(key):
        return [("-" if r[key] is None else r[key] / 10) for r in rows]

    def pct(num, den):
        out = []
        for r in rows:
            den_value = r[den] if r[den] is not None else r["phap_lenh"]
            out.append(_round1(Decimal(r[num]) * 100 / Decimal(den_value)) if den_value else None)
        return out

    cols = [
        Col("stt", ["STT"], [r["stt"] for r in rows], "required", ruler="A"),
        Col("label", ["Nội dung thu"], [r["label"] for r in rows], "required", ruler="B"),
        Col("ma_muc", ["Mã mục"], [r["ma_muc"] for r in rows], "optional", ruler="C"),
        Col("phap_lenh", ["Dự toán năm 2025", "Pháp lệnh"], money("phap_lenh"), "required", "number", 1, "1"),
        Col("hdnd", ["Dự toán năm 2025", "HĐND giao"], money("hdnd"), "required", "number", 1, "2"),
        Col("th_thang", ["Thực hiện tháng"], money("th_thang"), "required", "number", 1, "3"),
        Col("luy_ke", ["Lũy kế từ đầu năm"], money("luy_ke"), "required", "number", 1, "4"),
        Col("cung_ky", ["Cùng kỳ năm trước"], money("cung_ky"), "required", "number", 1, "5"),
        Col("tl_du_toan", ["So sánh (%)", "Lũy kế so dự toán"], pct("luy_ke", "hdnd"), "optional", "number", 1,
            "6=4/2"),
        Col("tl_cung_ky", ["So sánh (%)", "Lũy kế so cùng kỳ"], pct("luy_ke", "cung_ky"), "optional", "number", 1,
            "7=4/5"),
        Col("ghi_chu", ["Ghi chú"], [r.get("ghi_chu") for r in rows], "optional", ruler="8"),
    ]
    sheet = Sheet("thu_nsnn", "Thu NSNN",
                  common_above("THUẾ CƠ SỞ 10 THÀNH PHỐ HẢI PHÒNG",
                               "BÁO CÁO TÌNH HÌNH THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN PHƯỜNG CHU VĂN AN",
                               "Tháng 11 năm 2025", "Đơn vị tính: Triệu đồng"),
                  cols, common_below())
    return Book("tax", [sheet])


def tax_expected() -> Expected:
    out: Expected = {}
    for r in tax_rows():
        for key, indicator in TAX_INDICATOR.items():
            if r[key] is not None:
                out[(indicator, r["member"])] = (r[key] * 100_000.0, NAN, NAN, None)
    return out


# ------------------------------------------------------------------------------------------------- health
CRITERIA = [
    (1, "Chỉ đạo, điều hành công tác chăm sóc sức khỏe nhân dân"),
    (2, "Nhân lực y tế"),
    (3, "Cơ sở hạ tầng trạm y tế"),
    (4, "Trang thiết bị, thuốc và phương tiện khác"),
    (5, "Kế hoạch - Tài chính"),
    (6, "Y tế dự phòng, vệ sinh môi trường, phòng chống bệnh truyền nhiễm"),
    (7, "Khám bệnh, chữa bệnh, phục hồi chức năng và y dược cổ truyền"),
    (8, "Chăm sóc sức khỏe bà mẹ - trẻ em"),
    (9, "Dân số - Kế hoạch hóa gia đình"),
    (10, "Truyền thông - Giáo dục sức khỏe"),
]
# code, name, decision number, decision date, {criterion: conclusion other than Đạt}
STATIONS = [
    ("TYT10549", "Trạm Y tế phường Chu Văn An", "1123/QĐ-UBND", dt.date(2024, 12, 20), {}),
    ("TYT10552", "Trạm Y tế phường Nguyễn Trãi", "1124/QĐ-UBND", dt.date(2024, 12, 20), {4: "Chưa đạt"}),
]
# Mẫu 2a: TT, Nội dung, Kết quả
MAU_2A = [
    ("1", "Số lượng sơ tuyển sức khỏe theo kế hoạch", 180),
    ("2", "Số lượng đã sơ tuyển", 126),
    ("3", "Số lượng đủ điều kiện khám tại tuyến huyện", 98),
    ("4", "Tổng số đã loại ra", 28),
    ("-", "Trong đó: Số lượng đề nghị miễn thực hiện NVQS", 9),
    ("-", "Lý do khác", 19),
]
MAU_2A_TITLE = "BÁO CÁO KẾT QUẢ SƠ TUYỂN SỨC KHỎE NGHĨA VỤ QUÂN SỰ NĂM 2026"


def health_rows() -> list[dict]:
    rows = []
    for code, name, qd, qd_date, failing in STATIONS:
        for number, label in CRITERIA:
            conclusion = failing.get(number, "Đạt")
            self_score = 10 - (number % 3) * 0.5
            appraised = 4.0 if conclusion != "Đạt" else self_score - (0.5 if number % 4 == 0 else 0.0)
            rows.append({"ma_tram": code, "ten_tram": name, "tieu_chi_so": number, "ten_tieu_chi": label,
                         "diem_chuan": 10, "diem_tu_cham": self_score, "diem_tham_dinh": appraised,
                         "ket_luan": conclusion, "so_qd": qd, "ngay_qd": qd_date})
    return rows


def health_book() -> Book:
    rows = health_rows()
    criteria = Sheet(
        "tieu_chi", "Tiêu chí trạm y tế",
        common_above("TRẠM Y TẾ PHƯỜNG CHU VĂN AN",
                     "KẾT QUẢ ĐÁNH GIÁ BỘ TIÊU CHÍ QUỐC GIA VỀ Y TẾ XÃ", "Tháng 11 năm 2025"),
        [Col("stt", ["STT"], list(range(1, len(rows) + 1)), "optional", "int", ruler="A"),
         Col("ma_tram", ["Mã trạm"], [r["ma_tram"] for r in rows], "required", ruler="B"),
         Col("ten_tram", ["Tên trạm"], [r["ten_tram"] for r in rows], "optional", ruler="C"),
         Col("tieu_chi_so", ["Tiêu chí số"], [r["tieu_chi_so"] for r in rows], "required", "int", ruler="1"),
         Col("ten_tieu_chi", ["Tên tiêu chí"], [r["ten_tieu_chi"] for r in rows], "optional", ruler="2"),
         Col("diem_chuan", ["Điểm chuẩn"], [r["diem_chuan"] for r in rows], "optional", "number", 1, "3"),
         Col("diem_tu_cham", ["Điểm tự chấm"], [r["diem_tu_cham"] for r in rows], "optional", "number", 1, "4"),
         Col("diem_tham_dinh", ["Điểm thẩm định"], [r["diem_tham_dinh"] for r in rows], "optional", "number", 1,
             "5"),
         Col("ket_luan", ["Kết luận"], [r["ket_luan"] for r in rows], "required", ruler="6"),
         Col("so_qd", ["Số QĐ công nhận"], [r["so_qd"] for r in rows], "optional", ruler="7"),
         Col("ngay_qd", ["Ngày QĐ"], [dt.datetime.combine(r["ngay_qd"], dt.time()) for r in rows], "optional",
             "date", ruler="8")],
        common_below())
    report = Sheet(
        "mau_2a", "Mẫu 2a",
        common_above("TRẠM Y TẾ PHƯỜNG CHU VĂN AN", MAU_2A_TITLE, "Tháng 11 năm 2025", "Đơn vị tính: Người",
                     right_top="Mẫu 2a", right_second="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        [Col("tt", ["TT"], [r[0] for r in MAU_2A], "optional", ruler="A"),
         Col("noi_dung", ["Nội dung"], [r[1] for r in MAU_2A], "required", ruler="B"),
         Col("ket_qua", ["Kết quả"], [r[2] for r in MAU_2A], "required", "int", ruler="1"),
         Col("ghi_chu", ["Ghi chú"], [None, "Lũy kế từ đầu đợt", None, None, None, None], "optional", ruler="2")],
        common_below())
    return Book("health", [criteria, report])


def health_expected() -> Expected:
    out: Expected = {}
    for code, _name, _qd, _date, failing in STATIONS:
        num = 0.0 if failing else 1.0
        out[("HEALTH_STATION_STANDARD", code)] = (num * 100.0, num, 1.0, None)
    plan, done = MAU_2A[0][2], MAU_2A[1][2]
    out[("NVQS_PRESCREEN", "")] = (100.0 * done / plan, float(done), float(plan), None)
    return out


# ---------------------------------------------------------------------------------------------- education
# code, name, cấp học, loại hình, mức, cấp độ KĐ, số QĐ, ngày QĐ, cơ quan, ngày hết hạn (None: QĐ + 5 năm), trạng thái
SCHOOLS = [
    ("MN-SD", "Trường Mầm non Sao Đỏ", "Mầm non", "Công lập", "Mức độ 1", 2, "2145/QĐ-UBND",
     dt.date(2022, 3, 15), "UBND tỉnh Hải Dương", dt.date(2027, 3, 15), "Còn hiệu lực"),
    ("MN-VA", "Trường Mầm non Văn An", "Mầm non", "Công lập", "Mức độ 2", 3, "1520/QĐ-UBND",
     dt.date(2021, 6, 10), "UBND tỉnh Hải Dương", dt.date(2026, 6, 10), "Còn hiệu lực"),
    ("MN-CM", "Trường Mầm non Chí Minh", "Mầm non", "Công lập", "Mức độ 1", 2, "3310/QĐ-UBND",
     dt.date(2020, 12, 1), "UBND tỉnh Hải Dương", None, "Còn hiệu lực"),
    ("MN-TH", "Trường Mầm non Thái Học", "Mầm non", "Công lập", "Mức độ 1", 1, "2401/QĐ-UBND",
     dt.date(2020, 9, 20), "UBND tỉnh Hải Dương", dt.date(2025, 9, 20), "Hết hạn"),
    ("TH-SD", "Trường Tiểu học Sao Đỏ", "Tiểu học", "Công lập", "Mức độ 2", 3, "45/QĐ-UBND",
     dt.date(2023, 1, 5), "UBND tỉnh Hải Dương", dt.date(2028, 1, 5), "Còn hiệu lực"),
    ("TH-VA", "Trường Tiểu học Văn An", "Tiểu học", "Công lập", "Mức độ 1", 2, "1188/QĐ-UBND",
     dt.date(2019, 5, 12), "UBND tỉnh Hải Dương", dt.date(2024, 5, 12), "Đang đánh giá lại"),
    ("TH-CM", "Trường Tiểu học Chí Minh", "Tiểu học", "Công lập", "Mức độ 1", 2, "3001/QĐ-UBND",
     dt.date(2021, 11, 30), "UBND tỉnh Hải Dương", None, "Còn hiệu lực"),
    ("TH-TH", "Trường Tiểu học Thái Học", "Tiểu học", "Công lập", "Mức độ 1", 2, "2650/QĐ-UBND",
     dt.date(2020, 10, 14), "UBND tỉnh Hải Dương", dt.date(2025, 10, 14), "Hết hạn"),
    ("THCS-SD", "Trường THCS Sao Đỏ", "THCS", "Công lập", "Mức độ 2", 3, "905/QĐ-UBND",
     dt.date(2024, 4, 18), "UBND tỉnh Hải Dương", dt.date(2029, 4, 18), "Còn hiệu lực"),
    ("THCS-VA", "Trường THCS Văn An", "THCS", "Công lập", "Chưa đạt", 1, None, None, None, None,
     "Chưa công nhận"),
    ("THCS-CM", "Trường THCS Chí Minh", "THCS", "Công lập", "Mức độ 1", 2, "2088/QĐ-UBND",
     dt.date(2022, 8, 8), "UBND tỉnh Hải Dương", dt.date(2027, 8, 8), "Còn hiệu lực"),
    ("LC-CVA", "Trường Tiểu học và THCS Chu Văn An", "Liên cấp", "Công lập", "Mức độ 1", 2, "3720/QĐ-UBND",
     dt.date(2025, 11, 30), "UBND TP Hải Phòng", dt.date(2030, 11, 30), "Còn hiệu lực"),
    ("MN-HM", "Trường Mầm non tư thục Hoa Mai", "Mầm non", "Tư thục", "Mức độ 1", 1, "77/QĐ-UBND",
     dt.date(2023, 2, 1), "UBND tỉnh Hải Dương", dt.date(2028, 2, 1), "Còn hiệu lực"),
    ("TH-QT", "Trường Tiểu học Quốc tế Chí Linh", "Tiểu học", "Tư thục", "Chưa đạt", None, None, None, None, None,
     "Chưa công nhận"),
]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def education_book() -> Book:
    def when(d):
        return None if d is None else dt.datetime.combine(d, dt.time())

    s = SCHOOLS
    cols = [
        Col("stt", ["STT"], list(range(1, len(s) + 1)), "optional", "int", ruler="A"),
        Col("ma_truong", ["Mã trường"], [r[0] for r in s], "required", ruler="B"),
        Col("ten_truong", ["Tên trường"], [r[1] for r in s], "optional", ruler="C"),
        Col("cap_hoc", ["Cấp học"], [r[2] for r in s], "optional", ruler="1"),
        Col("loai_hinh", ["Loại hình"], [r[3] for r in s], "required", ruler="2"),
        Col("muc_chuan", ["Mức chuẩn quốc gia"], [r[4] for r in s], "required", ruler="3"),
        Col("cap_do", ["Cấp độ kiểm định"], [r[5] for r in s], "optional", "int", ruler="4"),
        Col("so_qd", ["Số QĐ công nhận"], [r[6] for r in s], "optional", ruler="5"),
        Col("ngay_qd", ["Ngày QĐ"], [when(r[7]) for r in s], "required", "date", ruler="6"),
        Col("co_quan", ["Cơ quan công nhận"], [r[8] for r in s], "optional", ruler="7"),
        Col("ngay_het_han", ["Ngày hết hạn"], [when(r[9]) for r in s], "optional", "date", ruler="8"),
        Col("trang_thai", ["Trạng thái"], [r[10] for r in s], "optional", ruler="9"),
    ]
    sheet = Sheet("danh_sach_truong", "Danh sách trường",
                  common_above("PHÒNG VĂN HÓA - XÃ HỘI",
                               "DANH SÁCH TRƯỜNG HỌC VÀ CÔNG NHẬN ĐẠT CHUẨN QUỐC GIA", "Tháng 11 năm 2025"),
                  cols, common_below())
    return Book("education", [sheet])


def education_expected() -> Expected:
    """CT06 (docs/contracts.md): public schools; 1 when Mức độ 1/2 and the recognition (Ngày hết hạn, else
    Ngày QĐ + 5 years) holds on the period's last day and was decided by then."""
    out: Expected = {}
    for code, _n, _c, kind, level, _k, _q, decided, _o, expiry, _t in SCHOOLS:
        if kind != "Công lập":
            continue
        until = expiry or (decided and _add_years(decided, 5))
        ok = level in ("Mức độ 1", "Mức độ 2") and decided is not None and decided <= PERIOD_END <= until
        num = 1.0 if ok else 0.0
        out[("SCHOOL_STANDARD", code)] = (num * 100.0, num, 1.0, None)
    return out


# --------------------------------------------------------------------------------------------- indicators
def _series(start: float, step: float, decimals: int = 1) -> list[float]:
    return [round(start + step * m, decimals) for m in range(1, 13)]


IND_MONTHS = {
    "TGTSP_NLTS": _series(1180.4, 15.3),
    "TGTSP_CNXD": _series(9650.2, 85.7),
    "TGTSP_TMDV": _series(11920.6, 140.9),
    "TNBQ": [round(78.5 + 0.1 * (m // 3), 1) for m in range(1, 13)],
    "HO_NGHEO_TS": [45 - m // 2 for m in range(1, 13)],
    "HO_NGHEO_MS": [15600 + 2 * m for m in range(1, 13)],
    "GDVH_TS": [14100 + 15 * m for m in range(1, 13)],
    "GDVH_MS": [15600 + 2 * m for m in range(1, 13)],
    "TDP_VH_TS": [50 + (1 if m > 6 else 0) for m in range(1, 13)],
    "TDP_VH_MS": [56] * 12,
    "LUOT_KHACH": [11000 + 150 * m for m in range(1, 13)],
    "NUOC_SACH_TS": [55800 + 20 * m for m in range(1, 13)],
    "NUOC_SACH_MS": [56251] * 12,
    "CTR_SH_TS": _series(1480.5, 3.1),
    "CTR_SH_MS": _series(1530.2, 3.4),
    "ANTT": ["Giữ vững"] * 12,
}
IND_MONTHS["TGTSP"] = [round(a + b + c, 1) for a, b, c in zip(IND_MONTHS["TGTSP_NLTS"], IND_MONTHS["TGTSP_CNXD"],
                                                              IND_MONTHS["TGTSP_TMDV"], strict=True)]
RATES = ("HO_NGHEO", "GDVH", "TDP_VH", "NUOC_SACH", "CTR_SH")
for _code in RATES:
    IND_MONTHS[_code] = [_round2(Decimal(str(ts)) * 100 / Decimal(str(ms)))
                         for ts, ms in zip(IND_MONTHS[f"{_code}_TS"], IND_MONTHS[f"{_code}_MS"], strict=True)]

# STT, Mã, Chỉ tiêu, ĐVT, Năm trước, Kế hoạch năm, Ghi chú
IND_ROWS = [
    ("A", None, "KINH TẾ", None, None, None, None),
    ("1", "TGTSP", "Tổng giá trị sản phẩm (giá so sánh)", "Triệu đồng", 250120.5, 290000.0, None),
    ("1.1", "TGTSP_NLTS", "Nông, lâm nghiệp và thủy sản", "Triệu đồng", 13950.2, 14500.0, None),
    ("1.2", "TGTSP_CNXD", "Công nghiệp - Xây dựng", "Triệu đồng", 108400.9, 125000.0, None),
    ("1.3", "TGTSP_TMDV", "Thương mại, dịch vụ", "Triệu đồng", 127769.4, 150500.0, None),
    ("2", "TNBQ", "Thu nhập bình quân đầu người (ước tính cả năm)", "Triệu đồng/người/năm", 74.2, 80.0, None),
    ("B", None, "VĂN HÓA - XÃ HỘI", None, None, None, None),
    ("3", "HO_NGHEO", "Tỷ lệ hộ nghèo đa chiều", "%", 0.31, 0.25, None),
    ("-", "HO_NGHEO_TS", "Số hộ nghèo", "Hộ", 48, None, None),
    ("-", "HO_NGHEO_MS", "Tổng số hộ dân cư", "Hộ", 15580, None, None),
    ("4", "GDVH", "Tỷ lệ hộ gia đình đạt danh hiệu Gia đình văn hóa", "%", 90.1, 92.0, None),
    ("-", "GDVH_TS", "Số hộ đạt danh hiệu Gia đình văn hóa", "Hộ", 14037, None, None),
    ("-", "GDVH_MS", "Tổng số hộ dân cư", "Hộ", 15580, None, None),
    ("5", "TDP_VH", "Tỷ lệ tổ dân phố giữ vững danh hiệu văn hóa", "%", 89.29, 92.0, None),
    ("-", "TDP_VH_TS", "Số tổ dân phố đạt danh hiệu văn hóa", "Tổ dân phố", 50, None, None),
    ("-", "TDP_VH_MS", "Tổng số tổ dân phố", "Tổ dân phố", 56, None, None),
    ("6", "LUOT_KHACH", "Lượt khách du lịch", "Lượt", 135000, 150000, None),
    ("7", "NUOC_SACH", "Tỷ lệ dân số sử dụng nước sạch đạt quy chuẩn", "%", 98.9, 99.5, None),
    ("-", "NUOC_SACH_TS", "Số người sử dụng nước sạch đạt quy chuẩn", "Người", 55630, None, None),
    ("-", "NUOC_SACH_MS", "Dân số", "Người", 56251, None, None),
    ("8", "CTR_SH", "Tỷ lệ chất thải rắn sinh hoạt được thu gom, xử lý hợp vệ sinh", "%", 96.1, 97.0, None),
    ("-", "CTR_SH_TS", "Khối lượng CTR sinh hoạt được thu gom, xử lý", "Tấn", 17640.3, None, None),
    ("-", "CTR_SH_MS", "Khối lượng CTR sinh hoạt phát sinh", "Tấn", 18355.7, None, None),
    ("C", None, "QUỐC PHÒNG - AN NINH", None, None, None, None),
    ("9", "ANTT", "Giữ vững an ninh chính trị, trật tự an toàn xã hội", None, "Giữ vững", "Giữ vững",
     "Không để xảy ra điểm nóng, tội phạm nghiêm trọng"),
]
IND_TITLE = "BIỂU THEO DÕI CÁC CHỈ TIÊU KINH TẾ - XÃ HỘI NĂM 2025"


def indicators_book() -> Book:
    rows = IND_ROWS
    cols = [
        Col("stt", ["STT"], [r[0] for r in rows], "optional", ruler="A"),
        Col("ma", ["Mã chỉ tiêu"], [r[1] for r in rows], "required", ruler="B"),
        Col("chi_tieu", ["Chỉ tiêu"], [r[2] for r in rows], "optional", ruler="C"),
        Col("dvt", ["Đơn vị tính"], [r[3] for r in rows], "required", ruler="D"),
        Col("nam_truoc", ["Năm trước"], [r[4] for r in rows], "optional", "number", 1, "1"),
        Col("ke_hoach", ["Kế hoạch năm"], [r[5] for r in rows], "optional", "number", 1, "2"),
    ]
    for m in range(1, 13):
        cells = []
        for r in rows:
            code = r[1]
            cells.append(IND_MONTHS[code][m - 1] if code and m <= MONTH else None)
        cols.append(Col(f"thang_{m}", ["Thực hiện", f"Tháng {m}"], cells,
                        "required" if m == MONTH else "optional", "number", 1, str(m + 2)))
    cols.append(Col("ghi_chu", ["Ghi chú"], [r[6] for r in rows], "optional", ruler="15"))
    sheet = Sheet("chi_tieu", "Chỉ tiêu",
                  common_above("VĂN PHÒNG HĐND VÀ UBND", IND_TITLE, "Tháng 11 năm 2025"),
                  cols, common_below())
    return Book("indicators", [sheet])


def indicators_expected() -> Expected:
    m = MONTH - 1
    out: Expected = {}
    for code in ("TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "TNBQ"):
        out[(code, "")] = (_tenths(IND_MONTHS[code][m]) * 100_000.0, NAN, NAN, None)
    for code in RATES:
        out[(code, "")] = (IND_MONTHS[code][m], float(IND_MONTHS[f"{code}_TS"][m]),
                           float(IND_MONTHS[f"{code}_MS"][m]), None)
    out[("LUOT_KHACH", "")] = (float(IND_MONTHS["LUOT_KHACH"][m]), NAN, NAN, None)
    out[("ANTT", "")] = (1.0, NAN, NAN, "Giữ vững")
    return out


# ------------------------------------------------------------------------------------- public service: Biểu 06
# STT, Lĩnh vực; received online, in person/post, carried over; resolved early, on time, late; pending in time, late
BIEU06_ITEMS = [
    ("1", "Hộ tịch", 96, 118, 12, 60, 140, 3, 20, 3),
    ("2", "Chứng thực", 310, 498, 0, 290, 512, 0, 6, 0),
    ("3", "Đất đai", 14, 35, 21, 12, 30, 4, 22, 2),
    ("4", "Lao động - Thương binh và Xã hội", 40, 22, 5, 25, 35, 1, 6, 0),
    ("5", "Văn hóa - Thông tin", 3, 9, 1, 2, 10, 0, 1, 0),
]
BIEU06_TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"
BIEU06_RANGE = "(Từ ngày 01/11/2025 đến ngày 30/11/2025)"


def bieu06_rows() -> list[dict]:
    rows = []
    for stt, label, online, direct, carried, early, on_time, late, pend_in, pend_late in BIEU06_ITEMS:
        rows.append({"stt": stt, "linh_vuc": label, "nhan_tong": online + direct + carried,
                     "nhan_truc_tuyen": online, "nhan_truc_tiep": direct, "nhan_ky_truoc": carried,
                     "da_gq_tong": early + on_time + late, "da_gq_truoc_han": early, "da_gq_dung_han": on_time,
                     "da_gq_qua_han": late, "dang_gq_tong": pend_in + pend_late, "dang_gq_trong_han": pend_in,
                     "dang_gq_qua_han": pend_late})
    total = {"stt": None, "linh_vuc": "Tổng số"}
    for key in rows[0]:
        if key not in ("stt", "linh_vuc"):
            total[key] = sum(r[key] for r in rows)
    return [*rows, total]


BIEU06_COLUMNS = [
    # key, path, role
    ("nhan_tong", ["Số hồ sơ nhận giải quyết", "Tổng số"], "required"),
    ("nhan_truc_tuyen", ["Số hồ sơ nhận giải quyết", "Trong đó", "Trực tuyến"], "required"),
    ("nhan_truc_tiep", ["Số hồ sơ nhận giải quyết", "Trong đó", "Trực tiếp, dịch vụ bưu chính"], "required"),
    ("nhan_ky_truoc", ["Số hồ sơ nhận giải quyết", "Trong đó", "Từ kỳ trước"], "required"),
    ("da_gq_tong", ["Số hồ sơ đã giải quyết", "Tổng số"], "required"),
    ("da_gq_truoc_han", ["Số hồ sơ đã giải quyết", "Trước hạn"], "required"),
    ("da_gq_dung_han", ["Số hồ sơ đã giải quyết", "Đúng hạn"], "required"),
    ("da_gq_qua_han", ["Số hồ sơ đã giải quyết", "Quá hạn"], "required"),
    ("dang_gq_tong", ["Số lượng hồ sơ đang giải quyết", "Tổng số"], "optional"),
    ("dang_gq_trong_han", ["Số lượng hồ sơ đang giải quyết", "Trong hạn"], "optional"),
    ("dang_gq_qua_han", ["Số lượng hồ sơ đang giải quyết", "Quá hạn"], "optional"),
]


def bieu06_book() -> Book:
    rows = bieu06_rows()
    cols = [Col("stt", ["STT"], [r["stt"] for r in rows], "optional", ruler="1"),
            Col("linh_vuc", ["Lĩnh vực, công việc giải quyết theo cấp"], [r["linh_vuc"] for r in rows], "required",
                ruler="2")]
    for i, (key, path, role) in enumerate(BIEU06_COLUMNS, start=3):
        cols.append(Col(key, list(path), [r[key] for r in rows], role, "int", ruler=str(i)))
    above = [Line("block", [("left", "UBND PHƯỜNG CHU VĂN AN"), ("right", "Biểu số 06/VPCP/KSTT")]),
             Line("blank"),
             Line("title", [("center", BIEU06_TITLE)]),
             Line("period", [("center", BIEU06_RANGE)]),
             Line("unit", [("last", "Đơn vị tính: Số hồ sơ TTHC")])]
    sheet = Sheet("bieu_06", "Biểu 06", above, cols, common_below())
    return Book("public_service", [sheet])


def bieu06_expected() -> Expected:
    """ONLINE: received in the month via the online channel / received in the month (carried over excluded);
    ON_TIME: resolved early or on time / resolved (docs/contracts.md; the total row)."""
    t = bieu06_rows()[-1]
    online, received = t["nhan_truc_tuyen"], t["nhan_truc_tuyen"] + t["nhan_truc_tiep"]
    in_time, resolved = t["da_gq_truoc_han"] + t["da_gq_dung_han"], t["da_gq_tong"]
    return {("DOSSIER_ONLINE", ""): (100.0 * online / received, float(online), float(received), None),
            ("DOSSIER_ON_TIME", ""): (100.0 * in_time / resolved, float(in_time), float(resolved), None)}


# ----------------------------------------------------------------------------------- public service: dossiers
PROCEDURES = [
    # MaTTHC, TenTTHC, MaLinhVuc, TenLinhVuc, MucDo, fee (VND; 0 = exempt entry, None = no fee list)
    ("1.001022", "Xác nhận tình trạng hôn nhân", "HT", "Hộ tịch", 4, 0),
    ("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "CT", "Chứng thực", 3, 6000),
    ("1.004837", "Đăng ký khai sinh", "HT", "Hộ tịch", 4, None),
    ("1.001193", "Đăng ký kết hôn", "HT", "Hộ tịch", 3, 0),
    ("2.001035", "Chứng thực chữ ký trong các giấy tờ, văn bản", "CT", "Chứng thực", 3, 10000),
    ("1.003583", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "XD", "Xây dựng", 2, 75000),
]


def dossiers() -> list[dict]:
    """Forty-odd dossiers of November 2025 (and a few of October finishing in November), in their final state."""
    rng = random.Random(15)
    out = []
    serial = 0

    def add(received: dt.datetime, finish_in: str):
        nonlocal serial
        serial += 1
        code, name, field_code, field_name, level, fee = PROCEDURES[rng.randrange(len(PROCEDURES))]
        channel = rng.choice([1, 2, 2, 3])
        due = (received + dt.timedelta(days=rng.choice([1, 2, 3, 5]))).replace(hour=17, minute=0, second=0)
        finished = returned = rejected = None
        status = 4
        if finish_in == "open":
            pass
        elif finish_in == "returned":
            rejected = received + dt.timedelta(days=1, hours=2)
            finished, status = rejected, 6
        elif finish_in == "withdrawn":
            rejected, status = received + dt.timedelta(hours=5), 7
        else:
            late = rng.random() < 0.25
            early_by = dt.timedelta(hours=rng.choice([2, 20, 30]))
            finished = (due + dt.timedelta(days=1, hours=-6)) if late else (due - early_by)
            if finish_in == "next_month":
                finished = dt.datetime(2025, 12, 2, 10, 30)
            if finished < received:
                finished = received + dt.timedelta(hours=3)
            if rng.random() < 0.8:
                returned, status = finished + dt.timedelta(hours=2), 10
            else:
                status = 9
        fees = []
        if fee is not None:
            fees.append({"MaPhiLePhi": f"LP{code[-3:]}", "TenPhiLePhi": f"Lệ phí {name.lower()}", "Gia": fee,
                         "HinhThucThu": None if fee == 0 else rng.choice(["truc-tuyen", "tien-mat", "chuyen-khoan"])})
        paid_online = bool(fee) and channel == 2 and rng.random() < 0.7
        out.append({"MaHoSo": f"000.00.10549-{received:%y%m%d}-{serial:04d}", "MaTTHC": code, "TenTTHC": name,
                    "MaLinhVuc": field_code, "TenLinhVuc": field_name, "MucDo": level, "KenhThucHien": channel,
                    "NgayTiepNhan": received, "NgayHenTra": due, "NgayKetThucXuLy": finished, "NgayTra": returned,
                    "NgayTuChoi": rejected, "TrangThaiHoSo": status, "DonViXuLy": "UBND phường Chu Văn An",
                    "DuocThanhToanTrucTuyen": paid_online, "DanhSachLePhi": fees})

    for day in (27, 28, 29, 30, 31, 30):  # received in October, finished in November
        add(dt.datetime(2025, 10, day, 9, rng.randrange(60), rng.randrange(60)), "done")
    kinds = ["done"] * 28 + ["open"] * 4 + ["returned"] * 3 + ["withdrawn"] * 2 + ["next_month"] * 3
    rng.shuffle(kinds)
    for k, kind in enumerate(kinds):
        day = 1 + (k * 7) % 27
        add(dt.datetime(2025, 11, day, 8 + k % 9, (k * 13) % 60, (k * 29) % 60), kind)
    out.sort(key=lambda r: r["NgayTiepNhan"])
    return out


def dossier_export() -> Export:
    cols = []
    required = {"MaHoSo", "KenhThucHien", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTuChoi",
                "DuocThanhToanTrucTuyen", "TongPhiLePhi"}
    for name in SYNC_FIELDS:
        cols.append(ExportCol(name, name, "required" if name in required else "optional"))
    return Export(records=dossiers(), fmt="csv", cols=cols)


def dossiers_expected() -> Expected:
    """DOSSIER_ONLINE, DOSSIER_ON_TIME, DOSSIER_FEE_ONLINE as docs/contracts.md defines them."""
    recs = dossiers()

    def in_month(x):
        return x is not None and (x.year, x.month) == (YEAR, MONTH)

    received = [r for r in recs if in_month(r["NgayTiepNhan"])]
    online = [r for r in received if r["KenhThucHien"] == 2]
    finished = [r for r in recs if in_month(r["NgayKetThucXuLy"]) and r["NgayTuChoi"] is None]
    on_time = [r for r in finished if r["NgayKetThucXuLy"].date() <= r["NgayHenTra"].date()]
    with_fee = [r for r in received if sum(f["Gia"] for f in r["DanhSachLePhi"]) > 0]
    paid = [r for r in with_fee if r["DuocThanhToanTrucTuyen"]]

    def ratio(num, den):
        return (100.0 * len(num) / len(den) if den else NAN, float(len(num)), float(len(den)), None)

    return {("DOSSIER_ONLINE", ""): ratio(online, received),
            ("DOSSIER_ON_TIME", ""): ratio(on_time, finished),
            ("DOSSIER_FEE_ONLINE", ""): ratio(paid, with_fee)}


# ----------------------------------------------------------------------------------------------- registry
#: corpus name -> (product source, base builder, expected observations)
BASES = {
    "tax": ("tax", tax_book, tax_expected),
    "health": ("health", health_book, health_expected),
    "education": ("education", education_book, education_expected),
    "indicators": ("indicators", indicators_book, indicators_expected),
    "bieu06": ("public_service", bieu06_book, bieu06_expected),
    "dossiers": ("public_service", dossier_export, dossiers_expected),
}


# ---------------------------------------------------------------------------------------------- relation
def _same(a: float, b: float) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return False
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def observed(frame) -> Expected:
    """The product's observation frame as the relation compares it (lineage left out). Duplicated keys and a
    wrong unit or period are reported as keys of their own, so they show in the difference."""
    out: Expected = {}
    for rec in frame.to_dict("records"):
        key = (rec["indicator_code"], rec["member_code"] or "")
        if rec["unit_code"] != UNIT or rec["period"] != PERIOD:
            key = (f"{key[0]}@{rec['unit_code']}/{rec['period']}", key[1])
        if key in out:
            key = (key[0] + "#duplicate", key[1])
        text = rec["text_value"]
        out[key] = (rec["value"], rec["numerator"], rec["denominator"], None if text is None else str(text))
    return out


def differences(expected: Expected, got: Expected) -> list[str]:
    """Human-readable differences between two observation sets (empty when they are equal)."""
    lines = []
    for key in sorted(set(expected) | set(got)):
        if key not in got:
            lines.append(f"missing {key}: expected {expected[key]}")
        elif key not in expected:
            lines.append(f"unexpected {key}: {got[key]}")
        else:
            e, g = expected[key], got[key]
            if not (all(_same(a, b) for a, b in zip(e[:3], g[:3], strict=True)) and e[3] == g[3]):
                lines.append(f"{key}: expected (value, num, den, text) {e}, got {g}")
    return lines
