"""The review report of an import: each target's sentence beside what was understood, so an officer can
confirm the catalogue in minutes (HTML, self-contained, or plain text)."""

from __future__ import annotations

import html

from plans.build import ImportedPlan, Target

COMPARISON_VI = {"band": "trong khoảng (từ … đến …, vượt trên mức cao)", "at_least": "tối thiểu (≥)",
                 "strictly_above": "trên (>)", "strictly_below": "dưới (<)", "all": "toàn bộ (= 100%)",
                 "qualitative": "giữ vững (đánh giá)"}
FIGURE_VI = {"growth": "tăng trưởng so cùng kỳ", "rate": "tỷ lệ", "count": "số lượng", "assessment": "đánh giá"}


def _number(value) -> str:
    if value is None:
        return ""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def understood(t: Target) -> str:
    """What was understood of the sentence, in Vietnamese words."""
    ty = t.typed
    parts = []
    if ty.figure:
        parts.append(FIGURE_VI.get(ty.figure, ty.figure))
    if ty.comparison:
        parts.append(COMPARISON_VI.get(ty.comparison, ty.comparison))
    if ty.bound_low is not None and ty.bound_high is not None:
        parts.append(f"{_number(ty.bound_low)}–{_number(ty.bound_high)} {ty.unit}".strip())
    elif ty.bound_low is not None or ty.bound_high is not None:
        parts.append(f"{_number(ty.bound_low if ty.bound_low is not None else ty.bound_high)} {ty.unit}".strip())
    return "; ".join(parts) or "—"


def measured_by(t: Target) -> str:
    """The indicator and source the target is measured by ('' when none)."""
    if t.needs_review or not t.entry.get("measure"):
        return t.label_vi or ""
    measure = t.entry["measure"]
    codes = sorted({v["indicator"] for v in measure.values() if isinstance(v, dict) and "indicator" in v}
                   | ({measure["indicator"]} if "indicator" in measure else set()))
    return f"{t.entry.get('measure_vi', '')} [{', '.join(codes)}; nguồn {t.entry['source']}]"


def text_report(plan: ImportedPlan) -> str:
    """The review as plain text: one block per target."""
    h = plan.header
    lines = [f"Rà soát kế hoạch {plan.plan_code} ({plan.source_path.name}): {len(plan.targets)} chỉ tiêu, "
             f"{plan.review_count} cần rà soát",
             f"  Số: {h.number_vi or '—'}  {h.date_vi or ''}  Đơn vị ban hành: {h.issued_by_vi or '—'}",
             f"  Thực hiện: {h.implements_vi or '—'}",
             f"  Hạn báo cáo: {h.due_date.strftime('%d/%m/%Y') if h.due_date else '—'}", ""]
    for t in plan.targets:
        lines.append(f"{t.code} (mục {t.plan_item}): {t.sentence}")
        lines.append(f"    hiểu là: {understood(t)}")
        if t.needs_review:
            lines.append(f"    CẦN RÀ SOÁT: {t.reason}")
        else:
            lines.append(f"    đo bằng: {measured_by(t)}")
    return "\n".join(lines) + "\n"


def html_report(plan: ImportedPlan) -> str:
    """The review as one self-contained HTML page (no script, no external file)."""
    e = html.escape
    h = plan.header
    rows = []
    for t in plan.targets:
        state = (f'<td class="review">Cần rà soát: {e(t.reason)}</td>' if t.needs_review
                 else '<td class="ok">Đã hiểu</td>')
        rows.append(f"<tr><td>{e(t.code)}</td><td>{t.plan_item}</td><td>{e(t.sentence)}</td>"
                    f"<td>{e(understood(t))}</td><td>{e(measured_by(t))}</td>{state}</tr>")
    due = h.due_date.strftime("%d/%m/%Y") if h.due_date else "—"
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Rà soát kế hoạch {e(plan.plan_code)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 6px;vertical-align:top}}th{{background:#eee}}
.review{{background:#fde7e7}}.ok{{background:#e7f6e7}}</style></head><body>
<h1>Rà soát kế hoạch {e(plan.plan_code)}</h1>
<p>Tệp: {e(plan.source_path.name)} · {len(plan.targets)} chỉ tiêu, {plan.review_count} cần rà soát</p>
<ul><li>Số: {e(h.number_vi or '—')} {e(h.date_vi or '')}</li><li>Đơn vị ban hành: {e(h.issued_by_vi or '—')}</li>
<li>Thực hiện: {e(h.implements_vi or '—')}</li><li>Hạn báo cáo: {due}</li></ul>
<table><thead><tr><th>Mã</th><th>Mục</th><th>Câu trong kế hoạch</th><th>Hiểu là</th><th>Đo bằng (chỉ số, nguồn)</th>
<th>Trạng thái</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
