"""Holding a suspicious dossier delivery (issue 16): a month that would lose its dossiers waits for a person.

A dossier export can arrive empty (``{"tong_so": 0, "du_lieu": []}``, a CSV with its header only) or cut short
by the software that made it, and still be valid on its own terms: the API contract says an empty month is
valid. Loaded over the month in force it would replace, say, 2,161 dossiers by none, with exit 0. So before a
``public_service`` delivery replaces the load in force for its (unit, month), the month's size in the two is
compared:

- both are dossier lists (an export or the API): the number of the ward's dossiers of the month (the
  ``dossiers`` stored with the load in force, the records of the delivery);
- either is a Biểu 06 report (counts only): the dossiers received in the month (the ``DOSSIER_ONLINE``
  denominator of each).

A delivery that takes the month from N dossiers to none, or down by more than ``THIDUA_DOSSIER_DROP_SHARE``
of N (default 0.5), is *held*: quarantined with its validation result plus the failed rule
``public_service.no_sudden_drop``, alerted once in its own words (Vietnamese and English), the load in force
untouched. Nothing with no load in force is ever held (an empty first month loads). To load a held delivery
(the month really has that few dossiers), confirm it:

    thidua ingest --source public_service --period 2025-06 --file <the export> --confirm-drop
    thidua run --period 2025-06 --confirm-drop          # a pull from the API

(the held file stays in ``$THIDUA_DATA_DIR/quarantine/<unit>/public_service/<period>/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import tasks
from warehouse import db as wh_db
from warehouse import models

SOURCE = "public_service"
RULE_ID = "public_service.no_sudden_drop"
CONFIRM_FLAG = "--confirm-drop"


@dataclass(frozen=True)
class MonthSize:
    """How big a month of dossiers is: the dossiers listed (None for a Biểu 06 report) and those received."""

    dossiers: int | None
    received: int | None


@dataclass(frozen=True)
class InForce:
    """The public_service load in force for one (unit, month) and its size."""

    load_id: int
    file_name: str | None
    size: MonthSize


@dataclass(frozen=True)
class DropHold:
    """Why a delivery is held: the month would go from `before` to `after` (counted by `basis`)."""

    unit_code: str
    period: str
    file_name: str
    is_api: bool
    before: int
    after: int
    basis: str  # "dossiers" or "received"
    load_id: int
    share: float

    @property
    def month(self) -> str:
        return f"{self.period[5:7]}/{self.period[:4]}"

    @property
    def drop_percent(self) -> int:
        return round(100 * (self.before - self.after) / self.before)

    def _what(self) -> tuple[str, str]:
        if self.basis == "dossiers":
            return f"dossiers of {self.month}", f"hồ sơ của tháng {self.month}"
        return f"dossiers received in {self.month}", f"hồ sơ tiếp nhận trong tháng {self.month}"

    def confirm_command(self) -> str:
        if self.is_api:
            return f"thidua run --period {self.period} --unit {self.unit_code} {CONFIRM_FLAG}"
        return (f"thidua ingest --source {SOURCE} --period {self.period} --unit {self.unit_code} "
                f"--file <{self.file_name}, kept in quarantine> {CONFIRM_FLAG}")

    def _drop_en(self) -> str:
        if self.after == 0:
            return "down to none"
        return (f"down {self.drop_percent}%, more than the {self.share * 100:g}% THIDUA_DOSSIER_DROP_SHARE "
                f"allows")

    def _drop_vi(self) -> str:
        if self.after == 0:
            return "giảm về 0"
        return f"giảm {self.drop_percent}%, quá ngưỡng {self.share * 100:g}% (THIDUA_DOSSIER_DROP_SHARE)"

    def _delivery_en(self) -> str:
        return f"the API's answer {self.file_name}" if self.is_api else f"file {self.file_name}"

    def _delivery_vi(self) -> str:
        return f"Dữ liệu API {self.file_name}" if self.is_api else f"Tệp {self.file_name}"

    def message(self) -> str:
        """One line (logs, the loads table, `thidua`'s stderr)."""
        what_en, _ = self._what()
        return (f"{SOURCE} {self._delivery_en()}: held as suspicious, nothing loaded: it holds {self.after} "
                f"{what_en} where load {self.load_id} in force holds {self.before} ({self._drop_en()}); load "
                f"{self.load_id} stays in force. If the month really is that small, confirm with: "
                f"{self.confirm_command()}")

    def summary_vi(self) -> str:
        _, what_vi = self._what()
        return (f"{self._delivery_vi()} bị giữ lại vì nghi ngờ, chưa nạp: chỉ có {self.after} {what_vi} trong khi "
                f"lần nạp {self.load_id} đang dùng có {self.before} ({self._drop_vi()}). Số liệu đang dùng được giữ "
                f"nguyên. Nếu tháng này thật sự chỉ có {self.after} hồ sơ, xác nhận bằng lệnh: "
                f"{self.confirm_command()}")

    def summary_en(self) -> str:
        what_en, _ = self._what()
        return (f"{self._delivery_en()[0].upper()}{self._delivery_en()[1:]} held as suspicious, not loaded: it "
                f"holds {self.after} {what_en} where load {self.load_id} in force holds {self.before} "
                f"({self._drop_en()}). The figures in force stay. If the month really is that small, confirm "
                f"with: {self.confirm_command()}")

    def failure(self) -> dict:
        """The failed rule added to the held delivery's validation result (report, alert, warehouse)."""
        what_en, what_vi = self._what()
        return {"rule_id": RULE_ID, "expectation": "held", "kwargs": {"share": self.share}, "severity": "error",
                "description_vi": "Số hồ sơ của tháng không giảm đột ngột so với lần nạp đang dùng (giảm về 0 "
                                  "hoặc quá ngưỡng thì giữ lại chờ xác nhận)",
                "description_en": "A month's dossiers do not suddenly drop against the load in force (a drop "
                                  "to none or beyond the set share is held until confirmed)",
                "frame": "records", "unexpected_count": None, "samples": [], "not_shown": 0,
                "found": f"{self.after} {what_en} ({self._drop_en()})",
                "found_vi": f"{self.after} {what_vi} ({self._drop_vi()})",
                "expected": (f"about the {self.before} of load {self.load_id} in force, or a confirmation "
                             f"({self.confirm_command()})"),
                "expected_vi": (f"xấp xỉ {self.before} của lần nạp {self.load_id} đang dùng, hoặc xác nhận "
                                f"({self.confirm_command()})")}


def delivery_size(delivery: tasks.Delivery) -> MonthSize:
    """The month's size in a delivery: its dossiers (a dossier list) and those received (DOSSIER_ONLINE)."""
    records, obs = delivery.records, delivery.observations
    dossiers = len(records) if records is not None and "ma_ho_so" in records.columns else None
    received = None
    if obs is not None and len(obs):
        rows = obs[obs["indicator_code"] == "DOSSIER_ONLINE"]
        if len(rows) and rows["denominator"].notna().iloc[0]:
            received = int(rows["denominator"].iloc[0])
    return MonthSize(dossiers, received)


def judge_drop(in_force: InForce | None, delivery: tasks.Delivery, share: float) -> DropHold | None:
    """The hold a delivery earns against the load in force (pure), or None when it may load."""
    if in_force is None:
        return None
    new = delivery_size(delivery)
    old = in_force.size
    if old.dossiers and new.dossiers is not None:
        basis, before, after = "dossiers", old.dossiers, new.dossiers
    elif old.received and new.received is not None:  # a Biểu 06 report on either side: compare receipts
        basis, before, after = "received", old.received, new.received
    else:
        return None
    if before <= 0 or not (after == 0 or (before - after) > share * before):
        return None
    return DropHold(unit_code=delivery.unit_code, period=delivery.period, file_name=delivery.file_name,
                    is_api=delivery.path is None, before=before, after=after, basis=basis,
                    load_id=in_force.load_id, share=share)


def read_in_force(engine: sa.Engine, unit_codes: list[str], period: str) -> dict[str, InForce]:
    """The public_service loads in force for `period` of `unit_codes` and their sizes, in three queries."""
    ld, ds, ob = models.loads, models.dossiers, models.observations
    with engine.connect() as conn:
        loads = conn.execute(sa.select(ld.c.unit_code, ld.c.load_id, ld.c.file_name).where(
            ld.c.source_code == SOURCE, ld.c.period == period, ld.c.status == "loaded",
            ld.c.unit_code.in_(list(unit_codes)))).all()
        if not loads:
            return {}
        ids = [r.load_id for r in loads]
        counts = dict(conn.execute(sa.select(ds.c.load_id, sa.func.count()).where(ds.c.load_id.in_(ids))
                                   .group_by(ds.c.load_id)).all())
        received = dict(conn.execute(sa.select(ob.c.load_id, ob.c.denominator).where(
            ob.c.load_id.in_(ids), ob.c.indicator_code == "DOSSIER_ONLINE", ob.c.member_code == "")).all())
    out = {}
    for unit, load_id, file_name in loads:
        den = received.get(load_id)
        out[unit] = InForce(load_id, file_name, MonthSize(counts.get(load_id) or None,
                                                          None if den is None else int(den)))
    return out


@task(name="check_dossier_drop", cache_policy=NO_CACHE, timeout_seconds=tasks.DB_TIMEOUT)
def check_dossier_drop(warehouse_url: str, delivery: tasks.Delivery, share: float) -> DropHold | None:
    """The hold a public_service delivery earns against the load in force for its (unit, month), or None."""
    if delivery.source_code != SOURCE:
        return None
    engine = wh_db.make_engine(warehouse_url)
    try:
        in_force = read_in_force(engine, [delivery.unit_code], delivery.period).get(delivery.unit_code)
    finally:
        engine.dispose()
    return judge_drop(in_force, delivery, share)


def held_validation(validation: dict, hold: DropHold) -> dict:
    """The delivery's validation result with the hold as one more failed (blocking) rule."""
    out = dict(validation)
    out["success"] = False
    out["failed"] = [hold.failure(), *(validation.get("failed") or [])]
    out["failed_count"] = int(validation.get("failed_count") or 0) + 1
    out["error_count"] = int(validation.get("error_count") or 0) + 1
    return out


def hold_delivery(settings, delivery: tasks.Delivery, hold: DropHold, validation: dict, *,
                  move: bool, inline: bool = False) -> dict:
    """Hold a delivery: its validation report, a `quarantined` load (file kept in quarantine; moved when it came
    from the inbox), one alert in the hold's own words. `inline`: inside a task (the city close), the tasks'
    plain functions are called.

    Returns:
        ``{"load_id", "report_path", "alert", "message"}``.
    """
    def call(t):
        return t.fn if inline else t

    held = held_validation(validation, hold)
    report_path: Path = call(tasks.write_validation_report)(settings.warehouse_url, settings.reports_dir, delivery,
                                                            held, "quarantined")
    message = hold.message()
    load_id = call(tasks.quarantine_delivery)(
        settings.warehouse_url, settings.quarantine_dir, source_code=delivery.source_code,
        unit_code=delivery.unit_code, period=delivery.period, path=delivery.path, fingerprint=delivery.fingerprint,
        file_name=delivery.file_name, rows_read=delivery.rows_read, validation=held, message=message, move=move)
    alert = call(tasks.raise_alert)(
        settings, kind="validation_failed", source_code=delivery.source_code, unit_code=delivery.unit_code,
        period=delivery.period, detail_key=delivery.fingerprint[:16], validation=held, report_path=report_path,
        load_id=load_id, summary_vi=hold.summary_vi(), summary_en=hold.summary_en())
    return {"load_id": load_id, "report_path": report_path, "alert": alert, "message": message}


def held_in_batch(engine: sa.Engine, deliveries: list[tasks.Delivery], period: str,
                  share: float) -> dict[str, DropHold]:
    """The holds of a city close's validated public_service deliveries of one month: ``{unit: hold}``
    (one query set for the whole batch)."""
    wanted = [d for d in deliveries if d.source_code == SOURCE]
    if not wanted:
        return {}
    in_force = read_in_force(engine, [d.unit_code for d in wanted], period)
    out = {}
    for d in wanted:
        hold = judge_drop(in_force.get(d.unit_code), d, share)
        if hold is not None:
            out[d.unit_code] = hold
    return out
