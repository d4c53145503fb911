"""The units dimension (city -> wards, with validity dates) and the predecessor crosswalk.

A units file (``catalogue/units-31.yaml``, or the generator's ``catalogue/units.yaml``) lists units and,
optionally, crosswalk rows: a predecessor unit that became (part of) a successor on ``effective_date``,
with the share of its figures that goes to the successor. ``load_units`` upserts both (idempotent).

``backcast_observations`` builds a successor's figures for the months before it existed from its
predecessors' (the rules are in warehouse/README.md, "Units and crosswalk"):

- amounts (money, visits, tonnes, values without a numerator): the sum of ``value x share`` over every
  predecessor (population share where people moved, area share where only land moved, 1 when whole);
- rates (numerator and denominator): numerator and denominator each summed as ``x share`` over the
  predecessors that brought people (whole or population basis: an area-only part brought no households,
  dossiers or pupils), and the rate recomputed from the sums; an item's rate (a school, a health station:
  a member code) only from whole predecessors, since which items of a split unit moved is unknown;
- per-capita figures (``PER_CAPITA_INDICATORS``: income per head): the mean weighted by the people who
  moved (``share x population`` of a whole or population-basis predecessor);
- assessments (text): only from whole predecessors; the text when they all agree, else the distinct
  texts joined with " / " (which is no longer the "kept" text, so the target is not met).

A figure is back-cast only when every predecessor that should contribute to it reports it for the month:
a partial sum would understate last year and overstate the growth. Lineage: ``source_file`` reads
``backcast: <predecessor> x <share> (load <id>, <file> <sheet> row <n>); ...`` and ``input_load_ids``
lists the predecessor loads used.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from warehouse import models
from warehouse.catalogue import UNIT_COLUMNS, _upsert
from warehouse.errors import CatalogueError

CROSSWALK_COLUMNS = ["predecessor_code", "successor_code", "effective_date", "is_whole", "share",
                     "share_basis", "legal_basis_vi"]
SHARE_BASES = ("whole", "population", "area")
# Figures per head: never summed; a population-weighted mean (rollup and backcast alike).
PER_CAPITA_INDICATORS = frozenset({"TNBQ"})
OBSERVATION_KEY = ["indicator_code", "unit_code", "period", "member_code"]


class UnitsFileError(CatalogueError):
    """The units file is invalid (names the unit or crosswalk row and the field)."""


@dataclass
class UnitsFile:
    """A validated units file: ``units`` (columns of ``UNIT_COLUMNS``) and ``crosswalk``
    (``CROSSWALK_COLUMNS``; ``share`` computed from the moved part when the file gives it)."""

    units: pd.DataFrame
    crosswalk: pd.DataFrame
    path: Path | None = field(default=None)


# --------------------------------------------------------------------------- reading the file


def _fail(path: Path, where: str, field_name: str, found, expected: str) -> UnitsFileError:
    return UnitsFileError(f"units file {path}: {where}: field '{field_name}': found {found!r}, expected {expected}")


def _date(path: Path, raw: dict, key: str, where: str) -> dt.date | None:
    value = raw.get(key)
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(path, where, key, value, "a date YYYY-MM-DD") from None


def _amount(path: Path, raw: dict, key: str, where: str, *, whole: bool = False) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 and not math.isnan(value)
    if not ok or (whole and float(value) != int(value)):
        raise _fail(path, where, key, value, "a whole number >= 0" if whole else "a number >= 0")
    return int(value) if whole else float(value)


def _text(path: Path, raw: dict, key: str, where: str) -> str:
    value = raw.get(key)
    if value is None or not str(value).strip():
        raise _fail(path, where, key, value, "a non-empty text")
    return str(value).strip()


def _read_unit(path: Path, raw, index: int) -> dict:
    if not isinstance(raw, dict) or raw.get("unit_code") in (None, ""):
        raise _fail(path, f"units[{index}]", "unit_code", raw, "a unit code")
    code = str(raw["unit_code"])
    where = f"unit {code}"
    parent = raw.get("parent_code", raw.get("parent"))  # the generator writes `parent`
    unit = {"unit_code": code, "name_vi": _text(path, raw, "name_vi", where),
            "level": _text(path, raw, "level", where),
            "parent_code": None if parent is None else str(parent),
            "valid_from": _date(path, raw, "valid_from", where), "valid_to": _date(path, raw, "valid_to", where),
            "population": _amount(path, raw, "population", where, whole=True),
            "area_km2": _amount(path, raw, "area_km2", where)}
    if unit["valid_from"] and unit["valid_to"] and unit["valid_to"] < unit["valid_from"]:
        raise _fail(path, where, "valid_to", str(unit["valid_to"]),
                    f"a date on or after valid_from {unit['valid_from']}")
    return unit


def _read_link(path: Path, raw, index: int, units: dict[str, dict]) -> dict:
    if not isinstance(raw, dict):
        raise _fail(path, f"crosswalk[{index}]", "predecessor_code", raw, "a mapping")
    pred = _text(path, raw, "predecessor_code", f"crosswalk[{index}]")
    succ = _text(path, raw, "successor_code", f"crosswalk[{index}]")
    where = f"crosswalk {pred} -> {succ}"
    for key, code in (("predecessor_code", pred), ("successor_code", succ)):
        if code not in units:
            raise _fail(path, where, key, code, "a unit listed under `units`")
    effective = _date(path, raw, "effective_date", where)
    if effective is None:
        raise _fail(path, where, "effective_date", None, "a date YYYY-MM-DD")
    is_whole = raw.get("is_whole")
    if not isinstance(is_whole, bool):
        raise _fail(path, where, "is_whole", is_whole, "true or false")
    basis = raw.get("share_basis", "whole" if is_whole else None)
    if basis not in SHARE_BASES or (basis == "whole") != is_whole:
        expected = "'whole' (is_whole is true)" if is_whole else "'population' or 'area' (is_whole is false)"
        raise _fail(path, where, "share_basis", basis, expected)
    share = raw.get("share")
    if is_whole:
        share = 1.0 if share is None else share
    elif share is None:
        # the share of the predecessor's figures: the moved part over the predecessor's total
        moved_key, total_key = (("moved_population", "population") if basis == "population"
                                else ("moved_area_km2", "area_km2"))
        moved = _amount(path, raw, moved_key, where)
        total = units[pred][total_key]
        if moved is None:
            raise _fail(path, where, moved_key, None, f"the {basis} that moved (or an explicit share)")
        if not total:
            raise _fail(path, f"unit {pred}", total_key, total, f"the predecessor's total {basis} (for the share)")
        share = moved / total
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise _fail(path, where, "share", share, "a number in (0, 1]")
    if is_whole and share != 1:
        raise _fail(path, where, "share", share, "1 for a whole predecessor")
    return {"predecessor_code": pred, "successor_code": succ, "effective_date": effective, "is_whole": is_whole,
            "share": float(share), "share_basis": basis, "legal_basis_vi": raw.get("legal_basis_vi"),
            "_moved_population": (units[pred]["population"] if is_whole
                                  else _amount(path, raw, "moved_population", where)),
            "_moved_area": units[pred]["area_km2"] if is_whole else _amount(path, raw, "moved_area_km2", where)}


def _check_totals(path: Path, links: list[dict], units: dict[str, dict]) -> None:
    """The parts that formed a successor add up to its population and area (when all are known)."""
    for succ in sorted({link["successor_code"] for link in links}):
        parts = [link for link in links if link["successor_code"] == succ]
        for key, moved_key, tolerance, label in (("population", "_moved_population", 0.5, "people"),
                                                 ("area_km2", "_moved_area", 0.005, "km²")):
            total = units[succ][key]
            moved = [p[moved_key] for p in parts]
            if total is None or any(m is None for m in moved):
                continue
            if abs(sum(moved) - total) > tolerance:
                raise _fail(path, f"unit {succ}", key, total,
                            f"the sum of its predecessors' moved parts, {sum(moved):g} {label}")
    shares: dict[str, float] = {}
    for link in links:
        shares[link["predecessor_code"]] = shares.get(link["predecessor_code"], 0.0) + link["share"]
    for pred, total in shares.items():
        if total > 1 + 1e-9:
            raise _fail(path, f"unit {pred}", "share", round(total, 6),
                        "shares over its successors summing to at most 1")


def read_units(path: str | Path) -> UnitsFile:
    """Read and validate a units file (``units:`` list, optional ``crosswalk:`` list).

    Raises:
        UnitsFileError: unreadable file or a broken rule; the message names the unit/row and the field.
    """
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_bytes())
    except (OSError, yaml.YAMLError) as exc:
        raise UnitsFileError(f"units file {path}: cannot read: {exc}") from exc
    if isinstance(doc, list):
        doc = {"units": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("units"), list) or not doc["units"]:
        raise UnitsFileError(f"units file {path}: expected a mapping with a non-empty `units` list")
    units: dict[str, dict] = {}
    for i, raw in enumerate(doc["units"]):
        unit = _read_unit(path, raw, i)
        if unit["unit_code"] in units:
            raise _fail(path, f"units[{i}]", "unit_code", unit["unit_code"], "a code not listed before")
        units[unit["unit_code"]] = unit
    for unit in units.values():
        if unit["parent_code"] is not None and unit["parent_code"] not in units:
            raise _fail(path, f"unit {unit['unit_code']}", "parent_code", unit["parent_code"],
                        "a unit listed under `units`")
    links = [_read_link(path, raw, i, units) for i, raw in enumerate(doc.get("crosswalk") or [])]
    keys = [(x["predecessor_code"], x["successor_code"], x["effective_date"]) for x in links]
    if len(set(keys)) != len(keys):
        raise UnitsFileError(f"units file {path}: crosswalk: a (predecessor, successor, date) row is listed twice")
    _check_acyclic(path, links)
    _check_totals(path, links, units)
    crosswalk = pd.DataFrame([{k: v for k, v in x.items() if not k.startswith("_")} for x in links],
                             columns=CROSSWALK_COLUMNS)
    return UnitsFile(units=pd.DataFrame(list(units.values()), columns=UNIT_COLUMNS), crosswalk=crosswalk,
                     path=path)


def _check_acyclic(path: Path, links: list[dict]) -> None:
    """No unit is its own predecessor (back-casting follows the chain recursively)."""
    preds: dict[str, set[str]] = {}
    for link in links:
        preds.setdefault(link["successor_code"], set()).add(link["predecessor_code"])

    def ancestors(code: str, trail: tuple[str, ...]) -> None:
        for pred in preds.get(code, ()):
            if pred in trail:
                raise _fail(path, f"crosswalk {pred} -> {code}", "predecessor_code", pred,
                            "a unit that is not its own successor (the crosswalk has a cycle)")
            ancestors(pred, (*trail, pred))

    for code in preds:
        ancestors(code, (code,))


# --------------------------------------------------------------------------- warehouse reads and writes


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _plain(value.item())
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def load_units(engine: Engine, units_file: UnitsFile) -> dict:
    """Upsert the file's units and crosswalk rows in one transaction (idempotent).

    The file is the truth for the successors it names: a crosswalk row of such a successor that is no
    longer in the file is deleted. Units are never deleted (observations may refer to them).

    Returns:
        ``{"units": n, "crosswalk": m}``: the rows of the file.
    """
    units = [{k: _plain(v) for k, v in rec.items()} for rec in units_file.units.to_dict("records")]
    for unit in units:
        unit["population"] = None if unit["population"] is None else int(unit["population"])
    links = [{k: _plain(v) for k, v in rec.items()} for rec in units_file.crosswalk.to_dict("records")]
    cw = models.unit_crosswalk
    with engine.begin() as conn:
        _upsert(conn, models.units, ["unit_code"], units)
        successors = sorted({x["successor_code"] for x in links})
        if successors:
            keep = {(x["predecessor_code"], x["successor_code"], x["effective_date"]) for x in links}
            stale = [r for r in conn.execute(sa.select(cw.c.predecessor_code, cw.c.successor_code,
                                                       cw.c.effective_date)
                                             .where(cw.c.successor_code.in_(successors)))
                     if (r[0], r[1], r[2]) not in keep]
            for pred, succ, effective in stale:
                conn.execute(cw.delete().where(cw.c.predecessor_code == pred, cw.c.successor_code == succ,
                                               cw.c.effective_date == effective))
            _upsert(conn, cw, ["predecessor_code", "successor_code", "effective_date"], links)
    return {"units": len(units), "crosswalk": len(links)}


def _valid_at(table: sa.Table, at: dt.date):
    return sa.and_(sa.or_(table.c.valid_from.is_(None), table.c.valid_from <= at),
                   sa.or_(table.c.valid_to.is_(None), table.c.valid_to >= at))


def _read_units(engine: Engine, *conditions) -> pd.DataFrame:
    u = models.units
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*[u.c[c] for c in UNIT_COLUMNS]).where(*conditions)
                            .order_by(u.c.unit_code)).all()
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def units_at(engine: Engine, at: dt.date) -> pd.DataFrame:
    """The units valid on ``at`` (valid_from <= at <= valid_to, open ends allowed), by code."""
    return _read_units(engine, _valid_at(models.units, at))


def children(engine: Engine, parent_code: str, at: dt.date) -> pd.DataFrame:
    """The units directly under ``parent_code`` valid on ``at`` (a city's wards), by code."""
    u = models.units
    return _read_units(engine, u.c.parent_code == str(parent_code), _valid_at(u, at))


def read_crosswalk(engine: Engine, successor_codes=None) -> pd.DataFrame:
    """Crosswalk rows (all, or those of the given successors) with the predecessor's ``population``."""
    cw, u = models.unit_crosswalk, models.units
    query = (sa.select(*[cw.c[c] for c in CROSSWALK_COLUMNS], u.c.population)
             .join(u, u.c.unit_code == cw.c.predecessor_code, isouter=True)
             .order_by(cw.c.successor_code, cw.c.predecessor_code))
    if successor_codes is not None:
        query = query.where(cw.c.successor_code.in_([str(c) for c in successor_codes]))
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(cw.name):
            rows = []  # a warehouse before migration 0004 has no crosswalk
        else:
            rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=[*CROSSWALK_COLUMNS, "population"])
    frame["share"] = pd.to_numeric(frame["share"]).astype(float)
    return frame


# --------------------------------------------------------------------------- back-casting


def in_force_order(observations: pd.DataFrame) -> np.ndarray:
    """Positions that sort ``observations`` so that, for each figure, the one in force comes last.

    The rule (warehouse/README.md, "observations"): a figure delivered in its own year (a month of the
    year, by that year's deliveries: the month's own workbook or a later cumulative one) beats the same
    figure restated by a later year's delivery (its "Năm trước" column): a baseline serves only when the
    warehouse holds none. Among deliveries of the same kind, the most recent delivery wins: the latest
    delivery period (``load_period``), then the latest load. Rows without ``load_period`` count as
    delivered in their own period. Column-wise (one ``lexsort``), whatever the frame's size.
    """
    period = observations["period"].astype(str)
    if "load_period" in observations.columns:
        load_period = observations["load_period"].where(observations["load_period"].notna(), period).astype(str)
    else:
        load_period = period
    own_year = (load_period.str[:4] == period.str[:4]).to_numpy()
    load_id = (pd.to_numeric(observations["load_id"], errors="coerce").fillna(-1).to_numpy(dtype=float)
               if "load_id" in observations.columns else np.zeros(len(observations)))
    # lexsort: the last key is the primary one; a stable sort keeps the frame's order among equals
    return np.lexsort((np.arange(len(observations)), load_id, load_period.to_numpy(dtype=object).astype(str),
                       own_year))


_FIGURE_COLUMNS = ("value", "numerator", "denominator", "text_value")


def in_force(observations: pd.DataFrame, key: list[str] | None = None) -> pd.DataFrame:
    """One row per ``key`` (default: indicator, unit, period, member): the figure in force.

    Its value is the one ``in_force_order`` ranks last. The row kept for it is the delivery that first
    gave that very figure among the deliveries ranked just before it: the same figure repeated by later
    cumulative workbooks does not move its lineage, while a later delivery with a *different* figure
    does (and so does a figure delivered in its own year over a later year's restatement). So re-judging
    a month after later workbooks repeated it unchanged names the same loads; a correction names its own.
    Column-wise (sorts and shifted comparisons). ``member_code`` comes back as text ('' when empty).
    """
    key = list(key or OBSERVATION_KEY)
    if observations.empty:
        out = observations.copy()
        out["member_code"] = out["member_code"].astype(object)
        return out
    rank = np.empty(len(observations), dtype=np.int64)
    rank[in_force_order(observations)] = np.arange(len(observations))
    members = observations["member_code"].where(observations["member_code"].notna(), "").astype(str)
    keys = [members.to_numpy() if c == "member_code" else observations[c].astype(str).to_numpy() for c in key]
    # each key's rows together, in the order of the rule (lexsort: the last key is the primary one)
    order = np.lexsort((rank, *reversed(keys)))
    obs = observations.iloc[order].copy()
    obs["member_code"] = members.iloc[order].to_numpy()
    n = len(obs)
    new_key = np.zeros(n, dtype=bool)
    new_key[0] = True
    for values in keys:
        values = values[order]
        new_key[1:] |= values[1:] != values[:-1]
    period = obs["period"].astype(str)
    load_period = (obs["load_period"].where(obs["load_period"].notna(), period).astype(str)
                   if "load_period" in obs.columns else period)
    own_year = (load_period.str[:4] == period.str[:4]).to_numpy()
    # a run of one figure: a new run starts at a new key, a different figure, or the own-year boundary
    starts = new_key.copy()
    starts[1:] |= own_year[1:] != own_year[:-1]
    for column in _FIGURE_COLUMNS:
        if column not in obs.columns:
            continue
        if column == "text_value":
            text = obs[column].where(obs[column].notna(), "").astype(str).to_numpy()
            starts[1:] |= text[1:] != text[:-1]
        else:
            numbers = pd.to_numeric(obs[column], errors="coerce").to_numpy(dtype=float)
            same = (numbers[1:] == numbers[:-1]) | (np.isnan(numbers[1:]) & np.isnan(numbers[:-1]))
            starts[1:] |= ~same
    run = np.cumsum(starts)
    last_of_key = np.append(new_key[1:], True)
    return obs[starts & np.isin(run, run[last_of_key])]


def latest_figures(observations: pd.DataFrame) -> pd.DataFrame:
    """One row per (indicator, unit, period, member): the figure in force (``in_force``: its own year's
    deliveries before a later year's baseline, then the most recent delivery; a figure repeated unchanged
    keeps the delivery that first gave it), for a frame holding several units (the rule of
    warehouse/attainment.py)."""
    return in_force(observations, OBSERVATION_KEY)


def figure_kind(obs: pd.DataFrame) -> pd.Series:
    """``text``, ``rate``, ``per_capita`` or ``amount`` of each observation row."""
    has_text = obs["text_value"].notna() & (obs["text_value"].astype(str).str.strip() != "")
    is_rate = obs["numerator"].notna() & obs["denominator"].notna()
    kind = pd.Series("amount", index=obs.index)
    kind[obs["indicator_code"].isin(PER_CAPITA_INDICATORS)] = "per_capita"
    kind[is_rate] = "rate"
    kind[has_text] = "text"
    return kind


def _lineage(rows: pd.DataFrame) -> str:
    parts = []
    for rec in rows.to_dict("records"):
        where = " ".join(str(rec[c]) for c in ("source_file", "sheet") if _plain(rec.get(c)) is not None)
        row = _plain(rec.get("row_number"))
        load_id = _plain(rec.get("load_id"))
        parts.append(f"{rec['unit_code']} x {rec['_share']:.6g} (load {load_id}"
                     + (f", {where}" if where else "") + (f" row {int(row)}" if row is not None else "") + ")")
    return "backcast: " + "; ".join(parts)


def _load_ids(rows: pd.DataFrame) -> list[int]:
    ids = set(pd.to_numeric(rows["load_id"], errors="coerce").dropna().astype(int))
    if "input_load_ids" in rows.columns:  # back-cast rows of a predecessor (a chain of mergers)
        for extra in rows["input_load_ids"]:
            if isinstance(extra, list | tuple):
                ids |= {int(i) for i in extra}
    return sorted(ids)


def backcast_observations(predecessor_obs: pd.DataFrame, crosswalk: pd.DataFrame,
                          successor_code: str) -> pd.DataFrame:
    """The successor's observations for the months before ``effective_date``, built from its
    predecessors' observations with the crosswalk shares (rules in the module docstring).

    Args:
        predecessor_obs: observations of the predecessors (``read_observations`` columns; rows of
            other units are ignored).
        crosswalk: crosswalk rows (``CROSSWALK_COLUMNS``, optional ``population`` = the predecessor's).
        successor_code: the unit to back-cast.

    Returns:
        One row per (indicator, period, member) with the observation columns, ``unit_code`` the
        successor, ``load_id`` empty, lineage in ``source_file`` and ``input_load_ids``.
    """
    columns = [*predecessor_obs.columns.drop("input_load_ids", errors="ignore"), "input_load_ids"]
    cw = crosswalk[crosswalk["successor_code"].astype(str) == str(successor_code)]
    if cw.empty or predecessor_obs.empty:
        return pd.DataFrame(columns=columns)
    links = {str(r["predecessor_code"]): r for r in cw.to_dict("records")}
    obs = predecessor_obs[predecessor_obs["unit_code"].astype(str).isin(links)]
    if obs.empty:
        return pd.DataFrame(columns=columns)
    obs = latest_figures(obs)
    for col in ("value", "numerator", "denominator"):
        obs[col] = pd.to_numeric(obs[col], errors="coerce").astype(float)
    start = pd.to_datetime(obs["period"].astype(str) + "-01").dt.date
    effective = obs["unit_code"].map(lambda c: _plain(links[c]["effective_date"]))
    obs = obs[[s < e for s, e in zip(start, effective, strict=True)]].copy()
    obs["_kind"] = figure_kind(obs)
    obs["_share"] = obs["unit_code"].map(lambda c: float(links[c]["share"]))
    basis = obs["unit_code"].map(lambda c: links[c]["share_basis"])
    # which predecessors contribute to which kind of figure (module docstring)
    with_people = basis.isin(["whole", "population"])
    eligible = ((obs["_kind"] == "amount")
                | ((obs["_kind"] == "rate") & with_people & ((obs["member_code"] == "") | (basis == "whole")))
                | ((obs["_kind"] == "per_capita") & with_people)
                | ((obs["_kind"] == "text") & (basis == "whole")))
    obs = obs[eligible]
    populations = {c: _plain(r.get("population")) for c, r in links.items()}
    out = []
    for (indicator, period, kind), group in obs.groupby(["indicator_code", "period", "_kind"], sort=True):
        expected = _contributors(links, kind, group)
        if set(group["unit_code"]) != expected:
            continue  # a predecessor is missing: no partial sum (module docstring)
        for member, rows in group.groupby("member_code", sort=True):
            rec = {c: None for c in columns}
            rec.update({"indicator_code": indicator, "unit_code": str(successor_code), "period": period,
                        "member_code": member, "value": math.nan, "numerator": math.nan,
                        "denominator": math.nan, "source_code": rows["source_code"].iloc[0],
                        "load_period": max(rows["load_period"].dropna().astype(str), default=period),
                        "source_file": _lineage(rows), "input_load_ids": _load_ids(rows)})
            if kind == "amount":
                rec["value"] = float((rows["value"] * rows["_share"]).sum())
            elif kind == "rate":
                rec["numerator"] = float((rows["numerator"] * rows["_share"]).sum())
                rec["denominator"] = float((rows["denominator"] * rows["_share"]).sum())
                if rec["denominator"] > 0:
                    rec["value"] = 100 * rec["numerator"] / rec["denominator"]
            elif kind == "per_capita":
                known = all(populations.get(c) for c in rows["unit_code"])
                weights = [rows["_share"].iloc[i] * (populations[c] if known else 1)
                           for i, c in enumerate(rows["unit_code"])]
                rec["value"] = float(sum(w * v for w, v in zip(weights, rows["value"], strict=True)) / sum(weights))
            else:
                texts = sorted({str(t).strip() for t in rows["text_value"]})
                rec["text_value"] = texts[0] if len(texts) == 1 else " / ".join(texts)
                rec["value"] = float(rows["value"].min()) if rows["value"].notna().all() else math.nan
            out.append(rec)
    return pd.DataFrame(out, columns=columns)


def _contributors(links: dict, kind: str, group: pd.DataFrame) -> set[str]:
    """The predecessors that must all report a figure of this kind for it to be back-cast."""
    if kind == "amount":
        return set(links)
    if kind == "text":
        return {c for c, r in links.items() if r["share_basis"] == "whole"}
    if kind == "rate" and (group["member_code"] != "").all():
        return {c for c, r in links.items() if r["share_basis"] == "whole"}
    return {c for c, r in links.items() if r["share_basis"] in ("whole", "population")}


def merge_backcast(own: pd.DataFrame, backcast: pd.DataFrame) -> pd.DataFrame:
    """The unit's own observations plus the back-cast ones of every (indicator, period) it has none of."""
    if backcast.empty:
        return own
    have = set(zip(own["indicator_code"], own["period"], strict=True))
    keep = [(i, p) not in have for i, p in zip(backcast["indicator_code"], backcast["period"], strict=True)]
    extra = backcast[keep]
    if extra.empty:
        return own
    frames = [f for f in (own, extra) if not f.empty]
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else extra.reset_index(drop=True)
    return merged.sort_values(["indicator_code", "period", "member_code"], kind="stable").reset_index(drop=True)


def add_backcast(engine: Engine, observations: pd.DataFrame, unit_code, years,
                 read: Callable[[Engine, list[str], list], pd.DataFrame]) -> pd.DataFrame:
    """``observations`` of ``unit_code`` (a code, or a list of codes) plus, for each unit that has
    predecessors in the crosswalk, the back-cast figures of the months before it existed that it has
    no figure of itself.

    Without crosswalk rows the frame is returned as it is (the single-ward path is unchanged).
    ``read`` reads units' observations (``warehouse.attainment.read_observations``, passed in so
    that a predecessor that itself had predecessors is back-cast too).
    """
    codes = [str(c) for c in unit_code] if isinstance(unit_code, list | tuple) else [str(unit_code)]
    crosswalk = read_crosswalk(engine, codes)
    if crosswalk.empty:
        return observations
    predecessors = read(engine, sorted(set(crosswalk["predecessor_code"])), years)  # one query for them all
    merged = observations
    for successor in sorted(set(crosswalk["successor_code"])):
        own = merged["unit_code"].astype(str) == successor
        unit_frame = merge_backcast(merged[own], backcast_observations(predecessors, crosswalk, successor))
        parts = [f for f in (merged[~own], unit_frame) if not f.empty]
        merged = pd.concat(parts, ignore_index=True) if len(codes) > 1 and parts else unit_frame
    return merged
