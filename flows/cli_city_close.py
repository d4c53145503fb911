"""`thidua city close` and `thidua city backfill`: the batched city close from the command line.

The commands join the `thidua city` sub-app (flows/cli_city.py). Each month prints one line: how many
wards, and per source how many wards are in each state; then one line per ward and source that failed or
was quarantined (on stderr). Exit code 3 when any ward's source needs attention, as `thidua run`.
"""

from __future__ import annotations

from collections import Counter

import typer

from flows.cli import EXIT_SOURCES_NEED_ATTENTION, friendly
from flows.cli_city import city_app
from flows.periods import check_begun, local_today, periods_between
from flows.presentation import SOURCE_STATUS_VI as STATUS_VI
from flows.presentation import count_vi


def month_lines(summary: dict) -> tuple[str, list[str]]:
    """The month's summary line and its problem lines (one per ward and source that needs attention)."""
    year, month = summary["period"].split("-")
    per_source: dict[str, Counter] = {}
    for by_source in summary["sources"].values():
        for source, status in by_source.items():
            per_source.setdefault(source, Counter())[status] += 1
    parts = [f"{source}: " + ", ".join(f"{count_vi(n)} {STATUS_VI.get(s, s)}" for s, n in sorted(counts.items()))
             for source, counts in per_source.items()]
    head = f"{month}/{year}: {count_vi(len(summary['sources']))} phường; " + "; ".join(parts)
    problems = [f"  {p['unit_code']} {p['source_code']} {STATUS_VI.get(p['status'], p['status'])}: {p['message']}"
                for p in summary["problems"]]
    return head, problems


def _echo(summary: dict) -> bool:
    head, problems = month_lines(summary)
    typer.echo(head)
    for line in problems:
        typer.echo(line, err=True)
    return not problems


def _units(units: str | None) -> list[str] | None:
    """``--units``: each code digits only and a ward of the catalogue (checked before any path is built)."""
    if not units:
        return None
    from flows.settings import get_settings

    return get_settings().check_units([u.strip() for u in units.split(",") if u.strip()], "--units") or None


@city_app.command("close")
@friendly
def close(period: str = typer.Option(None, help="Month to close, YYYY-MM (default: last month)."),
          units: str = typer.Option(None, help="Comma-separated ward codes (default: every ward of the catalogue).")):
    """Close one month for every ward of the catalogue (THIDUA_CATALOGUE: a directory of plans), batched."""
    if period:
        check_begun(period, local_today())
    wards = _units(units)
    from flows.close_city import close_city_month, summarise_city

    if not _echo(summarise_city(close_city_month(period=period, unit_codes=wards))):
        raise typer.Exit(EXIT_SOURCES_NEED_ATTENTION)


@city_app.command("backfill")
@friendly
def backfill(start: str = typer.Option(..., "--from", help="First month, YYYY-MM."),
             end: str = typer.Option(..., "--to", help="Last month, YYYY-MM."),
             units: str = typer.Option(None, help="Comma-separated ward codes (default: every ward).")):
    """Close every month of a range for every ward, one month at a time, one line per month."""
    for period in periods_between(start, end):
        check_begun(period, local_today())
    wards = _units(units)
    from flows.close_city import backfill_city

    ok = True
    for summary in backfill_city(start=start, end=end, unit_codes=wards):
        ok &= _echo(summary)
    if not ok:
        raise typer.Exit(EXIT_SOURCES_NEED_ATTENTION)
