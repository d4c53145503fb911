"""Tiny workbooks for connector tests, written with openpyxl into tmp_path."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook


def write_workbook(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """Write `sheets` (name -> rows, row 1 first; None = empty cell) and merge the given ranges."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


TAX_HEADER_TOP = ["STT", "Nội dung thu", "Mã mục", "Dự toán năm 2025", None, "Thực hiện tháng",
                  "Lũy kế từ đầu năm", "Cùng kỳ năm trước", "So sánh (%)", None, "Ghi chú"]
TAX_HEADER_SUB = [None, None, None, "Pháp lệnh", "HĐND giao", None, None, None, "Lũy kế so dự toán",
                  "Lũy kế so cùng kỳ", None]
TAX_RULER = ["A", "B", "C", "1", "2", "3", "4", "5", "6=4/2", "7=4/5", "8"]
TAX_MERGES = ["D{h}:E{h}", "I{h}:J{h}", "A{h}:A{s}", "B{h}:B{s}", "C{h}:C{s}", "F{h}:F{s}", "G{h}:G{s}",
              "H{h}:H{s}", "K{h}:K{s}"]


def tax_rows(data: list[list], *, blank_rows_above: int = 0, unit: str | None = "Đơn vị tính: Triệu đồng",
             footer: bool = True) -> tuple[list[list], list[str]]:
    """A tax sheet in the common layout around `data` rows; returns (rows, merges)."""
    rows: list[list] = [
        ["UBND PHƯỜNG CHU VĂN AN", None, None, None, None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        ["THUẾ CƠ SỞ 10 THÀNH PHỐ HẢI PHÒNG", None, None, None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
        [],
        ["BÁO CÁO TÌNH HÌNH THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN PHƯỜNG CHU VĂN AN"],
        ["Tháng 12 năm 2025"],
    ]
    rows += [[] for _ in range(blank_rows_above)]
    rows.append([None] * 10 + [unit] if unit else [])
    h = len(rows) + 1
    rows += [TAX_HEADER_TOP, TAX_HEADER_SUB, TAX_RULER]
    rows += data
    if footer:
        rows += [[], [None, None, None, None, None, "Chu Văn An, ngày 05 tháng 1 năm 2026"],
                 ["Người lập biểu", None, None, None, None, "Thủ trưởng đơn vị"]]
    merges = [m.format(h=h, s=h + 1) for m in TAX_MERGES]
    return rows, merges
