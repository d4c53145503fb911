"""The static dashboard: ``index.html`` and a page per target beside it (inline CSS and SVG, a few lines of
inline script for the status filter; no server, no CDN). The folder can be copied or mailed as it is.

The cards lead with what needs action: not met, behind, no data (and any status that is not a judgement
yet, such as ``needs_review``), then on track, met, exceeded, each group under its heading. The plan's
own order is one click away (a CSS toggle: no script needed). A card shows its status, the result and the
plan with their units, a progress bar, a month-by-month chart on a labelled scale with the bound drawn,
the outlook and the gap; it opens the target's page (``reports.target_page``): the measure, the series,
every figure used with its file, sheet and cell, the rules that ran on them, the outlook and how it was
made. A strip says, in plain Vietnamese, what became of each source's delivery this month, with a link to
its validation report.

Inputs are plain rows (dicts or DataFrames) passed by the caller: the month's attainment (as from
``warehouse.attainment.read_attainment``), the year's monthly series (``read_attainment_series``), the
sources' state (``warehouse.views.read_source_status`` plus ``summary_vi`` and ``report_href`` when the
caller has them), each target's lineage (``details``: see ``reports.target_page``) and extra files to
write beside the page (``files``: the validation reports the links point at).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from reports import target_page
from reports.chart import trend_svg
from reports.vn import SOURCE_NAME_VI, SOURCE_STATUS_VI, STATUS_VI, missing, no_data_reason, period_words, plan_bound
from reports.vn import outlook_label as vn_outlook_label
from reports.web import (
    ATTENTION_ORDER,
    attention_group,
    attention_rank,
    esc,
    month_of,
    page,
    plan_with_unit,
    ratio_text,
    records,
    status_colour,
    status_label,
    value_text,
    vn_time,
    with_unit,
)

SOURCE_COLOURS = {"loaded": "#2e7d32", "superseded": "#2e7d32", "quarantined": "#ef6c00", "failed": "#c62828",
                  "missing": "#757575"}
PAGE_NAME = "index.html"
TARGET_DIR = "chi-tieu"

CSS = """
.summary{font-size:14px;margin:4px 0 0}
.sources{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:8px}
.source{background:#fff;border-radius:6px;padding:8px 12px;border-left:6px solid #999;font-size:13px}
.source b{display:block}.source .state{font-weight:600}.source p{margin:3px 0 0}
.toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:8px 0}
input[name=order]{position:absolute;opacity:0;pointer-events:none}
.toolbar label{border:1px solid #bbb;background:#fff;border-radius:14px;padding:3px 12px;cursor:pointer;font-size:13px}
#order-attention:checked~.toolbar label[for=order-attention],#order-plan:checked~.toolbar label[for=order-plan]{
background:#8b0000;color:#fff;border-color:#8b0000}
.filters{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}
.filters button{border:1px solid #bbb;background:#fff;border-radius:14px;padding:3px 12px;cursor:pointer;font-size:13px}
.filters button.on{background:#333;color:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.group{grid-column:1/-1;margin:10px 0 0;font-size:15px;border-bottom:2px solid #ccc;padding-bottom:3px}
#order-plan:checked~.grid .group{display:none}
#order-plan:checked~.grid .card{order:var(--plan)}
.card{position:relative;background:#fff;border-radius:8px;padding:12px 14px;border-top:6px solid #999;
box-shadow:0 1px 2px #0002;min-width:0}
.card.hidden,.group.hidden{display:none}.code{font-weight:700;font-size:13px;color:#555}
.name{font-size:14px;margin:2px 0 8px}
.value{font-size:22px;font-weight:700;margin:6px 0 0}.ratio{font-size:12px;color:#555}
.plan{font-size:13px;color:#333;margin-top:2px}
.bar{height:10px;background:#e6e6e6;border-radius:5px;overflow:hidden;margin:6px 0}
.bar div{height:100%}.outlook{font-size:13px;margin-top:4px}.gap{font-size:13px;color:#333;margin-top:3px}
a.open{display:inline-block;margin-top:8px;font-size:13px;font-weight:600;text-decoration:none}
a.open::after{content:"";position:absolute;inset:0}
.card:hover{box-shadow:0 2px 8px #0003}
@media (max-width:600px){.grid{grid-template-columns:1fr}.sources{grid-template-columns:1fr}}
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
      document.querySelectorAll('.group').forEach(function (group) {
        var shown = document.querySelectorAll('.card[data-group="' + group.getAttribute('data-group') +
                                              '"]:not(.hidden)').length;
        group.classList.toggle('hidden', shown === 0);
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


def target_file(code) -> str:
    """The target page's path relative to the dashboard: ``chi-tieu/CT08b.html`` (a safe file name)."""
    return f"{TARGET_DIR}/{re.sub(r'[^A-Za-z0-9_-]', '_', str(code))}.html"


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


def chart_inputs(rec: dict, series: list[dict]) -> tuple[list[tuple[int, float]], list[float], float | None]:
    """(monthly points, bound lines, projection) of a target for its chart."""
    comparison = rec.get("comparison")
    points = sorted((month_of(s["period"]), float(s["value"])) for s in series if not missing(s.get("value")))
    bounds = [float(b) for b in (rec.get("bound_low"), rec.get("bound_high")) if not missing(b)]
    if comparison == "all":
        bounds = [100.0]
    projection = rec.get("outlook_value")
    projection = None if missing(projection) or comparison == "qualitative" else float(projection)
    return points, bounds, projection


def chart_for(rec: dict, series: list[dict], **size) -> str:
    """The target's chart; an assessment gets its months in words instead."""
    colour = status_colour(rec.get("status"))
    if rec.get("comparison") == "qualitative":
        kept = [month_of(s["period"]) for s in series if not missing(s.get("value")) and float(s["value"]) >= 1]
        lost = [month_of(s["period"]) for s in series if not missing(s.get("value")) and float(s["value"]) < 1]
        text = f"Giữ vững {len(kept)} tháng" + (f"; không giữ vững tháng {', '.join(map(str, lost))}" if lost else "")
        return f'<div class="qualitative">{esc(text)}</div>' if series else ""
    points, bounds, projection = chart_inputs(rec, series)
    return trend_svg(points, bounds, projection, colour, unit=rec.get("display_unit") or "",
                     band=rec.get("comparison") == "band", **size)


def outlook_html(rec: dict) -> str:
    """'Dự báo cả năm: <badge>Dự kiến đạt</badge> 8,96 %' (the figure with its unit)."""
    outlook = rec.get("outlook_status")
    if missing(outlook) or not outlook:
        return ""
    words = vn_outlook_label(outlook, rec.get("period"))
    projected = ""
    if rec.get("comparison") != "qualitative":
        projected = with_unit(rec.get("outlook_value"), rec.get("display_unit"))
    return (f'<div class="outlook">Dự báo cả năm: <span class="badge outlook-status" '
            f'style="background:{status_colour(outlook)}">{esc(words)}</span>'
            f'<span class="projected num">{esc(projected)}</span></div>')


def gap_html(rec: dict) -> str:
    """What is still needed; for a target without data, why it has none (the missing months…)."""
    reason = no_data_reason(rec)
    if reason:
        return f'<div class="gap no-data-reason">Chưa có số liệu: {esc(reason)}</div>'
    text = rec.get("gap_text")
    return f'<div class="gap">{esc(text)}</div>' if isinstance(text, str) and text else ""


def _card(rec: dict, series: list[dict], plan_position: int, kind: str | None = None) -> str:
    status = rec.get("status") or "no_data"
    colour = status_colour(status)
    code = rec.get("target_code")
    restated = ('<span class="badge restated" style="background:#6a1b9a">Điều chỉnh sau khóa sổ</span>'
                if rec.get("is_restatement") is True else "")
    share = progress_share(rec)
    # the two counts of a rate ('55.970 / 56.251'); a growth's two amounts say little on a card
    ratio = ratio_text(rec) if kind in ("ratio", "items_meeting") or (kind is None and rec.get("comparison") == "all") \
        else ""
    bar = ("" if rec.get("comparison") == "qualitative" else
           f'<div class="bar" title="{share * 100:.0f} % kế hoạch"><div style="width:{share * 100:.1f}%;'
           f'background:{colour}"></div></div>')
    return f"""
<article class="card" data-status="{esc(status)}" data-group="{esc(attention_group(status))}" data-code="{esc(code)}"
 style="--plan:{plan_position};border-top-color:{colour}">
  <div class="code">{esc(code)}</div>
  <div class="name">{esc(rec.get('name_vi'))}</div>
  <span class="badge status" style="background:{colour}">{esc(status_label(status))}</span>{restated}
  <div class="value num">{esc(value_text(rec))}</div>
  {f'<div class="ratio">{esc(ratio)}</div>' if ratio else ''}
  <div class="plan">Kế hoạch: <span class="num">{esc(plan_with_unit(rec))}</span></div>
  {bar}
  {chart_for(rec, series)}
  {outlook_html(rec)}
  {gap_html(rec)}
  <a class="open" href="{esc(target_file(code))}">Chi tiết và nguồn số liệu ›</a>
</article>"""


def _source(rec: dict) -> str:
    """A source's state in plain Vietnamese (``summary_vi`` from the caller; never the load's technical
    message) with a link to its validation report when there is one."""
    status = rec.get("status") or "missing"
    colour = SOURCE_COLOURS.get(status, "#999")
    code = rec.get("source_code")
    summary = rec.get("summary_vi")
    if not isinstance(summary, str) or not summary:
        summary = f"Tệp {rec['file_name']}" if rec.get("file_name") else ""
        if rec.get("finished_at") is not None and not missing(rec.get("finished_at")) and status != "missing":
            summary += f" ({vn_time(rec['finished_at'])})"
    link = rec.get("report_href")
    link_html = (f' <a class="report-link" href="{esc(link)}">Xem báo cáo kiểm tra</a>'
                 if isinstance(link, str) and link else "")
    return (f'<div class="source" data-source="{esc(code)}" data-status="{esc(status)}" '
            f'style="border-left-color:{colour}"><b>{esc(SOURCE_NAME_VI.get(code, code))}</b>'
            f'<span class="state">{esc(SOURCE_STATUS_VI.get(status, status))}</span>'
            f'<p>{esc(summary)}{link_html}</p></div>')


def plan_order(rows: list[dict], details: dict) -> dict[str, int]:
    """Each target's position in the plan: its plan item when known, then its code."""
    def key(rec):
        item = (details.get(str(rec.get("target_code"))) or {}).get("plan_item")
        return (0 if missing(item) else 1, 0 if missing(item) else int(item), str(rec.get("target_code")))
    ordered = sorted(rows, key=key)
    return {str(r.get("target_code")): i + 1 for i, r in enumerate(ordered)}


def attention_sorted(rows: list[dict], positions: dict[str, int]) -> list[dict]:
    """The cards in the order of attention, the plan's order within a group."""
    return sorted(rows, key=lambda r: (attention_rank(r.get("status")), positions[str(r.get("target_code"))]))


def _summary_line(counts: dict[str, int]) -> str:
    """'Cần chú ý: 1 không đạt, 4 chậm tiến độ, 3 chưa có số liệu; 12 chỉ tiêu đạt hoặc đúng tiến độ.'
    (``counts`` in the order of attention)."""
    need = [f"{n} {status_label(s).lower()}" for s, n in counts.items()
            if attention_group(s) in ("not_met", "behind", "no_data") and n]
    fine = sum(n for s, n in counts.items() if attention_group(s) in ("on_track", "met", "exceeded"))
    parts = ["Cần chú ý: " + ", ".join(need)] if need else ["Không có chỉ tiêu nào cần chú ý"]
    parts.append(f"{fine} chỉ tiêu đạt hoặc đúng tiến độ")
    return "; ".join(parts) + "."


def render_dashboard(attainment, series, sources, meta: DashboardMeta, details: dict | None = None) -> str:
    """The dashboard page as one HTML string (self-contained)."""
    details = details or {}
    rows = records(attainment)
    positions = plan_order(rows, details)
    rows = attention_sorted(rows, positions)
    by_target: dict[str, list[dict]] = {}
    for rec in records(series):
        by_target.setdefault(str(rec.get("target_code")), []).append(rec)
    counts: dict[str, int] = {}
    for rec in rows:
        status = rec.get("status") or "no_data"
        counts[status] = counts.get(status, 0) + 1
    ordered_counts = dict(sorted(counts.items(), key=lambda kv: (attention_rank(kv[0]), kv[0] not in ATTENTION_ORDER,
                                                                 kv[0])))
    buttons = ['<button class="on" data-status="all">Tất cả (' + str(len(rows)) + ")</button>"]
    for status, n in ordered_counts.items():
        buttons.append(f'<button data-status="{esc(status)}">{esc(status_label(status))} ({n})</button>')
    cards, current = [], None
    for rec in rows:
        group = attention_group(rec.get("status"))
        if group != current:
            members = [s for s in ordered_counts if attention_group(s) == group]
            heading = " · ".join(f"{status_label(s)} ({ordered_counts[s]})" for s in members)
            cards.append(f'<h3 class="group" data-group="{esc(group)}">{esc(heading)}</h3>')
            current = group
        code = str(rec.get("target_code"))
        kind = (details.get(code) or {}).get("measure_kind")
        cards.append(_card(rec, by_target.get(code, []), positions[code], kind))
    source_html = "".join(_source(rec) for rec in records(sources))
    summary = json.dumps(counts, ensure_ascii=False, sort_keys=True)
    body = f"""<header data-summary="{esc(summary)}">
  <h1>Kết quả thực hiện chỉ tiêu thi đua — {esc(meta.unit_name)} ({esc(meta.unit_code)})</h1>
  <p>{esc(period_words(meta.period))} · cập nhật {esc(vn_time(meta.generated_at))}</p>
  <p class="summary">{esc(_summary_line(ordered_counts))}</p>
</header>
<main>
  <h2>Nguồn số liệu tháng này</h2>
  <div class="sources">{source_html}</div>
  <h2>Chỉ tiêu</h2>
  <input type="radio" name="order" id="order-attention" checked>
  <input type="radio" name="order" id="order-plan">
  <div class="toolbar"><span>Sắp xếp:</span><label for="order-attention">Cần chú ý trước</label>
    <label for="order-plan">Theo thứ tự kế hoạch</label></div>
  <div class="filters">{''.join(buttons)}</div>
  <div class="grid">{''.join(cards)}</div>
</main>
<footer>Biểu đồ: đường liền là kết quả từng tháng; đường gạch đỏ (KH) là mức kế hoạch; đường chấm là dự báo đến
tháng 12. Bấm vào một chỉ tiêu để xem cách tính và ô nguồn của từng số liệu.</footer>"""
    title = f"Chỉ tiêu thi đua — {meta.unit_name} — {period_words(meta.period)}"
    html = page(title, CSS, body, SCRIPT)
    return html.replace("<body>", f'<body data-summary="{esc(summary)}">', 1)


def write_dashboard(attainment, series, sources, meta: DashboardMeta, out_dir: str | Path,
                    details: dict | None = None, files: dict[str, str] | None = None) -> Path:
    """Write ``out_dir/index.html``, a page per target under ``out_dir/chi-tieu/`` and the extra
    ``files`` (relative path -> HTML, e.g. the validation reports); return the index's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    details = details or {}
    index = out / PAGE_NAME
    index.write_text(render_dashboard(attainment, series, sources, meta, details), encoding="utf-8")
    by_target: dict[str, list[dict]] = {}
    for rec in records(series):
        by_target.setdefault(str(rec.get("target_code")), []).append(rec)
    (out / TARGET_DIR).mkdir(exist_ok=True)
    for rec in records(attainment):
        code = str(rec.get("target_code"))
        html = target_page.render_target_page(rec, by_target.get(code, []), details.get(code) or {}, meta,
                                              chart=chart_for(rec, by_target.get(code, []), width=360, height=170))
        (out / target_file(code)).write_text(html, encoding="utf-8")
    for relative, text in (files or {}).items():
        path = (out / relative).resolve()
        if out.resolve() not in path.parents:
            raise ValueError(f"{relative!r} is outside {out}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return index


__all__ = ["PAGE_NAME", "STATUS_VI", "DashboardMeta", "chart_for", "progress_share", "render_dashboard",
           "target_file", "trend_svg", "write_dashboard"]
