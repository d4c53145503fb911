"""Tax: the monthly state-budget revenue report of the ward (`bao-cao-thu-nsnn-YYYY-MM.xlsx`).

Owner: Thuế cơ sở 10 thành phố Hải Phòng, delivered to UBND phường Chu Văn An; no secrets. Layout in
`layouts/tax.yaml`. Money is in the sheet's unit (`Đơn vị tính: Triệu đồng`) and converted to VND here.
Rows nest by their STT marker: the unmarked total row (`TỔNG THU NSNN TRÊN ĐỊA BÀN`) is `TONG`, Roman
sections `I`, `II`, items `1`…`9` under the current section (`I.1` … `I.9`), `1.1` under its item, `a`
under the current item. Section II (transfers from the upper budget) is never part of the total.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from connectors.errors import BadInputError
from connectors.excel import check_period, column_label, read_workbook
from connectors.layout import load_layout
from connectors.observations import observation, observation_frame
from connectors.vn import fold_accents, normalize_text

SOURCE = "tax"

# indicator -> records column (docs/contracts.md)
INDICATOR_COLUMNS = {
    "REV_MONTH": "th_thang_vnd",
    "REV_YTD": "luy_ke_vnd",
    "REV_PRIOR_YTD": "cung_ky_vnd",
    "REV_ESTIMATE_STATE": "du_toan_phap_lenh_vnd",
    "REV_ESTIMATE_COUNCIL": "du_toan_hdnd_vnd",
}

_ROMAN = re.compile(r"^(?=[IVXL])(XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ARABIC = re.compile(r"^\d+(?:\.\d+)*$")
_LETTER = re.compile(r"^[a-zđ]$")
_TOTAL_LABEL = re.compile(r"^(tong|cong)\b")


def _outline(records: pd.DataFrame, file: str) -> pd.DataFrame:
    """member_code, level, parent_code for every row, from the STT markers (see module docstring)."""
    codes, levels, parents = [], [], []
    section: str | None = None
    item: str | None = None
    sub: str | None = None  # the current `a`, `b` sub-item: dashes hang under it (outline A › I › 1 › a › -)
    dash_count: dict[str, int] = {}
    level_of: dict[str, int] = {}
    for stt, label, row, sheet in zip(records["stt"], records["label"], records["row_number"],
                                      records["sheet"], strict=True):
        marker = normalize_text(stt).rstrip(".").strip() if stt else ""
        if not marker:
            if label and _TOTAL_LABEL.match(fold_accents(label)) and "TONG" not in codes:
                code, level, parent = "TONG", 0, None
            else:
                raise BadInputError(file=file, source=SOURCE, sheet=sheet, row=int(row), column="STT",
                                    found=marker, expected="an STT marker (I, 1, 1.1, a, -) or the total row "
                                                           "'TỔNG THU NSNN TRÊN ĐỊA BÀN'")
        elif re.fullmatch(r"[A-Z]+", marker) and (_ROMAN.match(marker) or len(marker) == 1):
            section = item = marker
            sub = None
            # the total equals section I (revenue collected in the ward); II (transfers) stands apart
            code, level, parent = marker, 1, ("TONG" if marker == "I" and "TONG" in codes else None)
        elif _ARABIC.match(marker):
            parts = marker.split(".")
            base = f"{section}." if section else ""
            code = base + marker
            level = (1 if section else 0) + len(parts)
            parent = base + ".".join(parts[:-1]) if len(parts) > 1 else section
            item, sub = code, None
        elif _LETTER.match(marker):
            anchor = item or section or "TONG"
            code, level, parent = f"{anchor}.{marker}", level_of.get(anchor, 0) + 1, anchor
            sub = code
        elif marker in ("-", "+", "*", "–"):
            anchor = sub or item or section or "TONG"
            dash_count[anchor] = dash_count.get(anchor, 0) + 1
            code, level, parent = f"{anchor}.-{dash_count[anchor]}", level_of.get(anchor, 0) + 1, anchor
        else:
            raise BadInputError(file=file, source=SOURCE, sheet=sheet, row=int(row), column="STT",
                                found=marker, expected="an STT marker (I, 1, 1.1, a, -)")
        if code in codes:
            raise BadInputError(file=file, source=SOURCE, sheet=sheet, row=int(row), column="STT",
                                found=marker, expected=f"each revenue line once ({code} appears twice)")
        codes.append(code)
        level_of[code] = level
        levels.append(level)
        parents.append(parent)
    out = records.copy()
    out.insert(1, "member_code", codes)
    out.insert(2, "level", pd.Series(levels, dtype="int64", index=out.index))
    out.insert(3, "parent_code", pd.Series(parents, dtype="object", index=out.index))
    return out


def read_tax_workbook(path: str | Path) -> pd.DataFrame:
    """Revenue lines of one report: `stt, member_code, level, parent_code, label, ma_muc, <money>_vnd …`.

    Money columns (`du_toan_phap_lenh_vnd, du_toan_hdnd_vnd, th_thang_vnd, luy_ke_vnd, cung_ky_vnd`) are
    VND (float, NaN when blank or `-`); lineage `source_file, sheet, row_number`, `raw_cells`.

    Raises:
        BadInputError: the workbook does not fit the layout (names file, sheet, row, column).
    """
    path = Path(path)
    table = read_workbook(path, load_layout(SOURCE))["thu_nsnn"]
    records = table.records
    records = records[records["label"].notna() | records["stt"].notna()].reset_index(drop=True)
    records = _outline(records, path.name)
    if "TONG" not in set(records["member_code"]):
        raise BadInputError(file=path.name, source=SOURCE, sheet=table.sheet, row=table.header_row + 1,
                            column="Nội dung thu", found=records["label"].head(3).tolist(),
                            expected="a total row 'TỔNG THU NSNN TRÊN ĐỊA BÀN' without an STT marker")
    records.attrs.update(table.records.attrs)
    return records


def observations_from_tax(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """REV_MONTH, REV_YTD, REV_PRIOR_YTD, REV_ESTIMATE_STATE, REV_ESTIMATE_COUNCIL per revenue line (VND).

    A blank or `-` cell gives no observation (never 0).
    """
    check_period(records, period, source=SOURCE)
    rows = []
    for rec in records.to_dict("records"):
        raw = rec.get("raw_cells") or {}
        for indicator, column in INDICATOR_COLUMNS.items():
            value = rec.get(column)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            rows.append(observation(
                indicator, unit_code, period, member_code=rec["member_code"], value=float(value),
                source_file=rec.get("source_file"), sheet=rec.get("sheet"), row_number=rec.get("row_number"),
                column_name=column_label(records, column), raw_text=raw.get(column),
            ))
    return observation_frame(rows)
