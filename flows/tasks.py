"""Prefect tasks: thin wrappers over the pure packages, one retryable unit each.

Retry policy lives here, once: only `RetriableSourceError` (HTTP 429/5xx, timeouts, resets) is retried;
a user's bad file or a failed expectation is final for that delivery and is quarantined instead.
Tasks pass DataFrames in memory, so Prefect's input-hash cache is off (NO_CACHE): re-running a month is
made safe by the warehouse's fingerprint check, not by a cache keyed on the period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

import connectors
import expectations
from alerts import AlertMessage, send_all
from connectors.errors import BadInputError, FatalSourceError, RetriableSourceError, SchemaDriftError
from flows import personal
from flows.errors import DeliveryFilingError, PathOutsideRootError
from warehouse import alerts as wh_alerts
from warehouse import attainment as wh_attainment
from warehouse import catalogue as wh_catalogue
from warehouse import db as wh_db
from warehouse import load as wh_load

# Every task that does I/O has a timeout: a hung disk, database or mail server fails the task
# (and the alerting says so) instead of holding the ward's close lock forever.
FILE_TIMEOUT = 600   # reading, validating, moving one delivery
DB_TIMEOUT = 600     # one warehouse transaction (a large load included)
ALERT_TIMEOUT = 120  # webhook + SMTP, each with its own shorter socket timeout
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
    records: pd.DataFrame | None = None
    declared_period: str | None = None


#: Problems of a refused file listed in its messages (the connector's own cap); the rest are counted.
MAX_LISTED_PROBLEMS = 50


@dataclass(frozen=True)
class Rejection:
    """A delivery that cannot be used, for a reason a person must fix (bad file, wrong token…).

    Tasks return it instead of raising, so the run's log shows one line, not a traceback, and the
    flow decides: a bad file (`is_bad_input`) is quarantined, anything else marks the source failed.
    ``message`` is one line (English); a refused file also carries every problem the connector found
    (``problems``: plain dicts with ``file, sheet, row, column, letter, found, expected, expected_vi,
    message_vi, message_en``), which `lines` renders as Vietnamese/English line pairs.
    """

    message: str
    is_bad_input: bool
    path: Path | None = None
    # the source answered, but not as its contract says (an API page lacking a field): not a refusal
    is_malformed: bool = False
    problems: tuple = ()

    def lines(self) -> list[tuple[str, str]]:
        """(Vietnamese, English) line pairs: every problem (up to 50, then how many more), else the message."""
        if not self.problems:
            return [(self.message, self.message)]
        listed = self.problems[:MAX_LISTED_PROBLEMS]
        pairs = [(p.get("message_vi") or p.get("message_en") or "", p.get("message_en") or "") for p in listed]
        if len(self.problems) > len(listed):
            rest = len(self.problems) - len(listed)
            pairs.append((f"… và {rest} lỗi khác", f"… and {rest} more problems"))
        return pairs


def _problems(exc: FatalSourceError) -> tuple[dict, ...]:
    """A refusal's problems as plain dicts (`connectors.errors.Problem.to_dict`), every one of them."""
    out = []
    for problem in getattr(exc, "problems", None) or []:
        try:
            out.append(problem.to_dict() if hasattr(problem, "to_dict") else dict(problem))
        except (TypeError, ValueError):
            continue
    return tuple(out)


def _one_line(exc: FatalSourceError, problems: tuple[dict, ...]) -> str:
    """The refusal in one line (logs, the loads table, `thidua run`): its problems joined by '; '."""
    if len(problems) <= 1:
        return " ".join(str(exc).split("\n")).strip()
    listed = [p.get("message_en") or "" for p in problems[:MAX_LISTED_PROBLEMS]]
    rest = len(problems) - len(listed)
    return (f"{len(problems)} problems: " + "; ".join(listed) + (f"; and {rest} more" if rest else ""))


def _reject(exc: FatalSourceError, path: Path | None = None) -> Rejection:
    problems = _problems(exc) if isinstance(exc, BadInputError) else ()
    source = getattr(exc, "source", None)
    # personal data leaves the reader masked: a register's cells and CCCD numbers (flows/personal.py)
    cells = personal.personal_cells(list(problems), source if isinstance(source, str) else None)
    return Rejection(personal.mask_string(_one_line(exc, problems), cells), isinstance(exc, BadInputError), path,
                     is_malformed=isinstance(exc, SchemaDriftError) and not isinstance(exc, BadInputError),
                     problems=tuple(personal.mask(list(problems), source if isinstance(source, str) else None,
                                                  cells)))


def rejection_validation(source_code: str, unit_code: str, period: str, rejection: Rejection) -> dict:
    """The validation result of a file that does not fit its layout (stored with the quarantined load,
    shown in the alert): one failed rule, ``file.fits_layout``, with every problem as a sample that
    points at its cell (Vietnamese and English lines)."""
    samples = []
    for p in rejection.problems[:MAX_LISTED_PROBLEMS]:
        found = p.get("found")
        samples.append({"frame": "file", "source_file": p.get("file"), "sheet": p.get("sheet"),
                        "row_number": p.get("row"), "column_name": p.get("column"), "letter": p.get("letter"),
                        "raw_text": None if found is None else str(found), "expected": p.get("expected"),
                        "expected_vi": p.get("expected_vi") or p.get("expected"),
                        "message_vi": p.get("message_vi"), "message_en": p.get("message_en")})
    not_shown = max(len(rejection.problems) - len(samples), 0)
    failure = {"rule_id": "file.fits_layout", "expectation": "layout", "kwargs": {}, "severity": "error",
               "description_vi": "Tệp đúng mẫu biểu của nguồn", "description_en": "The file fits the source's layout",
               "frame": "records", "unexpected_count": len(rejection.problems) or None, "samples": samples,
               "found": "" if samples else rejection.message,
               "expected": "" if samples else "the layout of connectors/layouts", "not_shown": not_shown}
    return {"suite_name": f"{source_code}:{unit_code}:{period}", "success": False, "source_code": source_code,
            "unit_code": unit_code, "period": period, "evaluated_count": 1, "failed_count": 1,
            "error_count": 1, "warning_count": 0, "failed": [failure]}


def api_rejection_summary(source_code: str, period: str, rejection: Rejection) -> tuple[str, str]:
    """The alert's words (Vietnamese, English) for an API that refused us or answered out of contract."""
    if rejection.is_malformed:
        return (f"Nguồn {source_code} kỳ {period} trả về dữ liệu sai cấu trúc, không nạp: {rejection.message}",
                f"Source {source_code} {period} answered out of its contract; nothing loaded: {rejection.message}")
    return (f"Nguồn {source_code} kỳ {period} từ chối yêu cầu: {rejection.message}",
            f"Source {source_code} {period} refused the request: {rejection.message}")


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


@task(name="prepare_warehouse", cache_policy=NO_CACHE, timeout_seconds=DB_TIMEOUT)
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


@task(name="find_delivery_file", cache_policy=NO_CACHE, timeout_seconds=FILE_TIMEOUT)
def find_delivery_file(inbox_dir: Path, unit_code: str, source_code: str,
                       period: str) -> Path | Rejection | None:
    """The delivered file in ``<inbox>/<unit>/<source>/<period>/``, None when nothing arrived, or a
    Rejection when the folder is ambiguous (two files) or the file's name is refused by
    `connectors.inbox.check_delivery_path` (``..``, control or odd characters).

    A folder or file that is a symbolic link, or a path leading out of the inbox, is refused before
    anything is read or moved (a Rejection without a path: nothing goes to quarantine, the file the link
    points at stays where it is)."""
    from connectors.inbox import check_delivery_path, check_no_links

    try:
        folder = check_no_links(inbox_dir, (unit_code, source_code, period))
    except BadInputError as exc:
        return Rejection(f"{source_code} {period}: {exc}", is_bad_input=False)
    if not folder.is_dir():
        return None
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    links = [p for p in entries if p.is_symlink()]
    if links:
        try:
            check_no_links(inbox_dir, (unit_code, source_code, period, links[0].name))
        except BadInputError as exc:
            return Rejection(f"{source_code} {period}: {exc}", is_bad_input=False)
    files = [p for p in entries if p.is_file()]
    if not files:
        return None
    if len(files) > 1:
        names = ", ".join(p.name for p in files)
        return Rejection(f"{source_code} {period}: {len(files)} files in {folder} ({names}); expected "
                         f"exactly one delivery per source and month: move the outdated one out of the inbox",
                         is_bad_input=False)
    try:
        check_delivery_path(inbox_dir, files[0].relative_to(folder.parents[2]).as_posix())
    except BadInputError as exc:
        return Rejection(str(exc), is_bad_input=True, path=files[0])
    return files[0]


@task(name="read_delivery_file", cache_policy=NO_CACHE, timeout_seconds=FILE_TIMEOUT)
def read_delivery_file(source_code: str, path: Path, unit_code: str, period: str,
                       max_bytes: int | None = None) -> Delivery | Rejection:
    """Parse one delivered file into observations (with lineage), or reject it with one sentence.

    A file larger than `max_bytes` (settings THIDUA_MAX_FILE_MB) is rejected by its size, unopened.
    """
    from connectors.inbox import check_file_size

    spec = connectors.SOURCES[source_code]
    try:
        check_file_size(path, max_bytes)
        # a dossier export is scoped to the unit and month: others' dossiers are left out and reported
        scope = {"unit_code": unit_code} if source_code == "public_service" else {}
        records = spec.read(path, period=period, **scope)
        observations = spec.delivery_observations(records, unit_code, period)  # the figures it carries too
    except FatalSourceError as exc:
        return _reject(exc, path)
    return Delivery(source_code, unit_code, period, path.name, sha256_file(path), len(records),
                    observations, path=path, records=records, declared_period=_declared_period(records))


def _declared_period(records: pd.DataFrame) -> str | None:
    value = records.attrs.get("period")
    return str(value) if value else None


@task(name="fetch_dossiers", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=_retry_only_retriable, timeout_seconds=600)
def fetch_dossiers(base_url: str, token: str, unit_code: str, period: str, *, timeout_s: float = 30.0,
                   backoff_s: float = 1.0, max_answer_mb: float = 64.0) -> Delivery | Rejection:
    """Pull the month's dossiers from the one-stop API (received or finished in the month).

    Retriable errors (429, 5xx, timeouts, a connection cut mid-answer) raise, so Prefect retries this
    task; fatal ones (401/403, a malformed answer) are returned as a Rejection.

    Args:
        timeout_s: seconds each HTTP call may take (connect, and each read); settings THIDUA_HTTP_TIMEOUT_S.
        backoff_s: the client's first pause before retrying a call; settings THIDUA_HTTP_BACKOFF_S.
        max_answer_mb: the largest answer (one page) read, in MiB once decompressed; a larger one is refused
            (settings THIDUA_HTTP_MAX_ANSWER_MB).
    """
    from connectors.public_service import PublicServiceClient

    client = PublicServiceClient(base_url, token, timeout=(min(5.0, timeout_s), timeout_s),
                                 backoff_seconds=backoff_s, max_answer_bytes=int(max_answer_mb * 1024 * 1024))
    try:
        records, fingerprint = client.fetch_month(unit_code, period)
        observations = connectors.SOURCES["public_service"].to_observations(records, unit_code, period)
    except FatalSourceError as exc:
        return _reject(exc)
    return Delivery("public_service", unit_code, period, f"api:{period}", fingerprint, len(records),
                    observations, records=records)


def local_today() -> dt.date:
    """Today in Vietnam (Asia/Ho_Chi_Minh), the calendar deliveries are judged by."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@task(name="read_current_load", cache_policy=NO_CACHE, timeout_seconds=DB_TIMEOUT)
def read_current_load(warehouse_url: str, source_code: str, unit_code: str, period: str) -> dict | None:
    """The load in force for (source, unit, period), else its latest attempt (quarantined…), else None."""
    engine = wh_db.make_engine(warehouse_url)
    try:
        return wh_alerts.latest_load(engine, source_code, unit_code, period)
    finally:
        engine.dispose()


@task(name="read_history", cache_policy=NO_CACHE, timeout_seconds=DB_TIMEOUT)
def read_history(warehouse_url: str, source_code: str, unit_code: str, period: str) -> pd.DataFrame:
    """Earlier observations of the source (active loads, this year and last) for the history rules."""
    engine = wh_db.make_engine(warehouse_url)
    try:
        year = int(period[:4])
        frame = wh_attainment.read_observations(engine, unit_code, [year - 1, year, year + 1])
    finally:
        engine.dispose()
    frame = frame[(frame["source_code"] == source_code) & (frame["period"] != period)]
    return frame.reset_index(drop=True)


@task(name="validate_delivery", cache_policy=NO_CACHE, timeout_seconds=FILE_TIMEOUT)
def validate_delivery(delivery: Delivery, history: pd.DataFrame | None = None,
                      today: dt.date | None = None) -> expectations.ValidationReport:
    """Run the source's expectation suite over the delivery's records and observations (one GX run)."""
    report = expectations.validate_delivery(
        source_code=delivery.source_code, unit_code=delivery.unit_code, period=delivery.period,
        observations=delivery.observations, records=delivery.records, history=history,
        today=today or local_today(), declared_period=delivery.declared_period)
    return personal.mask_report(report, delivery.source_code)  # the report leaves validation masked


def validation_report_path(reports_dir: Path, delivery: Delivery) -> Path:
    """``<reports>/validation/<unit>/<source>/<period>/<file stem>-<fingerprint[:12]>.html``."""
    stem = Path(delivery.file_name.replace(":", "-")).stem or delivery.source_code
    return (reports_dir / "validation" / delivery.unit_code / delivery.source_code / delivery.period
            / f"{stem}-{delivery.fingerprint[:12]}.html")


@task(name="write_validation_report", cache_policy=NO_CACHE, timeout_seconds=FILE_TIMEOUT)
def write_validation_report(warehouse_url: str, reports_dir: Path, delivery: Delivery, report: dict,
                            outcome: str) -> Path:
    """Write the delivery's self-contained HTML validation report (browsable offline)."""
    engine = wh_db.make_engine(warehouse_url)
    try:
        unit_name, source_name = wh_alerts.names(engine, delivery.unit_code, delivery.source_code)
    finally:
        engine.dispose()
    path = validation_report_path(reports_dir, delivery)
    inside_root(reports_dir, path.parent)   # the unit, source and period name folders: never out of reports/
    wh_db.ensure_private_dir(path.parent)  # owner-only, like the warehouse: reports show rows of the file
    report = personal.mask(report, delivery.source_code)  # the report is read by people: no personal data
    html = expectations.render_report_html(report, unit_name=unit_name, source_name=source_name,
                                           file_name=delivery.file_name, outcome=outcome)
    path.write_text(html, encoding="utf-8")
    return wh_db.make_private(path)


def inside_root(root: Path, path: Path) -> Path:
    """`path` (which may not exist yet) when it stays inside `root` once resolved, with no '..' and no
    link below the root; PathOutsideRootError otherwise. Returns the path under the resolved root."""
    root_resolved = Path(root).resolve()
    if ".." in Path(path).parts:
        raise PathOutsideRootError(f"{path} has '..' in it; expected a folder inside {root_resolved}")
    try:
        relative = Path(path).absolute().relative_to(Path(root).absolute())
    except ValueError:
        try:
            relative = Path(path).absolute().relative_to(root_resolved)
        except ValueError:
            raise PathOutsideRootError(f"{path} is outside {root_resolved}") from None
    if ".." in relative.parts:
        raise PathOutsideRootError(f"{path} leaves {root_resolved} ('..' in {relative.as_posix()})")
    level = root_resolved
    for part in relative.parts:
        level = level / part
        if level.is_symlink():
            raise PathOutsideRootError(f"{level} is a link; nothing is written through links below {root_resolved}")
    if not level.resolve().is_relative_to(root_resolved):
        raise PathOutsideRootError(f"{path} is outside {root_resolved}")
    return level


@dataclass
class _Placement:
    """Where `_place` put a file and how to take it back (the quarantine record failed)."""

    origin: Path
    target: Path
    moved: bool        # the origin is gone (moved, or removed as a copy of a file already there)
    created: bool      # the target is a file this placement made

    def undo(self) -> None:
        """Put things back as they were: the origin file restored, a copy this placement made removed."""
        if self.moved and not self.origin.exists():
            if self.created:
                shutil.move(str(self.target), self.origin)
                return
            shutil.copy2(self.target, self.origin)
        elif self.created and self.target.exists():
            self.target.unlink()


def _place(path: Path, folder: Path, *, move: bool, root: Path | None = None) -> _Placement:
    """Move (or copy) `path` into `folder` (inside `root`); never overwrite a different file of the same name.

    The folders and the placed file are owner-only (0700/0600): deliveries carry personal data. `root` is
    the quarantine or processed folder (default: `folder`'s grandparent's parent, as the layout
    ``<root>/<unit>/<source>/<period>`` puts it); the folder must stay inside it. A file to move must not be
    a link, nor lie in a linked folder (an inbox file is moved, never the file a link points at).

    Raises:
        PathOutsideRootError: the folder leaves its root, or the file to move is (or lies under) a link.
        DeliveryFilingError: the file system refused (permission, disk, a vanished file).
    """
    root = Path(root) if root is not None else Path(folder).parents[2]
    folder = inside_root(root, folder)
    if move:
        linked = [p for p in (path, *list(path.parents)[:3]) if p.is_symlink()]
        if linked:
            raise PathOutsideRootError(f"{linked[0]} is a link: a delivery is moved only from a real folder")
    try:
        wh_db.ensure_private_dir(folder)
        target = folder / path.name
        if target.exists() and target.resolve() != path.resolve():
            if sha256_file(target) == sha256_file(path):
                if move:
                    path.unlink()
                return _Placement(path, target, moved=move, created=False)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = folder / f"{path.stem}.{stamp}{path.suffix}"
        if move:
            shutil.move(str(path), target)
        else:
            shutil.copy2(path, target)
        wh_db.make_private(target)
    except OSError as exc:
        raise DeliveryFilingError(f"could not {'move' if move else 'copy'} {path.name} into {folder}: "
                                  f"{exc.strerror or type(exc).__name__}; nothing was recorded, the file stays "
                                  "where it was: run again once fixed") from None
    return _Placement(path, target, moved=move, created=True)


def _place_file(path: Path, folder: Path, *, move: bool, root: Path | None = None) -> Path:
    """`_place`, returning where the file now is."""
    return _place(path, folder, move=move, root=root).target


@task(name="file_delivery", cache_policy=NO_CACHE, timeout_seconds=FILE_TIMEOUT)
def file_delivery(path: Path, folder: Path, move: bool) -> Path:
    """Move an inbox file to ``processed/`` or ``quarantine/`` (a file given on the command line is
    copied: it belongs to whoever gave it). Returns where it now is.

    `folder` is ``<root>/<unit>/<source>/<period>`` and must stay inside its root (no '..', no link)."""
    return _place_file(path, folder, move=move)


@task(name="load_observations", cache_policy=NO_CACHE, timeout_seconds=DB_TIMEOUT)
def load_observations(warehouse_url: str, delivery: Delivery, report) -> wh_load.LoadResult:
    """Load a validated delivery in one transaction (same fingerprint: nothing written)."""
    engine = wh_db.make_engine(warehouse_url)
    try:
        return wh_load.load_delivery(
            engine, source_code=delivery.source_code, unit_code=delivery.unit_code,
            period=delivery.period, fingerprint=delivery.fingerprint, file_name=delivery.file_name,
            flow_run_id=current_flow_run_id(), rows_read=delivery.rows_read,
            observations=delivery.observations,
            validation=personal.mask(report.to_dict(), delivery.source_code) if report else None,
            dossiers=delivery_dossiers(delivery))
    finally:
        engine.dispose()


def delivery_dossiers(delivery: Delivery) -> pd.DataFrame | None:
    """The dossiers to store with a public_service delivery (None for other sources and Biểu 06 reports)."""
    records = delivery.records
    if delivery.source_code != "public_service" or records is None or "ma_ho_so" not in records.columns:
        return None
    from connectors.public_service import dossier_facts as facts

    return facts(records, delivery.unit_code, delivery.period)


@task(name="quarantine_delivery", cache_policy=NO_CACHE, timeout_seconds=DB_TIMEOUT)
def quarantine_delivery(warehouse_url: str, quarantine_dir: Path, *, source_code: str, unit_code: str,
                        period: str, path: Path | None, fingerprint: str | None, file_name: str,
                        rows_read: int, validation: dict | None, message: str, move: bool = False) -> int:
    """Record a rejected delivery (nothing of it loaded) and put its file in quarantine (never deleted).

    The file moves there when it came from the inbox (`move`), else a copy is kept. The move and the record
    are one outcome: when the move fails nothing is recorded (DeliveryFilingError), and when the record
    fails (the warehouse locked or gone) the file is put back where it was and the error raised, so the
    run fails and a rerun quarantines the delivery whole; never a moved file without its record.

    Personal data in `message` and `validation` is masked before it is stored (flows/personal.py).
    """
    cells = personal.personal_cells(validation, source_code)
    validation = personal.mask(validation, source_code, cells) if validation is not None else None
    message = personal.mask_string(message, cells)
    placed = None
    if path is not None and path.exists():
        placed = _place(path, quarantine_dir / unit_code / source_code / period, move=move, root=quarantine_dir)
    engine = wh_db.make_engine(warehouse_url)
    try:
        return wh_load.record_rejected_delivery(
            engine, source_code=source_code, unit_code=unit_code, period=period,
            fingerprint=fingerprint or "", file_name=file_name, flow_run_id=current_flow_run_id(),
            rows_read=rows_read, validation=validation, message=message)
    except BaseException:
        if placed is not None:
            try:
                placed.undo()
            except OSError as undo_error:  # say so: the file is in quarantine without its record
                logging.getLogger(__name__).error(
                    "quarantine of %s not recorded and the file could not be put back from %s: %s",
                    file_name, placed.target, undo_error.strerror or type(undo_error).__name__)
        raise
    finally:
        engine.dispose()


_ALERT_FIELDS = ("rule_id", "severity", "description_vi", "description_en", "unexpected_count", "samples",
                 "not_shown", "found", "expected", "found_vi", "expected_vi")


def _failures_for_message(validation: dict | None) -> list[dict]:
    """The failed rules an alert shows: the blocking ones first, then the warnings (a column the reader
    did not use …), each with every failing cell the report lists."""
    if not validation:
        return []
    failed = validation.get("failed") or []
    ordered = [f for f in failed if f.get("severity") == "error"] + [f for f in failed if f.get("severity") != "error"]
    return [{k: f.get(k) for k in _ALERT_FIELDS} for f in ordered]


def _message_of(settings, engine, state: wh_alerts.AlertState, status: str = "open") -> AlertMessage:
    """The alert's message rebuilt from its stored row (an owed alert sent by a later run)."""
    detail = state.detail or {}
    vi, _, en = state.message.partition(" / ")
    summary_vi, summary_en = detail.get("summary_vi") or vi, detail.get("summary_en") or en or vi
    unit_name, source_name = wh_alerts.names(engine, state.unit_code, state.source_code)
    report = Path(state.report_path) if state.report_path else None
    link = None
    if report is not None:
        try:
            link = settings.report_link(report)
        except (ValueError, OSError):
            link = str(report)
    if status == "resolved":
        summary_vi = f"Nguồn {state.source_code} kỳ {state.period}: sự cố đã được khắc phục: {summary_vi}"
        summary_en = f"Source {state.source_code} {state.period}: fixed: {summary_en}"
    return AlertMessage(state.kind, status, state.unit_code, unit_name, state.source_code, source_name,
                        state.period, personal.mask_text(summary_vi), personal.mask_text(summary_en),
                        personal.mask(detail.get("failures") or [], state.source_code) if status == "open" else [],
                        link if status == "open" else None, state.alert_key)


def _send(message: AlertMessage, channels, mark) -> dict:
    """Send `message` on `channels` and record each acceptance with `mark(channel name)`."""
    outcome = send_all(message, channels)
    for name, error in outcome.items():
        if error is None:
            mark(name)
    return {"sent": [n for n, e in outcome.items() if e is None],
            "errors": {n: e for n, e in outcome.items() if e is not None}}


@task(name="raise_alert", cache_policy=NO_CACHE, timeout_seconds=ALERT_TIMEOUT)
def raise_alert(settings, *, kind: str, source_code: str, unit_code: str, period: str, summary_vi: str,
                summary_en: str, detail_key: str = "", validation: dict | None = None,
                report_path: Path | None = None, load_id: int | None = None) -> dict:
    """Record a problem and tell the channels that have not been told yet (once per problem).

    A channel that does not accept it leaves the alert owed: `send_owed_alerts`, at the start of every
    later run, sends it. Personal data is masked before anything is stored or sent.

    Returns:
        ``{"alert_key", "sent": [channel…], "errors": {channel: sentence}}``; ``sent`` is empty at a rerun.
    """
    engine = wh_db.make_engine(settings.warehouse_url)
    try:
        failures = _failures_for_message(validation)
        cells = personal.personal_cells(failures, source_code)
        failures = personal.mask(failures, source_code, cells)
        summary_vi, summary_en = personal.mask_string(summary_vi, cells), personal.mask_string(summary_en, cells)
        detail = {"summary_vi": summary_vi, "summary_en": summary_en}
        if failures:
            detail["failures"] = failures
        state = wh_alerts.record_problem(
            engine, kind=kind, source_code=source_code, unit_code=unit_code, period=period,
            message=f"{summary_vi} / {summary_en}", detail_key=detail_key, detail=detail, load_id=load_id,
            report_path=str(report_path) if report_path else None)
        configured = settings.alert_channels()
        owed = state.owed([c.name for c in configured])
        channels = [c for c in configured if c.name in owed]
        if not channels:
            return {"alert_key": state.alert_key, "sent": [], "errors": {}}
        unit_name, source_name = wh_alerts.names(engine, unit_code, source_code)
        message = AlertMessage(kind, "open", unit_code, unit_name, source_code, source_name, period, summary_vi,
                               summary_en, failures,
                               settings.report_link(report_path) if report_path else None, state.alert_key)
        sent = _send(message, channels, lambda name: wh_alerts.mark_notified(engine, state.alert_id, name))
        return {"alert_key": state.alert_key, **sent}
    finally:
        engine.dispose()


@task(name="resolve_alerts", cache_policy=NO_CACHE, timeout_seconds=ALERT_TIMEOUT)
def resolve_alerts(settings, *, source_code: str, unit_code: str, period: str, load_id: int | None,
                   kinds=wh_alerts.KINDS) -> dict:
    """Close the open problems of (source, unit, period) and announce the fix once, on each channel that
    was told of the problem.

    Returns:
        ``{"resolved": [alert_key…], "sent": [channel…], "errors": {channel: sentence}}``.
    """
    engine = wh_db.make_engine(settings.warehouse_url)
    try:
        states = wh_alerts.resolve_problems(engine, source_code=source_code, unit_code=unit_code,
                                            period=period, load_id=load_id, kinds=kinds)
        configured = settings.alert_channels()
        owed = {c.name for s in states for c in configured if c.name in s.fix_owed([c.name])}
        channels = [c for c in configured if c.name in owed]
        if not channels:
            return {"resolved": [s.alert_key for s in states], "sent": [], "errors": {}}
        unit_name, source_name = wh_alerts.names(engine, unit_code, source_code)
        kinds_seen = sorted({s.kind for s in states})
        load_vi = f" (lần nạp {load_id})" if load_id else ""
        load_en = f" (load {load_id})" if load_id else ""
        message = AlertMessage(
            kinds_seen[0] if len(kinds_seen) == 1 else "validation_failed", "resolved", unit_code, unit_name,
            source_code, source_name, period,
            personal.mask_text(f"Nguồn {source_code} kỳ {period} đã có dữ liệu hợp lệ{load_vi}; sự cố đã được "
                               "khắc phục: " + "; ".join(s.message.split(" / ")[0] for s in states) + "."),
            personal.mask_text(f"Source {source_code} {period} now has a valid delivery{load_en}; fixed: "
                               + "; ".join(s.message.split(" / ")[-1] for s in states) + "."),
            [], None, ",".join(s.alert_key for s in states))

        def mark(name: str) -> None:
            for s in states:
                if name in s.notified_channels:
                    wh_alerts.mark_resolution_notified(engine, s.alert_id, name)

        return {"resolved": [s.alert_key for s in states], **_send(message, channels, mark)}
    finally:
        engine.dispose()


def send_owed_alerts(settings) -> dict:
    """Send every alert a channel still owes: problems (and fixes) an earlier run could not deliver because
    the webhook or the mail server was down. Called at the start of every run (close, ingest, city close,
    backfill, catch-up), so an owed alert goes out at the next run of any kind, until sent or resolved.

    One query when nothing is owed. Never raises: a warehouse not yet created or unreachable, or a channel
    still down, is logged and left for the next run. A channel that fails once is not tried again in the
    same call, so a hung receiver costs one timeout, not one per owed alert. A plain function, not a task:
    it must never fail the run that calls it.

    Returns:
        ``{"owed": n, "sent": {alert_key: [channel…]}, "errors": {alert_key: {channel: sentence}}}``.
    """
    out: dict = {"owed": 0, "sent": {}, "errors": {}}
    configured = settings.alert_channels()
    if not configured:
        return out
    import sqlalchemy.exc as sa_exc

    log = logging.getLogger(__name__)
    try:
        engine = wh_db.make_engine(settings.warehouse_url)
    except (sa_exc.SQLAlchemyError, OSError) as exc:
        log.warning("owed alerts not checked: %s", type(exc).__name__)
        return out
    try:
        states = wh_alerts.owed_alerts(engine, [c.name for c in configured])
        out["owed"] = len(states)
        down: set[str] = set()
        for state in states:
            if state.status == "open":
                owed, status = state.owed([c.name for c in configured]), "open"

                def mark(name: str, alert_id: int = state.alert_id) -> None:
                    wh_alerts.mark_notified(engine, alert_id, name)
            else:
                owed, status = state.fix_owed([c.name for c in configured]), "resolved"

                def mark(name: str, alert_id: int = state.alert_id) -> None:
                    wh_alerts.mark_resolution_notified(engine, alert_id, name)
            channels = [c for c in configured if c.name in owed and c.name not in down]
            if not channels:
                continue
            result = _send(_message_of(settings, engine, state, status), channels, mark)
            if result["sent"]:
                out["sent"][state.alert_key] = result["sent"]
            if result["errors"]:
                out["errors"][state.alert_key] = result["errors"]
                down.update(result["errors"])  # a channel down now is not tried again for the next alerts
    except sa_exc.SQLAlchemyError as exc:  # no warehouse yet (no alerts table), or it cannot be reached now
        log.warning("owed alerts not sent now (warehouse: %s); the next run tries again", type(exc).__name__)
    finally:
        engine.dispose()
    if out["errors"]:
        log.warning("%d owed alert(s) still not accepted: %s", len(out["errors"]),
                    "; ".join(e for errors in out["errors"].values() for e in errors.values()))
    return out


@task(name="find_late_sources", cache_policy=NO_CACHE, timeout_seconds=DB_TIMEOUT)
def find_late_sources(warehouse_url: str, unit_code: str, period: str, today: dt.date) -> list[dict]:
    """Sources of `period` past their expected day (catalogue) with no load."""
    engine = wh_db.make_engine(warehouse_url)
    try:
        return wh_alerts.late_sources(engine, unit_code, period, today)
    finally:
        engine.dispose()


@task(name="evaluate_attainment", cache_policy=NO_CACHE, timeout_seconds=DB_TIMEOUT)
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
