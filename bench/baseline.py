"""The baseline: the plain script a competent analyst would write to get the same numbers.

It reuses the project's PURE parsing rules (``connectors.SOURCES[src].read`` / ``.delivery_observations``, the
dossier API client) and the pure ``warehouse.attainment.evaluate_targets`` (re-deriving them would compare
two different parsers), and nothing else of the product: no Prefect, no Great Expectations, no load
bookkeeping (loads, validation results, alerts, lineage tables beyond the observations themselves), no file
moves, no SQLAlchemy. It walks the months oldest first and, per month, writes the observations and the
attainment into two plain tables with the engine's fastest native bulk path: psycopg ``COPY`` on
PostgreSQL, ``sqlite3`` ``executemany`` in one transaction on SQLite.

This module must never import prefect, flows or expectations (tests/integration/test_bench_smoke.py checks).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from connectors import SOURCES
from connectors.observations import OBSERVATION_COLUMNS
from connectors.public_service import PublicServiceClient
from warehouse.attainment import evaluate_targets
from warehouse.catalogue import read_catalogue

OBSERVATIONS = "baseline_observations"
ATTAINMENT = "baseline_attainment"
OBS_TABLE_COLUMNS = ["load_id", "source_code", "load_period", *OBSERVATION_COLUMNS]
ATT_TABLE_COLUMNS = ["target_code", "unit_code", "period", "value", "numerator", "denominator", "bound_low",
                     "bound_high", "comparison", "status", "detail", "outlook_value", "outlook_status",
                     "outlook_method", "outlook_detail", "gap_value", "gap_text", "inputs_json"]
_REAL = {"value", "numerator", "denominator", "bound_low", "bound_high", "outlook_value", "gap_value"}
_INT = {"load_id", "row_number"}
FILE_SOURCES = ("tax", "health", "education", "indicators")
ALL_SOURCES = ("tax", "public_service", "health", "education", "indicators")


def _ddl(table: str, columns: list[str], pg: bool) -> str:
    def kind(col: str) -> str:
        if col in _REAL:
            return "DOUBLE PRECISION" if pg else "REAL"
        if col in _INT:
            return "BIGINT" if pg else "INTEGER"
        return "TEXT"
    return f"CREATE TABLE IF NOT EXISTS {table} (" + ", ".join(f"{c} {kind(c)}" for c in columns) + ")"


def _python_rows(frame: pd.DataFrame, columns: list[str]) -> Iterable[tuple]:
    """Rows as tuples of plain Python values, NaN/NA/NaT as None (what both drivers bind as NULL)."""
    for rec in frame.reindex(columns=columns).itertuples(index=False, name=None):
        yield tuple(None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))
                    else (v.item() if hasattr(v, "item") else v) for v in rec)


class NativeSink:
    """The two plain tables on one engine, written with its native bulk path (no ORM, no SQLAlchemy)."""

    def __init__(self, url: str):
        parsed = sa.engine.make_url(url)
        self.pg = parsed.get_backend_name() == "postgresql"
        if self.pg:
            import psycopg

            # autocommit + explicit transaction blocks: psycopg's `with conn:` would close the connection.
            self.conn = psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                        password=parsed.password, dbname=parsed.database, autocommit=True)
        else:
            self.conn = sqlite3.connect(parsed.database)
        with self._transaction():
            cur = self.conn.cursor()
            cur.execute(_ddl(OBSERVATIONS, OBS_TABLE_COLUMNS, self.pg))
            cur.execute(_ddl(ATTAINMENT, ATT_TABLE_COLUMNS, self.pg))

    def write(self, table: str, columns: list[str], frame: pd.DataFrame) -> int:
        """Append a frame in one transaction: COPY (PostgreSQL) or executemany (SQLite)."""
        if frame.empty:
            return 0
        rows = _python_rows(frame, columns)
        with self._transaction():
            cur = self.conn.cursor()
            if self.pg:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        return len(frame)

    def _transaction(self):
        return self.conn.transaction() if self.pg else self.conn

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def plans_by_unit(plan_paths: Iterable[Path]) -> dict[str, tuple[int, pd.DataFrame]]:
    """{unit_code: (plan year, targets)} from the plan YAMLs (``read_catalogue`` is a pure reader)."""
    plans = {}
    for path in plan_paths:
        catalogue = read_catalogue(path)
        plans[str(catalogue.plan["unit_code"])] = (int(catalogue.plan["year"]), catalogue.targets)
    return plans


def _delivery_file(inbox: Path, unit: str, source: str, period: str) -> Path | None:
    folder = inbox / unit / source / period
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) \
        if folder.is_dir() else []
    return files[0] if files else None


class Baseline:
    """The analyst's backfill: read every delivery, keep the observations, judge the targets, write both.

    Args:
        url: the database (SQLAlchemy-style URL, only parsed for its parts).
        inbox: ``<unit>/<source>/<YYYY-MM>/<file>`` deliveries.
        plans: ``plans_by_unit(...)``.
        api_url, token: the dossier API (used when no public_service file is in the inbox).
    """

    def __init__(self, url: str, inbox: Path, plans: dict, api_url: str | None, token: str | None):
        self.sink = NativeSink(url)
        self.inbox = Path(inbox)
        self.plans = plans
        self.client = PublicServiceClient(api_url, token) if api_url else None
        self.history: dict[str, list[pd.DataFrame]] = {}
        self.next_load_id = 1

    def read_unit_month(self, unit: str, period: str) -> pd.DataFrame:
        """Every source's observations of one unit and month, tagged like active loads."""
        frames = []
        for source in ALL_SOURCES:
            path = _delivery_file(self.inbox, unit, source, period)
            if path is not None:
                spec = SOURCES[source]
                observations = spec.delivery_observations(spec.read(path), unit, period)
            elif source == "public_service" and self.client is not None:
                records, _ = self.client.fetch_month(unit, period)
                observations = SOURCES[source].to_observations(records, unit, period)
            else:
                continue
            observations = observations.assign(load_id=self.next_load_id, source_code=source, load_period=period)
            self.next_load_id += 1
            frames.append(observations)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OBS_TABLE_COLUMNS)

    def judge(self, unit: str, period: str) -> pd.DataFrame | None:
        """The unit's attainment at the end of `period` (None outside its plan year)."""
        if unit not in self.plans or self.plans[unit][0] != int(period[:4]):
            return None
        year = int(period[:4])
        wanted = (f"{year - 1:04d}-", f"{year:04d}-")
        history = pd.concat(self.history.get(unit) or [pd.DataFrame(columns=OBS_TABLE_COLUMNS)], ignore_index=True)
        history = history[history["period"].astype(str).str.startswith(wanted)]
        result = evaluate_targets(self.plans[unit][1], history, unit, period)
        result["inputs_json"] = [json.dumps(i, ensure_ascii=False, sort_keys=True) for i in result["inputs"]]
        return result

    def close_month(self, period: str, units: list[str]) -> int:
        """One month for every unit: read, judge, then write each table once. Returns observations written."""
        month_obs, month_att = [], []
        for unit in units:
            observations = self.read_unit_month(unit, period)
            self.history.setdefault(unit, []).append(observations)
            month_obs.append(observations)
            attainment = self.judge(unit, period)
            if attainment is not None:
                month_att.append(attainment)
        rows = self.sink.write(OBSERVATIONS, OBS_TABLE_COLUMNS, pd.concat(month_obs, ignore_index=True))
        if month_att:
            self.sink.write(ATTAINMENT, ATT_TABLE_COLUMNS, pd.concat(month_att, ignore_index=True))
        return rows

    def backfill(self, periods: list[str], units: list[str]) -> int:
        """Every month of `periods`, oldest first. Returns observations written."""
        return sum(self.close_month(period, units) for period in sorted(periods))

    def close(self) -> None:
        """Close the database connection."""
        self.sink.close()
