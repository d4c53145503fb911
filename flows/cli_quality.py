"""`thidua` commands for validation dry runs and alerts (issue 4). Registered on `flows.cli.app` at import.

    thidua validate --source S --period YYYY-MM --file PATH [--unit CODE]

`validate` runs a delivery's expectation suite without loading anything (a dry run). It lists the
columns it used (the header as typed in the file, its letter, the canonical name) and those it ignored,
then every failed rule with every failing cell (up to 50 rows per rule, then how many more): file,
sheet, row, the column's header and letter, the value as typed and what was expected, a Vietnamese
line then an English line. It exits 2 when an error-level rule fails or the file is refused (every
problem of the refusal is listed the same way), 0 otherwise (warnings are printed but do not fail).
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli import EXIT_USER_ERROR, Source, app, check_delivery_args, checked_unit, echo_pairs, friendly


def _history(warehouse_url: str, source: str, unit: str, period: str):
    """Earlier observations from the warehouse, or None when there is no warehouse yet (dry run)."""
    import sqlalchemy as sa

    from flows import tasks

    try:
        return tasks.read_history.fn(warehouse_url, source, unit, period)
    except sa.exc.SQLAlchemyError:
        return None


def column_lines(attrs: dict) -> list[str]:
    """The columns the reader used (``letter 'header as typed' -> canonical``) and those it ignored, from
    the records' attrs (``columns_used`` / ``columns_ignored``; ``column_labels`` when the reader gave no
    letters)."""
    used = [c for c in attrs.get("columns_used") or [] if isinstance(c, dict)]
    if not used:
        used = [{"name": name, "header": header, "letter": None}
                for name, header in (attrs.get("column_labels") or {}).items()]
    ignored = [c for c in attrs.get("columns_ignored") or [] if isinstance(c, dict)]
    if not ignored:
        ignored = [{"header": h, "letter": None, "known": False} for h in attrs.get("unmapped_labels") or []
                   if isinstance(h, str)]
    lines = []
    if used:
        lines.append("Cột đã dùng / Columns used:")
        for c in sorted(used, key=_letter_order):
            lines.append(f"  {_where(c)}'{c.get('header')}' -> {c.get('name')}")
    if ignored:
        lines.append("Cột bỏ qua / Columns ignored:")
        for c in sorted(ignored, key=_letter_order):
            kind = ("cột tùy chọn, không cần / optional, not needed" if c.get("known")
                    else "không dùng / not used")
            lines.append(f"  {_where(c)}'{c.get('header')}' ({kind})")
    return lines


def _where(column: dict) -> str:
    """``[sheet] letter `` of a column, the parts the reader gave (a workbook of several sheets names them)."""
    sheet = f"[{column['sheet']}] " if column.get("sheet") else ""
    return sheet + (f"{column['letter']} " if column.get("letter") else "")


def _letter_order(column: dict) -> tuple:
    letter = column.get("letter") or ""
    return (str(column.get("sheet") or ""), letter == "", len(letter), letter)


@app.command()
@friendly
def validate(source: Source = typer.Option(..., help="Source of the delivery."),
             period: str = typer.Option(..., help="Month the delivery describes, YYYY-MM."),
             file: Path = typer.Option(..., help="The delivered file (public_service: a CSV or JSON export)."),
             unit: str = typer.Option(None, help="GSO unit code.")):
    """Check one delivery against its expectation suite without loading it (dry run)."""
    from expectations.messages import failure_lines
    from flows import tasks
    from flows.settings import get_settings

    unit = checked_unit(unit)
    check_delivery_args(period, file)
    settings = get_settings()
    delivery = tasks.read_delivery_file.fn(source.value, file.resolve(), unit, period)
    if isinstance(delivery, tasks.Rejection):
        if delivery.problems:
            n = len(delivery.problems)
            typer.echo(f"error: {source.value} {period} {file.name}: tệp không đúng mẫu biểu, {n} lỗi / "
                       f"the file does not fit its layout, {n} problem(s); nothing loaded", err=True)
            echo_pairs(delivery.lines(), err=True)
        else:
            typer.echo(f"error: {source.value} {period}: {delivery.message}", err=True)
        raise typer.Exit(EXIT_USER_ERROR)
    history = _history(settings.warehouse_url, source.value, unit, period)
    report = tasks.validate_delivery.fn(delivery, history, tasks.local_today())
    verdict = "passed" if report.success else "FAILED"
    typer.echo(f"{source.value} {period} {file.name}: {verdict} ({report.evaluated_count} rules, "
               f"{len(report.errors)} error(s), {len(report.warnings)} warning(s); "
               f"{len(delivery.observations)} observations; nothing loaded)")
    if delivery.records is not None:
        for line in column_lines(delivery.records.attrs or {}):
            typer.echo(line)
    for failure in report.to_dict()["failed"]:
        (head_vi, head_en), *cells = failure_lines(failure)
        typer.echo(f"  {head_vi}")
        typer.echo(f"  {head_en}")
        echo_pairs(cells)
    if not report.success:
        raise typer.Exit(EXIT_USER_ERROR)
