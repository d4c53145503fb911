"""The validation report of one delivery as one self-contained HTML page (no CSS/JS from a CDN).

Great Expectations' own Data Docs load bootstrap, jQuery and fonts from CDNs and render unstyled
offline; this page carries its own small stylesheet and no script, so it opens from a file share or
an e-mail attachment anywhere. Labels are Vietnamese with English underneath.
"""

from __future__ import annotations

from html import escape

_CSS = """
body{font-family:system-ui,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem;color:#1d2733;max-width:72rem}
h1{font-size:1.4rem;margin-bottom:.2rem} h2{font-size:1.1rem;margin-top:2rem}
.en{color:#5b6b7b;font-size:.85em;font-weight:normal}
.badge{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;color:#fff;font-weight:600}
.ok{background:#2e7d32}.bad{background:#c62828}.warn{background:#ef6c00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border:1px solid #cfd8dc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eceff1} dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600}
"""

_SAMPLE_COLUMNS = [("source_file", "Tệp", "File"), ("sheet", "Trang tính", "Sheet"),
                   ("row_number", "Dòng", "Row"), ("column_name", "Cột", "Column"),
                   ("raw_text", "Giá trị gặp (như đã nhập)", "Found (as typed)"), ("expected", "Cần", "Expected"),
                   ("key", "Khóa", "Key"), ("indicator_code", "Chỉ tiêu", "Indicator"),
                   ("member_code", "Thành phần", "Member")]


def _e(value) -> str:
    return "" if value is None else escape(str(value))


def _cell(sample: dict, name: str) -> str:
    """One table cell of a sample: the column with its letter, the expectation in both languages, the
    value as typed (quoted, so an empty cell and a space are told apart), or the plain value."""
    if name == "column_name":
        letter = sample.get("letter")
        return (f"<b>{_e(letter)}</b> " if letter else "") + _e(sample.get("column_name"))
    if name == "expected":
        vi, en = sample.get("expected_vi") or sample.get("expected"), sample.get("expected")
        if not vi and not en:  # a reader's warning carries its own sentence
            vi, en = sample.get("message_vi"), sample.get("message_en")
        return f"{_e(vi)}<br><span class=en>{_e(en)}</span>" if vi or en else ""
    if name == "raw_text":
        raw = sample.get("raw_text")
        return "<i>ô trống / empty</i>" if raw in (None, "") else f"&#39;{_e(raw)}&#39;"
    return _e(sample.get(name))


def _label(vi: str, en: str) -> str:
    return f"{escape(vi)}<br><span class=en>{escape(en)}</span>"


def render_report_html(report: dict, *, unit_name: str = "", source_name: str = "", file_name: str = "",
                       outcome: str = "") -> str:
    """One delivery's validation report (the dict of `ValidationReport.to_dict()`) as a full HTML page.

    Args:
        report: the validation summary (failed rules, each with every failing cell up to the cap per rule,
            and ``not_shown``, the failing rows beyond it).
        unit_name, source_name, file_name: shown in the heading (the ward, the source, the file).
        outcome: what became of the delivery (``loaded``, ``quarantined`` …), shown next to the verdict.
    """
    success = bool(report.get("success"))
    failed = report.get("failed") or []
    badge = ('<span class="badge ok">ĐẠT / PASSED</span>' if success else
             '<span class="badge bad">KHÔNG ĐẠT / FAILED</span>')
    head = (f"<h1>Kết quả kiểm tra dữ liệu <span class=en>Validation report</span></h1>"
            f"<p>{badge} {_e(outcome)}</p><dl>"
            f"<dt>Đơn vị <span class=en>Unit</span></dt><dd>{_e(unit_name)} ({_e(report.get('unit_code'))})</dd>"
            f"<dt>Nguồn <span class=en>Source</span></dt><dd>{_e(source_name)} ({_e(report.get('source_code'))})</dd>"
            f"<dt>Kỳ <span class=en>Period</span></dt><dd>{_e(report.get('period'))}</dd>"
            f"<dt>Tệp <span class=en>File</span></dt><dd>{_e(file_name)}</dd>"
            f"<dt>Thời điểm <span class=en>Checked at</span></dt><dd>{_e(report.get('checked_at'))}</dd>"
            f"<dt>Số quy tắc <span class=en>Rules</span></dt><dd>{_e(report.get('evaluated_count'))} "
            f"(lỗi / errors: {_e(report.get('error_count'))}, cảnh báo / warnings: "
            f"{_e(report.get('warning_count'))})</dd>"
            f"<dt>Số dòng <span class=en>Rows</span></dt><dd>{_e(report.get('rows_checked'))}</dd></dl>")
    parts = [head]
    if not failed:
        parts.append("<p>Mọi quy tắc đều đạt. <span class=en>Every rule passed.</span></p>")
    for f in failed:
        cls = "bad" if f.get("severity") == "error" else "warn"
        level = "LỖI / ERROR" if f.get("severity") == "error" else "CẢNH BÁO / WARNING"
        parts.append(f"<h2><span class='badge {cls}'>{level}</span> {_e(f.get('description_vi'))}"
                     f"<br><span class=en>{_e(f.get('description_en'))} — <code>{_e(f.get('rule_id'))}</code>"
                     f"</span></h2>")
        count = f.get("unexpected_count")
        if count is not None:
            parts.append(f"<p>Số dòng vi phạm <span class=en>rows failing</span>: <b>{_e(count)}</b></p>")
        samples = f.get("samples") or []
        if f.get("found") or f.get("expected"):
            found_vi, expected_vi = f.get("found_vi") or f.get("found"), f.get("expected_vi") or f.get("expected")
            parts.append(f"<p>Gặp: {_e(found_vi)}; cần: {_e(expected_vi)}<br><span class=en>found: "
                         f"{_e(f.get('found'))}; expected: {_e(f.get('expected'))}</span></p>")
        if samples:
            cols = [c for c in _SAMPLE_COLUMNS if c[0] in ("raw_text", "expected")
                    or any(s.get(c[0]) not in (None, "") for s in samples)]
            rows = "".join("<tr>" + "".join(f"<td>{_cell(s, c[0])}</td>" for c in cols) + "</tr>"
                           for s in samples)
            parts.append("<table><tr>" + "".join(f"<th>{_label(vi, en)}</th>" for _, vi, en in cols)
                         + f"</tr>{rows}</table>")
        if f.get("not_shown"):
            parts.append(f"<p>… và {_e(f['not_shown'])} dòng khác <span class=en>… and {_e(f['not_shown'])} "
                         f"more rows</span></p>")
    skipped = report.get("skipped") or []
    if skipped:
        parts.append(f"<p>Không kiểm tra được <span class=en>not evaluated</span>: {_e(', '.join(skipped))}</p>")
    title = f"{report.get('source_code')} {report.get('period')} — kiểm tra dữ liệu"
    return (f"<!DOCTYPE html><html lang=vi><head><meta charset=utf-8><title>{_e(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")
