"""The target catalogue: a YAML file per plan (catalogue/*.yaml) read, validated and loaded idempotently.

``read_catalogue`` checks the file against the measure and comparison kinds that
``warehouse.attainment`` knows and fails with a ``CatalogueError`` naming the target and the field.
A target marked ``status: needs_review`` (written by ``thidua plan import`` for a sentence it could not
type or map) needs only its code, name and ``review_reason``; it is loaded with the measure
``{"kind": "needs_review", "reason": …}`` and shown as untracked by ``warehouse.attainment``.
``load_catalogue`` upserts units, sources, the plan and its targets: re-running it changes nothing,
a changed file updates the rows (and a target removed from the file is removed from the plan).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection, Engine

from warehouse import models
from warehouse.errors import CatalogueError

# libyaml's safe loader when PyYAML was built with it: the same documents, ten times faster (a city
# close loads one plan per ward).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MEASURE_KINDS = ("growth", "ratio", "total", "items_meeting", "assessment")
# a target of the plan that has no source or measure yet (status: needs_review); never judged
NEEDS_REVIEW = "needs_review"
WINDOWS = ("latest", "ytd_sum", "year_end")
# comparison -> (needs bound_low, needs bound_high)
COMPARISONS = {
    "band": (True, True),
    "at_least": (True, False),
    "strictly_above": (True, False),
    "strictly_below": (False, True),
    "all": (False, False),
    "qualitative": (False, False),
}

TARGET_COLUMNS = ["target_code", "plan_item", "name_vi", "measure_vi", "source_code", "display_unit",
                  "comparison", "bound_low", "bound_high", "accumulates", "max_age_months", "measure"]
UNIT_COLUMNS = ["unit_code", "name_vi", "level", "parent_code", "valid_from", "valid_to", "population",
                "area_km2"]
SOURCE_COLUMNS = ["source_code", "name_vi", "kind", "expected_day"]
PLAN_COLUMNS = ("plan_code", "unit_code", "year", "title_vi", "issued_by_vi", "due_date")


@dataclass
class Catalogue:
    """A validated catalogue: the plan (dict), its targets, units and sources (DataFrames).

    ``targets`` has the columns of ``TARGET_COLUMNS``; ``measure`` holds the parsed measure dict and
    ``accumulates`` a bool. ``plan["settings"]`` holds the plan keys that have no column of their own.
    """

    plan: dict
    targets: pd.DataFrame
    units: pd.DataFrame
    sources: pd.DataFrame
    sha256: str = ""
    path: Path | None = field(default=None)


def _fail(where: str, field_name: str, problem: str) -> CatalogueError:
    return CatalogueError(f"catalogue: {where}: field '{field_name}': {problem}")


def _number(value, where: str, field_name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(float(value)):
        raise _fail(where, field_name, f"expected a number, found {value!r}")
    return float(value)


def _require_text(mapping: dict, key: str, where: str) -> str:
    value = mapping.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(where, key, "missing")
    return str(value)


def _check_ref(ref, where: str, field_name: str, *, default_window: str | None = None) -> dict:
    """A reference to one indicator: {indicator, member?, window, year_offset?}."""
    if not isinstance(ref, dict):
        raise _fail(where, field_name, f"expected a mapping, found {ref!r}")
    _require_text(ref, "indicator", f"{where} {field_name}")
    window = ref.get("window", default_window)
    if window not in WINDOWS:
        raise _fail(where, f"{field_name}.window", f"{window!r} is not one of {', '.join(WINDOWS)}")
    offset = ref.get("year_offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise _fail(where, f"{field_name}.year_offset", f"expected an integer, found {offset!r}")
    member = ref.get("member", "")
    return {"indicator": str(ref["indicator"]), "member": "" if member is None else str(member),
            "window": window, "year_offset": offset}


def _check_measure(measure, where: str, default_max_age=0) -> dict:
    """Validate a measure and return it normalised (defaults filled in)."""
    if not isinstance(measure, dict):
        raise _fail(where, "measure", "missing or not a mapping")
    kind = measure.get("kind")
    if kind not in MEASURE_KINDS:
        raise _fail(where, "measure.kind", f"{kind!r} is not one of {', '.join(MEASURE_KINDS)}")
    out = dict(measure)
    if kind == "growth":
        for part in ("numerator", "denominator"):
            out[part] = _check_ref(measure.get(part), where, f"measure.{part}")
    elif kind in ("ratio", "total", "assessment"):
        ref = _check_ref({k: v for k, v in measure.items() if k != "kind"}, where, "measure")
        out.update(ref)
        if kind == "assessment":
            _require_text(measure, "kept_text", f"{where} measure")
    elif kind == "items_meeting":
        actual = measure.get("actual")
        if not isinstance(actual, dict) or not actual.get("indicator"):
            raise _fail(where, "measure.actual.indicator", "missing")
        prefs = measure.get("estimate_preference")
        if not isinstance(prefs, list) or not prefs or not all(isinstance(p, str) and p for p in prefs):
            raise _fail(where, "measure.estimate_preference", "expected a non-empty list of indicator codes")
        window = measure.get("window", "latest")
        if window not in WINDOWS:
            raise _fail(where, "measure.window", f"{window!r} is not one of {', '.join(WINDOWS)}")
        members = measure.get("members", "*")
        if not isinstance(members, str) or not members:
            raise _fail(where, "measure.members", f"expected a glob pattern, found {members!r}")
        out.update({"actual": {"indicator": str(actual["indicator"])}, "estimate_preference": list(prefs),
                    "window": window, "members": members})
    max_age = measure.get("max_age_months", default_max_age)
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise _fail(where, "measure.max_age_months", f"expected an integer >= 0, found {max_age!r}")
    out["max_age_months"] = max_age
    return out


def _check_target(raw, index: int, source_codes: set[str]) -> dict:
    if not isinstance(raw, dict):
        raise CatalogueError(f"catalogue: targets[{index}]: expected a mapping, found {raw!r}")
    code = raw.get("code")
    if not code or not isinstance(code, str):
        raise _fail(f"targets[{index}]", "code", "missing")
    where = f"target {code}"
    name_vi = _require_text(raw, "name_vi", where)
    status = raw.get("status")
    if status is not None and status != NEEDS_REVIEW:
        raise _fail(where, "status", f"{status!r}: expected '{NEEDS_REVIEW}' or no status")
    if status == NEEDS_REVIEW:
        return _check_review_target(raw, where, code, name_vi)
    source = _require_text(raw, "source", where)
    if source_codes and source not in source_codes:
        raise _fail(where, "source", f"{source!r} is not a source of this catalogue "
                                     f"({', '.join(sorted(source_codes))})")
    comparison = raw.get("comparison")
    if comparison not in COMPARISONS:
        raise _fail(where, "comparison", f"{comparison!r} is not one of {', '.join(COMPARISONS)}")
    low = _number(raw.get("bound_low"), where, "bound_low")
    high = _number(raw.get("bound_high"), where, "bound_high")
    need_low, need_high = COMPARISONS[comparison]
    if need_low and low is None:
        raise _fail(where, "bound_low", f"required by comparison '{comparison}'")
    if need_high and high is None:
        raise _fail(where, "bound_high", f"required by comparison '{comparison}'")
    if not need_low and low is not None:
        raise _fail(where, "bound_low", f"not used by comparison '{comparison}'")
    if not need_high and high is not None:
        raise _fail(where, "bound_high", f"not used by comparison '{comparison}'")
    if low is not None and high is not None and low > high:
        raise _fail(where, "bound_low", f"{low} is above bound_high {high}")
    # max_age_months (how many months a `latest` figure may lag behind M) may sit on the target or
    # in its measure; the default 0 means the figure must describe month M itself.
    measure = _check_measure(raw.get("measure"), where, raw.get("max_age_months", 0))
    if (comparison == "qualitative") != (measure["kind"] == "assessment"):
        raise _fail(where, "comparison", "'qualitative' goes with measure kind 'assessment' and only with it")
    accumulates = raw.get("accumulates", False)
    if not isinstance(accumulates, bool):
        raise _fail(where, "accumulates", f"expected true or false, found {accumulates!r}")
    plan_item = raw.get("plan_item")
    if plan_item is not None and (isinstance(plan_item, bool) or not isinstance(plan_item, int)):
        raise _fail(where, "plan_item", f"expected an integer, found {plan_item!r}")
    return {"target_code": code, "plan_item": plan_item, "name_vi": name_vi,
            "measure_vi": raw.get("measure_vi"), "source_code": source,
            "display_unit": raw.get("display_unit"), "comparison": comparison, "bound_low": low,
            "bound_high": high, "accumulates": accumulates, "max_age_months": measure["max_age_months"],
            "measure": measure}


def _check_review_target(raw: dict, where: str, code: str, name_vi: str) -> dict:
    """A target still to review: its reason, and the comparison and bounds understood (optional)."""
    reason = _require_text(raw, "review_reason", where)
    understood = raw.get("understood") or {}
    if not isinstance(understood, dict):
        raise _fail(where, "understood", f"expected a mapping, found {understood!r}")
    comparison = understood.get("comparison")
    if comparison is not None and comparison not in COMPARISONS:
        raise _fail(where, "understood.comparison", f"{comparison!r} is not one of {', '.join(COMPARISONS)}")
    plan_item = raw.get("plan_item")
    if plan_item is not None and (isinstance(plan_item, bool) or not isinstance(plan_item, int)):
        raise _fail(where, "plan_item", f"expected an integer, found {plan_item!r}")
    return {"target_code": code, "plan_item": plan_item, "name_vi": name_vi, "measure_vi": raw.get("measure_vi"),
            "source_code": str(raw.get("source") or ""), "display_unit": understood.get("display_unit"),
            "comparison": comparison or "",
            "bound_low": _number(understood.get("bound_low"), where, "understood.bound_low"),
            "bound_high": _number(understood.get("bound_high"), where, "understood.bound_high"),
            "accumulates": False, "max_age_months": 0,
            "measure": {"kind": NEEDS_REVIEW, "reason": reason, "max_age_months": 0}}


def _unique(rows: list[dict], key: str, what: str) -> None:
    seen = set()
    for row in rows:
        if row[key] in seen:
            raise _fail(f"{what} {row[key]}", key, "duplicate code")
        seen.add(row[key])


def _date(value, where: str, field_name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(where, field_name, f"expected a date YYYY-MM-DD, found {value!r}") from None


def read_catalogue(path: str | Path) -> Catalogue:
    """Read and validate a target catalogue YAML file.

    Args:
        path: the catalogue file (e.g. ``catalogue/ke-hoach-2025-10549.yaml``).

    Returns:
        The validated Catalogue.

    Raises:
        CatalogueError: the file is unreadable or breaks a rule; the message names the target and field.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
        doc = yaml.load(raw_bytes, Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"catalogue {path}: cannot read: {exc}") from exc
    if not isinstance(doc, dict):
        raise CatalogueError(f"catalogue {path}: expected a mapping at the top level")

    plan_raw = doc.get("plan")
    if not isinstance(plan_raw, dict):
        raise _fail("plan", "plan", "missing or not a mapping")
    for key in ("plan_code", "unit_code", "year", "title_vi"):
        _require_text(plan_raw, key, "plan")
    if isinstance(plan_raw["year"], bool) or not isinstance(plan_raw["year"], int):
        raise _fail("plan", "year", f"expected an integer, found {plan_raw['year']!r}")
    plan = {"plan_code": str(plan_raw["plan_code"]), "unit_code": str(plan_raw["unit_code"]),
            "year": int(plan_raw["year"]), "title_vi": str(plan_raw["title_vi"]),
            "issued_by_vi": plan_raw.get("issued_by_vi"),
            "due_date": _date(plan_raw.get("due_date"), "plan", "due_date")}
    plan["settings"] = {k: v for k, v in plan_raw.items() if k not in PLAN_COLUMNS}

    units = []
    for i, raw in enumerate(doc.get("units") or []):
        if not isinstance(raw, dict) or raw.get("unit_code") in (None, ""):
            raise _fail(f"units[{i}]", "unit_code", "missing")
        code = str(raw["unit_code"])
        units.append({"unit_code": code, "name_vi": _require_text(raw, "name_vi", f"unit {code}"),
                      "level": _require_text(raw, "level", f"unit {code}"),
                      "parent_code": None if raw.get("parent_code") is None else str(raw["parent_code"]),
                      "valid_from": _date(raw.get("valid_from"), f"unit {code}", "valid_from"),
                      "valid_to": _date(raw.get("valid_to"), f"unit {code}", "valid_to"),
                      "population": raw.get("population"),
                      "area_km2": _number(raw.get("area_km2"), f"unit {code}", "area_km2")})
    _unique(units, "unit_code", "unit")

    sources = []
    for i, raw in enumerate(doc.get("sources") or []):
        if not isinstance(raw, dict) or not raw.get("source_code"):
            raise _fail(f"sources[{i}]", "source_code", "missing")
        code = str(raw["source_code"])
        sources.append({"source_code": code, "name_vi": _require_text(raw, "name_vi", f"source {code}"),
                        "kind": _require_text(raw, "kind", f"source {code}"),
                        "expected_day": raw.get("expected_day")})
    _unique(sources, "source_code", "source")

    raw_targets = doc.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        raise _fail("catalogue", "targets", "missing or empty")
    source_codes = {s["source_code"] for s in sources}
    targets = [_check_target(raw, i, source_codes) for i, raw in enumerate(raw_targets)]
    _unique(targets, "target_code", "target")

    return Catalogue(
        plan=plan,
        targets=pd.DataFrame(targets, columns=TARGET_COLUMNS),
        units=pd.DataFrame(units, columns=UNIT_COLUMNS),
        sources=pd.DataFrame(sources, columns=SOURCE_COLUMNS),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        path=path,
    )


def _clean(value):
    """pandas/numpy scalars -> plain Python; NaN/NaT -> None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _int(value):
    value = _clean(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _upsert(conn: Connection, table: sa.Table, key: list[str], rows: list[dict]) -> None:
    """Insert missing rows and update those whose columns differ, by natural key (few rows)."""
    if not rows:
        return
    columns = list(rows[0])
    existing = {tuple(r[k] for k in key): r
                for r in conn.execute(sa.select(*[table.c[c] for c in columns])).mappings()}
    inserts = []
    for row in rows:
        current = existing.get(tuple(row[k] for k in key))
        if current is None:
            inserts.append(row)
        elif any(current[c] != row[c] for c in columns):
            cond = sa.and_(*[table.c[k] == row[k] for k in key])
            conn.execute(table.update().where(cond).values(**{c: row[c] for c in columns if c not in key}))
    if inserts:
        conn.execute(table.insert(), inserts)


def load_catalogue(engine: Engine, catalogue: Catalogue) -> int:
    """Upsert the catalogue's units, sources, plan and targets in one transaction.

    Idempotent: a second run with the same catalogue changes no row. A changed catalogue updates the
    rows; a target no longer in the file is deleted from the plan (its past evaluations stay).

    Returns:
        The plan_id of the catalogue's plan.
    """
    units = [{k: _int(v) if k == "population" else _clean(v) for k, v in rec.items()}
             for rec in catalogue.units.to_dict("records")]
    sources = [{k: _int(v) if k == "expected_day" else _clean(v) for k, v in rec.items()}
               for rec in catalogue.sources.to_dict("records")]
    plan = catalogue.plan
    plan_row = {"plan_code": plan["plan_code"], "unit_code": plan["unit_code"], "year": plan["year"],
                "title_vi": plan["title_vi"], "issued_by_vi": plan.get("issued_by_vi"),
                "due_date": plan.get("due_date"), "catalogue_sha256": catalogue.sha256,
                "settings": json.dumps(plan.get("settings") or {}, ensure_ascii=False, sort_keys=True,
                                       default=str)}
    with engine.begin() as conn:
        _upsert(conn, models.units, ["unit_code"], units)
        _upsert(conn, models.sources, ["source_code"], sources)
        _upsert(conn, models.plans, ["plan_code"], [plan_row])
        plan_id = conn.execute(sa.select(models.plans.c.plan_id)
                               .where(models.plans.c.plan_code == plan["plan_code"])).scalar_one()
        targets = []
        for rec in catalogue.targets.to_dict("records"):
            targets.append({
                "plan_id": plan_id, "target_code": rec["target_code"], "plan_item": _int(rec["plan_item"]),
                "name_vi": rec["name_vi"], "measure_vi": _clean(rec["measure_vi"]),
                "source_code": rec["source_code"], "display_unit": _clean(rec["display_unit"]),
                "comparison": rec["comparison"], "bound_low": _clean(rec["bound_low"]),
                "bound_high": _clean(rec["bound_high"]), "is_accumulating": bool(rec["accumulates"]),
                "measure_json": json.dumps(rec["measure"], ensure_ascii=False, sort_keys=True),
            })
        t = models.targets
        codes = [r["target_code"] for r in targets]
        conn.execute(t.delete().where(t.c.plan_id == plan_id, t.c.target_code.not_in(codes)))
        existing = {r.target_code: r._mapping for r in conn.execute(sa.select(t).where(t.c.plan_id == plan_id))}
        inserts = []
        for row in targets:
            current = existing.get(row["target_code"])
            if current is None:
                inserts.append(row)
            elif any(current[c] != row[c] for c in row):
                conn.execute(t.update().where(t.c.target_id == current["target_id"]).values(**row))
        if inserts:
            conn.execute(t.insert(), inserts)
    return int(plan_id)


def loaded_plans(engine: Engine) -> dict[str, dict]:
    """The plans in the warehouse by the SHA-256 of the catalogue file they were loaded from.

    Returns:
        ``{catalogue_sha256: {"plan_id", "plan_code", "unit_code", "year"}}``; a catalogue file whose hash
        is here is already loaded as it is (a city close skips parsing it again).
    """
    p = models.plans
    query = sa.select(p.c.catalogue_sha256, p.c.plan_id, p.c.plan_code, p.c.unit_code, p.c.year)
    with engine.connect() as conn:
        return {r.catalogue_sha256: {"plan_id": int(r.plan_id), "plan_code": r.plan_code,
                                     "unit_code": str(r.unit_code), "year": int(r.year)}
                for r in conn.execute(query) if r.catalogue_sha256}
