"""Messages that point at the cell (issue 15, points 3 and 4), through the real connectors and commands.

Every workbook here is built by the test with openpyxl from its own figures (million VND, written by
hand below), read by the real connector and checked by `thidua validate` (a dry run) or `thidua ingest`
(quarantine, HTML report, webhook alert). Expected messages are written by hand from those figures:

- the tax items' "Lũy kế từ đầu năm" add up to 18.600,0; section I's cell is edited to '18.613,8'
  (typed as Vietnamese text), a gap of 13,8 in the sheet's unit (million VND);
- row numbers are the spreadsheet's: rows 1-2 the header block, 3 empty, 4 the title, 5 the period line,
  6 the unit line, 7-8 the two header rows, 9 the ruler, then TỔNG (10), I (11), items 1-9 (12-20), II (21).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers import Env

PERIOD = "2025-10"

# --------------------------------------------------------------------------------------------- workbooks
TAX_TOP = ["STT", "Nội dung thu", "Mã mục", "Dự toán năm 2025", None, "Thực hiện tháng", "Lũy kế từ đầu năm",
           "Cùng kỳ năm trước", "So sánh (%)", None, "Ghi chú"]
TAX_SUB = [None, None, None, "Pháp lệnh", "HĐND giao", None, None, None, "Lũy kế so dự toán",
           "Lũy kế so cùng kỳ", None]
TAX_RULER = ["A", "B", "C", "1", "2", "3", "4", "5", "6=4/2", "7=4/5", "8"]
TAX_MERGES = ["D7:E7", "I7:J7", "A7:A8", "B7:B8", "C7:C8", "F7:F8", "G7:G8", "H7:H8", "K7:K8"]
# STT, label, Mã mục, Pháp lệnh, HĐND giao, Thực hiện tháng, Lũy kế, Cùng kỳ (million VND)
ITEMS = [
    ["1", "Thuế thu nhập cá nhân", "1000", 6000, 6600, 500, 5000, 4800],
    ["2", "Thuế sử dụng đất phi nông nghiệp", "1600", 4000, 4400, 320.5, 3200.5, 3000],
    ["3", "Lệ phí trước bạ", "2800", 3000, 3300, 250, 2500, 2400],
    ["4", "Thu tiền sử dụng đất", "1400", 2000, 2200, 180, 1800, 1700],
    ["5", "Thuế giá trị gia tăng", "1700", 1800, 2000, 150, 1500, 1400],
    ["6", "Thu tiền thuê đất", "3600", 1500, 1600, 120, 1200, 1100],
    ["7", "Phí, lệ phí", "2000", 1200, 1300, 100, 1000, 950],
    ["8", "Thu từ quỹ đất công ích, hoa lợi công sản", None, "-", 1000, "-", 900, 850],
    ["9", "Thu khác ngân sách", "4900", 1800, 1900, 149.5, 1499.5, 1400],
]
# the items added up by hand: Pháp lệnh 21.300, HĐND 24.300, tháng 1.770, lũy kế 18.600, cùng kỳ 17.600
TOTALS = [21300, 24300, 1770, 18600, 17600]
TRANSFER = ["II", "Thu bổ sung từ ngân sách cấp trên", None, 500, 500, 40, 400, 380]


def write_sheet(path, name, rows, merges=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = name
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def footer():
    return [[], [None, None, None, None, None, None, "Chu Văn An, ngày 05 tháng 11 năm 2025"],
            ["Người lập biểu", None, None, None, None, None, "Thủ trưởng đơn vị"]]


def tax_workbook(path, *, section_ytd=18600, transfer=None):
    """The revenue report of October 2025; `section_ytd` is what section I's Lũy kế cell holds."""
    def line(values):
        stt, label, code, *money = values
        return [stt, label, code, *money, None, None, None]

    rows = [["UBND PHƯỜNG CHU VĂN AN", None, None, None, None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
            ["THUẾ CƠ SỞ 10 THÀNH PHỐ HẢI PHÒNG", None, None, None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
            [], ["BÁO CÁO TÌNH HÌNH THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN PHƯỜNG CHU VĂN AN"],
            ["Tháng 10 năm 2025"], [None] * 10 + ["Đơn vị tính: Triệu đồng"],
            TAX_TOP, TAX_SUB, TAX_RULER,
            line([None, "TỔNG THU NSNN TRÊN ĐỊA BÀN", None, *TOTALS]),
            line(["I", "Thu nội địa", None, *TOTALS[:3], section_ytd, TOTALS[4]]),
            *[line(item) for item in ITEMS],
            line(transfer or TRANSFER)[:10] + ["Không tính vào thu trên địa bàn"],
            *footer()]
    return write_sheet(path, "Thu NSNN", rows, TAX_MERGES)


EDU_HEADER = ["STT", "Mã trường", "Tên trường", "Cấp học", "Loại hình", "Mức chuẩn quốc gia", "Cấp độ kiểm định",
              "Số QĐ công nhận", "Ngày QĐ", "Cơ quan công nhận", "Ngày hết hạn", "Trạng thái"]


def education_workbook(path, schools: int):
    """`schools` public schools, each recognised on 15/03/2023 with an expiry typed as 15/03/2022 (before
    the decision): rows 8 … 7 + schools each break one rule, in column K 'Ngày hết hạn'."""
    rows = [["UBND PHƯỜNG CHU VĂN AN", None, None, None, None, None, None, None,
             "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
            ["PHÒNG VĂN HÓA - XÃ HỘI", None, None, None, None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
            [], ["DANH SÁCH TRƯỜNG HỌC VÀ TÌNH HÌNH CÔNG NHẬN ĐẠT CHUẨN QUỐC GIA"], ["Tháng 10 năm 2025"],
            EDU_HEADER, ["A", "B", "C", "1", "2", "3", "4", "5", "6", "7", "8", "9"]]
    for n in range(1, schools + 1):
        rows.append([n, f"TH-{n:03d}", f"Trường Tiểu học số {n}", "Tiểu học", "Công lập", "Mức độ 1", 2,
                     f"{n}/QĐ-UBND", "15/03/2023", "UBND thành phố Hải Phòng", "15/03/2022", "Còn hiệu lực"])
    rows += footer()
    return write_sheet(path, "Danh sách trường", rows)


# ---------------------------------------------------------------------------------------------- helpers
@pytest.fixture()
def env(tmp_path):
    with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
             THIDUA_INBOX=tmp_path / "inbox", THIDUA_UNIT="10549") as e:
        yield e


def validate(source, path):
    return CliRunner().invoke(app, ["validate", "--source", source, "--period", PERIOD, "--file", str(path)])


def pair(output: str, vi: str, en: str) -> None:
    """`vi` (a regex) is a line of the output and `en` (a regex) the line right under it."""
    lines = output.splitlines()
    at = [k for k, line in enumerate(lines) if re.fullmatch(r"\s*- " + vi, line)]
    assert at, f"no line matching {vi!r} in:\n{output}"
    assert any(k + 1 < len(lines) and re.fullmatch(r"\s*" + en, lines[k + 1]) for k in at), \
        f"no line matching {en!r} under {vi!r} in:\n{output}"


def q(text: str) -> str:
    return re.escape(text)


# ------------------------------------------------------------------------------------------------ tests
def test_an_edited_year_to_date_cell_is_named_with_the_sum_of_its_parts_and_the_gap(env, tmp_path):
    path = tax_workbook(tmp_path / "bao-cao.xlsx", section_ytd="18.613,8")  # typed as Vietnamese text
    result = validate("tax", path)
    assert result.exit_code == 2, result.output
    out = result.output
    assert "FAILED" in out and "Traceback" not in out
    # the one total that disagrees with the items (section I, row 11), not TỔNG (which still agrees)
    assert "(tax.parent_equals_children) — 1 dòng" in out and "(tax.parent_equals_children) — 1 row(s)" in out
    pair(out,
         q("tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 11, ") + r"cột (G )?" + q("'Lũy kế từ đầu năm': gặp '18.613,8', "
         "cần bằng tổng các dòng chi tiết 18.600,0 (chênh 13,8)"),
         q("file bao-cao.xlsx, sheet 'Thu NSNN', row 11, column 'Lũy kế từ đầu năm'") + r"( \(G\))?"
         + q(": found '18.613,8', expected the sum of its parts 18,600.0 (difference 13.8)"))
    assert "dòng 10" not in out and "Thực hiện tháng': gặp" not in out
    assert "None" not in out and not re.search(r"\bnan\b", out, re.I)


def test_three_different_problems_are_all_printed(env, tmp_path):
    # section I's year to date edited (a sum), and the transfer line (never summed) with a month above its
    # year to date and a negative same-period figure: three rules, three cells
    path = tax_workbook(tmp_path / "bao-cao.xlsx", section_ytd="18.613,8",
                        transfer=["II", "Thu bổ sung từ ngân sách cấp trên", None, 500, 500, "600", 400, "-5"])
    out = validate("tax", path).output
    for rule in ("tax.parent_equals_children", "tax.month_within_ytd", "tax.cung_ky_vnd_not_negative"):
        assert rule in out, out
    pair(out, r".*dòng 11, cột (G )?'Lũy kế từ đầu năm': gặp '18\.613,8', cần bằng tổng các dòng chi tiết "
              r"18\.600,0 \(chênh 13,8\)", r".*row 11, column 'Lũy kế từ đầu năm'( \(G\))?: found '18\.613,8', "
              r"expected the sum of its parts 18,600\.0 \(difference 13\.8\)")
    pair(out, r".*dòng 21, cột (F )?'Thực hiện tháng': gặp '600', cần không vượt lũy kế từ đầu năm, 400,0",
         r".*row 21, column 'Thực hiện tháng'( \(F\))?: found '600', expected at most the year to date, 400\.0")
    pair(out, r".*dòng 21, cột (H )?'Cùng kỳ năm trước': gặp '-5', cần một số không âm",
         r".*row 21, column 'Cùng kỳ năm trước'( \(H\))?: found '-5', expected a number not below 0")
    assert "[LỖI]" in out and "[ERROR]" in out and "[CẢNH BÁO]" in out and "[WARNING]" in out


def test_a_rule_failing_on_60_rows_lists_50_and_counts_the_other_10(env, tmp_path):
    path = education_workbook(tmp_path / "truong-hoc.xlsx", 60)
    result = validate("education", path)
    assert result.exit_code == 2, result.output
    out = result.output
    assert "(education.expires_after_granted) — 60 dòng" in out
    for row in range(8, 58):  # the first 50 failing rows, each a Vietnamese line and an English line
        pair(out, q(f"tệp truong-hoc.xlsx, trang 'Danh sách trường', dòng {row}, ") + r"cột (K )?"
             + q("'Ngày hết hạn': gặp '15/03/2022', cần ngày sau ngày quyết định công nhận, 15/03/2023"),
             q(f"file truong-hoc.xlsx, sheet 'Danh sách trường', row {row}, column 'Ngày hết hạn'") + r"( \(K\))?"
             + q(": found '15/03/2022', expected a date after the decision's date, 15/03/2023"))
    assert out.count("'Ngày hết hạn': gặp") == 50 and "dòng 58," not in out
    pair(out, q("… và 10 dòng khác"), q("… and 10 more rows"))


def test_the_dry_run_lists_the_columns_it_used(env, tmp_path):
    out = validate("tax", tax_workbook(tmp_path / "bao-cao.xlsx")).output
    assert "passed" in out and "Cột đã dùng / Columns used:" in out
    assert re.search(r"^  (G )?'Lũy kế từ đầu năm' -> luy_ke_vnd$", out, re.M), out
    assert re.search(r"^  (D )?'Dự toán năm 2025 / Pháp lệnh' -> du_toan_phap_lenh_vnd$", out, re.M), out


BAD_TRANSFER = ["II", "Thu bổ sung từ ngân sách cấp trên", None, 500, "abc", "khoảng 40", 400, 380]
REFUSAL_PAIRS = [  # (Vietnamese, English) of each bad cell, as regexes
    (r"tệp bao-cao[\w-]*\.xlsx.*, trang 'Thu NSNN', dòng 21, cột (E )?'Dự toán năm 2025 / HĐND giao': "
     r"gặp 'abc', cần .*",
     r".*file bao-cao[\w-]*\.xlsx, sheet 'Thu NSNN', row 21, column 'Dự toán năm 2025 / HĐND giao'( \(E\))?: "
     r"found 'abc', expected .*number.*"),
    (r"tệp bao-cao[\w-]*\.xlsx.*, trang 'Thu NSNN', dòng 21, cột (F )?'Thực hiện tháng': gặp 'khoảng 40', cần .*",
     r".*file bao-cao[\w-]*\.xlsx, sheet 'Thu NSNN', row 21, column 'Thực hiện tháng'( \(F\))?: found 'khoảng 40', "
     r"expected .*number.*"),
]


def test_a_refused_file_prints_every_problem_in_both_languages(env, tmp_path):
    result = validate("tax", tax_workbook(tmp_path / "bao-cao.xlsx", transfer=BAD_TRANSFER))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "nothing loaded" in result.output
    for vi, en in REFUSAL_PAIRS:
        pair(result.output, vi, en)


def test_a_column_the_form_does_not_have_is_a_warning_naming_its_header_and_letter(env, tmp_path):
    path = tax_workbook(tmp_path / "bao-cao.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.active["L7"], wb.active["L12"] = "Dự kiến tháng sau", 5.0
    wb.save(path)
    result = validate("tax", path)
    assert result.exit_code == 0, result.output  # a warning: the delivery would load
    out = result.output
    assert "Cột bỏ qua / Columns ignored:\n  L 'Dự kiến tháng sau' (không dùng / not used)" in out
    assert "(read.warnings) — 1 dòng" in out
    pair(out, r"tệp bao-cao\.xlsx.*, trang 'Thu NSNN', dòng 7, cột L 'Dự kiến tháng sau': .*",
         r".*file bao-cao\.xlsx, sheet 'Thu NSNN', row 7, column 'Dự kiến tháng sau' \(L\): .*not used.*")


class Webhook:
    """A JSON webhook receiver on loopback that keeps every POST body."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.prefect
def test_the_html_report_and_the_alert_list_every_failing_row_up_to_the_cap(tmp_path, prefect_harness):
    hook = Webhook()
    path = education_workbook(tmp_path / "truong-hoc-2025-10.xlsx", 60)
    try:
        with Env(THIDUA_DATA_DIR=tmp_path, THIDUA_WAREHOUSE_URL=f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
                 THIDUA_INBOX=tmp_path / "inbox", THIDUA_UNIT="10549", THIDUA_ALERT_WEBHOOK_URL=hook.url):
            result = CliRunner().invoke(app, ["ingest", "--source", "education", "--period", PERIOD,
                                              "--file", str(path)])
    finally:
        hook.close()
    assert result.exit_code == 2 and "quarantined" in result.output, result.output
    [report] = (tmp_path / "reports" / "validation" / "10549" / "education" / PERIOD).glob("*.html")
    html = report.read_text(encoding="utf-8")
    assert "education.expires_after_granted" in html
    for row in range(8, 58):
        assert f"<td>{row}</td>" in html
    assert "<td>58</td>" not in html
    assert "… và 10 dòng khác" in html and "… and 10 more rows" in html
    assert "&#39;15/03/2022&#39;" in html and "ngày sau ngày quyết định công nhận, 15/03/2023" in html

    [alert] = [m for m in hook.received if m["alert"]["kind"] == "validation_failed"]
    text = alert["text"]
    for row in range(8, 58):
        assert (f"dòng {row}, cột " in text and f"row {row}, column 'Ngày hết hạn'" in text), row
    assert "dòng 58," not in text
    assert "    … và 10 dòng khác\n      … and 10 more rows\n" in text
    assert [r["row_number"] for r in alert["alert"]["sample_rows"]] == list(range(8, 58))


@pytest.mark.prefect
def test_ingest_of_a_refused_file_prints_every_problem_in_both_languages(env, tmp_path, prefect_harness):
    path = tax_workbook(tmp_path / "bao-cao-thu-nsnn-2025-10.xlsx", transfer=BAD_TRANSFER)
    result = CliRunner().invoke(app, ["ingest", "--source", "tax", "--period", PERIOD, "--file", str(path)])
    assert result.exit_code == 2 and "quarantined" in result.output, result.output
    for vi, en in REFUSAL_PAIRS:
        pair(result.output, vi, en)
