"""Attainment: judge every target of a plan at the end of a month, and keep dated snapshots.

``evaluate_targets`` is pure (DataFrames in, DataFrame out) and implements the measure kinds, windows
and comparisons of the catalogue (warehouse/catalogue.py) and the status rules of docs/contracts.md.
The other functions read and write the warehouse.

Rules worth knowing (docs/contracts.md, ../shared/reference/targets.md):
- rates are recomputed from summed numerators and denominators (over members, and over months 1..M for
  ``ytd_sum``), never averaged; a denominator of 0 or a missing figure gives no value (``no_data``);
- ``all`` ("100%") is decided on the counts, never on a rounded percentage;
- ``latest`` must describe month M itself (or be at most ``max_age_months`` older): otherwise stale;
- when several active loads carry a figure for the same (indicator, unit, period, member) (a workbook
  repeats earlier months), the figure of the most recent delivery wins.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import models

ATTAINMENT_COLUMNS = ["target_code", "unit_code", "period", "value", "numerator", "denominator",
                      "bound_low", "bound_high", "comparison", "status", "inputs", "detail"]
OBSERVATION_READ_COLUMNS = ["indicator_code", "unit_code", "period", "member_code", "value", "numerator",
                            "denominator", "text_value", "load_id", "source_code", "load_period",
                            "source_file", "sheet", "row_number", "column_name", "raw_text"]
TARGET_READ_COLUMNS = ["plan_id", "plan_code", "target_code", "plan_item", "name_vi", "measure_vi",
                       "source_code", "display_unit", "comparison", "bound_low", "bound_high",
                       "accumulates", "max_age_months", "measure"]


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
    """The unit's observations with year/month columns, one row per (indicator, period, member)."""
    obs = observations.copy()
    for col in ("indicator_code", "unit_code", "period", "member_code", "value", "numerator", "denominator",
                "text_value", "load_id", "source_code", "load_period"):
        if col not in obs.columns:
            obs[col] = None
    obs = obs[obs["unit_code"].astype(str) == str(unit_code)].copy()
    obs["member_code"] = obs["member_code"].where(obs["member_code"].notna(), "").astype(str)
    for col in ("value", "numerator", "denominator"):
        obs[col] = pd.to_numeric(obs[col], errors="coerce").astype(float)
    period = obs["period"].astype(str)
    obs["year"] = period.str[:4].astype(int)
    obs["month"] = period.str[5:7].astype(int)
    # The most recent delivery wins when several active loads carry the same figure.
    obs["_load_period"] = obs["load_period"].where(obs["load_period"].notna(), obs["period"]).astype(str)
    obs["_load_id"] = pd.to_numeric(obs["load_id"], errors="coerce").fillna(-1)
    obs = obs.sort_values(["_load_period", "_load_id"], kind="stable")
    obs = obs.drop_duplicates(["indicator_code", "period", "member_code"], keep="last")
    return obs


def _usable(rows: pd.DataFrame, need: str) -> pd.DataFrame:
    if need == "ratio":
        return rows[rows["numerator"].notna() & rows["denominator"].notna()]
    if need == "text":
        return rows[rows["text_value"].notna() & (rows["text_value"].astype(str).str.strip() != "")]
    return rows[rows["value"].notna()]


def _pick(by_indicator: dict, ref: dict, year: int, month: int, need: str, max_age: int = 0,
          member_glob: str | None = None) -> _Pick:
    """The rows a reference {indicator, member, window, year_offset} designates at month M."""
    indicator = ref["indicator"]
    y = year + int(ref.get("year_offset") or 0)
    window = ref.get("window") or "latest"
    rows = by_indicator.get(indicator)
    label = indicator + (f"[{ref['member']}]" if ref.get("member") else "")
    if rows is None:
        return _Pick(None, label, f"no {label} observation")
    rows = rows[rows["year"] == y]
    if ref.get("member"):
        rows = rows[rows["member_code"] == ref["member"]]
    elif member_glob:
        rows = rows[rows["member_code"].map(lambda m: fnmatch.fnmatchcase(m, member_glob))]
    rows = _usable(rows, need)
    if window == "year_end":
        if rows.empty:
            return _Pick(None, label, f"no {label} for {y}")
        last = int(rows["month"].max())
        return _Pick(rows[rows["month"] == last], f"{label} {y}-{last:02d}")
    rows = rows[rows["month"] <= month]
    if window == "latest":
        if rows.empty:
            return _Pick(None, label, f"no {label} for {y}-01..{y}-{month:02d}")
        last = int(rows["month"].max())
        if month - last > max_age:
            return _Pick(None, label, f"{label}: latest figure {y}-{last:02d} is older than {y}-{month:02d}")
        return _Pick(rows[rows["month"] == last], f"{label} {y}-{last:02d}")
    if window == "ytd_sum":
        if not (rows["month"] == month).any():
            return _Pick(None, label, f"no {label} for {y}-{month:02d}")
        missing = sorted(set(range(1, month + 1)) - set(rows["month"].astype(int)))
        note = f"{label} {y}-01..{y}-{month:02d}"
        if missing:
            note += " (missing months " + ", ".join(f"{m:02d}" for m in missing) + ")"
        return _Pick(rows, note)
    raise ValueError(f"unknown window {window!r}")


def _measure_ratio(by_ind, measure, year, month, max_age) -> _Result:
    pick = _pick(by_ind, measure, year, month, "ratio", max_age)
    if pick.rows is None:
        return _Result(problem=pick.problem)
    num = float(pick.rows["numerator"].sum())
    den = float(pick.rows["denominator"].sum())
    res = _Result(numerator=num, denominator=den, used=[pick.rows])
    if den == 0:
        res.problem = f"{pick.note}: denominator 0"
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
        res.problem = f"{picks[1].note}: base 0"
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
        res.problem = f"{note}: no item with an estimate"
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
        for source, load_id, period in zip(rows["source_code"], rows["load_id"], rows["period"], strict=True):
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
            detail = res.problem or "no usable figure"
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
        out.append({"target_code": target["target_code"], "unit_code": str(unit_code), "period": period,
                    "value": value, "numerator": res.numerator, "denominator": res.denominator,
                    "bound_low": low, "bound_high": high, "comparison": comparison, "status": status,
                    "inputs": _inputs(res.used), "detail": detail})
    return pd.DataFrame(out, columns=ATTAINMENT_COLUMNS)


# --------------------------------------------------------------------------- warehouse reads and writes


def read_observations(engine: Engine, unit_code: str, years) -> pd.DataFrame:
    """Observations of the unit's active (``loaded``) loads whose period falls in ``years``.

    Returns:
        The observation columns plus ``load_id``, ``source_code`` and ``load_period`` (the delivery's
        period), ordered by indicator, period, member.
    """
    o, ld = models.observations, models.loads
    years = sorted({int(y) for y in years})
    periods = sa.or_(*[o.c.period.like(f"{y:04d}-%") for y in years]) if years else sa.false()
    query = (sa.select(o.c.indicator_code, o.c.unit_code, o.c.period, o.c.member_code, o.c.value,
                       o.c.numerator, o.c.denominator, o.c.text_value, o.c.load_id, ld.c.source_code,
                       ld.c.period.label("load_period"), o.c.source_file, o.c.sheet, o.c.row_number,
                       o.c.column_name, o.c.raw_text)
             .join(ld, ld.c.load_id == o.c.load_id)
             .where(ld.c.status == "loaded", o.c.unit_code == str(unit_code), periods)
             .order_by(o.c.indicator_code, o.c.period, o.c.member_code, o.c.load_id))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=OBSERVATION_READ_COLUMNS)
    for col in ("value", "numerator", "denominator"):
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    return frame


def read_targets(engine: Engine, plan_year: int, unit_code: str) -> pd.DataFrame:
    """The targets of the unit's plan for ``plan_year``, with the parsed ``measure`` dict.

    Returns:
        Columns of ``TARGET_READ_COLUMNS``; empty when no such plan was loaded.
    """
    t, p = models.targets, models.plans
    query = (sa.select(t, p.c.plan_code)
             .join(p, p.c.plan_id == t.c.plan_id)
             .where(p.c.year == int(plan_year), p.c.unit_code == str(unit_code))
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
                   "detail")


def _canonical_inputs(inputs) -> str:
    if isinstance(inputs, str):
        inputs = json.loads(inputs)
    items = [{"source": i.get("source"), "load_id": None if _missing(i.get("load_id")) else int(i["load_id"]),
              "period": i.get("period")} for i in (inputs or [])]
    items.sort(key=lambda i: (i["source"] or "", i["period"] or "", i["load_id"] if i["load_id"] is not None
                              else -1))
    return json.dumps(items, ensure_ascii=False, sort_keys=True)


def _content_hash(row: dict, inputs_json: str) -> str:
    doc = {k: (_num(row.get(k)) if k in ("value", "numerator", "denominator", "bound_low", "bound_high")
               else (None if _missing(row.get(k)) else str(row.get(k))))
           for k in _CONTENT_FIELDS}
    doc["inputs"] = json.loads(inputs_json)
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _latest_snapshots(conn, plan_id: int | None, unit_code: str, period: str) -> dict:
    """{(plan_id, target_code): row} of the latest snapshot per target."""
    a = models.attainment_evaluations
    query = sa.select(a).where(a.c.unit_code == str(unit_code), a.c.period == period)
    if plan_id is not None:
        query = query.where(a.c.plan_id == plan_id)
    query = query.order_by(a.c.evaluated_at, a.c.evaluation_id)
    latest = {}
    for row in conn.execute(query).mappings():
        latest[(row["plan_id"], row["target_code"])] = dict(row)
    return latest


def save_evaluations(engine: Engine, plan_id: int, evaluations: pd.DataFrame,
                     flow_run_id: str | None) -> int:
    """Keep a dated snapshot of each evaluation whose result or inputs changed (bulk, one transaction).

    A snapshot identical to the target's latest one (same value, counts, bounds, status, detail and
    input loads) adds no row, so re-running a month is harmless; a correction adds a new snapshot and
    keeps the old one.

    Returns:
        The number of new snapshot rows.
    """
    if evaluations.empty:
        return 0
    a = models.attainment_evaluations
    now = dt.datetime.now(dt.UTC)
    new_rows = []
    with engine.begin() as conn:
        for (unit_code, period), group in evaluations.groupby(["unit_code", "period"], sort=False):
            latest = _latest_snapshots(conn, plan_id, unit_code, period)
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
                })
        if new_rows:
            conn.execute(a.insert(), new_rows)
    return len(new_rows)


def read_attainment(engine: Engine, unit_code: str, period: str) -> pd.DataFrame:
    """The latest snapshot of every target for the unit at the end of ``period``.

    Returns:
        The columns of ``ATTAINMENT_COLUMNS`` (``inputs`` parsed back to a list of dicts), plus
        ``name_vi``, ``display_unit``, ``plan_id``, ``evaluated_at``, ``evaluation_id``; sorted by
        target_code; empty when the period was never evaluated.
    """
    t = models.targets
    extra = ["name_vi", "display_unit", "plan_id", "evaluated_at", "evaluation_id"]
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(models.attainment_evaluations.name):
            # a warehouse that was never migrated has evaluated nothing
            return pd.DataFrame(columns=ATTAINMENT_COLUMNS + extra)
        latest = _latest_snapshots(conn, None, unit_code, period)
        names = {(r.plan_id, r.target_code): (r.name_vi, r.display_unit) for r in conn.execute(
            sa.select(t.c.plan_id, t.c.target_code, t.c.name_vi, t.c.display_unit)
            .where(t.c.plan_id.in_({k[0] for k in latest} or {-1})))}
    rows = []
    for key, row in latest.items():
        name_vi, display_unit = names.get(key, (None, None))
        rows.append({**{c: row[c] for c in ATTAINMENT_COLUMNS if c != "inputs"},
                     "inputs": json.loads(row["inputs_json"]), "name_vi": name_vi,
                     "display_unit": display_unit, "plan_id": row["plan_id"],
                     "evaluated_at": row["evaluated_at"], "evaluation_id": row["evaluation_id"]})
    frame = pd.DataFrame(rows, columns=ATTAINMENT_COLUMNS + extra)
    return frame.sort_values("target_code", kind="stable").reset_index(drop=True)
