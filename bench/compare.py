"""The equality check that comes before any timing: the pipeline's active observations and latest attainment
snapshots against the baseline's plain tables, as sorted DataFrames on the same columns.

Load ids differ between the two sides by construction, so attainment ``inputs`` are compared as the sorted
list of (source, period) they name; everything else is compared value for value (floats to 1e-12 relative,
both having been through the same kind of database column).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bench.baseline import ATTAINMENT, OBSERVATIONS
from connectors.observations import OBSERVATION_COLUMNS

OBS_KEY = ["unit_code", "period", "indicator_code", "member_code", "source_file", "row_number", "column_name"]
ATT_COLUMNS = ["target_code", "unit_code", "period", "value", "numerator", "denominator", "bound_low",
               "bound_high", "comparison", "status", "detail", "outlook_value", "outlook_status",
               "outlook_method", "outlook_detail", "gap_value", "gap_text", "inputs"]
ATT_KEY = ["unit_code", "period", "target_code"]
_FLOATS = {"value", "numerator", "denominator", "bound_low", "bound_high", "outlook_value", "gap_value"}


class OutputsDiffer(AssertionError):
    """The pipeline and the baseline did not produce the same outputs; the message shows the difference."""


def _sources_and_periods(inputs_json) -> str:
    items = json.loads(inputs_json) if isinstance(inputs_json, str) else (inputs_json or [])
    return json.dumps(sorted({(i.get("source"), i.get("period")) for i in items}))


def _normalise(frame: pd.DataFrame, columns: list[str], key: list[str]) -> pd.DataFrame:
    frame = frame.reindex(columns=columns).copy()
    for col in columns:
        if col in _FLOATS:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        elif col == "row_number":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Float64").astype(float)
        else:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
            frame[col] = frame[col].map(lambda v: None if v is None else str(v))
    return frame.sort_values(key, kind="stable", na_position="first").reset_index(drop=True)


def _query(url: str, sql: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql))
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    finally:
        engine.dispose()


def pipeline_outputs(url: str, units: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The warehouse's active observations and latest attainment snapshot per (unit, period, target)."""
    cols = ", ".join(f"o.{c}" for c in OBSERVATION_COLUMNS)
    obs = _query(url, f"SELECT {cols} FROM observations o JOIN loads l ON l.load_id = o.load_id "
                      "WHERE l.status = 'loaded'")
    att = _query(url, """
        SELECT a.*, a.inputs_json AS inputs FROM attainment_evaluations a
        WHERE a.evaluation_id = (SELECT MAX(b.evaluation_id) FROM attainment_evaluations b
                                 WHERE b.unit_code = a.unit_code AND b.period = a.period
                                   AND b.target_code = a.target_code AND b.plan_id = a.plan_id)""")
    if units is not None:
        obs, att = obs[obs["unit_code"].isin(units)], att[att["unit_code"].isin(units)]
    return obs, att


def baseline_outputs(url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline's two plain tables."""
    obs = _query(url, f"SELECT {', '.join(OBSERVATION_COLUMNS)} FROM {OBSERVATIONS}")
    att = _query(url, f"SELECT *, inputs_json AS inputs FROM {ATTAINMENT}")
    return obs, att


def _diff(name: str, left: pd.DataFrame, right: pd.DataFrame, key: list[str]) -> str | None:
    if len(left) != len(right):
        merged = left.merge(right, on=key, how="outer", indicator=True, suffixes=("_pipeline", "_baseline"))
        only = merged[merged["_merge"] != "both"][[*key, "_merge"]].head(20)
        return (f"{name}: pipeline has {len(left)} rows, baseline {len(right)}; rows on one side only "
                f"(first 20):\n{only.to_string()}")
    bad = pd.Series(False, index=left.index)
    for col in left.columns:
        a, b = left[col], right[col]
        if col in _FLOATS or col == "row_number":
            same = np.isclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-12, atol=0, equal_nan=True)
        else:
            same = (a == b) | (a.isna() & b.isna())
        bad |= ~pd.Series(same, index=left.index)
    if not bad.any():
        return None
    sample = pd.concat({"pipeline": left[bad].head(10), "baseline": right[bad].head(10)}, axis=1)
    return f"{name}: {int(bad.sum())} of {len(left)} rows differ (first 10):\n{sample.T.to_string()}"


def check_equal(pipeline_url: str, baseline_url: str, units: list[str] | None = None) -> dict:
    """Compare both sides' outputs; return their row counts.

    Raises:
        OutputsDiffer: with the rows that differ (or exist on one side only).
    """
    p_obs, p_att = pipeline_outputs(pipeline_url, units)
    b_obs, b_att = baseline_outputs(baseline_url)
    p_att = p_att.assign(inputs=p_att["inputs"].map(_sources_and_periods))
    b_att = b_att.assign(inputs=b_att["inputs"].map(_sources_and_periods))
    obs_key = [*OBS_KEY, "raw_text", "value"]
    problems = [
        _diff("observations", _normalise(p_obs, OBSERVATION_COLUMNS, obs_key),
              _normalise(b_obs, OBSERVATION_COLUMNS, obs_key), OBS_KEY),
        _diff("attainment", _normalise(p_att, ATT_COLUMNS, ATT_KEY), _normalise(b_att, ATT_COLUMNS, ATT_KEY),
              ATT_KEY),
    ]
    problems = [p for p in problems if p]
    if problems:
        raise OutputsDiffer("the pipeline and the baseline disagree:\n" + "\n\n".join(problems))
    if p_obs.empty:
        raise OutputsDiffer("both sides are empty: nothing was compared")
    return {"observations": len(p_obs), "attainment": len(p_att)}
