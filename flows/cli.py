"""`thidua`: the command line over the flows. This contract is relied on by others; keep it stable.

    thidua run --period YYYY-MM [--unit CODE] [--confirm-drop]
    thidua backfill --from YYYY-MM --to YYYY-MM [--unit CODE]
    thidua ingest --source {tax,public_service,health,education,indicators} --period YYYY-MM --file PATH
                  [--confirm-drop]
    thidua attainment --period YYYY-MM [--unit CODE] --format {table,json,csv}
    thidua db upgrade
    thidua demo

A user's mistake ends with one clear sentence on stderr and a non-zero exit, never a traceback. Exit codes:
0 done; 1 a bug (the one case with a traceback); 2 the user's or operator's mistake (a command's argument, a
setting, a delivered file); 3 the close ran but a source failed or was quarantined; 4 a service needed is
unreachable (the warehouse database, the Prefect API, a source after its retries): try again later.
"""

from __future__ import annotations

import functools
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer

from flows.ephemeral import tie_ephemeral_server_to_this_process
from flows.periods import PeriodError, check_begun, check_plan_year, local_today, periods_between

# Without PREFECT_API_URL the CLI runs flows against Prefect's temporary local server. Its default start-up
# wait (20 s) is too short on a busy 2-core machine (a city backfill beside other jobs timed out); two
# minutes is still a clear failure when the server really cannot start. An operator's value wins.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# That server dies with this command, even killed (kill -9) or terminated: no orphaned servers.
tie_ephemeral_server_to_this_process()


class _Program(typer.Typer):
    """The `thidua` program as run from a terminal (the console script calls ``app()``): Prefect's console
    keeps to what the command does not say itself, and is silent once the command has ended, while the
    process exits (flows/console.py). Tests invoking the commands (CliRunner) do not pass here."""

    def __call__(self, *args, **kwargs):
        from flows.console import command_finished, quiet_prefect_console

        quiet_prefect_console()
        try:
            return super().__call__(*args, **kwargs)
        finally:
            command_finished()


app = _Program(add_completion=False, no_args_is_help=True,
               help="thidua: monthly emulation-target integration for a ward.")
db_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Warehouse administration.")
app.add_typer(db_app, name="db")

EXIT_USER_ERROR = 2
EXIT_SOURCES_NEED_ATTENTION = 3
EXIT_UNREACHABLE = 4


class UserError(Exception):
    """A mistake in how the command was called (bad period, missing file…)."""


class Source(StrEnum):
    """The five export families."""

    tax = "tax"
    public_service = "public_service"
    health = "health"
    education = "education"
    indicators = "indicators"


class OutputFormat(StrEnum):
    """How `thidua attainment` prints."""

    table = "table"
    json = "json"
    csv = "csv"


def _user_errors() -> tuple[type[BaseException], ...]:
    from connectors.errors import ConnectorError
    from expectations.errors import ExpectationsError
    from flows.errors import PathOutsideRootError
    from flows.settings import SettingsError
    from warehouse.errors import WarehouseError

    # FileExistsError / IsADirectoryError / NotADirectoryError: an --out or --file that names the wrong kind of thing
    return (UserError, PeriodError, SettingsError, ConnectorError, ExpectationsError, WarehouseError,
            FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PathOutsideRootError)


def _infrastructure_errors() -> tuple[type[BaseException], ...]:
    from connectors.errors import RetriableSourceError
    from flows.errors import DeliveryFilingError
    from warehouse.locks import LockTimeout

    return (RetriableSourceError, LockTimeout, DeliveryFilingError)


def unreachable(exc: BaseException) -> str | None:
    """One sentence when ``exc``, or the error that caused it, means a service is unreachable or was lost (the
    warehouse database, the Prefect API, a source still failing after its retries); None for anything else."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        sentence = _unreachable(exc)
        if sentence is not None:
            return sentence
        exc = exc.__cause__ or exc.__context__
    return None


def _unreachable(exc: BaseException) -> str | None:
    import sqlalchemy.exc as sa_exc

    from connectors.errors import RetriableSourceError
    from flows.errors import DeliveryFilingError
    from warehouse.locks import LockTimeout

    if isinstance(exc, LockTimeout):  # another run of the same ward held the close for longer than we waited
        return str(exc)
    if isinstance(exc, DeliveryFilingError):  # the disk or a permission: nothing recorded, the file stays
        return f"a delivery could not be filed: {exc}"

    if isinstance(exc, sa_exc.DBAPIError) and (isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
                                               or exc.connection_invalidated):
        first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        if misconfigured_warehouse(first):
            return None  # the setting names a database or a role the server does not have: the user's to fix
        return f"cannot use the warehouse (THIDUA_WAREHOUSE_URL): {first}"
    if isinstance(exc, sa_exc.TimeoutError):
        return f"the warehouse (THIDUA_WAREHOUSE_URL) gave no connection in time: {str(exc).splitlines()[0]}"
    if isinstance(exc, RetriableSourceError):
        return f"a source is unreachable after its retries: {exc}"
    if "httpx" in sys.modules:
        import httpx

        if isinstance(exc, httpx.TransportError):
            where = "the Prefect API (PREFECT_API_URL)" if os.environ.get("PREFECT_API_URL") else "a service"
            return f"cannot reach {where}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if isinstance(exc, RuntimeError) and str(exc).startswith("Failed to reach API at "):  # Prefect's client
        return f"cannot reach the Prefect API (PREFECT_API_URL): {str(exc).splitlines()[0]}"
    if isinstance(exc, BrokenPipeError):  # the terminal's reader went away (`| head`): no service at fault
        return None
    if isinstance(exc, ConnectionError | TimeoutError):
        return f"a service is unreachable: {type(exc).__name__}: {exc}"
    return None


# What a PostgreSQL server answers when the URL itself is wrong (the server was reached): retrying never helps.
_WAREHOUSE_SETTING_WRONG = ("does not exist", "password authentication failed", "no password supplied",
                            "role \"", "no pg_hba.conf entry")


def misconfigured_warehouse(first_line: str) -> bool:
    """The warehouse server answered, and says THIDUA_WAREHOUSE_URL names what it does not have."""
    return any(words in first_line for words in _WAREHOUSE_SETTING_WRONG)


def _warehouse_setting_wrong(exc: BaseException) -> str | None:
    """One sentence when `exc` (or its cause) is the warehouse server refusing the URL's database or role."""
    import sqlalchemy.exc as sa_exc

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sa_exc.DBAPIError):
            first = (str(exc.orig).strip().splitlines() or [""])[0]
            if misconfigured_warehouse(first):
                return (f"THIDUA_WAREHOUSE_URL: the database server refused it: {first}; check the database "
                        "name and the user in the URL, e.g. postgresql://thidua@127.0.0.1:5432/thidua")
        exc = exc.__cause__ or exc.__context__
    return None


def echo_pairs(pairs, *, err: bool = False, indent: str = "    ") -> None:
    """Print (Vietnamese, English) line pairs: ``- <Vietnamese>`` then the English line under it."""
    for vi, en in pairs:
        typer.echo(f"{indent}- {vi}", err=err)
        if en != vi:
            typer.echo(f"{indent}  {en}", err=err)


def friendly(fn):
    """Turn the project's typed errors into one sentence on stderr and a non-zero exit; a refused file
    lists every problem it has, each as a Vietnamese line and an English line."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            from flows.settings import get_settings

            get_settings().check()  # every setting first: a bad one is one sentence, before any work
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except _infrastructure_errors() as exc:  # a source still failing after its retries, a lock held too
            # long, a file that could not be filed: not the user's mistake
            typer.echo(f"error: {unreachable(exc)} (exit {EXIT_UNREACHABLE}: try again once it is back)", err=True)
            raise typer.Exit(EXIT_UNREACHABLE) from None
        except _user_errors() as exc:
            problems = getattr(exc, "problems", None) or []
            if len(problems) > 1 and callable(getattr(exc, "lines", None)):
                typer.echo(f"error: {len(problems)} lỗi / problems:", err=True)
                echo_pairs(exc.lines(), err=True, indent="  ")
            elif problems and callable(getattr(exc, "message_vi", None)):
                typer.echo(f"error: {exc.message_vi()}", err=True)
                typer.echo(f"       {exc}", err=True)
            elif isinstance(exc, OSError) and exc.filename:  # a path of the command: the path, then why
                typer.echo(f"error: {exc.filename}: {exc.strerror or exc}", err=True)
            else:
                typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except BrokenPipeError:  # `thidua … | head`: the reader has what it wanted
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush into the closed pipe at exit
            raise typer.Exit(0) from None
        except Exception as exc:  # a service that cannot be reached is not a bug: its own exit code
            wrong = _warehouse_setting_wrong(exc)
            if wrong is not None:
                typer.echo(f"error: {wrong}", err=True)
                raise typer.Exit(EXIT_USER_ERROR) from None
            sentence = unreachable(exc)
            if sentence is None:
                raise
            typer.echo(f"error: {sentence} (exit {EXIT_UNREACHABLE}: try again once it is back)", err=True)
            raise typer.Exit(EXIT_UNREACHABLE) from None

    return wrapper


def check_delivery_args(period: str, file: Path) -> None:
    """The arguments `ingest` and `validate` share: a month already begun and an existing file."""
    check_begun(period, local_today())
    if not file.is_file():
        raise UserError(f"file {file} does not exist or is not a file")


def checked_unit(unit) -> str:
    """``--unit`` (default THIDUA_UNIT): digits only and a unit of the catalogue, before any path is built."""
    from flows.settings import get_settings

    return get_settings().check_unit(unit)


def checked_period(period: str, unit: str, *, judging: bool) -> str:
    """A month the command may work on: begun (Vietnam time) and of a year the catalogue has ``unit``'s plan
    for (``judging``: that year; loading: also the year before, the baseline)."""
    from flows.settings import get_settings

    check_begun(period, local_today())
    settings = get_settings()
    catalogue = settings.catalogue_path
    folder = catalogue if catalogue.is_dir() else catalogue.parent
    try:
        shown = f"{folder.relative_to(Path.cwd())}/"
    except ValueError:
        shown = f"{folder}/"
    return check_plan_year(period, settings.plan_years(unit), unit, judging=judging, catalogue=str(catalogue),
                           folder=shown, catalogue_is_folder=catalogue.is_dir())


def print_close_summary(result: dict) -> bool:
    """One line per source; returns True when every source is in a good state."""
    ok = True
    parts = []
    for code, outcome in result["sources"].items():
        label = outcome.status
        if outcome.status in ("loaded", "replaced"):
            label += f" ({outcome.rows})"
        if outcome.status in ("failed", "quarantined"):
            ok = False
        parts.append(f"{code}: {label}")
    typer.echo(f"{result['period']} [{result['unit_code']}] " + ", ".join(parts))
    for code, outcome in result["sources"].items():
        if outcome.status in ("failed", "quarantined", "missing") and outcome.message:
            typer.echo(f"  {code}: {outcome.message}", err=True)
    return ok


@app.command()
@friendly
def run(period: str = typer.Option(None, help="Month to close, YYYY-MM (default: last month)."),
        unit: str = typer.Option(None, help="GSO unit code (default: THIDUA_UNIT or 10549)."),
        confirm_drop: bool = typer.Option(False, "--confirm-drop",
                                          help="Load a dossier pull held as suspicious because it would take the "
                                               "month's dossiers to none or down by more than "
                                               "THIDUA_DOSSIER_DROP_SHARE.")):
    """Run the monthly-close flow for one month."""
    from flows.periods import previous_month

    unit = checked_unit(unit)
    period = checked_period(period or previous_month(local_today()), unit, judging=False)
    from flows.monthly_close import close_month
    from flows.presentation import attainment_table

    result = close_month(period=period, unit_code=unit, confirm_drop=confirm_drop)
    ok = print_close_summary(result)
    if result["attainment"] is not None:
        typer.echo(attainment_table(result["attainment"]))
    if not ok:
        raise typer.Exit(EXIT_SOURCES_NEED_ATTENTION)


@app.command()
@friendly
def backfill(start: str = typer.Option(..., "--from", help="First month, YYYY-MM."),
             end: str = typer.Option(..., "--to", help="Last month, YYYY-MM."),
             unit: str = typer.Option(None, help="GSO unit code.")):
    """Close every month of a range, in order, with one line of progress per month."""
    unit = checked_unit(unit)
    months = [check_begun(p, local_today()) for p in periods_between(start, end)]  # the range's end first
    months = [checked_period(p, unit, judging=False) for p in months]
    from flows.monthly_close import close_month

    ok = True
    for i, period in enumerate(months, 1):
        typer.echo(f"[{i}/{len(months)}] ", nl=False)
        ok &= print_close_summary(close_month(period=period, unit_code=unit))
    if not ok:
        raise typer.Exit(EXIT_SOURCES_NEED_ATTENTION)


@app.command()
@friendly
def ingest(source: Source = typer.Option(..., help="Source of the delivery."),
           period: str = typer.Option(..., help="Month the delivery describes, YYYY-MM."),
           file: Path = typer.Option(..., help="The delivered file (public_service: a CSV or JSON export)."),
           unit: str = typer.Option(None, help="GSO unit code."),
           confirm_drop: bool = typer.Option(False, "--confirm-drop",
                                             help="public_service: load a dossier export held as suspicious because "
                                                  "it would take the month's dossiers to none or down by more than "
                                                  "THIDUA_DOSSIER_DROP_SHARE.")):
    """Validate and load one delivery, then re-judge that month."""
    unit = checked_unit(unit)
    check_delivery_args(period, file)
    checked_period(period, unit, judging=False)
    from flows.monthly_close import ingest_file

    result = ingest_file(source.value, period, str(file.resolve()), unit, confirm_drop=confirm_drop)
    outcome = result["sources"][source.value]
    if outcome.status in ("failed", "quarantined"):
        typer.echo(f"error: {source.value} {period} {outcome.status}: {outcome.message}", err=True)
        if outcome.status == "quarantined":
            _explain_quarantine(source.value, period, file, unit, outcome)
        raise typer.Exit(EXIT_USER_ERROR)
    typer.echo(f"{source.value} {period}: {outcome.status} ({outcome.rows} observations, "
               f"load {outcome.load_id})")


def _explain_quarantine(source: str, period: str, file: Path, unit: str | None, outcome) -> None:
    """Every problem of a quarantined delivery, as Vietnamese/English line pairs: the validation report's
    path (it lists every failing cell), or, for a file that does not fit its layout (no report), each
    problem of the refusal (the file is read again: a copy stays where the user gave it)."""
    if outcome.report_path is not None:
        typer.echo(f"  Báo cáo kiểm tra / Validation report: {outcome.report_path}", err=True)
        return
    from flows import tasks
    from flows.settings import get_settings

    try:
        again = tasks.read_delivery_file.fn(source, file.resolve(), unit or get_settings().unit_code, period)
    except Exception:  # noqa: BLE001 - the refusal has been told in one line already
        return
    if isinstance(again, tasks.Rejection) and again.problems:
        echo_pairs(again.lines(), err=True, indent="  ")


@app.command()
@friendly
def attainment(period: str = typer.Option(..., help="Month, YYYY-MM."),
               unit: str = typer.Option(None, help="GSO unit code."),
               format: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format.")):
    """Print the attainment of every target at the end of a month."""
    from flows.presentation import attainment_csv, attainment_json, attainment_table
    from flows.settings import get_settings
    from warehouse import attainment as wh_attainment
    from warehouse import db

    unit = checked_unit(unit)
    checked_period(period, unit, judging=True)
    settings = get_settings()
    engine = db.make_engine(settings.warehouse_url)
    try:
        frame = wh_attainment.read_attainment(engine, unit, period)
    finally:
        engine.dispose()
    if frame.empty:
        raise UserError(f"no attainment for unit {unit} in {period}: run `thidua run --period {period}` first")
    if format is OutputFormat.json:
        typer.echo(attainment_json(frame))
    elif format is OutputFormat.csv:
        sys.stdout.write(attainment_csv(frame))
    else:
        typer.echo(attainment_table(frame))


@db_app.command("upgrade")
@friendly
def db_upgrade():
    """Create or migrate the warehouse to the latest schema."""
    from flows.settings import get_settings
    from warehouse import db

    url = get_settings().warehouse_url
    db.upgrade(url)
    typer.echo("warehouse is at the latest schema")


@app.command()
@friendly
def demo(seed: int = typer.Option(2025, help="Seed of the sample generator."),
         data_dir: Path = typer.Option(None, help="Working folder (default THIDUA_DATA_DIR or ./data).")):
    """Generate sample exports 2024-2025, start the stand-in API, close every month, print December."""
    from flows.demo import run_demo

    if data_dir is not None:
        os.environ["THIDUA_DATA_DIR"] = str(data_dir)
    ok = run_demo(seed=seed, echo=typer.echo)
    if not ok:
        raise typer.Exit(EXIT_SOURCES_NEED_ATTENTION)


# Commands of the other concerns live in their own modules and register on `app` when imported.
# (cli_plan: thidua plan import|check)
from flows import cli_city, cli_connectors, cli_plan, cli_quality, cli_reports  # noqa: E402,F401

if __name__ == "__main__":  # python -m flows.cli: the commands registered on flows.cli's app, not __main__'s
    from flows.cli import app as _app

    _app()
