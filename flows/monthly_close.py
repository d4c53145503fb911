"""The monthly close: ingest every source's delivery for a month, then judge every target.

Schedules live in prefect.yaml (Asia/Ho_Chi_Minh). A month M is closed after it ends; re-running a
month is safe: a delivery whose fingerprint is already loaded writes nothing, and an evaluation whose
inputs did not change adds no snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow
from prefect.runtime import flow_run

import expectations
from connectors.errors import RetriableSourceError
from flows import tasks
from flows.artifacts import publish_close_artifacts
from flows.locks import close_lock
from flows.settings import Settings, get_settings

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class SourceOutcome:
    """What happened to one source in one close: loaded / unchanged / replaced / missing / quarantined / failed."""

    source_code: str
    status: str
    rows: int = 0
    load_id: int | None = None
    message: str = ""


def previous_period(now: datetime | None = None) -> str:
    """The month that ended most recently in Vietnam's time zone, as ``YYYY-MM``."""
    now = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)  # pendulum/datetime, aware
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def ingest_delivery(settings: Settings, source_code: str, unit_code: str, period: str,
                    path: Path | None = None) -> SourceOutcome:
    """Read, validate and load one source's delivery; a bad delivery is quarantined, never loaded.

    Args:
        path: an explicit file (``thidua ingest``); otherwise the inbox, or the API for public_service.
    """
    if path is None:
        path = tasks.find_delivery_file(settings.inbox_dir, unit_code, source_code, period)
        if isinstance(path, tasks.Rejection):
            return SourceOutcome(source_code, "failed", message=path.message)
    try:
        if path is not None:
            delivery = tasks.read_delivery_file(source_code, path, unit_code, period)
        elif source_code == "public_service" and settings.public_service_url:
            if not settings.public_service_token:
                return SourceOutcome(source_code, "failed", message="THIDUA_PUBLIC_SERVICE_TOKEN is not set")
            delivery = tasks.fetch_dossiers(settings.public_service_url, settings.public_service_token,
                                            unit_code, period)
        else:
            return SourceOutcome(source_code, "missing", message="no delivery for this month")
    except RetriableSourceError as exc:  # still failing after the task's retries
        return SourceOutcome(source_code, "failed", message=f"source unreachable after retries: {exc}")
    if isinstance(delivery, tasks.Rejection):
        if not delivery.is_bad_input:
            return SourceOutcome(source_code, "failed", message=delivery.message)
        return _quarantine(settings, source_code, unit_code, period, path, None, delivery.message, None)
    report = tasks.validate_delivery(delivery)
    if not report.success:
        return _quarantine(settings, source_code, unit_code, period, path, delivery,
                           expectations.ValidationFailed(report).args[0], report.to_dict())
    result = tasks.load_observations(settings.warehouse_url, delivery, report)
    return SourceOutcome(source_code, result.status, result.rows_loaded, result.load_id)


def _quarantine(settings: Settings, source_code: str, unit_code: str, period: str, path: Path | None,
                delivery, message: str, validation: dict | None) -> SourceOutcome:
    load_id = tasks.quarantine_delivery(
        settings.warehouse_url, settings.data_dir / "quarantine", source_code=source_code,
        unit_code=unit_code, period=period, path=path,
        fingerprint=delivery.fingerprint if delivery else (tasks.sha256_file(path) if path else None),
        file_name=delivery.file_name if delivery else (path.name if path else ""),
        rows_read=delivery.rows_read if delivery else 0, validation=validation, message=message)
    return SourceOutcome(source_code, "quarantined", load_id=load_id, message=message)


@flow(name="monthly-close")
def close_month(period: str | None = None, unit_code: str | None = None) -> dict:
    """Close one month for one unit: every source's delivery, then the attainment of every target.

    Args:
        period: ``YYYY-MM``; default the month that just ended (Asia/Ho_Chi_Minh).
        unit_code: GSO unit code; default the settings' unit.

    Returns:
        ``{"period", "unit_code", "sources": {code: SourceOutcome}, "attainment": DataFrame | None}``;
        attainment is None for a month outside the catalogue's plan year (e.g. the 2024 baseline).
    """
    settings = get_settings()
    # A scheduled run closes the month before its *scheduled* start (a late start must not skip a month).
    period = period or previous_period(flow_run.scheduled_start_time)
    unit = unit_code or settings.unit_code
    with close_lock(unit):
        plan = tasks.prepare_warehouse(settings.warehouse_url, settings.catalogue_path)
        outcomes = {code: ingest_delivery(settings, code, unit, period) for code in tasks.ALL_SOURCES}
        attainment = None
        if int(period[:4]) == plan["year"]:
            attainment = tasks.evaluate_attainment(settings.warehouse_url, plan["plan_id"], plan["year"],
                                                   unit, period)
    result = {"period": period, "unit_code": unit, "sources": outcomes, "attainment": attainment}
    publish_close_artifacts(result)
    return result


@flow(name="ingest-delivery")
def ingest_file(source_code: str, period: str, path: str, unit_code: str | None = None) -> dict:
    """Validate and load one delivered file, then re-judge that month's targets."""
    settings = get_settings()
    unit = unit_code or settings.unit_code
    plan = tasks.prepare_warehouse(settings.warehouse_url, settings.catalogue_path)
    outcome = ingest_delivery(settings, source_code, unit, period, Path(path))
    attainment = None
    if int(period[:4]) == plan["year"]:
        attainment = tasks.evaluate_attainment(settings.warehouse_url, plan["plan_id"], plan["year"],
                                               unit, period)
    return {"period": period, "unit_code": unit, "sources": {source_code: outcome},
            "attainment": attainment}
