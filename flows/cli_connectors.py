"""`thidua` commands for templates and inbox tools (issue 3). Registered on `flows.cli.app` at import.

    thidua template --year 2025 --unit 10549 --out chi-tieu-khac-2025.xlsx
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli import UserError, app, friendly


@app.command()
@friendly
def template(year: int = typer.Option(..., help="Year of the plan the workbook tracks, e.g. 2025."),
             unit: str = typer.Option(None, help="GSO unit code (default: THIDUA_UNIT or 10549)."),
             out: Path = typer.Option(..., help="Where to write the .xlsx workbook."),
             force: bool = typer.Option(False, help="Overwrite an existing file.")):
    """Write the fill-in workbook of the "other indicators" (sheet Chỉ tiêu, instructions in Vietnamese)."""
    from connectors.template import write_indicators_template
    from flows.settings import check_unit_code, get_settings

    unit = check_unit_code(unit, "--unit") if unit else get_settings().unit_code
    if not 2000 <= year <= 2100:
        raise UserError(f"--year {year} is not a plausible plan year (2000…2100)")
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out} must end in .xlsx")
    if out.exists() and not force:
        raise UserError(f"{out} already exists: choose another --out or add --force")
    path = write_indicators_template(out, year, unit)
    typer.echo(f"template for {year}, unit {unit}: {path}")
