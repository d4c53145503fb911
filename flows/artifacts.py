"""Prefect artifacts of the monthly close: what the Prefect UI shows for every run (issue 5).

Two artifacts per close, under keys stable per ward and year so the UI keeps their history:

- ``attainment-<unit>-<year>`` (table): one row per target: status so far, outlook, gap, in Vietnamese;
- ``close-summary-<unit>-<year>`` (markdown): the month, each source's outcome, the count of targets per
  status and the targets that need attention.

Keys are lowercase letters, digits and dashes (Prefect's rule).
"""

from __future__ import annotations

import re

from flows.presentation import (
    OUTLOOK_VI,
    STATUS_VI,
    format_bound,
    format_number,
    neutralise_formula,
)

SOURCE_LABELS = {"loaded": "đã nạp", "replaced": "đã thay thế bản cũ", "unchanged": "không đổi",
                 "missing": "chưa có", "quarantined": "bị cách ly", "failed": "lỗi"}


def artifact_key(kind: str, unit_code: str, year: int | str) -> str:
    """``attainment-10549-2025``: lowercase letters, digits and dashes only."""
    key = f"{kind}-{unit_code}-{year}".lower()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", key)).strip("-")


def _value_text(rec: dict) -> str:
    if rec.get("comparison") == "qualitative":
        value = rec.get("value")
        if value is None or value != value:
            return ""
        return "Giữ vững" if float(value) >= 1 else "Không giữ vững"
    decimals = 0 if rec.get("display_unit") == "lượt" else 2
    return format_number(rec.get("value"), decimals)


def attainment_rows(attainment) -> list[dict]:
    """The attainment as table-artifact rows with Vietnamese headers and numbers."""
    rows = []
    for rec in attainment.sort_values("target_code").to_dict("records"):
        decimals = 0 if rec.get("display_unit") == "lượt" else 2
        outlook = rec.get("outlook_value")
        rows.append({
            "Mã": rec["target_code"],
            "Chỉ tiêu": neutralise_formula(rec.get("name_vi") or ""),
            "Kế hoạch": format_bound(rec["comparison"], rec.get("bound_low"), rec.get("bound_high")),
            "Thực hiện": _value_text(rec),
            "Đánh giá": STATUS_VI.get(rec["status"], rec["status"]),
            "Dự báo cả năm": format_number(outlook, decimals) if rec["comparison"] != "qualitative" else "",
            "Triển vọng": OUTLOOK_VI.get(rec.get("outlook_status"), rec.get("outlook_status") or ""),
            "Còn cần": neutralise_formula(rec.get("gap_text") or ""),
        })
    return rows


def summary_markdown(result: dict) -> str:
    """The close in a few lines of markdown: sources, then targets per status and those needing care."""
    period, unit = result["period"], result["unit_code"]
    lines = [f"# Khóa sổ tháng {int(period[5:7])}/{period[:4]} — đơn vị {unit}", "", "## Nguồn số liệu", "",
             "| Nguồn | Kết quả | Số bản ghi | Ghi chú |", "|---|---|---|---|"]
    for code, outcome in result["sources"].items():
        message = (outcome.message or "").replace("|", "/").replace("\n", " ")
        lines.append(f"| {code} | {SOURCE_LABELS.get(outcome.status, outcome.status)} | {outcome.rows} | "
                     f"{message} |")
    attainment = result.get("attainment")
    if attainment is None or attainment.empty:
        lines += ["", "Năm cơ sở: không đánh giá chỉ tiêu tháng này."]
        return "\n".join(lines) + "\n"
    counts = attainment["status"].value_counts().to_dict()
    lines += ["", "## Chỉ tiêu", ""]
    lines += [f"- {STATUS_VI[s]}: {counts[s]}" for s in STATUS_VI if counts.get(s)]
    needs_care = attainment["status"].isin(["behind", "not_met", "no_data"])
    if "outlook_status" in attainment:
        needs_care |= attainment["outlook_status"].isin(["behind", "not_met"])
    attention = attainment[needs_care]
    if not attention.empty:
        lines += ["", "## Cần chú ý", ""]
        for rec in attention.sort_values("target_code").to_dict("records"):
            gap = rec.get("gap_text") or ""
            outlook = OUTLOOK_VI.get(rec.get("outlook_status"), "")
            lines.append(f"- **{rec['target_code']}** {STATUS_VI.get(rec['status'], rec['status'])}; "
                         f"dự báo: {outlook}{'. ' + gap if gap else ''}")
    return "\n".join(lines) + "\n"


def publish_close_artifacts(result: dict) -> None:
    """Publish the close's attainment table and markdown summary as Prefect artifacts.

    Args:
        result: what ``close_month`` returns: ``period``, ``unit_code``, ``sources`` and ``attainment``
            (None for a baseline month: then only the summary is published).
    """
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    period, unit = result["period"], result["unit_code"]
    year = period[:4]
    attainment = result.get("attainment")
    if attainment is not None and not attainment.empty:
        create_table_artifact(table=attainment_rows(attainment), key=artifact_key("attainment", unit, year),
                              description=f"Kết quả thực hiện chỉ tiêu thi đua tháng {int(period[5:7])}/{year}, "
                                          f"đơn vị {unit}")
    create_markdown_artifact(markdown=summary_markdown(result), key=artifact_key("close-summary", unit, year),
                             description=f"Khóa sổ tháng {period}, đơn vị {unit}")
