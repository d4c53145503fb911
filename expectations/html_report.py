"""The validation report of one delivery as one self-contained HTML page (no CSS/JS from a CDN).

Great Expectations' own Data Docs load bootstrap, jQuery and fonts from CDNs and render unstyled
offline; this page carries its own small stylesheet and no script, so it opens from a file share or
an e-mail attachment anywhere. Labels are Vietnamese with English underneath; the time is Vietnam's
(dd/mm/yyyy HH:MM), counts are sentences, and every failing cell is a row: its cell (``G14``), file, sheet,
row, column (the header as typed), the value as typed and what was expected. It reads on a phone too.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem;color:#1d2733;max-width:72rem;line-height:1.4}
h1{font-size:1.4rem;margin-bottom:.2rem} h2{font-size:1.1rem;margin-top:2rem}
.en{color:#5b6b7b;font-size:.85em;font-weight:normal}
.badge{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;color:#fff;font-weight:600}
.ok{background:#2e7d32}.bad{background:#c62828}.warn{background:#ef6c00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border:1px solid #cfd8dc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eceff1} dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600} dd{margin:0;overflow-wrap:anywhere} .scroll{overflow-x:auto}
p.counts{margin:.3rem 0}
@media (max-width:600px){body{margin:.8rem} dl{grid-template-columns:1fr} dd{margin-bottom:.3rem}
table{font-size:.8rem}}
"""

_SAMPLE_COLUMNS = [("cell", "Ô", "Cell"), ("source_file", "Tệp", "File"), ("sheet", "Trang tính", "Sheet"),
                   ("row_number", "Dòng", "Row"), ("column_name", "Cột", "Column"),
                   ("raw_text", "Giá trị gặp (như đã nhập)", "Found (as typed)"), ("expected", "Cần", "Expected"),
                   ("key", "Khóa", "Key"), ("indicator_code", "Chỉ tiêu", "Indicator"),
                   ("member_code", "Thành phần", "Member")]


def _e(value) -> str:
    return "" if value is None else escape(str(value))


def _cell(sample: dict, name: str) -> str:
    """One table cell of a sample: the cell's address (G14), the column with its letter, the expectation
    in both languages, the value as typed (quoted, so an empty cell and a space are told apart), or the
    plain value."""
    if name == "cell":
        return _e(_address(sample))
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


def _address(sample: dict) -> str:
    """``G14`` when the column's letter and the row are known, else ''."""
    letter, row = sample.get("letter"), sample.get("row_number")
    return f"{letter}{row}" if letter and row is not None else ""


def local_time(value) -> str:
    """An ISO time (UTC) as Vietnam's dd/mm/yyyy HH:MM; the text itself when it is not a time."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def _period_words(period) -> tuple[str, str]:
    text = str(period or "")
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return f"Tháng {int(text[5:])} năm {text[:4]}", text
    return text, text


ROWS_VI = {"records": ("dòng của tệp", "rows of the file"),
           "observations": ("số liệu đọc ra từ tệp", "figures read from it")}


def counts_sentences(report: dict) -> tuple[str, str]:
    """(Vietnamese, English) sentences of what was checked: rules, errors, warnings, rows."""
    evaluated = report.get("evaluated_count")
    errors, warnings = report.get("error_count") or 0, report.get("warning_count") or 0
    vi = f"Đã chạy {evaluated} quy tắc kiểm tra" if evaluated is not None else "Đã kiểm tra"
    en = f"{evaluated} rules were run" if evaluated is not None else "Checked"
    vi += (f": {errors} quy tắc báo lỗi" if errors else ": không có lỗi") + (
        f", {warnings} quy tắc cảnh báo." if warnings else ", không có cảnh báo.")
    en += (f": {errors} found errors" if errors else ": no errors") + (
        f", {warnings} gave warnings." if warnings else ", no warnings.")
    rows = report.get("rows_checked")
    if isinstance(rows, dict) and rows:
        parts = [(f"{n:,}".replace(",", "."), f"{n:,}", *ROWS_VI.get(k, (k, k)))
                 for k, n in sorted(rows.items(), key=lambda kv: kv[0] != "records") if isinstance(n, int)]
        if parts:
            vi += " Đã xem " + " và ".join(f"{n} {words}" for n, _, words, _ in parts) + "."
            en += " Looked at " + " and ".join(f"{n} {words}" for _, n, _, words in parts) + "."
    return vi, en


# what became of the delivery (the flows pass the load's status)
OUTCOME_VI = {"loaded": ("đã nạp", "loaded"),
              "replaced": ("đã nạp, thay bản trước", "loaded, replacing the earlier one"),
              "unchanged": ("không đổi", "unchanged"), "quarantined": ("bị cách ly, không nạp", "quarantined"),
              "failed": ("lỗi, không nạp", "failed"), "superseded": ("đã được thay bằng bản sau", "superseded")}


def _outcome(outcome: str) -> str:
    if outcome in OUTCOME_VI:
        vi, en = OUTCOME_VI[outcome]
        return f"{_e(vi)} <span class=en>{_e(en)}</span>"
    return _e(outcome)


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
    period_vi, period_en = _period_words(report.get("period"))
    counts_vi, counts_en = counts_sentences(report)
    head = (f"<h1>Kết quả kiểm tra dữ liệu <span class=en>Validation report</span></h1>"
            f"<p>{badge} {_outcome(outcome)}</p><dl>"
            f"<dt>Đơn vị <span class=en>Unit</span></dt><dd>{_e(unit_name)} ({_e(report.get('unit_code'))})</dd>"
            f"<dt>Nguồn <span class=en>Source</span></dt><dd>{_e(source_name)} ({_e(report.get('source_code'))})</dd>"
            f"<dt>Kỳ <span class=en>Period</span></dt><dd>{_e(period_vi)} <span class=en>{_e(period_en)}</span></dd>"
            f"<dt>Tệp <span class=en>File</span></dt><dd>{_e(file_name)}</dd>"
            f"<dt>Thời điểm kiểm tra <span class=en>Checked at (Vietnam time)</span></dt>"
            f"<dd>{_e(local_time(report.get('checked_at')))}</dd></dl>"
            f"<p class=counts>{_e(counts_vi)}<br><span class=en>{_e(counts_en)}</span></p>")
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
            parts.append(f"<p>Số dòng vi phạm: <b>{_e(count)}</b> <span class=en>rows failing</span></p>")
        samples = f.get("samples") or []
        if f.get("found") or f.get("expected"):
            found_vi, expected_vi = f.get("found_vi") or f.get("found"), f.get("expected_vi") or f.get("expected")
            parts.append(f"<p>Gặp: {_e(found_vi)}; cần: {_e(expected_vi)}<br><span class=en>found: "
                         f"{_e(f.get('found'))}; expected: {_e(f.get('expected'))}</span></p>")
        if samples:
            cols = [c for c in _SAMPLE_COLUMNS if c[0] in ("raw_text", "expected")
                    or any((_address(s) if c[0] == "cell" else s.get(c[0])) not in (None, "") for s in samples)]
            rows = "".join("<tr>" + "".join(f"<td>{_cell(s, c[0])}</td>" for c in cols) + "</tr>"
                           for s in samples)
            parts.append("<div class=scroll><table><tr>" + "".join(f"<th>{_label(vi, en)}</th>" for _, vi, en in cols)
                         + f"</tr>{rows}</table></div>")
        if f.get("not_shown"):
            parts.append(f"<p>… và {_e(f['not_shown'])} dòng khác <span class=en>… and {_e(f['not_shown'])} "
                         f"more rows</span></p>")
    skipped = report.get("skipped") or []
    if skipped:
        parts.append(f"<p>Không kiểm tra được <span class=en>not evaluated</span>: {_e(', '.join(skipped))}</p>")
    title = f"Kiểm tra dữ liệu — {source_name or report.get('source_code')} — {period_vi}"
    return (f"<!DOCTYPE html><html lang=vi><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width, initial-scale=1'><title>{_e(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")
