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
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse import bulk, models
from warehouse.errors import LoadError

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
OBSERVATION_COLUMNS = ["indicator_code", "unit_code", "period", "member_code", "value", "numerator",
                       "denominator", "text_value", "source_file", "sheet", "row_number", "column_name",
                       "raw_text", "column_letter"]
_FLOAT_COLUMNS = ("value", "numerator", "denominator")
OPTIONAL_COLUMNS = ("column_letter",)
_TEXT_COLUMNS = ("text_value", "source_file", "sheet", "column_name", "raw_text", "column_letter")
DOSSIER_COLUMNS = [c.name for c in models.dossiers.c if c.name != "load_id"]
_KEYS_PER_QUERY = 500  # (source, unit, period) keys per lookup: 1,500 parameters, far below every limit


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


def _text(value) -> str | None:
    return None if _is_missing(value) else str(value)


def _int(value) -> int | None:
    if _is_missing(value):
        return None
    return int(value)


def _text_column(values: pd.Series) -> pd.Series:
    """Text cells as ``str`` (numbers written like ``str(value)``), missing and ``''`` as NA."""
    values = values.astype("str")
    return values.mask(values == "")


def prepare_observations(observations: pd.DataFrame, load_id: int | None, unit_code: str | pd.Series,
                         period: str | pd.Series) -> pd.DataFrame:
    """Observations ready for a bulk insert: ``load_id`` + OBSERVATION_COLUMNS, NaN for NULL, '' member
    for unit-level figures; missing ``unit_code``/``period`` cells take the delivery's own (a scalar, or
    one per row for a stack of deliveries).

    Raises:
        LoadError: a required column is missing, an observation has no ``indicator_code``, a period is not
            ``YYYY-MM``, or a figure is not a number (the first offending row is named).
    """
    missing = [c for c in ("indicator_code",) if c not in observations.columns]
    if missing:
        raise LoadError(f"observations lack column(s) {missing}; found {list(observations.columns)}")
    # A frame without the column letter (written before migration 0007, or by hand) inserts without it: the
    # column stays NULL, and a warehouse still at an older revision takes the rows.
    columns = [c for c in OBSERVATION_COLUMNS if c not in OPTIONAL_COLUMNS or c in observations.columns]
    frame = observations.reindex(columns=OBSERVATION_COLUMNS).reset_index(drop=True)
    out = pd.DataFrame({"load_id": pd.Series(load_id, index=frame.index, dtype="Int64")})
    out["indicator_code"] = _text_column(frame["indicator_code"])
    out["unit_code"] = _text_column(frame["unit_code"]).fillna(unit_code)
    out["period"] = _text_column(frame["period"]).fillna(period)
    out["member_code"] = _text_column(frame["member_code"]).fillna("")
    for col in _FLOAT_COLUMNS:
        try:
            out[col] = pd.to_numeric(frame[col]).astype("float64")
        except (ValueError, TypeError) as exc:
            raise LoadError(f"observations, column {col}: {str(exc).splitlines()[0]}; expected numbers") from None
    for col in _TEXT_COLUMNS:
        if col in columns:
            out[col] = frame[col].astype("str")
    try:
        out["row_number"] = pd.to_numeric(frame["row_number"]).astype("Int64")
    except (ValueError, TypeError) as exc:
        raise LoadError(f"observations, column row_number: {str(exc).splitlines()[0]}; expected whole "
                        "numbers") from None
    # The first bad row decides the message, the indicator checked before the period (as row by row).
    no_indicator = out["indicator_code"].isna().to_numpy()
    # a month's figures share a handful of periods: check each distinct one once
    periods = pd.unique(out["period"].to_numpy(dtype=object))
    bad_periods = [p for p in periods if not isinstance(p, str) or not PERIOD_RE.fullmatch(p)]
    bad_period = out["period"].isin(bad_periods).to_numpy(dtype=bool)
    bad = no_indicator | bad_period
    if bad.any():
        first = int(bad.argmax())
        if no_indicator[first]:
            row_number = out["row_number"].iloc[first]
            raise LoadError(f"observation without indicator_code (row_number "
                            f"{None if pd.isna(row_number) else int(row_number)})")
        raise LoadError(f"observation {out['indicator_code'].iloc[first]}: period "
                        f"{out['period'].iloc[first]!r} is not YYYY-MM")
    return out[["load_id", *columns]]


def prepare_dossiers(dossiers: pd.DataFrame, load_id: int | None, unit_code: str | pd.Series,
                     period: str | pd.Series) -> pd.DataFrame:
    """Dossier facts ready for a bulk insert: ``load_id`` + DOSSIER_COLUMNS (missing unit/period cells take
    the delivery's own: a scalar, or one per row).

    Raises:
        LoadError: no ``dossier_code`` column, a dossier without a code, or a column the table lacks.
    """
    unknown = [c for c in dossiers.columns if c not in DOSSIER_COLUMNS]
    if "dossier_code" not in dossiers.columns or unknown:
        raise LoadError(f"dossiers need the column dossier_code and only the columns {DOSSIER_COLUMNS}; found "
                        f"{list(dossiers.columns)}")
    frame = dossiers.reindex(columns=DOSSIER_COLUMNS).reset_index(drop=True)
    codes = _text_column(frame["dossier_code"])
    if codes.isna().any():
        raise LoadError(f"dossier without dossier_code (position {int(codes.isna().to_numpy().argmax()) + 1})")
    frame["dossier_code"] = codes
    frame["unit_code"] = _text_column(frame["unit_code"]).fillna(unit_code)
    frame["period"] = _text_column(frame["period"]).fillna(period)
    frame.insert(0, "load_id", pd.Series(load_id, index=frame.index, dtype="Int64"))
    return frame


def _validation_row(load_id: int, validation: dict) -> dict:
    return {"load_id": load_id,
            "suite_name": _text(validation.get("suite_name")),
            "is_success": bool(validation.get("success", False)),
            "evaluated_count": _int(validation.get("evaluated_count")),
            "failed_count": _int(validation.get("failed_count")),
            "result_json": json.dumps(validation, ensure_ascii=False, sort_keys=True, default=_json_default),
            "created_at": _now()}


def _check_key(source_code: str, unit_code: str, period: str) -> None:
    if not source_code or not unit_code:
        raise LoadError("a delivery needs a source_code and a unit_code")
    if not PERIOD_RE.match(period or ""):
        raise LoadError(f"{source_code} {unit_code}: period {period!r} is not YYYY-MM")


def _active_loads(conn: Connection, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], sa.Row]:
    """The active load of each (source, unit, period) key that has one; on PostgreSQL the rows are locked
    (FOR UPDATE) until the transaction ends, so a concurrent load of the same key waits for this one."""
    loads = models.loads
    found: dict[tuple[str, str, str], sa.Row] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start:start + _KEYS_PER_QUERY]
        query = (sa.select(loads.c.load_id, loads.c.fingerprint, loads.c.rows_loaded, loads.c.source_code,
                           loads.c.unit_code, loads.c.period)
                 .where(loads.c.status == "loaded",
                        sa.tuple_(loads.c.source_code, loads.c.unit_code, loads.c.period).in_(chunk)))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        for row in conn.execute(query):
            found[(row.source_code, row.unit_code, row.period)] = row
    return found


def _failure_row(delivery: DeliveryToLoad, started_at: dt.datetime, message: str) -> dict:
    return dict(source_code=delivery.source_code, unit_code=delivery.unit_code, period=delivery.period,
                fingerprint=delivery.fingerprint or "", file_name=delivery.file_name,
                flow_run_id=delivery.flow_run_id, rows_read=delivery.rows_read, rows_loaded=0, status="failed",
                message=message[:4000], started_at=started_at, finished_at=_now())


def _record_failures(engine: Engine, rows: list[dict]) -> None:
    """Best effort: keep a trace of the loads that failed (in their own transaction)."""
    if not rows:
        return
    try:
        with engine.begin() as conn:
            conn.execute(models.loads.insert(), rows)
    except sa.exc.SQLAlchemyError:
        pass


@dataclass(frozen=True)
class DeliveryToLoad:
    """One validated delivery to load: its identity, lineage and data.

    Attributes:
        source_code, unit_code, period: the delivery's identity (period ``YYYY-MM``).
        fingerprint: SHA-256 hex of the delivered content.
        file_name: the delivered file's name (or ``api:<period>``).
        flow_run_id: the Prefect flow run that loads it (None outside Prefect).
        rows_read: records the connector read.
        observations: the canonical observations DataFrame (docs/contracts.md).
        validation: the expectation report's summary dict, stored in validation_results.
        dossiers: public_service only: the dossier facts (``connectors.public_service.dossier_facts``),
            stored in ``dossiers`` with the load.
    """

    source_code: str
    unit_code: str
    period: str
    fingerprint: str
    file_name: str | None
    flow_run_id: str | None
    rows_read: int | None
    observations: pd.DataFrame
    validation: dict | None = None
    dossiers: pd.DataFrame | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source_code, self.unit_code, self.period)

    def describe(self) -> str:
        return " ".join(self.key)


class BatchLoadError(LoadError):
    """A batch of deliveries could not be loaded; nothing of the batch was written.

    Attributes:
        culprit_keys: the (source, unit, period) keys of the deliveries that caused the failure (empty
            when the database refused a row without saying whose: then any of them may be at fault).
        batch_keys: the keys of every delivery of the batch.
    """

    def __init__(self, message: str, culprit_keys: list[tuple[str, str, str]],
                 batch_keys: list[tuple[str, str, str]]):
        super().__init__(message)
        self.culprit_keys = culprit_keys
        self.batch_keys = batch_keys


class _DeliveryFailed(Exception):
    """Internal: the data of one delivery of a batch is bad (its position and the LoadError)."""

    def __init__(self, position: int, error: LoadError):
        super().__init__(str(error))
        self.position = position
        self.error = error


def _prepared(position: int, delivery: DeliveryToLoad) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The delivery's observations and dossiers ready for insert_frame (load_id still empty)."""
    try:
        observations = prepare_observations(delivery.observations, None, delivery.unit_code, delivery.period)
        dossiers = (None if delivery.dossiers is None else
                    prepare_dossiers(delivery.dossiers, None, delivery.unit_code, delivery.period))
    except LoadError as exc:
        raise _DeliveryFailed(position, exc) from exc
    return observations, dossiers


def _stacked(frames: list[pd.DataFrame], deliveries: list[DeliveryToLoad],
             owners: list[int]) -> tuple[pd.DataFrame, pd.Series, pd.Series, np.ndarray]:
    """The frames one after the other; each row's delivery unit and period (the defaults of its cells) and
    its owner (the frame's number in `owners`, repeated over the frame's rows)."""
    lengths = [len(f) for f in frames]
    stacked = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    units = pd.Series(np.repeat([d.unit_code for d in deliveries], lengths), index=stacked.index, dtype=object)
    periods = pd.Series(np.repeat([d.period for d in deliveries], lengths), index=stacked.index, dtype=object)
    return stacked, units, periods, np.repeat(owners, lengths)


def _prepared_batch(deliveries: list[DeliveryToLoad], todo: list[int]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Every delivery's observations (and dossiers) of `todo`, stacked and prepared ONCE, with each row's
    position in `todo` as ``load_id`` (a placeholder until the loads exist). Preparing a city's 114 small
    frames one by one cost more than the COPY of all of them. When the stack is refused, the deliveries are
    prepared one by one, so the error names the delivery at fault (`_DeliveryFailed`)."""
    chosen = [deliveries[p] for p in todo]
    try:
        obs, units, periods, owners = _stacked([d.observations for d in chosen], chosen, list(range(len(todo))))
        observations = prepare_observations(obs, None, units, periods)
        observations["load_id"] = owners
        with_dossiers = [k for k, d in enumerate(chosen) if d.dossiers is not None]
        dossiers = None
        if with_dossiers:
            picked = [chosen[k] for k in with_dossiers]
            frame, units, periods, owners = _stacked([d.dossiers for d in picked], picked, with_dossiers)
            dossiers = prepare_dossiers(frame, None, units, periods)
            dossiers["load_id"] = owners
    except LoadError:
        for position in todo:
            _prepared(position, deliveries[position])  # raises _DeliveryFailed for the first bad one
        raise
    return observations, dossiers


def _write_batch(conn: Connection, deliveries: list[DeliveryToLoad], started_at: dt.datetime,
                 unchanged: set[int]) -> list[LoadResult]:
    """The body of load_deliveries' transaction; fills ``unchanged`` with the positions needing no write."""
    loads = models.loads
    active = _active_loads(conn, [d.key for d in deliveries])
    todo: list[int] = []
    results: dict[int, LoadResult] = {}
    for position, delivery in enumerate(deliveries):
        current = active.get(delivery.key)
        if current is not None and current.fingerprint == delivery.fingerprint:
            unchanged.add(position)
            results[position] = LoadResult(current.load_id, "unchanged", current.rows_loaded or 0, None)
        else:
            todo.append(position)
    if not todo:
        return [results[p] for p in range(len(deliveries))]
    observations, dossiers = _prepared_batch(deliveries, todo)
    replaced = {p: active[deliveries[p].key].load_id for p in todo if deliveries[p].key in active}
    if replaced:
        # Free the partial unique index (one `loaded` per key) before inserting the new loads.
        conn.execute(loads.update().where(loads.c.load_id.in_(list(replaced.values()))).values(status="superseded"))
    new_ids = conn.execute(
        loads.insert().returning(loads.c.load_id, sort_by_parameter_order=True),
        [dict(source_code=deliveries[p].source_code, unit_code=deliveries[p].unit_code, period=deliveries[p].period,
              fingerprint=deliveries[p].fingerprint, file_name=deliveries[p].file_name,
              flow_run_id=deliveries[p].flow_run_id, rows_read=deliveries[p].rows_read,
              rows_loaded=len(deliveries[p].observations), status="loaded", started_at=started_at) for p in todo],
    ).scalars().all()
    load_ids = dict(zip(todo, (int(i) for i in new_ids), strict=True))
    ids = np.array([load_ids[p] for p in todo], dtype=np.int64)
    for table, frame in ((models.observations, observations), (models.dossiers, dossiers)):
        if frame is not None and len(frame):
            frame["load_id"] = ids[frame["load_id"].to_numpy(dtype=np.int64)]  # placeholder -> the new load
            bulk.insert_frame(conn, table, frame)
    validations = [_validation_row(load_ids[p], deliveries[p].validation) for p in todo
                   if deliveries[p].validation is not None]
    if validations:
        conn.execute(models.validation_results.insert(), validations)
    conn.execute(loads.update().where(loads.c.load_id.in_(list(load_ids.values()))).values(finished_at=_now()))
    if replaced:
        conn.execute(loads.update().where(loads.c.load_id == sa.bindparam("old_load_id"))
                     .values(superseded_by_load_id=sa.bindparam("new_load_id")),
                     [{"old_load_id": old, "new_load_id": load_ids[p]} for p, old in replaced.items()])
    for p in todo:
        results[p] = LoadResult(load_ids[p], "replaced" if p in replaced else "loaded", len(deliveries[p].observations),
                                replaced.get(p))
    return [results[p] for p in range(len(deliveries))]


def load_deliveries(engine: Engine, deliveries: list[DeliveryToLoad]) -> list[LoadResult]:
    """Load a batch of deliveries in ONE transaction, each idempotently (as ``load_delivery``).

    Per delivery: the same fingerprint already active means ``unchanged`` (nothing written); another
    active fingerprint is superseded (``replaced``); else ``loaded``. The observations of every delivery
    written go in with one bulk insert (``warehouse.bulk.insert_frame``), their dossiers with another,
    their validation summaries with one executemany.

    Args:
        engine: the warehouse.
        deliveries: at most one per (source, unit, period).

    Returns:
        One LoadResult per delivery, in the order given.

    Raises:
        LoadError: a delivery's key is malformed or appears twice (nothing tried, nothing recorded).
        BatchLoadError: bad observations or dossiers, or a database constraint failed: the whole batch
            was rolled back (every previous active load stays active) and each delivery that needed
            writing is recorded as a ``failed`` load; ``culprit_keys`` names the guilty delivery when known.
    """
    keys = [d.key for d in deliveries]
    for delivery in deliveries:
        _check_key(*delivery.key)
    repeated = sorted(" ".join(k) for k, n in Counter(keys).items() if n > 1)
    if repeated:
        raise LoadError(f"a batch holds one delivery per source, unit and period; repeated: {repeated}")
    if not deliveries:
        return []
    started_at = _now()
    unchanged: set[int] = set()
    try:
        with engine.begin() as conn:
            return _write_batch(conn, deliveries, started_at, unchanged)
    except (_DeliveryFailed, LoadError, sa.exc.IntegrityError, sa.exc.DataError, sa.exc.OperationalError,
            ValueError, TypeError) as exc:
        if isinstance(exc, sa.exc.IntegrityError):
            # A rival loader committed first and the partial unique index stopped us: where it loaded
            # these very deliveries, the work is done.
            rival = _committed_results(engine, deliveries)
            if rival is not None:
                return rival
        # OperationalError: the connection was lost (server restart, pg_terminate_backend) or the disk
        # is full; the transaction never committed, so nothing of it is in the warehouse.
        culprit = exc.position if isinstance(exc, _DeliveryFailed) else (0 if len(deliveries) == 1 else None)
        cause = exc.error if isinstance(exc, _DeliveryFailed) else exc
        reason = (str(getattr(cause, "orig", None) or cause).strip().splitlines() or [type(cause).__name__])[0]
        failures = []
        for position, delivery in enumerate(deliveries):
            if position in unchanged:
                continue
            if culprit is None or position == culprit:
                message = f"{delivery.describe()}: load failed, nothing written: {reason}"
            else:
                message = (f"{delivery.describe()}: load failed, nothing written: the batch was rolled back "
                           f"because of {deliveries[culprit].describe()}: {reason}")
            failures.append(_failure_row(delivery, started_at, message))
        _record_failures(engine, failures)
        if culprit is not None:
            head = f"{deliveries[culprit].describe()}: load failed, nothing written: {reason}"
        else:
            head = f"batch of {len(deliveries)} deliveries: load failed, nothing written: {reason}"
        if len(deliveries) > 1:
            head += f" (the batch of {len(deliveries)} deliveries was rolled back: {_summary(keys)})"
        raise BatchLoadError(head, [keys[culprit]] if culprit is not None else [], keys) from cause


def _committed_results(engine: Engine, deliveries: list[DeliveryToLoad]) -> list[LoadResult] | None:
    """``unchanged`` for every delivery when the loads now in force are exactly these deliveries, else None."""
    try:
        with engine.connect() as conn:
            active = _active_loads(conn, [d.key for d in deliveries])
    except sa.exc.SQLAlchemyError:
        return None
    current = [active.get(d.key) for d in deliveries]
    if any(c is None or c.fingerprint != d.fingerprint for c, d in zip(current, deliveries, strict=True)):
        return None
    return [LoadResult(c.load_id, "unchanged", c.rows_loaded or 0, None) for c in current]


def _summary(keys: list[tuple[str, str, str]], shown: int = 5) -> str:
    names = [" ".join(k) for k in keys]
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def load_delivery(engine: Engine, *, source_code: str, unit_code: str, period: str, fingerprint: str,
                  file_name: str | None, flow_run_id: str | None, rows_read: int | None,
                  observations: pd.DataFrame, validation: dict | None = None,
                  dossiers: pd.DataFrame | None = None) -> LoadResult:
    """Load one delivery's observations (and dossiers) in ONE transaction (bulk insert), idempotently.

    A batch of one of ``load_deliveries``; see ``DeliveryToLoad`` for the arguments.

    Returns:
        LoadResult: ``unchanged`` when the same fingerprint is already active (nothing written),
        ``loaded`` for a first delivery, ``replaced`` when an active load was superseded.

    Raises:
        LoadError: bad observations or a database constraint failed; nothing of the delivery was
            written and the previous active load (if any) stays active. The failure is recorded as a
            ``failed`` load.
    """
    delivery = DeliveryToLoad(source_code=source_code, unit_code=unit_code, period=period,
                              fingerprint=fingerprint, file_name=file_name, flow_run_id=flow_run_id,
                              rows_read=rows_read, observations=observations, validation=validation,
                              dossiers=dossiers)
    return load_deliveries(engine, [delivery])[0]


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
