"""Health: the ward health station's workbook (`y-te-YYYY-MM.xlsx`).

Owner: Trạm Y tế phường Chu Văn An; no secrets. Layout in `layouts/health.yaml`. Two tables:
- `Tiêu chí trạm y tế`: one row per criterion per station (a city file holds many stations); a station
  meets the national commune-health criteria when every one of its criterion rows concludes `Đạt`.
- `Mẫu 2a`: the military-service health pre-screening report for the next intake (cumulative counts).
Records are one frame: `table` = `tieu_chi` (criterion rows) or `mau_2a` (report rows, `item_code` from
the row's label, `ket_qua` the count).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from connectors.errors import BadInputError, Problem
from connectors.excel import check_period, column_label, read_workbook
from connectors.layout import LabelMatcher, load_layout, value_key
from connectors.observations import column_letter_of, observation, observation_frame, ratio_percent
from connectors.vn import fold_accents

SOURCE = "health"

# Kết luận -> meets the criterion (compared without accents, case-folded)
_CONCLUSIONS = {"dat": True, "chua dat": False, "khong dat": False}


def _mau_2a_rows() -> dict[str, LabelMatcher]:
    raw = load_layout(SOURCE).extra.get("mau_2a_rows") or {}
    return {code: LabelMatcher(labels=tuple(spec.get("labels") or ()), patterns=tuple(spec.get("patterns") or ()))
            for code, spec in raw.items()}


def _criterion_number(text: object) -> str:
    """A criterion's number however it is typed: `2`, `II`, `Tiêu chí 2`, `TC 2.` -> `2`."""
    key = value_key(text) if text is not None else ""
    digits = re.findall(r"\d+", key)
    return str(int(digits[0])) if digits else key


def read_health_workbook(path: str | Path, period: str | None = None) -> pd.DataFrame:
    """Criterion rows (`table='tieu_chi'`, with `is_met`) and Mẫu 2a rows (`table='mau_2a'`, `item_code`).

    Raises:
        BadInputError: the workbook does not fit (e.g. a `Kết luận` other than `Đạt` / `Chưa đạt`).
    """
    path = Path(path)
    tables = read_workbook(path, load_layout(SOURCE), period=period)
    criteria = tables["tieu_chi"]
    crit = criteria.records
    crit = crit[crit["ma_tram"].notna() | crit["ket_luan"].notna()].reset_index(drop=True)
    letters = crit.attrs.get("column_letters") or {}
    met, problems = [], []
    # Kết luận arrives canonical ('Đạt' / 'Chưa đạt', its spellings in layouts/vocabulary.yaml); a row must
    # name its station (merged cells are filled down by the reader) and conclude.
    for conclusion, code, row, raw in zip(crit["ket_luan"], crit["ma_tram"], crit["row_number"], crit["raw_cells"],
                                          strict=True):
        key = fold_accents(conclusion or "")
        if key not in _CONCLUSIONS:
            problems.append(Problem(file=path.name, source=SOURCE, sheet=criteria.sheet, row=int(row),
                                    column=criteria.column_labels.get("ket_luan", "Kết luận"),
                                    letter=letters.get("ket_luan"), found=(raw or {}).get("ket_luan", ""),
                                    expected="'Đạt' or 'Chưa đạt'", expected_vi="'Đạt' hoặc 'Chưa đạt'"))
        if not code:
            problems.append(Problem(file=path.name, source=SOURCE, sheet=criteria.sheet, row=int(row),
                                    column=criteria.column_labels.get("ma_tram", "Mã trạm"),
                                    letter=letters.get("ma_tram"), found="", expected="a station code",
                                    expected_vi="mã trạm y tế"))
        met.append(_CONCLUSIONS.get(key, False))
    expected = [str(x) for x in load_layout(SOURCE).extra.get("expected_criteria") or []]
    if expected and not problems:
        numbers = crit["tieu_chi_so"].map(_criterion_number)
        for station, group in crit.groupby("ma_tram", sort=True):
            absent = [c for c in expected if c not in set(numbers[group.index])]
            if absent:
                problems.append(Problem(
                    file=path.name, source=SOURCE, sheet=criteria.sheet, row=int(group["row_number"].iloc[0]),
                    column=criteria.column_labels.get("tieu_chi_so", "Tiêu chí số"),
                    letter=letters.get("tieu_chi_so"),
                    found=", ".join(c for c in expected if c not in absent) or "",
                    expected=f"a row for each of the {len(expected)} criteria of station {station} "
                             f"(criteria {', '.join(absent)} missing)",
                    expected_vi=f"đủ {len(expected)} tiêu chí cho trạm {station} (thiếu tiêu chí "
                                + ", ".join(absent) + ")"))
    if problems:
        raise BadInputError(problems=problems)
    crit.insert(0, "table", "tieu_chi")
    crit["is_met"] = pd.Series(met, dtype="bool", index=crit.index)
    labels = dict(criteria.column_labels)
    frames = [crit]

    report = tables.get("mau_2a")
    if report is not None:
        rows = report.records
        rows = rows[rows["noi_dung"].notna()].reset_index(drop=True)
        matchers = _mau_2a_rows()
        codes = []
        for text in rows["noi_dung"]:
            best = max(((m.match_strength(text), code) for code, m in matchers.items()), default=(0, None))
            codes.append(best[1] if best[0] else None)
        rows.insert(0, "table", "mau_2a")
        rows.insert(1, "item_code", pd.Series(codes, dtype="object", index=rows.index))
        labels.update({k: v for k, v in report.column_labels.items() if k not in labels})
        frames.append(rows)
    records = pd.concat(frames, ignore_index=True, sort=False)
    records.attrs["column_labels"] = labels
    records.attrs["column_letters"] = dict(criteria.records.attrs.get("column_letters") or {})
    records.attrs["period"] = criteria.period
    records.attrs["mau_2a_labels"] = dict(report.column_labels) if report is not None else {}
    records.attrs["mau_2a_letters"] = (dict(report.records.attrs.get("column_letters") or {})
                                       if report is not None else {})
    return records


def observations_from_health(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """HEALTH_STATION_STANDARD per station (1/0 of 1) and NVQS_PRESCREEN (đã sơ tuyển / theo kế hoạch)."""
    check_period(records, period, source=SOURCE)
    rows = []
    crit = records[records["table"] == "tieu_chi"]
    for station, group in crit.groupby("ma_tram", sort=True):
        failing = group[~group["is_met"].astype(bool)]
        deciding = failing.iloc[0] if len(failing) else group.iloc[-1]
        num = 0.0 if len(failing) else 1.0
        rows.append(observation(
            "HEALTH_STATION_STANDARD", unit_code, period, member_code=str(station), value=ratio_percent(num, 1.0),
            numerator=num, denominator=1.0, source_file=deciding["source_file"], sheet=deciding["sheet"],
            row_number=int(deciding["row_number"]), column_name=column_label(records, "ket_luan"),
            raw_text=(deciding.get("raw_cells") or {}).get("ket_luan"),
            column_letter=column_letter_of(records, "ket_luan"),
        ))

    report = records[records["table"] == "mau_2a"]
    if len(report):
        by_code = {code: rec for code, rec in zip(report["item_code"], report.to_dict("records"), strict=True)
                   if code}
        labels_2a = records.attrs.get("mau_2a_labels") or {}
        for needed, label in (("so_theo_ke_hoach", "Số lượng sơ tuyển sức khỏe theo kế hoạch"),
                              ("so_da_so_tuyen", "Số lượng đã sơ tuyển")):
            if needed not in by_code:
                first = report.iloc[0]
                raise BadInputError(file=str(first["source_file"]), source=SOURCE, sheet=first["sheet"],
                                    column=labels_2a.get("noi_dung", "Nội dung"),
                                    # the rows that were recognised, never the sheet's free text: a clerk
                                    # may have named citizens (NVQS personal data) in a row label
                                    found=f"{len(report)} rows, recognised: {', '.join(sorted(by_code)) or 'none'}",
                                    expected=f"a row '{label}'")
        done, plan = by_code["so_da_so_tuyen"], by_code["so_theo_ke_hoach"]
        num, den = done["ket_qua"], plan["ket_qua"]
        if pd.notna(num) or pd.notna(den):
            rows.append(observation(
                "NVQS_PRESCREEN", unit_code, period,
                value=ratio_percent(None if pd.isna(num) else num, None if pd.isna(den) else den),
                numerator=num, denominator=den, source_file=done["source_file"], sheet=done["sheet"],
                row_number=int(done["row_number"]), column_name=labels_2a.get("ket_qua", "Kết quả"),
                raw_text=(done.get("raw_cells") or {}).get("ket_qua"),
                column_letter=(records.attrs.get("mau_2a_letters") or {}).get("ket_qua"),
            ))
    return observation_frame(rows)
