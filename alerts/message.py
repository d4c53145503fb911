"""What an alert says: the ward, the source, the period, the failed rules in plain Vietnamese and
English, up to 20 sample rows (file, sheet, row, column, value found) and the link to the report.

Pure formatting: a message is a plain `AlertMessage`; channels turn it into a webhook payload or an
e-mail. No secrets ever enter a message: the flows build it from the delivery and the report only.
"""

from __future__ import annotations

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
MAX_SAMPLES = 20


@dataclass
class AlertMessage:
    """One alert or resolution notice, in plain values.

    Attributes:
        kind: ``validation_failed`` | ``source_unreachable`` | ``source_late`` | ``flow_failed``.
        status: ``open`` (a problem) or ``resolved`` (its fix).
        unit_code, unit_name, source_code, source_name, period: what it is about.
        summary_vi, summary_en: one or two sentences.
        failures: failed rules, dicts with ``rule_id, severity, description_vi, description_en,
            unexpected_count, samples`` (samples: ``source_file, sheet, row_number, column_name, raw_text``).
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
        """Up to 20 sample rows over all failed rules, each tagged with its rule."""
        rows = []
        for f in self.failures:
            for s in f.get("samples") or []:
                rows.append({"rule_id": f.get("rule_id"), **s})
        return rows[:MAX_SAMPLES]


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


def _sample_line(s: dict) -> str:
    return (f"    - tệp/file {s.get('source_file')}, trang/sheet {s.get('sheet') or '-'}, dòng/row "
            f"{s.get('row_number') if s.get('row_number') is not None else '-'}, cột/column "
            f"{s.get('column_name') or '-'}, giá trị/found {s.get('raw_text')!r}"
            + (f" ({s['key']})" if s.get("key") else "")
            + (f" [{s['indicator_code']} {s.get('member_code') or ''}]".rstrip() if s.get("indicator_code") else ""))


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
        shown = 0
        for f in message.failures:
            count = f.get("unexpected_count")
            n = f" — {count} dòng/rows" if count is not None else ""
            level = "LỖI/ERROR" if f.get("severity") == "error" else "CẢNH BÁO/WARNING"
            lines.append(f"  • [{level}] {f.get('description_vi')} / {f.get('description_en')} "
                         f"({f.get('rule_id')}){n}")
            if f.get("found") or f.get("expected"):
                lines.append(f"    thấy/found: {f.get('found')}; cần/expected: {f.get('expected')}")
            for s in f.get("samples") or []:
                if shown >= MAX_SAMPLES:
                    break
                lines.append(_sample_line(s))
                shown += 1
    if message.report_url:
        lines += ["", f"Báo cáo kiểm tra / Validation report: {message.report_url}"]
    return "\n".join(lines) + "\n"


def webhook_payload(message: AlertMessage) -> dict:
    """A JSON body most chat webhooks accept (``text``), with the structured alert beside it."""
    vi, en = title(message)
    return {
        "text": format_text(message),
        "title": f"{vi} / {en}",
        "alert": {
            "key": message.alert_key, "kind": message.kind, "status": message.status,
            "unit_code": message.unit_code, "unit_name": message.unit_name,
            "source_code": message.source_code, "source_name": message.source_name, "period": message.period,
            "summary_vi": message.summary_vi, "summary_en": message.summary_en,
            "failed_rules": [{k: f.get(k) for k in ("rule_id", "severity", "description_vi", "description_en",
                                                     "unexpected_count", "found", "expected")}
                             for f in message.failures],
            "sample_rows": message.sample_rows(),
            "report_url": message.report_url,
        },
    }
