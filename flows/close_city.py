"""The batched city close: every ward of a city (or a chunk of a nation) in a few tasks per month.

`monthly-close` closes ONE ward with ~8 Prefect tasks per source, each with its own engine and its own
Great Expectations run: ~3 s per ward-month, which does not scale to 114 wards (let alone 3,321). The
city close pays those fixed costs per (source, period, chunk of wards) instead, and gives the same
observations, lineage, validation results and attainment as `monthly-close` would for each ward.

Design (numbers: a Prefect task costs milliseconds, a GX run tens of milliseconds, a database round trip
a millisecond or so; a ward-month of one source is a few dozen observations):

- Wards: those with a plan in the catalogue (``THIDUA_CATALOGUE`` may be a directory of
  ``ke-hoach-<year>-<unit>.yaml`` files, or one plan file), or the ``unit_codes`` given. The plans are
  loaded once per flow run; a file whose SHA-256 is already a plan's ``catalogue_sha256`` is not parsed
  again. A run given ``unit_codes`` only looks at those wards' plan files (by the file-name contract),
  so each chunk of a nation fan-out does not hash 3,321 files.
- Chunks: wards are processed ``THIDUA_CHUNK_UNITS`` (default 200) at a time, so memory is bounded by a
  chunk, not by the city; a backfill handles one period at a time and keeps only statuses.
- Per (period, chunk, source), TWO tasks:
  1. ``read_city_source`` finds and reads every ward's file (the connectors' readers: python-calamine
     for values; openpyxl only where a layout needs formatting), or for ``public_service`` without a file
     fetches the dossier API with a small thread pool (``THIDUA_API_THREADS``, default 8, for a remote API
     whose answers take time; against the loopback stand-in 2, 3, 4 and 8 threads all took 21-25 s for 114
     wards' month, as the client's parsing holds the GIL; the client retries each call itself,
     so a ward that is still unreachable is reported alone and the others go on);
  2. ``ingest_city_source`` reads the loads in force and the history (the months the history rules
     compare with: same month last year, previous and next month) for the whole chunk in one query each,
     validates every new delivery in ONE GX run (`expectations.validate_batch`: the deliveries are
     stacked, each failure is attributed back to its ward), loads the good ones in one batch
     (`_load_batch`), quarantines the bad ones alone (file moved, `quarantined` load with its validation
     result, alert once: per problem, as in monthly-close), writes the HTML validation report of every
     validated delivery (as monthly-close does; rendering is cheap next to reading), moves the files and
     resolves alerts only for wards that have alert rows (one query tells which).
- Per (period, chunk), ONE task ``judge_city_chunk``: lateness alerts (two queries for the chunk), then
  the targets and the observations of every ward of the chunk in one query each, `evaluate_targets` per
  ward in pandas, and the snapshots of the whole chunk saved in one transaction.
- So a month costs ``1 + 11 × chunks`` task runs whatever the number of wards; one engine per task.
- Rerun: same fingerprint as the load in force → ``unchanged``, nothing validated or written (the
  per-ward rules of monthly-close, including the "inbox empty" rows of the README's rerun table).
- Lock: monthly-close holds one warehouse lock per ward (flows/locks.py); taking 3,321 of them would be
  a fixed cost per ward again. A city close takes ONE lock named after its set of wards (the ward's own
  ``close-<unit>`` when it is one ward, else ``close-units-<hash of the sorted codes>``), so two runs of
  the same chunk never interleave. Overlapping but different sets (a ward's monthly-close during a city
  close of its city) are still safe: every load is one transaction guarded by the fingerprint and the
  one-``loaded``-per-key unique index, so they cannot half-load or duplicate a delivery.
- Flows are synchronous (one flow run per period or range; no subflow per ward). ``close-units-batched``
  fans a month out over workers: one ``close-city`` deployment run per chunk of wards.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

import expectations
from connectors.errors import RetriableSourceError
from expectations.batch import BatchDelivery, validate_batch
from expectations.suites import carried_periods
from flows import holds, personal, tasks
from flows.fan_out import run_deployment_wait
from flows.locks import close_lock
from flows.monthly_close import SourceOutcome, _nothing_new, _reject_unreadable, alert_failed_run, previous_period
from flows.params import unit_codes_text
from flows.periods import periods_between
from flows.presentation import SOURCE_STATUS_VI, count_vi
from flows.settings import Settings, get_settings
from warehouse import alerts as wh_alerts
from warehouse import attainment as wh_attainment
from warehouse import catalogue as wh_catalogue
from warehouse import db as wh_db
from warehouse import load as wh_load

CHUNK_TIMEOUT = 3600        # one task handles a whole chunk of wards
GOOD = ("loaded", "replaced", "unchanged")
CLOSE_CITY_DEPLOYMENT = "close-city/close-city"


@dataclass(frozen=True)
class ApiFailure:
    """A ward the dossier API gave nothing usable for: unreachable after the client's retries, refused
    (401/403, a malformed answer), or not configured. Alerted when ``summary_vi`` is set."""

    message: str
    summary_vi: str | None = None
    summary_en: str | None = None


# --------------------------------------------------------------------------- catalogue and chunks


def plan_files(catalogue_path: Path, unit_codes: list[str] | None = None) -> list[Path]:
    """The plan YAMLs of a catalogue: the file itself, or a directory's ``ke-hoach-*.yaml``.

    With `unit_codes`, only those wards' files (``ke-hoach-<year>-<unit>.yaml``) when every ward has one;
    otherwise every file (a plan named differently is still found).
    """
    if catalogue_path.is_file():
        return [catalogue_path]
    files = sorted(catalogue_path.glob("ke-hoach-*.yaml"))
    if unit_codes:
        wanted = {str(u) for u in unit_codes}
        mine = [p for p in files if p.stem.rsplit("-", 1)[-1] in wanted]
        if {p.stem.rsplit("-", 1)[-1] for p in mine} == wanted:
            return mine
    return files


@task(name="prepare_city", cache_policy=NO_CACHE, timeout_seconds=CHUNK_TIMEOUT)
def prepare_city(warehouse_url: str, catalogue_path: Path, unit_codes: list[str] | None = None) -> dict:
    """Migrate the warehouse and load every plan of the catalogue (unchanged files are not parsed).

    Returns:
        ``{"plans": {unit_code: {year: plan_id}}, "units": [unit codes with a plan, sorted]}``.
    """
    wh_db.upgrade(warehouse_url)
    engine = wh_db.make_engine(warehouse_url)
    try:
        known = wh_catalogue.loaded_plans(engine)
        plans: dict[str, dict[int, int]] = {}
        for path in plan_files(Path(catalogue_path), unit_codes):
            plan = known.get(hashlib.sha256(path.read_bytes()).hexdigest())
            if plan is None:
                catalogue = wh_catalogue.read_catalogue(path)
                plan = {"plan_id": wh_catalogue.load_catalogue(engine, catalogue),
                        "unit_code": str(catalogue.plan["unit_code"]), "year": int(catalogue.plan["year"])}
            plans.setdefault(plan["unit_code"], {})[plan["year"]] = plan["plan_id"]
    finally:
        engine.dispose()
    return {"plans": plans, "units": sorted(plans)}


def chunked(unit_codes: list[str], size: int) -> list[list[str]]:
    """The wards in chunks of at most `size`, in order."""
    return [unit_codes[i:i + size] for i in range(0, len(unit_codes), max(1, size))]


def lock_key(unit_codes: list[str]) -> str:
    """The close lock's key of a set of wards: the ward itself, or ``units-<hash of the sorted codes>``."""
    codes = sorted({str(u) for u in unit_codes})
    if len(codes) == 1:
        return codes[0]
    return "units-" + hashlib.sha256(",".join(codes).encode()).hexdigest()[:16]


def _history_periods(period: str, source_code: str | None = None) -> list[str]:
    """The months the history rules compare a delivery with: −12, −1 and +1 months, and the other months
    a delivery of the source carries figures for (the indicators workbook: months 1..M−1 and last
    December), whose figures in force a carried figure is compared with."""
    year, month = int(period[:4]), int(period[5:7])
    out = []
    for shift in (-12, -1, 1):
        n = year * 12 + month - 1 + shift
        out.append(f"{n // 12:04d}-{n % 12 + 1:02d}")
    if source_code is not None:
        out += [p for p in carried_periods(source_code, period) if p not in out]
    return out


# --------------------------------------------------------------------------- reading


def _read_one(settings: Settings, source_code: str, unit_code: str, period: str):
    """One ward's delivery from the inbox: Delivery, Rejection, or None (nothing there)."""
    path = tasks.find_delivery_file.fn(settings.inbox_dir, unit_code, source_code, period)
    if path is None or isinstance(path, tasks.Rejection):
        return path
    return tasks.read_delivery_file.fn(source_code, path, unit_code, period, settings.max_file_bytes)


def _fetch_one(settings: Settings, unit_code: str, period: str):
    """One ward's month from the API: a Delivery, or an ApiFailure (as monthly-close words and alerts it)."""
    source = "public_service"
    try:
        got = tasks.fetch_dossiers.fn(settings.public_service_url, settings.public_service_token, unit_code,
                                      period, timeout_s=settings.http_timeout_s,
                                      backoff_s=settings.http_backoff_s,
                                      max_answer_mb=settings.http_max_answer_mb)
    except RetriableSourceError as exc:
        return ApiFailure(f"source unreachable after retries: {exc}",
                          f"Không kết nối được nguồn {source} kỳ {period} sau nhiều lần thử: {exc}",
                          f"Source {source} {period} cannot be reached after retries: {exc}")
    if isinstance(got, tasks.Rejection):  # the API refused us or broke its contract: someone must act
        return ApiFailure(got.message, *tasks.api_rejection_summary(source, period, got))
    return got


@task(name="read_city_source", cache_policy=NO_CACHE, timeout_seconds=CHUNK_TIMEOUT)
def read_city_source(settings: Settings, source_code: str, period: str, unit_codes: list[str]) -> dict:
    """Every ward's delivery of (source, period): ``{unit: Delivery | Rejection | ApiFailure | None}``.

    public_service: a file in the inbox wins; otherwise the API (when configured), fetched concurrently.
    """
    found = {unit: _read_one(settings, source_code, unit, period) for unit in unit_codes}
    if source_code == "public_service" and settings.public_service_url:
        wanted = [u for u, d in found.items() if d is None]
        if wanted and not settings.public_service_token:
            return {**found, **{u: ApiFailure("THIDUA_PUBLIC_SERVICE_TOKEN is not set") for u in wanted}}
        with ThreadPoolExecutor(max_workers=min(settings.api_threads, max(1, len(wanted)))) as pool:
            fetched = pool.map(lambda u: _fetch_one(settings, u, period), wanted)
            found.update(zip(wanted, fetched, strict=True))
    return found


# --------------------------------------------------------------------------- validating and loading


def _load_batch(engine, deliveries: list[tasks.Delivery], reports: dict) -> dict[str, object]:
    """Load the validated deliveries of one (source, period, chunk) in ONE transaction (bulk insert).

    Returns:
        ``{unit: LoadResult | LoadError}``. When the batch is refused, the deliveries the warehouse names
        as culprits fail alone and the others are loaded again in a second batch; when it cannot say whose
        row it refused, each delivery is loaded on its own so only the bad one fails.
    """
    run_id = tasks.current_flow_run_id()
    batch = [wh_load.DeliveryToLoad(
        source_code=d.source_code, unit_code=d.unit_code, period=d.period, fingerprint=d.fingerprint,
        file_name=d.file_name, flow_run_id=run_id, rows_read=d.rows_read, observations=d.observations,
        validation=reports[d.unit_code].to_dict(), dossiers=tasks.delivery_dossiers(d)) for d in deliveries]
    out: dict[str, object] = {}
    while batch:
        try:
            results = wh_load.load_deliveries(engine, batch)
            out.update(zip((d.unit_code for d in batch), results, strict=True))
            return out
        except wh_load.BatchLoadError as exc:
            culprits = {key[1] for key in exc.culprit_keys}
            if not culprits:
                for d in batch:
                    try:
                        out[d.unit_code] = wh_load.load_deliveries(engine, [d])[0]
                    except wh_load.LoadError as one:
                        out[d.unit_code] = one
                return out
            out.update({d.unit_code: exc for d in batch if d.unit_code in culprits})
            batch = [d for d in batch if d.unit_code not in culprits]
    return out


def _write_report(settings: Settings, delivery: tasks.Delivery, validation: dict, outcome: str,
                  unit_name: str, source_name: str) -> Path:
    path = tasks.validation_report_path(settings.reports_dir, delivery)
    wh_db.ensure_private_dir(path.parent)  # owner-only, as monthly-close: reports show rows of the file
    path.write_text(expectations.render_report_html(validation, unit_name=unit_name, source_name=source_name,
                                                    file_name=delivery.file_name, outcome=outcome),
                    encoding="utf-8")
    return wh_db.make_private(path)


def _quarantine(settings: Settings, delivery: tasks.Delivery, report, current: dict | None,
                report_path: Path) -> SourceOutcome:
    """A delivery that broke an error-level rule: recorded, its file quarantined, alerted once."""
    validation = report.to_dict()
    message = expectations.ValidationFailed(report).args[0]
    source, unit, period = delivery.source_code, delivery.unit_code, delivery.period
    load_id = tasks.quarantine_delivery.fn(
        settings.warehouse_url, settings.quarantine_dir, source_code=source, unit_code=unit, period=period,
        path=delivery.path, fingerprint=delivery.fingerprint, file_name=delivery.file_name,
        rows_read=delivery.rows_read, validation=validation, message=message, move=True)
    kept = current is not None and current["status"] == "loaded"
    alert = tasks.raise_alert.fn(
        settings, kind="validation_failed", source_code=source, unit_code=unit, period=period,
        detail_key=delivery.fingerprint[:16], validation=validation, report_path=report_path, load_id=load_id,
        summary_vi=(f"Tệp {delivery.file_name} vi phạm {len(report.errors)} quy tắc bắt buộc; "
                    f"đã cách ly, không nạp dữ liệu nào"
                    + (f"; lần nạp {current['load_id']} vẫn được dùng." if kept else ".")),
        summary_en=(f"File {delivery.file_name} breaks {len(report.errors)} blocking rule(s); quarantined, "
                    f"nothing loaded" + (f"; load {current['load_id']} stays in force." if kept else ".")))
    return SourceOutcome(source, "quarantined", load_id=load_id, message=message, report_path=report_path,
                         alert=alert)


def _not_read(settings: Settings, source_code: str, unit: str, period: str, item) -> SourceOutcome:
    """A ward whose delivery could not be read: the API failed, a bad file, or an ambiguous folder."""
    if isinstance(item, ApiFailure):
        alert = None
        if item.summary_vi:
            alert = tasks.raise_alert.fn(settings, kind="source_unreachable", source_code=source_code,
                                         unit_code=unit, period=period, summary_vi=item.summary_vi,
                                         summary_en=item.summary_en)
        return SourceOutcome(source_code, "failed", message=item.message, alert=alert)
    if item.is_bad_input and item.path is not None:
        return _reject_unreadable(settings, source_code, unit, period, item.path, item.message, True, item.problems)
    return SourceOutcome(source_code, "failed", message=item.message)


@task(name="ingest_city_source", cache_policy=NO_CACHE, timeout_seconds=CHUNK_TIMEOUT)
def ingest_city_source(settings: Settings, source_code: str, period: str, read: dict,
                       today: date) -> dict[str, SourceOutcome]:
    """Validate (one GX run), load (one batch) and file every ward's delivery of (source, period).

    Returns:
        ``{unit: SourceOutcome}`` with monthly-close's statuses and messages.
    """
    units = list(read)
    engine = wh_db.make_engine(settings.warehouse_url)
    try:
        current = wh_alerts.latest_loads(engine, source_code, units, period)
        with_alerts = wh_alerts.units_with_alerts(engine, source_code, units, period)
        outcomes: dict[str, SourceOutcome] = {}
        fresh: list[tasks.Delivery] = []
        for unit, item in read.items():
            if item is None:
                outcomes[unit] = _nothing_new(source_code, current.get(unit))
            elif not isinstance(item, tasks.Delivery):
                outcomes[unit] = _not_read(settings, source_code, unit, period, item)
            elif (cur := current.get(unit)) and cur["status"] == "loaded" and cur["fingerprint"] == item.fingerprint:
                # The delivery in force, delivered again: nothing to check or write.
                if item.path is not None:
                    tasks.file_delivery.fn(item.path, settings.processed_dir / unit / source_code / period, True)
                outcomes[unit] = SourceOutcome(source_code, "unchanged", cur["rows_loaded"] or 0, cur["load_id"])
            else:
                fresh.append(item)
        if fresh:
            outcomes.update(_ingest_fresh(settings, engine, source_code, period, fresh, current, today))
        for unit in sorted(with_alerts):
            outcome = outcomes[unit]
            if outcome.status in GOOD and outcome.load_id is not None and read[unit] is not None:
                resolved = tasks.resolve_alerts.fn(settings, source_code=source_code, unit_code=unit,
                                                   period=period, load_id=outcome.load_id)
                outcome.alert = outcome.alert or resolved
        return outcomes
    finally:
        engine.dispose()


def _ingest_fresh(settings: Settings, engine, source_code: str, period: str, fresh: list[tasks.Delivery],
                  current: dict, today: date) -> dict[str, SourceOutcome]:
    units = [d.unit_code for d in fresh]
    history = wh_attainment.read_observations(engine, units, [], periods=_history_periods(period, source_code))
    history = history[history["source_code"] == source_code]
    by_unit = dict(iter(history.groupby("unit_code", sort=False)))
    reports = validate_batch(source_code, period, [
        BatchDelivery(d.unit_code, d.unit_code, d.observations, d.records,
                      by_unit.get(d.unit_code, history.iloc[0:0]).reset_index(drop=True), d.declared_period)
        for d in fresh], today=today)
    # the reports leave validation masked, as in monthly-close (stored, rendered and sent from here on)
    reports = {unit: personal.mask_report(report, source_code) for unit, report in reports.items()}
    names = wh_alerts.unit_names(engine, units)
    source_name = wh_alerts.names(engine, units[0], source_code)[1]
    good = [d for d in fresh if reports[d.unit_code].success]
    # a ward's month that would lose its dossiers is held as suspicious, as in monthly-close (flows/holds.py)
    holding = (holds.held_in_batch(engine, good, period, settings.dossier_drop_share)
               if source_code == holds.SOURCE else {})
    good = [d for d in good if d.unit_code not in holding]
    loaded = _load_batch(engine, good, reports)
    outcomes: dict[str, SourceOutcome] = {}
    for d in fresh:
        report, unit = reports[d.unit_code], d.unit_code
        validation = report.to_dict()
        result = loaded.get(unit)
        if unit in holding:
            held = holds.hold_delivery(settings, d, holding[unit], validation, move=True, inline=True)
            outcomes[unit] = SourceOutcome(source_code, "quarantined", load_id=held["load_id"],
                                           message=held["message"], report_path=held["report_path"],
                                           alert=held["alert"])
        elif result is None:
            path = _write_report(settings, d, validation, "quarantined", names[unit], source_name)
            outcomes[unit] = _quarantine(settings, d, report, current.get(unit), path)
        elif isinstance(result, wh_load.LoadError):
            outcomes[unit] = SourceOutcome(source_code, "failed", message=str(result))
        else:
            path = _write_report(settings, d, validation, result.status, names[unit], source_name)
            if d.path is not None:
                tasks.file_delivery.fn(d.path, settings.processed_dir / unit / source_code / period, True)
            message = f"{len(report.warnings)} warning(s): see {path}" if report.warnings else ""
            outcomes[unit] = SourceOutcome(source_code, result.status, result.rows_loaded, result.load_id,
                                           message=message, report_path=path)
    return outcomes


# --------------------------------------------------------------------------- judging


@task(name="judge_city_chunk", cache_policy=NO_CACHE, timeout_seconds=CHUNK_TIMEOUT)
def judge_city_chunk(settings: Settings, plans: dict, period: str, statuses: dict[str, dict[str, str]],
                     today: date) -> dict[str, dict[str, str]]:
    """Alert late sources, then judge every target of every ward of the chunk at the end of `period`.

    Args:
        plans: ``{unit: {year: plan_id}}``; a ward without a plan for the period's year is not judged.
        statuses: ``{unit: {source: status}}`` of this close (a source that just loaded is not late).

    Returns:
        ``{unit: {target_code: status}}`` of the judged wards.
    """
    units = list(statuses)
    year = int(period[:4])
    engine = wh_db.make_engine(settings.warehouse_url)
    try:
        for unit, late in wh_alerts.late_sources_many(engine, units, period, today).items():
            for source in late:
                if statuses[unit].get(source["source_code"]) in GOOD:
                    continue
                due = source["due_date"]
                tasks.raise_alert.fn(
                    settings, kind="source_late", source_code=source["source_code"], unit_code=unit,
                    period=period,
                    summary_vi=f"{source['name_vi']}: chưa có số liệu kỳ {period}, hạn giao nộp ngày "
                               f"{due.strftime('%d/%m/%Y')}.",
                    summary_en=f"{source['source_code']}: no data for {period} yet; it was due by "
                               f"{due.isoformat()}.")
        judged = [u for u in units if year in plans.get(u, {})]
        if not judged:
            return {}
        targets = wh_attainment.read_targets(engine, year, judged)
        observations = wh_attainment.read_observations(engine, judged, [year - 1, year])
        targets_by_plan = dict(iter(targets.groupby("plan_id", sort=False)))
        obs_by_unit = dict(iter(observations.groupby("unit_code", sort=False)))
        run_id = tasks.current_flow_run_id()
        out, batches = {}, []
        for unit in judged:
            plan_id = plans[unit][year]
            evaluations = wh_attainment.evaluate_targets(
                targets_by_plan.get(plan_id, targets.iloc[0:0]).reset_index(drop=True),
                obs_by_unit.get(unit, observations.iloc[0:0]).reset_index(drop=True), unit, period)
            batches.append((plan_id, evaluations))
            out[unit] = dict(zip(evaluations["target_code"], evaluations["status"], strict=True))
        # One transaction for the chunk's snapshots, not one per ward.
        wh_attainment.save_evaluations_many(engine, batches, run_id)
        return out
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- flows


def _close_period(settings: Settings, city: dict, period: str, unit_codes: list[str], today: date) -> dict:
    """Close one period for the wards, chunk by chunk (nothing of a chunk is kept but its statuses)."""
    sources: dict[str, dict[str, SourceOutcome]] = {}
    attainment: dict[str, dict[str, str]] = {}
    chunks = chunked(unit_codes, settings.chunk_units)
    for number, chunk in enumerate(chunks, start=1):
        outcomes: dict[str, dict[str, SourceOutcome]] = {u: {} for u in chunk}
        for source in tasks.ALL_SOURCES:
            read = read_city_source(settings, source, period, chunk)
            for unit, outcome in ingest_city_source(settings, source, period, read, today).items():
                outcomes[unit][source] = outcome
            del read
            _log_progress(period, number, len(chunks), source, [o[source] for o in outcomes.values() if source in o])
        statuses = {u: {s: o.status for s, o in by_source.items()} for u, by_source in outcomes.items()}
        attainment.update(judge_city_chunk(settings, city["plans"], period, statuses, today))
        sources.update(outcomes)
    return {"period": period, "unit_codes": list(unit_codes), "sources": sources, "attainment": attainment}


def _log_progress(period: str, number: int, chunks: int, source: str, outcomes: list[SourceOutcome]) -> None:
    """One log line per (chunk, source), so a long city or nation close shows where it is."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    states = ", ".join(f"{count_vi(n)} {SOURCE_STATUS_VI.get(s, s)}" for s, n in sorted(counts.items()))
    get_run_logger().info("%s/%s, nhóm %d/%d, %s: %s phường; %s", period[5:], period[:4], number, chunks, source,
                          count_vi(len(outcomes)), states)


def _units(city: dict, unit_codes: list[str] | None) -> list[str]:
    return [str(u) for u in unit_codes] if unit_codes else list(city["units"])


@flow(name="close-city", on_failure=[alert_failed_run])
def close_city_month(period: str | None = None, unit_codes: list[str | int] | None = None) -> dict:
    """Close one month for every ward of the catalogue (or `unit_codes`), batched per source and chunk.

    Returns:
        ``{"period", "unit_codes", "sources": {unit: {source: SourceOutcome}},
        "attainment": {unit: {target_code: status}}}`` (wards without a plan for the year are not judged).
    """
    settings = get_settings()
    unit_codes = unit_codes_text(unit_codes)
    unit_codes = settings.check_units(unit_codes, "unit_codes") if unit_codes else unit_codes
    period = period or previous_period(flow_run.scheduled_start_time)
    city = prepare_city(settings.warehouse_url, settings.catalogue_path, unit_codes)
    tasks.send_owed_alerts(settings)  # what earlier runs could not deliver goes out first
    units = _units(city, unit_codes)
    with close_lock(lock_key(units)):
        result = _close_period(settings, city, period, units, tasks.local_today())
    tasks.resolve_alerts(settings, source_code="close-city", unit_code=settings.unit_code, period=period,
                         load_id=None, kinds=("flow_failed",))
    return result


def summarise_city(result: dict) -> dict:
    """A city close as plain data: period, per ward each source's status, and what went wrong where.

    Returns:
        ``{"period", "sources": {unit: {source: status}}, "problems": [{"unit_code", "source_code",
        "status", "message"}]}`` (problems: the failed and quarantined sources).
    """
    sources = result["sources"]
    return {"period": result["period"],
            "sources": {u: {s: o.status for s, o in by_source.items()} for u, by_source in sources.items()},
            "problems": [{"unit_code": u, "source_code": s, "status": o.status, "message": o.message}
                         for u, by_source in sources.items() for s, o in by_source.items()
                         if o.status in ("failed", "quarantined")]}


@flow(name="backfill-city")
def backfill_city(start: str, end: str, unit_codes: list[str | int] | None = None) -> list[dict]:
    """Close every month from `start` to `end` (``YYYY-MM``, inclusive) for the wards, oldest first.

    One flow run for the range, one period at a time: only each month's statuses are kept, so memory does
    not grow with the number of months. Each month is logged when done, with its duration and the
    process's peak memory so far (the operator sees whether a long backfill keeps its footprint).

    Returns:
        one `summarise_city` dict per month, plus ``finished_at`` (UTC, ISO) and ``peak_memory_mib``.
    """
    settings = get_settings()
    unit_codes = unit_codes_text(unit_codes)
    unit_codes = settings.check_units(unit_codes, "unit_codes") if unit_codes else unit_codes
    city = prepare_city(settings.warehouse_url, settings.catalogue_path, unit_codes)
    tasks.send_owed_alerts(settings)  # what earlier runs could not deliver goes out first
    units = _units(city, unit_codes)
    out = []
    with close_lock(lock_key(units)):
        for period in periods_between(start, end):
            started = time.monotonic()
            summary = summarise_city(_close_period(settings, city, period, units, tasks.local_today()))
            summary.update(finished_at=datetime.now(UTC).isoformat(), peak_memory_mib=_peak_memory_mib())
            get_run_logger().info("Đã khóa sổ %s/%s: %s phường, %s giây, bộ nhớ đỉnh %s MiB", period[5:],
                                  period[:4], count_vi(len(units)), count_vi(round(time.monotonic() - started)),
                                  count_vi(round(summary["peak_memory_mib"])))
            out.append(summary)
    return out


def _peak_memory_mib() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@flow(name="close-units-batched")
def close_units_batched(unit_codes: list[str | int] | None = None, period: str | None = None,
                        chunk_units: int | None = None, deployment: str = CLOSE_CITY_DEPLOYMENT,
                        timeout_seconds: float = 3600) -> dict:
    """Fan a month out over the workers: one `close-city` deployment run per chunk of wards.

    The catalogue is loaded here once, so each chunk's run finds its plans unchanged.

    Returns:
        ``{"period", "runs": [{"unit_codes": [...], "state": final state name}]}``.
    """
    settings = get_settings()
    unit_codes = unit_codes_text(unit_codes)
    unit_codes = settings.check_units(unit_codes, "unit_codes") if unit_codes else unit_codes
    period = period or previous_period(flow_run.scheduled_start_time)
    city = prepare_city(settings.warehouse_url, settings.catalogue_path, unit_codes)
    chunks = chunked(_units(city, unit_codes), chunk_units or settings.chunk_units)
    from prefect.deployments import run_deployment

    runs = [run_deployment(deployment, parameters={"period": period, "unit_codes": chunk}, timeout=0,
                           as_subflow=True) for chunk in chunks]
    return {"period": period,
            "runs": [{"unit_codes": chunk, "state": run_deployment_wait(run.id, timeout_seconds)}
                     for chunk, run in zip(chunks, runs, strict=True)]}
