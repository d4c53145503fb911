"""One target's page beside the dashboard (``chi-tieu/<code>.html``): static, self-contained, readable on a
phone (390 px).

It shows, top to bottom: the judgement of the month; the measure and the plan's bound; how the result was
computed; the month-by-month chart and table; every figure used this month with its file, sheet, cell
(``ô G14`` and the header as typed in the file), the text as typed and the delivery (load) it came in with; the
rules that ran on each of those deliveries; the outlook for the year and how it was made.

``detail`` is a plain dict the caller builds from the warehouse (``flows.dashboard_data``):

- ``plan_item``, ``measure_vi``, ``source_code``, ``measure_kind`` (``ratio``, ``growth`` …);
- ``figures``: dicts with ``indicator_code``, ``member_code``, ``period``, ``value``, ``numerator``,
  ``denominator``, ``text_value``, ``source_file``, ``sheet``, ``row_number``, ``column_name``, ``raw_text``,
  ``load_id`` and ``column_letter`` (``G``: the cell is then shown ``ô G14``; None when unknown);
- ``loads``: dicts with ``load_id``, ``source_code``, ``period``, ``file_name``, ``loaded_at``, ``status``,
  ``evaluated_count``, ``rules`` (``description_vi``, ``severity``, ``outcome``: ``passed``, ``warning``,
  ``error``, ``skipped``), ``findings_vi`` (the warnings' cell lines) and ``report_href`` (relative to the
  dashboard folder).
"""

from __future__ import annotations

import re

from reports.vn import SOURCE_NAME_VI, cell_text, format_number, missing, no_data_reason, period_words
from reports.vn import outlook_label as vn_outlook_label
from reports.web import (
    esc,
    month_of,
    page,
    plan_with_unit,
    ratio_text,
    status_colour,
    status_label,
    value_text,
    vn_time,
    with_unit,
)

CSS = """
.back{display:inline-block;margin:0 0 6px;color:#fff;font-size:14px}
section{background:#fff;border-radius:8px;padding:12px 14px;margin:10px 0;box-shadow:0 1px 2px #0002}
section h2{margin:0 0 8px}.big{font-size:24px;font-weight:700}.muted{color:#555;font-size:13px}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:3px 12px;margin:6px 0;font-size:14px}
dl.facts dt{color:#555}dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e3e3e3;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f0f0f0}td.n{text-align:right;white-space:nowrap}
.scroll{overflow-x:auto}.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:8px}
.figure{border:1px solid #ddd;border-radius:6px;padding:8px 10px;min-width:0}
.figure .cell{font-weight:700;color:#8b0000}.typed{font-family:Consolas,monospace;background:#f6f6f6;padding:0 3px}
.load{border-top:1px solid #e3e3e3;padding:8px 0}.load:first-of-type{border-top:0}
ul.rules{margin:6px 0;padding-left:20px;font-size:13px}ul.rules li.warning{color:#a34700}
ul.rules li.error{color:#c62828}details summary{cursor:pointer;font-size:13px}
@media (max-width:600px){.figures{grid-template-columns:1fr}table{font-size:12px}th,td{padding:3px 4px}
td.n{white-space:normal}}
"""

COMPARISON_WORDS = {
    "band": "trong khoảng kế hoạch (tính cả hai đầu)",
    "at_least": "bằng hoặc cao hơn mức kế hoạch",
    "strictly_above": "cao hơn mức kế hoạch",
    "strictly_below": "thấp hơn mức kế hoạch",
    "all": "đạt trọn 100 % (xét trên số đếm, không làm tròn)",
    "qualitative": "đánh giá là giữ vững",
}
OUTCOME_MARK = {"passed": "✓", "warning": "⚠", "error": "✗", "skipped": "–"}
OUTCOME_WORDS = {"passed": "đạt", "warning": "cảnh báo", "error": "lỗi", "skipped": "không kiểm tra được"}
LOAD_STATUS_VI = {"loaded": "đang dùng", "superseded": "đã được thay bằng bản sau", "quarantined": "bị cách ly",
                  "failed": "lỗi"}


def _number(value) -> str:
    if missing(value):
        return ""
    value = float(value)
    return format_number(value, 0 if value.is_integer() else 2)


def computation_text(rec: dict, kind: str | None, amount_unit: str = "") -> str:
    """How the month's result follows from its figures, in Vietnamese with the numbers (``amount_unit``:
    the unit of a growth's two amounts, e.g. 'đồng')."""
    if rec.get("status") == "no_data" or missing(rec.get("value")):
        reason = no_data_reason(rec)
        return f"Chưa tính được: {reason}." if reason else "Chưa tính được: chưa có đủ số liệu."
    value = with_unit(rec.get("value"), rec.get("display_unit"))
    num, den = _number(rec.get("numerator")), _number(rec.get("denominator"))
    if kind == "ratio" and num and den:
        return f"Tử số / mẫu số × 100 = {num} / {den} × 100 = {value}."
    if kind == "growth" and num and den:
        if amount_unit:
            num, den = f"{num} {amount_unit}", f"{den} {amount_unit}"
        return f"(Số năm nay / số cùng kỳ năm trước − 1) × 100 = ({num} / {den} − 1) × 100 = {value}."
    if kind == "items_meeting" and num and den:
        return f"Số khoản đạt dự toán năm / số khoản có dự toán × 100 = {num} / {den} × 100 = {value}."
    if kind == "total":
        return f"Cộng các số liệu dưới đây: {value}."
    if kind == "assessment":
        return f"Theo đánh giá trong tháng: {value_text(rec)}."
    return f"Kết quả: {value}."


def outlook_method_text(rec: dict, kind: str | None) -> str:
    """How the year-end outlook was made (``outlook_method``), in Vietnamese."""
    method = rec.get("outlook_method")
    month = month_of(rec.get("period") or "0000-00")
    detail = rec.get("outlook_detail") if isinstance(rec.get("outlook_detail"), str) else ""
    if method == "final":
        return "Tháng 12: số liệu cả năm đã đủ, đây là kết quả cuối cùng của năm."
    if kind == "items_meeting" and method in ("seasonal", "run_rate"):
        return ("Mỗi khoản thu được dự báo đến hết năm theo cơ cấu thu từng tháng của chính khoản đó năm trước "
                "(không có thì theo nhịp bình quân), rồi so với dự toán năm của khoản.")
    if method == "seasonal":
        share = re.search(r"([\d.]+)% of the year by month (\d+)", detail)
        if share:
            return (f"Theo cơ cấu của năm trước: đến hết tháng {share.group(2)} năm trước đã thực hiện "
                    f"{format_number(float(share.group(1)), 1)} % cả năm; số lũy kế năm nay chia cho tỷ lệ đó "
                    "ra số dự kiến cả năm.")
        return "Theo cơ cấu các tháng của năm trước: số lũy kế năm nay được quy ra cả năm theo tỷ lệ của năm trước."
    if method == "run_rate":
        return (f"Theo nhịp bình quân: số lũy kế × 12 / {month} (chưa có đủ 12 tháng số liệu năm trước để dùng "
                "cơ cấu theo mùa).")
    if method == "ytd_rate":
        return "Giữ nguyên tỷ lệ lũy kế đến nay cho các tháng còn lại của năm."
    if method == "latest":
        return f"Lấy mức mới nhất (tháng {month}) làm kết quả cả năm."
    return "Chưa dự báo được: chưa có đủ số liệu."


def _cell_text(fig: dict) -> str:
    """'ô N27 (cột ‘Thực hiện / Tháng 10’)' when the column's letter is known (``column_letter``), else
    'dòng 27, cột ‘Thực hiện / Tháng 10’' (the parts known)."""
    return cell_text(fig.get("row_number"), fig.get("column_name"), fig.get("column_letter") or fig.get("letter"),
                     quotes="‘’") or "—"


def _figure(fig: dict, loads: dict) -> str:
    load = loads.get(fig.get("load_id")) or {}
    indicator = fig.get("indicator_code") or ""
    member = fig.get("member_code") or ""
    name = indicator + (f" [{member}]" if member else "")
    raw = fig.get("raw_text")
    typed = "ô trống" if raw in (None, "") or missing(raw) else raw
    if not missing(fig.get("numerator")) and not missing(fig.get("denominator")):
        stored = f"{_number(fig['numerator'])} / {_number(fig['denominator'])}"
    elif isinstance(fig.get("text_value"), str) and fig.get("text_value"):
        stored = fig["text_value"]
    else:
        stored = _number(fig.get("value")) + (f" {fig['unit']}" if fig.get("unit") else "")
    load_words = ", ".join(w for w in (f"lần nạp số {fig.get('load_id')}", vn_time(load.get("loaded_at")),
                                       LOAD_STATUS_VI.get(load.get("status"), "")) if w)
    period = fig.get("period") or ""
    return f"""<div class="figure" data-indicator="{esc(indicator)}" data-member="{esc(member)}"
 data-period="{esc(period)}" data-row="{esc(fig.get('row_number'))}">
 <div><b>{esc(name)}</b> · tháng {esc(month_of(period))}/{esc(period[:4])}</div>
 <dl class="facts">
  <dt>Tệp</dt><dd class="file">{esc(fig.get('source_file') or load.get('file_name'))}</dd>
  <dt>Trang tính</dt><dd class="sheet">{esc(fig.get('sheet') or '—')}</dd>
  <dt>Ô</dt><dd class="cell">{esc(_cell_text(fig))}</dd>
  <dt>Ghi trong tệp</dt><dd><span class="typed">{esc(typed)}</span></dd>
  <dt>Số đã nạp</dt><dd class="num">{esc(stored)}</dd>
  <dt>Lần nạp</dt><dd>{esc(load_words)}</dd>
 </dl>
</div>"""


def _load_block(load: dict, prefix: str) -> str:
    rules = load.get("rules") or []
    counts: dict[str, int] = {}
    for rule in rules:
        counts[rule.get("outcome") or "passed"] = counts.get(rule.get("outcome") or "passed", 0) + 1
    evaluated = load.get("evaluated_count")
    if rules:
        said = ", ".join(f"{n} {OUTCOME_WORDS.get(k, k)}" for k, n in counts.items())
        head = f"{len(rules)} quy tắc kiểm tra đã chạy trên tệp này: {said}."
    elif evaluated is not None and not missing(evaluated):
        head = f"{int(evaluated)} quy tắc kiểm tra đã chạy trên tệp này."
    else:
        head = "Không có kết quả kiểm tra được lưu cho lần nạp này."
    items = "".join(f'<li class="{esc(r.get("outcome") or "passed")}">{OUTCOME_MARK.get(r.get("outcome"), "✓")} '
                    f'{esc(r.get("description_vi") or r.get("rule_id"))}'
                    f'{" (cảnh báo)" if r.get("outcome") == "warning" else ""}</li>' for r in rules)
    findings = "".join(f"<li class=\"warning\">{esc(line)}</li>" for line in load.get("findings_vi") or [])
    link = load.get("report_href")
    link_html = f' <a href="{esc(prefix + link)}">Báo cáo kiểm tra đầy đủ</a>' if link else ""
    return f"""<div class="load" data-load="{esc(load.get('load_id'))}">
 <div><b>{esc(load.get('file_name'))}</b> · {esc(SOURCE_NAME_VI.get(load.get('source_code'), load.get('source_code')))}
  · kỳ {esc(period_words(load['period']) if load.get('period') else '')}</div>
 <div class="muted">Lần nạp số {esc(load.get('load_id'))}, lúc {esc(vn_time(load.get('loaded_at')))},
  {esc(LOAD_STATUS_VI.get(load.get('status'), load.get('status') or ''))}</div>
 <div>{esc(head)}{link_html}</div>
 {f'<ul class="rules">{findings}</ul>' if findings else ''}
 {f'<details><summary>Các quy tắc đã chạy</summary><ul class="rules">{items}</ul></details>' if items else ''}
</div>"""


def _series_table(rec: dict, series: list[dict], kind: str | None) -> str:
    """Month, result, the two counts of a rate, status; a growth's amounts are in the figures below."""
    if not series:
        return '<p class="muted">Chưa có tháng nào được đánh giá.</p>'
    counts = kind in ("ratio", "items_meeting") or (kind is None and rec.get("comparison") == "all")
    rows = []
    for s in sorted(series, key=lambda s: str(s.get("period"))):
        merged = {**rec, **{k: s.get(k) for k in ("value", "numerator", "denominator", "status", "period")}}
        ratio = f'<td class="n">{esc(ratio_text(merged))}</td>' if counts else ""
        rows.append(f'<tr data-period="{esc(s.get("period"))}"><td>Tháng {month_of(s["period"])}</td>'
                    f'<td class="n">{esc(value_text(merged))}</td>{ratio}'
                    f'<td>{esc(status_label(s.get("status")))}</td></tr>')
    head = ("<tr><th>Tháng</th><th>Kết quả</th>" + ("<th>Tử số / mẫu số</th>" if counts else "")
            + "<th>Đánh giá</th></tr>")
    return f'<div class="scroll"><table>{head}{"".join(rows)}</table></div>'


def render_target_page(rec: dict, series: list[dict], detail: dict, meta, *, chart: str = "") -> str:
    """The target's page (``rec`` its attainment row of the month, ``series`` its months so far)."""
    code = rec.get("target_code")
    status = rec.get("status") or "no_data"
    colour = status_colour(status)
    kind = detail.get("measure_kind")
    loads = {ld.get("load_id"): ld for ld in detail.get("loads") or []}
    figures = detail.get("figures") or []
    outlook = rec.get("outlook_status")
    outlook_words = vn_outlook_label(outlook, rec.get("period")) if isinstance(outlook, str) and outlook else ""
    projected = "" if rec.get("comparison") == "qualitative" else with_unit(rec.get("outlook_value"),
                                                                             rec.get("display_unit"))
    gap = rec.get("gap_text") if isinstance(rec.get("gap_text"), str) else ""
    source = detail.get("source_code")
    fig_html = ("".join(_figure(f, loads) for f in figures) if figures
                else '<p class="muted">Không có số liệu nào được dùng trong tháng này.</p>')
    load_html = ("".join(_load_block(ld, "../") for ld in detail.get("loads") or [])
                 or '<p class="muted">Không có lần nạp nào.</p>')
    measure = detail.get("measure_vi")
    body = f"""<header>
  <a class="back" href="../index.html">‹ Bảng theo dõi chỉ tiêu</a>
  <h1>{esc(code)} — {esc(rec.get('name_vi'))}</h1>
  <p>{esc(meta.unit_name)} · {esc(period_words(meta.period))} · cập nhật {esc(vn_time(meta.generated_at))}</p>
</header>
<main data-code="{esc(code)}" data-status="{esc(status)}">
<section id="ket-qua">
  <h2>Kết quả đến hết {esc(period_words(meta.period).lower())}</h2>
  <span class="badge status" style="background:{colour}">{esc(status_label(status))}</span>
  <div class="big num">{esc(value_text(rec))}</div>
  <dl class="facts">
    <dt>Kế hoạch</dt><dd class="num">{esc(plan_with_unit(rec))}</dd>
    <dt>Yêu cầu</dt><dd>{esc(COMPARISON_WORDS.get(rec.get('comparison'), ''))}</dd>
    {f'<dt>Cách đo</dt><dd>{esc(measure)}</dd>' if measure else ''}
    {f'<dt>Nguồn</dt><dd>{esc(SOURCE_NAME_VI.get(source, source))}</dd>' if source else ''}
    <dt>Cách tính</dt><dd class="computation">{esc(computation_text(rec, kind, detail.get("amount_unit") or ""))}</dd>
  </dl>
</section>
<section id="dien-bien">
  <h2>Diễn biến từng tháng</h2>
  {chart}
  {_series_table(rec, series, kind)}
</section>
<section id="so-lieu">
  <h2>Số liệu dùng trong tháng này ({len(figures)})</h2>
  <p class="muted">Mỗi số liệu: tệp, trang tính và ô đã đọc, nội dung đúng như gõ trong tệp, và lần nạp.</p>
  <div class="figures">{fig_html}</div>
</section>
<section id="kiem-tra">
  <h2>Kiểm tra đã chạy trên các tệp này</h2>
  {load_html}
</section>
<section id="du-bao">
  <h2>Dự báo cả năm</h2>
  <dl class="facts">
    <dt>Dự báo</dt><dd>{f'<span class="badge" style="background:{status_colour(outlook)}">{esc(outlook_words)}</span>'
                        if outlook_words else '—'} <span class="num">{esc(projected)}</span></dd>
    <dt>Cách dự báo</dt><dd class="method">{esc(outlook_method_text(rec, kind))}</dd>
    {f'<dt>Còn cần</dt><dd>{esc(gap)}</dd>' if gap else ''}
  </dl>
</section>
</main>"""
    return page(f"{code} — {rec.get('name_vi') or ''} — {period_words(meta.period)}", CSS, body)
