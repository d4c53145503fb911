"""The static dashboard page, rendered from hand-written rows (the browser test is in tests/integration)."""

from __future__ import annotations

import datetime as dt
import re

from reports.dashboard import DashboardMeta, progress_share, render_dashboard, trend_svg, write_dashboard
from tests.unit.reports.rows import ROWS

META = DashboardMeta(period="2025-10", unit_code="10549", unit_name="Phường Chu Văn An",
                     generated_at=dt.datetime(2025, 11, 3, 9, 0))
SERIES = [{"target_code": "CT09", "period": f"2025-{m:02d}", "value": v}
          for m, v in [(1, 6000), (2, 28000), (3, 46500), (10, 94000)]]
SOURCES = [{"source_code": "tax", "status": "loaded", "file_name": "bao-cao-thu-nsnn-2025-10.xlsx"},
           {"source_code": "health", "status": "quarantined", "file_name": "y-te.xlsx",
            "message": "<script>alert(1)</script>"},
           {"source_code": "education", "status": "missing"}]


def page():
    return render_dashboard(ROWS, SERIES, SOURCES, META)


def test_one_card_per_target_with_its_status():
    html = page()
    cards = re.findall(r'<article class="card" data-status="([a-z_]+)" data-code="([A-Za-z0-9]+)"', html)
    assert cards == [("met", "CT01a"), ("met", "CT04"), ("behind", "CT08b"), ("on_track", "CT09"),
                     ("met", "CT12"), ("no_data", "CT13")]
    assert "#ef6c00" in html and "Chậm tiến độ" in html  # behind: orange
    assert "94.000 lượt" in html and "Cần thêm 6.000 lượt khách đến hết tháng 12" in html


def test_a_restatement_is_marked():
    html = page()
    assert html.count('class="badge restated"') == 1  # CT13 only
    assert html.index('class="badge restated"') > html.index('data-code="CT13"')


def test_sources_show_their_state_and_text_is_escaped():
    html = page()
    states = re.findall(r'data-source="([a-z_]+)" data-status="([a-z]+)"', html)
    assert states == [("tax", "loaded"), ("health", "quarantined"), ("education", "missing")]
    assert "Bị cách ly" in html and "Chưa có" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "=HYPERLINK(&quot;http://x&quot;" in html  # shown as text, escaped


def test_self_contained():
    html = page()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in html
    assert html.count("<script>") == 1


def test_progress_share():
    assert progress_share(ROWS[3]) == 0.94  # 94,000 of 100,000
    assert progress_share(ROWS[0]) == 1.0  # 8.96 % of an 8 % bound: full
    assert progress_share(ROWS[5]) == 0.0  # no data


def test_trend_chart_has_actual_bound_and_projection():
    svg = trend_svg([(1, 6000), (10, 94000)], [100000], 111828.4, "#00897b")
    assert svg.count('class="actual"') == 1 and svg.count('class="bound"') == 1
    assert svg.count('class="projection"') == 1
    # December has no projection line (the year is closed)
    assert 'class="projection"' not in trend_svg([(12, 112000)], [100000], 112000, "#000")


def test_write_dashboard(tmp_path):
    path = write_dashboard(ROWS, SERIES, SOURCES, META, tmp_path / "dash")
    assert path.name == "index.html" and path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
