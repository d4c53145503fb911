"""What an alert says: the ward, the source, the period, the failed rules in plain Vietnamese and
English, every failing cell of each rule up to 50 rows per rule (file, sheet, row, column as typed in
the file and its letter, the value as typed, what was expected; a Vietnamese line then an English line),
the count of the rest, and the link to the report.

Pure formatting: a message is a plain `AlertMessage`; channels turn it into a webhook payload or an
e-mail. No secrets ever enter a message: the flows build it from the delivery and the report only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

KIND_TITLES = {
    "validation_failed": ("Dữ liệu giao nộp không đạt kiểm tra, đã cách ly, chưa nạp",
                          "Delivery failed validation: quarantined, not loaded"),
    "source_unreachable": ("Không kết nối được nguồn dữ liệu sau nhiều lần thử",
                           "Source cannot be reached after retries"),
    "source_late": ("Nguồn dữ liệu chưa giao nộp đúng hạn", "Source has not delivered by its expected day"),
    "flow_failed": ("Lượt chạy tổng hợp dữ liệu bị lỗi", "A data-integration flow run failed"),
}
RESOLVED_TITLE = ("Đã khắc phục", "Resolved")
#: Failing rows listed per rule (the validation report holds the same cap); the rest are counted.
MAX_ROWS_PER_RULE = 50


@dataclass
class AlertMessage:
    """One alert or resolution notice, in plain values.

    Attributes:
        kind: ``validation_failed`` | ``source_unreachable`` | ``source_late`` | ``flow_failed``.
        status: ``open`` (a problem) or ``resolved`` (its fix).
        unit_code, unit_name, source_code, source_name, period: what it is about.
        summary_vi, summary_en: one or two sentences.
        failures: failed rules, dicts with ``rule_id, severity, description_vi, description_en,
            unexpected_count, samples, not_shown, found, expected`` (samples: ``source_file, sheet,
            row_number, column_name, letter, raw_text, expected, expected_vi`` and, as the validation
            report writes them, ``message_vi`` / ``message_en``).
        report_url: link to the validation report (file URI or the reports site), if any.
        alert_key: the problem's identity in the warehouse.
    """

    kind: str
    status: str
    unit_code: str
    unit_name: str
    source_code: str
    source_name: str
    period: str
    summary_vi: str
    summary_en: str
    failures: list[dict] = field(default_factory=list)
    report_url: str | None = None
    alert_key: str = ""

    def sample_rows(self) -> list[dict]:
        """Every listed failing cell of every failed rule (up to 50 rows per rule), tagged with its rule."""
        rows = []
        for f in self.failures:
            shown, _ = _listed(f)
            rows += [{"rule_id": f.get("rule_id"), **s} for s in shown]
        return rows


def _non_finite(value) -> str | None:
    """``Infinity`` / ``-Infinity`` / ``NaN`` for a non-finite number (float, numpy, Decimal), else None."""
    if isinstance(value, bool | int | str) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return None


_NON_FINITE_VI = {"Infinity": "vô cực", "-Infinity": "âm vô cực", "NaN": "không xác định"}


def shown(value, vi: bool = False) -> str:
    """A value as people read it in a line: a non-finite number in words (``vô cực``, ``không xác định`` in
    Vietnamese; ``Infinity``, ``NaN`` in English), anything else as its text."""
    odd = _non_finite(value)
    if odd is not None:
        return _NON_FINITE_VI[odd] if vi else odd
    return "" if value is None else str(value)


def plain_json(value):
    """`value` made JSON-safe: non-finite numbers as the strings ``Infinity`` / ``-Infinity`` / ``NaN``,
    numpy scalars and Decimals as numbers, dates as ISO text, anything else unknown as its text."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_json(v) for v in value]
    if isinstance(value, int):
        return value
    odd = _non_finite(value)
    if odd is not None:
        return odd
    if isinstance(value, float):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return plain_json(item())
        except (TypeError, ValueError):
            pass
    try:
        return float(value)  # Decimal, Fraction …
    except (TypeError, ValueError, OverflowError):
        return str(value)


def title(message: AlertMessage) -> tuple[str, str]:
    """(Vietnamese, English) headline of the message."""
    vi, en = KIND_TITLES.get(message.kind, (message.kind, message.kind))
    if message.status == "resolved":
        return f"{RESOLVED_TITLE[0]}: {vi}", f"{RESOLVED_TITLE[1]}: {en}"
    return vi, en


def subject(message: AlertMessage) -> str:
    """E-mail subject: ``[thidua] <unit name> – <source> <period>: <headline vi> / <headline en>``."""
    vi, en = title(message)
    return f"[thidua] {message.unit_name} – {message.source_code} {message.period}: {vi} / {en}"


def _listed(failure: dict) -> tuple[list[dict], int]:
    """The samples of a rule to list (their first 50 rows) and how many failing rows are not listed."""
    samples = failure.get("samples") or []
    shown, rows = [], []
    for s in samples:
        row = (s.get("source_file"), s.get("sheet"), s.get("row_number"))
        if row not in rows:
            if len(rows) >= MAX_ROWS_PER_RULE:
                continue
            rows.append(row)
        shown.append(s)
    hidden_rows = len({(s.get("source_file"), s.get("sheet"), s.get("row_number")) for s in samples}) - len(rows)
    return shown, hidden_rows + int(failure.get("not_shown") or 0)


def _where(s: dict, vi: bool) -> str:
    parts = [f"{'tệp' if vi else 'file'} {s.get('source_file') or '?'}"]
    if s.get("sheet"):
        parts.append(f"{'trang' if vi else 'sheet'} '{s['sheet']}'")
    if s.get("row_number") is not None:
        parts.append(f"{'dòng' if vi else 'row'} {s['row_number']}")
    header, letter = s.get("column_name"), s.get("letter")
    if header:
        parts.append(f"cột {letter + ' ' if letter else ''}'{header}'" if vi
                     else f"column '{header}'" + (f" ({letter})" if letter else ""))
    return ", ".join(parts)


def sample_lines(s: dict) -> tuple[str, str]:
    """(Vietnamese, English) lines of one failing cell, as the validation report wrote them (or, for an
    older stored result, built from its parts); never a Python repr."""
    if s.get("message_vi") and s.get("message_en"):
        return s["message_vi"], s["message_en"]
    raw = s.get("raw_text")
    found_vi = "ô trống" if raw is None or raw == "" else f"'{shown(raw, True)}'"
    found_en = "an empty cell" if raw is None or raw == "" else f"'{shown(raw)}'"
    expected_en = shown(s.get("expected") or "")
    expected_vi = shown(s.get("expected_vi"), True) if s.get("expected_vi") else expected_en
    tail_vi = f", cần {expected_vi}" if expected_vi else ""
    tail_en = f", expected {expected_en}" if expected_en else ""
    key = f" ({s['key']})" if s.get("key") else ""
    return (f"{_where(s, True)}: gặp {found_vi}{tail_vi}{key}", f"{_where(s, False)}: found {found_en}{tail_en}{key}")


def format_text(message: AlertMessage) -> str:
    """The message as plain text, Vietnamese first then English, for e-mail bodies and chat."""
    vi, en = title(message)
    lines = [f"{vi}", f"{en}", "",
             f"Đơn vị / Unit: {message.unit_name} ({message.unit_code})",
             f"Nguồn / Source: {message.source_name} ({message.source_code})",
             f"Kỳ / Period: {message.period}", "",
             message.summary_vi, message.summary_en]
    if message.failures:
        lines += ["", "Quy tắc không đạt / Failed rules:"]
        for f in message.failures:
            count = f.get("unexpected_count")
            level_vi, level_en = ("LỖI", "ERROR") if f.get("severity") == "error" else ("CẢNH BÁO", "WARNING")
            lines.append(f"  • [{level_vi}] {f.get('description_vi')} ({f.get('rule_id')})"
                         + (f" — {shown(count, True)} dòng" if count is not None else ""))
            lines.append(f"    [{level_en}] {f.get('description_en')} ({f.get('rule_id')})"
                         + (f" — {shown(count)} row(s)" if count is not None else ""))
            listed, rest = _listed(f)
            if not listed and (f.get("found") or f.get("expected")):
                lines.append(f"    - gặp {shown(f.get('found_vi') or f.get('found'), True)}; "
                             f"cần {shown(f.get('expected_vi') or f.get('expected'), True)}")
                lines.append(f"      found {shown(f.get('found'))}; expected {shown(f.get('expected'))}")
            for s in listed:
                line_vi, line_en = sample_lines(s)
                lines += [f"    - {line_vi}", f"      {line_en}"]
            if rest:
                lines += [f"    … và {rest} dòng khác", f"      … and {rest} more rows"]
    if message.report_url:
        lines += ["", f"Báo cáo kiểm tra / Validation report: {message.report_url}"]
    return "\n".join(lines) + "\n"


def webhook_payload(message: AlertMessage) -> dict:
    """A JSON body most chat webhooks accept (``text``), with the structured alert beside it."""
    vi, en = title(message)
    return plain_json({
        "text": format_text(message),
        "title": f"{vi} / {en}",
        "alert": {
            "key": message.alert_key, "kind": message.kind, "status": message.status,
            "unit_code": message.unit_code, "unit_name": message.unit_name,
            "source_code": message.source_code, "source_name": message.source_name, "period": message.period,
            "summary_vi": message.summary_vi, "summary_en": message.summary_en,
            "failed_rules": [{**{k: f.get(k) for k in ("rule_id", "severity", "description_vi", "description_en",
                                                        "unexpected_count", "found", "expected")},
                              "not_listed": _listed(f)[1]}
                             for f in message.failures],
            "sample_rows": message.sample_rows(),
            "report_url": message.report_url,
        },
    })
