"""Vietnamese presentation shared by the reports: number and date formats, labels, formula neutralising.

Numbers read the Vietnamese way (thousands ".", decimals ","; 1.234,5), dates dd/mm/yyyy. Spreadsheet
cells keep numbers numeric with a number format tagged Vietnamese (``[$-42A]``), which LibreOffice
shows as 1.234,5 whatever the machine's locale (Excel uses the reader's regional separators).
"""

from __future__ import annotations

import datetime as dt
import math
import re

STATUS_VI = {
    "met": "Đạt",
    "exceeded": "Vượt",
    "on_track": "Đúng tiến độ",
    "behind": "Chậm tiến độ",
    "not_met": "Không đạt",
    "no_data": "Chưa có số liệu",
    # a target of the plan without a source or measure yet (catalogue `status: needs_review`): untracked
    "needs_review": "Cần rà soát – chưa có nguồn",
}
# the outlook uses the same vocabulary, read as a forecast
OUTLOOK_VI = {
    "met": "Đã đạt",
    "exceeded": "Dự kiến vượt",
    "on_track": "Dự kiến đạt",
    "behind": "Nguy cơ không đạt",
    "not_met": "Không đạt",
    "no_data": "Chưa đủ số liệu",
    "needs_review": "Cần rà soát – chưa có nguồn",
}


def no_data_reason(rec: dict) -> str:
    """Why a target has no judgement, in Vietnamese, as the attainment says it (its ``gap_text`` for a
    ``no_data`` row: ``thiếu số liệu tháng 1–11 năm 2025 của LUOT_KHACH, …``), first letter lower-cased
    to follow "Chưa có số liệu: "; '' when the row is judged or gives no reason."""
    if rec.get("status") != "no_data":
        return ""
    reason = rec.get("gap_text")
    if not isinstance(reason, str) or not reason.strip():
        return ""
    reason = reason.strip()
    return reason[:1].lower() + reason[1:]


def outlook_label(status: str, period: str | None = None) -> str:
    """The outlook status in words; in December the year is closed, so it reads as the final result."""
    if period and str(period).endswith("-12"):
        return STATUS_VI.get(status, str(status))
    return OUTLOOK_VI.get(status, str(status))


SOURCE_STATUS_VI = {
    "loaded": "Đã nạp",
    "superseded": "Đã thay thế",
    "quarantined": "Bị cách ly",
    "failed": "Lỗi",
    "missing": "Chưa có",
}
SOURCE_NAME_VI = {
    "tax": "Thu ngân sách (Thuế cơ sở)",
    "public_service": "Hồ sơ thủ tục hành chính",
    "health": "Y tế",
    "education": "Trường học",
    "indicators": "Chỉ tiêu KT-XH khác",
}

# number formats of spreadsheet cells (Vietnamese locale tag: 1.234,5 in LibreOffice)
XL_INT = "[$-42A]#,##0"
XL_1DP = "[$-42A]#,##0.0"
XL_2DP = "[$-42A]#,##0.00"
XL_DATE = "dd/mm/yyyy"


def missing(value) -> bool:
    """True for None, NaN and pandas' NA."""
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return str(value) in ("<NA>", "NaT")


def format_number(value, decimals: int = 1) -> str:
    """1234.5 -> '1.234,5'; None/NaN -> '' (never 0)."""
    if missing(value):
        return ""
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_short(value) -> str:
    """A bound as written in a plan: at most 2 decimals, no trailing zeros (14.5 -> '14,5', 8 -> '8')."""
    text = format_number(value, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def format_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy; '' for None."""
    return "" if value is None else value.strftime("%d/%m/%Y")


def period_words(period: str) -> str:
    """'2025-10' -> 'Tháng 10 năm 2025'."""
    return f"Tháng {int(period[5:7])} năm {int(period[:4])}"


def period_end(period: str) -> dt.date:
    """The last day of the month ``YYYY-MM``."""
    year, month = int(period[:4]), int(period[5:7])
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def plan_text(comparison: str, low, high) -> str:
    """The target's bound as the plan words it: '≥ 60', 'từ 8 đến 10', '> 90', '< 1', '100', 'Giữ vững'."""
    if comparison == "band":
        return f"từ {format_short(low)} đến {format_short(high)}"
    if comparison == "at_least":
        return f"≥ {format_short(low)}"
    if comparison == "strictly_above":
        return f"> {format_short(low)}"
    if comparison == "strictly_below":
        return f"< {format_short(high)}"
    if comparison == "all":
        return "100"
    if comparison == "qualitative":
        return "Giữ vững"
    return comparison


def plan_bound(comparison: str, low, high) -> float | None:
    """The one number a result is compared with (the lower bound, the upper for 'strictly_below', 100 for
    'all'); None for an assessment."""
    if comparison in ("band", "at_least", "strictly_above"):
        return None if missing(low) else float(low)
    if comparison == "strictly_below":
        return None if missing(high) else float(high)
    if comparison == "all":
        return 100.0
    return None


def value_decimals(display_unit: str | None) -> int:
    """Decimals shown for a result: counts none, percentages two."""
    return 0 if (display_unit or "") in ("lượt", "người", "hộ") else 2


# Leading characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula
# or start one: OWASP's CSV-injection list (= + - @, tab, carriage return).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """The one rule for every cell we write to Excel or CSV: text that a spreadsheet could run.

    Text starting with = + - @, tab or carriage return gets a leading apostrophe, so it is shown (and
    re-exported) as text, never evaluated. Anything that is not text (numbers, negative ones included;
    dates; None) is returned unchanged, so figures stay figures.
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def stt_of(target_code: str, plan_item=None) -> str:
    """The row number of a target in the report: 'CT05a' -> '5a', 'CT02' -> '2'."""
    match = re.match(r"^CT0*(\d+)([a-z]?)$", str(target_code))
    if match:
        return match.group(1) + match.group(2)
    return "" if missing(plan_item) else str(int(plan_item))


def cell_text(row_number, column_name, column_letter=None, quotes: str = "“”") -> str:
    """Where a figure sits in its sheet: 'ô G14 (cột “Lũy kế”)' when the column's letter is known, else
    'dòng 14, cột “Lũy kế”' (what is known of it); `quotes` are the two marks around the header."""
    opening, closing = quotes[0], quotes[-1]
    row = None if missing(row_number) or row_number is None else int(row_number)
    header = column_name if isinstance(column_name, str) and column_name else None
    letter = column_letter if isinstance(column_letter, str) and column_letter else None
    if letter and row is not None:
        return f"ô {letter}{row}" + (f" (cột {opening}{header}{closing})" if header else "")
    parts = []
    if row is not None:
        parts.append(f"dòng {row}")
    if header:
        parts.append(f"cột {letter + ' ' if letter else ''}{opening}{header}{closing}")
    elif letter:
        parts.append(f"cột {letter}")
    return ", ".join(parts)
