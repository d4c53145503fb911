"""Backfill and catch-up: closing months other than the one that just ended.

- `backfill(start, end)`: close every month of a range in order (after a catalogue change, or to build
  a new warehouse). One subflow run per month, so the Prefect UI shows each month's outcome.
- `catch_up()`: scheduled daily in the first days of a month; re-closes the previous month while a
  source has delivered nothing usable yet or a new delivery waits in the inbox, and does nothing once
  every source is in. Late sources are thereby picked up without a human.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows import tasks
from flows.monthly_close import close_month, previous_period
from flows.params import unit_code_text
from flows.periods import periods_between
from flows.settings import get_settings
from warehouse import db as wh_db
from warehouse import load as wh_load


def summarise(result: dict) -> dict:
    """A close's outcome as plain data: period, unit and each source's status."""
    return {"period": result["period"], "unit_code": result["unit_code"],
            "sources": {code: outcome.status for code, outcome in result["sources"].items()}}


@flow(name="backfill")
def backfill(start: str, end: str, unit_code: str | int | None = None) -> list[dict]:
    """Close every month from `start` to `end` (``YYYY-MM``, inclusive), oldest first."""
    unit = unit_code_text(unit_code)
    return [summarise(close_month(period=period, unit_code=unit)) for period in periods_between(start, end)]


@task(name="find_pending_sources", cache_policy=NO_CACHE, timeout_seconds=120)
def find_pending_sources(unit_code: str, period: str) -> dict[str, str]:
    """Sources of (unit, period) that still need a close: ``{source: "missing" | "new delivery"}``."""
    settings = get_settings()
    engine = wh_db.make_engine(settings.warehouse_url)
    try:
        wh_db.upgrade(settings.warehouse_url)
        active = wh_load.read_active_loads(engine, unit_code, period)
    finally:
        engine.dispose()
    loaded = dict(zip(active["source_code"], active["fingerprint"], strict=True))
    pending = {}
    for source in tasks.ALL_SOURCES:
        folder = settings.inbox_dir / unit_code / source / period
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) \
            if folder.is_dir() else []
        # A file whose content is already the delivery in force is not news (same SHA-256).
        if any(tasks.sha256_file(p) != loaded.get(source) for p in files):
            pending[source] = "new delivery"
        elif source not in loaded:
            pending[source] = "missing"
    return pending


@flow(name="catch-up")
def catch_up(period: str | None = None, unit_code: str | int | None = None) -> dict:
    """Re-close the previous month if a source is still missing or a new delivery arrived.

    Returns:
        ``{"period", "unit_code", "pending": {source: reason}, "closed": summary | None}``.
    """
    unit = unit_code_text(unit_code) or get_settings().unit_code
    period = period or previous_period(flow_run.scheduled_start_time)
    pending = find_pending_sources(unit, period)
    if not pending:  # a close would send them itself
        tasks.send_owed_alerts(get_settings())
    closed = summarise(close_month(period=period, unit_code=unit)) if pending else None
    return {"period": period, "unit_code": unit, "pending": pending, "closed": closed}
