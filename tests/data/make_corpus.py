"""Write the connector test corpus: one small file per real-world variant, named for what it exercises.

    .venv/bin/python tests/data/make_corpus.py          # rewrites tests/data/corpus/

The files are committed; tests/integration/connectors/test_corpus.py asserts the exact values (written
there by hand from the figures below) or the exact error of each. Every workbook case is the same small
tax report (million VND) dressed differently; a few cases are the Biểu 06 report and dossier CSV exports.
The legacy `.xls` (BIFF8) is made by LibreOffice (`soffice --convert-to xls`) from the baseline.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "corpus"
sys.path.insert(0, str(ROOT.parents[1]))

from connectors.legacy import from_unicode  # noqa: E402  (the encoder is only used to *write* legacy text)

# STT, Nội dung thu, Mã mục, Pháp lệnh, HĐND giao, Thực hiện tháng, Lũy kế, Cùng kỳ, % dự toán, % cùng kỳ, Ghi chú
ROWS = [
    [None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, 1234.5, 1430, 20.5, 1250.5, 1220, 87.4, 102.5, None],
    ["I", "Thu nội địa", None, 1234.5, 1430, 20.5, 1250.5, 1220, 87.4, 102.5, None],
    ["1", "Thuế thu nhập cá nhân", "1000", 1200, 1320, 20.5, 1200.5, 1180, 90.9, 101.7, None],
    ["1.1", "Trong đó: từ tiền lương, tiền công", None, None, None, 10, 100, 90, None, None, None],
    ["a", "Khấu trừ tại nguồn", None, None, None, 6, 60, 50, None, None, None],
    ["-", "Quyết toán năm", None, None, None, 4, 40, 40, None, None, None],
    ["2", "Thu từ quỹ đất công ích, hoa lợi công sản", None, "-", 110, "-", 50, 40, 45.5, 125.0, None],
    ["3", "Thu khác ngân sách", "4900", 34.5, None, 0, 0, 0, 0.0, -12.5, None],
    ["II", "Thu bổ sung từ ngân sách cấp trên", None, 500, 500, 40, 400, 380, 80.0, 105.3,
     "Không tính vào thu trên địa bàn"],
]
TOP = ["STT", "Nội dung thu", "Mã mục", "Dự toán năm 2025", None, "Thực hiện tháng", "Lũy kế từ đầu năm",
       "Cùng kỳ năm trước", "So sánh (%)", None, "Ghi chú"]
SUB = [None, None, None, "Pháp lệnh", "HĐND giao", None, None, None, "Lũy kế so dự toán", "Lũy kế so cùng kỳ",
       None]
RULER = ["A", "B", "C", "1", "2", "3", "4", "5", "6=4/2", "7=4/5", "8"]
MERGES = ["D{h}:E{h}", "I{h}:J{h}", "A{h}:A{s}", "B{h}:B{s}", "C{h}:C{s}", "F{h}:F{s}", "G{h}:G{s}",
          "H{h}:H{s}", "K{h}:K{s}"]
FOOTER = [[], [None, None, None, None, None, None, "Chu Văn An, ngày 05 tháng 1 năm 2026"],
          ["Người lập biểu", None, None, None, None, None, "Thủ trưởng đơn vị"]]


def vi_number(x) -> str:
    """A number as Vietnamese display text: 1.234,5; (12,5) for negatives."""
    if not isinstance(x, int | float):
        return "" if x is None else str(x)
    text = f"{abs(x):,.1f}" if not float(x).is_integer() else f"{abs(x):,.0f}"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"({text})" if x < 0 else text


def tax_sheet(*, unit="Đơn vị tính: Triệu đồng", period="Tháng 12 năm 2025", rows=ROWS, ruler=RULER,
              text=None, numbers=None):
    """(rows, merges) of the tax sheet; `text` maps every string, `numbers` renders numeric cells."""
    out = [["UBND PHƯỜNG CHU VĂN AN", None, None, None, None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
           ["THUẾ CƠ SỞ 10 THÀNH PHỐ HẢI PHÒNG", None, None, None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
           [], ["BÁO CÁO TÌNH HÌNH THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN PHƯỜNG CHU VĂN AN"], [period],
           [None] * 10 + [unit] if unit else []]
    h = len(out) + 1
    out += [TOP, SUB, ruler] + [list(r) for r in rows] + FOOTER
    merges = [m.format(h=h, s=h + 1) for m in MERGES]
    converted = []
    for row in out:
        new = []
        for v in row:
            if isinstance(v, str) and text:
                v = text(v)
            elif isinstance(v, int | float) and numbers:
                v = numbers(v)
            new.append(v)
        converted.append(new)
    return converted, merges


def write_xlsx(path: Path, sheets: dict[str, tuple[list[list], list[str]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, (rows, merges) in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, 1):
            for c, v in enumerate(row, 1):
                if v is not None:
                    ws.cell(row=r, column=c, value=v)
        for rng in merges:
            ws.merge_cells(rng)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], *, encoding: str, delimiter: str) -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    text = buf.getvalue()
    if encoding == "cp1258":  # the Vietnamese Windows code page composes tones: write it decomposed
        text = unicodedata.normalize("NFD", text)
    path.write_bytes(text.encode(encoding, errors="replace"))
    return path


def write_html(path: Path, rows: list[list]) -> Path:
    """The tax sheet as an HTML table saved as .xls (header with rowspan/colspan, numbers as vi text)."""
    def td(v, extra=""):
        return f"<td{extra}>{'' if v is None else v}</td>"
    parts = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8">',
             "<style>td{mso-number-format:\\@}</style></head><body><table border=1>"]
    for row in rows[:6]:
        parts.append("<tr>" + "".join(td(v) for v in row) + "</tr>")
    parts.append("<tr>" + td("STT", ' rowspan="2"') + td("Nội dung thu", ' rowspan="2"') + td("Mã mục", ' rowspan="2"')
                 + td("Dự toán năm 2025", ' colspan="2"') + td("Thực hiện<br>tháng", ' rowspan="2"')
                 + td("Lũy kế từ đầu năm", ' rowspan="2"') + td("Cùng kỳ năm trước", ' rowspan="2"')
                 + td("So sánh (%)", ' colspan="2"') + td("Ghi chú", ' rowspan="2"') + "</tr>")
    parts.append("<tr>" + "".join(td(x) for x in ["Pháp lệnh", "HĐND giao", "Lũy kế so dự toán",
                                                  "Lũy kế so cùng kỳ"]) + "</tr>")
    for row in rows[8:]:
        parts.append("<tr>" + "".join(td(v) for v in row) + "</tr>")
    parts.append("</table></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


BIEU06_TOP = ["STT", "Lĩnh vực, công việc giải quyết theo cấp", "Số hồ sơ nhận giải quyết", None, None, None,
              "Số hồ sơ đã giải quyết", None, None, None, "Số lượng hồ sơ đang giải quyết", None, None]
BIEU06_MID = [None, None, "Tổng số", "Trong đó", None, None, "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn",
              "Tổng số", "Trong hạn", "Quá hạn"]
BIEU06_LOW = [None, None, None, "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", None, None, None,
              None, None, None, None]
# nhận: tổng = trực tuyến + trực tiếp + kỳ trước; đã giải quyết: tổng = trước + đúng + quá
BIEU06_ROWS = [
    ["1", "Hộ tịch", 120, 90, 25, 5, 110, 60, 45, 5, 10, 9, 1],
    ["2", "Chứng thực", 200, 40, 160, 0, 200, 150, 50, 0, 0, 0, 0],
    ["3", "Đất đai", 30, 6, 14, 10, 18, 4, 8, 6, 12, 7, 5],
    [None, "Tổng số", 350, 136, 199, 15, 328, 214, 103, 11, 22, 16, 6],
]

BAD_BIEU06_ROW = ["2", "Chứng thực", 200, 40, 150, 0, 200, 150, 50, 0, 0, 0, 0]   # 40 + 150 + 0 = 190, not 200


def bieu06_sheet(rows=BIEU06_ROWS, range_text="(Từ ngày 01/12/2025 đến ngày 31/12/2025)"):
    out = [["UBND PHƯỜNG CHU VĂN AN", None, None, None, None, None, None, "Biểu số 06/VPCP/KSTT"], [],
           ["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"], [range_text],
           [None] * 10 + ["Đơn vị tính: Số hồ sơ TTHC"], BIEU06_TOP, BIEU06_MID, BIEU06_LOW,
           [str(i) for i in range(1, 14)]] + [list(r) for r in rows] + [[], ["Người lập biểu"]]
    merges = ["A6:A8", "B6:B8", "C6:F6", "G6:J6", "K6:M6", "C7:C8", "D7:F7", "G7:G8", "H7:H8", "I7:I8", "J7:J8",
              "K7:K8", "L7:L8", "M7:M8"]
    return out, merges


DOSSIER_HEADER = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "KenhThucHien", "NgayTiepNhan",
                  "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo", "DonViXuLy",
                  "DuocThanhToanTrucTuyen", "TongPhiLePhi"]
# received in Dec: A B C (online: A C); finished in Dec: A (on time), B (late), D (received in Nov, on time)
DOSSIERS = [
    ["000.00.10549-251201-0001", "1.001022", "Xác nhận tình trạng hôn nhân", "HT", "Hộ tịch", 4, 2,
     "01/12/2025 08:00:00", "03/12/2025 17:00:00", "02/12/2025 10:00:00", "02/12/2025 15:00:00", "", 10,
     "UBND phường Chu Văn An", "true", 15000],
    ["000.00.10549-251202-0002", "2.000815", "Chứng thực bản sao từ bản chính, Việt Nam", "CT", "Chứng thực", 3, 1,
     "02/12/2025 09:00:00", "04/12/2025 17:00:00", "05/12/2025 09:00:00", "", "", 9,
     "UBND phường Chu Văn An", "false", 6000],
    ["000.00.10549-251210-0003", "1.001022", "Xác nhận tình trạng hôn nhân", "HT", "Hộ tịch", 4, 2,
     "10/12/2025 08:00:00", "12/12/2025 17:00:00", "", "", "", 4, "UBND phường Chu Văn An", "false", 0],
    ["000.00.10549-251128-0004", "1.001022", "Xác nhận tình trạng hôn nhân", "HT", "Hộ tịch", 4, 3,
     "28/11/2025 08:00:00", "02/12/2025 17:00:00", "01/12/2025 16:00:00", "", "", 10,
     "UBND phường Chu Văn An", "false", 0],
]


def cases() -> dict[str, callable]:
    """Case name -> writer(path stem) returning the written path."""
    def nfd(s):
        return unicodedata.normalize("NFD", s)

    def unit(text):
        return lambda d: write_xlsx(d / f"tax_unit_{text[0]}.xlsx", {"Thu NSNN": tax_sheet(unit=text[1])})

    units = {
        "trieu_dong_lowercase": "Đơn vị tính: triệu đồng",
        "tr_dong_abbrev": "ĐVT: Tr.đồng",
        "tieu_dong_misspelt": "Đơn vị tính: Tiệu đồng",
        "trieu_dong_no_accent_d": "Đơn vị tính: Triệu dồng",
        "nghin_dong": "Đơn vị tính: Nghìn đồng",
        "1000_dong": "Đơn vị tính: 1.000 đồng",
        "1000000_dong": "Đơn vị tính: 1.000.000 đồng",
        "ty_dong": "Đơn vị tính: Tỷ đồng",
        "dong": "Đơn vị tính: đồng",
        "parenthesised": "(Đơn vị tính: Triệu đồng)",
        "nfd": nfd("Đơn vị tính: Triệu đồng"),
        "bare_don_vi_money": "Đơn vị: triệu đồng",
        "trieu_vnd": "ĐVT: triệu VNĐ",
    }
    out = {
        "tax_xlsx_baseline": lambda d: write_xlsx(d / "tax_xlsx_baseline.xlsx", {"Thu NSNN": tax_sheet()}),
        "tax_xlsx_named_xls": lambda d: write_xlsx(d / "tax_xlsx_named_xls.xls", {"Thu NSNN": tax_sheet()}),
        "tax_html_named_xls": lambda d: write_html(d / "tax_html_named_xls.xls", tax_sheet(numbers=vi_number)[0]),
        "tax_csv_utf8_bom": lambda d: write_csv(d / "tax_csv_utf8_bom.csv", tax_sheet(numbers=vi_number)[0],
                                                encoding="utf-8-sig", delimiter=","),
        "tax_csv_utf16_tab": lambda d: write_csv(d / "tax_csv_utf16_tab.csv", tax_sheet(numbers=vi_number)[0],
                                                 encoding="utf-16", delimiter="\t"),
        "tax_text_nfd": lambda d: write_xlsx(d / "tax_text_nfd.xlsx", {"Thu NSNN": tax_sheet(text=nfd)}),
        "tax_font_tcvn3": lambda d: write_xlsx(d / "tax_font_tcvn3.xlsx", {"Thu NSNN": tax_sheet(
            text=lambda s: from_unicode(s, "tcvn3"))}),
        "tax_font_vni": lambda d: write_xlsx(d / "tax_font_vni.xlsx", {"Thu NSNN": tax_sheet(
            text=lambda s: from_unicode(s, "vni"))}),
        "tax_numbers_as_vi_text": lambda d: write_xlsx(d / "tax_numbers_as_vi_text.xlsx", {"Thu NSNN": tax_sheet(
            numbers=vi_number)}),
        "tax_ruler_parenthesised": lambda d: write_xlsx(d / "tax_ruler_parenthesised.xlsx", {"Thu NSNN": tax_sheet(
            ruler=[f"({i})" for i in range(1, 12)])}),
        "tax_unit_line_missing": lambda d: write_xlsx(d / "tax_unit_line_missing.xlsx",
                                                      {"Thu NSNN": tax_sheet(unit=None)}),
        "tax_unit_line_names_organisation": lambda d: write_xlsx(
            d / "tax_unit_line_names_organisation.xlsx",
            {"Thu NSNN": tax_sheet(unit="Đơn vị: UBND phường Chu Văn An")}),
        "tax_text_in_money_cell": lambda d: write_xlsx(d / "tax_text_in_money_cell.xlsx", {"Thu NSNN": tax_sheet(
            rows=[*ROWS[:2], [*ROWS[2][:6], "1.200,5 tr", *ROWS[2][7:]], *ROWS[3:]])}),
        "tax_column_missing": lambda d: write_xlsx(d / "tax_column_missing.xlsx", {"Thu NSNN": (
            [[c.replace("Lũy kế từ đầu năm", "Lũy kế") if isinstance(c, str) else c for c in r]
             for r in tax_sheet()[0]], tax_sheet()[1])}),
        "tax_period_other_month": lambda d: write_xlsx(d / "tax_period_other_month.xlsx",
                                                       {"Thu NSNN": tax_sheet(period="Tháng 11 năm 2025")}),
        "tax_ambiguous_thousands": lambda d: write_xlsx(d / "tax_ambiguous_thousands.xlsx", {"Thu NSNN": tax_sheet(
            rows=[*ROWS[:7], [*ROWS[7][:3], "1.250", *ROWS[7][4:]], *ROWS[8:]])}),
        "bieu06_three_row_header": lambda d: write_xlsx(d / "bieu06_three_row_header.xlsx",
                                                        {"Biểu 06": bieu06_sheet()}),
        "bieu06_parts_do_not_add_up": lambda d: write_xlsx(d / "bieu06_parts_do_not_add_up.xlsx", {
            "Biểu 06": bieu06_sheet(rows=[*BIEU06_ROWS[:1], BAD_BIEU06_ROW, *BIEU06_ROWS[2:]])}),
        "bieu06_half_month": lambda d: write_xlsx(d / "bieu06_half_month.xlsx", {"Biểu 06": bieu06_sheet(
            range_text="(Từ ngày 01/12/2025 đến ngày 15/12/2025)")}),
        "dossiers_csv_utf8_bom": lambda d: write_csv(d / "dossiers_csv_utf8_bom.csv", [DOSSIER_HEADER] + DOSSIERS,
                                                     encoding="utf-8-sig", delimiter=","),
        "dossiers_csv_utf16_tab": lambda d: write_csv(d / "dossiers_csv_utf16_tab.csv", [DOSSIER_HEADER] + DOSSIERS,
                                                      encoding="utf-16", delimiter="\t"),
        "dossiers_csv_not_utf8": lambda d: write_csv(d / "dossiers_csv_not_utf8.csv", [DOSSIER_HEADER] + DOSSIERS,
                                                     encoding="cp1258", delimiter=","),
    }
    for key, text in units.items():
        out[f"tax_unit_{key}"] = unit((key, text))
    return out


def make_biff_xls(d: Path) -> Path:
    """tax_biff8.xls: the baseline converted to Excel 97-2003 by LibreOffice (a throw-away profile)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is needed to write the BIFF8 .xls case")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "tax_biff8.xlsx"
        shutil.copy(d / "tax_xlsx_baseline.xlsx", src)
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "xls",
                        "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=120)
        shutil.copy(Path(tmp) / "tax_biff8.xls", d / "tax_biff8.xls")
    return d / "tax_biff8.xls"


def main() -> int:
    """Rewrite tests/data/corpus/ (every case, then the BIFF8 conversion)."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    for name, writer in cases().items():
        path = writer(OUT)
        print(f"{name}: {path.name}")
    print(f"tax_biff8: {make_biff_xls(OUT).name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
