"""One measured job per fresh interpreter: ``python -m bench.jobs NAME '<json params>'``.

Imports and any warm-up happen before the clock starts; the clock covers only the measured call. The peak
memory reported is this process's own ru_maxrss (a Prefect server runs elsewhere and is not counted).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

from bench.common import emit, peak_mib


def _timed(params: dict, call):
    """Run `call()` under the clock (and cProfile when params["profile"] names a .pstats path)."""
    profile_path = params.get("profile")
    profiler = cProfile.Profile() if profile_path else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    rows = call()
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - started
    out = {"wall_s": wall, "rows": rows, "peak_mib": peak_mib()}
    if profiler:
        Path(profile_path).parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(profile_path)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(20)
        out["profile_top20"] = text.getvalue()
    return out


def baseline(params: dict) -> dict:
    """The analyst's backfill (bench.baseline) over `warm_periods` (untimed) then `periods` (timed)."""
    from bench.baseline import Baseline, plans_by_unit

    job = Baseline(params["url"], Path(params["inbox"]), plans_by_unit(Path(p) for p in params["plans"]),
                   params.get("api_url"), params.get("token"))
    try:
        job.backfill(params.get("warm_periods") or [], params["units"])
        return _timed(params, lambda: job.backfill(params["periods"], params["units"]))
    finally:
        job.close()


def _pipeline_env(params: dict) -> None:
    os.environ.update({"THIDUA_WAREHOUSE_URL": params["url"], "THIDUA_INBOX": params["inbox"],
                       "THIDUA_DATA_DIR": params["data_dir"], "THIDUA_CATALOGUE": params["catalogue"]})
    if params.get("api_url"):
        os.environ.update({"THIDUA_PUBLIC_SERVICE_URL": params["api_url"],
                           "THIDUA_PUBLIC_SERVICE_TOKEN": params["token"]})


def _check_closed(results: list[dict]) -> int:
    """Fail loudly when a close did not load every source (the comparison would be meaningless)."""
    rows = 0
    for result in results:
        for code, outcome in (result.get("sources") or {}).items():
            status = getattr(outcome, "status", None) or (outcome.get("status") if isinstance(outcome, dict)
                                                          else None)
            if status not in ("loaded", "replaced", "unchanged"):
                message = getattr(outcome, "message", "") or ""
                raise RuntimeError(f"{result.get('unit_code')} {result.get('period')} {code}: {status}: {message}")
            rows += int(getattr(outcome, "rows", 0) or 0)
    return rows


def pipeline_ward(params: dict) -> dict:
    """The product's `monthly-close` flow, ward by ward, month by month (warm months first, untimed)."""
    _pipeline_env(params)
    from flows.monthly_close import close_month

    def run(periods: list[str]) -> int:
        return _check_closed([close_month(period=p, unit_code=u) for p in sorted(periods) for u in params["units"]])

    run(params.get("warm_periods") or [])
    return _timed(params, lambda: run(params["periods"]))


def _warm_up(params: dict) -> None:
    """Pay the pipeline's one-off costs before the clock starts: lazy imports (Great Expectations, the
    workbook readers), Prefect's client and API, the warehouse migrations' code path. A tiny dossier export
    for another month goes through the product's ingest into a throw-away SQLite warehouse."""
    from bench.dossiers import write_export

    scratch = Path(params["data_dir"]) / "warm-up"
    csv_path = scratch / "ho-so-2025-09.csv"
    write_export(csv_path, 200, "10549", "2025-09")
    (scratch / "warehouse.sqlite").unlink(missing_ok=True)
    _pipeline_env({**params, "url": f"sqlite:///{scratch / 'warehouse.sqlite'}", "data_dir": str(scratch),
                   "inbox": str(scratch / "inbox"), "catalogue": params.get("warm_catalogue") or params["catalogue"]})
    from flows.monthly_close import ingest_file

    ingest_file(source_code="public_service", period="2025-09", path=str(csv_path), unit_code="10549")
    _pipeline_env(params)


def pipeline_city(params: dict) -> dict:
    """The product's `backfill-city` flow over `periods` for `units` (flows.close_city)."""
    _warm_up({**params, "warm_catalogue": str(Path(__file__).resolve().parents[1] / "catalogue"
                                               / "ke-hoach-2025-10549.yaml")})
    from flows.close_city import backfill_city

    periods = sorted(params["periods"])
    by_month: list[dict] = []

    def run() -> None:
        for month in backfill_city(periods[0], periods[-1], params["units"]):
            for unit, statuses in month["sources"].items():
                bad = {s: v for s, v in statuses.items() if v not in ("loaded", "replaced", "unchanged")}
                if bad:
                    raise RuntimeError(f"{unit} {month['period']}: {bad}")
            by_month.append({"period": month["period"], "peak_mib": month["peak_memory_mib"]})

    out = _timed(params, run)  # rows: the harness counts the observations it compared
    out["peak_by_month"] = by_month  # the process's high-water mark as each month finished
    return out


def dossier_native(params: dict) -> dict:
    """1 M dossier rows the engine's native way: COPY the CSV (PostgreSQL) / executemany (SQLite)."""
    from bench.dossiers import native_load

    return _timed(params, lambda: native_load(params["url"], Path(params["csv"])))


def dossier_pipeline(params: dict) -> dict:
    """The product's ingest of the same file: the `ingest-delivery` flow (read, facts, GX, bulk load)."""
    _warm_up(params)
    from flows.monthly_close import ingest_file

    def run() -> int:
        result = ingest_file(source_code="public_service", period=params["period"], path=params["csv"],
                             unit_code=params["unit"])
        _check_closed([result])
        return params["records"]

    return _timed(params, run)


def nation_parent(params: dict) -> dict:
    """The product's `close-units-batched` flow: one `close-city` deployment run per chunk, picked up by the
    workers that are running; the clock runs from the submit to the last chunk's final state."""
    _pipeline_env(params)
    from flows.close_city import close_units_batched

    def run() -> None:
        result = close_units_batched(period=params["period"], chunk_units=params["chunk_units"],
                                     timeout_seconds=params.get("timeout_s", 4 * 3600))
        bad = [r for r in result["runs"] if r["state"] != "Completed"]
        if bad:
            raise RuntimeError(f"{len(bad)} chunk run(s) did not complete: {bad[:3]}")

    return _timed(params, run)


JOBS = {f.__name__: f for f in (baseline, pipeline_ward, pipeline_city, dossier_native, dossier_pipeline,
                                nation_parent)}


def main(argv: list[str] | None = None) -> int:
    """Run one job and print its result line."""
    argv = sys.argv[1:] if argv is None else argv
    name, params = argv[0], json.loads(argv[1])
    result = JOBS[name](params)
    emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
