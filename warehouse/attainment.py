"""Attainment: judge every target of a plan at the end of a month, and keep dated snapshots.

``evaluate_targets`` is pure (DataFrames in, DataFrame out) and implements the measure kinds, windows
and comparisons of the catalogue (warehouse/catalogue.py) and the status rules of docs/contracts.md.
The other functions read and write the warehouse.

Rules worth knowing (docs/contracts.md, ../shared/reference/targets.md):
- rates are recomputed from summed numerators and denominators (over members, and over months 1..M for
  ``ytd_sum``), never averaged; a denominator of 0 or a missing figure gives no value (``no_data``);
- ``all`` ("100%") is decided on the counts, never on a rounded percentage;
- ``latest`` must describe month M itself (or be at most ``max_age_months`` older): otherwise stale;
- when several active loads carry a figure for the same (indicator, unit, period, member) (a cumulative
  workbook repeats earlier months, a later year's "Năm trước" restates last year), the figure in force is
  the one delivered in its own year, then the most recent delivery's (``warehouse.units.in_force``; a
  figure repeated unchanged keeps the load that first gave it, so a re-judged month names the same loads);
- ``ytd_sum`` needs every month 1..M: each month's own figure, or a cumulative figure (``cumulative_of``:
  ``<CODE>_YTD``, ``REV_YTD`` for ``REV_MONTH``) covering months 1..k and the months after it; a month
  neither gives makes the measure ``no_data`` (never a partial sum), the missing months named in Vietnamese
  in ``detail`` and ``gap_text``; the tax report's "same period last year" (``REV_PRIOR_YTD``) stands for
  last year's ``REV_YTD`` where the warehouse holds none (``SAME_PERIOD_LAST_YEAR``).

A target of the plan still to review (catalogue ``status: needs_review``: no source or measure yet) is
never judged: ``evaluate_targets`` gives it the status ``needs_review`` with its reason, no snapshot is
stored for it (the status vocabulary of the snapshots is unchanged), and ``read_attainment`` lists it
beside the judged targets of its plan, so a target without a source is visibly untracked.

Beside the status so far, every target gets an outlook for the year (``outlook_*`` and ``gap_*``
columns; the rule set is in the "outlook for the year" section below and in warehouse/README.md).
Snapshots are kept: ``read_attainment(..., as_of=)`` reads a month as it was judged on a day,
``read_attainment_history`` lists every snapshot, and a snapshot added after the year's December was
judged is flagged ``is_restatement``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import models
from warehouse.units import add_backcast, in_force

ATTAINMENT_COLUMNS = ["target_code", "unit_code", "period", "value", "numerator", "denominator",
                      "bound_low", "bound_high", "comparison", "status", "inputs", "detail",
                      # the outlook for the year (rule set: "outlook for the year" below)
                      "outlook_value", "outlook_status", "outlook_method", "outlook_detail", "gap_value",
                      "gap_text"]
OBSERVATION_READ_COLUMNS = ["indicator_code", "unit_code", "period", "member_code", "value", "numerator",
                            "denominator", "text_value", "load_id", "source_code", "load_period",
                            "source_file", "sheet", "row_number", "column_name", "raw_text"]
TARGET_READ_COLUMNS = ["plan_id", "plan_code", "target_code", "plan_item", "name_vi", "measure_vi",
                       "source_code", "display_unit", "comparison", "bound_low", "bound_high",
                       "accumulates", "max_age_months", "measure"]


# a target without a source or measure yet (catalogue `status: needs_review`): listed, never judged or stored
NEEDS_REVIEW = "needs_review"


def _review_row(target: dict, unit_code: str, period: str, measure: dict) -> dict:
    reason = str(measure.get("reason") or "")
    row = dict.fromkeys(ATTAINMENT_COLUMNS)
    row.update({"target_code": target["target_code"], "unit_code": str(unit_code), "period": period,
                "bound_low": _num(target.get("bound_low")), "bound_high": _num(target.get("bound_high")),
                "comparison": target.get("comparison") or "", "status": NEEDS_REVIEW, "inputs": [],
                "detail": f"cần rà soát, chưa có nguồn số liệu (needs review: {reason})",
                "gap_text": "Cần rà soát – chưa có nguồn"})
    return row


# --------------------------------------------------------------------------- pure evaluation


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def _num(value) -> float | None:
    return None if _missing(value) else float(value)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"


@dataclass
class _Pick:
    """Rows chosen for one indicator reference, or the reason there are none."""

    rows: pd.DataFrame | None
    note: str
    problem: str | None = None


@dataclass
class _Result:
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    problem: str | None = None
    detail: str = ""
    used: list[pd.DataFrame] = field(default_factory=list)
    # for items_meeting: (actual, estimate) of each counted item, for the pace rule
    items: list[tuple[str, float | None, float]] = field(default_factory=list)
    text_met: bool | None = None
    # the value as an exact rational of the stored floats: comparisons never suffer float rounding
    # (110/100 - 1 is 10.000000000000009% in floats, and must not "exceed" a 10% bound)
    exact: Fraction | None = None


def _prepare(observations: pd.DataFrame, unit_code: str) -> pd.DataFrame:
    """The unit's observations with year/month columns, one row per (indicator, period, member): the
    figure in force (``warehouse.units.in_force_order``), plus the previous year's cumulative figures a
    "same period last year" column restates (``SAME_PERIOD_LAST_YEAR``) where the warehouse holds none."""
    columns = ["indicator_code", "unit_code", "period", "member_code", "value", "numerator", "denominator",
               "text_value", "load_id", "source_code", "load_period"]
    # Only the columns judging reads: every row filter below copies each column (lineage is not needed).
    obs = observations.reindex(columns=columns)
    obs = obs[obs["unit_code"].astype(str) == str(unit_code)].copy()
    for col in ("value", "numerator", "denominator"):
        obs[col] = pd.to_numeric(obs[col], errors="coerce").astype(float)
    obs["period"] = obs["period"].astype(str)
    # The figure in force when several active loads carry it: a cumulative workbook repeats earlier months
    # (the most recent delivery wins, a repetition keeps its first delivery), a later year's "Năm trước"
    # restates last year (its own year wins).
    obs = in_force(obs, ["indicator_code", "period", "member_code"])
    # the period of the observation as stored (lineage): a restated row keeps its own
    obs["obs_period"] = obs["period"]
    obs = _with_same_period_last_year(obs)
    period = obs["period"]
    obs["year"] = period.str[:4].astype(int)
    obs["month"] = period.str[5:7].astype(int)
    return obs


def _with_same_period_last_year(obs: pd.DataFrame) -> pd.DataFrame:
    """Add, for each "same period last year" figure (``REV_PRIOR_YTD`` of month M, the tax report's
    "Cùng kỳ năm trước"), the previous year's cumulative figure it restates (``REV_YTD`` of M one year
    earlier) wherever the warehouse holds none of its own: the baseline of a ward that starts mid-year."""
    frames = [obs]
    for cumulative, prior in SAME_PERIOD_LAST_YEAR.items():
        rows = obs[obs["indicator_code"] == prior]
        if rows.empty:
            continue
        restated = rows.assign(indicator_code=cumulative,
                               period=(rows["period"].str[:4].astype(int) - 1).astype(str).str.zfill(4)
                               + rows["period"].str[4:])
        have = obs.loc[obs["indicator_code"] == cumulative, ["period", "member_code"]]
        if not have.empty:
            known = pd.MultiIndex.from_frame(have)
            restated = restated[~pd.MultiIndex.from_frame(restated[["period", "member_code"]]).isin(known)]
        if not restated.empty:
            frames.append(restated)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else obs


def _usable(rows: pd.DataFrame, need: str) -> np.ndarray:
    """Which rows carry the figure a measure needs (a boolean mask: filtering once is the cost here)."""
    if need == "ratio":
        return rows["numerator"].notna().to_numpy() & rows["denominator"].notna().to_numpy()
    if need == "text":
        return (rows["text_value"].notna() & (rows["text_value"].astype(str).str.strip() != "")).to_numpy()
    return rows["value"].notna().to_numpy()


def _month_ranges(months) -> str:
    """Months as Vietnamese text ranges: [1..11] -> '1–11', [1, 2, 3, 5, 7, 8] -> '1–3, 5, 7–8'."""
    months = sorted(int(m) for m in months)
    parts, start = [], None
    for i, m in enumerate(months):
        if start is None:
            start = m
        if i + 1 < len(months) and months[i + 1] == m + 1:
            continue
        parts.append(f"{start}" if start == m else f"{start}–{m}")
        start = None
    return ", ".join(parts)


class _Reason(str):
    """A no_data reason: the Vietnamese sentence people read, then the technical one in brackets (the
    ``detail``); ``vi`` alone is what the reports show (``gap_text``)."""

    vi: str

    def __new__(cls, vi: str, en: str):
        reason = super().__new__(cls, f"{vi} ({en})")
        reason.vi = vi
        return reason


def _problem(vi: str, en: str) -> _Reason:
    return _Reason(vi, en)


def cumulative_of(indicator: str) -> str:
    """The year-to-date figure that covers months 1..k of a monthly flow (``CUMULATIVE_OF``, else
    ``<indicator>_YTD``: e.g. the previous year's total a workbook's "Năm trước" column gives)."""
    return CUMULATIVE_OF.get(indicator, f"{indicator}_YTD")


def _member_mask(rows: pd.DataFrame, member: str | None, member_glob: str | None) -> np.ndarray:
    if member:
        return rows["member_code"].to_numpy() == member
    if member_glob:
        return np.fromiter((fnmatch.fnmatchcase(m, member_glob) for m in rows["member_code"]), bool, len(rows))
    return np.ones(len(rows), dtype=bool)


def _pick(by_indicator: dict, ref: dict, year: int, month: int, need: str, max_age: int = 0,
          member_glob: str | None = None) -> _Pick:
    """The rows a reference {indicator, member, window, year_offset} designates at month M."""
    indicator = ref["indicator"]
    y = year + int(ref.get("year_offset") or 0)
    window = ref.get("window") or "latest"
    rows = by_indicator.get(indicator)
    label = indicator + (f"[{ref['member']}]" if ref.get("member") else "")
    if window == "ytd_sum":
        return _pick_ytd(by_indicator, ref, y, month, need, member_glob, label)
    if rows is None:
        return _Pick(None, label, _problem(f"chưa có số liệu {label}", f"no {label} observation"))
    # One boolean mask, one filter at the end (each DataFrame filter copies every column).
    mask = (rows["year"].to_numpy() == y) & _member_mask(rows, ref.get("member"), member_glob)
    mask &= _usable(rows, need)
    months = rows["month"].to_numpy()
    if window == "year_end":
        if not mask.any():
            return _Pick(None, label, _problem(f"chưa có số liệu {label} năm {y}", f"no {label} for {y}"))
        last = int(months[mask].max())
        return _Pick(rows[mask & (months == last)], f"{label} {y}-{last:02d}")
    mask &= months <= month
    if window == "latest":
        if not mask.any():
            return _Pick(None, label, _problem(f"chưa có số liệu {label} tháng 1–{month} năm {y}",
                                               f"no {label} for {y}-01..{y}-{month:02d}"))
        last = int(months[mask].max())
        if month - last > max_age:
            return _Pick(None, label, _problem(
                f"số liệu {label} mới nhất là của tháng {last}/{y}, chưa có tháng {month}/{y}",
                f"{label}: latest figure {y}-{last:02d} is older than {y}-{month:02d}"))
        return _Pick(rows[mask & (months == last)], f"{label} {y}-{last:02d}")
    raise ValueError(f"unknown window {window!r}")


def _pick_ytd(by_indicator: dict, ref: dict, y: int, month: int, need: str, member_glob: str | None,
              label: str) -> _Pick:
    """Months 1..M of year ``y`` (a year-to-date sum), each month's own figure, or a cumulative figure
    (``cumulative_of``) through month k plus the months k+1..M: the latest k that leaves no gap. A year
    with a month neither has is not judged (no partial sums): the missing months are named."""
    indicator = ref["indicator"]
    rows = by_indicator.get(indicator)
    note = f"{label} {y}-01..{y}-{month:02d}"
    present: set[int] = set()
    mask = None
    if rows is not None:
        months = rows["month"].to_numpy()
        mask = ((rows["year"].to_numpy() == y) & (months <= month)
                & _member_mask(rows, ref.get("member"), member_glob) & _usable(rows, need))
        present = {int(m) for m in np.unique(months[mask])}
        if len(present) == month:
            return _Pick(rows[mask], note)
    cumulative = cumulative_of(indicator)
    cum_rows = by_indicator.get(cumulative)
    later = None
    if cum_rows is not None:
        cum_months = cum_rows["month"].to_numpy()
        cum_mask = ((cum_rows["year"].to_numpy() == y) & _member_mask(cum_rows, ref.get("member"), member_glob)
                    & _usable(cum_rows, need))
        covered = sorted({int(m) for m in np.unique(cum_months[cum_mask & (cum_months <= month)])}, reverse=True)
        for k in covered:
            if all(m in present for m in range(k + 1, month + 1)):
                parts = [cum_rows[cum_mask & (cum_months == k)]]
                if k < month:
                    parts.append(rows[mask & (rows["month"].to_numpy() > k)])
                how = f" (months 01..{k:02d} from {cumulative} {y}-{k:02d})"
                return _Pick(pd.concat(parts, ignore_index=True), note + how)
        beyond = cum_months[cum_mask & (cum_months > month)]
        later = int(beyond.min()) if len(beyond) else None
    missing = [m for m in range(1, month + 1) if m not in present]
    vi = f"thiếu số liệu tháng {_month_ranges(missing)} năm {y} của {label}, không có số lũy kế nào bù được"
    en = f"{label} {y}: missing months {', '.join(f'{m:02d}' for m in missing)}, no cumulative figure covers them"
    if later is not None:
        vi += f" (số lũy kế {cumulative} chỉ có đến hết tháng {later}, không dùng được cho tháng 1–{month})"
        en += f"; {cumulative} is for months 01..{later:02d} only"
    return _Pick(None, label, _problem(vi, en))


def _measure_ratio(by_ind, measure, year, month, max_age) -> _Result:
    pick = _pick(by_ind, measure, year, month, "ratio", max_age)
    if pick.rows is None:
        return _Result(problem=pick.problem)
    num = float(pick.rows["numerator"].sum())
    den = float(pick.rows["denominator"].sum())
    res = _Result(numerator=num, denominator=den, used=[pick.rows])
    if den == 0:
        res.problem = _problem(f"mẫu số bằng 0 ({pick.note})", f"{pick.note}: denominator 0")
        return res
    res.exact = 100 * Fraction(num) / Fraction(den)
    res.value = float(res.exact)
    res.detail = f"{pick.note}: {_fmt(num)}/{_fmt(den)} = {res.value:.2f}%"
    if num > den:
        res.detail += " (numerator above denominator)"
    return res


def _measure_total(by_ind, measure, year, month, max_age) -> _Result:
    pick = _pick(by_ind, measure, year, month, "value", max_age)
    if pick.rows is None:
        return _Result(problem=pick.problem)
    total = float(pick.rows["value"].sum())
    return _Result(value=total, exact=Fraction(total), used=[pick.rows], detail=f"{pick.note}: {_fmt(total)}")


def _measure_growth(by_ind, measure, year, month, max_age) -> _Result:
    picks = [_pick(by_ind, measure[part], year, month, "value", max_age)
             for part in ("numerator", "denominator")]
    for pick in picks:
        if pick.rows is None:
            return _Result(problem=pick.problem)
    num, den = (float(p.rows["value"].sum()) for p in picks)
    res = _Result(numerator=num, denominator=den, used=[p.rows for p in picks])
    if den == 0:
        res.problem = _problem(f"số liệu gốc so sánh bằng 0 ({picks[1].note})", f"{picks[1].note}: base 0")
        return res
    res.exact = 100 * (Fraction(num) / Fraction(den) - 1)
    res.value = float(res.exact)
    res.detail = f"{picks[0].note} {_fmt(num)} / {picks[1].note} {_fmt(den)}: {res.value:+.2f}%"
    return res


def _measure_items(by_ind, measure, year, month, max_age) -> _Result:
    glob = measure.get("members") or "*"
    window = measure.get("window") or "latest"
    actual = _pick(by_ind, {"indicator": measure["actual"]["indicator"], "window": window}, year, month,
                   "value", max_age, member_glob=glob)
    if actual.rows is None:
        return _Result(problem=actual.problem)
    # An annual estimate is a level: its latest figure of the year, whatever its age.
    estimates = []
    for code in measure["estimate_preference"]:
        pick = _pick(by_ind, {"indicator": code, "window": "latest"}, year, month, "value", 12,
                     member_glob=glob)
        estimates.append(pick.rows if pick.rows is not None else None)
    actual_by_member = dict(zip(actual.rows["member_code"], actual.rows["value"], strict=True))
    members = set(actual_by_member)
    for rows in estimates:
        if rows is not None:
            members |= set(rows["member_code"])
    used = [actual.rows]
    items, uncounted = [], []
    for member in sorted(members):
        estimate = None
        for rows in estimates:
            if rows is None:
                continue
            hit = rows[rows["member_code"] == member]
            if not hit.empty:
                estimate = float(hit["value"].iloc[0])
                used.append(hit)
                break
        if estimate is None:
            uncounted.append(member)
            continue
        items.append((member, _num(actual_by_member.get(member)), estimate))
    den = float(len(items))
    failing = [m for m, a, e in items if a is None or a < e]
    num = den - len(failing)
    res = _Result(numerator=num, denominator=den, used=used, items=items)
    note = f"{actual.note}, members {glob}"
    if den == 0:
        res.problem = _problem(f"không khoản thu nào có dự toán ({note})", f"{note}: no item with an estimate")
        return res
    res.exact = 100 * Fraction(num) / Fraction(den)
    res.value = float(res.exact)
    res.detail = f"{note}: {int(num)}/{int(den)} items reach their estimate"
    if failing:
        res.detail += "; below: " + ", ".join(failing)
    if uncounted:
        res.detail += "; no estimate (not counted): " + ", ".join(uncounted)
    return res


def _measure_assessment(by_ind, measure, year, month, max_age) -> _Result:
    pick = _pick(by_ind, measure, year, month, "text", max_age)
    if pick.rows is None:
        return _Result(problem=pick.problem)
    text = str(pick.rows["text_value"].iloc[-1]).strip()
    kept = str(measure["kept_text"]).strip()
    met = text == kept
    return _Result(value=1.0 if met else 0.0, exact=Fraction(int(met)), used=[pick.rows], text_met=met,
                   detail=f"{pick.note}: \"{text}\"")


_MEASURES = {"ratio": _measure_ratio, "total": _measure_total, "growth": _measure_growth,
             "items_meeting": _measure_items, "assessment": _measure_assessment}


def _bound(bound: float | None) -> Fraction | None:
    # A bound is a decimal written in the catalogue (14.5, 4.5): take its decimal value exactly.
    return None if bound is None else Fraction(repr(float(bound)))


def _holds(comparison: str, res: _Result, low, high) -> bool:
    value = res.exact
    low, high = _bound(low), _bound(high)
    if comparison == "qualitative":
        return bool(res.text_met)
    if comparison == "all":
        if res.numerator is not None and res.denominator is not None:
            # "100%" is decided on the counts, exactly: 99.96% is not 100% (and neither is 100.04%).
            return res.numerator == res.denominator
        return value == 100
    if comparison in ("band", "at_least"):
        return value >= low
    if comparison == "strictly_above":
        return value > low
    if comparison == "strictly_below":
        return value < high
    raise ValueError(f"unknown comparison {comparison!r}")


def _on_pace(comparison: str, res: _Result, low, month: int) -> bool:
    """The pro-rata rule for accumulating targets: the figure reaches M/12 of the bound."""
    share = Fraction(month, 12)
    if res.items:
        # every counted item has collected at least M/12 of its annual estimate
        return all(a is not None and Fraction(a) >= Fraction(e) * share for _, a, e in res.items)
    if comparison == "all":
        return res.numerator is not None and Fraction(res.numerator) >= Fraction(res.denominator) * share
    if comparison in ("band", "at_least", "strictly_above") and low is not None:
        return res.exact >= _bound(low) * share
    return False


def _inputs(frames: list[pd.DataFrame]) -> list[dict]:
    seen = set()
    for rows in frames:
        periods = rows["obs_period"] if "obs_period" in rows.columns else rows["period"]
        for source, load_id, period in zip(rows["source_code"], rows["load_id"], periods, strict=True):
            seen.add((None if _missing(source) else str(source),
                      None if _missing(load_id) else int(load_id), str(period)))
    ordered = sorted(seen, key=lambda t: (t[0] or "", t[2], t[1] if t[1] is not None else -1))
    return [{"source": s, "load_id": lid, "period": p} for s, lid, p in ordered]


def _measure_of(target: dict) -> dict:
    measure = target.get("measure")
    if measure is None or (not isinstance(measure, dict) and _missing(measure)):
        measure = target.get("measure_json")
    if isinstance(measure, str):
        measure = json.loads(measure)
    return measure


# --------------------------------------------------------------------------- outlook for the year
#
# The rule set (also in warehouse/README.md, "Outlook"):
#   method   year-to-date flows (a `total` or `growth` over `ytd_sum` months, a growth of a cumulative
#            year-to-date figure such as REV_YTD, items reaching an annual estimate): the year-end
#            projection  X_M * P_12 / P_M  where P is the previous year's cumulative profile of the same
#            figure ("seasonal"); without a complete previous year, the run-rate  X_M * 12 / M
#            ("run_rate"). Year-to-date rates (a `ratio` over `ytd_sum`): the rate so far ("ytd_rate").
#            Levels (`latest` ratios, estimates, assessments): the latest value ("latest"). In December
#            the outlook is the final figure ("final").
#   status   no_data  - the status so far is no_data;
#            December - the status so far (the year is closed);
#            met      - already secured for the year: a year-to-date count that has reached its bound,
#                       or every item that has reached its annual estimate (year-to-date sums only grow);
#            not_met  - can no longer be reached: a year-to-date "100%" rate with a failure already in
#                       the count (a late dossier stays late);
#            exceeded - the projection (or latest level) lies above a band's upper bound;
#            on_track - the projection (or latest level) satisfies the comparison;
#            behind   - it does not (still reachable).
#   gap      what is still needed between now and December to reach the bound, in the figure's own
#            unit (VND, visits, items, households…), 0 when nothing more is needed; gap_text says it in
#            Vietnamese with Vietnamese number formats ("Cần thêm 6.000 lượt khách …").

OUTLOOK_COLUMNS = ["outlook_value", "outlook_status", "outlook_method", "outlook_detail", "gap_value",
                   "gap_text"]
# Cumulative year-to-date indicators -> the indicator holding the same period of the previous year.
YTD_INDICATORS = {"REV_YTD": "REV_PRIOR_YTD"}
# The same, read as baselines: REV_PRIOR_YTD of month M restates REV_YTD of M one year earlier (`_prepare`).
SAME_PERIOD_LAST_YEAR = YTD_INDICATORS
# A monthly flow -> the year-to-date figure that covers its months 1..k (default `<indicator>_YTD`).
CUMULATIVE_OF = {"REV_MONTH": "REV_YTD"}
# Indicators in VND (docs/contracts.md): their gaps are written as money.
MONEY_INDICATORS = frozenset({"REV_MONTH", "REV_YTD", "REV_PRIOR_YTD", "REV_ESTIMATE_STATE",
                              "REV_ESTIMATE_COUNCIL", "TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV",
                              "TNBQ"})
# What an amount of the indicator is, in words (a measure may set `amount_vi` instead).
AMOUNT_VI = {"REV_YTD": "thu ngân sách", "TGTSP": "giá trị sản phẩm", "TGTSP_NLTS": "giá trị sản phẩm",
             "TGTSP_CNXD": "giá trị sản phẩm", "TGTSP_TMDV": "giá trị sản phẩm",
             "TNBQ": "thu nhập bình quân đầu người/năm", "LUOT_KHACH": "lượt khách"}
# What one unit of a ratio's numerator is (a measure may set `count_unit_vi` instead); (noun, whole?).
COUNT_UNIT_VI = {"HO_NGHEO": ("hộ nghèo", True), "GDVH": ("hộ gia đình văn hóa", True),
                 "TDP_VH": ("tổ dân phố đạt danh hiệu", True), "SCHOOL_STANDARD": ("trường đạt chuẩn", True),
                 "HEALTH_STATION_STANDARD": ("trạm y tế đạt chuẩn", True),
                 "NUOC_SACH": ("người dùng nước sạch", True),
                 "CTR_SH": ("tấn rác được thu gom, xử lý", False),
                 "NVQS_PRESCREEN": ("công dân được sơ tuyển", True),
                 "DOSSIER_ONLINE": ("hồ sơ tiếp nhận trực tuyến", True),
                 "DOSSIER_ON_TIME": ("hồ sơ giải quyết đúng hạn", True),
                 "DOSSIER_FEE_ONLINE": ("hồ sơ thanh toán trực tuyến", True)}
# For a year-to-date "100%" rate that can no longer be reached: what one failure is.
FAILURE_VI = {"DOSSIER_ON_TIME": "hồ sơ trễ hạn", "CTR_SH": "tấn rác chưa được thu gom, xử lý",
              "DOSSIER_ONLINE": "hồ sơ không tiếp nhận trực tuyến",
              "DOSSIER_FEE_ONLINE": "hồ sơ không thanh toán trực tuyến"}


def format_vn(value: float | None, decimals: int = 1) -> str:
    """A number the Vietnamese way: 1234.5 -> '1.234,5' (thousands '.', decimals ','); None -> ''."""
    if value is None or _missing(value):
        return ""
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _vn_number(value: float) -> str:
    """Up to 2 decimals, trailing zeros dropped: 8 -> '8', 14.5 -> '14,5', 0.25 -> '0,25'."""
    text = format_vn(value, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def money_vi(vnd: float, per: str = "") -> str:
    """An amount of VND in words: 3.2e9 -> '3,2 tỷ đồng', 45e6 -> '45,0 triệu đồng', 800 -> '800 đồng'."""
    if abs(vnd) >= 1e9:
        return f"{format_vn(vnd / 1e9, 1)} tỷ đồng{per}"
    if abs(vnd) >= 1e6:
        return f"{format_vn(vnd / 1e6, 1)} triệu đồng{per}"
    return f"{format_vn(vnd, 0)} đồng{per}"


@dataclass
class _Outlook:
    value: float | None = None
    status: str = "no_data"
    method: str | None = None
    detail: str = ""
    gap: float | None = None
    gap_text: str = ""

    def as_dict(self) -> dict:
        return {"outlook_value": self.value, "outlook_status": self.status, "outlook_method": self.method,
                "outlook_detail": self.detail, "gap_value": self.gap, "gap_text": self.gap_text}


def _value_at(by_ind, indicator: str, year: int, month: int, member: str | None) -> float | None:
    rows = by_ind.get(indicator)
    if rows is None:
        return None
    mask = (rows["year"].to_numpy() == year) & (rows["month"].to_numpy() == month) & rows["value"].notna().to_numpy()
    if member is not None:
        mask &= rows["member_code"].to_numpy() == member
    return float(rows["value"][mask].sum()) if mask.any() else None


def _cumulative_profile(by_ind, indicator: str, year: int, month: int, member: str | None):
    """(P_M, P_12) of a cumulative year-to-date indicator: the previous year through M and in full.

    P_M is the current year's "same period last year" figure (REV_PRIOR_YTD) when there is one, else
    the previous year's own figure at M; P_12 the previous year's December figure (else, in December,
    the current report's same-period column). None where missing.
    """
    prior_code = YTD_INDICATORS.get(indicator)
    p_m = _value_at(by_ind, prior_code, year, month, member) if prior_code else None
    if p_m is None:
        p_m = _value_at(by_ind, indicator, year - 1, month, member)
    p_12 = _value_at(by_ind, indicator, year - 1, 12, member)
    if p_12 is None and prior_code:
        p_12 = _value_at(by_ind, prior_code, year, 12, member)
    return p_m, p_12


def _monthly_profile(by_ind, indicator: str, year: int, month: int, member: str | None):
    """(P_M, P_12) of a monthly flow: the previous year's sum through M and over all 12 months, each
    from the months' own figures or a cumulative figure covering them (``_pick_ytd``); None where the
    previous year has a month neither gives (a partial year is not a profile)."""
    ref = {"indicator": indicator, "window": "ytd_sum", "member": member}
    out = []
    for through in (month, 12):
        pick = _pick(by_ind, ref, year - 1, through, "value")
        out.append(float(pick.rows["value"].sum()) if pick.rows is not None else None)
    return out[0], out[1]


def _project(x_m: float, p_m: float | None, p_12: float | None, month: int) -> tuple[float, str, str]:
    """Year-end projection of a year-to-date amount: seasonal when the previous year's profile is
    known, else the run-rate. Returns (projection, method, note)."""
    if p_m and p_12 and p_m > 0:
        share = p_m / p_12
        return x_m / share, "seasonal", f"previous year's profile: {share * 100:.1f}% of the year by month {month}"
    return x_m * 12 / month, "run_rate", f"run-rate x 12/{month} (no complete previous-year profile)"


def _needed_count(comparison: str, low, high, num: float, den: float, whole: bool) -> float:
    """How many more numerator units the ratio needs at the current denominator (or, for
    ``strictly_below``, how many fewer); 0 when it already holds."""
    n, d = Fraction(num), Fraction(den)
    if comparison == "all":
        need = d - n
    elif comparison in ("at_least", "band"):
        target = _bound(low) * d / 100
        need = (math.ceil(target) if whole else target) - n
    elif comparison == "strictly_above":
        target = _bound(low) * d / 100
        need = ((math.floor(target) + 1) if whole else target) - n
    elif comparison == "strictly_below":
        limit = _bound(high) * d / 100
        highest = (math.ceil(limit) - 1) if whole else limit
        need = n - highest
    else:
        return 0.0
    return float(max(need, 0))


def _count_text(value: float, whole: bool) -> str:
    return format_vn(value, 0 if whole else 1)


def _bound_words(comparison: str, low, high) -> str:
    if comparison in ("band", "at_least"):
        return f"{_vn_number(low)}"
    if comparison == "strictly_above":
        return f"trên {_vn_number(low)}"
    if comparison == "strictly_below":
        return f"dưới {_vn_number(high)}"
    return "100"


def _compare_projection(comparison: str, value: Fraction, low, high) -> str:
    """on_track / exceeded / behind of a projected (or latest) value against the bound(s)."""
    if comparison in ("band", "at_least"):
        holds = value >= _bound(low)
    elif comparison == "strictly_above":
        holds = value > _bound(low)
    elif comparison == "strictly_below":
        holds = value < _bound(high)
    elif comparison == "all":
        holds = value == 100
    else:
        raise ValueError(comparison)
    if not holds:
        return "behind"
    return "exceeded" if comparison == "band" and value > _bound(high) else "on_track"


def _flow_ref(measure: dict):
    """For a measure over a year-to-date flow: (indicator, member, 'monthly'|'cumulative'), else None."""
    override = (measure.get("outlook") or {}).get("method") if isinstance(measure.get("outlook"), dict) else None
    if override == "level":
        return None
    kind = measure["kind"]
    if kind == "total" and measure.get("window") == "ytd_sum":
        return measure["indicator"], measure.get("member"), "monthly"
    if kind == "growth":
        ref = measure["numerator"]
        if ref.get("window") == "ytd_sum":
            return ref["indicator"], ref.get("member"), "monthly"
        if ref["indicator"] in YTD_INDICATORS:
            return ref["indicator"], ref.get("member"), "cumulative"
    if kind == "items_meeting" and measure["actual"]["indicator"] in YTD_INDICATORS:
        return measure["actual"]["indicator"], None, "cumulative"
    return None


def _outlook(measure: dict, comparison: str, low, high, accumulates: bool, res: _Result, status: str,
             by_ind: dict, year: int, month: int) -> _Outlook:
    """The outlook for the year of one target (rule set above)."""
    if status == "no_data":
        # what is missing is what is needed: the reason in Vietnamese, as the reports show it
        reason = getattr(res.problem, "vi", None)
        return _Outlook(status="no_data", detail="no usable figure so far",
                        gap_text=reason[:1].upper() + reason[1:] if reason else "")
    kind = measure["kind"]
    if kind == "assessment":
        out = _Outlook(value=res.value, method="final" if month == 12 else "latest")
        out.status = status if month == 12 else ("on_track" if res.text_met else "behind")
        out.gap_text = "" if res.text_met else "Cần khắc phục để giữ vững an ninh, trật tự"
        return out
    flow = _flow_ref(measure)
    if kind == "items_meeting":
        out = _outlook_items(measure, res, status, by_ind, year, month, flow)
    elif kind == "ratio":
        out = _outlook_ratio(measure, comparison, low, high, res, status, month)
    elif kind == "total":
        out = _outlook_total(measure, comparison, low, high, accumulates, res, status, by_ind, year, month,
                             flow)
    else:
        out = _outlook_growth(measure, comparison, low, high, res, status, by_ind, year, month, flow)
    if month == 12 and out.gap:
        # the year is closed: what was needed is now a shortfall
        for lead in ("Cần thu thêm ", "Cần tăng thêm ", "Cần giảm thêm ", "Cần thêm "):
            if out.gap_text.startswith(lead):
                rest = out.gap_text[len(lead):].replace(" đến hết tháng 12", "")
                verb = "Còn vượt " if lead == "Cần giảm thêm " else "Còn thiếu "
                out.gap_text = verb + rest
                break
    return out


def _final(out: _Outlook, status: str, value) -> _Outlook:
    out.status, out.value, out.method = status, value, "final"
    return out


def _outlook_ratio(measure, comparison, low, high, res: _Result, status: str, month: int) -> _Outlook:
    indicator = measure["indicator"]
    noun, whole = COUNT_UNIT_VI.get(indicator, ("đơn vị", True))
    if measure.get("count_unit_vi"):
        noun = measure["count_unit_vi"]
    ytd = measure.get("window") == "ytd_sum"
    out = _Outlook(value=res.value, method="ytd_rate" if ytd else "latest")
    gap = _needed_count(comparison, low, high, res.numerator, res.denominator, whole)
    out.gap = gap
    if month == 12:
        _final(out, status, res.value)
    elif ytd and comparison == "all" and res.numerator < res.denominator:
        # a failure counted in the year to date never leaves it: 100% for the year is out of reach
        out.status = "not_met"
        failed = res.denominator - res.numerator
        what = FAILURE_VI.get(indicator, "trường hợp không đạt")
        out.gap_text = (f"Không còn khả năng đạt 100% trong năm: lũy kế đã có {_count_text(failed, whole)} "
                        f"{what}")
        out.detail = f"{_fmt(failed)} failures already counted in the year to date"
        return out
    else:
        out.status = _compare_projection(comparison, res.exact, low, high)
        out.detail = "the rate so far, if the remaining months keep it" if ytd else "the latest level holds"
    if gap <= 0:
        out.gap_text = "Đã đạt" if out.status in ("met", "exceeded", "on_track") else ""
    elif comparison == "strictly_below":
        out.gap_text = f"Cần giảm thêm {_count_text(gap, whole)} {noun} để tỷ lệ {_bound_words(comparison, low, high)}%"
    else:
        out.gap_text = (f"Cần thêm {_count_text(gap, whole)} {noun} để đạt "
                        f"{_bound_words(comparison, low, high)}%")
    return out


def _outlook_total(measure, comparison, low, high, accumulates, res: _Result, status, by_ind, year, month,
                   flow) -> _Outlook:
    indicator = measure["indicator"]
    noun = measure.get("amount_vi") or AMOUNT_VI.get(indicator, "")
    x = res.value
    bound = low if low is not None else high
    gap = max(float(_bound(bound)) - x, 0.0) if bound is not None else None
    out = _Outlook(gap=gap)
    if flow is None:
        out.value, out.method = x, "latest"
        proj = Fraction(x)
    else:
        p_m, p_12 = _monthly_profile(by_ind, indicator, year, month, measure.get("member"))
        value, out.method, out.detail = _project(x, p_m, p_12, month)
        out.value = value
        proj = Fraction(value)
    if month == 12:
        _final(out, status, x)
    elif status in ("met", "exceeded") and accumulates:
        out.status = status  # a year-to-date count never falls back
    else:
        out.status = _compare_projection(comparison, proj, low, high)
        out.detail += f"; projected year {_fmt(out.value)}"
    is_money = indicator in MONEY_INDICATORS
    amount = (lambda v: money_vi(v)) if is_money else (lambda v: format_vn(v, 0))
    if gap:
        out.gap_text = f"Cần thêm {amount(gap)} {noun}".rstrip() + " đến hết tháng 12"
        if out.status == "behind" and out.method in ("seasonal", "run_rate"):
            out.gap_text += f" (dự báo cả năm {amount(out.value)})"
    else:
        out.gap_text = "Đã đạt"
    return out


def _outlook_growth(measure, comparison, low, high, res: _Result, status, by_ind, year, month,
                    flow) -> _Outlook:
    indicator = measure["numerator"]["indicator"]
    noun = measure.get("amount_vi") or AMOUNT_VI.get(indicator, "")
    x, base = res.numerator, res.denominator
    out = _Outlook()
    bound = low if low is not None else high
    if flow is None:
        # a level (an annual estimate against last year's): the latest value is the outlook
        out.value, out.method, proj = res.value, "latest", res.exact
        needed = float(Fraction(base) * (1 + _bound(bound) / 100)) if bound is not None else None
        out.detail = "the latest estimate holds"
    else:
        _indicator, member, shape = flow
        if shape == "monthly":
            p_m, p_12 = _monthly_profile(by_ind, indicator, year, month, member)
        else:
            p_m, p_12 = _cumulative_profile(by_ind, indicator, year, month, member)
        projected, out.method, out.detail = _project(x, p_m, p_12, month)
        # the base for the year: the previous year in full, or the same run-rate applied to last year
        base_12 = p_12 if (out.method == "seasonal") else base * 12 / month
        proj = Fraction(projected) / Fraction(base_12) * 100 - 100
        out.value = float(proj)
        needed = float(Fraction(base_12) * (1 + _bound(bound) / 100)) if bound is not None else None
        out.detail += f"; projected year {_fmt(projected)} against {_fmt(base_12)}"
        if month == 12:
            needed = float(Fraction(base) * (1 + _bound(bound) / 100))
    if month == 12:
        _final(out, status, res.value)
    else:
        out.status = _compare_projection(comparison, proj, low, high)
    gap = max(needed - x, 0.0) if needed is not None else None
    out.gap = gap
    is_money = indicator in MONEY_INDICATORS
    per = "/người/năm" if indicator == "TNBQ" else ""
    if gap:
        amount = money_vi(gap, per) if is_money else format_vn(gap, 1)
        words = f"{noun} " if noun and indicator != "TNBQ" else ""
        if flow is None:
            out.gap_text = f"Cần tăng thêm {amount} để đạt mức tăng {_vn_number(bound)}%"
        else:
            out.gap_text = f"Cần thêm {amount} {words}đến hết tháng 12 để đạt mức tăng {_vn_number(bound)}%"
    else:
        out.gap_text = "Đã đạt"
    return out


def _outlook_items(measure, res: _Result, status, by_ind, year, month, flow) -> _Outlook:
    """Items reaching an annual estimate (CT01b): each item's year-to-date projected to December."""
    indicator = measure["actual"]["indicator"]
    out = _Outlook(method="seasonal")
    reach = 0
    methods = set()
    gap = 0.0
    short = []
    for member, actual, estimate in res.items:
        a = actual or 0.0
        gap += max(estimate - a, 0.0)
        if flow is None:
            projected, method = a, "latest"
        else:
            p_m, p_12 = _cumulative_profile(by_ind, indicator, year, month, member)
            projected, method, _ = _project(a, p_m, p_12, month)
        methods.add(method)
        if Fraction(projected) >= Fraction(estimate):
            reach += 1
        else:
            short.append(member)
    out.method = "seasonal" if methods == {"seasonal"} else ("run_rate" if "run_rate" in methods else "latest")
    out.value = 100 * reach / len(res.items) if res.items else None
    out.gap = gap
    if month == 12:
        _final(out, status, res.value)
    elif status == "met":
        out.status = "met"  # every item has reached its annual estimate: year-to-date sums only grow
    else:
        out.status = "on_track" if not short else "behind"
        out.detail = f"{reach}/{len(res.items)} items projected to reach their estimate"
        if short:
            out.detail += "; projected short: " + ", ".join(short)
    missing = sum(1 for _, a, e in res.items if (a or 0.0) < e)
    if gap:
        out.gap_text = f"Cần thu thêm {money_vi(gap)} ở {missing} khoản thu chưa đạt dự toán"
        if short and month < 12:
            out.gap_text += f" (dự báo chưa đạt: {', '.join(short)})"
    else:
        out.gap_text = "Đã đạt"
    return out


def evaluate_targets(targets: pd.DataFrame, observations: pd.DataFrame, unit_code: str,
                     period: str) -> pd.DataFrame:
    """Judge every target at the end of ``period`` from the unit's observations (pure function).

    Args:
        targets: one row per target, as from ``read_catalogue(...).targets`` or ``read_targets``:
            ``target_code, comparison, bound_low, bound_high, accumulates, measure`` (dict; or
            ``measure_json``), optional ``max_age_months``.
        observations: observations of active loads (``read_observations``), covering the years the
            measures need (the period's year and, for growth, the year before); ``load_id``,
            ``source_code`` and ``load_period`` are used for lineage and de-duplication when present.
        unit_code: the unit judged.
        period: month M as ``YYYY-MM``.

    Returns:
        One row per target with the columns of ``ATTAINMENT_COLUMNS`` (``inputs`` a list of
        ``{"source", "load_id", "period"}`` dicts).
    """
    year, month = int(period[:4]), int(period[5:7])
    obs = _prepare(observations, unit_code)
    by_indicator = {code: rows for code, rows in obs.groupby("indicator_code", sort=False)}
    out = []
    for target in targets.to_dict("records"):
        measure = _measure_of(target)
        if measure.get("kind") == NEEDS_REVIEW:
            out.append(_review_row(target, unit_code, period, measure))
            continue
        comparison = target["comparison"]
        low, high = _num(target.get("bound_low")), _num(target.get("bound_high"))
        accumulates = target.get("accumulates")
        if accumulates is None:
            accumulates = target.get("is_accumulating")
        accumulates = bool(accumulates) if not _missing(accumulates) else False
        max_age = target.get("max_age_months")
        if max_age is None or _missing(max_age):
            max_age = measure.get("max_age_months", 0)
        res = _MEASURES[measure["kind"]](by_indicator, measure, year, month, int(max_age or 0))
        if res.problem is not None or res.value is None:
            status = "no_data"
            detail = str(res.problem) if res.problem else "no usable figure"  # a plain str (pickles)
            value = None
        else:
            value = res.value
            detail = res.detail
            if _holds(comparison, res, low, high):
                status = "exceeded" if comparison == "band" and res.exact > _bound(high) else "met"
            elif month == 12:
                status = "not_met"
            elif accumulates and _on_pace(comparison, res, low, month):
                status = "on_track"
                detail += f"; on pace for {month}/12 of the year"
            else:
                status = "behind"
        outlook = _outlook(measure, comparison, low, high, accumulates, res, status, by_indicator, year, month)
        out.append({"target_code": target["target_code"], "unit_code": str(unit_code), "period": period,
                    "value": value, "numerator": res.numerator, "denominator": res.denominator,
                    "bound_low": low, "bound_high": high, "comparison": comparison, "status": status,
                    "inputs": _inputs(res.used), "detail": detail, **outlook.as_dict()})
    return pd.DataFrame(out, columns=ATTAINMENT_COLUMNS)


# --------------------------------------------------------------------------- warehouse reads and writes


def read_observations(engine: Engine, unit_code: str | list[str], years, *,
                      periods: list[str] | None = None) -> pd.DataFrame:
    """Observations of the unit's active (``loaded``) loads whose period falls in ``years``.

    ``unit_code`` may be a list of units (a city close reads a chunk of wards in one query); ``periods``,
    when given, keeps only those months (``YYYY-MM``) instead of whole years.

    A unit formed from predecessors (``unit_crosswalk``) also gets, for each (indicator, period) before
    it existed that it has no figure of, the figures back-cast from its predecessors
    (``warehouse.units.add_backcast``); a unit without crosswalk rows reads exactly its own.

    Returns:
        The observation columns plus ``load_id``, ``source_code`` and ``load_period`` (the delivery's
        period), ordered by indicator, period, member.
    """
    o, ld = models.observations, models.loads
    years = sorted({int(y) for y in years})
    if periods is not None:
        periods = o.c.period.in_(sorted(periods))
    else:
        periods = sa.or_(*[o.c.period.like(f"{y:04d}-%") for y in years]) if years else sa.false()
    units = (o.c.unit_code.in_([str(u) for u in unit_code]) if isinstance(unit_code, list | tuple)
             else o.c.unit_code == str(unit_code))
    query = (sa.select(o.c.indicator_code, o.c.unit_code, o.c.period, o.c.member_code, o.c.value,
                       o.c.numerator, o.c.denominator, o.c.text_value, o.c.load_id, ld.c.source_code,
                       ld.c.period.label("load_period"), o.c.source_file, o.c.sheet, o.c.row_number,
                       o.c.column_name, o.c.raw_text)
             .join(ld, ld.c.load_id == o.c.load_id)
             .where(ld.c.status == "loaded", units, periods)
             .order_by(o.c.indicator_code, o.c.period, o.c.member_code, o.c.load_id))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=OBSERVATION_READ_COLUMNS)
    for col in ("value", "numerator", "denominator"):
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    return add_backcast(engine, frame, unit_code, years, read_observations)


def read_targets(engine: Engine, plan_year: int, unit_code: str | list[str]) -> pd.DataFrame:
    """The targets of the unit's plan for ``plan_year``, with the parsed ``measure`` dict.

    ``unit_code`` may be a list of units: their plans' targets in one query (tell them apart by plan_id).

    Returns:
        Columns of ``TARGET_READ_COLUMNS``; empty when no such plan was loaded.
    """
    t, p = models.targets, models.plans
    query = (sa.select(t, p.c.plan_code)
             .join(p, p.c.plan_id == t.c.plan_id)
             .where(p.c.year == int(plan_year),
                    p.c.unit_code.in_([str(u) for u in unit_code]) if isinstance(unit_code, list | tuple)
                    else p.c.unit_code == str(unit_code))
             .order_by(t.c.target_code))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    out = []
    for row in rows:
        measure = json.loads(row["measure_json"])
        out.append({**{k: row.get(k) for k in TARGET_READ_COLUMNS if k in row},
                    "accumulates": bool(row["is_accumulating"]),
                    "max_age_months": int(measure.get("max_age_months", 0) or 0),
                    "measure": measure})
    return pd.DataFrame(out, columns=TARGET_READ_COLUMNS)


_CONTENT_FIELDS = ("value", "numerator", "denominator", "bound_low", "bound_high", "comparison", "status",
                   "detail", "outlook_value", "outlook_status", "outlook_method", "outlook_detail", "gap_value",
                   "gap_text")
_NUMERIC_FIELDS = ("value", "numerator", "denominator", "bound_low", "bound_high", "outlook_value", "gap_value")


def _canonical_inputs(inputs) -> str:
    if isinstance(inputs, str):
        inputs = json.loads(inputs)
    items = [{"source": i.get("source"), "load_id": None if _missing(i.get("load_id")) else int(i["load_id"]),
              "period": i.get("period")} for i in (inputs or [])]
    items.sort(key=lambda i: (i["source"] or "", i["period"] or "", i["load_id"] if i["load_id"] is not None
                              else -1))
    return json.dumps(items, ensure_ascii=False, sort_keys=True)


def _content_hash(row: dict, inputs_json: str) -> str:
    doc = {k: (_num(row.get(k)) if k in _NUMERIC_FIELDS
               else (None if _missing(row.get(k)) else str(row.get(k))))
           for k in _CONTENT_FIELDS}
    doc["inputs"] = json.loads(inputs_json)
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _latest_snapshots(conn, plan_id: int | None, unit_code: str, period: str,
                      as_of: dt.datetime | None = None) -> dict:
    """{(plan_id, target_code): row} of the latest snapshot per target (evaluated at or before as_of)."""
    a = models.attainment_evaluations
    query = sa.select(a).where(a.c.unit_code == str(unit_code), a.c.period == period)
    if plan_id is not None:
        query = query.where(a.c.plan_id == plan_id)
    if as_of is not None:
        query = query.where(a.c.evaluated_at <= _utc(as_of))
    query = query.order_by(a.c.evaluated_at, a.c.evaluation_id)
    latest = {}
    for row in conn.execute(query).mappings():
        latest[(row["plan_id"], row["target_code"])] = dict(row)
    return latest


def _utc(moment: dt.datetime | dt.date) -> dt.datetime:
    """A timestamp in UTC; a naive one is taken as UTC; a date means the end of that day (UTC)."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time.max)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _year_closed(conn, plan_id: int, unit_code: str, year: int) -> bool:
    """True when the year's December was already judged for the unit (the year is final)."""
    a = models.attainment_evaluations
    query = sa.select(sa.func.count()).select_from(a).where(
        a.c.plan_id == plan_id, a.c.unit_code == str(unit_code), a.c.period == f"{year:04d}-12")
    return conn.execute(query).scalar_one() > 0


def save_evaluations(engine: Engine, plan_id: int, evaluations: pd.DataFrame,
                     flow_run_id: str | None, evaluated_at: dt.datetime | None = None) -> int:
    """Keep a dated snapshot of each evaluation whose result or inputs changed (bulk, one transaction).

    A snapshot identical to the target's latest one (same value, counts, bounds, status, outlook,
    detail and input loads) adds no row, so re-running a month is harmless; a correction adds a new
    snapshot and keeps the old one. A new snapshot of a target that already had one, once the year's
    December has been judged, is flagged ``is_restatement`` (December is final; this changes it).

    Args:
        evaluated_at: the snapshot's date (default now, UTC); tests and replays pass their own.

    Returns:
        The number of new snapshot rows.
    """
    return save_evaluations_many(engine, [(plan_id, evaluations)], flow_run_id, evaluated_at)


def save_evaluations_many(engine: Engine, batches: list[tuple[int, pd.DataFrame]], flow_run_id: str | None,
                          evaluated_at: dt.datetime | None = None) -> int:
    """`save_evaluations` for many plans (e.g. every ward of a city chunk) in ONE transaction.

    Args:
        batches: ``(plan_id, evaluations)`` pairs, each as `save_evaluations` takes them.

    Returns:
        The number of new snapshot rows.
    """
    # a target still to review is listed by read_attainment from the catalogue, never stored as a snapshot
    batches = [(plan_id, frame[frame["status"] != NEEDS_REVIEW]) for plan_id, frame in batches]
    batches = [(plan_id, frame) for plan_id, frame in batches if not frame.empty]
    if not batches:
        return 0
    now = _utc(evaluated_at) if evaluated_at is not None else dt.datetime.now(dt.UTC)
    new_rows: list[dict] = []
    with engine.begin() as conn:
        for plan_id, evaluations in batches:
            new_rows.extend(_new_snapshots(conn, plan_id, evaluations, flow_run_id, now))
        if new_rows:
            conn.execute(models.attainment_evaluations.insert(), new_rows)
    return len(new_rows)


def _new_snapshots(conn, plan_id: int, evaluations: pd.DataFrame, flow_run_id: str | None,
                   now: dt.datetime) -> list[dict]:
    """The snapshot rows one plan's evaluations add (those whose result or inputs changed)."""
    a = models.attainment_evaluations
    new_rows = []
    for (unit_code, period), group in evaluations.groupby(["unit_code", "period"], sort=False):
        latest = _latest_snapshots(conn, plan_id, unit_code, period)
        closed = _year_closed(conn, plan_id, unit_code, int(str(period)[:4]))
        known = {(r["target_code"], r["inputs_fingerprint"]) for r in conn.execute(
            sa.select(a.c.target_code, a.c.inputs_fingerprint)
            .where(a.c.plan_id == plan_id, a.c.unit_code == str(unit_code), a.c.period == period)
        ).mappings()}
        for rec in group.to_dict("records"):
            inputs_json = _canonical_inputs(rec.get("inputs"))
            content = _content_hash(rec, inputs_json)
            previous = latest.get((plan_id, rec["target_code"]))
            if previous is not None and _content_hash(previous, previous["inputs_json"]) == content:
                continue
            fingerprint = content
            if (rec["target_code"], fingerprint) in known:
                # The result went back to an earlier state (A -> B -> A): a new snapshot is due, so
                # chain its fingerprint to the snapshot it follows.
                fingerprint = hashlib.sha256(
                    f"{content}:{previous['inputs_fingerprint']}".encode()).hexdigest()
            new_rows.append({
                "plan_id": plan_id, "target_code": rec["target_code"], "unit_code": str(unit_code),
                "period": period, "evaluated_at": now, "flow_run_id": flow_run_id,
                "value": _num(rec.get("value")), "numerator": _num(rec.get("numerator")),
                "denominator": _num(rec.get("denominator")), "bound_low": _num(rec.get("bound_low")),
                "bound_high": _num(rec.get("bound_high")), "comparison": rec["comparison"],
                "status": rec["status"],
                "detail": None if _missing(rec.get("detail")) else str(rec["detail"]),
                "inputs_json": inputs_json, "inputs_fingerprint": fingerprint,
                "outlook_value": _num(rec.get("outlook_value")),
                "outlook_status": _text(rec.get("outlook_status")),
                "outlook_method": _text(rec.get("outlook_method")),
                "outlook_detail": _text(rec.get("outlook_detail")),
                "gap_value": _num(rec.get("gap_value")), "gap_text": _text(rec.get("gap_text")),
                "is_restatement": bool(closed and previous is not None),
            })
    return new_rows


def _text(value) -> str | None:
    return None if _missing(value) else str(value)


READ_EXTRA_COLUMNS = ["name_vi", "display_unit", "plan_id", "evaluated_at", "evaluation_id", "is_restatement"]


def read_attainment(engine: Engine, unit_code: str, period: str,
                    as_of: dt.datetime | dt.date | None = None) -> pd.DataFrame:
    """The latest snapshot of every target for the unit at the end of ``period``.

    Args:
        as_of: read the judgement as it stood then ("October as reported on 3 Nov"): the latest
            snapshot evaluated at or before this moment (a date means the end of that day, UTC; a
            naive datetime is UTC). Default: the current judgement.

    Returns:
        The columns of ``ATTAINMENT_COLUMNS`` (``inputs`` parsed back to a list of dicts), plus
        ``name_vi``, ``display_unit``, ``plan_id``, ``evaluated_at``, ``evaluation_id``,
        ``is_restatement``; sorted by target_code; empty when the period was never evaluated (by then).
    """
    t = models.targets
    extra = READ_EXTRA_COLUMNS
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(models.attainment_evaluations.name):
            # a warehouse that was never migrated has evaluated nothing
            return pd.DataFrame(columns=ATTAINMENT_COLUMNS + extra)
        latest = _latest_snapshots(conn, None, unit_code, period, as_of)
        names = {(r.plan_id, r.target_code): (r.name_vi, r.display_unit) for r in conn.execute(
            sa.select(t.c.plan_id, t.c.target_code, t.c.name_vi, t.c.display_unit)
            .where(t.c.plan_id.in_({k[0] for k in latest} or {-1})))}
    rows = []
    for key, row in latest.items():
        name_vi, display_unit = names.get(key, (None, None))
        rows.append({**{c: row[c] for c in ATTAINMENT_COLUMNS if c != "inputs"},
                     "inputs": json.loads(row["inputs_json"]), "name_vi": name_vi,
                     "display_unit": display_unit, "plan_id": row["plan_id"],
                     "evaluated_at": _utc(row["evaluated_at"]), "evaluation_id": row["evaluation_id"],
                     "is_restatement": bool(row["is_restatement"])})
    rows += _review_rows(engine, {k[0] for k in latest}, {k for k in latest}, unit_code, period)
    frame = pd.DataFrame(rows, columns=ATTAINMENT_COLUMNS + extra)
    return frame.sort_values("target_code", kind="stable").reset_index(drop=True)


def _review_rows(engine: Engine, plan_ids: set, judged: set, unit_code: str, period: str) -> list[dict]:
    """The targets still to review of the plans judged for the period (read_attainment lists them too)."""
    if not plan_ids:
        return []
    t = models.targets
    query = (sa.select(t).where(t.c.plan_id.in_(plan_ids), t.c.measure_json.like(f'%"{NEEDS_REVIEW}"%'))
             .order_by(t.c.target_code))
    with engine.connect() as conn:
        targets = [dict(r._mapping) for r in conn.execute(query)]
    rows = []
    for target in targets:
        measure = json.loads(target["measure_json"])
        if measure.get("kind") != NEEDS_REVIEW or (target["plan_id"], target["target_code"]) in judged:
            continue
        rows.append({**_review_row(target, unit_code, period, measure), "name_vi": target["name_vi"],
                     "display_unit": target["display_unit"], "plan_id": target["plan_id"], "evaluated_at": None,
                     "evaluation_id": None, "is_restatement": False})
    return rows


HISTORY_COLUMNS = ["evaluation_id", "target_code", "unit_code", "period", "evaluated_at", "revision",
                   "is_latest", "is_restatement", "value", "numerator", "denominator", "status",
                   "outlook_value", "outlook_status", "gap_value", "gap_text", "detail", "inputs", "flow_run_id"]


def read_attainment_history(engine: Engine, unit_code: str, period: str,
                            target_code: str | None = None) -> pd.DataFrame:
    """Every snapshot of the unit's judgements of ``period`` (optionally one target), oldest first.

    Returns:
        The columns of ``HISTORY_COLUMNS``: ``revision`` numbers the snapshots of a target from 1,
        ``is_latest`` marks the current one, ``is_restatement`` those added after the year was closed.
    """
    a = models.attainment_evaluations
    query = (sa.select(a).where(a.c.unit_code == str(unit_code), a.c.period == period)
             .order_by(a.c.target_code, a.c.evaluated_at, a.c.evaluation_id))
    if target_code is not None:
        query = query.where(a.c.target_code == target_code)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    out, count = [], {}
    for row in rows:
        count[row["target_code"]] = count.get(row["target_code"], 0) + 1
        out.append({**{c: row.get(c) for c in HISTORY_COLUMNS if c in row},
                    "evaluated_at": _utc(row["evaluated_at"]), "revision": count[row["target_code"]],
                    "is_restatement": bool(row["is_restatement"]), "inputs": json.loads(row["inputs_json"])})
    for rec in out:
        rec["is_latest"] = rec["revision"] == count[rec["target_code"]]
    return pd.DataFrame(out, columns=HISTORY_COLUMNS)


def read_attainment_series(engine: Engine, unit_code: str, year: int, through_period: str) -> pd.DataFrame:
    """The current judgement of every target for each month of ``year`` up to ``through_period``
    (for trend charts): ``read_attainment`` of each month, concatenated (months never judged are absent).
    """
    last = int(through_period[5:7]) if int(through_period[:4]) == int(year) else 12
    frames = [read_attainment(engine, unit_code, f"{int(year):04d}-{m:02d}") for m in range(1, last + 1)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=ATTAINMENT_COLUMNS + READ_EXTRA_COLUMNS)
    return pd.concat(frames, ignore_index=True)
