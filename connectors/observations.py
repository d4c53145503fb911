"""The observation frame every connector hands to the warehouse (docs/contracts.md "Observations")."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

OBSERVATION_COLUMNS = [
    "indicator_code", "unit_code", "period", "member_code", "value", "numerator", "denominator",
    "text_value", "source_file", "sheet", "row_number", "column_name", "raw_text", "column_letter",
]

_FLOATS = ("value", "numerator", "denominator")


def ratio_percent(numerator: float | None, denominator: float | None) -> float:
    """numerator / denominator × 100, NaN when either is missing or the denominator is 0 (never 0 or 100)."""
    if numerator is None or denominator is None:
        return math.nan
    if isinstance(numerator, float) and math.isnan(numerator):
        return math.nan
    if isinstance(denominator, float) and math.isnan(denominator):
        return math.nan
    if denominator == 0:
        return math.nan
    return 100.0 * numerator / denominator


def column_letter_of(records: pd.DataFrame, column: str) -> str | None:
    """The spreadsheet letter (`G`) the reader found `column` in (`records.attrs["column_letters"]`), or None
    (no spreadsheet: an API page, a JSON export)."""
    return (records.attrs.get("column_letters") or {}).get(column) or None


def observation(indicator_code: str, unit_code: str, period: str, *, member_code: str = "",
                value: float | None = None, numerator: float | None = None,
                denominator: float | None = None, text_value: str | None = None,
                source_file: str | None = None, sheet: str | None = None, row_number: int | None = None,
                column_name: str | None = None, raw_text: str | None = None,
                column_letter: str | None = None) -> dict:
    """One observation row as a dict with exactly the contract's columns.

    `column_letter` is the spreadsheet column of the cell (`G`), None where the figure has no cell (an API
    page, an aggregate of many dossiers); with `row_number` it names the cell (`G14`)."""
    return {
        "indicator_code": indicator_code, "unit_code": str(unit_code), "period": period,
        "member_code": member_code or "", "value": value, "numerator": numerator,
        "denominator": denominator, "text_value": text_value, "source_file": source_file, "sheet": sheet,
        "row_number": row_number, "column_name": column_name, "raw_text": raw_text,
        "column_letter": column_letter or None,
    }


def observation_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """A DataFrame with exactly OBSERVATION_COLUMNS, floats as float64 (NaN for missing), text as object."""
    frame = pd.DataFrame(list(rows), columns=OBSERVATION_COLUMNS)
    for col in _FLOATS:
        frame[col] = pd.to_numeric(frame[col], errors="raise").astype("float64")
    frame["row_number"] = frame["row_number"].astype("Int64")
    for col in ("indicator_code", "unit_code", "period", "member_code", "text_value", "source_file",
                "sheet", "column_name", "raw_text", "column_letter"):
        frame[col] = frame[col].astype("object")
        frame[col] = frame[col].where(frame[col].notna(), None)
    return frame
