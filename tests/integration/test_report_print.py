"""The council's report as printed: `thidua report` over a real warehouse, rendered to PDF by LibreOffice
(one conversion for every file of the module) and read back with poppler (`pdftotext -bbox-layout` for
where each word and line sits, `pdftoppm` for the table's ruled grid and the header's rules).

Checked on two months of the real plan's 20 targets (long names and notes that wrap): November, every
source delivered, and December, whose tax report was quarantined:

- no two text lines overlap, and every word of the table lies inside its cell (the column and the row
  the PDF's grid lines draw around it);
- the header block of Nghị định 30/2020/NĐ-CP: issuing bodies, national name, motto, each rule under
  its line (issuer: a third to a half of the line, motto: as long as the line);
- December names the quarantined tax report and what the report shows instead; November has no notice;
- the second sheet lists the figures used with their file, sheet and cell.

A control file whose rows are too short for their text proves the overlap checks can fail.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from typer.testing import CliRunner

from connectors.observations import observation, observation_frame
from reports.excel import SOURCES_TITLE
from tests.helpers import Env
from warehouse import attainment, catalogue, db, load, models

UNIT = "10549"
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
TAX_FILE = "bao-cao-thu-nsnn-{m}-2025.xlsx"
# the quarantined December tax report was returned on 05/01/2026 at 10:00 in Vietnam (03:00 UTC)
RETURNED_AT = dt.datetime(2026, 1, 5, 3, 0, tzinfo=dt.UTC)
TAX_NAME = "Báo cáo thu NSNN trên địa bàn (Thuế cơ sở 10 TP Hải Phòng)"  # catalogue/ke-hoach-2025-10549.yaml
NOTICE = (f"Lưu ý về nguồn số liệu: {TAX_NAME} tháng 12/2025 bị trả lại ngày 05/01/2026; chỉ tiêu 1a, 1b "
          "tính theo số liệu đến tháng 11/2025, chờ báo cáo gửi lại.")
LONG_NOTE = ("Cần thêm 38,0 tỷ đồng thu ngân sách đến hết tháng 12 để đạt mức tăng 8%; các khoản thu tiền sử dụng "
             "đất và lệ phí trước bạ chưa đạt dự toán, đề nghị Thuế cơ sở 10 phối hợp đôn đốc")


def _figures(source: str, month: int) -> list[dict]:
    """The figures of one delivery (by hand; lineage as a connector would record it)."""
    period = f"2025-{month:02d}"
    if source == "tax":
        file = TAX_FILE.format(m=month)
        return [observation("REV_YTD", UNIT, period, member_code="TONG", value=3_512_800_000.0, source_file=file,
                            sheet="Biểu 01", row_number=14, column_name="Lũy kế", raw_text="3.512,8"),
                observation("REV_PRIOR_YTD", UNIT, period, member_code="TONG", value=3_224_100_000.0,
                            source_file=file, sheet="Biểu 01", row_number=14, column_name="Cùng kỳ",
                            raw_text="3.224,1"),
                observation("REV_YTD", UNIT, period, member_code="I.1", value=1_200_000_000.0, source_file=file,
                            sheet="Biểu 01", row_number=15, column_name="Lũy kế", raw_text="1.200,0"),
                observation("REV_ESTIMATE_COUNCIL", UNIT, period, member_code="I.1", value=1_100_000_000.0,
                            source_file=file, sheet="Biểu 01", row_number=15, column_name="Dự toán HĐND",
                            raw_text="1.100,0"),
                # a line of section II and a figure no target reads: never listed as used
                observation("REV_YTD", UNIT, period, member_code="II.1", value=5e8, source_file=file,
                            sheet="Biểu 01", row_number=30, column_name="Lũy kế", raw_text="500,0"),
                observation("REV_MONTH", UNIT, period, member_code="TONG", value=3e8, source_file=file,
                            sheet="Biểu 01", row_number=14, column_name="Thực hiện tháng", raw_text="300,0")]
    if source == "indicators":
        file = f"chi-tieu-khac-{month}-2025.xlsx"
        visits = {11: 94000, 12: 101250}[month]
        return [observation("LUOT_KHACH", UNIT, period, value=float(visits), source_file=file, sheet="Chỉ tiêu",
                            row_number=12, column_name="Lũy kế", raw_text=f"{visits:,}".replace(",", ".")),
                observation("HO_NGHEO", UNIT, period, numerator=105.0, denominator=15612.0, value=0.6725,
                            source_file=file, sheet="Chỉ tiêu", row_number=9, column_name="Thực hiện",
                            raw_text="0,6725")]
    if source == "public_service":
        return [observation("DOSSIER_ON_TIME", UNIT, period, numerator=996.0, denominator=1000.0, value=99.6,
                            source_file=f"ho-so-{month}-2025.json", column_name="NgayKetThucXuLy")]
    indicator = {"health": "HEALTH_STATION_STANDARD", "education": "SCHOOL_STANDARD"}[source]
    return [observation(indicator, UNIT, period, value=100.0, source_file=f"{source}-{month}-2025.xlsx",
                        sheet="Danh sách", row_number=7, column_name="Kết luận", raw_text="Đạt")]


STATUSES = {"CT01a": "met", "CT01b": "behind", "CT04": "met", "CT07": "behind", "CT08b": "not_met",
            "CT09": "met", "CT13": "no_data"}


def _judgements(targets: pd.DataFrame, month: int, loads: dict) -> pd.DataFrame:
    period = f"2025-{month:02d}"
    rows = []
    for t in targets.to_dict("records"):
        code, source = t["target_code"], t["source_code"]
        load_id, used = loads[(source, month)] if (source, month) in loads else loads[(source, month - 1)]
        unit = t["display_unit"]
        value = {"CT04": 0.6725, "CT09": 101250.0 if month == 12 else 94000.0, "CT12": 1.0}.get(code, 95.25)
        status = STATUSES.get(code, "exceeded" if t["comparison"] == "band" else "met")
        gap = LONG_NOTE if code in ("CT01a", "CT07", "CT13", "CT02b") else (
            "Không còn khả năng đạt 100% trong năm: lũy kế đã có 4 hồ sơ trễ hạn" if code == "CT08b" else "")
        rows.append({"target_code": code, "unit_code": UNIT, "period": period,
                     "value": None if status == "no_data" else value, "numerator": None, "denominator": None,
                     "bound_low": t["bound_low"], "bound_high": t["bound_high"], "comparison": t["comparison"],
                     "status": status, "inputs": [] if status == "no_data" else
                     [{"source": source, "load_id": load_id, "period": used}],
                     "detail": "", "outlook_value": None if status == "no_data" else value,
                     "outlook_status": status, "outlook_method": "final", "outlook_detail": "", "gap_value": None,
                     "gap_text": gap if unit is not None else ""})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, catalogue_path):
    """The real plan; every source delivered in November; in December all but the tax report, which was
    quarantined (November's stays the latest tax figure); both months judged."""
    work = tmp_path_factory.mktemp("report-print")
    url = f"sqlite:///{work / 'warehouse.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        plan = catalogue.read_catalogue(catalogue_path)
        plan_id = catalogue.load_catalogue(engine, plan)
        loads = {}
        for month in (11, 12):
            for source in ("tax", "public_service", "health", "education", "indicators"):
                period = f"2025-{month:02d}"
                if (source, month) == ("tax", 12):
                    quarantined = load.record_rejected_delivery(
                        engine, source_code="tax", unit_code=UNIT, period=period, fingerprint="f" * 64,
                        file_name=TAX_FILE.format(m=12), flow_run_id="r", rows_read=20, validation={"success": False},
                        message="tax:10549:2025-12: [error] tax.parent_equals_children: 1 row(s) failed")
                    with engine.begin() as conn:
                        conn.execute(sa.update(models.loads).where(models.loads.c.load_id == quarantined)
                                     .values(started_at=RETURNED_AT, finished_at=RETURNED_AT))
                    continue
                result = load.load_delivery(
                    engine, source_code=source, unit_code=UNIT, period=period,
                    fingerprint=uuid.uuid4().hex * 2, file_name=f"{source}-{period}.xlsx", flow_run_id="r",
                    rows_read=5, observations=observation_frame(_figures(source, month)))
                loads[(source, month)] = (result.load_id, period)
        for month in (11, 12):
            attainment.save_evaluations(engine, plan_id, _judgements(plan.targets, month, loads), "r",
                                        evaluated_at=dt.datetime(2025 + month // 12, month % 12 + 1, 6, 2,
                                                                 tzinfo=dt.UTC))
    finally:
        engine.dispose()
    return {"THIDUA_DATA_DIR": work, "THIDUA_WAREHOUSE_URL": url, "THIDUA_UNIT": UNIT, "loads": loads}


def run_cli(env, *args):
    from flows.cli import app

    with Env(**{k: v for k, v in env.items() if k.startswith("THIDUA_")}):
        return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def reports(warehouse, tmp_path_factory):
    """The two months' workbooks, a control with rows too short, and their PDFs from ONE LibreOffice run."""
    out = tmp_path_factory.mktemp("printed")
    paths = {}
    for month, day in ((11, "2025-12-08"), (12, "2026-01-08")):
        path = out / f"bao-cao-2025-{month}.xlsx"
        result = run_cli(warehouse, "report", "--period", f"2025-{month:02d}", "--out", str(path), "--date", day)
        assert result.exit_code == 0, result.output
        paths[month] = path
    # the control: December with every row one line high (openpyxl drops the drawn rules; not checked there)
    control = load_workbook(paths[12])
    for ws in control.worksheets:
        for dim in ws.row_dimensions.values():
            dim.height = 15
    paths["control"] = out / "control-rows-too-short.xlsx"
    control.save(paths["control"])
    profile = out / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(out), *map(str, paths.values())],
                   check=True, capture_output=True, timeout=240)
    pdfs = {key: path.with_suffix(".pdf") for key, path in paths.items()}
    assert all(p.is_file() for p in pdfs.values()), list(out.iterdir())
    return {"xlsx": paths, "pdf": pdfs}


# ------------------------------------------------------------------ reading the PDF back

_NS = {"x": "http://www.w3.org/1999/xhtml"}


def read_pages(pdf: Path) -> list[dict]:
    """Per page: its size and text lines, each with its box and words (pdftotext -bbox-layout)."""
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                          timeout=60).stdout.decode("utf-8")
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", html))
    pages = []
    for page in root.iter(f"{{{_NS['x']}}}page"):
        lines = []
        for line in page.iter(f"{{{_NS['x']}}}line"):
            words = [{"text": w.text or "", **{k: float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")}}
                     for w in line.iter(f"{{{_NS['x']}}}word")]
            box = {k: float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")}
            lines.append({**box, "words": words, "text": " ".join(w["text"] for w in words)})
        pages.append({"width": float(page.get("width")), "height": float(page.get("height")), "lines": lines})
    return pages


def page_text(page: dict) -> str:
    return " ".join(line["text"] for line in page["lines"])


DPI = 144


def page_image(pdf: Path, page_no: int, tmp: Path):
    """Page ``page_no`` (1-based) as a grey image: rows of pixel values, DPI/72 pixels per point."""
    import numpy as np

    prefix = tmp / f"{pdf.stem}-p{page_no}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-f", str(page_no), "-l", str(page_no), "-singlefile",
                    str(pdf), str(prefix)], check=True, capture_output=True, timeout=60)
    data = Path(f"{prefix}.pgm").read_bytes()
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    width, height = int(match.group(1)), int(match.group(2))
    return np.frombuffer(data[match.end():match.end() + width * height], dtype=np.uint8).reshape(height, width)


def _longest_runs(mask, axis: int):
    """For each column (axis=0) or row (axis=1) of a boolean mask, the longest run of True."""
    import numpy as np

    m = mask if axis == 0 else mask.T
    best = np.zeros(m.shape[1], dtype=int)
    current = np.zeros(m.shape[1], dtype=int)
    for row in m:
        current = np.where(row, current + 1, 0)
        best = np.maximum(best, current)
    return best


def _positions(indices) -> list[float]:
    """Pixel indices of a line (a few pixels thick) merged into one position each."""
    groups: list[list[int]] = []
    for i in indices:
        if groups and i - groups[-1][-1] <= 2:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    return [sum(g) / len(g) for g in groups]


def table_grid(image) -> tuple[list[float], list[float]]:
    """The table's ruled grid in points: x of its vertical lines, y of its horizontal lines."""
    import numpy as np

    dark = image < 128
    scale = DPI / 72
    vertical = np.nonzero(_longest_runs(dark, 0) >= 60 * scale)[0]
    xs = _positions(vertical)
    assert len(xs) >= 2, "no table grid found"
    left, right = int(xs[0]), int(xs[-1])
    horizontal = np.nonzero(_longest_runs(dark[:, left:right + 1], 1) >= 0.9 * (right - left))[0]
    ys = _positions(horizontal)
    return [x / scale for x in xs], [y / scale for y in ys]


def _cell_of(box: dict, xs: list[float], ys: list[float]):
    """The grid cell (column, row index) a box's centre lies in; None outside the table."""
    cx, cy = (box["xMin"] + box["xMax"]) / 2, (box["yMin"] + box["yMax"]) / 2
    if not (xs[0] < cx < xs[-1] and ys[0] < cy < ys[-1]):
        return None
    return sum(x <= cx for x in xs), sum(y <= cy for y in ys)


def overlapping_lines(page: dict, xs: list[float], ys: list[float], tol: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of text lines whose boxes intersect (shrunk by ``tol`` points on each side), unless both are
    lines of one table cell (the glyph boxes of a wrapped cell's lines may touch: they are one paragraph)."""
    found = []
    lines = [(line, _cell_of(line, xs, ys)) for line in page["lines"]]
    for i, (a, cell_a) in enumerate(lines):
        for b, cell_b in lines[i + 1:]:
            if cell_a is not None and cell_a == cell_b:
                continue
            if (min(a["xMax"], b["xMax"]) - max(a["xMin"], b["xMin"]) > 2 * tol
                    and min(a["yMax"], b["yMax"]) - max(a["yMin"], b["yMin"]) > 2 * tol):
                found.append((a["text"], b["text"]))
    return found


def words_outside_cells(page: dict, xs: list[float], ys: list[float], tol: float = 1.0) -> list[str]:
    """Words of the table not inside the grid cell their centre lies in (in points)."""
    bad = []
    for line in page["lines"]:
        for w in line["words"]:
            cx, cy = (w["xMin"] + w["xMax"]) / 2, (w["yMin"] + w["yMax"]) / 2
            if not (xs[0] < cx < xs[-1] and ys[0] < cy < ys[-1]):
                continue
            left = max(x for x in xs if x <= cx)
            right = min(x for x in xs if x > cx)
            top = max(y for y in ys if y <= cy)
            bottom = min(y for y in ys if y > cy)
            if w["xMin"] < left - tol or w["xMax"] > right + tol or w["yMin"] < top - tol or w["yMax"] > bottom + tol:
                bad.append(f"{w['text']!r} at x {w['xMin']:.1f}-{w['xMax']:.1f}, y {w['yMin']:.1f}-{w['yMax']:.1f} "
                           f"(cell x {left:.1f}-{right:.1f}, y {top:.1f}-{bottom:.1f})")
    return bad


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("month", [11, 12])
def test_printed_lines_never_overlap_and_stay_in_their_cells(reports, month, tmp_path):
    pdf = reports["pdf"][month]
    pages = read_pages(pdf)
    assert len(pages) >= 2  # the report and its sources sheet
    for number, page in enumerate(pages, 1):
        assert page["width"] > page["height"]  # A4 landscape
        xs, ys = table_grid(page_image(pdf, number, tmp_path))
        assert len(ys) >= 3, f"page {number}: no table rows found"
        assert overlapping_lines(page, xs, ys) == [], f"page {number}"
        assert words_outside_cells(page, xs, ys) == [], f"page {number}"
    xs, _ = table_grid(page_image(pdf, 1, tmp_path))
    assert len(xs) == 10  # nine columns


def test_the_checks_see_rows_too_short_for_their_text(reports, tmp_path):
    pdf = reports["pdf"]["control"]
    page = read_pages(pdf)[0]
    xs, ys = table_grid(page_image(pdf, 1, tmp_path))
    assert overlapping_lines(page, xs, ys) or words_outside_cells(page, xs, ys)


def _line(page, text):
    found = [line for line in page["lines"] if line["text"] == text]
    assert found, f"{text!r} not a line of the page: {[line['text'] for line in page['lines'][:12]]}"
    return found[0]


def test_header_block_of_nd30_with_its_rules(reports, tmp_path):
    import numpy as np

    pdf = reports["pdf"][12]
    pages = read_pages(pdf)
    page = pages[0]
    parent = _line(page, "UBND THÀNH PHỐ HẢI PHÒNG")
    issuer = _line(page, "UBND PHƯỜNG CHU VĂN AN")
    nation = _line(page, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    motto = _line(page, "Độc lập - Tự do - Hạnh phúc")
    number = _line(page, "Số:")
    date_line = _line(page, "Chu Văn An, ngày 08 tháng 01 năm 2026")
    assert parent["yMax"] <= issuer["yMin"] < number["yMin"] and nation["yMax"] <= motto["yMin"] < date_line["yMin"]
    assert issuer["xMax"] < nation["xMin"]  # issuing body left, national name right

    image = page_image(pdf, 1, tmp_path)
    scale = DPI / 72
    xs, ys = table_grid(image)
    dark = image[: int(ys[0] * scale)] < 128

    def rule_under(line, below):
        """(x from, x to) in points of the longest horizontal dark run between two text lines."""
        band = dark[int(line["yMax"] * scale) + 1: int(below["yMin"] * scale) - 1,
                    int((line["xMin"] - 40) * scale): int((line["xMax"] + 40) * scale)]
        assert band.size, "no room between the lines"
        best = (0, 0, 0)
        for row in band:
            padded = np.concatenate([[False], row, [False]]).astype(int)
            edges = np.flatnonzero(np.diff(padded))
            for start, end in zip(edges[::2], edges[1::2], strict=True):
                if end - start > best[1] - best[0]:
                    best = (start, end, 0)
        origin = line["xMin"] - 40
        return origin + best[0] / scale, origin + best[1] / scale

    def centre(a, b):
        return (a + b) / 2

    start, end = rule_under(issuer, number)
    width = issuer["xMax"] - issuer["xMin"]
    assert width / 3 - 3 <= end - start <= width / 2 + 3, (start, end, width)
    assert abs(centre(start, end) - centre(issuer["xMin"], issuer["xMax"])) <= 6
    start, end = rule_under(motto, date_line)
    width = motto["xMax"] - motto["xMin"]
    assert 0.85 * width <= end - start <= 1.2 * width, (start, end, width)
    assert abs(centre(start, end) - centre(motto["xMin"], motto["xMax"])) <= 6
    text = " ".join(page_text(p) for p in pages)  # the table runs onto a second page
    for words in ("Nơi nhận:", "- UBND thành phố Hải Phòng (để báo cáo);", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH",
                  "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THI ĐUA NĂM 2025",
                  "Đơn vị báo cáo: Phường Chu Văn An, thành phố Hải Phòng (mã đơn vị 10549)"):
        assert words in text, words


def test_quarantined_tax_report_is_named_with_what_waits(reports):
    december = page_text(read_pages(reports["pdf"][12])[0])
    assert NOTICE in december
    november = page_text(read_pages(reports["pdf"][11])[0])
    assert "Lưu ý về nguồn số liệu" not in november and "bị trả lại" not in november
    # lower is better: the poverty rate's gap to its ceiling in words (1 - 0,6725 = 0,3275 points)
    assert "Thấp hơn ngưỡng 0,33 điểm %" in december


def test_sources_sheet_lists_each_figure_with_its_cell(reports, warehouse):
    ws = load_workbook(reports["xlsx"][12])[SOURCES_TITLE]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    tax_nov = warehouse["loads"][("tax", 11)][0]
    visits_dec = warehouse["loads"][("indicators", 12)][0]
    file = TAX_FILE.format(m=11)
    name_1a = "Thu ngân sách nhà nước trên địa bàn tăng từ 8% - 10%"
    name_1b = "100% các khoản thu hoàn thành và hoàn thành vượt mức dự toán năm 2025"
    assert [r for r in rows if r[0] in ("1a", "1b")] == [
        ["1a", name_1a, "REV_PRIOR_YTD (TONG)", "11/2025", "3.224,1", file, "Biểu 01", "dòng 14, cột “Cùng kỳ”",
         str(tax_nov)],
        ["1a", name_1a, "REV_YTD (TONG)", "11/2025", "3.512,8", file, "Biểu 01", "dòng 14, cột “Lũy kế”", str(tax_nov)],
        ["1b", name_1b, "REV_ESTIMATE_COUNCIL (I.1)", "11/2025", "1.100,0", file, "Biểu 01",
         "dòng 15, cột “Dự toán HĐND”", str(tax_nov)],
        ["1b", name_1b, "REV_YTD (I.1)", "11/2025", "1.200,0", file, "Biểu 01", "dòng 15, cột “Lũy kế”", str(tax_nov)],
    ]
    assert ["9", "Thu hút khách du lịch đạt 100.000 lượt khách", "LUOT_KHACH", "12/2025", "101.250",
            "chi-tieu-khac-12-2025.xlsx", "Chỉ tiêu", "dòng 12, cột “Lũy kế”", str(visits_dec)] in rows
    assert [r[5] for r in rows if r[0] == "13"] == ["Không có số liệu (Chưa có số liệu)"]
    # every target of the plan has its rows
    assert len({r[0] for r in rows if r[0]}) == 20
