"""The monthly close: ingest every source's delivery for a month, then judge every target.

Schedules live in prefect.yaml (Asia/Ho_Chi_Minh). A month M is closed after it ends; re-running a
month is safe: a delivery whose fingerprint is already loaded writes nothing, and an evaluation whose
inputs did not change adds no snapshot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from sqlalchemy.exc import SQLAlchemyError

import expectations
from connectors.errors import RetriableSourceError
from flows import holds, tasks
from flows.artifacts import publish_close_artifacts
from flows.locks import close_lock
from flows.params import unit_code_text
from flows.presentation import SOURCE_STATUS_VI
from flows.settings import Settings, get_settings

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class SourceOutcome:
    """What happened to one source in one close.

    ``status``: ``loaded`` / ``replaced`` (a delivery was loaded), ``unchanged`` (the delivery in force
    is the same, or nothing new arrived and a load is in force), ``quarantined`` (the delivery, or the
    latest one when nothing new arrived, failed validation), ``missing`` (nothing ever arrived),
    ``failed`` (the source could not be read or reached).
    """

    source_code: str
    status: str
    rows: int = 0
    load_id: int | None = None
    message: str = ""
    report_path: Path | None = None
    alert: dict | None = None


def previous_period(now: datetime | None = None) -> str:
    """The month that ended most recently in Vietnam's time zone, as ``YYYY-MM``."""
    now = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)  # pendulum/datetime, aware
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def ingest_delivery(settings: Settings, source_code: str, unit_code: str, period: str,
                    path: Path | None = None, today: date | None = None,
                    confirm_drop: bool = False) -> SourceOutcome:
    """Read, validate and load one source's delivery; a bad delivery is quarantined, never loaded.

    An inbox file moves to ``processed/`` once loaded and to ``quarantine/`` when rejected; a file given
    explicitly (``thidua ingest --file``) is copied there instead. Problems are alerted once; a good load
    announces the fix once.

    Args:
        path: an explicit file (``thidua ingest``); otherwise the inbox, or the API for public_service.
        today: the local date for date rules and lateness (default: today in Asia/Ho_Chi_Minh).
        confirm_drop: load a public_service delivery that would take its month's dossiers to none or down by
            more than THIDUA_DOSSIER_DROP_SHARE (otherwise held as suspicious: quarantined and alerted; see
            flows/holds.py).
    """
    today = today or tasks.local_today()
    from_inbox = path is None
    if path is None:
        path = tasks.find_delivery_file(settings.inbox_dir, unit_code, source_code, period)
        if isinstance(path, tasks.Rejection):
            if path.is_bad_input and path.path is not None:  # a refused name: quarantined and alerted too
                return _reject_unreadable(settings, source_code, unit_code, period, path.path, path.message, True,
                                          path.problems)
            return SourceOutcome(source_code, "failed", message=path.message)
    current = tasks.read_current_load(settings.warehouse_url, source_code, unit_code, period)
    try:
        if path is not None:
            delivery = tasks.read_delivery_file(source_code, path, unit_code, period, settings.max_file_bytes)
        elif source_code == "public_service" and settings.public_service_url:
            if not settings.public_service_token:
                return SourceOutcome(source_code, "failed", message="THIDUA_PUBLIC_SERVICE_TOKEN is not set")
            delivery = tasks.fetch_dossiers(settings.public_service_url, settings.public_service_token,
                                            unit_code, period, timeout_s=settings.http_timeout_s,
                                            backoff_s=settings.http_backoff_s,
                                            max_answer_mb=settings.http_max_answer_mb)
        else:
            return _nothing_new(source_code, current)
    except RetriableSourceError as exc:  # still failing after the task's retries
        message = f"source unreachable after retries: {exc}"
        alert = tasks.raise_alert(
            settings, kind="source_unreachable", source_code=source_code, unit_code=unit_code, period=period,
            summary_vi=f"Không kết nối được nguồn {source_code} kỳ {period} sau nhiều lần thử: {exc}",
            summary_en=f"Source {source_code} {period} cannot be reached after retries: {exc}")
        return SourceOutcome(source_code, "failed", message=message, alert=alert)
    if isinstance(delivery, tasks.Rejection):
        if not delivery.is_bad_input:
            alert = None
            if path is None:  # the API refused us (401/403/4xx) or broke its contract: someone must act
                summary_vi, summary_en = tasks.api_rejection_summary(source_code, period, delivery)
                alert = tasks.raise_alert(
                    settings, kind="source_unreachable", source_code=source_code, unit_code=unit_code,
                    period=period, summary_vi=summary_vi, summary_en=summary_en)
            return SourceOutcome(source_code, "failed", message=delivery.message, alert=alert)
        return _reject_unreadable(settings, source_code, unit_code, period, path, delivery.message, from_inbox,
                                  delivery.problems)
    if current and current["status"] == "loaded" and current["fingerprint"] == delivery.fingerprint:
        # The delivery in force, delivered again: nothing to check or write.
        if from_inbox and path is not None:
            tasks.file_delivery(path, settings.processed_dir / unit_code / source_code / period, True)
        tasks.resolve_alerts(settings, source_code=source_code, unit_code=unit_code, period=period,
                             load_id=current["load_id"])
        return SourceOutcome(source_code, "unchanged", current["rows_loaded"] or 0, current["load_id"])
    history = tasks.read_history(settings.warehouse_url, source_code, unit_code, period)
    report = tasks.validate_delivery(delivery, history, today)
    validation = report.to_dict()
    if not report.success:
        report_path = tasks.write_validation_report(settings.warehouse_url, settings.reports_dir, delivery,
                                                    validation, "quarantined")
        message = expectations.ValidationFailed(report).args[0]
        load_id = tasks.quarantine_delivery(
            settings.warehouse_url, settings.quarantine_dir, source_code=source_code, unit_code=unit_code,
            period=period, path=path, fingerprint=delivery.fingerprint, file_name=delivery.file_name,
            rows_read=delivery.rows_read, validation=validation, message=message, move=from_inbox)
        kept = (f"; lần nạp {current['load_id']} vẫn được dùng" if current and current["status"] == "loaded"
                else "")
        kept_en = (f"; load {current['load_id']} stays in force" if current and current["status"] == "loaded"
                   else "")
        alert = tasks.raise_alert(
            settings, kind="validation_failed", source_code=source_code, unit_code=unit_code, period=period,
            detail_key=delivery.fingerprint[:16], validation=validation, report_path=report_path,
            load_id=load_id,
            summary_vi=(f"Tệp {delivery.file_name} vi phạm {len(report.errors)} quy tắc bắt buộc; "
                        f"đã cách ly, không nạp dữ liệu nào{kept}."),
            summary_en=(f"File {delivery.file_name} breaks {len(report.errors)} blocking rule(s); quarantined, "
                        f"nothing loaded{kept_en}."))
        return SourceOutcome(source_code, "quarantined", load_id=load_id, message=message,
                             report_path=report_path, alert=alert)
    drop = (holds.check_dossier_drop(settings.warehouse_url, delivery, settings.dossier_drop_share)
            if source_code == holds.SOURCE else None)
    if drop is not None and not confirm_drop:  # a month that would lose its dossiers waits for a person
        held = holds.hold_delivery(settings, delivery, drop, validation, move=from_inbox)
        return SourceOutcome(source_code, "quarantined", load_id=held["load_id"], message=held["message"],
                             report_path=held["report_path"], alert=held["alert"])
    result = tasks.load_observations(settings.warehouse_url, delivery, report)
    report_path = tasks.write_validation_report(settings.warehouse_url, settings.reports_dir, delivery,
                                                validation, result.status)
    if path is not None:
        tasks.file_delivery(path, settings.processed_dir / unit_code / source_code / period, from_inbox)
    resolved = tasks.resolve_alerts(settings, source_code=source_code, unit_code=unit_code, period=period,
                                    load_id=result.load_id)
    message = f"{len(report.warnings)} warning(s): see {report_path}" if report.warnings else ""
    if drop is not None:
        message = (f"drop confirmed ({holds.CONFIRM_FLAG}): {drop.before} -> {drop.after} {drop.basis}"
                   + (f"; {message}" if message else ""))
    return SourceOutcome(source_code, result.status, result.rows_loaded, result.load_id, message=message,
                         report_path=report_path, alert=resolved)


def _nothing_new(source_code: str, current: dict | None) -> SourceOutcome:
    """No file in the inbox (and no API): say what is in force instead of calling the month missing."""
    if current is None:
        return SourceOutcome(source_code, "missing", message="no delivery for this month")
    if current["status"] == "loaded":
        return SourceOutcome(source_code, "unchanged", current["rows_loaded"] or 0, current["load_id"],
                             message=f"no new delivery; load {current['load_id']} "
                                     f"({current['file_name']}) stays in force")
    return SourceOutcome(source_code, current["status"], load_id=current["load_id"],
                         message=f"no new delivery; the latest one ({current['file_name']}, load "
                                 f"{current['load_id']}) was {current['status']}: waiting for a corrected file")


def _reject_unreadable(settings: Settings, source_code: str, unit_code: str, period: str, path: Path,
                       message: str, from_inbox: bool, problems: tuple = ()) -> SourceOutcome:
    """A file that does not fit its layout: quarantined like a failed validation, and alerted once, with
    every problem the connector found (each pointing at its cell) in the stored result and the alert."""
    fingerprint = tasks.sha256_file(path)
    validation = tasks.rejection_validation(source_code, unit_code, period,
                                            tasks.Rejection(message, True, path, problems=tuple(problems)))
    load_id = tasks.quarantine_delivery(
        settings.warehouse_url, settings.quarantine_dir, source_code=source_code, unit_code=unit_code,
        period=period, path=path, fingerprint=fingerprint, file_name=path.name, rows_read=0,
        validation=validation, message=message, move=from_inbox)
    alert = tasks.raise_alert(
        settings, kind="validation_failed", source_code=source_code, unit_code=unit_code, period=period,
        detail_key=fingerprint[:16], validation=validation, load_id=load_id,
        summary_vi=f"Tệp {path.name} không đọc được theo mẫu biểu; đã cách ly, không nạp dữ liệu nào.",
        summary_en=f"File {path.name} does not fit its layout; quarantined, nothing loaded.")
    return SourceOutcome(source_code, "quarantined", load_id=load_id, message=message, alert=alert)


def alert_failed_run(flow, flow_run, state) -> None:
    """Prefect ``on_failure`` hook: hand a failed flow run to the alerting (once per flow, unit, month).

    When the warehouse itself is what failed (so the alert cannot be recorded and de-duplicated), the
    message is sent anyway: better twice than never.
    """
    try:
        settings = get_settings()
        params = dict(getattr(flow_run, "parameters", None) or {})
        period = params.get("period") or previous_period(getattr(flow_run, "expected_start_time", None))
        unit = params.get("unit_code") or settings.unit_code
        reason = ((getattr(state, "message", None) or "").splitlines() or [""])[0][:300] if state else ""
        summary_vi = f"Lượt chạy '{flow_run.name}' của luồng {flow.name} (kỳ {period}) kết thúc lỗi: {reason}"
        summary_en = f"Run '{flow_run.name}' of flow {flow.name} ({period}) failed: {reason}"
        try:
            tasks.raise_alert.fn(settings, kind="flow_failed", source_code=flow.name, unit_code=unit,
                                 period=period, summary_vi=summary_vi, summary_en=summary_en)
        except SQLAlchemyError:
            from alerts import AlertMessage, send_all

            send_all(AlertMessage("flow_failed", "open", unit, unit, flow.name, flow.name, period, summary_vi,
                                  summary_en), settings.alert_channels())
    except Exception as exc:  # the hook must never hide the run's own failure
        logging.getLogger(__name__).warning("could not alert about failed run: %s", type(exc).__name__)


def _alert_late_sources(settings: Settings, unit: str, period: str, outcomes: dict, today: date) -> None:
    for late in tasks.find_late_sources(settings.warehouse_url, unit, period, today):
        code = late["source_code"]
        if code in outcomes and outcomes[code].status in ("loaded", "replaced", "unchanged"):
            continue
        due = late["due_date"].strftime("%d/%m/%Y")
        outcomes_alert = tasks.raise_alert(
            settings, kind="source_late", source_code=code, unit_code=unit, period=period,
            summary_vi=f"{late['name_vi']}: chưa có số liệu kỳ {period}, hạn giao nộp ngày {due}.",
            summary_en=f"{code}: no data for {period} yet; it was due by {late['due_date'].isoformat()}.")
        if code in outcomes and outcomes[code].alert is None:
            outcomes[code].alert = outcomes_alert


def log_source_progress(unit: str, period: str, outcome: SourceOutcome) -> None:
    """One INFO line per source as the close goes (the run's logs in the UI show where it is)."""
    rows = f" ({outcome.rows} dòng / rows)" if outcome.status in ("loaded", "replaced", "unchanged") else ""
    get_run_logger().info("%s/%s [%s] %s: %s / %s%s", period[5:], period[:4], unit, outcome.source_code,
                          SOURCE_STATUS_VI.get(outcome.status, outcome.status), outcome.status, rows)


@flow(name="monthly-close", on_failure=[alert_failed_run])
def close_month(period: str | None = None, unit_code: str | int | None = None, confirm_drop: bool = False) -> dict:
    """Close one month for one unit: every source's delivery, then the attainment of every target.

    Args:
        period: ``YYYY-MM``; default the month that just ended (Asia/Ho_Chi_Minh).
        unit_code: GSO unit code; default the settings' unit.
        confirm_drop: load a dossier pull held as a suspicious drop (see `ingest_delivery`).

    Returns:
        ``{"period", "unit_code", "sources": {code: SourceOutcome}, "attainment": DataFrame | None}``;
        attainment is None for a month outside the catalogue's plan year (e.g. the 2024 baseline).
    """
    settings = get_settings()
    # A scheduled run closes the month before its *scheduled* start (a late start must not skip a month).
    period = period or previous_period(flow_run.scheduled_start_time)
    unit = unit_code_text(unit_code) or settings.unit_code
    unit = settings.check_unit(unit, "unit_code")  # digits and a unit of the catalogue, before any path
    with close_lock(unit):
        plan = tasks.prepare_warehouse(settings.warehouse_url, settings.plan_file(unit, int(period[:4])))
        tasks.send_owed_alerts(settings)  # what earlier runs could not deliver goes out first
        today = tasks.local_today()
        outcomes = {}
        for code in tasks.ALL_SOURCES:
            outcomes[code] = ingest_delivery(settings, code, unit, period, today=today, confirm_drop=confirm_drop)
            log_source_progress(unit, period, outcomes[code])
        _alert_late_sources(settings, unit, period, outcomes, today)
        attainment = None
        if int(period[:4]) == plan["year"]:
            attainment = tasks.evaluate_attainment(settings.warehouse_url, plan["plan_id"], plan["year"],
                                                   unit, period)
    tasks.resolve_alerts(settings, source_code="monthly-close", unit_code=unit, period=period, load_id=None,
                         kinds=("flow_failed",))
    result = {"period": period, "unit_code": unit, "sources": outcomes, "attainment": attainment}
    publish_close_artifacts(result)
    return result


@flow(name="ingest-delivery", on_failure=[alert_failed_run])
def ingest_file(source_code: str, period: str, path: str, unit_code: str | int | None = None,
                confirm_drop: bool = False) -> dict:
    """Validate and load one delivered file, then re-judge that month's targets.

    ``confirm_drop`` loads a dossier export held as a suspicious drop (see `ingest_delivery`)."""
    settings = get_settings()
    unit = unit_code_text(unit_code) or settings.unit_code
    unit = settings.check_unit(unit, "unit_code")  # digits and a unit of the catalogue, before any path
    plan = tasks.prepare_warehouse(settings.warehouse_url, settings.plan_file(unit, int(period[:4])))
    tasks.send_owed_alerts(settings)  # what earlier runs could not deliver goes out first
    outcome = ingest_delivery(settings, source_code, unit, period, Path(path), confirm_drop=confirm_drop)
    attainment = None
    if int(period[:4]) == plan["year"]:
        attainment = tasks.evaluate_attainment(settings.warehouse_url, plan["plan_id"], plan["year"],
                                               unit, period)
    return {"period": period, "unit_code": unit, "sources": {source_code: outcome},
            "attainment": attainment}
