"""Indicators: the "other indicators" KPI workbook (`chi-tieu-khac-YYYY-MM.xlsx`, sheet `Chỉ tiêu`).

Owner: Văn phòng HĐND và UBND phường Chu Văn An; no secrets. Layout and the meaning of each indicator
row in `layouts/indicators.yaml`. The sheet is wide: one row per indicator (`Mã chỉ tiêu`), one column
per month (`Thực hiện / Tháng 1` … `Tháng 12`); the delivery for month M fills months 1…M: month M gives
`observations_from_indicators`, months 1…M−1 and the `Năm trước` column (the growth baseline) give
`carried_observations_from_indicators` (docs/contracts.md, "Observations"). Units are per row
(`Đơn vị tính`): money rows are converted to VND by their own unit. Rate rows hold the percentage; their
`_TS` / `_MS` sub-rows hold numerator and denominator. `ANTT` holds the ward police's assessment text
(`Giữ vững` / `Không giữ vững`), its narrative in `Ghi chú`.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from connectors.errors import BadInputError, Problem
from connectors.excel import check_period, column_label, read_workbook
from connectors.layout import load_layout, value_key, vocabulary
from connectors.observations import column_letter_of, observation, observation_frame
from connectors.outline import outline_rows
from connectors.vn import cell_text, is_missing, money_factor, normalize_text, parse_number, period_bounds

SOURCE = "indicators"


def read_indicators_workbook(path: str | Path, period: str | None = None) -> pd.DataFrame:
    """One row per indicator line with a code: `stt, ma_chi_tieu, chi_tieu, don_vi_tinh, nam_truoc,
    ke_hoach_nam, thang_1 … thang_12, ghi_chu` (month cells as found: numbers, text or None) + lineage.

    `records.attrs["year"]` is the year named in the title (`… NĂM 2025`), when there is one;
    `records.attrs["parent_of"]` maps each code to its parent row's code in the STT outline (or None).
    """
    path = Path(path)
    table = read_workbook(path, load_layout(SOURCE), period=period)["chi_tieu"]
    records = table.records
    marked = records[records["ma_chi_tieu"].notna() | records["stt"].notna()].reset_index(drop=True)
    outline = outline_rows(list(marked["stt"]), list(marked["chi_tieu"]))
    code_of = {row.code: normalize_text(ma).upper() if ma else None
               for row, ma in zip(outline, marked["ma_chi_tieu"], strict=True) if row.code}
    parent_of = {normalize_text(ma).upper(): code_of.get(row.parent)
                 for row, ma in zip(outline, marked["ma_chi_tieu"], strict=True) if ma}
    records = records[records["ma_chi_tieu"].notna()].reset_index(drop=True)
    records["ma_chi_tieu"] = [normalize_text(x).upper() for x in records["ma_chi_tieu"]]
    records.attrs.update(table.records.attrs)
    # the STT outline by code: TGTSP_NLTS -> TGTSP, HO_NGHEO_TS -> HO_NGHEO, TGTSP -> None (section A)
    records.attrs["parent_of"] = parent_of
    year = None
    for text in table.preamble:
        match = re.search(r"\bnăm (\d{4})\s*$", text.casefold())
        if match and not re.match(r"^tháng", text.casefold()):
            year = int(match.group(1))
            break
    if year is None and table.period:
        year = int(table.period[:4])
    records.attrs["year"] = year
    _check_rows(records, table, path.name)
    _read_numbers(records, path.name)
    return records


def _check_rows(records: pd.DataFrame, table, file: str) -> None:
    """A complete workbook holds every indicator row the layout gives a meaning, with a rate's numerator
    and denominator rows and a sum's parts (issue 16): a row deleted is refused, never read as no data."""
    meanings = load_layout(SOURCE).extra.get("indicators") or {}
    wanted = []
    for code, meaning in meanings.items():
        wanted += [code, *(meaning.get(k) for k in ("numerator", "denominator") if meaning.get(k)),
                   *(meaning.get("sum_of") or [])]
    present = set(records["ma_chi_tieu"])
    missing = [c for c in dict.fromkeys(wanted) if c not in present]
    if missing:
        raise BadInputError(file=file, source=SOURCE, sheet=table.sheet, row=table.header_row,
                            column=table.column_labels.get("ma_chi_tieu", "Mã chỉ tiêu"),
                            letter=(records.attrs.get("column_letters") or {}).get("ma_chi_tieu"),
                            found=f"no row for {', '.join(missing)}",
                            expected="a row for every indicator of the workbook (layouts/indicators.yaml)",
                            expected_vi="đủ các dòng chỉ tiêu của biểu (thiếu " + ", ".join(missing) + ")")


_NUMBER_COLUMNS = ["nam_truoc", "ke_hoach_nam"] + [f"thang_{m}" for m in range(1, 13)]


def _assessments() -> dict[str, dict[str, str]]:
    """Assessment rows (ANTT): code -> {value key -> canonical text}, from the layout and its vocabulary."""
    meanings = load_layout(SOURCE).extra.get("indicators") or {}
    voc = vocabulary().get("values") or {}
    out = {}
    for code, meaning in meanings.items():
        if meaning.get("kind") != "assessment":
            continue
        lookup = {}
        for canonical in meaning.get("values") or {}:
            for spelling in (canonical, *(voc.get(meaning.get("vocabulary"), {}).get(canonical) or ())):
                lookup.setdefault(value_key(spelling), canonical)
        out[code] = lookup
    return out


def _read_numbers(records: pd.DataFrame, file: str) -> None:
    """Parse every figure once, here: `<column>_number` (float, NaN for blank or `-`) beside each month,
    `Năm trước` and `Kế hoạch năm` cell; an assessment row's cells are checked against its vocabulary
    instead. Every cell that fits neither is refused, all together."""
    labels = records.attrs.get("column_labels") or {}
    letters = records.attrs.get("column_letters") or {}
    # every column access of a frame deep-copies its attrs: set them aside while the cells are read
    attrs, records.attrs = records.attrs, {}
    try:
        _parse_columns(records, file, labels, letters)
    finally:
        records.attrs = attrs


def _parse_columns(records: pd.DataFrame, file: str, labels: dict, letters: dict) -> None:
    """`_read_numbers` on a frame without attrs (adds the `<column>_number` columns, refuses bad cells)."""
    assessments = _assessments()
    problems = []
    codes = records["ma_chi_tieu"].tolist()
    for column in _NUMBER_COLUMNS:
        if column not in records.columns:
            continue
        numbers = []
        for code, value, rec_row, sheet, raw in zip(codes, records[column], records["row_number"], records["sheet"],
                                                    records["raw_cells"], strict=True):
            number = math.nan
            if code in assessments:
                if not is_missing(value) and value_key(cell_text(value)) not in assessments[code]:
                    choices = " or ".join(f"'{k}'" for k in dict.fromkeys(assessments[code].values()))
                    problems.append(Problem(file=file, source=SOURCE, sheet=sheet, row=int(rec_row),
                                            column=labels.get(column, column), letter=letters.get(column),
                                            found=(raw or {}).get(column, cell_text(value)), expected=choices,
                                            expected_vi=choices.replace(" or ", " hoặc ")))
            else:
                try:
                    parsed = parse_number(value)
                    number = math.nan if parsed is None else float(parsed)
                except ValueError:
                    problems.append(Problem(file=file, source=SOURCE, sheet=sheet, row=int(rec_row),
                                            column=labels.get(column, column), letter=letters.get(column),
                                            found=(raw or {}).get(column, cell_text(value)), expected="a number",
                                            expected_vi="một số"))
            numbers.append(number)
        records[f"{column}_number"] = pd.Series(numbers, dtype="float64", index=records.index)
    if problems:
        raise BadInputError(problems=sorted(problems, key=lambda p: (p.row or 0, p.letter or "")))


def _number(rec: dict, column: str) -> float | None:
    """The figure the reader parsed for `column` of a record (None when blank)."""
    value = rec.get(f"{column}_number")
    return None if value is None or math.isnan(value) else float(value)


def observations_from_indicators(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """The month's value of every known indicator row (see `layouts/indicators.yaml` → `indicators`).

    Only month M (the delivery's period); the other figures the workbook carries (months 1…M−1, the
    `Năm trước` column) come from `carried_observations_from_indicators`.

    Raises:
        BadInputError: the workbook is for another year, lacks the month's column, or a cell does not fit.
    """
    _check_workbook(records, period)
    month = int(period[5:7])
    return observation_frame(_figures(records, unit_code, f"thang_{month}", period, _meanings()))


def carried_observations_from_indicators(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """The figures of other periods the workbook of month M carries (docs/contracts.md, "carried"):

    - months 1…M−1 of the year, each month's cells as the month's own figures (period `YYYY-0k`, lineage
      to the month's cell): a ward that starts in the middle of the year gets its year to date from
      one cumulative workbook, and a later workbook's corrected month replaces the earlier one;
    - the `Năm trước` column as the previous year's figures (period `YYYY-1-12`): a flow row
      (`previous_year: total` in the layout: TGTSP…, LUOT_KHACH, CTR_SH) gives the previous year's total
      as the cumulative figure `<CODE>_YTD` (months 1–12 of the previous year); a level row
      (`previous_year: year_end`: TNBQ, the other rates) gives the previous December's level under its
      own code. The warehouse uses them as the growth baseline only where it holds none of its own.

    Months after M and blank cells give nothing. Rows come month by month, then the baseline.

    Raises:
        BadInputError: as `observations_from_indicators`.
    """
    _check_workbook(records, period)
    year, month = int(period[:4]), int(period[5:7])
    meanings = _meanings()
    rows = []
    for earlier in range(1, month):
        column = f"thang_{earlier}"
        if column in records.columns:
            rows.extend(_figures(records, unit_code, column, f"{year:04d}-{earlier:02d}", meanings))
    if "nam_truoc" in records.columns:
        baseline = {code: meaning for code, meaning in meanings.items() if meaning.get("previous_year")}
        for row in _figures(records, unit_code, "nam_truoc", f"{year - 1:04d}-12", baseline):
            if baseline[row["indicator_code"]]["previous_year"] == "total":
                row["indicator_code"] = f"{row['indicator_code']}_YTD"
            rows.append(row)
    return observation_frame(rows)


def _meanings() -> dict:
    return load_layout(SOURCE).extra.get("indicators") or {}


def _check_workbook(records: pd.DataFrame, period: str) -> None:
    """The workbook is the delivery's (its period and year) and has the month's column."""
    check_period(records, period, source=SOURCE)
    period_bounds(period)
    year, month = int(period[:4]), int(period[5:7])
    file = str(records["source_file"].iloc[0]) if len(records) else "?"
    sheet = records["sheet"].iloc[0] if len(records) else None
    if records.attrs.get("year") not in (None, year):
        raise BadInputError(file=file, source=SOURCE, sheet=sheet, found=f"the workbook of {records.attrs['year']}",
                            expected=f"the workbook of {year} for period {period}")
    column = f"thang_{month}"
    if column not in records.columns:
        raise BadInputError(file=file, source=SOURCE, sheet=sheet, row=records.attrs.get("header_row"),
                            column=f"Tháng {month}", found="no such column",
                            expected=f"a column for month {month} ('Thực hiện / Tháng {month}')",
                            expected_vi=f"một cột của tháng {month} ('Thực hiện / Tháng {month}')")


def _figures(records: pd.DataFrame, unit_code: str, column: str, period: str, meanings: dict) -> list[dict]:
    """One observation (a dict) per known indicator row with a figure in `column` (a month's column or
    `nam_truoc`), for `period`, with lineage to the cell."""
    file = str(records["source_file"].iloc[0]) if len(records) else "?"
    label = column_label(records, column)
    letter = column_letter_of(records, column)
    by_code = {rec["ma_chi_tieu"]: rec for rec in records.to_dict("records")}

    rows = []
    for code, meaning in meanings.items():
        rec = by_code.get(code)
        if rec is None:
            continue
        kind = meaning.get("kind")
        raw = (rec.get("raw_cells") or {}).get(column, "")
        lineage = dict(source_file=rec["source_file"], sheet=rec["sheet"], row_number=int(rec["row_number"]),
                       column_name=label, raw_text=raw, column_letter=letter)
        if kind == "assessment":
            cell = rec.get(column)
            if cell is None:
                continue
            text = normalize_text(cell_text(cell))
            values = meaning.get("values") or {}
            canonical = _assessments()[code].get(value_key(text))
            if canonical is None:
                raise BadInputError(file=file, source=SOURCE, sheet=rec["sheet"], row=int(rec["row_number"]),
                                    column=label, found=text, expected=" or ".join(f"'{k}'" for k in values))
            flag = values[canonical]
            rows.append(observation(code, unit_code, period, value=float(flag), text_value=canonical, **lineage))
            continue
        value = _number(rec, column)
        if value is None and meaning.get("sum_of"):
            # a formula cell saved without its result (a template filled by a script): the sum it stands for
            parts = [by_code.get(code_) for code_ in meaning["sum_of"]]
            numbers = [None if r is None else _number(r, column) for r in parts]
            if all(n is not None for n in numbers):
                value = round(sum(numbers), 4)
        if kind == "money":
            if value is not None:
                try:
                    factor = money_factor(rec.get("don_vi_tinh"))
                except ValueError:
                    factor = None
                if factor is None:
                    raise BadInputError(file=file, source=SOURCE, sheet=rec["sheet"], row=int(rec["row_number"]),
                                        column=column_label(records, "don_vi_tinh"),
                                        found=rec.get("don_vi_tinh") or "",
                                        expected="a money unit (e.g. 'Triệu đồng')")
                rows.append(observation(code, unit_code, period, value=round(value * factor, 4), **lineage))
        elif kind == "count":
            if value is not None:
                rows.append(observation(code, unit_code, period, value=value, **lineage))
        elif kind == "rate":
            parts = []
            for key in ("numerator", "denominator"):
                sub = by_code.get(meaning.get(key))
                parts.append(None if sub is None else _number(sub, column))
            num, den = parts
            if value is None and num is None and den is None:
                continue
            if value is None and num is not None and den:
                # the % formula saved without its result: ROUND(_TS / _MS * 100, 2), half away from zero
                value = float(Decimal(repr(num * 100 / den)).quantize(Decimal("0.01"), ROUND_HALF_UP))
            numerator_rec = by_code.get(meaning.get("numerator"))
            if numerator_rec is not None:
                # A rate's facts are its numerator and denominator: point the lineage at the numerator
                # cell (the denominator is its sibling `_MS` row), not at the derived percentage.
                lineage.update(row_number=int(numerator_rec["row_number"]),
                               raw_text=(numerator_rec.get("raw_cells") or {}).get(column, ""))
            rows.append(observation(code, unit_code, period, value=value,
                                    numerator=math.nan if num is None else num,
                                    denominator=math.nan if den is None else den, **lineage))
        else:
            raise ValueError(f"layouts/indicators.yaml: indicator {code} has unknown kind {kind!r}")
    return rows
