"""A target's page, rendered from a hand-written attainment row and lineage (what flows.dashboard_data
reads from the warehouse)."""

from __future__ import annotations

import datetime as dt

from reports.dashboard import DashboardMeta
from reports.target_page import computation_text, outlook_method_text, render_target_page
from tests.unit.reports.rows import ROWS, row

META = DashboardMeta(period="2025-10", unit_code="10549", unit_name="Phường Chu Văn An",
                     generated_at=dt.datetime(2025, 11, 3, 2, 0, tzinfo=dt.UTC))
WATER = {**row("CT10", "Tỷ lệ dân số được sử dụng nước sạch đạt 100%", "%", "all", float("nan"), float("nan"),
               99.5004533, "behind", num=55970, den=56251, outlook_value=99.5004533, outlook_status="behind",
               gap_text="Cần thêm 281 người dùng nước sạch để đạt 100%"),
         "outlook_method": "latest", "outlook_detail": "the latest level holds"}
DETAIL = {
    "plan_item": 10, "measure_vi": "Số người sử dụng nước sạch đạt quy chuẩn / dân số", "source_code": "indicators",
    "measure_kind": "ratio",
    "figures": [{"indicator_code": "NUOC_SACH", "member_code": "", "period": "2025-10", "value": 99.5,
                 "numerator": 55970.0, "denominator": 56251.0, "text_value": None,
                 "source_file": "chi-tieu-khac-2025-10.xlsx", "sheet": "Chỉ tiêu", "row_number": 27,
                 "column_name": "Thực hiện / Tháng 10", "raw_text": "55970", "load_id": 22, "unit": ""}],
    "loads": [{"load_id": 22, "source_code": "indicators", "period": "2025-10",
               "file_name": "chi-tieu-khac-2025-10.xlsx", "status": "loaded",
               "loaded_at": dt.datetime(2025, 11, 7, 1, 30, tzinfo=dt.UTC), "evaluated_count": 3,
               "rules": [{"rule_id": "a", "description_vi": "Mỗi số liệu có mã chỉ tiêu", "outcome": "passed"},
                         {"rule_id": "b", "description_vi": "Không tăng giảm đột biến", "outcome": "warning"},
                         {"rule_id": "c", "description_vi": "Kỳ đúng tháng", "outcome": "passed"}],
               "findings_vi": ["tệp chi-tieu-khac-2025-10.xlsx, trang 'Chỉ tiêu', dòng 30: gặp '9', cần …"],
               "report_href": "kiem-tra/indicators-2025-10-22.html"}],
}
SERIES = [{"target_code": "CT10", "period": f"2025-{m:02d}", "value": 99.5, "numerator": 55970.0 + m,
           "denominator": 56251.0, "status": "behind"} for m in range(1, 11)]


def page():
    return render_target_page(WATER, SERIES, DETAIL, META, chart="<svg class=\"chart\"></svg>")


def test_the_measure_the_bound_and_the_computation():
    html = page()
    assert "CT10 — Tỷ lệ dân số được sử dụng nước sạch đạt 100%" in html
    assert '<div class="big num">99,50 %</div>' in html
    assert '<dd class="num">100 %</dd>' in html
    assert "Số người sử dụng nước sạch đạt quy chuẩn / dân số" in html
    assert "Tử số / mẫu số × 100 = 55.970 / 56.251 × 100 = 99,50 %." in html


def test_the_month_by_month_series():
    html = page()
    assert html.count("<tr data-period=") == 10
    assert ('<tr data-period="2025-10"><td>Tháng 10</td><td class="n">99,50 %</td><td class="n">55.980 / 56.251'
            '</td><td>Chậm tiến độ</td></tr>') in html


def test_each_figure_names_its_file_sheet_cell_text_as_typed_and_load():
    html = page()
    assert '<dd class="file">chi-tieu-khac-2025-10.xlsx</dd>' in html
    assert '<dd class="sheet">Chỉ tiêu</dd>' in html
    assert "<dd class=\"cell\">dòng 27, cột ‘Thực hiện / Tháng 10’</dd>" in html
    assert '<span class="typed">55970</span>' in html
    assert "lần nạp số 22, 07/11/2025 08:30, đang dùng" in html  # Vietnam time


def test_the_rules_that_ran_and_the_link_to_the_report():
    html = page()
    assert "3 quy tắc kiểm tra đã chạy trên tệp này: 2 đạt, 1 cảnh báo." in html
    assert '<a href="../kiem-tra/indicators-2025-10-22.html">Báo cáo kiểm tra đầy đủ</a>' in html
    assert "⚠ Không tăng giảm đột biến (cảnh báo)" in html
    assert "dòng 30: gặp &#x27;9&#x27;" in html


def test_the_outlook_and_how_it_was_made():
    html = page()
    assert "Lấy mức mới nhất (tháng 10) làm kết quả cả năm." in html
    assert "Cần thêm 281 người dùng nước sạch để đạt 100%" in html
    seasonal = {**ROWS[3], "outlook_method": "seasonal",
                "outlook_detail": "previous year's profile: 84.1% of the year by month 10; projected year 1.118e+05"}
    assert outlook_method_text(seasonal, "total") == (
        "Theo cơ cấu của năm trước: đến hết tháng 10 năm trước đã thực hiện 84,1 % cả năm; số lũy kế năm nay "
        "chia cho tỷ lệ đó ra số dự kiến cả năm.")
    assert outlook_method_text({**seasonal, "outlook_method": "run_rate"}, "total").startswith(
        "Theo nhịp bình quân: số lũy kế × 12 / 10")


def test_growth_and_no_data_computations():
    growth = {**ROWS[0], "numerator": 149357100000.0, "denominator": 137073000000.0}
    assert computation_text(growth, "growth", "đồng") == (
        "(Số năm nay / số cùng kỳ năm trước − 1) × 100 = (149.357.100.000 đồng / 137.073.000.000 đồng − 1) × 100 "
        "= 8,96 %.")
    assert computation_text(ROWS[5], "ratio").startswith("Chưa tính được: @SUM(1)")


def test_a_page_without_lineage_still_renders():
    html = render_target_page(ROWS[5], [], {}, META)
    assert "Không có số liệu nào được dùng trong tháng này." in html and "Chưa có tháng nào được đánh giá." in html
    assert "=HYPERLINK(&quot;http://x&quot;" in html
