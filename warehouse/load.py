"""Loading deliveries: one source's observations for one (unit, period), in one transaction, with lineage.

A delivery is identified by (source_code, unit_code, period) and its content by a fingerprint (SHA-256
of the file, or of the API payload). Loading is idempotent: the active (``loaded``) delivery with the
same fingerprint means nothing to do; another fingerprint replaces it (the old load is kept as
``superseded`` with its observations, for history). Any error rolls the whole transaction back, so the
previous active load stays active; the failure itself is then recorded as a ``failed`` load.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse import models
from warehouse.errors import LoadError

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
OBSERVATION_COLUMNS = ["indicator_code", "unit_code", "period", "member_code", "value", "numerator",
                       "denominator", "text_value", "source_file", "sheet", "row_number", "column_name",
                       "raw_text"]
_FLOAT_COLUMNS = ("value", "numerator", "denominator")
_TEXT_COLUMNS = ("text_value", "source_file", "sheet", "column_name", "raw_text")


@dataclass(frozen=True)
class LoadResult:
    """What load_delivery did.

    Attributes:
        load_id: the active load of the delivery (the new one, or the unchanged existing one).
        status: ``loaded`` (first delivery), ``replaced`` (a new fingerprint superseded the active load)
            or ``unchanged`` (same fingerprint already active: nothing written).
        rows_loaded: observations of the active load.
        replaced_load_id: the load that was superseded (``replaced`` only).
    """

    load_id: int
    status: str
    rows_loaded: int
    replaced_load_id: int | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


def _float(value) -> float | None:
    if _is_missing(value):
        return None
    result = float(value)
    return None if math.isnan(result) else result


def _text(value) -> str | None:
    return None if _is_missing(value) else str(value)


def _int(value) -> int | None:
    if _is_missing(value):
        return None
    return int(value)


def observation_rows(observations: pd.DataFrame, load_id: int, unit_code: str, period: str) -> list[dict]:
    """Observation rows ready for a bulk insert: NaN -> NULL, '' member for unit-level figures.

    Missing ``unit_code``/``period`` cells take the delivery's own.

    Raises:
        LoadError: a required column is missing or a period is not ``YYYY-MM``.
    """
    missing = [c for c in ("indicator_code",) if c not in observations.columns]
    if missing:
        raise LoadError(f"observations lack column(s) {missing}; found {list(observations.columns)}")
    frame = observations.reindex(columns=OBSERVATION_COLUMNS)
    rows = []
    for rec in frame.itertuples(index=False, name=None):
        row = dict(zip(OBSERVATION_COLUMNS, rec, strict=True))
        out = {"load_id": load_id,
               "indicator_code": _text(row["indicator_code"]),
               "unit_code": _text(row["unit_code"]) or unit_code,
               "period": _text(row["period"]) or period,
               "member_code": _text(row["member_code"]) or "",
               "row_number": _int(row["row_number"])}
        for col in _FLOAT_COLUMNS:
            out[col] = _float(row[col])
        for col in _TEXT_COLUMNS:
            out[col] = _text(row[col])
        if not out["indicator_code"]:
            raise LoadError(f"observation without indicator_code (row_number {out['row_number']})")
        if not PERIOD_RE.match(out["period"]):
            raise LoadError(f"observation {out['indicator_code']}: period {out['period']!r} is not YYYY-MM")
        rows.append(out)
    return rows


def _validation_row(load_id: int, validation: dict) -> dict:
    return {"load_id": load_id,
            "suite_name": _text(validation.get("suite_name")),
            "is_success": bool(validation.get("success", False)),
            "evaluated_count": _int(validation.get("evaluated_count")),
            "failed_count": _int(validation.get("failed_count")),
            "result_json": json.dumps(validation, ensure_ascii=False, sort_keys=True, default=_json_default),
            "created_at": _now()}


def _active_load(conn: Connection, source_code: str, unit_code: str, period: str):
    loads = models.loads
    query = (sa.select(loads.c.load_id, loads.c.fingerprint, loads.c.rows_loaded)
             .where(loads.c.source_code == source_code, loads.c.unit_code == unit_code,
                    loads.c.period == period, loads.c.status == "loaded"))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def _check_key(source_code: str, unit_code: str, period: str) -> None:
    if not source_code or not unit_code:
        raise LoadError("a delivery needs a source_code and a unit_code")
    if not PERIOD_RE.match(period or ""):
        raise LoadError(f"{source_code} {unit_code}: period {period!r} is not YYYY-MM")


def _record_failure(engine: Engine, *, source_code, unit_code, period, fingerprint, file_name,
                    flow_run_id, rows_read, started_at, message: str) -> int | None:
    """Best effort: keep a trace of a load that failed (in its own transaction)."""
    try:
        with engine.begin() as conn:
            return conn.execute(models.loads.insert().values(
                source_code=source_code, unit_code=unit_code, period=period, fingerprint=fingerprint or "",
                file_name=file_name, flow_run_id=flow_run_id, rows_read=rows_read, rows_loaded=0,
                status="failed", message=message[:4000], started_at=started_at, finished_at=_now(),
            )).inserted_primary_key[0]
    except sa.exc.SQLAlchemyError:
        return None


def load_delivery(engine: Engine, *, source_code: str, unit_code: str, period: str, fingerprint: str,
                  file_name: str | None, flow_run_id: str | None, rows_read: int | None,
                  observations: pd.DataFrame, validation: dict | None = None) -> LoadResult:
    """Load one delivery's observations in ONE transaction (bulk insert), idempotently.

    Args:
        engine: the warehouse.
        source_code, unit_code, period: the delivery's identity (period ``YYYY-MM``).
        fingerprint: SHA-256 hex of the delivered content.
        file_name: the delivered file's name (or ``api:<period>``).
        flow_run_id: the Prefect flow run that loads it (None outside Prefect).
        rows_read: records the connector read.
        observations: the canonical observations DataFrame (docs/contracts.md).
        validation: the expectation report's summary dict, stored in validation_results.

    Returns:
        LoadResult: ``unchanged`` when the same fingerprint is already active (nothing written),
        ``loaded`` for a first delivery, ``replaced`` when an active load was superseded.

    Raises:
        LoadError: bad observations or a database constraint failed; nothing of the delivery was
            written and the previous active load (if any) stays active. The failure is recorded as a
            ``failed`` load.
    """
    _check_key(source_code, unit_code, period)
    started_at = _now()
    loads = models.loads
    try:
        with engine.begin() as conn:
            active = _active_load(conn, source_code, unit_code, period)
            if active is not None and active.fingerprint == fingerprint:
                return LoadResult(active.load_id, "unchanged", active.rows_loaded or 0, None)
            if active is not None:
                # Free the partial unique index (one `loaded` per key) before inserting the new load.
                conn.execute(loads.update().where(loads.c.load_id == active.load_id)
                             .values(status="superseded"))
            load_id = conn.execute(loads.insert().values(
                source_code=source_code, unit_code=unit_code, period=period, fingerprint=fingerprint,
                file_name=file_name, flow_run_id=flow_run_id, rows_read=rows_read, rows_loaded=0,
                status="loaded", started_at=started_at,
            )).inserted_primary_key[0]
            rows = observation_rows(observations, load_id, unit_code, period)
            if rows:
                conn.execute(models.observations.insert(), rows)
            if validation is not None:
                conn.execute(models.validation_results.insert(), [_validation_row(load_id, validation)])
            finished_at = _now()
            conn.execute(loads.update().where(loads.c.load_id == load_id)
                         .values(rows_loaded=len(rows), finished_at=finished_at))
            if active is not None:
                conn.execute(loads.update().where(loads.c.load_id == active.load_id)
                             .values(superseded_by_load_id=load_id))
            status = "replaced" if active is not None else "loaded"
            return LoadResult(int(load_id), status, len(rows), active.load_id if active is not None else None)
    except (LoadError, sa.exc.IntegrityError, sa.exc.DataError, ValueError, TypeError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        message = f"{source_code} {unit_code} {period}: load failed, nothing written: {reason}"
        _record_failure(engine, source_code=source_code, unit_code=unit_code, period=period,
                        fingerprint=fingerprint, file_name=file_name, flow_run_id=flow_run_id,
                        rows_read=rows_read, started_at=started_at, message=message)
        raise LoadError(message) from exc


def record_rejected_delivery(engine: Engine, *, source_code: str, unit_code: str, period: str,
                             fingerprint: str | None, file_name: str | None, flow_run_id: str | None,
                             rows_read: int | None, validation: dict | None, message: str) -> int:
    """Record a delivery that was rejected before loading (status ``quarantined``); no observation.

    The active load of the same (source, unit, period), if any, stays active.

    Returns:
        The load_id of the quarantined load.
    """
    _check_key(source_code, unit_code, period)
    now = _now()
    with engine.begin() as conn:
        load_id = conn.execute(models.loads.insert().values(
            source_code=source_code, unit_code=unit_code, period=period, fingerprint=fingerprint or "",
            file_name=file_name, flow_run_id=flow_run_id, rows_read=rows_read, rows_loaded=0,
            status="quarantined", message=message, started_at=now, finished_at=now,
        )).inserted_primary_key[0]
        if validation is not None:
            conn.execute(models.validation_results.insert(), [_validation_row(load_id, validation)])
    return int(load_id)


def read_active_loads(engine: Engine, unit_code: str, period: str) -> pd.DataFrame:
    """The deliveries in force for a (unit, period): one row per source with a `loaded` load.

    Columns: ``source_code, load_id, fingerprint, file_name, rows_loaded, finished_at``. A source with no
    row here has delivered nothing usable for that month yet (missing, or only quarantined deliveries).
    """
    loads = models.loads
    query = (sa.select(loads.c.source_code, loads.c.load_id, loads.c.fingerprint, loads.c.file_name,
                       loads.c.rows_loaded, loads.c.finished_at)
             .where(loads.c.unit_code == unit_code, loads.c.period == period, loads.c.status == "loaded")
             .order_by(loads.c.source_code))
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(loads.name):
            return pd.DataFrame(columns=["source_code", "load_id", "fingerprint", "file_name", "rows_loaded",
                                         "finished_at"])
        return pd.DataFrame(conn.execute(query).mappings().all(),
                            columns=["source_code", "load_id", "fingerprint", "file_name", "rows_loaded",
                                     "finished_at"])
