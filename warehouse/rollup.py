"""City roll-up of the wards' figures, the city's judgement of every target, and the wards' league table.

``rollup_observations`` turns the wards' observations into the city's, per (indicator, member, period).
How an indicator adds up follows from the measure kinds of the plan's targets (``rollup_rules``):

==================  =====================================================================================
``ratio``           numerators summed, denominators summed, the rate recomputed (never an average of
                    rates); "100% of schools" is the wards' valid schools over their public schools
``total``           values summed (visits)
``growth``          both sides summed (this year's and last year's year-to-date sums; ``REV_YTD`` and
                    ``REV_PRIOR_YTD``), so the city's growth is the growth of the summed amounts; a
                    per-head figure (``TNBQ``) is the mean weighted by the wards' population instead
``items_meeting``   per item (revenue line): actuals summed; an estimate summed only when every ward
                    that reports the item's actual also reports that estimate (else it is left out and
                    the next estimate in the plan's preference is used), so actual and estimate always
                    cover the same wards
``assessment``      counted: ``numerator`` = wards whose text is the kept text, ``denominator`` = wards
                    reporting; the city's text is the kept text only when every reporting ward holds
==================  =====================================================================================

Indicators no target names add up by their shape (text: assessment; numerator and denominator: ratio;
otherwise summed). Each ward's figures are first reduced to the most recent delivery's (the rule of
warehouse/attainment.py). Lineage: ``source_file`` = ``rollup: <n> wards``, ``wards_reporting`` = n.

``evaluate_city`` judges the template plan's targets on the rolled-up figures with
``warehouse.attainment.evaluate_targets`` and keeps the snapshots under the city's unit code, in a plan
``KH-TD-<year>-<city>-tong-hop`` copied from the first ward's plan. Each row says how many wards reported
the target's source for the month (``wards_reporting`` / ``wards_expected``, ``wards_missing``): a partial
roll-up reads as partial. ``league_table`` ranks the wards on their own judgements (score in its docstring).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import models
from warehouse.attainment import (
    OBSERVATION_READ_COLUMNS,
    evaluate_targets,
    read_observations,
    read_targets,
    save_evaluations,
)
from warehouse.catalogue import SOURCE_COLUMNS, TARGET_COLUMNS, UNIT_COLUMNS, Catalogue, load_catalogue
from warehouse.errors import WarehouseError
from warehouse.units import PER_CAPITA_INDICATORS, children, figure_kind, latest_figures

ROLLUP_COLUMNS = [*OBSERVATION_READ_COLUMNS, "wards_reporting"]
DEFAULT_KEPT_TEXT = "Giữ vững"
STATUSES = ("met", "exceeded", "on_track", "behind", "not_met", "no_data")
LEAGUE_COLUMNS = ["rank", "unit_code", "name_vi", "population", "targets", *STATUSES, "score"]
COVERAGE_COLUMNS = ["wards_expected", "wards_reporting", "wards_missing"]


class RollupError(WarehouseError):
    """The city cannot be rolled up (unknown city, no wards, no ward plan for the year)."""


# --------------------------------------------------------------------------- rules and the roll-up


def rollup_rules(targets: pd.DataFrame | None) -> dict[str, dict]:
    """How each indicator a target names adds up: ``{indicator: {"rule": ..., ...}}`` (module docstring).

    Rules: ``sum``, ``ratio``, ``per_capita``, ``estimate`` (with ``actual``), ``assessment`` (with
    ``kept_text``).
    """
    rules: dict[str, dict] = {}
    if targets is None or targets.empty:
        return rules
    for measure in targets["measure"]:
        measure = json.loads(measure) if isinstance(measure, str) else measure
        kind = measure["kind"]
        if kind == "ratio":
            rules[measure["indicator"]] = {"rule": "ratio"}
        elif kind == "total":
            rules[measure["indicator"]] = {"rule": "sum"}
        elif kind == "growth":
            for part in ("numerator", "denominator"):
                code = measure[part]["indicator"]
                rules[code] = {"rule": "per_capita" if code in PER_CAPITA_INDICATORS else "sum"}
        elif kind == "items_meeting":
            actual = measure["actual"]["indicator"]
            rules[actual] = {"rule": "sum"}
            for code in measure["estimate_preference"]:
                rules[code] = {"rule": "estimate", "actual": actual}
        elif kind == "assessment":
            rules[measure["indicator"]] = {"rule": "assessment", "kept_text": str(measure["kept_text"]).strip()}
    return rules


_SHAPE_RULES = {"text": "assessment", "rate": "ratio", "per_capita": "per_capita", "amount": "sum"}
KEY = ["indicator_code", "period", "member_code"]


def rollup_observations(ward_obs: pd.DataFrame, parent_code: str, targets: pd.DataFrame | None = None,
                        populations: dict[str, float] | None = None) -> pd.DataFrame:
    """The city's observations from its wards', per (indicator, member, period) (module docstring).

    Args:
        ward_obs: observations of the wards (``read_observations`` columns, several unit codes).
        parent_code: the city's unit code (the rows' ``unit_code``).
        targets: the plan's targets (their measures decide the rules); None: by the rows' shape.
        populations: ``{unit_code: population}`` for per-head figures (equal weights when a ward's
            population is unknown).

    Returns:
        Columns of ``ROLLUP_COLUMNS``, ``load_id`` empty, sorted by indicator, period, member.
    """
    if ward_obs.empty:
        return pd.DataFrame(columns=ROLLUP_COLUMNS)
    obs = latest_figures(ward_obs)
    for col in ("value", "numerator", "denominator"):
        obs[col] = pd.to_numeric(obs[col], errors="coerce").astype(float)
    rules = rollup_rules(targets)
    shape = figure_kind(obs).map(_SHAPE_RULES)
    obs["_rule"] = obs["indicator_code"].map(lambda c: rules.get(c, {}).get("rule")).fillna(shape)
    table = _bind(populations, obs)
    frames = [table[rule](group, rules) for rule, group in obs.groupby("_rule", sort=False)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=ROLLUP_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    # lineage shared by every rule
    common = obs.groupby(KEY, sort=False).agg(source_code=("source_code", "first"),
                                              load_period=("load_period", "max"),
                                              wards_reporting=("unit_code", "nunique")).reset_index()
    out = out.merge(common, on=KEY, how="left")
    out["unit_code"] = str(parent_code)
    out["load_id"] = None
    out["source_file"] = "rollup: " + out["wards_reporting"].astype(int).astype(str) + " wards"
    out = out.reindex(columns=ROLLUP_COLUMNS)
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)


def _sum(group: pd.DataFrame, _rules) -> pd.DataFrame:
    return group.groupby(KEY, sort=False)["value"].sum(min_count=1).reset_index()


def _ratio(group: pd.DataFrame, _rules) -> pd.DataFrame:
    usable = group[group["numerator"].notna() & group["denominator"].notna()]
    out = usable.groupby(KEY, sort=False)[["numerator", "denominator"]].sum().reset_index()
    out["value"] = (100 * out["numerator"] / out["denominator"]).where(out["denominator"] > 0)
    return out


def _per_capita(group: pd.DataFrame, _rules, populations: dict | None = None) -> pd.DataFrame:
    usable = group[group["value"].notna()].copy()
    weights = usable["unit_code"].map(populations or {})
    usable["_w"] = weights if weights.notna().all() and (weights > 0).all() else 1.0
    usable["_wv"] = usable["value"] * usable["_w"]
    out = usable.groupby(KEY, sort=False)[["_wv", "_w"]].sum().reset_index()
    out["value"] = out["_wv"] / out["_w"]
    # numerator / denominator keep the two sums: total income and the people it is spread over
    return out.rename(columns={"_wv": "numerator", "_w": "denominator"})


def _estimate(group: pd.DataFrame, rules: dict, *, actuals: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for indicator, rows in group.groupby("indicator_code", sort=False):
        actual = rules.get(indicator, {}).get("actual")
        rows = rows[rows["value"].notna()]
        have = actuals[(actuals["indicator_code"] == actual) & actuals["value"].notna()]
        have = have[["period", "member_code", "unit_code"]]
        need = have.groupby(["period", "member_code"])["unit_code"].nunique().rename("_need")
        both = rows.merge(have, on=["period", "member_code", "unit_code"], how="inner")
        got = both.groupby(["period", "member_code"])["unit_code"].nunique().rename("_got")
        summed = rows.groupby(KEY, sort=False)["value"].sum().reset_index()
        summed = summed.join(need, on=["period", "member_code"]).join(got, on=["period", "member_code"])
        complete = summed["_need"].isna() | (summed["_got"].fillna(0) >= summed["_need"])
        frames.append(summed[complete].drop(columns=["_need", "_got"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*KEY, "value"])


def _assessment(group: pd.DataFrame, rules: dict) -> pd.DataFrame:
    usable = group[group["text_value"].notna() & (group["text_value"].astype(str).str.strip() != "")].copy()
    kept = usable["indicator_code"].map(lambda c: rules.get(c, {}).get("kept_text", DEFAULT_KEPT_TEXT))
    usable["_holds"] = (usable["text_value"].astype(str).str.strip() == kept).astype(float)
    usable["_kept"] = kept
    out = usable.groupby(KEY, sort=False).agg(numerator=("_holds", "sum"), denominator=("_holds", "size"),
                                               kept=("_kept", "first")).reset_index()
    out["denominator"] = out["denominator"].astype(float)
    held = out["numerator"] == out["denominator"]
    out["value"] = held.astype(float)
    failing = (out["denominator"] - out["numerator"]).astype(int).astype(str)
    out["text_value"] = out["kept"].where(
        held, "Không giữ vững ở " + failing + "/" + out["denominator"].astype(int).astype(str) + " phường")
    return out.drop(columns="kept")


_ROLLUPS = {"sum": _sum, "ratio": _ratio, "per_capita": _per_capita, "assessment": _assessment}


def _bind(populations, actuals):
    """The rule table with the per-call inputs bound (populations, the actuals an estimate needs)."""
    return {**_ROLLUPS, "per_capita": lambda g, r: _per_capita(g, r, populations),
            "estimate": lambda g, r: _estimate(g, r, actuals=actuals)}


# --------------------------------------------------------------------------- the city's judgement


def _month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _unit(engine: Engine, unit_code: str) -> dict:
    u = models.units
    with engine.connect() as conn:
        row = conn.execute(sa.select(u).where(u.c.unit_code == str(unit_code))).mappings().first()
    if row is None:
        raise RollupError(f"unit {unit_code} is not in the units table: load it first "
                          f"(thidua city units --file catalogue/units-{unit_code}.yaml)")
    return dict(row)


def city_wards(engine: Engine, city_code: str, period: str) -> pd.DataFrame:
    """The city's wards for ``period``: those valid on the month's last day or, for a month before the
    city existed (a plan year that started before the reorganisation), on the city's first day."""
    city = _unit(engine, city_code)
    at = _month_end(period)
    if city["valid_from"] is not None and at < city["valid_from"]:
        at = city["valid_from"]
    wards = children(engine, city_code, at)
    if wards.empty:
        raise RollupError(f"unit {city_code} has no wards valid on {at:%d/%m/%Y} in the units table")
    return wards


def city_plan_code(city_code: str, year: int) -> str:
    """The code of the city's roll-up plan, e.g. ``KH-TD-2025-31-tong-hop``."""
    return f"KH-TD-{int(year)}-{city_code}-tong-hop"


def ensure_city_plan(engine: Engine, city_code: str, plan_year: int, ward_codes: list[str]) -> tuple[int, pd.DataFrame]:
    """Create or update the city's roll-up plan: the targets of the first ward's plan for the year
    (by code), under ``city_plan_code``. Idempotent. Returns (plan_id, targets)."""
    p = models.plans
    with engine.connect() as conn:
        template = conn.execute(sa.select(p).where(p.c.year == int(plan_year), p.c.unit_code.in_(ward_codes))
                                .order_by(p.c.unit_code, p.c.plan_code)).mappings().first()
    if template is None:
        raise RollupError(f"no ward of unit {city_code} has a plan for {plan_year}: load the wards' catalogues first")
    targets = read_targets(engine, plan_year, template["unit_code"])
    targets = targets[targets["plan_id"] == template["plan_id"]]
    targets = _summed_total_bounds(targets, read_targets(engine, plan_year, list(ward_codes)), len(ward_codes))
    city = _unit(engine, city_code)
    plan = {"plan_code": city_plan_code(city_code, plan_year), "unit_code": str(city_code), "year": int(plan_year),
            "title_vi": f"Tổng hợp kết quả thực hiện các chỉ tiêu thi đua năm {plan_year} của các phường "
                        f"thuộc {city['name_vi']}",
            "issued_by_vi": None, "due_date": None,
            "settings": {"rollup_of": str(city_code), "template_plan_code": template["plan_code"]}}
    catalogue = Catalogue(plan=plan, targets=targets.reindex(columns=TARGET_COLUMNS),
                          units=pd.DataFrame(columns=UNIT_COLUMNS), sources=pd.DataFrame(columns=SOURCE_COLUMNS),
                          # Its own fingerprint: sharing the template file's would make that file look like
                          # the city's plan to a city close (`catalogue.loaded_plans` is keyed by it).
                          sha256=hashlib.sha256(f"rollup:{city_code}:{template['catalogue_sha256']}"
                                                .encode()).hexdigest())
    plan_id = load_catalogue(engine, catalogue)
    return plan_id, read_targets(engine, plan_year, city_code)


def _summed_total_bounds(targets: pd.DataFrame, ward_targets: pd.DataFrame, n_wards: int) -> pd.DataFrame:
    """A ``total`` target (visits: "at least 100,000 a year") is a count per ward: the city's bound is the
    sum of its wards' bounds, since the roll-up sums their counts. Rates, growth, items and assessments keep
    the template's bound (a rate of summed numerators is judged against the same percentage). When some
    ward's plan lacks the target, the sum would understate the bound: the template's is kept."""
    out = targets.copy()
    for i, rec in out.iterrows():
        if (rec["measure"] or {}).get("kind") != "total":
            continue
        same = ward_targets[ward_targets["target_code"] == rec["target_code"]]
        if same["plan_id"].nunique() != n_wards:
            continue
        for column in ("bound_low", "bound_high"):
            values = pd.to_numeric(same[column], errors="coerce")
            if values.notna().all():
                out.at[i, column] = float(values.sum())
    return out


def _city_inputs(evaluations: pd.DataFrame, ward_obs: pd.DataFrame) -> list[list[dict]]:
    """Each evaluation's inputs as the wards' deliveries behind them: a rolled-up figure of (source,
    month) stands for every ward load that gave a figure of that source and month. One entry per
    delivery ``{"source", "load_id", "period": the delivery's period}`` (a city judgement of a
    year-to-date rate would otherwise list every ward x every month)."""
    rows = ward_obs[["source_code", "period", "load_id", "load_period"]].copy()
    if "input_load_ids" in ward_obs.columns:  # back-cast figures: their predecessors' loads
        extra = ward_obs[ward_obs["load_id"].isna() & ward_obs["input_load_ids"].notna()]
        extra = extra[["source_code", "period", "load_period", "input_load_ids"]].explode("input_load_ids")
        rows = pd.concat([rows, extra.rename(columns={"input_load_ids": "load_id"})], ignore_index=True)
    rows = rows[rows["load_id"].notna()].drop_duplicates()
    loads: dict[tuple, set] = {}
    for source, period, load_id, load_period in rows.itertuples(index=False, name=None):
        loads.setdefault((source, period), set()).add((source, int(load_id), str(load_period)))
    out = []
    for inputs in evaluations["inputs"]:
        used = set().union(*[loads.get((i["source"], i["period"]), set()) for i in inputs or []])
        out.append([{"source": s, "load_id": lid, "period": lp} for s, lid, lp in sorted(used)])
    return out


def evaluate_city(engine: Engine, city_code: str, period: str, plan_year: int | None = None, *,
                  flow_run_id: str | None = None, evaluated_at: dt.datetime | None = None) -> pd.DataFrame:
    """Judge every target of the wards' plan on the city's rolled-up figures and keep the snapshots.

    Args:
        city_code: the city (its wards are its children in ``units``: ``city_wards``).
        period: month M, ``YYYY-MM``.
        plan_year: the plan's year (default: the period's).
        flow_run_id, evaluated_at: passed to ``save_evaluations``.

    Returns:
        The evaluations (``ATTAINMENT_COLUMNS``) plus ``name_vi``, ``display_unit`` and the coverage of
        the target's source for the month: ``wards_expected``, ``wards_reporting``, ``wards_missing``.

    Raises:
        RollupError: unknown city, no wards, or no ward plan for the year.
    """
    year = int(plan_year or period[:4])
    wards = city_wards(engine, city_code, period)
    codes = [str(c) for c in wards["unit_code"]]
    plan_id, targets = ensure_city_plan(engine, city_code, year, codes)
    # One query for all the wards (read_observations takes a list), not one per ward: 114 round trips
    # for a city, 3,321 for a nation. Back-cast rows of a ward carry its code, so the filter still holds.
    ward_obs = read_observations(engine, codes, [year - 1, year])
    ward_obs = ward_obs[ward_obs["unit_code"].astype(str).isin(codes)]
    populations = {str(c): p for c, p in zip(wards["unit_code"], wards["population"], strict=True)
                   if p is not None and not pd.isna(p)}
    rolled = rollup_observations(ward_obs, city_code, targets, populations)
    evaluations = evaluate_targets(targets, rolled, city_code, period)
    used = latest_figures(ward_obs) if not ward_obs.empty else ward_obs
    evaluations["inputs"] = _city_inputs(evaluations, used)
    evaluations = _with_coverage(evaluations, targets, used, codes, period, rolled)
    save_evaluations(engine, plan_id, evaluations, flow_run_id, evaluated_at)
    names = targets.set_index("target_code")
    evaluations["name_vi"] = evaluations["target_code"].map(names["name_vi"])
    evaluations["display_unit"] = evaluations["target_code"].map(names["display_unit"])
    return evaluations


def _with_coverage(evaluations: pd.DataFrame, targets: pd.DataFrame, used: pd.DataFrame, codes: list[str],
                   period: str, rolled: pd.DataFrame) -> pd.DataFrame:
    """Add the coverage columns, note a partial roll-up in ``detail``, and give an assessment its
    counts (wards holding / wards reporting)."""
    month = used[used["period"] == period]
    reporting = {s: set(g["unit_code"].astype(str)) for s, g in month.groupby("source_code")}
    source_of = dict(zip(targets["target_code"], targets["source_code"], strict=True))
    measures = dict(zip(targets["target_code"], targets["measure"], strict=True))
    out = evaluations.copy()
    expected, got, missing, details = [], [], [], []
    for rec in out.to_dict("records"):
        have = reporting.get(source_of.get(rec["target_code"]), set())
        lacking = [c for c in codes if c not in have]
        expected.append(len(codes))
        got.append(len(codes) - len(lacking))
        missing.append(lacking)
        detail = rec["detail"] or ""
        if lacking:
            detail += f"; {len(codes) - len(lacking)}/{len(codes)} phường có số liệu tháng {period[5:]}/{period[:4]}"
        details.append(detail)
    out["wards_expected"], out["wards_reporting"], out["wards_missing"], out["detail"] = expected, got, missing, details
    for i, rec in out.iterrows():
        measure = measures.get(rec["target_code"]) or {}
        if measure.get("kind") != "assessment" or rec["status"] == "no_data":
            continue
        hit = rolled[(rolled["indicator_code"] == measure["indicator"]) & (rolled["period"] == period)]
        if not hit.empty:
            out.at[i, "numerator"] = float(hit["numerator"].iloc[0])
            out.at[i, "denominator"] = float(hit["denominator"].iloc[0])
    return out


# --------------------------------------------------------------------------- the league table


def league_table(engine: Engine, city_code: str, period: str, plan_year: int | None = None) -> pd.DataFrame:
    """One row per ward of the city: its targets' current statuses for ``period`` counted, a score and
    a rank.

    Score: the share (%) of the ward's judged targets that are met, exceeded or on track; a target
    without data counts as not achieved (a ward cannot climb the table by not reporting). Rank: by
    score, highest first; equal scores share a rank (1, 1, 3); a ward with no judgement has no score
    and comes last.

    Returns:
        Columns of ``LEAGUE_COLUMNS``, sorted by rank then unit code.
    """
    year = int(plan_year or period[:4])
    wards = city_wards(engine, city_code, period)
    codes = [str(c) for c in wards["unit_code"]]
    a, p = models.attainment_evaluations, models.plans
    query = (sa.select(a.c.plan_id, a.c.target_code, a.c.unit_code, a.c.status)
             .join(p, p.c.plan_id == a.c.plan_id)
             .where(a.c.unit_code.in_(codes), a.c.period == period, p.c.year == year)
             .order_by(a.c.evaluated_at, a.c.evaluation_id))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(query).all(), columns=["plan_id", "target_code", "unit_code", "status"])
    latest = rows.drop_duplicates(["plan_id", "target_code", "unit_code"], keep="last")
    counts = (pd.crosstab(latest["unit_code"], latest["status"]).reindex(index=codes, columns=list(STATUSES))
              .fillna(0).astype(int))
    table = wards[["unit_code", "name_vi", "population"]].set_index("unit_code").join(counts)
    table["targets"] = table[list(STATUSES)].sum(axis=1)
    good = table["met"] + table["exceeded"] + table["on_track"]
    table["score"] = (100 * good / table["targets"]).where(table["targets"] > 0)
    table["rank"] = table["score"].rank(method="min", ascending=False)
    table = table.reset_index().reindex(columns=LEAGUE_COLUMNS)
    table["rank"] = table["rank"].astype("Int64")
    table["population"] = table["population"].astype("Int64")
    return table.sort_values(["rank", "unit_code"], na_position="last", kind="stable").reset_index(drop=True)
