"""How people read the results: Vietnamese number formats, status labels, the attainment table.

Numbers are shown the Vietnamese way (thousands ".", decimals ","; 1.234,5) and dates dd/mm/yyyy;
identifiers and JSON stay English.
"""

from __future__ import annotations

import json
import unicodedata

import pandas as pd

# One vocabulary for every place people read results: the reports package owns it.
from reports.vn import (  # noqa: F401
    OUTLOOK_VI,
    STATUS_VI,
    format_number,
    missing,
    neutralise_formula,
    no_data_reason,
    outlook_label,
)

# Vietnamese words for a source's state in a close (SourceOutcome.status), where people read.
SOURCE_STATUS_VI = {"loaded": "đã nạp", "replaced": "nạp thay thế", "unchanged": "không đổi", "missing": "chưa có",
                    "quarantined": "cách ly", "failed": "lỗi"}


def count_vi(n: int) -> str:
    """A count with Vietnamese thousands dots: 3.321."""
    return f"{n:,}".replace(",", ".")


COMPARISON_VI = {
    "band": "từ {low} đến {high}",
    "at_least": "≥ {low}",
    "strictly_above": "> {low}",
    "strictly_below": "< {high}",
    "all": "= 100",
    "qualitative": "giữ vững",
}

ATTAINMENT_FIELDS = ["target_code", "unit_code", "period", "value", "numerator", "denominator",
                     "bound_low", "bound_high", "comparison", "status", "inputs", "detail",
                     "outlook_value", "outlook_status", "outlook_method", "gap_value", "gap_text"]


_missing = missing


def format_bound(comparison: str, low, high) -> str:
    """The target's threshold in words, e.g. 'từ 8 đến 10'."""
    template = COMPARISON_VI.get(comparison, comparison)
    return template.format(low=format_number(low, 1).removesuffix(",0"),
                           high=format_number(high, 1).removesuffix(",0"))


def _width(text: str) -> int:
    # Vietnamese text in NFC has no combining marks, but be safe with NFD input.
    return sum(1 for ch in unicodedata.normalize("NFC", text) if not unicodedata.combining(ch))


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def attainment_table(attainment: pd.DataFrame, name_width: int = 48) -> str:
    """A plain-text table of the attainment of every target, Vietnamese labels and numbers."""
    header = ["Mã", "Chỉ tiêu", "Kết quả", "Tử số / Mẫu số", "Ngưỡng", "Đánh giá", "Dự báo cả năm"]
    rows = []
    for rec in attainment.sort_values("target_code").to_dict("records"):
        name = rec.get("name_vi") or ""
        if _width(name) > name_width:
            name = name[: name_width - 1] + "…"
        decimals = 0 if rec["comparison"] == "qualitative" or rec.get("display_unit") == "lượt" else 2
        value = format_number(rec["value"], decimals)
        if rec["comparison"] == "qualitative" and not _missing(rec["value"]):
            value = "Giữ vững" if float(rec["value"]) >= 1 else "Không giữ vững"
        ratio = ""
        if not _missing(rec["numerator"]) and not _missing(rec["denominator"]):
            ratio = f"{format_number(rec['numerator'], 0)} / {format_number(rec['denominator'], 0)}"
        rows.append([rec["target_code"], name, value, ratio,
                     format_bound(rec["comparison"], rec["bound_low"], rec["bound_high"]),
                     STATUS_VI.get(rec["status"], rec["status"]), outlook_cell(rec, decimals)])
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "-+-".join("-" * w for w in widths)
    out = [" | ".join(_pad(h, w) for h, w in zip(header, widths, strict=False)), line]
    out += [" | ".join(_pad(str(c), w) for c, w in zip(r, widths, strict=False)) for r in rows]
    reasons = [(rec["target_code"], no_data_reason(rec) or _text(rec.get("detail")))
               for rec in attainment.sort_values("target_code").to_dict("records") if rec.get("status") == "no_data"]
    if reasons:
        # why a target has no judgement (the missing months, the missing source …), one line each
        out += ["", "Chưa có số liệu (lý do):"] + [f"  {code}: {reason}" for code, reason in reasons]
    return "\n".join(out)


def _text(value) -> str:
    return "" if _missing(value) else str(value)


def outlook_cell(rec: dict, decimals: int = 2) -> str:
    """'Dự kiến đạt (111.828)': the outlook status in words and the projected figure ('' when absent)."""
    status = rec.get("outlook_status")
    if _missing(status) or not status:
        return ""
    label = outlook_label(status, rec.get("period"))
    value = rec.get("outlook_value")
    if rec.get("comparison") == "qualitative" or _missing(value):
        return label
    return f"{label} ({format_number(value, decimals)})"


def _json_value(value):
    if _missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def attainment_records(attainment: pd.DataFrame) -> list[dict]:
    """The attainment as JSON-ready dicts with the stable field names of the CLI contract."""
    records = []
    for rec in attainment.sort_values("target_code").to_dict("records"):
        records.append({k: _json_value(rec.get(k)) if k != "inputs" else rec.get("inputs") or []
                        for k in ATTAINMENT_FIELDS})
    return records


def attainment_json(attainment: pd.DataFrame) -> str:
    """The attainment as a JSON list (the `thidua attainment --format json` contract)."""
    return json.dumps(attainment_records(attainment), ensure_ascii=False, indent=2)


def attainment_csv(attainment: pd.DataFrame) -> str:
    """The attainment as CSV (UTF-8), inputs as JSON text, formula-like text neutralised."""
    frame = pd.DataFrame(attainment_records(attainment), columns=ATTAINMENT_FIELDS)
    frame["inputs"] = frame["inputs"].map(lambda v: json.dumps(v, ensure_ascii=False))
    # Text must never run as a formula in a spreadsheet: every text cell, whatever its column (codes and
    # notes come from the catalogue and the sources); numbers, negative ones too, stay numbers.
    frame = frame.apply(lambda column: column.map(neutralise_formula))
    return frame.to_csv(index=False)
