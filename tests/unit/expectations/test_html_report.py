"""The validation report page: self-contained (no CDN), bilingual, escaped, with the sample rows."""

from __future__ import annotations

from expectations import render_report_html

REPORT = {"suite_name": "tax:10549:2025-10", "success": False, "source_code": "tax", "unit_code": "10549",
          "period": "2025-10", "checked_at": "2025-11-06T01:00:00+00:00", "evaluated_count": 27,
          "failed_count": 1, "error_count": 1, "warning_count": 0, "rows_checked": {"records": 12},
          "skipped": [],
          "failed": [{"rule_id": "tax.parent_equals_children", "severity": "error",
                      "description_vi": "Dòng tổng bằng tổng các dòng chi tiết",
                      "description_en": "Parent rows equal the sum of their children", "unexpected_count": 1,
                      "samples": [{"source_file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row_number": 10,
                                   "column_name": "Thực hiện tháng", "raw_text": "<script>x</script>"}],
                      "found": "", "expected": ""}]}


def test_page_is_self_contained_bilingual_and_escaped():
    html = render_report_html(REPORT, unit_name="Phường Chu Văn An", source_name="Thu NSNN",
                              file_name="bao-cao.xlsx", outcome="quarantined")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html and "<link" not in html
    for part in ("KHÔNG ĐẠT / FAILED", "Dòng tổng bằng tổng các dòng chi tiết",
                 "Parent rows equal the sum of their children", "tax.parent_equals_children",
                 "<td>10</td>", "Thực hiện tháng", "&lt;script&gt;x&lt;/script&gt;", "Phường Chu Văn An"):
        assert part in html


def test_a_passing_delivery_says_so():
    html = render_report_html({**REPORT, "success": True, "failed": [], "error_count": 0})
    assert "ĐẠT / PASSED" in html and "Every rule passed" in html


def test_every_failing_cell_is_a_row_with_its_letter_the_value_as_typed_and_what_was_expected():
    samples = [{"source_file": "truong-hoc.xlsx", "sheet": "Danh sách trường", "row_number": row,
                "column_name": "Ngày hết hạn", "letter": "K", "raw_text": "15/03/2022",
                "expected": "a date after the decision's date, 15/03/2023",
                "expected_vi": "ngày sau ngày quyết định công nhận, 15/03/2023"} for row in range(8, 58)]
    failed = {"rule_id": "education.expires_after_granted", "severity": "error", "description_vi": "Ngày hết hạn",
              "description_en": "Expiry", "unexpected_count": 60, "samples": samples, "not_shown": 10}
    html = render_report_html({**REPORT, "failed": [failed]})
    for row in range(8, 58):
        assert f"<td>{row}</td>" in html
    assert html.count("<td><b>K</b> Ngày hết hạn</td>") == 50
    assert html.count("<td>&#39;15/03/2022&#39;</td>") == 50
    assert html.count("ngày sau ngày quyết định công nhận, 15/03/2023<br><span class=en>a date after the "
                      "decision&#x27;s date, 15/03/2023</span>") == 50
    assert "… và 10 dòng khác <span class=en>… and 10 more rows</span>" in html


def test_a_whole_table_finding_is_told_in_both_languages():
    failed = {"rule_id": "period.title_matches", "severity": "error", "description_vi": "Kỳ",
              "description_en": "Period", "unexpected_count": None, "samples": [], "found": "2025-09",
              "expected": "2025-10", "found_vi": "2025-09", "expected_vi": "2025-10 (kỳ giao nộp)"}
    html = render_report_html({**REPORT, "failed": [failed]})
    assert "Gặp: 2025-09; cần: 2025-10 (kỳ giao nộp)<br><span class=en>found: 2025-09; expected: 2025-10</span>" in html
