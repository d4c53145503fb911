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

from flows.cli import UserError, app, checked_period, checked_unit, db_app, friendly

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


def unit_names(engine, unit_code: str) -> tuple[str, str | None]:
    """The unit's Vietnamese name and its parent unit's (None when it has none), from the units data
    (the code when unknown)."""
    import sqlalchemy as sa

    from warehouse import models

    u = models.units
    with engine.connect() as conn:
        row = conn.execute(sa.select(u.c.name_vi, u.c.parent_code).where(u.c.unit_code == unit_code)).first()
        parent = None
        if row is not None and row.parent_code:
            parent = conn.execute(sa.select(u.c.name_vi)
                                  .where(u.c.unit_code == row.parent_code)).scalar_one_or_none()
    return (row.name_vi if row is not None else f"Đơn vị {unit_code}"), parent


def source_names(engine) -> dict[str, str]:
    """Source code -> its Vietnamese name (the catalogue's sources table)."""
    import sqlalchemy as sa

    from warehouse import models

    s = models.sources
    with engine.connect() as conn:
        return {r.source_code: r.name_vi for r in conn.execute(sa.select(s.c.source_code, s.c.name_vi))}


def read_lineage(engine, load_ids):
    """The observations of the given loads with their cell lineage and the load's file name."""
    import pandas as pd
    import sqlalchemy as sa

    from warehouse import models

    o, ld = models.observations, models.loads
    columns = ["load_id", "indicator_code", "period", "member_code", "value", "raw_text", "source_file", "sheet",
               "row_number", "column_name", "column_letter", "file_name"]
    ids = sorted({int(i) for i in load_ids})
    if not ids:
        return pd.DataFrame(columns=columns)
    query = (sa.select(o.c.load_id, o.c.indicator_code, o.c.period, o.c.member_code, o.c.value, o.c.raw_text,
                       o.c.source_file, o.c.sheet, o.c.row_number, o.c.column_name, o.c.column_letter,
                       ld.c.file_name)
             .join(ld, ld.c.load_id == o.c.load_id).where(o.c.load_id.in_(ids)))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=columns)


def build_report(warehouse_url: str, unit: str, period: str, out: Path, *, as_of: dt.date | None = None,
                 issued_on: dt.date | None = None) -> Path:
    """Write the council's Excel report of ``period`` (as judged on ``as_of``, default now) to ``out``: the
    judgements, what is missing from the month's sources, and the figures behind every judgement."""
    from flows.presentation import figures_used, source_notices
    from reports.excel import ReportMeta, write_attainment_report
    from warehouse import attainment as wh_attainment
    from warehouse import db, views

    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        frame = wh_attainment.read_attainment(engine, unit, period,
                                              as_of=local_end_of_day(as_of) if as_of else None)
        if frame.empty:
            when = f" as of {as_of.isoformat()}" if as_of else ""
            raise UserError(f"no attainment for unit {unit} in {period}{when}: "
                            f"run `thidua run --period {period}` first")
        name, parent = unit_names(engine, unit)
        targets = wh_attainment.read_targets(engine, int(period[:4]), unit)
        sources = views.read_source_status(engine, unit, period, source_codes(engine))
        names = source_names(engine)
        load_ids = [i["load_id"] for inputs in frame["inputs"] for i in inputs or [] if i.get("load_id") is not None]
        lineage = read_lineage(engine, load_ids)
    finally:
        engine.dispose()
    evaluated = max(frame["evaluated_at"]).astimezone(LOCAL_TZ)
    parent_words = f"{parent[:1].lower()}{parent[1:]}" if parent else None  # "thành phố Hải Phòng"
    meta = ReportMeta(period=period, unit_code=unit, unit_name=name, issuer=f"UBND {name.upper()}",
                      place=name.removeprefix("Phường ").removeprefix("Xã "),
                      issued_on=issued_on or dt.datetime.now(LOCAL_TZ).date(), evaluated_at=evaluated,
                      plan_year=int(period[:4]), **({"city_name": parent_words} if parent else {}),
                      parent_issuer=f"UBND {parent.upper()}" if parent else None,
                      parent_name=f"UBND {parent_words}" if parent else None)
    notices = source_notices(sources, frame, targets, period, names)
    figures = figures_used(frame, targets, lineage)
    return write_attainment_report(frame, meta, out, notices=notices, figures=figures)


def build_dashboard(warehouse_url: str, unit: str, period: str, out_dir: Path) -> Path:
    """Write the static dashboard of ``period`` into ``out_dir``: index.html, a page per target
    (chi-tieu/<code>.html) and the validation reports they link to (kiem-tra/…)."""
    from flows import dashboard_data
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
        name = unit_name(engine, unit)
        sources, source_loads = dashboard_data.source_summaries(
            engine, views.read_source_status(engine, unit, period, source_codes(engine)), period)
        targets = wh_attainment.read_targets(engine, int(period[:4]), unit)
        details, target_loads = dashboard_data.target_details(engine, frame, targets)
        files = dashboard_data.validation_pages(engine, source_loads | target_loads, name)
    finally:
        engine.dispose()
    meta = DashboardMeta(period=period, unit_code=unit, unit_name=name, generated_at=dt.datetime.now(LOCAL_TZ))
    return write_dashboard(frame, series, sources, meta, out_dir, details=details, files=files)


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

    unit = checked_unit(unit)
    checked_period(period, unit, judging=True)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out} must end in .xlsx")
    settings = get_settings()
    path = build_report(settings.warehouse_url, unit, period, out,
                        as_of=_parse_date(as_of, "--as-of"), issued_on=_parse_date(date, "--date"))
    typer.echo(f"report written: {path}")


@app.command()
@friendly
def dashboard(period: str = typer.Option(..., help="Month, YYYY-MM."),
              out: Path = typer.Option(..., help="Folder to write index.html into."),
              unit: str = typer.Option(None, help="GSO unit code.")):
    """Write the static HTML dashboard of a month (open index.html in a browser)."""
    from flows.settings import get_settings

    unit = checked_unit(unit)
    checked_period(period, unit, judging=True)
    settings = get_settings()
    path = build_dashboard(settings.warehouse_url, unit, period, out)
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
