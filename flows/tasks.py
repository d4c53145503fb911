"""Prefect tasks: thin wrappers over the pure packages, one retryable unit each.

Retry policy lives here, once: only `RetriableSourceError` (HTTP 429/5xx, timeouts, resets) is retried;
a user's bad file or a failed expectation is final for that delivery and is quarantined instead.
Tasks pass DataFrames in memory, so Prefect's input-hash cache is off (NO_CACHE): re-running a month is
made safe by the warehouse's fingerprint check, not by a cache keyed on the period.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

import connectors
import expectations
from connectors.errors import BadInputError, FatalSourceError, RetriableSourceError
from warehouse import attainment as wh_attainment
from warehouse import catalogue as wh_catalogue
from warehouse import db as wh_db
from warehouse import load as wh_load

FILE_SOURCES = ("tax", "health", "education", "indicators")
ALL_SOURCES = ("tax", "public_service", "health", "education", "indicators")


@dataclass
class Delivery:
    """One source's delivery for one (unit, period): what was read and where from."""

    source_code: str
    unit_code: str
    period: str
    file_name: str
    fingerprint: str
    rows_read: int
    observations: pd.DataFrame
    path: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rejection:
    """A delivery that cannot be used, for a reason a person must fix (bad file, wrong token…).

    Tasks return it instead of raising, so the run's log shows one sentence, not a traceback, and the
    flow decides: a bad file (`is_bad_input`) is quarantined, anything else marks the source failed.
    """

    message: str
    is_bad_input: bool
    path: Path | None = None


def _reject(exc: FatalSourceError, path: Path | None = None) -> Rejection:
    return Rejection(str(exc), isinstance(exc, BadInputError), path)


def _retry_only_retriable(task, task_run, state) -> bool:
    """Prefect retry_condition_fn: retry a task only when it raised RetriableSourceError."""
    try:
        state.result()
    except RetriableSourceError:
        return True
    except Exception:
        return False
    return False


def current_flow_run_id() -> str | None:
    """The id of the Prefect flow run we are in (None outside a run)."""
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@task(name="prepare_warehouse", cache_policy=NO_CACHE)
def prepare_warehouse(warehouse_url: str, catalogue_path: Path) -> dict:
    """Migrate the warehouse to head and load the target catalogue.

    Returns:
        ``{"plan_id", "year", "unit_code", "plan_code"}`` of the catalogue's plan.
    """
    wh_db.upgrade(warehouse_url)
    engine = wh_db.make_engine(warehouse_url)
    try:
        catalogue = wh_catalogue.read_catalogue(catalogue_path)
        plan_id = wh_catalogue.load_catalogue(engine, catalogue)
        return {"plan_id": plan_id, "year": int(catalogue.plan["year"]),
                "unit_code": str(catalogue.plan["unit_code"]), "plan_code": catalogue.plan["plan_code"]}
    finally:
        engine.dispose()


@task(name="find_delivery_file", cache_policy=NO_CACHE)
def find_delivery_file(inbox_dir: Path, unit_code: str, source_code: str,
                       period: str) -> Path | Rejection | None:
    """The delivered file in ``<inbox>/<unit>/<source>/<period>/``, None when nothing arrived, or a
    Rejection when the folder is ambiguous (two files) or the file's name is refused by
    `connectors.inbox.check_delivery_path` (``..``, control or odd characters)."""
    from connectors.inbox import check_delivery_path

    folder = inbox_dir / unit_code / source_code / period
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        return None
    if len(files) > 1:
        names = ", ".join(p.name for p in files)
        return Rejection(f"{source_code} {period}: {len(files)} files in {folder} ({names}); expected "
                         f"exactly one delivery per source and month: move the outdated one out of the inbox",
                         is_bad_input=False)
    try:
        check_delivery_path(inbox_dir, files[0].relative_to(inbox_dir).as_posix())
    except BadInputError as exc:
        return Rejection(str(exc), is_bad_input=True, path=files[0])
    return files[0]


@task(name="read_delivery_file", cache_policy=NO_CACHE)
def read_delivery_file(source_code: str, path: Path, unit_code: str, period: str) -> Delivery | Rejection:
    """Parse one delivered file into observations (with lineage), or reject it with one sentence."""
    spec = connectors.SOURCES[source_code]
    try:
        records = spec.read(path)
        observations = spec.to_observations(records, unit_code, period)
    except FatalSourceError as exc:
        return _reject(exc, path)
    return Delivery(source_code, unit_code, period, path.name, sha256_file(path), len(records),
                    observations, path=path)


@task(name="fetch_dossiers", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=_retry_only_retriable, timeout_seconds=600)
def fetch_dossiers(base_url: str, token: str, unit_code: str, period: str) -> Delivery | Rejection:
    """Pull the month's dossiers from the one-stop API (received or finished in the month).

    Retriable errors (429, 5xx, timeouts) raise, so Prefect retries this task; fatal ones (401/403,
    a malformed answer) are returned as a Rejection.
    """
    from connectors.public_service import PublicServiceClient

    client = PublicServiceClient(base_url, token)
    try:
        records, fingerprint = client.fetch_month(unit_code, period)
        observations = connectors.SOURCES["public_service"].to_observations(records, unit_code, period)
    except FatalSourceError as exc:
        return _reject(exc)
    return Delivery("public_service", unit_code, period, f"api:{period}", fingerprint, len(records),
                    observations)


@task(name="validate_delivery", cache_policy=NO_CACHE)
def validate_delivery(delivery: Delivery) -> expectations.ValidationReport:
    """Run the source's expectation suite over the delivery (one GX run per delivery)."""
    checks = expectations.build_suite(delivery.source_code, delivery.unit_code, delivery.period)
    name = f"{delivery.source_code}:{delivery.unit_code}:{delivery.period}"
    return expectations.validate(delivery.observations, checks, name)


@task(name="load_observations", cache_policy=NO_CACHE)
def load_observations(warehouse_url: str, delivery: Delivery, report) -> wh_load.LoadResult:
    """Load a validated delivery in one transaction (same fingerprint: nothing written)."""
    engine = wh_db.make_engine(warehouse_url)
    try:
        return wh_load.load_delivery(
            engine, source_code=delivery.source_code, unit_code=delivery.unit_code,
            period=delivery.period, fingerprint=delivery.fingerprint, file_name=delivery.file_name,
            flow_run_id=current_flow_run_id(), rows_read=delivery.rows_read,
            observations=delivery.observations, validation=report.to_dict() if report else None)
    finally:
        engine.dispose()


@task(name="quarantine_delivery", cache_policy=NO_CACHE)
def quarantine_delivery(warehouse_url: str, quarantine_dir: Path, *, source_code: str, unit_code: str,
                        period: str, path: Path | None, fingerprint: str | None, file_name: str,
                        rows_read: int, validation: dict | None, message: str) -> int:
    """Record a rejected delivery (nothing of it loaded) and keep a copy of its file in quarantine."""
    if path is not None and path.exists():
        target = quarantine_dir / unit_code / source_code / period
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / path.name)
    engine = wh_db.make_engine(warehouse_url)
    try:
        return wh_load.record_rejected_delivery(
            engine, source_code=source_code, unit_code=unit_code, period=period,
            fingerprint=fingerprint or "", file_name=file_name, flow_run_id=current_flow_run_id(),
            rows_read=rows_read, validation=validation, message=message)
    finally:
        engine.dispose()


@task(name="evaluate_attainment", cache_policy=NO_CACHE)
def evaluate_attainment(warehouse_url: str, plan_id: int, plan_year: int, unit_code: str,
                        period: str) -> pd.DataFrame:
    """Judge every target of the plan at the end of `period` and keep a snapshot when inputs changed."""
    engine = wh_db.make_engine(warehouse_url)
    try:
        targets = wh_attainment.read_targets(engine, plan_year, unit_code)
        year = int(period[:4])
        observations = wh_attainment.read_observations(engine, unit_code, [year - 1, year])
        evaluations = wh_attainment.evaluate_targets(targets, observations, unit_code, period)
        wh_attainment.save_evaluations(engine, plan_id, evaluations, current_flow_run_id())
        return wh_attainment.read_attainment(engine, unit_code, period)
    finally:
        engine.dispose()
