"""Tax: the monthly state-budget revenue report of the ward (`bao-cao-thu-nsnn-YYYY-MM.xlsx`).

Owner: Thuế cơ sở 10 thành phố Hải Phòng, delivered to UBND phường Chu Văn An; no secrets. Layout in
`layouts/tax.yaml`. Money is in the sheet's unit (`Đơn vị tính: Triệu đồng`) and converted to VND here.
Rows nest by their STT marker: the unmarked total row (`TỔNG THU NSNN TRÊN ĐỊA BÀN`) is `TONG`, Roman
sections `I`, `II`, items `1`…`9` under the current section (`I.1` … `I.9`), `1.1` under its item, `a`
under the current item. Section II (transfers from the upper budget) is never part of the total.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from connectors.errors import BadInputError, Problem
from connectors.excel import check_period, column_label, read_workbook
from connectors.layout import load_layout
from connectors.observations import column_letter_of, observation, observation_frame
from connectors.outline import DEFAULT_TOTAL_LABELS, is_total_label, outline_rows

SOURCE = "tax"

# indicator -> records column (docs/contracts.md)
INDICATOR_COLUMNS = {
    "REV_MONTH": "th_thang_vnd",
    "REV_YTD": "luy_ke_vnd",
    "REV_PRIOR_YTD": "cung_ky_vnd",
    "REV_ESTIMATE_STATE": "du_toan_phap_lenh_vnd",
    "REV_ESTIMATE_COUNCIL": "du_toan_hdnd_vnd",
}

def _outline(records: pd.DataFrame, file: str, total_labels: tuple[str, ...]) -> pd.DataFrame:
    """member_code, level, parent_code for every row, from the STT markers (`connectors.outline`).

    The unmarked total row is `TONG` and the parent of section I (the total is the revenue collected in the
    ward); section II (transfers from the upper budget) has no parent. An unmarked row that is not the
    total, an unknown marker or a line appearing twice is refused (every such row is named).
    """
    rows = outline_rows(list(records["stt"]), list(records["label"]), total_labels)
    header = (records.attrs.get("column_labels") or {}).get("stt", "STT")
    letter = (records.attrs.get("column_letters") or {}).get("stt")
    codes, levels, parents = [], [], []
    problems = []

    def refuse(line, sheet, marker, expected, expected_vi):
        problems.append(Problem(file=file, source=SOURCE, sheet=sheet, row=int(line), column=header, letter=letter,
                                found=marker or "", expected=expected, expected_vi=expected_vi))

    for row, line, sheet in zip(rows, records["row_number"], records["sheet"], strict=True):
        if row.kind == "unmarked" or (row.kind == "total" and "TONG" in codes):
            refuse(line, sheet, row.marker, "an STT marker (I, 1, 1.1, a, -) or the total row "
                                            "'TỔNG THU NSNN TRÊN ĐỊA BÀN'",
                   "một số thứ tự (I, 1, 1.1, a, -) hoặc dòng tổng 'TỔNG THU NSNN TRÊN ĐỊA BÀN'")
        elif row.kind == "other":
            refuse(line, sheet, row.marker, "an STT marker (I, 1, 1.1, a, -)", "một số thứ tự (I, 1, 1.1, a, -)")
        elif row.code in codes:
            refuse(line, sheet, row.marker, f"each revenue line once ({row.code} appears twice)",
                   f"mỗi khoản thu một lần ({row.code} xuất hiện hai lần)")
        parent = row.parent
        if row.code == "I" and "TONG" in codes:
            parent = "TONG"
        codes.append(row.code)
        levels.append(row.level)
        parents.append(parent)
    if problems:
        raise BadInputError(problems=problems)
    out = records.copy()
    out.insert(1, "member_code", codes)
    out.insert(2, "level", pd.Series(levels, dtype="int64", index=out.index))
    out.insert(3, "parent_code", pd.Series(parents, dtype="object", index=out.index))
    return out


def read_tax_workbook(path: str | Path, period: str | None = None) -> pd.DataFrame:
    """Revenue lines of one report: `stt, member_code, level, parent_code, label, ma_muc, <money>_vnd …`.

    Money columns (`du_toan_phap_lenh_vnd, du_toan_hdnd_vnd, th_thang_vnd, luy_ke_vnd, cung_ky_vnd`) are
    VND (float, NaN when blank or `-`); lineage `source_file, sheet, row_number`, `raw_cells`.

    Raises:
        BadInputError: the workbook does not fit the layout (names file, sheet, row, column).
    """
    path = Path(path)
    layout = load_layout(SOURCE)
    table = read_workbook(path, layout, period=period)["thu_nsnn"]
    records = table.records
    records = records[records["label"].notna() | records["stt"].notna()].reset_index(drop=True)
    records.attrs.update(table.records.attrs)
    total_labels = tuple((layout.extra.get("outline") or {}).get("total_labels") or DEFAULT_TOTAL_LABELS)
    # The total's label typed across STT and Nội dung thu (one merged cell, its text in STT): it is the label.
    spilled = records["label"].isna() & records["stt"].map(lambda x: is_total_label(x, total_labels))
    records.loc[spilled, "label"] = records.loc[spilled, "stt"]
    records.loc[spilled, "stt"] = None
    records = _outline(records, path.name, total_labels)
    present = set(records["member_code"])
    missing = [m for m in layout.extra.get("expected_members") or [] if m not in present and m != "TONG"]
    if missing and "TONG" in present:
        raise BadInputError(file=path.name, source=SOURCE, sheet=table.sheet, row=table.header_row + 1,
                            column=table.column_labels.get("stt", "STT"), found=sorted(present),
                            expected="the rows of a complete report: " + ", ".join(f"'{m}'" for m in missing),
                            expected_vi="đủ các dòng của báo cáo: " + ", ".join(f"'{m}'" for m in missing))
    if "TONG" not in present:
        raise BadInputError(file=path.name, source=SOURCE, sheet=table.sheet, row=table.header_row + 1,
                            column=table.column_labels.get("label", "Nội dung thu"),
                            found=records["label"].head(3).tolist(),
                            expected="a total row 'TỔNG THU NSNN TRÊN ĐỊA BÀN' without an STT marker",
                            expected_vi="một dòng tổng 'TỔNG THU NSNN TRÊN ĐỊA BÀN' không đánh số thứ tự")
    records.attrs.update(table.records.attrs)
    return records


def observations_from_tax(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """REV_MONTH, REV_YTD, REV_PRIOR_YTD, REV_ESTIMATE_STATE, REV_ESTIMATE_COUNCIL per revenue line (VND).

    A blank or `-` cell gives no observation (never 0).
    """
    check_period(records, period, source=SOURCE)
    labels = {column: column_label(records, column) for column in INDICATOR_COLUMNS.values()}
    letters = {column: column_letter_of(records, column) for column in INDICATOR_COLUMNS.values()}
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
                column_name=labels[column], raw_text=raw.get(column), column_letter=letters[column],
            ))
    return observation_frame(rows)
