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

import numpy as np
import pandas as pd

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
_WORDS_DATE = re.compile(r"^(?:ngay\s*)?(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})\.?$")


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
    match = _WORDS_DATE.match(fold_accents(text))
    if match:  # "ngày 15 tháng 3 năm 2022", as decisions are dated
        d, m, y = match.groups()
        return datetime(int(y), int(m), int(d))
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


# ------------------------------------------------------------------ vectorised forms (whole columns)
# Each returns, value for value, what the scalar function above returns for the same input: plain values
# (the bulk of a large export) take a numpy/pandas path, anything else goes through the scalar function,
# so the scalar functions stay the one definition of the rules.

_PLAIN_TEXT = re.compile(r"\S+(?: \S+)*")
_ASCII_SPACES = bytes(c for c in range(128) if chr(c).isspace() and c != 32)


def _plain_joined(joined: str) -> bool:
    """True when every text joined by NUL is ASCII with single inner spaces only (normal already)."""
    if not joined.isascii() or "  " in joined or " \x00" in joined or "\x00 " in joined:
        return False
    raw = joined.encode("ascii")
    return not raw.startswith(b" ") and not raw.endswith(b" ") and len(raw.translate(None, _ASCII_SPACES)) == len(raw)


def _as_objects(values) -> np.ndarray:
    return np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values.astype(object)


def _only_texts(values: np.ndarray) -> bool:
    """True when every value is a str or None (not NaN, which pandas would count as None too)."""
    return (pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
            and int(pd.isna(values).sum()) == int(np.equal(values, None).sum()))


def _map_unique(values: np.ndarray, fn, texts_only: bool = False) -> np.ndarray:
    """`fn` applied once per distinct text (None included), spread back to every position.

    Only columns of texts and None are grouped: in other objects `True == 1 == 1.0` would merge values
    that the scalar functions tell apart, so those are mapped one by one.
    """
    if not (texts_only or _only_texts(values)):
        mapped = np.empty(len(values), dtype=object)
        mapped[:] = [fn(v) for v in values]
        return mapped
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [fn(u) for u in uniques]
    return mapped[codes]


def normalize_text_array(values, *, texts_only: bool = False) -> np.ndarray:
    """`normalize_text` of every value (object array; None gives ``''``).

    A column of ASCII text with single inner spaces is already normal (NFC is the identity on ASCII):
    one check over the joined column finds that; otherwise only the values that are not plain are
    normalised, once per distinct value. `texts_only`: the caller knows every value is a str or None.
    """
    values = _as_objects(values)
    out = values.copy()
    if texts_only or _only_texts(values):
        strings = np.not_equal(values, None)
        out[~strings] = ""
    else:
        strings = np.array([type(v) is str for v in values], dtype=bool)
        out[~strings] = _map_unique(values[~strings], normalize_text)
    texts = values[strings]
    if _plain_joined("\x00".join(texts)):
        return out
    codes, uniques = pd.factorize(texts)  # e.g. Vietnamese names: few distinct, none plain
    plain = np.fromiter((v.isascii() and _PLAIN_TEXT.fullmatch(v) is not None for v in uniques),
                        dtype=bool, count=len(uniques))
    uniques = uniques.astype(object)
    uniques[~plain] = [normalize_text(v) for v in uniques[~plain]]
    out[strings] = uniques[codes]
    return out


def _scalar_or_bad(fn, values: np.ndarray, texts_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(fn(value) or None, True where fn raised ValueError), once per distinct value."""
    def safe(value):
        try:
            return (fn(value), False)
        except ValueError:
            return (None, True)
    pairs = _map_unique(values, safe, texts_only)
    result = np.empty(len(values), dtype=object)
    result[:] = [p[0] for p in pairs]
    return result, np.fromiter((p[1] for p in pairs), dtype=bool, count=len(values))


_DIGITS = re.compile(r"[0-9]{1,15}")


def parse_number_array(values, convention: str | None = "vi", *, texts_only: bool = False
                       ) -> tuple[np.ndarray, np.ndarray]:
    """`parse_number` of every value: (float64 array, NaN for no figure; bad mask where it raises).

    Plain digit strings (`1250`, the usual export cell) are converted by numpy; every other value goes
    through `parse_number`, once per distinct value. `texts_only`: as in `normalize_text_array`.
    """
    values = _as_objects(values)
    if not (texts_only or _only_texts(values)):  # see _map_unique
        codes, uniques = np.arange(len(values)), values
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    numbers = np.full(len(uniques), np.nan)
    bad = np.zeros(len(uniques), dtype=bool)
    plain = np.fromiter((type(u) is str and _DIGITS.fullmatch(u) is not None for u in uniques),
                        dtype=bool, count=len(uniques))
    if plain.any():
        numbers[plain] = uniques[plain].astype("U15").astype(np.float64)
    for i in np.flatnonzero(~plain):
        try:
            number = parse_number(uniques[i], convention)
        except ValueError:
            bad[i] = True
            continue
        numbers[i] = np.nan if number is None else number
    return numbers[codes], bad[codes]


def parse_bool_array(values, *, texts_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`parse_bool` of every value: (object array of True/False/None, bad mask where it raises)."""
    return _scalar_or_bad(parse_bool, _as_objects(values), texts_only)


# (length, positions of the digits of day, month, year, hour, minute, second, separators that must match)
_STAMP_LAYOUTS = (
    # dd/mm/yyyy HH:MM:SS (separators / . - each, then a space or T): _DATE_TEXT
    (19, (0, 2), (3, 5), (6, 10), (11, 13), (14, 16), (17, 19), ((2, "/.-"), (5, "/.-"), (10, " T"),
                                                                  (13, ":"), (16, ":"))),
    (10, (0, 2), (3, 5), (6, 10), None, None, None, ((2, "/.-"), (5, "/.-"))),
    # yyyy-mm-dd[ T]HH:MM:SS: _ISO_TEXT
    (19, (8, 10), (5, 7), (0, 4), (11, 13), (14, 16), (17, 19), ((4, "-"), (7, "-"), (10, " T"),
                                                                  (13, ":"), (16, ":"))),
    (10, (8, 10), (5, 7), (0, 4), None, None, None, ((4, "-"), (7, "-"))),
)


def _stamps_of_layout(cp: np.ndarray, layout) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[us] values, ok mask) of code points `cp` (n × length) read with one fixed layout."""
    _, day, month, year, hour, minute, second, separators = layout
    out = np.full(len(cp), np.datetime64("NaT"), dtype="datetime64[us]")
    fits = np.ones(len(cp), dtype=bool)
    for pos, allowed in separators:  # the separators first: only rows that fit are read further
        fits &= np.isin(cp[:, pos], [ord(ch) for ch in allowed])
    rows = np.flatnonzero(fits)
    digits = cp[rows].astype(np.int32) - 48
    ok = np.ones(len(rows), dtype=bool)

    def number(span):
        if span is None:
            return np.zeros(len(rows), dtype=np.int64)
        part = digits[:, span[0]:span[1]]
        nonlocal ok
        ok &= ((part >= 0) & (part <= 9)).all(axis=1)
        return part.astype(np.int64) @ (10 ** np.arange(span[1] - span[0] - 1, -1, -1))

    y, m, d, hh, mm, ss = (number(s) for s in (year, month, day, hour, minute, second))
    ok &= (y >= 1) & (m >= 1) & (m <= 12) & (hh <= 23) & (mm <= 59) & (ss <= 59) & (d >= 1)
    y, m = np.where(ok, y, 1970), np.where(ok, m, 1)
    first = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    days_in_month = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    ok &= d <= days_in_month
    seconds = np.where(ok, ((d - 1) * 24 + hh) * 3600 + mm * 60 + ss, 0)
    out[rows] = first.astype("datetime64[us]") + seconds.astype("timedelta64[s]")
    fits[rows] = ok
    return out, fits


def parse_datetime_array(values, *, texts_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`parse_datetime` of every value: (datetime64[us] array, NaT for no figure; bad mask where it raises).

    Texts in a fixed layout (`dd/mm/yyyy HH:MM:SS`, `dd/mm/yyyy`, their ISO forms) are read from their
    code points by numpy, calendar-checked the way `datetime` checks them; every other value goes through
    `parse_datetime`, once per distinct value. `texts_only`: the caller knows every value is a str or None.
    """
    values = _as_objects(values)
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    bad = np.zeros(n, dtype=bool)
    done = np.equal(values, None)
    if texts_only or _only_texts(values):
        lengths = np.fromiter(map(len, np.where(done, "", values)), dtype=np.int64, count=n)
        lengths[done] = -1
    else:
        lengths = np.array([len(v) if type(v) is str else -1 for v in values], dtype=np.int64)
    for length in (19, 10):
        rows = np.flatnonzero(lengths == length)
        if not len(rows):
            continue
        cp = np.array(values[rows].tolist(), dtype=f"U{length}").view(np.uint32).reshape(len(rows), length)
        for layout in _STAMP_LAYOUTS:
            if layout[0] != length:
                continue
            stamps, ok = _stamps_of_layout(cp, layout)
            ok &= ~done[rows]
            out[rows[ok]] = stamps[ok]
            done[rows[ok]] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        parsed, failed = _scalar_or_bad(parse_datetime, values[rest], texts_only)
        bad[rest] = failed
        good = rest[~failed]
        out[good] = [np.datetime64("NaT") if v is None else np.datetime64(v, "us") for v in parsed[~failed]]
    return out, bad


# ------------------------------------------------------------------ keys: headers and values by meaning

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[\W_]+")
_LETTERS_DIGITS = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def text_key(value: object, abbreviations: dict[str, str] | None = None,
             roman: dict[str, int] | None = None) -> str:
    """The key a header or a value is compared by: accents folded (đ -> d), case-folded, CamelCase split
    (`NgayTiepNhan` -> `ngay tiep nhan`), every run of punctuation, underscores and whitespace (line
    breaks too) one space, letters and digits apart (`MĐ1` -> `md 1`), then each whole-word
    abbreviation replaced by its words and each Roman numeral (when `roman` is given) by its number.
    Short texts are memoised (headers and vocabulary values repeat across every file of a city).
    """
    if isinstance(value, str) and len(value) < 200:
        return _text_key_cached(value, id(abbreviations) if abbreviations else 0, id(roman) if roman else 0,
                                abbreviations, roman)
    return _text_key(value, abbreviations, roman)


_KEY_CACHE: dict = {}


def _text_key_cached(value: str, a_id: int, r_id: int, abbreviations, roman) -> str:
    key = (value, a_id, r_id)
    found = _KEY_CACHE.get(key)
    if found is None:
        if len(_KEY_CACHE) > 100_000:
            _KEY_CACHE.clear()
        found = _KEY_CACHE[key] = _text_key(value, abbreviations, roman)
    return found


def _text_key(value: object, abbreviations: dict[str, str] | None = None,
              roman: dict[str, int] | None = None) -> str:
    text = normalize_text(cell_text(value) if not isinstance(value, str) else value)
    if not text:
        return ""
    text = _CAMEL.sub(" ", text) if not text.isupper() else text
    text = unicodedata.normalize("NFD", text.casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").replace("đ", "d")
    text = _NOT_WORD.sub(" ", text)
    text = _LETTERS_DIGITS.sub(" ", text).strip()
    if abbreviations or roman:
        words = []
        for word in text.split(" "):
            if roman and word in roman:
                words.append(str(roman[word]))
            elif abbreviations and word in abbreviations:
                words.append(abbreviations[word])
            else:
                words.append(word)
        text = " ".join(words)
    return text
