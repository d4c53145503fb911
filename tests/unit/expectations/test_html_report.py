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
