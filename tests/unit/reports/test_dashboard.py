"""The static dashboard and its target pages, rendered from hand-written rows (the browser test is in
tests/integration/test_dashboard_browser.py)."""

from __future__ import annotations

import datetime as dt
import re

from reports.chart import nice_ticks
from reports.dashboard import DashboardMeta, progress_share, render_dashboard, trend_svg, write_dashboard
from tests.unit.reports.rows import ROWS, row

META = DashboardMeta(period="2025-10", unit_code="10549", unit_name="Phường Chu Văn An",
                     generated_at=dt.datetime(2025, 11, 3, 2, 0, tzinfo=dt.UTC))
SERIES = [{"target_code": "CT09", "period": f"2025-{m:02d}", "value": v, "status": "on_track"}
          for m, v in [(1, 6000), (2, 28000), (3, 46500), (10, 94000)]]
SOURCES = [{"source_code": "tax", "status": "loaded", "file_name": "bao-cao-thu-nsnn-2025-10.xlsx"},
           {"source_code": "health", "status": "quarantined", "file_name": "y-te.xlsx",
            "message": "health:10549:2025-10: [error] health.x (<script>alert(1)</script>)",
            "summary_vi": "Báo cáo của Trạm Y tế tháng 10/2025 bị trả lại: dòng 9, cột E 'Điểm': gặp '<b>'",
            "report_href": "kiem-tra/health-2025-10-7.html"},
           {"source_code": "education", "status": "missing"}]


def page(rows=ROWS, sources=SOURCES):
    return render_dashboard(rows, SERIES, sources, META)


def cards(html):
    return re.findall(r'<article class="card" data-status="([a-z_]+)" data-group="[a-z_]+" '
                      r'data-code="([A-Za-z0-9]+)"', html)


def test_cards_lead_with_what_needs_action():
    # not met, behind, no data, then on track, met, exceeded; the plan's order within a group
    assert cards(page()) == [("behind", "CT08b"), ("no_data", "CT13"), ("on_track", "CT09"), ("met", "CT01a"),
                             ("met", "CT04"), ("met", "CT12")]
    html = page()
    headings = re.findall(r'<h3 class="group" data-group="([a-z_]+)">([^<]+)</h3>', html)
    assert headings == [("behind", "Chậm tiến độ (1)"), ("no_data", "Chưa có số liệu (1)"),
                        ("on_track", "Đúng tiến độ (1)"), ("met", "Đạt (3)")]
    assert "Cần chú ý: 1 chậm tiến độ, 1 chưa có số liệu; 4 chỉ tiêu đạt hoặc đúng tiến độ." in html


def test_the_plans_order_is_a_css_toggle_on_each_cards_position():
    html = page()
    positions = dict(re.findall(r'data-code="([A-Za-z0-9]+)"\s+style="--plan:(\d+);', html))
    assert positions == {"CT01a": "1", "CT04": "2", "CT08b": "3", "CT09": "4", "CT12": "5", "CT13": "6"}
    assert "#order-plan:checked~.grid .card{order:var(--plan)}" in html
    assert '<input type="radio" name="order" id="order-attention" checked>' in html


def test_a_status_the_page_does_not_know_stays_in_the_no_data_group_with_its_label():
    # needs_review: a target of an imported plan nobody tracks yet (its label comes from reports.vn)
    from reports import vn

    label = vn.STATUS_VI.get("needs_review", "needs_review")
    rows = [*ROWS, row("CT14", "Chỉ tiêu mới", "%", "at_least", 50, float("nan"), float("nan"), "needs_review",
                       outlook_status="no_data")]
    found = cards(page(rows))
    assert found[:3] == [("behind", "CT08b"), ("no_data", "CT13"), ("needs_review", "CT14")]
    html = page(rows)
    assert f"Chưa có số liệu (1) · {label} (1)" in html
    assert f'<span class="badge status" style="background:#616161">{label}</span>' in html


def test_numbers_carry_their_units():
    html = page()
    assert '<div class="value num">8,96 %</div>' in html
    assert "Kế hoạch: <span class=\"num\">từ 8 đến 10 %</span>" in html
    assert '<span class="projected num">111.828 lượt</span>' in html  # 111.828,4 visits, no decimals
    assert '<div class="value num">94.000 lượt</div>' in html and "≥ 100.000 lượt" in html
    assert '<div class="ratio">9.996 / 10.000</div>' in html  # CT08b's counts


def test_sources_speak_plain_vietnamese_and_never_show_the_technical_message():
    html = page()
    states = re.findall(r'data-source="([a-z_]+)" data-status="([a-z]+)"', html)
    assert states == [("tax", "loaded"), ("health", "quarantined"), ("education", "missing")]
    assert "[error]" not in html and "health.x" not in html and "alert(1)" not in html
    assert "bị trả lại: dòng 9, cột E &#x27;Điểm&#x27;: gặp &#x27;&lt;b&gt;&#x27;" in html
    assert '<a class="report-link" href="kiem-tra/health-2025-10-7.html">Xem báo cáo kiểm tra</a>' in html
    assert "=HYPERLINK(&quot;http://x&quot;" in html  # a name is shown as text, escaped


def test_a_restatement_is_marked():
    html = page()
    assert html.count('class="badge restated"') == 1  # CT13 only
    assert html.index('class="badge restated"') > html.index('data-code="CT13"')


def test_self_contained_and_vietnam_time():
    html = page()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in html
    assert html.count("<script>") == 1
    assert "cập nhật 03/11/2025 09:00" in html  # 02:00 UTC


def test_progress_share():
    assert progress_share(ROWS[3]) == 0.94  # 94,000 of 100,000
    assert progress_share(ROWS[0]) == 1.0  # 8.96 % of an 8 % bound: full
    assert progress_share(ROWS[5]) == 0.0  # no data


def test_nice_ticks():
    ticks, decimals = nice_ticks(6000, 111828)
    assert ticks == [0, 50000, 100000, 150000] and decimals == 0
    ticks, decimals = nice_ticks(99.5, 100)
    assert ticks[0] <= 99.5 and ticks[-1] >= 100 and decimals == 1 and len(ticks) <= 7
    ticks, _ = nice_ticks(99.5, 99.5)  # flat: widened, still around the value
    assert ticks[0] < 99.5 < ticks[-1]


def test_trend_chart_has_a_labelled_scale_the_bound_and_the_projection():
    svg = trend_svg([(1, 6000), (10, 94000)], [100000], 111828.4, "#00897b", unit="lượt")
    assert svg.count('class="actual"') == 1 and svg.count('class="bound"') == 1
    assert svg.count('class="projection"') == 1
    assert re.findall(r'class="tick"[^>]*>([^<]+)<', svg) == ["0", "50.000", "100.000", "150.000"]
    assert '>lượt</text>' in svg and ">KH</text>" in svg
    # December has no projection line (the year is closed)
    assert 'class="projection"' not in trend_svg([(12, 112000)], [100000], 112000, "#000")
    # a band is shaded between its bounds
    assert 'class="band"' in trend_svg([(1, 9.0)], [8.0, 10.0], 9.0, "#000", band=True)


def test_write_dashboard_writes_a_page_per_target_and_the_extra_files(tmp_path):
    path = write_dashboard(ROWS, SERIES, SOURCES, META, tmp_path / "dash",
                           files={"kiem-tra/health-2025-10-7.html": "<!DOCTYPE html><p>x</p>"})
    assert path.name == "index.html" and path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    pages = sorted(p.name for p in (tmp_path / "dash" / "chi-tieu").iterdir())
    assert pages == ["CT01a.html", "CT04.html", "CT08b.html", "CT09.html", "CT12.html", "CT13.html"]
    assert 'href="chi-tieu/CT09.html"' in path.read_text(encoding="utf-8")
    visits = (tmp_path / "dash" / "chi-tieu" / "CT09.html").read_text(encoding="utf-8")
    assert '<a class="back" href="../index.html">' in visits and "Tháng 10" in visits
    assert (tmp_path / "dash" / "kiem-tra" / "health-2025-10-7.html").is_file()


def test_a_count_charted_month_by_month_has_no_decimals():
    """Tried as a new user: the tourist-visit chart's points read '6.000,00 lượt' and the outlook
    '111.827,59 lượt'; a count is shown whole, a percentage with two decimals."""
    import re

    from reports.chart import trend_svg

    visits = trend_svg([(1, 6000.0), (2, 12500.0)], [100000.0], 111827.59, "#333", unit="lượt")
    assert re.findall(r"<title>([^<]*)</title>", visits) == ["Tháng 1: 6.000 lượt", "Tháng 2: 12.500 lượt",
                                                             "Dự báo cả năm: 111.828 lượt"]
    rate = trend_svg([(1, 99.5)], [100.0], 99.504, "#333", unit="%")
    assert re.findall(r"<title>([^<]*)</title>", rate) == ["Tháng 1: 99,50 %", "Dự báo cả năm: 99,50 %"]
