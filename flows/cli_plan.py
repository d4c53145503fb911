"""`thidua plan` commands: a ward's plan document becomes its target catalogue (issue 20). Registered on
`flows.cli.app` at import.

    thidua plan import FILE --unit CODE [--year YYYY] --out catalogue/ke-hoach-YYYY-CODE.yaml
                       [--report plan-review.html|plan-review.txt]
    thidua plan check FILE.yaml

`import` reads a .docx, .txt or .pdf (with a text layer) plan, types every target of its targets section
(plans/) and writes the catalogue; a target it cannot type or map is written `status: needs_review` with
its reason, never guessed. The written file is read back through warehouse/catalogue.py before it is
kept. `check` validates a catalogue and lists what remains to review: exit 0 when nothing remains, 3 when
targets still need review, 2 for an invalid file.
"""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from flows.cli import EXIT_SOURCES_NEED_ATTENTION, EXIT_USER_ERROR, app, friendly

plan_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="A plan document -> its target catalogue (import, check).")
app.add_typer(plan_app, name="plan")


def plan_errors(fn):
    """A plan that cannot be read ends in one sentence on stderr and exit 2 (`friendly` does the rest)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from plans.errors import PlanError

        try:
            return fn(*args, **kwargs)
        except PlanError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_USER_ERROR) from None

    return friendly(wrapper)


@plan_app.command("import")
@plan_errors
def import_(file: Path = typer.Argument(..., help="The plan: .docx, .txt or .pdf with a text layer."),
            unit: str = typer.Option(..., help="GSO code of the unit whose plan it is (e.g. 10549)."),
            year: int = typer.Option(None, help="The plan's year (default: the year its title names)."),
            out: Path = typer.Option(..., help="The catalogue to write, e.g. catalogue/ke-hoach-2026-10549.yaml."),
            report: Path = typer.Option(None, help="Also write the review report (.html, or .txt for text).")):
    """Turn a plan document into a target catalogue (targets it cannot type are marked needs_review)."""
    from plans import import_plan
    from plans.review import html_report, text_report
    from warehouse.catalogue import read_catalogue

    if year is not None and not 2000 <= year <= 2100:
        raise typer.BadParameter(f"{year}: expected a year such as 2026", param_hint="--year")
    plan = import_plan(file, unit, year)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(plan.to_yaml(), encoding="utf-8")
    try:
        read_catalogue(tmp)   # what we write must load: never leave a file the close would refuse
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    if report is not None:
        text = text_report(plan) if report.suffix.lower() == ".txt" else html_report(plan)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text, encoding="utf-8")
    typer.echo(f"{out}: {plan.plan_code}, {len(plan.targets)} chỉ tiêu / targets, "
               f"{plan.review_count} cần rà soát / to review" + (f"; review report {report}" if report else ""))
    for t in plan.targets:
        if t.needs_review:
            typer.echo(f"  {t.code}: {t.reason}")


@plan_app.command("check")
@plan_errors
def check(file: Path = typer.Argument(..., help="A catalogue YAML (e.g. catalogue/ke-hoach-2026-10549.yaml).")):
    """Validate a catalogue and list the targets that still need review."""
    from warehouse.catalogue import NEEDS_REVIEW, read_catalogue

    if not file.is_file():
        typer.echo(f"error: {file} does not exist or is not a file", err=True)
        raise typer.Exit(EXIT_USER_ERROR)
    catalogue = read_catalogue(file)
    pending = [t for t in catalogue.targets.to_dict("records") if t["measure"].get("kind") == NEEDS_REVIEW]
    plan = catalogue.plan
    typer.echo(f"{file}: {plan['plan_code']} ({plan['year']}, unit {plan['unit_code']}), "
               f"{len(catalogue.targets)} chỉ tiêu / targets, {len(pending)} cần rà soát / to review")
    for t in pending:
        typer.echo(f"  {t['target_code']} (mục {t['plan_item']}): {t['name_vi']}")
        typer.echo(f"      {t['measure']['reason']}")
    if pending:
        raise typer.Exit(EXIT_SOURCES_NEED_ATTENTION)
