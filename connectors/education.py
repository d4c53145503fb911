"""Education: the register of schools and their national-standard recognition (`truong-hoc-YYYY-MM.xlsx`).

Owner: Phòng Văn hóa - Xã hội, UBND phường Chu Văn An; no secrets. Layout in `layouts/education.yaml`.
CT06 rule (docs/contracts.md): a school counts when `Loại hình` is `Công lập`; it meets the target when
its level is `Mức độ 1` or `Mức độ 2` and its recognition is still valid on the period's last day. The
recognition lasts until `Ngày hết hạn` when the register gives it, else until `Ngày QĐ` + 5 years; a
recognition is valid on the day it expires and not after.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd

from connectors.errors import BadInputError, Problem
from connectors.excel import check_period, column_label, read_workbook
from connectors.layout import load_layout
from connectors.observations import column_letter_of, observation, observation_frame, ratio_percent
from connectors.vn import add_years, fold_accents, period_bounds

SOURCE = "education"
RECOGNITION_YEARS = 5

_LEVEL = re.compile(r"^muc( do)? ([12])$")
_NOT_MET = {"chua dat", "khong dat", "chua cong nhan", ""}
_PUBLIC = {"cong lap"}


def _level(text: str | None) -> int | None:
    """1 or 2 for `Mức độ 1/2`, 0 for `Chưa đạt`, None for anything else."""
    folded = fold_accents(text or "")
    match = _LEVEL.match(folded)
    if match:
        return int(match.group(2))
    return 0 if folded in _NOT_MET else None


def read_education_workbook(path: str | Path, period: str | None = None) -> pd.DataFrame:
    """One row per school: register columns + `is_public`, `level` (0, 1, 2) and `valid_until` (date).

    Raises:
        BadInputError: an unknown standard level, or a recognised school without any date.
    """
    path = Path(path)
    table = read_workbook(path, load_layout(SOURCE), period=period)["danh_sach_truong"]
    records = table.records
    records = records[records["ma_truong"].notna()].reset_index(drop=True)
    levels, valid_until, problems = [], [], []
    letters = records.attrs.get("column_letters") or {}
    # Levels and ownership arrive canonical ('Mức độ 1', 'Công lập' …; spellings in layouts/vocabulary.yaml).
    for rec in records.to_dict("records"):
        level = _level(rec["muc_chuan_quoc_gia"])
        until = None
        if rec.get("loai_hinh") is None:
            # a school of unknown ownership would silently drop out of CT06's public schools
            problems.append(Problem(file=path.name, source=SOURCE, sheet=table.sheet, row=int(rec["row_number"]),
                                    column=table.column_labels["loai_hinh"], letter=letters.get("loai_hinh"),
                                    found="", expected="'Công lập' or 'Tư thục'",
                                    expected_vi="'Công lập' hoặc 'Tư thục'"))
        if level is None:
            problems.append(Problem(file=path.name, source=SOURCE, sheet=table.sheet, row=int(rec["row_number"]),
                                    column=table.column_labels["muc_chuan_quoc_gia"],
                                    letter=letters.get("muc_chuan_quoc_gia"),
                                    found=(rec.get("raw_cells") or {}).get("muc_chuan_quoc_gia", ""),
                                    expected="'Mức độ 1', 'Mức độ 2' or 'Chưa đạt'",
                                    expected_vi="'Mức độ 1', 'Mức độ 2' hoặc 'Chưa đạt'"))
            level = 0
        elif level:
            expiry, decided = rec.get("ngay_het_han"), rec.get("ngay_qd")
            if pd.notna(expiry):
                until = pd.Timestamp(expiry).date()
            elif pd.notna(decided):
                until = add_years(pd.Timestamp(decided).date(), RECOGNITION_YEARS)
            else:
                problems.append(Problem(
                    file=path.name, source=SOURCE, sheet=table.sheet, row=int(rec["row_number"]),
                    column=table.column_labels["ngay_qd"], letter=letters.get("ngay_qd"), found="",
                    expected="the recognition decision's date (dd/mm/yyyy) for a school at "
                             f"{rec['muc_chuan_quoc_gia']}",
                    expected_vi="ngày của quyết định công nhận (dd/mm/yyyy) cho trường "
                                f"{rec['muc_chuan_quoc_gia']}"))
        levels.append(level)
        valid_until.append(until)
    if problems:
        raise BadInputError(problems=problems)
    records["is_public"] = [fold_accents(x or "") in _PUBLIC for x in records["loai_hinh"]]
    records["level"] = pd.Series(levels, dtype="int64", index=records.index)
    records["valid_until"] = pd.Series(valid_until, dtype="object", index=records.index)
    records.attrs.update(table.records.attrs)
    return records


def is_recognition_valid(level: int, decided: date | None, valid_until: date | None, on: date) -> bool:
    """True when a school at Mức độ 1/2 holds a recognition decided by `on` and not expired before `on`."""
    if not level or valid_until is None:
        return False
    if decided is not None and decided > on:
        return False
    return on <= valid_until


def observations_from_education(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """SCHOOL_STANDARD per public school: numerator 1/0 (valid recognition at period end), denominator 1."""
    check_period(records, period, source=SOURCE)
    _, last_day = period_bounds(period)
    letters = {column: column_letter_of(records, column)
               for column in ("muc_chuan_quoc_gia", "ngay_het_han", "ngay_qd")}
    rows = []
    for rec in records[records["is_public"].astype(bool)].to_dict("records"):
        decided = pd.Timestamp(rec["ngay_qd"]).date() if pd.notna(rec.get("ngay_qd")) else None
        ok = is_recognition_valid(int(rec["level"]), decided, rec["valid_until"], last_day)
        if not rec["level"]:
            column = "muc_chuan_quoc_gia"
        elif pd.notna(rec.get("ngay_het_han")):
            column = "ngay_het_han"
        else:
            column = "ngay_qd"
        num = 1.0 if ok else 0.0
        rows.append(observation(
            "SCHOOL_STANDARD", unit_code, period, member_code=str(rec["ma_truong"]), value=ratio_percent(num, 1.0),
            numerator=num, denominator=1.0, source_file=rec["source_file"], sheet=rec["sheet"],
            row_number=int(rec["row_number"]), column_name=column_label(records, column),
            raw_text=(rec.get("raw_cells") or {}).get(column), column_letter=letters[column],
        ))
    return observation_frame(rows)
