"""Vietnamese conventions shared by every connector: text, numbers, units, dates, periods.

Conventions (../shared/reference/source-formats.md §1): text arrives in NFC or NFD and must be compared in
NFC; a dot groups thousands and a comma marks decimals (`1.234,5`); `(1.234)` is negative; blank, `-` and
`–` mean "no figure" and are never 0; money units are declared once per sheet (`Đơn vị tính: Triệu đồng`).
Functions here return `None` for "no figure" and raise `ValueError` for text that is not what was asked;
the readers turn that into a `BadInputError` naming the cell.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from datetime import date, datetime, timedelta

MISSING_MARKS = frozenset({"", "-", "–", "—", "--", "…", "..."})

_WS = re.compile(r"\s+")


def normalize_text(value: object) -> str:
    """Text in NFC with every run of whitespace (incl. newlines, NBSP) collapsed to one space, stripped."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return _WS.sub(" ", text.replace("\u00a0", " ").replace("\u200b", "")).strip()


def normalize_label(value: object) -> str:
    """A header or row label for matching: normalised text, case-folded, `/` spaced as ` / `."""
    text = normalize_text(value).casefold()
    text = re.sub(r"\s*/\s*", " / ", text)
    return text


def fold_accents(value: object) -> str:
    """`normalize_label` without diacritics (`đ` -> `d` too), for forgiving comparisons (khỏe = khoẻ)."""
    text = unicodedata.normalize("NFD", normalize_label(value))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.replace("đ", "d").replace("Đ", "d")


def is_missing(value: object) -> bool:
    """True for an empty cell, whitespace, or a dash meaning "no figure"."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return normalize_text(value) in MISSING_MARKS
    return False


_NUM_CHARS = re.compile(r"^[+-]?[0-9.,]+$")

#: Number conventions a layout may declare for text cells: `vi` (dot groups thousands, comma marks
#: decimals: the Vietnamese display, source-formats.md §1), `en` (comma groups, dot marks decimals), or
#: None (nothing declared: an ambiguous text such as `1.250` is refused, never guessed).
NUMBER_CONVENTIONS = ("vi", "en", None)


class AmbiguousNumberError(ValueError):
    """Text such as `1.250` that is 1250 in one convention and 1.25 in the other, with none declared."""


def parse_number(value: object, convention: str | None = "vi") -> float | None:
    """A number from a cell: numeric cells as they are, Vietnamese text (`1.234,5`, `(1.234)`, `15,4%`).

    Returns None for no figure (blank, `-`, `–`). Raises ValueError for other text. Text rules: both `.` and
    `,` present -> the last one is the decimal mark (`1.234,5`; `1,234.5` too); one mark appearing several
    times groups thousands (`1.234.567`); one mark once with other than three digits after it is a decimal
    mark (`1.5`, `15,4`, `0.250`); one mark once with exactly three digits after it (`1.250`, `1,250`) is
    ambiguous and resolved by `convention` (`vi`: `.` groups, `,` decimal; `en`: the reverse); with no
    convention it raises `AmbiguousNumberError`.
    """
    if convention not in NUMBER_CONVENTIONS:
        raise ValueError(f"unknown number convention {convention!r}")
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        return float(value)
    if isinstance(value, date | datetime):
        raise ValueError("a date is not a number")
    if is_missing(value):
        return None
    text = normalize_text(value).replace(" ", "").replace("\u2212", "-")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("%"):
        text = text[:-1]
    if text.startswith("'"):
        text = text[1:]
    if not _NUM_CHARS.match(text) or not any(ch.isdigit() for ch in text):
        raise ValueError(f"not a number: {value!r}")
    sign = -1.0 if negative else 1.0
    if text[0] in "+-":
        if text[0] == "-":
            sign = -sign
        text = text[1:]
    if "." in text and "," in text:
        decimal, group = (",", ".") if text.rfind(",") > text.rfind(".") else (".", ",")
        whole, _, frac = text.rpartition(decimal)
        if decimal in whole or not _grouped(whole, group):
            raise ValueError(f"not a number: {value!r}")
        text = whole.replace(group, "") + "." + frac
    elif "." in text or "," in text:
        mark = "." if "." in text else ","
        groups = text.split(mark)
        if len(groups) > 2:
            if not _grouped(text, mark):
                raise ValueError(f"not a number: {value!r}")
            text = "".join(groups)
        elif len(groups[1]) != 3 or not groups[0] or groups[0] == "0" or groups[0].startswith("0"):
            text = groups[0] + "." + groups[1]      # 1.5, 15,4, 0.250: only a decimal mark fits
        elif convention is None:
            raise AmbiguousNumberError(
                f"ambiguous number {value!r}: {groups[0]}{groups[1]} with '{mark}' grouping thousands, "
                f"{groups[0]}.{groups[1]} with '{mark}' as the decimal mark")
        elif (convention == "vi") == (mark == "."):
            text = groups[0] + groups[1]             # vi: 1.250 = 1250; en: 1,250 = 1250
        else:
            text = groups[0] + "." + groups[1]       # vi: 1,250 = 1.25; en: 1.250 = 1.25
    try:
        return sign * float(text)
    except ValueError as exc:  # e.g. "1..2"
        raise ValueError(f"not a number: {value!r}") from exc


def _grouped(text: str, mark: str) -> bool:
    """True for digits grouped by threes with `mark` (`1.234.567`), the first group 1-3 digits."""
    groups = text.split(mark)
    return (1 <= len(groups[0]) <= 3 and groups[0].isdigit()
            and all(len(g) == 3 and g.isdigit() for g in groups[1:]))


# Money units: the word(s) before `đồng`, compared without accents (allow-list, source-formats.md §1).
_MONEY_UNITS: dict[str, float] = {
    "": 1.0,
    "vnd": 1.0,
    "nghin": 1e3,
    "ngan": 1e3,
    "1.000": 1e3,
    "1000": 1e3,
    "trieu": 1e6,
    "tr": 1e6,
    "tr.": 1e6,
    "tieu": 1e6,  # frequent misspelling "Tiệu đồng"
    "trieu trieu": 1e12,
    "1.000.000": 1e6,
    "1000000": 1e6,
    "ty": 1e9,
    "ti": 1e9,
    "1.000.000.000": 1e9,
}
_UNIT_LINE = re.compile(r"^\(?\s*(?:đơn vị tính|đvt|don vi tinh|dvt)\s*[:：]\s*(.*?)\s*\)?\.?$")
_BARE_UNIT_LINE = re.compile(r"^\(?\s*(?:đơn vị|don vi)\s*[:：]\s*(.*?)\s*\)?\.?$")


def money_factor(unit: object) -> float | None:
    """VND per unit for a money unit (`Triệu đồng` -> 1e6, `đồng` -> 1), None when the unit is not money.

    A trailing `/người/năm` (per person per year) keeps the money factor. Raises ValueError for a unit that
    names `đồng` with an unknown multiplier (`Triệu USD đồng`).
    """
    folded = fold_accents(unit)
    if not folded:
        return None
    folded = folded.split(" / ")[0].strip().strip("().").strip()
    if folded in ("vnd", "vnđ"):
        return 1.0
    match = re.match(r"^(.*?)\s*(?:dong|d|vnd)\.?$", folded)
    if not match:
        return None
    word = match.group(1).strip()
    if word not in _MONEY_UNITS:
        raise ValueError(f"unknown money unit: {unit!r}")
    return _MONEY_UNITS[word]


def parse_unit_line(value: object) -> str | None:
    """The unit named by a `Đơn vị tính: …` / `ĐVT: …` line, or None when the text is not a unit line.

    Parentheses and a final full stop around the line are allowed (`(Đơn vị tính: Triệu đồng)`). A bare
    `Đơn vị: …` usually names an organisation (`Đơn vị: UBND phường …`): it is a unit line only when what
    follows is a money unit (`Đơn vị: triệu đồng`).
    """
    label = normalize_label(value)
    match = _UNIT_LINE.match(label)
    if not match:
        bare = _BARE_UNIT_LINE.match(label)
        if not bare:
            return None
        try:
            if money_factor(bare.group(1)) is None:
                return None
        except ValueError:
            return None
    # return the unit in its original case: the text after the colon, without the closing bracket
    original = normalize_text(value)
    colon = max(original.find(":"), original.find("："))
    unit = original[colon + 1:].strip()
    if original.startswith("(") and unit.endswith(")"):
        unit = unit[:-1].strip()
    return unit.rstrip(".").strip() if unit not in (".",) else ""


_DATE_TEXT = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_ISO_TEXT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def parse_datetime(value: object) -> datetime | None:
    """A timestamp from a date cell, `dd/mm/yyyy [HH:mm[:ss]]`, ISO text or an Excel serial number.

    None for no figure; ValueError for other text. Day first, always (`03/08/2025` is 3 August).
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a date")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        if not 1 <= value < 2958466:
            raise ValueError(f"not a date: {value!r}")
        return _EXCEL_EPOCH + timedelta(days=float(value))
    if is_missing(value):
        return None
    text = normalize_text(value)
    match = _DATE_TEXT.match(text)
    if match:
        d, m, y, hh, mm, ss = match.groups()
        return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    match = _ISO_TEXT.match(text)
    if match:
        y, m, d, hh, mm, ss = match.groups()
        return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    raise ValueError(f"not a date: {value!r}")


def parse_date(value: object) -> date | None:
    """A calendar date (see `parse_datetime`); the time of day is dropped."""
    stamp = parse_datetime(value)
    return None if stamp is None else stamp.date()


def cell_text(value: object) -> str:
    """The text of a cell as a person reads it: `12` not `12.0`, dates `dd/mm/yyyy`, blank as ``''``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return unicodedata.normalize("NFC", str(value))


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February -> 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a `YYYY-MM` period."""
    match = _PERIOD.match(period or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"period must be 'YYYY-MM', got {period!r}")
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


_PERIOD_LINE = re.compile(r"tháng\s*(\d{1,2})\s*(?:năm|/)\s*(\d{4})")


def parse_period_line(value: object) -> str | None:
    """`Tháng 8 năm 2025` / `Tháng 8/2025` -> `2025-08`; None when the text names no month."""
    match = _PERIOD_LINE.search(normalize_label(value))
    if not match:
        return None
    month, year = int(match.group(1)), int(match.group(2))
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None


_TRUE = {"1", "true", "t", "yes", "y", "x", "có", "co", "đã", "da"}
_FALSE = {"0", "false", "f", "no", "n", "không", "khong", "chưa", "chua"}


def parse_bool(value: object) -> bool | None:
    """A yes/no cell (`True`, `1`, `Có`, `x` / `False`, `0`, `Không`); None when blank; ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"not a yes/no value: {value!r}")
    if is_missing(value):
        return None
    text = normalize_label(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")
