"""`thidua city …`: the units dimension, the city roll-up and the wards' league table (issue 7).

    thidua city units --file catalogue/units-31.yaml          # load units + predecessor crosswalk
    thidua city rollup --period YYYY-MM [--city 31] [--format table|json|csv]
    thidua city league --period YYYY-MM [--city 31] [--format table|json|csv]

`rollup` judges every target on the wards' summed figures and keeps the snapshots under the city's code
(plan KH-TD-<year>-<city>-tong-hop); re-running it adds nothing when nothing changed. `league` reads the
wards' own judgements. The rules are in warehouse/rollup.py and warehouse/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import typer

from flows.cli import OutputFormat, app, friendly
from flows.periods import check_begun, local_today
from flows.presentation import (
    attainment_csv,
    attainment_records,
    attainment_table,
    format_number,
    missing,
    neutralise_formula,
)
from flows.settings import check_unit_code

city_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="A city's wards: units, roll-up of every target, league table.")
app.add_typer(city_app, name="city")

LEAGUE_HEADERS_VI = {"rank": "Hạng", "unit_code": "Mã", "name_vi": "Phường", "population": "Dân số",
                     "targets": "Số chỉ tiêu", "met": "Đạt", "exceeded": "Vượt", "on_track": "Đúng tiến độ",
                     "behind": "Chậm tiến độ", "not_met": "Không đạt", "no_data": "Chưa có số liệu",
                     "score": "Điểm (%)"}


def _engine():
    from flows.settings import get_settings
    from warehouse import db

    url = get_settings().warehouse_url
    db.upgrade(url)  # idempotent: a new warehouse gets its schema first
    return db.make_engine(url)


@city_app.command("units")
@friendly
def units(file: Path = typer.Option(..., help="Units YAML (units and crosswalk), e.g. catalogue/units-31.yaml.")):
    """Load a units file: the city, its wards and the predecessor crosswalk (idempotent)."""
    from warehouse.units import load_units, read_units

    units_file = read_units(file)
    engine = _engine()
    try:
        counts = load_units(engine, units_file)
    finally:
        engine.dispose()
    typer.echo(f"{file}: {counts['units']} đơn vị, {counts['crosswalk']} dòng chuyển đổi đơn vị cũ -> mới")


@city_app.command("rollup")
@friendly
def rollup(period: str = typer.Option(..., help="Month, YYYY-MM."),
           city: str = typer.Option("31", help="GSO code of the city."),
           format: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format.")):
    """Judge every target on the city's rolled-up figures and print it, with each source's coverage."""
    from warehouse.rollup import evaluate_city

    check_begun(period, local_today())
    city = check_unit_code(city, "--city")
    engine = _engine()
    try:
        frame = evaluate_city(engine, city, period)
    finally:
        engine.dispose()
    if format is OutputFormat.json:
        records = attainment_records(frame)
        coverage = frame.set_index("target_code")
        for rec in records:
            rec.update({c: _plain(coverage.at[rec["target_code"], c])
                        for c in ("wards_expected", "wards_reporting", "wards_missing")})
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif format is OutputFormat.csv:
        sys.stdout.write(attainment_csv(frame))
    else:
        typer.echo(attainment_table(frame))
        partial = frame[frame["wards_reporting"] < frame["wards_expected"]]
        for rec in partial.sort_values("target_code").to_dict("records"):
            shown = ", ".join(rec["wards_missing"][:10]) + (" …" if len(rec["wards_missing"]) > 10 else "")
            typer.echo(f"{rec['target_code']}: {rec['wards_reporting']}/{rec['wards_expected']} phường có số liệu "
                       f"(thiếu: {shown})")


def _plain(value):
    if isinstance(value, list):
        return value
    return None if missing(value) else (value.item() if hasattr(value, "item") else value)


def league_text(table: pd.DataFrame) -> str:
    """The league table as plain text: Vietnamese headers and numbers (1.234; 66,7)."""
    rows = [list(LEAGUE_HEADERS_VI.values())]
    for rec in table.to_dict("records"):
        rows.append([("" if missing(rec["rank"]) else str(int(rec["rank"]))), rec["unit_code"], rec["name_vi"] or "",
                     format_number(rec["population"], 0), *[str(int(rec[c])) for c in list(LEAGUE_HEADERS_VI)[4:11]],
                     format_number(rec["score"], 1)])
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


@city_app.command("league")
@friendly
def league(period: str = typer.Option(..., help="Month, YYYY-MM."),
           city: str = typer.Option("31", help="GSO code of the city."),
           format: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format.")):
    """Print the wards' league table: statuses counted, score (met, exceeded or on track / targets), rank."""
    from flows.cli import UserError
    from warehouse.rollup import league_table

    check_begun(period, local_today())
    city = check_unit_code(city, "--city")
    engine = _engine()
    try:
        table = league_table(engine, city, period)
    finally:
        engine.dispose()
    if table["targets"].sum() == 0:
        raise UserError(f"no ward of unit {city} has been judged for {period}: close the month first")
    if format is OutputFormat.json:
        records = [{k: _plain(v) for k, v in rec.items()} for rec in table.to_dict("records")]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif format is OutputFormat.csv:
        sys.stdout.write(table.apply(lambda column: column.map(neutralise_formula)).to_csv(index=False))
    else:
        typer.echo(league_text(table))


# `thidua city close` / `thidua city backfill` (the batched city close) join this sub-app.
from flows import cli_city_close  # noqa: E402,F401
