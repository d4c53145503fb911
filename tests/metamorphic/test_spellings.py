"""Every header spelling and value spelling printed in ../shared/reference/source-formats.md for the five
sources is accepted (issue 15, "Done when", second point).

SPELLINGS is written by hand from a reading of the document, each entry with the section it comes from.
Each entry changes the base delivery in that one way (a header, a value, a unit line with the figures
rescaled to it, a period line, an optional column the document names …) and the delivery must give the
observations computed from the generator's parameters.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pytest

from tests.metamorphic import base
from tests.metamorphic import transforms as tf
from tests.metamorphic.conftest import read_observations
from tests.metamorphic.model import Book, Col, Export, ExportCol, nfd, write_book, write_export

pytestmark = pytest.mark.metamorphic


@dataclass(frozen=True)
class Spelling:
    section: str      # where source-formats.md prints it
    corpus: str       # tax, health, education, indicators, bieu06, dossiers
    kind: str         # what is changed (see APPLY)
    target: object    # the column / line / row it goes to
    text: object      # the spelling as printed
    extra: object = None  # a factor, a value to replace …

    @property
    def id(self) -> str:
        section = tf.slug(self.section.replace("§", "S").replace(" ", "_"), 40)
        return f"{section}-{self.corpus}-{self.kind}-{tf.slug(str(self.text), 60)}"


S = Spelling
SPELLINGS: list[Spelling] = [
    # §1 Cross-cutting conventions -------------------------------------------------------------------
    # Units: `Đơn vị tính: Triệu đồng` (also `đồng`, `nghìn đồng`, `tỷ đồng`, `1.000 đồng`, `1.000.000 đồng`,
    # misspellings `Tr đồng`, `Tiệu đồng`, `Triệu dồng`); the figures are rescaled to the unit.
    *[S("§1 Units", "tax", "unit_line", None, f"Đơn vị tính: {u}", f) for u, f in (
        ("Triệu đồng", 1.0), ("đồng", 1e6), ("nghìn đồng", 1e3), ("tỷ đồng", 1e-3), ("1.000 đồng", 1e3),
        ("1.000.000 đồng", 1.0), ("Tr đồng", 1.0), ("Tiệu đồng", 1.0), ("Triệu dồng", 1.0))],
    *[S("§1 Units", "indicators", "unit_cell", None, u, f) for u, f in (
        ("Triệu đồng", 1.0), ("đồng", 1e6), ("nghìn đồng", 1e3), ("tỷ đồng", 1e-3), ("1.000 đồng", 1e3),
        ("1.000.000 đồng", 1.0), ("Tr đồng", 1.0), ("Tiệu đồng", 1.0), ("Triệu dồng", 1.0))],
    # "`"Triệu đồng"` in NFD matched nothing in one real data set"
    S("§1 Text-encoding(NFD)", "tax", "unit_line", None, nfd("Đơn vị tính: Triệu đồng"), 1.0),
    # "`%` columns (`SO SÁNH (%)`)"
    S("§1 Units", "tax", "group_header", ("tl_du_toan", "tl_cung_ky"), "SO SÁNH (%)"),
    # Numbers: `146.068` = 146068; `+15,4%`; `-`, `–`, blank mean "no figure"
    S("§1 Numbers", "tax", "numbers_as_text", None, "146.068"),
    S("§1 Numbers", "indicators", "numbers_as_text", None, "146.068"),
    S("§1 Numbers", "bieu06", "numbers_as_text", None, "146.068"),
    S("§1 Numbers", "tax", "percent_text", ("tl_du_toan", "tl_cung_ky"), "+15,4%"),
    S("§1 Numbers", "indicators", "percent_text", None, "+15,4%"),
    S("§1 Numbers", "tax", "missing_mark", None, "-"),
    S("§1 Numbers", "tax", "missing_mark", None, "–"),
    S("§1 Numbers", "tax", "missing_mark", None, ""),
    # Dates/periods: `dd/mm/yyyy` (sometimes `dd/mm/yyyy HH:mm:ss`); `ngày 15 tháng 3 năm 2025`; `Tháng 8/2026`;
    # `Từ ngày … đến ngày …`
    S("§1 Dates", "education", "date_text", None, "dd/mm/yyyy"),
    S("§1 Dates", "education", "date_text", None, "dd/mm/yyyy HH:mm:ss"),
    S("§1 Dates", "health", "date_text", None, "dd/mm/yyyy"),
    S("§1 Dates", "health", "date_text", None, "dd/mm/yyyy HH:mm:ss"),
    *[S("§1 Dates", c, "footer_date", None, "Chu Văn An, ngày 5 tháng 12 năm 2025")
      for c in ("tax", "health", "education", "indicators", "bieu06")],
    *[S("§1 Periods", c, "period_line", None, "Tháng 11/2025") for c in ("tax", "health", "education", "indicators")],
    S("§1 Periods", "bieu06", "period_line", None, "Từ ngày 01/11/2025 đến ngày 30/11/2025"),
    # Sheet layout: ruler `1 2 3 … 13`, or `A B 1 2 3=1+2`; form code `Biểu số 06/VPCP/KSTT`, `Mẫu 2a`
    *[S("§1 Sheet-layout", c, "ruler", None, "1 2 3 … 13") for c in ("tax", "health", "education", "indicators")],
    S("§1 Sheet-layout", "bieu06", "ruler", None, "A B 1 2 3=1+2"),
    S("§1 Sheet-layout", "tax", "ruler", None, "A B 1 2 3=1+2"),
    # Row outline: markers `A, B, C…` › `I, II, III` › `1, 2` / `1.1` › `a, b` › `-`/`+`; totals
    # `TỔNG THU NGÂN SÁCH NHÀ NƯỚC` (budget forms, first row), `Tổng số`, `Tổng cộng`, `Cộng` (TTHC tables, last);
    # embedded newlines in labels
    S("§1 Row-outline", "indicators", "value", "stt", "+", "-"),
    S("§1 Row-outline", "indicators", "roman_heading", None, "I TỔNG GIÁ TRỊ SẢN PHẨM TRÊN ĐỊA BÀN"),
    S("§1 Row-outline", "tax", "value", "label", "TỔNG THU NGÂN SÁCH NHÀ NƯỚC", base.TAX_TOTAL_LABEL),
    S("§1 Row-outline", "bieu06", "value", "linh_vuc", "Tổng số", "Tổng số"),
    S("§1 Row-outline", "bieu06", "value", "linh_vuc", "Tổng cộng", "Tổng số"),
    S("§1 Row-outline", "bieu06", "value", "linh_vuc", "Cộng", "Tổng số"),
    S("§1 Row-outline", "tax", "label_newlines", None, "Thu từ khu vực kinh tế\nngoài quốc doanh"),
    # Scope/stage: *pháp lệnh*; *HĐND giao/quyết định*
    S("§1 Scope", "tax", "header", "hdnd", "Dự toán năm 2025|HĐND quyết định"),

    # §3.2 Revenue lines --------------------------------------------------------------------------------
    S("§3.2 Revenue-lines", "tax", "header", "ma_muc", "MLNS mục (tiểu mục)"),
    S("§3.2 Revenue-lines", "tax", "value", "label", "TỔNG THU NSNN TRÊN ĐỊA BÀN", base.TAX_TOTAL_LABEL),
    # §3.3 Column patterns: `Dự toán năm [Pháp lệnh | HĐND giao]`, `So sánh (%) [Lũy kế/Dự toán | Lũy kế/Cùng kỳ]`;
    # the import model `Chỉ tiêu | … | Dự toán pháp lệnh | … | Thực hiện so với dự toán pháp lệnh |
    # Thực hiện so với năm`
    S("§3.3 Columns", "tax", "group_header", ("phap_lenh", "hdnd"), "Dự toán năm"),
    S("§3.3 Columns", "tax", "header", "tl_du_toan", "So sánh (%)|Lũy kế/Dự toán"),
    S("§3.3 Columns", "tax", "header", "tl_cung_ky", "So sánh (%)|Lũy kế/Cùng kỳ"),
    S("§3.3 Columns", "tax", "header", "label", "Chỉ tiêu"),
    S("§3.3 Columns", "tax", "header", "phap_lenh", "Dự toán pháp lệnh"),
    S("§3.3 Columns", "tax", "add_optional", None, "Thực hiện so với dự toán pháp lệnh | Thực hiện so với năm",
      "import_model_rates"),

    # §8.1 Tax workbook -------------------------------------------------------------------------------
    S("§8.1 Tax", "tax", "header", "stt", "STT"),
    S("§8.1 Tax", "tax", "header", "label", "Nội dung thu"),
    S("§8.1 Tax", "tax", "header", "ma_muc", "Mã mục/tiểu mục (MLNS)"),
    S("§8.1 Tax", "tax", "header", "phap_lenh", "Dự toán pháp lệnh"),
    S("§8.1 Tax", "tax", "header", "hdnd", "Dự toán HĐND giao"),
    S("§8.1 Tax", "tax", "headers", None, "Dự toán pháp lệnh + Dự toán HĐND giao",
      {"phap_lenh": "Dự toán pháp lệnh", "hdnd": "Dự toán HĐND giao"}),
    S("§8.1 Tax", "tax", "header", "th_thang", "Thực hiện tháng"),
    S("§8.1 Tax", "tax", "header", "luy_ke", "Lũy kế từ đầu năm"),
    S("§8.1 Tax", "tax", "header", "cung_ky", "Cùng kỳ năm trước"),
    S("§8.1 Tax", "tax", "header", "tl_du_toan", "Lũy kế so dự toán (%)"),
    S("§8.1 Tax", "tax", "header", "tl_cung_ky", "Lũy kế so cùng kỳ (%)"),
    S("§8.1 Tax", "tax", "header", "ghi_chu", "Ghi chú"),
    S("§8.1 Tax", "tax", "title", None, "Báo cáo tình hình thu NSNN trên địa bàn phường Chu Văn An"),
    S("§8.1 Tax", "tax", "period_line", None, "Tháng 11 năm 2025"),

    # §4.2 Biểu số 06/VPCP/KSTT ------------------------------------------------------------------------
    S("§4.2 Bieu06", "bieu06", "title", None,
      "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"),
    S("§4.2 Bieu06", "bieu06", "period_line", None, "(Từ ngày 01/11/2025 đến ngày 30/11/2025)"),
    S("§4.2 Bieu06", "bieu06", "unit_text", None, "Đơn vị tính: Số hồ sơ TTHC"),
    S("§4.2 Bieu06", "bieu06", "header", "stt", "STT"),
    S("§4.2 Bieu06", "bieu06", "header", "linh_vuc", "Lĩnh vực, công việc giải quyết theo cấp"),
    S("§4.2 Bieu06", "bieu06", "grouped", None, "Số hồ sơ nhận giải quyết [Tổng số | Trong đó: Trực tuyến | "
      "Trực tiếp, dịch vụ bưu chính | Từ kỳ trước]", "trong_do_inline"),
    S("§4.2 Bieu06", "bieu06", "header", "da_gq_tong", "Số hồ sơ đã giải quyết|Tổng số"),
    S("§4.2 Bieu06", "bieu06", "header", "dang_gq_tong", "Số lượng hồ sơ đang giải quyết|Tổng số"),
    S("§4.2 Bieu06", "bieu06", "ruler", None, "1 2 3 … 13"),
    S("§4.2 Bieu06", "bieu06", "group_row", None, "Xã, phường, thị trấn"),
    S("§4.2 Bieu06", "bieu06", "group_row", None, "Sở ban ngành"),
    S("§4.2 Bieu06", "bieu06", "add_optional", None, "Bổ sung", "bo_sung"),
    S("§4.2 Bieu06", "bieu06", "add_optional", None, "Trả lại/Rút HS", "tra_lai"),
    S("§4.2 Bieu06", "bieu06", "add_optional", None, "Tỷ lệ trước hạn, đúng hạn", "ty_le_dung_han"),
    S("§4.2 Bieu06", "bieu06", "header", "da_gq_dung_han",
      "~Đúng hạn (Bao gồm cả hồ sơ chờ Bổ sung và Trả lại/Xin rút)"),
    # §4.3 766-tracking exports: `Tỷ lệ trực tuyến (%)` (an optional rate column next to the counts)
    S("§4.3 Tracking", "bieu06", "add_optional", None, "Tỷ lệ trực tuyến (%)", "ty_le_truc_tuyen"),

    # §4.4 and "The public-service API": dossier exports ------------------------------------------------
    S("§API Exports", "dossiers", "csv_base", None, "MaHoSo, MaTTHC, TenTTHC, MaLinhVuc, TenLinhVuc, MucDo, "
      "KenhThucHien, NgayTiepNhan, NgayHenTra, NgayKetThucXuLy, NgayTra, NgayTuChoi, TrangThaiHoSo, DonViXuLy, "
      "DuocThanhToanTrucTuyen, TongPhiLePhi"),
    S("§API Exports", "dossiers", "json", None, '{"tong_so": N, "du_lieu": [...]} with DanhSachLePhi '
      '[{MaPhiLePhi, TenPhiLePhi, Gia, HinhThucThu}]', "fee_list"),
    S("§API Exports", "dossiers", "json", None, '{"tong_so": N, "du_lieu": [...]} with TongPhiLePhi', "fee_total"),
    *[S("§4.4 Sync-fields", "dossiers", "csv_extra", None, name) for name in (
        "SoGiayToChuHoSo", "ChuHoSo", "LoaiDoiTuong", "SoDienThoai", "TrichYeuHoSo", "NgayNopHoSo", "HinhThuc",
        "NoiNopHoSo", "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID")],
    S("§4.4 Codes", "dossiers", "csv_values", "MucDo", "MucDo 4 = toàn trình, 3 = một phần, 2 = DVC (thông tin)"),
    S("§4.4 Codes", "dossiers", "csv_values", "KenhThucHien", "KenhThucHien 1 = trực tiếp, 2 = trực tuyến, 3 = BCCI"),
    S("§4.4 Codes", "dossiers", "csv_values", "TrangThaiHoSo", "9 Chờ trả kết quả, 10 Đã trả kết quả"),
    S("§4.4 Codes", "dossiers", "json_payment", None, "truc-tuyen | tien-mat | chuyen-khoan"),
    S("§1 CSV", "dossiers", "apostrophe_ids", None, "'000.00.10549-…"),
    S("§1 CSV", "dossiers", "csv_base", None, "UTF-8 with BOM"),

    # §5.1 Commune health station criteria --------------------------------------------------------------
    S("§5.1 Health", "health", "header", "tieu_chi_so", "Tiêu chí"),
    S("§5.1 Health", "health", "add_optional", None, "Chỉ tiêu", "chi_tieu"),
    S("§5.1 Health", "health", "header", "diem_chuan", "Điểm chuẩn"),
    S("§5.1 Health", "health", "header", "diem_tu_cham", "Điểm tự chấm"),
    S("§5.1 Health", "health", "header", "diem_tham_dinh", "Điểm thẩm định"),
    S("§5.1 Health", "health", "header", "ket_luan", "Đạt/Không đạt"),
    S("§5.1 Health", "health", "value", "ket_luan", "Đạt", "Đạt"),
    S("§5.1 Health", "health", "value", "ket_luan", "Không đạt", "Chưa đạt"),
    S("§5.1 Health", "health", "headers", None, "số QĐ, ngày", {"so_qd": "Số QĐ", "ngay_qd": "Ngày"}),
    # §8.3 (a): ket_luan (Đạt/Chưa đạt), ngay_qd (dd/mm/yyyy), van_ban_can_cu ("QĐ 1300/QĐ-BYT")
    S("§8.3 Health", "health", "value", "ket_luan", "Chưa đạt", "Chưa đạt"),
    S("§8.3 Health", "health", "date_text", None, "dd/mm/yyyy"),
    S("§8.3 Health", "health", "add_optional", None, "Văn bản căn cứ: QĐ 1300/QĐ-BYT", "van_ban"),
    # §5.2 Mẫu 2a: `TT | Nội dung | Kết quả | Ghi chú`, its rows, its title
    S("§5.2 Mau2a", "health", "header", "tt", "TT"),
    S("§5.2 Mau2a", "health", "header", "noi_dung", "Nội dung"),
    S("§5.2 Mau2a", "health", "header", "ket_qua", "Kết quả"),
    S("§5.2 Mau2a", "health", "header", "ghi_chu", "Ghi chú"),
    S("§5.2 Mau2a", "health", "value", "noi_dung", "Số lượng sơ tuyển sức khỏe theo kế hoạch",
      "Số lượng sơ tuyển sức khỏe theo kế hoạch"),
    S("§5.2 Mau2a", "health", "value", "noi_dung", "Số lượng đã sơ tuyển", "Số lượng đã sơ tuyển"),
    S("§5.2 Mau2a", "health", "value", "noi_dung", "Số lượng đề nghị miễn thực hiện NVQS",
      "Trong đó: Số lượng đề nghị miễn thực hiện NVQS"),
    S("§5.2 Mau2a", "health", "mau_2a_title", None, "BÁO CÁO KẾT QUẢ SƠ TUYỂN SỨC KHỎE NVQS NĂM 2026"),

    # §6 / §8.4 Education -----------------------------------------------------------------------------
    S("§6 Education", "education", "value", "muc_chuan", "Mức độ 1", "Mức độ 1"),
    S("§6 Education", "education", "value", "muc_chuan", "Mức độ 2", "Mức độ 2"),
    S("§8.4 Education", "education", "value", "muc_chuan", "Chưa đạt", "Chưa đạt"),
    S("§8.4 Education", "education", "value", "cap_hoc", "Liên cấp", "Liên cấp"),
    S("§8.4 Education", "education", "value", "loai_hinh", "Tư thục", "Tư thục"),
    S("§8.4 Education", "education", "value", "cap_do", 4, 3),
    S("§8.4 Education", "education", "value", "co_quan", "UBND TP Hải Phòng", "UBND tỉnh Hải Dương"),
    S("§8.4 Education", "education", "value", "trang_thai", "Hết hạn", "Hết hạn"),
    S("§8.4 Education", "education", "value", "trang_thai", "Đang đánh giá lại", "Đang đánh giá lại"),
    S("§8.4 Education", "education", "add_optional", None, "Văn bản căn cứ: TT 17/18/19/2018; 22/2024", "van_ban"),

    # §7 / §8.5 Other indicators ----------------------------------------------------------------------
    S("§7 Indicators", "indicators", "header", "nam_truoc", "Năm trước"),
    S("§7 Indicators", "indicators", "add_optional", None, "Phương án KH năm nay [KH năm nay | Năm nay tăng thêm]",
      "nam_nay_tang_them"),
    S("§7 Indicators", "indicators", "grouped", None, "Tháng 1 … Tháng 12", "months_flat"),
    S("§7 Indicators", "indicators", "add_optional", None, "Quý I … Quý IV", "quarters"),
    S("§7 Indicators", "indicators", "add_optional", None, "6 tháng đầu năm | 9 tháng đầu năm | 6 tháng cuối năm",
      "halves"),
    S("§7 Indicators", "indicators", "header", "ghi_chu", "Ghi chú"),
    S("§7 Indicators", "indicators", "roman_heading", None, "A KINH TẾ › I TỔNG GIÁ TRỊ SẢN PHẨM TRÊN ĐỊA BÀN"),
    S("§7 Indicators", "indicators", "sub_rows_ab", None, "1.2 … (a Công nghiệp, b Xây dựng)"),
    S("§7 Indicators", "indicators", "value", "dvt", "Triệu đồng/người/năm", "Triệu đồng/người/năm"),
    S("§8.5 Indicators", "indicators", "header", "ke_hoach", "KH năm"),
    S("§8.5 Indicators", "indicators", "extra_columns", None, "6 tháng | 9 tháng"),
    S("§8.5 Indicators", "indicators", "add_optional", None, "Trạng thái số liệu: Ước tính/Chính thức",
      "trang_thai"),
    S("§8.5 Indicators", "indicators", "extra_row", None, "HO_CAN_NGHEO"),
]


# ------------------------------------------------------------------------------------------------ appliers
def _main(book: Book):
    return tf._main(book)


def _set_line(sheet, role: str, text: str) -> None:
    line = sheet.line(role)
    line.cells = [(line.cells[0][0], text)]


def apply(spelling: Spelling, delivery) -> None:
    k, corpus, text = spelling.kind, spelling.corpus, spelling.text
    rng = random.Random(spelling.id)
    if isinstance(delivery, Export):
        _apply_export(spelling, delivery, rng)
        return
    book: Book = delivery
    sheet = _main(book)
    if k == "unit_line":
        tf._set_unit_text(sheet, text)
        for col in sheet.cols:
            if col.key in base.TAX_MONEY:
                col.cells = [tf._scale(v, spelling.extra) for v in col.cells]
    elif k == "unit_cell":
        dvt = sheet.col("dvt")
        for i, v in enumerate(dvt.cells):
            if v and v.startswith("Triệu đồng"):
                dvt.cells[i] = text + v[len("Triệu đồng"):]
                for col in sheet.cols:
                    if col.kind == "number":
                        col.cells[i] = tf._scale(col.cells[i], spelling.extra)
    elif k == "unit_text":
        tf._set_unit_text(sheet, text)
    elif k == "group_header":
        for key in spelling.target:
            col = sheet.col(key)
            col.path = [text, *col.path[1:]]
    elif k == "header":
        for s in book.sheets:
            if s.has(spelling.target):
                col = s.col(spelling.target)
                col.path = tf._spelling_path(col, text)
    elif k == "headers":
        for key, spelled in spelling.extra.items():
            col = sheet.col(key)
            col.path = tf._spelling_path(col, spelled)
    elif k == "numbers_as_text":
        tf.numbers_as_text(book, "vi", rng)
    elif k == "percent_text":
        if corpus == "tax":
            for key in spelling.target:
                col = sheet.col(key)
                col.cells = [None if v is None else ("+" if v >= 0 else "") + tf._vi_number(v, 1) + "%"
                             for v in col.cells]
        else:
            month = sheet.col(f"thang_{base.MONTH}")
            codes = sheet.col("ma").cells
            month.cells = [f"+{tf._vi_number(v, 2)}%" if c in base.RATES else v
                           for v, c in zip(month.cells, codes, strict=True)]
    elif k == "missing_mark":
        for col in sheet.cols:
            col.cells = [(text or None) if v == "-" else v for v in col.cells]
    elif k == "date_text":
        for col in sheet.cols:
            if col.kind == "date":
                col.cells = [v.strftime("%d/%m/%Y" if text == "dd/mm/yyyy" else "%d/%m/%Y %H:%M:%S")
                             if isinstance(v, (dt.date, dt.datetime)) else v for v in col.cells]
    elif k == "footer_date":
        for s in book.sheets:
            _set_line(s, "date", text)
    elif k == "period_line":
        for s in book.sheets:
            _set_line(s, "period", text)
    elif k == "title":
        _set_line(sheet, "title", text)
    elif k == "mau_2a_title":
        _set_line(book.sheet("mau_2a"), "title", text)
    elif k == "ruler":
        if text == "1 2 3 … 13":
            for s in book.sheets:
                s.ruler = "numbers"
        elif corpus == "bieu06":
            tokens = ["A", "B", "1=2+3+4", "2", "3", "4", "5=6+7+8", "6", "7", "8", "9=10+11", "10", "11"]
            for col, token in zip(sheet.cols, tokens, strict=True):
                col.ruler = token
            sheet.ruler = "base"
        else:
            sheet.ruler = "letters_numbers"
    elif k == "value":
        for s in book.sheets:
            if s.has(spelling.target):
                col = s.col(spelling.target)
                old = spelling.extra
                hits = [i for i, v in enumerate(col.cells) if v == old]
                for i in hits[: (1 if spelling.target in ("cap_do", "co_quan") else len(hits))]:
                    col.cells[i] = text
    elif k == "roman_heading":
        tf.roman(book, "roman_heading", rng)
    elif k == "label_newlines":
        col = sheet.col("label")
        col.cells = [text if v == "Thu từ khu vực kinh tế ngoài quốc doanh" else v for v in col.cells]
    elif k == "add_optional":
        tf.add_optional(book, spelling.extra, rng)
    elif k == "grouped":
        tf.grouped_headers(book, spelling.extra, rng)
    elif k == "group_row":
        tf._insert_row(sheet, 0, {"stt": "I", "linh_vuc": text})
    elif k == "sub_rows_ab":
        at = sheet.col("ma").cells.index("TGTSP_CNXD") + 1
        for letter, code, label, share in (("b", "TGTSP_XD", "Xây dựng", 0.4), ("a", "TGTSP_CN", "Công nghiệp", 0.6)):
            values = {"stt": letter, "ma": code, "chi_tieu": label, "dvt": "Triệu đồng"}
            for m in range(1, base.MONTH + 1):
                values[f"thang_{m}"] = round(base.IND_MONTHS["TGTSP_CNXD"][m - 1] * share, 1)
            tf._insert_row(sheet, at, values)
    elif k == "extra_columns":
        cols = [Col("sau_thang", ["6 tháng"], [None] * sheet.n, "optional", "number", 1),
                Col("chin_thang", ["9 tháng"], [None] * sheet.n, "optional", "number", 1)]
        codes = sheet.col("ma").cells
        for col, months in zip(cols, (range(1, 7), range(1, 10)), strict=True):
            col.cells = [tf._month_values(c, months) if c in ("TGTSP", "LUOT_KHACH") else None for c in codes]
        tf._insert_after(sheet, f"thang_{base.MONTH}", cols)
    elif k == "extra_row":
        at = sheet.col("ma").cells.index("HO_NGHEO_MS") + 1
        rows = [("4a", "HO_CAN_NGHEO", "Tỷ lệ hộ cận nghèo", "%", 0.52), ("-", "HO_CAN_NGHEO_TS", "Số hộ cận nghèo",
                                                                            "Hộ", 81),
                ("-", "HO_CAN_NGHEO_MS", "Tổng số hộ dân cư", "Hộ", 15622)]
        for offset, (stt, code, label, unit, value) in enumerate(rows):
            tf._insert_row(sheet, at + offset, {"stt": stt, "ma": code, "chi_tieu": label, "dvt": unit,
                                                f"thang_{base.MONTH}": value})
    else:
        raise ValueError(f"unknown spelling kind {k}")


def _apply_export(spelling: Spelling, export: Export, rng: random.Random) -> None:
    k = spelling.kind
    if k == "csv_base":
        return
    if k == "json":
        tf.d_json(export, spelling.extra, rng)
    elif k == "json_payment":
        export.fmt = "json"
        methods = ["truc-tuyen", "tien-mat", "chuyen-khoan"]
        for i, rec in enumerate(export.records):
            for fee in rec["DanhSachLePhi"]:
                if fee["Gia"]:
                    fee["HinhThucThu"] = methods[i % 3]
    elif k == "csv_extra":
        name = spelling.text
        fake = {"SoGiayToChuHoSo": "0'00000000000", "ChuHoSo": "Người nộp (giả lập)", "LoaiDoiTuong": "1",
                "SoDienThoai": "0900000000"}
        values = ([fake[name]] * len(export.records) if name in fake
                  else tf._extra_values(name, export.records, rng))
        export.cols.insert(rng.randint(0, len(export.cols)), ExportCol(f"extra:{name}", name, "extra", values))
    elif k == "csv_values":
        values = sorted({rec[spelling.target] for rec in export.records})
        wanted = {"MucDo": {2, 3, 4}, "KenhThucHien": {1, 2, 3}, "TrangThaiHoSo": {9, 10}}[spelling.target]
        assert wanted <= set(values), f"the base dossiers should carry {spelling.target} {sorted(wanted)}: {values}"
    elif k == "apostrophe_ids":
        export.apostrophe_ids = True
    else:
        raise ValueError(f"unknown spelling kind {k}")


@pytest.mark.parametrize("spelling", SPELLINGS, ids=lambda s: s.id)
def test_every_spelling_printed_in_source_formats_is_accepted(spelling, tmp_path):
    _, builder, expected = base.BASES[spelling.corpus]
    delivery = builder()
    apply(spelling, delivery)
    path = tmp_path / f"{spelling.corpus}{delivery.suffix}"
    if isinstance(delivery, Export):
        write_export(delivery, path)
    else:
        write_book(delivery, path)
    failure = None
    try:
        got = base.observed(read_observations(spelling.corpus, path))
    except Exception as exc:  # noqa: BLE001
        problems = getattr(exc, "problems", None) or []
        detail = "\n".join(f"  - {p.message_en()}" for p in problems[:5]) or str(exc)
        failure = f"{spelling.section}: {spelling.text!r} ({spelling.kind}) refused: {type(exc).__name__}\n{detail}"
    if failure:
        pytest.fail(failure, pytrace=False)
    diff = base.differences(expected(), got)
    if diff:
        pytest.fail(f"{spelling.section}: {spelling.text!r} ({spelling.kind}): observations differ:\n"
                    + "\n".join(diff[:10]), pytrace=False)


def test_the_list_covers_every_source():
    assert {s.corpus for s in SPELLINGS} == {"tax", "health", "education", "indicators", "bieu06", "dossiers"}
    assert len({s.id for s in SPELLINGS}) == len(SPELLINGS), "two entries with one id"

