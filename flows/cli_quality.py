"""`thidua` commands for validation dry runs and alerts (issue 4). Registered on `flows.cli.app` at import.

    thidua validate --source S --period YYYY-MM --file PATH [--unit CODE]

`validate` runs a delivery's expectation suite without loading anything (a dry run): it prints every
failed rule with its rows (file, sheet, row, column, value found) and exits 2 when an error-level rule
fails, 0 otherwise (warnings are printed but do not fail).
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli import EXIT_USER_ERROR, Source, app, check_delivery_args, friendly


def _history(warehouse_url: str, source: str, unit: str, period: str):
    """Earlier observations from the warehouse, or None when there is no warehouse yet (dry run)."""
    import sqlalchemy as sa

    from flows import tasks

    try:
        return tasks.read_history.fn(warehouse_url, source, unit, period)
    except sa.exc.SQLAlchemyError:
        return None


@app.command()
@friendly
def validate(source: Source = typer.Option(..., help="Source of the delivery."),
             period: str = typer.Option(..., help="Month the delivery describes, YYYY-MM."),
             file: Path = typer.Option(..., help="The delivered file (public_service: a CSV or JSON export)."),
             unit: str = typer.Option(None, help="GSO unit code.")):
    """Check one delivery against its expectation suite without loading it (dry run)."""
    from expectations.runner import describe_failure
    from flows import tasks
    from flows.settings import get_settings

    check_delivery_args(period, file)
    settings = get_settings()
    unit = unit or settings.unit_code
    delivery = tasks.read_delivery_file.fn(source.value, file.resolve(), unit, period)
    if isinstance(delivery, tasks.Rejection):
        typer.echo(f"error: {source.value} {period}: {delivery.message}", err=True)
        raise typer.Exit(EXIT_USER_ERROR)
    history = _history(settings.warehouse_url, source.value, unit, period)
    report = tasks.validate_delivery.fn(delivery, history, tasks.local_today())
    verdict = "passed" if report.success else "FAILED"
    typer.echo(f"{source.value} {period} {file.name}: {verdict} ({report.evaluated_count} rules, "
               f"{len(report.errors)} error(s), {len(report.warnings)} warning(s); "
               f"{len(delivery.observations)} observations; nothing loaded)")
    for failure in report.failed:
        typer.echo(f"  {describe_failure(failure)}")
        for sample in failure.samples[1:]:
            typer.echo(f"      row {sample.get('row_number')}, column {sample.get('column_name')!r}, "
                       f"found {sample.get('raw_text')!r}")
    if not report.success:
        raise typer.Exit(EXIT_USER_ERROR)
