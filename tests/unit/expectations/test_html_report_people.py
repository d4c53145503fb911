"""The validation report in people's terms: Vietnam time, counts as sentences, the failing cell's address."""

from __future__ import annotations

from expectations import render_report_html

REPORT = {"suite_name": "tax:10549:2025-12", "success": False, "source_code": "tax", "unit_code": "10549",
          "period": "2025-12", "checked_at": "2026-01-05T17:30:00+00:00", "evaluated_count": 29,
          "failed_count": 1, "error_count": 1, "warning_count": 0,
          "rows_checked": {"observations": 58, "records": 12}, "skipped": [],
          "failed": [{"rule_id": "tax.parent_equals_children", "severity": "error",
                      "description_vi": "Dòng tổng bằng tổng các dòng chi tiết",
                      "description_en": "Parent rows equal the sum of their children", "unexpected_count": 1,
                      "samples": [{"source_file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row_number": 14,
                                   "column_name": "Lũy kế", "letter": "G", "raw_text": "3512.8",
                                   "expected_vi": "bằng tổng các dòng chi tiết 3.412,8 (chênh 100,0)",
                                   "expected": "the sum of its parts 3,412.8 (difference 100.0)"}]}]}


def test_time_counts_and_outcome_read_as_people_write_them():
    html = render_report_html(REPORT, unit_name="Phường Chu Văn An", source_name="Thu NSNN",
                              file_name="bao-cao.xlsx", outcome="quarantined")
    assert "<dd>06/01/2026 00:30</dd>" in html  # 17:30 UTC is 00:30 the next day in Vietnam
    assert "2026-01-05T17:30" not in html
    assert "{" not in html.split("<style>")[0] + html.split("</style>")[1]  # no Python dict anywhere
    assert ("Đã chạy 29 quy tắc kiểm tra: 1 quy tắc báo lỗi, không có cảnh báo. Đã xem 12 dòng của tệp và 58 số "
            "liệu đọc ra từ tệp.") in html
    assert "29 rules were run: 1 found errors, no warnings. Looked at 12 rows of the file and 58 figures" in html
    assert "bị cách ly, không nạp <span class=en>quarantined</span>" in html
    assert "<dd>Tháng 12 năm 2025 <span class=en>2025-12</span></dd>" in html


def test_the_failing_cell_is_named_by_its_address_file_sheet_header_and_value():
    html = render_report_html(REPORT, file_name="bao-cao.xlsx")
    row = html.split("<tr><td>G14</td>")[1].split("</tr>")[0]
    for part in ("<td>bao-cao.xlsx</td>", "<td>Thu NSNN</td>", "<td>14</td>", "<td><b>G</b> Lũy kế</td>",
                 "<td>&#39;3512.8&#39;</td>", "bằng tổng các dòng chi tiết 3.412,8 (chênh 100,0)"):
        assert part in row
    assert "<meta name=viewport" in html and "<div class=scroll><table>" in html
