"""Reporting periods: calendar months written ``YYYY-MM``, and which of them a command may work on.

A month may be closed, ingested or judged only once it has begun (a later month has nothing delivered yet)
and only for a year the catalogue has a plan for: loading also accepts the year before a plan's year (its
baseline: growth targets compare with it), judging does not. The check is pure: today and the plan years
are given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PLAN_IMPORT = "thidua plan import FILE --unit {unit} --year {year} --out {folder}ke-hoach-{year}-{unit}.yaml"


class PeriodError(ValueError):
    """A period that is not a month ``YYYY-MM``, a range that runs backwards, a month not yet begun, or a
    year without a plan."""


FIRST_YEAR = 1900  # no plan, and no month any source reports, comes before it


def check_period(value: str) -> str:
    """Accept ``YYYY-MM`` from 1900 on; return it unchanged."""
    if not PERIOD_RE.match(value or ""):
        raise PeriodError(f"period {value!r} is not a month in the form YYYY-MM (e.g. 2025-08)")
    if int(value[:4]) < FIRST_YEAR:
        raise PeriodError(f"period {value!r}: no plan for the year {value[:4]} (none before {FIRST_YEAR}); "
                          "expected a month such as 2025-08")
    return value


def local_today() -> dt.date:
    """Today in Vietnam (Asia/Ho_Chi_Minh)."""
    return dt.datetime.now(LOCAL_TZ).date()


def previous_month(today: dt.date) -> str:
    """The month that ended most recently before ``today``, as ``YYYY-MM``."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def check_begun(period: str, today: dt.date) -> str:
    """Refuse a month after the current one (Vietnam time): nothing can have been delivered for it."""
    check_period(period)
    if (int(period[:4]), int(period[5:])) > (today.year, today.month):
        raise PeriodError(f"period {period} is a month not yet ended (today is {today:%d/%m/%Y}, Vietnam time): "
                          "there is nothing to close or load for it yet")
    return period


def check_plan_year(period: str, plan_years: Iterable[int], unit: str, *, judging: bool,
                    catalogue: str = "", folder: str = "catalogue/", catalogue_is_folder: bool = False) -> str:
    """Refuse a month of a year with no plan for ``unit`` (``judging``: the plan's own years only; otherwise
    also the year before a plan's, its baseline), naming the years there are and the command that adds one."""
    check_period(period)
    year = int(period[:4])
    years = sorted(set(plan_years))
    allowed = set(years) if judging else set(years) | {y - 1 for y in years}
    if year in allowed:
        return period
    have = (f"it has unit {unit}'s plan for {', '.join(map(str, years))} only" if years
            else f"it has no plan for unit {unit}")
    where = f" ({catalogue})" if catalogue else ""
    baseline = "" if judging or not years else f" (or the baseline year {years[0] - 1})"
    command = PLAN_IMPORT.format(unit=unit, year=year, folder=folder)
    then = "" if catalogue_is_folder else " and point THIDUA_CATALOGUE at it"
    raise PeriodError(f"no plan for {year} in the catalogue{where}: {have}{baseline}; add the {year} plan with "
                      f"`{command}`{then}")


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
