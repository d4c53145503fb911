"""The static dashboard: one self-contained HTML page (inline CSS, SVG and JS; no server, no CDN).

One card per target: its status colour, a progress bar toward the bound, a monthly trend chart with the
target line and the year-end projection, the outlook and the gap. A strip shows the data-quality state
of each source for the month (its latest delivery: loaded, quarantined, failed or missing).

Inputs are plain rows (dicts or DataFrames) passed by the caller: the month's attainment (as from
``warehouse.attainment.read_attainment``), the year's monthly series (``read_attainment_series``) and
the sources' state (``warehouse.views.read_source_status``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from pathlib import Path

from reports.vn import (
    SOURCE_NAME_VI,
    SOURCE_STATUS_VI,
    STATUS_VI,
    format_date,
    format_number,
    missing,
    no_data_reason,
    period_words,
    plan_bound,
    plan_text,
    value_decimals,
)
from reports.vn import outlook_label as vn_outlook_label

STATUS_COLOURS = {
    "met": "#2e7d32",
    "exceeded": "#1565c0",
    "on_track": "#00897b",
    "behind": "#ef6c00",
    "not_met": "#c62828",
    "no_data": "#757575",
}
SOURCE_COLOURS = {"loaded": "#2e7d32", "superseded": "#2e7d32", "quarantined": "#ef6c00", "failed": "#c62828",
                  "missing": "#757575"}
PAGE_NAME = "index.html"
# nothing may be fetched: the page is self-contained
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

CSS = """
*{box-sizing:border-box}body{font-family:"Segoe UI",Roboto,Arial,sans-serif;margin:0;background:#f4f5f7;color:#222}
header{background:#8b0000;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:14px;opacity:.9}main{padding:16px 24px}
h2{font-size:16px;margin:18px 0 8px}
.sources{display:flex;flex-wrap:wrap;gap:8px}
.source{background:#fff;border-radius:6px;padding:8px 12px;border-left:6px solid #999;font-size:13px;min-width:200px}
.source b{display:block}.filters{margin:8px 0;display:flex;flex-wrap:wrap;gap:6px}
.filters button{border:1px solid #bbb;background:#fff;border-radius:14px;padding:3px 12px;cursor:pointer;font-size:13px}
.filters button.on{background:#333;color:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;border-top:6px solid #999;box-shadow:0 1px 2px #0002}
.card.hidden{display:none}.code{font-weight:700;font-size:13px;color:#555}
.name{font-size:14px;margin:2px 0 8px;min-height:36px}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:12px;margin-right:4px}
.value{font-size:22px;font-weight:700;margin:6px 0 2px}.plan{font-size:12px;color:#555}
.bar{height:10px;background:#e6e6e6;border-radius:5px;overflow:hidden;margin:6px 0}
.bar div{height:100%}.outlook{font-size:12px;margin-top:4px}.gap{font-size:12px;color:#444;margin-top:2px}
svg{display:block;margin-top:6px}footer{font-size:12px;color:#666;padding:12px 24px}
"""

SCRIPT = """
(function () {
  var buttons = document.querySelectorAll('.filters button');
  buttons.forEach(function (button) {
    button.addEventListener('click', function () {
      var wanted = button.getAttribute('data-status');
      buttons.forEach(function (b) { b.classList.toggle('on', b === button); });
      document.querySelectorAll('.card').forEach(function (card) {
        var show = wanted === 'all' || card.getAttribute('data-status') === wanted;
        card.classList.toggle('hidden', !show);
      });
    });
  });
  document.body.setAttribute('data-ready', 'yes');
})();
"""


@dataclass(frozen=True)
class DashboardMeta:
    """The page's header: the month, the ward and when the page was made."""

    period: str
    unit_code: str
    unit_name: str
    generated_at: dt.datetime


def _records(rows) -> list[dict]:
    if rows is None:
        return []
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    return [dict(r) for r in rows]


def _esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _value_text(rec: dict) -> str:
    value = rec.get("value")
    if missing(value):
        return "—"
    if rec.get("comparison") == "qualitative":
        return "Giữ vững" if float(value) >= 1 else "Không giữ vững"
    unit = rec.get("display_unit") or ""
    number = format_number(value, value_decimals(unit))
    return number + ("%" if unit == "%" else f" {unit}" if unit else "")


def progress_share(rec: dict) -> float:
    """How far the bar is filled (0..1): the value over the bound it is compared with."""
    value = rec.get("value")
    if missing(value):
        return 0.0
    if rec.get("comparison") == "qualitative":
        return 1.0 if float(value) >= 1 else 0.0
    bound = plan_bound(rec.get("comparison"), rec.get("bound_low"), rec.get("bound_high"))
    if not bound:
        return 0.0
    return max(0.0, min(float(value) / bound, 1.0))


def trend_svg(points: list[tuple[int, float]], bound_lines: list[float], projection: float | None,
              colour: str, width: int = 300, height: int = 110) -> str:
    """A small SVG line chart of the monthly values (months 1..12), dashed bound lines and a dotted
    projection from the latest month to December."""
    pad_l, pad_r, pad_t, pad_b = 48, 8, 8, 18
    values = [v for _, v in points] + list(bound_lines) + ([projection] if projection is not None else [])
    if not values:
        return (f'<svg width="{width}" height="{height}" role="img" aria-label="Chưa có số liệu">'
                f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="11" fill="#777">'
                'Chưa có số liệu</text></svg>')
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    margin = (high - low) * 0.1
    low, high = low - margin, high + margin

    def x(month: float) -> float:
        return pad_l + (month - 1) / 11 * (width - pad_l - pad_r)

    def y(value: float) -> float:
        return pad_t + (high - value) / (high - low) * (height - pad_t - pad_b)

    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Diễn biến theo tháng">',
             f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - pad_r}" y2="{height - pad_b}" stroke="#ccc"/>']
    for month in (1, 3, 6, 9, 12):
        parts.append(f'<text x="{x(month):.1f}" y="{height - 4}" font-size="9" text-anchor="middle" '
                     f'fill="#777">T{month}</text>')
    for bound in bound_lines:
        parts.append(f'<line class="bound" x1="{pad_l}" y1="{y(bound):.1f}" x2="{width - pad_r}" '
                     f'y2="{y(bound):.1f}" stroke="#8b0000" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{pad_l - 3}" y="{y(bound) + 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="#8b0000">{_esc(format_number(bound, 0 if abs(bound) >= 100 else 1))}</text>')
    if points:
        path = " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in points)
        parts.append(f'<polyline class="actual" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for m, v in points:
            parts.append(f'<circle cx="{x(m):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                         f'<title>T{m}: {_esc(format_number(v, 2))}</title></circle>')
        last_m, last_v = points[-1]
        if projection is not None and last_m < 12:
            parts.append(f'<line class="projection" x1="{x(last_m):.1f}" y1="{y(last_v):.1f}" x2="{x(12):.1f}" '
                         f'y2="{y(projection):.1f}" stroke="{colour}" stroke-dasharray="2 3" stroke-width="2"/>')
            parts.append(f'<circle cx="{x(12):.1f}" cy="{y(projection):.1f}" r="3" fill="#fff" '
                         f'stroke="{colour}"><title>Dự báo cả năm: {_esc(format_number(projection, 2))}</title>'
                         '</circle>')
    parts.append("</svg>")
    return "".join(parts)


def _gap_html(rec: dict) -> str:
    """What is still needed; for a target without data, why it has none (the missing months…)."""
    reason = no_data_reason(rec)
    if reason:
        return f'<div class="gap no-data-reason">Chưa có số liệu: {_esc(reason)}</div>'
    return f'<div class="gap">{_esc(rec.get("gap_text") or "")}</div>'


def _card(rec: dict, series: list[dict]) -> str:
    status = rec.get("status") or "no_data"
    colour = STATUS_COLOURS.get(status, "#999")
    comparison = rec.get("comparison")
    points = sorted((int(str(s["period"])[5:7]), float(s["value"])) for s in series
                    if not missing(s.get("value")))
    bounds = [float(b) for b in (rec.get("bound_low"), rec.get("bound_high")) if not missing(b)]
    if comparison == "all":
        bounds = [100.0]
    projection = rec.get("outlook_value")
    projection = None if missing(projection) or comparison == "qualitative" else float(projection)
    outlook = rec.get("outlook_status")
    outlook_words = vn_outlook_label(outlook, rec.get("period")) if outlook else ""
    outlook_colour = STATUS_COLOURS.get(outlook, "#999")
    share = progress_share(rec)
    code = _esc(rec.get("target_code"))
    restated = ('<span class="badge restated" style="background:#6a1b9a">Điều chỉnh sau khóa sổ</span>'
                if rec.get("is_restatement") is True else "")
    plan = plan_text(comparison, rec.get("bound_low"), rec.get("bound_high"))
    plan += "%" if rec.get("display_unit") == "%" else ""
    projected = ("" if projection is None
                 else format_number(projection, value_decimals(rec.get("display_unit"))))
    return f"""
<article class="card" data-status="{_esc(status)}" data-code="{code}" style="border-top-color:{colour}">
  <div class="code">{_esc(rec.get('target_code'))}</div>
  <div class="name">{_esc(rec.get('name_vi'))}</div>
  <span class="badge status" style="background:{colour}">{_esc(STATUS_VI.get(status, status))}</span>{restated}
  <div class="value">{_esc(_value_text(rec))}</div>
  <div class="plan">Kế hoạch: {_esc(plan)}</div>
  <div class="bar" title="{share * 100:.0f}%"><div style="width:{share * 100:.1f}%;background:{colour}"></div></div>
  {trend_svg(points, bounds, projection, colour)}
  <div class="outlook">Dự báo cả năm:
    <span class="badge outlook-status" style="background:{outlook_colour}">{_esc(outlook_words)}</span>
    <span class="projected">{_esc(projected)}</span></div>
  {_gap_html(rec)}
</article>"""


def _source(rec: dict) -> str:
    status = rec.get("status") or "missing"
    colour = SOURCE_COLOURS.get(status, "#999")
    code = rec.get("source_code")
    detail = rec.get("file_name") or ""
    if status in ("quarantined", "failed") and rec.get("message"):
        detail = rec["message"]
    return (f'<div class="source" data-source="{_esc(code)}" data-status="{_esc(status)}" '
            f'style="border-left-color:{colour}"><b>{_esc(SOURCE_NAME_VI.get(code, code))}</b>'
            f'{_esc(SOURCE_STATUS_VI.get(status, status))}'
            f'{" · " + _esc(detail) if detail else ""}</div>')


def render_dashboard(attainment, series, sources, meta: DashboardMeta) -> str:
    """The dashboard page as one HTML string (self-contained)."""
    rows = sorted(_records(attainment), key=lambda r: str(r.get("target_code")))
    by_target: dict[str, list[dict]] = {}
    for rec in _records(series):
        by_target.setdefault(str(rec.get("target_code")), []).append(rec)
    counts: dict[str, int] = {}
    for rec in rows:
        counts[rec.get("status") or "no_data"] = counts.get(rec.get("status") or "no_data", 0) + 1
    buttons = ['<button class="on" data-status="all">Tất cả (' + str(len(rows)) + ")</button>"]
    for status, label in STATUS_VI.items():
        if counts.get(status):
            buttons.append(f'<button data-status="{status}">{_esc(label)} ({counts[status]})</button>')
    cards = "".join(_card(rec, by_target.get(str(rec.get("target_code")), [])) for rec in rows)
    source_html = "".join(_source(rec) for rec in _records(sources))
    summary = json.dumps(counts, ensure_ascii=False, sort_keys=True)
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<link rel="icon" href="data:,">
<title>Chỉ tiêu thi đua — {_esc(meta.unit_name)} — {_esc(period_words(meta.period))}</title>
<style>{CSS}</style>
</head>
<body data-summary="{_esc(summary)}">
<header>
  <h1>Kết quả thực hiện chỉ tiêu thi đua — {_esc(meta.unit_name)} ({_esc(meta.unit_code)})</h1>
  <p>{_esc(period_words(meta.period))} · cập nhật {_esc(format_date(meta.generated_at))}</p>
</header>
<main>
  <h2>Tình trạng nguồn số liệu</h2>
  <div class="sources">{source_html}</div>
  <h2>Chỉ tiêu</h2>
  <div class="filters">{''.join(buttons)}</div>
  <div class="grid">{cards}</div>
</main>
<footer>Đường liền: kết quả từng tháng; đường gạch đỏ: mức kế hoạch; đường chấm: dự báo đến tháng 12.</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""


def write_dashboard(attainment, series, sources, meta: DashboardMeta, out_dir: str | Path) -> Path:
    """Write the page to ``out_dir/index.html`` (the folder is created) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / PAGE_NAME
    page.write_text(render_dashboard(attainment, series, sources, meta), encoding="utf-8")
    return page
