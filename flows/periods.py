"""Reporting periods: calendar months written ``YYYY-MM``."""

from __future__ import annotations

import re

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period that is not a month ``YYYY-MM``, or a range that runs backwards."""


def check_period(value: str) -> str:
    """Accept ``YYYY-MM`` only; return it unchanged."""
    if not PERIOD_RE.match(value or ""):
        raise PeriodError(f"period {value!r} is not a month in the form YYYY-MM (e.g. 2025-08)")
    return value


def periods_between(start: str, end: str) -> list[str]:
    """Every month from `start` to `end` inclusive, in order."""
    y, m = map(int, check_period(start).split("-"))
    y2, m2 = map(int, check_period(end).split("-"))
    if (y, m) > (y2, m2):
        raise PeriodError(f"the range starts at {start}, after its end {end}")
    out = []
    while (y, m) <= (y2, m2):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out
