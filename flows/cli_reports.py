"""`thidua` commands for the council's Excel report and the dashboard (issue 5).

    thidua report --period YYYY-MM --out FILE.xlsx [--unit CODE] [--as-of YYYY-MM-DD] [--date YYYY-MM-DD]
    thidua dashboard --period YYYY-MM --out DIR [--unit CODE]
    thidua db analyst-role [--role NAME]          # PostgreSQL: the read-only analyst group role

The commands read the warehouse (migrating it first, which is idempotent) and hand plain rows to the
pure ``reports`` package.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from flows.cli import UserError, app, db_app, friendly
from flows.periods import check_period

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SOURCE_ORDER = ("tax", "public_service", "health", "education", "indicators")


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r} is not a date in the form YYYY-MM-DD (e.g. 2025-11-03)") from None


def unit_name(engine, unit_code: str) -> str:
    """The unit's Vietnamese name from the warehouse (the code when unknown)."""
    import sqlalchemy as sa

    from warehouse import models

    with engine.connect() as conn:
        name = conn.execute(sa.select(models.units.c.name_vi)
                            .where(models.units.c.unit_code == unit_code)).scalar_one_or_none()
    return name or f"Đơn vị {unit_code}"


def source_codes(engine) -> list[str]:
    """The sources known to the warehouse, in the usual order."""
    import sqlalchemy as sa

    from warehouse import models

    with engine.connect() as conn:
        codes = [r[0] for r in conn.execute(sa.select(models.sources.c.source_code))]
    known = [c for c in SOURCE_ORDER if c in codes]
    return known + sorted(c for c in codes if c not in SOURCE_ORDER) if codes else list(SOURCE_ORDER)


def local_end_of_day(day: dt.date) -> dt.datetime:
    """The end of ``day`` in Vietnam's time, as an aware datetime (what "as of 3 Nov" means locally)."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=LOCAL_TZ)


def build_report(warehouse_url: str, unit: str, period: str, out: Path, *, as_of: dt.date | None = None,
                 issued_on: dt.date | None = None) -> Path:
    """Write the council's Excel report of ``period`` (as judged on ``as_of``, default now) to ``out``."""
    from reports.excel import ReportMeta, write_attainment_report
    from warehouse import attainment as wh_attainment
    from warehouse import db

    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        frame = wh_attainment.read_attainment(engine, unit, period,
                                              as_of=local_end_of_day(as_of) if as_of else None)
        name = unit_name(engine, unit)
    finally:
        engine.dispose()
    if frame.empty:
        when = f" as of {as_of.isoformat()}" if as_of else ""
        raise UserError(f"no attainment for unit {unit} in {period}{when}: run `thidua run --period {period}` first")
    evaluated = max(frame["evaluated_at"]).astimezone(LOCAL_TZ)
    meta = ReportMeta(period=period, unit_code=unit, unit_name=name, issuer=f"UBND {name.upper()}",
                      place=name.removeprefix("Phường ").removeprefix("Xã "),
                      issued_on=issued_on or dt.datetime.now(LOCAL_TZ).date(), evaluated_at=evaluated,
                      plan_year=int(period[:4]))
    return write_attainment_report(frame, meta, out)


def build_dashboard(warehouse_url: str, unit: str, period: str, out_dir: Path) -> Path:
    """Write the static dashboard of ``period`` into ``out_dir`` (index.html)."""
    from reports.dashboard import DashboardMeta, write_dashboard
    from warehouse import attainment as wh_attainment
    from warehouse import db, views

    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        frame = wh_attainment.read_attainment(engine, unit, period)
        if frame.empty:
            raise UserError(f"no attainment for unit {unit} in {period}: run `thidua run --period {period}` first")
        series = wh_attainment.read_attainment_series(engine, unit, int(period[:4]), period)
        sources = views.read_source_status(engine, unit, period, source_codes(engine))
        name = unit_name(engine, unit)
    finally:
        engine.dispose()
    meta = DashboardMeta(period=period, unit_code=unit, unit_name=name, generated_at=dt.datetime.now(LOCAL_TZ))
    return write_dashboard(frame, series, sources, meta, out_dir)


@app.command()
@friendly
def report(period: str = typer.Option(..., help="Month, YYYY-MM."),
           out: Path = typer.Option(..., help="The Excel file to write (.xlsx)."),
           unit: str = typer.Option(None, help="GSO unit code."),
           as_of: str = typer.Option(None, "--as-of", help="Show the judgement as it stood on this day, "
                                                           "YYYY-MM-DD (default: the current one)."),
           date: str = typer.Option(None, "--date", help="The report's date, YYYY-MM-DD (default today).")):
    """Write the official monthly report to the council as an Excel workbook."""
    from flows.settings import get_settings

    check_period(period)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out} must end in .xlsx")
    settings = get_settings()
    path = build_report(settings.warehouse_url, unit or settings.unit_code, period, out,
                        as_of=_parse_date(as_of, "--as-of"), issued_on=_parse_date(date, "--date"))
    typer.echo(f"report written: {path}")


@app.command()
@friendly
def dashboard(period: str = typer.Option(..., help="Month, YYYY-MM."),
              out: Path = typer.Option(..., help="Folder to write index.html into."),
              unit: str = typer.Option(None, help="GSO unit code.")):
    """Write the static HTML dashboard of a month (open index.html in a browser)."""
    from flows.settings import get_settings

    check_period(period)
    settings = get_settings()
    path = build_dashboard(settings.warehouse_url, unit or settings.unit_code, period, out)
    typer.echo(f"dashboard written: {path}")


@db_app.command("analyst-role")
@friendly
def db_analyst_role(role: str = typer.Option("thidua_analyst", help="Name of the NOLOGIN group role.")):
    """PostgreSQL: create the read-only analyst role (idempotent) and grant it the views only."""
    from flows.settings import get_settings
    from warehouse import db, views

    url = get_settings().warehouse_url
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        granted = views.ensure_analyst_role(engine, role)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(f"role {role} may read: {', '.join(granted)} (grant it to a login role: GRANT {role} TO <user>;)")
