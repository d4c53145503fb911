"""What people read about a failed rule: one Vietnamese line and one English line per cell at fault.

A message points at the cell: file, sheet, row (as Excel shows it), the column by its header as typed in
the file and its letter when the reader knows it, the value as typed (the cell's text, never a Python
repr nor a reformatted number) and what was expected, e.g.

    tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 11, cột G 'Lũy kế từ đầu năm': gặp '18613.8', cần bằng tổng
    các dòng chi tiết 18.600,0 (chênh 13,8)
    file bao-cao.xlsx, sheet 'Thu NSNN', row 11, column 'Lũy kế từ đầu năm' (G): found '18613.8', expected
    the sum of its parts 18,600.0 (difference 13.8)

Numbers a rule computes (a sum, a gap, a bound) are written the Vietnamese way on the Vietnamese line
(1.234,5) and the English way on the English line (1,234.5). Everything here works on plain dicts (the
samples of `ValidationReport.to_dict()`), so the dry run, the HTML report and the stored result agree.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd

#: Failing rows reported per rule; the rest are counted ("… và N dòng khác / … and N more rows").
MAX_ROWS_PER_RULE = 50


# numbers and dates -----------------------------------------------------------------------------------


def decimals_of(values, most: int = 3) -> int:
    """The fewest decimals (0 … `most`) that write every finite value of `values` exactly."""
    out = 0
    for v in values:
        try:
            v = float(v)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(v):
            continue
        for k in range(out, most + 1):
            scaled = v * 10 ** k
            if abs(scaled - round(scaled)) <= 1e-6 + 1e-12 * abs(scaled) or k == most:
                out = max(out, k)
                break
    return out


def en_number(value: float, decimals: int = 0) -> str:
    """``18,600.0``: English grouping and decimal point."""
    text = f"{abs(value):,.{decimals}f}"
    return ("-" if value < 0 and text.strip("0.,") else "") + text


def vi_number(value: float, decimals: int = 0) -> str:
    """``18.600,0``: Vietnamese grouping (dot) and decimal comma."""
    text = en_number(value, decimals).replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def numbers(value: float, decimals: int = 0) -> tuple[str, str]:
    """(Vietnamese, English) writing of one number."""
    return vi_number(value, decimals), en_number(value, decimals)


def day(value) -> str:
    """A date as the offices write it: ``05/10/2025`` (``05/10/2025 08:30`` when it has a time)."""
    ts = pd.Timestamp(value)
    text = f"{ts.day:02d}/{ts.month:02d}/{ts.year:04d}"
    if (ts.hour, ts.minute, ts.second) != (0, 0, 0):
        text += f" {ts.hour:02d}:{ts.minute:02d}"
    return text


def display(value) -> str | None:
    """A value as text for people when the file gave no text for it: no reprs, no float noise."""
    if value is None:
        return None
    if isinstance(value, dict | list | tuple):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    if isinstance(value, pd.Timestamp | datetime | date | np.datetime64):
        return day(value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if value.is_integer():
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


# one cell ---------------------------------------------------------------------------------------------


def where_vi(sample: dict) -> str:
    """``tệp F, trang 'S', dòng 11, cột G 'Header'`` (the parts the sample knows)."""
    parts = [f"tệp {sample.get('source_file') or '?'}"]
    if sample.get("sheet"):
        parts.append(f"trang '{sample['sheet']}'")
    cell = cell_vi(sample)
    return ", ".join([*parts, cell] if cell else parts)


def cell_vi(sample: dict) -> str:
    """``dòng 11, cột G 'Header'``: the cell within its sheet (the parts the sample knows; '' for none)."""
    parts = []
    if sample.get("row_number") is not None:
        parts.append(f"dòng {sample['row_number']}")
    header, letter = sample.get("column_name"), sample.get("letter")
    if header:
        parts.append(f"cột {letter + ' ' if letter else ''}'{header}'")
    elif letter:
        parts.append(f"cột {letter}")
    return ", ".join(parts)


def where_en(sample: dict) -> str:
    """``file F, sheet 'S', row 11, column 'Header' (G)`` (the parts the sample knows)."""
    parts = [f"file {sample.get('source_file') or '?'}"]
    if sample.get("sheet"):
        parts.append(f"sheet '{sample['sheet']}'")
    if sample.get("row_number") is not None:
        parts.append(f"row {sample['row_number']}")
    header, letter = sample.get("column_name"), sample.get("letter")
    if header:
        parts.append(f"column '{header}'" + (f" ({letter})" if letter else ""))
    elif letter:
        parts.append(f"column {letter}")
    return ", ".join(parts)


def cell_lines(sample: dict) -> tuple[str, str]:
    """(Vietnamese, English) message of one failing cell: where, the value as typed, what was expected."""
    if sample.get("message_vi") and sample.get("message_en"):
        return sample["message_vi"], sample["message_en"]
    raw = sample.get("raw_text")
    found_vi = "ô trống" if raw in (None, "") else f"'{raw}'"
    found_en = "an empty cell" if raw in (None, "") else f"'{raw}'"
    expected_en = sample.get("expected") or ""
    expected_vi = sample.get("expected_vi") or expected_en
    vi = f"{where_vi(sample)}: gặp {found_vi}" + (f", cần {expected_vi}" if expected_vi else "")
    en = f"{where_en(sample)}: found {found_en}" + (f", expected {expected_en}" if expected_en else "")
    return vi, en


def more_rows(count: int) -> tuple[str, str]:
    """(Vietnamese, English) line counting the failing rows not listed."""
    return f"… và {count} dòng khác", f"… and {count} more rows"


# one rule ---------------------------------------------------------------------------------------------

LEVELS = {"error": ("LỖI", "ERROR"), "warning": ("CẢNH BÁO", "WARNING")}


def failure_lines(failure: dict) -> list[tuple[str, str]]:
    """Every line pair of one failed rule (a dict of `FailedCheck`): the rule, then each cell at fault
    (up to the cap, then the count of the rest), or what the whole-table rule found."""
    level_vi, level_en = LEVELS.get(failure.get("severity"), (failure.get("severity"), failure.get("severity")))
    count = failure.get("unexpected_count")
    rows_vi = f" — {count} dòng" if count is not None else ""
    rows_en = f" — {count} row(s)" if count is not None else ""
    rule = failure.get("rule_id")
    pairs = [(f"[{level_vi}] {failure.get('description_vi') or rule} ({rule}){rows_vi}",
              f"[{level_en}] {failure.get('description_en') or rule} ({rule}){rows_en}")]
    samples = failure.get("samples") or []
    if not samples and (failure.get("found") or failure.get("expected")):
        found_en, expected_en = failure.get("found") or "", failure.get("expected") or ""
        found_vi = failure.get("found_vi") or found_en
        expected_vi = failure.get("expected_vi") or expected_en
        pairs.append((f"gặp {found_vi}; cần {expected_vi}", f"found {found_en}; expected {expected_en}"))
    pairs += [cell_lines(s) for s in samples]
    if failure.get("not_shown"):
        pairs.append(more_rows(int(failure["not_shown"])))
    return pairs


def report_lines(report: dict) -> list[tuple[str, str]]:
    """Every line pair of a validation report (the dict of `ValidationReport.to_dict()`), rule by rule."""
    out: list[tuple[str, str]] = []
    for failure in report.get("failed") or []:
        out += failure_lines(failure)
    return out
